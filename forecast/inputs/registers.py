"""Which register each tech-SME series counts (``data/registers.csv``).

Columns: ``indicator, series, register, includes_certified, source, note``. One row per
(indicator, series) of the tech-SME indicators: ``register`` is ``provincial`` (Hebei's
provincial recognition, 省级科技型中小企业, and the cities' recognitions) or ``national`` (the
national evaluation registry, 评价入库); ``includes_certified`` says whether the count takes
in certified high-tech enterprises: ``yes``, ``no`` or ``unknown`` where no source states it
(the provincial register: DESIGN.md). A target's register is the one of its indicator's
``main`` series; a model compares a target only with figures of the same register
(`forecast.ladder.registers`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import Problem, did_you_mean, raise_if
from forecast.inputs.bundled import bundled_path
from forecast.inputs.reading import read_table
from forecast.inputs.tables import SERIES

REGISTER_COLUMNS = ["indicator", "series", "register", "includes_certified", "source", "note"]
REGISTERS = ("provincial", "national")
INCLUSION = ("yes", "no", "unknown")


def load_registers(path: Path | None = None, *, indicators: pd.DataFrame) -> pd.DataFrame:
    """The register table (the bundled one if `path` is None), checked, indexed by (indicator, series)."""
    path = Path(path or bundled_path("registers.csv"))
    table = read_table(path)
    missing = [c for c in REGISTER_COLUMNS if c not in table.columns]
    raise_if(
        [
            Problem(str(path), "header", f"missing column '{c}'", f"add it: {', '.join(REGISTER_COLUMNS)}")
            for c in missing
        ]
    )
    known = set(indicators["indicator"]) if "indicator" in indicators.columns else set(indicators.index)
    allowed = {"indicator": known, "series": SERIES, "register": REGISTERS, "includes_certified": INCLUSION}
    problems = [
        Problem(
            str(path),
            f"row {i + 2}, column '{column}'",
            f"unknown value '{record[column]}'",
            did_you_mean(record[column], values),
        )
        for i, record in enumerate(table.to_dict("records"))
        for column, values in allowed.items()
        if record[column] not in values
    ]
    problems += [
        Problem(str(path), f"row {i + 2}", "no source given", "name where the register's definition is stated")
        for i, source in enumerate(table["source"])
        if not source
    ]
    twice = table[table.duplicated(["indicator", "series"])]
    problems += [
        Problem(str(path), f"row {i + 2}", f"{r.indicator} / {r.series} is listed twice", "keep one row per series")
        for i, r in zip(twice.index, twice.itertuples(), strict=True)
    ]
    raise_if(problems)
    return table[REGISTER_COLUMNS].set_index(["indicator", "series"], drop=False)


def register_of(registers: pd.DataFrame | None, indicator: str, series: str = "main") -> pd.Series | None:
    """The register row of an indicator's series, or None if the table does not list it."""
    if registers is None or (indicator, series) not in registers.index:
        return None
    return registers.loc[(indicator, series)]
