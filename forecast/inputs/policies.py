"""The policy history (``data/policies.csv``): dated, sourced policies, one row each.

Columns: ``policy_id, region, lever, kind, size, unit, start_year, end_year,
applies_to, source, quote, lever_id, note``. A row is in force in the years
``start_year..end_year`` inclusive (``end_year`` blank: still in force). ``region``
``china`` is national and holds everywhere; any other region's row holds in that
region only (a province's counts, such as Hebei's 2,000 reserve-pool entries, are
not split over its cities). ``lever`` is a lever of the ladder model (the ``lever``
rows of ``data/ladder_factors.csv``) or a key of ``data/levers.csv`` for a policy the
model does not represent; ``quote`` is the clause holding the size, copied from the
source named in ``source``.

``kind`` says what the row is, and whether a model run applies it::

    law       a national rule                               applied
    plan      a plan's instrument with its size             applied
    reported  a past action reported with its size          applied
    goal      a plan's quantity that is an outcome          recorded only
    cited     a plan citing a rule another row holds        recorded only

A row is *applied* (column ``applied``, with the reason in ``use``) when its kind is
applied, its lever is a model lever and its ``unit`` is that lever's unit (the
``unit_en`` of ``data/ladder_factors.csv``); a size in other units (agencies,
persons) is kept as the source states it and not converted. Two applied rows of one
lever and region may not overlap in time.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import Problem, did_you_mean, raise_if
from forecast.inputs.bundled import bundled_path
from forecast.inputs.reading import read_table
from forecast.inputs.tables import YEAR_RANGE

POLICY_COLUMNS = [
    "policy_id",
    "region",
    "lever",
    "kind",
    "size",
    "unit",
    "start_year",
    "end_year",
    "applies_to",
    "source",
    "quote",
    "lever_id",
    "note",
]
REQUIRED_TEXT = ("policy_id", "region", "lever", "kind", "unit", "source", "quote")
APPLIED_KINDS = ("law", "plan", "reported")
KINDS = (*APPLIED_KINDS, "goal", "cited")
NATIONAL = "china"


def load_policies(
    path: Path | None = None,
    *,
    factors: pd.DataFrame,
    regions: pd.DataFrame | None = None,
    lever_keys: set[str] | None = None,
) -> pd.DataFrame:
    """The policy table (the bundled one if `path` is None), checked, with ``applied`` and ``use`` added.

    `factors` is the ladder factor table (`forecast.inputs.factors.load_factor_names`): its
    levers and their units. `regions` (optional) checks the region keys; `lever_keys` are
    the other lever keys allowed (default: those of the bundled ``data/levers.csv``).
    `forecast.errors.InputError` lists every problem, each with its row and a fix.
    """
    path = Path(path or bundled_path("policies.csv"))
    table = read_table(path)
    missing = [c for c in POLICY_COLUMNS if c not in table.columns]
    raise_if(
        [Problem(str(path), "header", f"missing column '{c}'", f"add it: {', '.join(POLICY_COLUMNS)}") for c in missing]
    )
    lever_rows = factors[factors["kind"] == "lever"]
    model_units = dict(zip(lever_rows["factor"], lever_rows["unit_en"], strict=True))
    known = set(model_units) | (_lever_vocabulary() if lever_keys is None else set(lever_keys))
    problems: list[Problem] = []
    rows = []
    for i, record in enumerate(table[POLICY_COLUMNS].to_dict("records")):
        where = f"row {i + 2}"
        row, found = _check_row(record, where, str(path), known, regions)
        problems += found
        if not found:
            row["applied"], row["use"] = _use(row, model_units)
            rows.append(row)
    problems += [
        Problem(str(path), "column 'policy_id'", f"'{d}' is listed twice", "give each policy its own id")
        for d in sorted(set(table["policy_id"][table["policy_id"].duplicated()]))
    ]
    raise_if(problems)
    out = pd.DataFrame(rows, columns=[*POLICY_COLUMNS, "applied", "use"])
    raise_if(_overlaps(out, str(path)))
    return out


def _lever_vocabulary() -> set[str]:
    return set(read_table(bundled_path("levers.csv"))["lever"])


def _year(value: str, where: str, column: str, file: str, problems: list[Problem]) -> int | None:
    try:
        year = int(str(value).strip())
    except ValueError:
        problems.append(
            Problem(file, f"{where}, column '{column}'", f"'{value}' is not a year", "write a year, e.g. 2021")
        )
        return None
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        problems.append(Problem(file, f"{where}, column '{column}'", f"year {year} is out of range", "check the year"))
    return year


def _check_row(record: dict, where: str, file: str, known: set[str], regions: pd.DataFrame | None) -> tuple[dict, list]:
    problems = [
        Problem(file, f"{where}, column '{c}'", "empty", f"give the {c.replace('_', ' ')}")
        for c in REQUIRED_TEXT
        if not str(record[c]).strip()
    ]
    if record["kind"] and record["kind"] not in KINDS:
        problems.append(
            Problem(
                file, f"{where}, column 'kind'", f"unknown kind '{record['kind']}'", did_you_mean(record["kind"], KINDS)
            )
        )
    if record["lever"] and record["lever"] not in known:
        problems.append(
            Problem(
                file,
                f"{where}, column 'lever'",
                f"unknown lever '{record['lever']}'",
                did_you_mean(record["lever"], known),
            )
        )
    if regions is not None and record["region"] and record["region"] not in regions.index:
        problems.append(
            Problem(
                file,
                f"{where}, column 'region'",
                f"unknown region '{record['region']}'",
                did_you_mean(record["region"], regions.index),
            )
        )
    try:
        size = float(record["size"])
        if not size >= 0:
            raise ValueError
    except ValueError:
        problems.append(
            Problem(
                file,
                f"{where}, column 'size'",
                f"'{record['size']}' is not a size",
                "write a number >= 0 in the row's unit",
            )
        )
        size = float("nan")
    start = _year(record["start_year"], where, "start_year", file, problems)
    end = None if not str(record["end_year"]).strip() else _year(record["end_year"], where, "end_year", file, problems)
    if start is not None and end is not None and end < start:
        problems.append(
            Problem(file, f"{where}, column 'end_year'", f"{end} is before start_year {start}", "swap or fix the years")
        )
    return {**record, "size": size, "start_year": start, "end_year": end}, problems


def _use(row: dict, model_units: dict[str, str]) -> tuple[bool, str]:
    if row["kind"] not in APPLIED_KINDS:
        return False, f"recorded only: a {row['kind']} row"
    if row["lever"] not in model_units:
        return False, f"recorded only: '{row['lever']}' is not a lever of the ladder model"
    if row["unit"] != model_units[row["lever"]]:
        return False, f"recorded only: unit '{row['unit']}' is not the lever's unit '{model_units[row['lever']]}'"
    return True, "applied"


def _overlaps(table: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    applied = table[table["applied"]]
    for (region, lever), group in applied.groupby(["region", "lever"]):
        spans = sorted(
            (r.start_year, r.end_year if r.end_year is not None else YEAR_RANGE[1], r.policy_id)
            for r in group.itertuples()
        )
        for (_, end_a, id_a), (start_b, _, id_b) in zip(spans, spans[1:], strict=False):
            if start_b <= end_a:
                problems.append(
                    Problem(
                        file,
                        f"policies '{id_a}' and '{id_b}'",
                        f"{lever} in {region}: their years overlap",
                        "end the earlier one before the later starts",
                    )
                )
    return problems


def in_force(policies: pd.DataFrame, region: str, year: int) -> dict[str, tuple[float, str]]:
    """Applied policies in force in `region` in `year`: lever -> (size, policy_id); a region's own row
    wins over a national one."""
    rows = policies[
        policies["applied"]
        & policies["region"].isin([NATIONAL, region])
        & (policies["start_year"] <= year)
        & policies["end_year"].map(lambda end: end is None or pd.isna(end) or end >= year)
    ]
    found: dict[str, tuple[float, str]] = {}
    for record in sorted(rows.to_dict("records"), key=lambda r: r["region"] != NATIONAL):
        found[record["lever"]] = (float(record["size"]), str(record["policy_id"]))
    return found
