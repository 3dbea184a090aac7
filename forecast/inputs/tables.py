"""The data layer: the only module family that reads files.

Tables handed out (column names fixed here, documented once):

* history (`load_history`): one row per observation,
  ``region, indicator, year, value, unit, source, note, series, flag, row``.
  ``series`` names the statistical series (``main`` unless stated: ``revised`` R&D
  intensity after GDP revisions, ``early_yearbook``, ``national_registry``);
  ``flag`` lists caveats separated by ``;`` (their meaning: `forecast.inputs.flags`);
  ``row`` is the line in the source file.
* indicators (`load_indicators`): ``indicator, unit, kind, name_en, name_zh``; ``kind``
  is one of ``stock, flow, percent, amount, density, growth, score``.
* regions (`load_regions`): ``region, name_zh, name_en, level, parent``.

Several values for one (region, indicator, year) are kept, never averaged away. The
stated rule: a model uses one series per indicator (``main`` unless the scenario names
another) and, for a year that series lacks, the value of another series with a note;
within a series all values of a year enter the likelihood, each with its caveat
(`select_series`). Where one point per year is needed (charts, baselines),
`best_points` takes the value with the fewest caveats.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecast.errors import Problem, did_you_mean, raise_if
from forecast.inputs import flags, units
from forecast.inputs.bundled import bundled_path
from forecast.inputs.reading import read_table

HISTORY_REQUIRED = ["region", "indicator", "year", "value", "unit", "source"]
HISTORY_OPTIONAL = {"note": "", "series": "main", "flag": ""}
HISTORY_IGNORED = {"source_url", "quote", "source_title"}
SERIES = {"main", "revised", "early_yearbook", "national_registry"}
KINDS = {"stock", "flow", "percent", "amount", "density", "growth", "score"}
YEAR_RANGE = (1949, 2100)
REGION_COLUMNS = ["region", "name_zh", "name_en", "level", "parent"]
LEVELS = {"country", "province", "city", "county", "district"}
REGION_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_indicators(path: Path | None = None) -> pd.DataFrame:
    path = Path(path or bundled_path("indicators.csv"))
    table = read_table(path)
    problems = _missing_columns(table, ["indicator", "unit", "kind", "name_en", "name_zh"], path)
    raise_if(problems)
    for i, kind in enumerate(table["kind"]):
        if kind not in KINDS:
            problems.append(
                Problem(str(path), f"row {i + 2}, column 'kind'", f"unknown kind '{kind}'", did_you_mean(kind, KINDS))
            )
    dupes = table["indicator"][table["indicator"].duplicated()]
    problems += [
        Problem(str(path), "column 'indicator'", f"'{d}' is listed twice", "keep one row per indicator") for d in dupes
    ]
    raise_if(problems)
    return table.set_index("indicator", drop=False)


def load_regions(path: Path | None = None, encoding: str | None = None) -> pd.DataFrame:
    """The regions table (the bundled one if `path` is None); a user's file is checked row by row."""
    given = path is not None
    path = Path(path or bundled_path("regions.csv"))
    table = read_table(path, encoding)
    raise_if(_missing_columns(table, REGION_COLUMNS, path))
    table = table[REGION_COLUMNS]
    problems = []
    if given:
        for i, record in enumerate(table.to_dict("records")):
            problems += _region_problems(record, i + 2, str(path))
        dupes = table["region"][table["region"].duplicated()]
        problems += [
            Problem(str(path), "column 'region'", f"'{d}' is listed twice", "keep one row per region")
            for d in sorted(set(dupes))
        ]
    raise_if(problems)
    return table.set_index("region", drop=False)


def _region_problems(record: dict, row: int, file: str) -> list[Problem]:
    problems = []
    if not REGION_KEY.match(record["region"]):
        problems.append(
            Problem(
                file,
                f"row {row}, column 'region'",
                f"'{record['region']}' is not a region key",
                "use a lowercase pinyin key such as 'suzhou'",
            )
        )
    if record["level"] not in LEVELS:
        problems.append(
            Problem(
                file,
                f"row {row}, column 'level'",
                f"unknown level '{record['level']}'",
                did_you_mean(record["level"], LEVELS),
            )
        )
    return problems


def merge_regions(regions: pd.DataFrame, extra: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    """The regions table with a user's `extra` rows added (a row for a bundled key replaces it, with a note).

    Every parent must be a region of the merged table (or empty)."""
    replaced = sorted(set(extra.index) & set(regions.index))
    merged = pd.concat([regions.drop(index=replaced), extra])
    problems = [
        Problem(
            file,
            f"region '{key}', column 'parent'",
            f"unknown parent region '{parent}'",
            f"{did_you_mean(parent, merged.index)}, or add a row for it",
        )
        for key, parent in extra["parent"].items()
        if parent and parent not in merged.index
    ]
    raise_if(problems)
    notes = [f"{file}: region '{key}' replaces the bundled row" for key in replaced]
    return merged, notes


def infer_regions(history: pd.DataFrame, regions: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    """Regions in the history that no regions table lists, added as top-level regions (no parent).

    The stated rule: such a region's figures are accepted; it is given level
    'province' and no parent, so the trend model pools it with the panel's mean, not
    with a province. A ``--regions`` table row naming its parent changes that.
    """
    unknown = sorted(set(history["region"]) - set(regions.index))
    if not unknown:
        return regions, []
    rows = pd.DataFrame(
        {"region": unknown, "name_zh": unknown, "name_en": unknown, "level": "province", "parent": ""}
    ).set_index("region", drop=False)
    note = (
        f"{file}: region{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} not in the regions table: "
        "treated as top-level (no parent to borrow growth from); give --regions FILE with columns "
        f"{', '.join(REGION_COLUMNS)} to name them and their parent"
    )
    return pd.concat([regions, rows]), [note]


def parent_of(region: str, regions: pd.DataFrame) -> str | None:
    """A city's province from the regions table; None for a province, the country or an unknown region."""
    if region not in regions.index or regions.at[region, "level"] != "city":
        return None
    return regions.at[region, "parent"] or None


class History(NamedTuple):
    """A validated history table and the notes on what was read or converted (for the user to see)."""

    table: pd.DataFrame
    notes: list[str]


def load_history(
    path: Path | None = None, indicators: pd.DataFrame | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Load and validate a tidy history file (the bundled one if `path` is None); `read_history` with its notes."""
    return read_history(path, indicators, encoding).table


def read_history(
    path: Path | None = None, indicators: pd.DataFrame | None = None, encoding: str | None = None
) -> History:
    """Load and validate a tidy history file (the bundled one if `path` is None).

    Every problem in the file is collected and raised together as an `InputError`
    naming the file, row, column, what is wrong and how to fix it. Units written as
    bureaus write them (`forecast.inputs.units`) are converted to the indicator's
    unit key; the value and unit as written go to the row's ``note``, and the notes
    returned say what was converted and how the file was read.
    """
    path = Path(path or bundled_path("history.csv"))
    indicators = load_indicators() if indicators is None else indicators
    notes: list[str] = []
    table = read_table(path, encoding, notes)
    problems = _missing_columns(table, HISTORY_REQUIRED, path)
    raise_if(problems)
    for column, default in HISTORY_OPTIONAL.items():
        if column not in table:
            table[column] = default
    known = set(HISTORY_REQUIRED) | set(HISTORY_OPTIONAL) | HISTORY_IGNORED
    for column in table.columns:
        if column not in known:
            problems.append(
                Problem(
                    str(path),
                    f"column '{column}'",
                    "unknown column",
                    f"{did_you_mean(column, known)} (or remove the column)",
                )
            )
    table["row"] = np.arange(len(table)) + 2
    for record in table.to_dict("records"):
        problems += _row_problems(record, indicators, str(path))
    raise_if(problems)
    notes += _convert_units(table, indicators, str(path))
    table["year"] = table["year"].astype(float).astype(int)
    table["value"] = table["value"].astype(float)
    columns = [*HISTORY_REQUIRED, "note", "series", "flag", "row"]
    history = table[columns].sort_values(["region", "indicator", "year", "series"]).reset_index(drop=True)
    return History(history, notes)


def _convert_units(table: pd.DataFrame, indicators: pd.DataFrame, file: str) -> list[str]:
    """Convert rows written in a unit alias to the key unit, in place; one note per (alias, key)."""
    keys = table["indicator"].map(indicators["unit"])
    written = table["unit"] != keys
    if not written.any():
        return []
    rows = table[written]
    aliases = [units.alias_for(u, k) for u, k in zip(rows["unit"], keys[written], strict=True)]
    factors = np.array([a.factor for a in aliases])
    table.loc[written, "value"] = [repr(v) for v in (rows["value"].astype(float).to_numpy() * factors).tolist()]
    table.loc[written, "note"] = [
        f"as written: {v} {u}" + (f"; {n}" if n else "")
        for v, u, n in zip(rows["value"], rows["unit"], rows["note"], strict=True)
    ]
    table.loc[written, "unit"] = [a.key for a in aliases]
    converted: dict[tuple[str, str], list[int]] = {}
    for unit, alias, row in zip(rows["unit"], aliases, rows["row"], strict=True):
        converted.setdefault((unit, alias.key), []).append(int(row))
    notes = []
    for (unit, key), numbers in converted.items():
        shown = ", ".join(map(str, numbers[:8])) + (", ..." if len(numbers) > 8 else "")
        how = units.describe(units.alias_for(unit, key))
        notes.append(
            f"{file}: unit '{unit}' read as '{key}' ({how}) on {len(numbers)} row{'s' if len(numbers) > 1 else ''} "
            f"({shown}); the value and unit as written are kept in the note column"
        )
    return notes


def _missing_columns(table: pd.DataFrame, required: list[str], path: Path) -> list[Problem]:
    missing = [c for c in required if c not in table.columns]
    return [
        Problem(
            str(path),
            "header",
            f"missing column '{c}'",
            f"add a '{c}' column; the header must hold {', '.join(required)}"
            + (f" ({did_you_mean(c, table.columns)})" if len(table.columns) else ""),
        )
        for c in missing
    ]


def _row_problems(record: dict, indicators: pd.DataFrame, file: str) -> list[Problem]:
    """Problems in one history row (rules in the module docstring)."""
    where = lambda column: f"row {record['row']}, column '{column}'"  # noqa: E731
    problems = []
    factor = 1.0
    if not REGION_KEY.match(record["region"]):
        problems.append(
            Problem(
                file,
                where("region"),
                f"'{record['region']}' is not a region key",
                "use a lowercase pinyin key such as 'langfang'",
            )
        )
    indicator = record["indicator"]
    if indicator not in indicators.index:
        problems.append(
            Problem(
                file, where("indicator"), f"unknown indicator '{indicator}'", did_you_mean(indicator, indicators.index)
            )
        )
    elif record["unit"] != indicators.at[indicator, "unit"]:
        alias = units.alias_for(record["unit"], indicators.at[indicator, "unit"])
        if alias is None:
            key = indicators.at[indicator, "unit"]
            written = ", ".join(f"'{a}'" for a in units.aliases_of(key))
            problems.append(
                Problem(
                    file,
                    where("unit"),
                    f"unit '{record['unit']}' does not match indicator '{indicator}'",
                    f"write '{key}'{f' (or {written})' if written else ''}, converting the value if needed",
                )
            )
        else:
            factor = alias.factor
    year = finite_number(record["year"])
    if year is None or year != int(year) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        problems.append(
            Problem(
                file,
                where("year"),
                f"'{record['year']}' is not a year",
                f"write a whole year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}, e.g. 2020",
            )
        )
    value = finite_number(record["value"])
    if value is None:
        problems.append(
            Problem(
                file,
                where("value"),
                f"'{record['value']}' is not a number",
                "write a plain number without units or thousands separators, e.g. 1258",
            )
        )
    elif not np.isfinite(value * factor):
        problems.append(
            Problem(file, where("value"), f"{record['value']} is too large", "check the value and its unit")
        )
    elif indicator in indicators.index:
        problems += _value_problems(value * factor, indicators.at[indicator, "kind"], file, where("value"))
    if not record["source"]:
        problems.append(
            Problem(
                file, where("source"), "no source given", "name the bulletin, yearbook or report the figure comes from"
            )
        )
    if record["series"] not in SERIES:
        problems.append(
            Problem(
                file, where("series"), f"unknown series '{record['series']}'", did_you_mean(record["series"], SERIES)
            )
        )
    for flag in filter(None, record["flag"].split(";")):
        if flag.strip() not in flags.FLAGS:
            problems.append(
                Problem(file, where("flag"), f"unknown flag '{flag}'", did_you_mean(flag.strip(), flags.FLAGS))
            )
    return problems


def _value_problems(value: float, kind: str, file: str, where: str) -> list[Problem]:
    if kind == "percent" and not 0 < value < 100:
        return [
            Problem(
                file,
                where,
                f"{value:g} is not a percentage strictly between 0 and 100",
                "write percentages as numbers like 1.89 (meaning 1.89%)",
            )
        ]
    if kind in {"stock", "flow", "amount", "density"} and value < 0:
        return [Problem(file, where, f"{value:g} is negative, but a {kind} cannot be", "check the sign")]
    return []


def finite_number(text) -> float | None:
    """A finite number from a table or manifest cell, else None (a hand-edited file may hold anything)."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def select_series(
    history: pd.DataFrame, region: str, indicator: str, series: str = "main", until: int | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Observations of one region's indicator in the chosen series, with notes.

    Years the chosen series lacks are filled from other series (noted), so a model
    never silently mixes series.
    """
    rows = history[(history["region"] == region) & (history["indicator"] == indicator)]
    if until is not None:
        rows = rows[rows["year"] <= until]
    chosen = rows[rows["series"] == series]
    filler = rows[(rows["series"] != series) & ~rows["year"].isin(chosen["year"])]
    notes = [
        f"{region}/{indicator} {y}: no '{series}' value; used series '{s}'"
        for y, s in filler.groupby("year")["series"].first().items()
    ]
    filler = filler[filler["series"] == filler.groupby("year")["series"].transform("first")]
    return pd.concat([chosen, filler]).sort_values("year").reset_index(drop=True), notes


def best_points(observations: pd.DataFrame) -> pd.DataFrame:
    """One value per year: the one with the fewest caveats (ties: the lower row number)."""
    if observations.empty:
        return observations
    ranked = observations.assign(_rank=flags.rank(observations["flag"])).sort_values(["year", "_rank", "row"])
    return ranked.drop_duplicates("year").drop(columns="_rank").reset_index(drop=True)
