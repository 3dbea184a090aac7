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

import numpy as np
import pandas as pd

from forecast.errors import InputError, Problem, did_you_mean, raise_if
from forecast.inputs import flags
from forecast.inputs.bundled import bundled_path

HISTORY_REQUIRED = ["region", "indicator", "year", "value", "unit", "source"]
HISTORY_OPTIONAL = {"note": "", "series": "main", "flag": ""}
HISTORY_IGNORED = {"source_url", "quote", "source_title"}
SERIES = {"main", "revised", "early_yearbook", "national_registry"}
KINDS = {"stock", "flow", "percent", "amount", "density", "growth", "score"}
YEAR_RANGE = (1949, 2100)
REGION_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Excel file as strings, so every cell can be checked and reported."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            [Problem(str(path), "file", "not found", "check the path, or omit the option to use the bundled file")]
        )
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
            table = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif path.suffix.lower() in {".csv", ".txt"}:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise InputError(
                [Problem(str(path), "file", f"unknown file type '{path.suffix}'", "give a .csv or .xlsx file")]
            )
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise InputError(
            [
                Problem(
                    str(path),
                    "file",
                    f"cannot be read as a table ({exc})",
                    "save it as UTF-8 CSV or .xlsx with one header row",
                )
            ]
        ) from exc
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda col: col.str.strip())


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


def load_regions(path: Path | None = None) -> pd.DataFrame:
    path = Path(path or bundled_path("regions.csv"))
    table = read_table(path)
    raise_if(_missing_columns(table, ["region", "name_zh", "name_en", "level", "parent"], path))
    return table.set_index("region", drop=False)


def parent_of(region: str, regions: pd.DataFrame) -> str | None:
    """A city's province from the regions table; None for a province, the country or an unknown region."""
    if region not in regions.index or regions.at[region, "level"] != "city":
        return None
    return regions.at[region, "parent"] or None


def load_history(path: Path | None = None, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load and validate a tidy history file (the bundled one if `path` is None).

    Every problem in the file is collected and raised together as an `InputError`
    naming the file, row, column, what is wrong and how to fix it.
    """
    path = Path(path or bundled_path("history.csv"))
    indicators = load_indicators() if indicators is None else indicators
    table = read_table(path)
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
    table["year"] = table["year"].astype(float).astype(int)
    table["value"] = table["value"].astype(float)
    columns = [*HISTORY_REQUIRED, "note", "series", "flag", "row"]
    return table[columns].sort_values(["region", "indicator", "year", "series"]).reset_index(drop=True)


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
        problems.append(
            Problem(
                file,
                where("unit"),
                f"unit '{record['unit']}' does not match indicator '{indicator}'",
                f"write '{indicators.at[indicator, 'unit']}' (convert the value if needed)",
            )
        )
    year = _number(record["year"])
    if year is None or year != int(year) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        problems.append(
            Problem(
                file,
                where("year"),
                f"'{record['year']}' is not a year",
                f"write a whole year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}, e.g. 2020",
            )
        )
    value = _number(record["value"])
    if value is None:
        problems.append(
            Problem(
                file,
                where("value"),
                f"'{record['value']}' is not a number",
                "write a plain number without units or thousands separators, e.g. 1258",
            )
        )
    elif indicator in indicators.index:
        problems += _value_problems(value, indicators.at[indicator, "kind"], file, where("value"))
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


def _number(text: str) -> float | None:
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
