"""Names of the ladder model's levers and uncertain parameters, in Chinese and English (``data/ladder_factors.csv``).

One row per factor (``factor, kind, name_zh, name_en, unit_zh, unit_en``; ``kind`` is
``lever`` or ``parameter``; the units are a lever's, short, for tables and the HTML
report; parameters have none), keyed by the code name the scenario files use (`models.ladder.LEVERS`,
the fields of `models.ladder.LadderParams`): the explain table and tornado chart show
these names, never the keys (`forecast.report.labels`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import Problem, raise_if
from forecast.inputs.bundled import bundled_path
from forecast.inputs.reading import read_table

FACTOR_COLUMNS = ["factor", "kind", "name_zh", "name_en", "unit_zh", "unit_en"]
FACTOR_KINDS = {"lever", "parameter"}


def load_factor_names(path: Path | None = None) -> pd.DataFrame:
    """The factor names table (the bundled one if `path` is None), checked: columns, kinds, one row per factor,
    both names given."""
    path = Path(path or bundled_path("ladder_factors.csv"))
    table = read_table(path)
    missing = [c for c in FACTOR_COLUMNS if c not in table.columns]
    raise_if(
        [Problem(str(path), "header", f"missing column '{c}'", f"add it: {', '.join(FACTOR_COLUMNS)}") for c in missing]
    )
    problems = []
    for i, record in enumerate(table.to_dict("records")):
        if record["kind"] not in FACTOR_KINDS:
            problems.append(
                Problem(
                    str(path),
                    f"row {i + 2}, column 'kind'",
                    f"unknown kind '{record['kind']}'",
                    "write lever or parameter",
                )
            )
        problems += [
            Problem(str(path), f"row {i + 2}, column '{c}'", "no name given", "name the factor in both languages")
            for c in ("name_zh", "name_en")
            if not record[c]
        ]
    problems += [
        Problem(str(path), "column 'factor'", f"'{d}' is listed twice", "keep one row per factor")
        for d in sorted(set(table["factor"][table["factor"].duplicated()]))
    ]
    raise_if(problems)
    return table[FACTOR_COLUMNS].set_index("factor", drop=False)
