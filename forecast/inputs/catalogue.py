"""The plans' target catalogue and lever table (data layer: reads and validates files).

`data/targets.csv` holds every quantitative target of the five plan documents, one row
per target and deadline (interim milestones are rows of their own):

    target_id, region, indicator, unit, comparator, base_year, base_value,
    target_year, target_value, milestone, plan, seed_file, phrase_zh, note

`data/levers.csv` holds the policy instruments the plans name (rewards, tax rates,
vouchers, funds), kept apart from targets:

    lever_id, region, lever, amount, unit, applies_to, start_year, end_year,
    condition, plan, seed_file, phrase_zh, note

See `data/CATALOGUE.md` for the comparators and every interpretation made.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import Problem, did_you_mean, raise_if
from forecast.inputs.bundled import bundled_path
from forecast.inputs.tables import finite_number, load_indicators, load_regions, read_table
from forecast.inputs.targets import Target

COMPARATORS = {"at_least", "at_most", "about", "growth_rate_per_year", "increment"}
TARGET_COLUMNS = [
    "target_id",
    "region",
    "indicator",
    "unit",
    "comparator",
    "base_year",
    "base_value",
    "target_year",
    "target_value",
    "milestone",
    "plan",
    "seed_file",
    "phrase_zh",
    "note",
]
LEVER_COLUMNS = [
    "lever_id",
    "region",
    "lever",
    "amount",
    "unit",
    "applies_to",
    "start_year",
    "end_year",
    "condition",
    "plan",
    "seed_file",
    "phrase_zh",
    "note",
]
NUMERIC = ["base_year", "base_value", "target_year", "target_value"]


def is_forecastable(row: pd.Series) -> bool:
    """A target can be given a probability only with a deadline and a number to reach."""
    return bool(
        pd.notna(row["target_year"]) and pd.notna(row["target_value"]) and not is_template_region(row["region"])
    )


def is_template_region(region: str) -> bool:
    """Template plans (seed 001) are written for any county or park, not one place."""
    return region.endswith("_template")


def load_targets(
    path: Path | None = None, indicators: pd.DataFrame | None = None, regions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Load and validate the target catalogue; index is `target_id`."""
    path = Path(path or bundled_path("targets.csv"))
    indicators = load_indicators() if indicators is None else indicators
    regions = load_regions() if regions is None else regions
    table = read_table(path)
    missing = [c for c in TARGET_COLUMNS if c not in table.columns]
    raise_if(
        [
            Problem(str(path), "header", f"missing column '{c}'", f"the header must hold {', '.join(TARGET_COLUMNS)}")
            for c in missing
        ]
    )
    problems = []
    for i, record in enumerate(table.to_dict("records")):
        problems += _target_problems(record, i + 2, str(path), indicators, regions)
    dupes = table["target_id"][table["target_id"].duplicated()]
    problems += [
        Problem(str(path), "column 'target_id'", f"'{d}' is used twice", "give every target its own id") for d in dupes
    ]
    raise_if(problems)
    for column in NUMERIC:
        table[column] = pd.to_numeric(table[column].replace("", None), errors="coerce")
    return table[TARGET_COLUMNS].set_index("target_id", drop=False)


def _target_problems(
    record: dict, row: int, file: str, indicators: pd.DataFrame, regions: pd.DataFrame
) -> list[Problem]:
    where = lambda column: f"row {row} (target '{record['target_id']}'), column '{column}'"  # noqa: E731
    problems = []
    if record["region"] not in regions.index and not is_template_region(record["region"]):
        problems.append(
            Problem(
                file,
                where("region"),
                f"unknown region '{record['region']}'",
                did_you_mean(record["region"], regions.index),
            )
        )
    if record["indicator"] not in indicators.index:
        problems.append(
            Problem(
                file,
                where("indicator"),
                f"unknown indicator '{record['indicator']}'",
                did_you_mean(record["indicator"], indicators.index),
            )
        )
    elif record["unit"] != indicators.at[record["indicator"], "unit"]:
        problems.append(
            Problem(
                file,
                where("unit"),
                f"unit '{record['unit']}' does not match the indicator",
                f"write '{indicators.at[record['indicator'], 'unit']}'",
            )
        )
    if record["comparator"] not in COMPARATORS:
        problems.append(
            Problem(
                file,
                where("comparator"),
                f"unknown comparator '{record['comparator']}'",
                did_you_mean(record["comparator"], COMPARATORS),
            )
        )
    for column in NUMERIC:
        if record[column] and finite_number(record[column]) is None:
            problems.append(
                Problem(
                    file,
                    where(column),
                    f"'{record[column]}' is not a number",
                    "write a plain number or leave the cell empty",
                )
            )
    if not record["target_value"] and not record["note"]:
        problems.append(
            Problem(
                file,
                where("target_value"),
                "no target value and no note saying why",
                "give the number to reach, or explain in 'note' (e.g. 'target: complete the provincial quota')",
            )
        )
    if record["milestone"] not in {"final", "interim"}:
        problems.append(
            Problem(
                file,
                where("milestone"),
                f"'{record['milestone']}' is not 'final' or 'interim'",
                "write final or interim",
            )
        )
    return problems


def load_levers(path: Path | None = None) -> pd.DataFrame:
    """Load the table of policy levers named in the plans; index is `lever_id`."""
    path = Path(path or bundled_path("levers.csv"))
    table = read_table(path)
    missing = [c for c in LEVER_COLUMNS if c not in table.columns]
    raise_if(
        [
            Problem(str(path), "header", f"missing column '{c}'", f"the header must hold {', '.join(LEVER_COLUMNS)}")
            for c in missing
        ]
    )
    problems = [
        Problem(
            str(path),
            f"row {i + 2}, column 'amount'",
            f"'{a}' is not a number",
            "write a plain number or leave the cell empty",
        )
        for i, a in enumerate(table["amount"])
        if a and finite_number(a) is None
    ]
    raise_if(problems)
    table["amount"] = pd.to_numeric(table["amount"].replace("", None), errors="coerce")
    return table[LEVER_COLUMNS].set_index("lever_id", drop=False)


def catalogue_target(row: pd.Series) -> Target:
    """A `Target` from a row of the catalogue (`load_targets`); the scenario and the audit both read targets
    this way."""
    optional = lambda v: None if pd.isna(v) else v  # noqa: E731
    return Target(
        target_id=row["target_id"],
        region=row["region"],
        indicator=row["indicator"],
        comparator=row["comparator"],
        target_year=int(row["target_year"]),
        target_value=float(row["target_value"]),
        base_year=optional(row["base_year"]) and int(row["base_year"]),
        base_value=optional(row["base_value"]),
        unit=row["unit"],
        milestone=row["milestone"],
        label=row["phrase_zh"],
    )
