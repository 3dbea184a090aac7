"""The backtest's table by indicator (`forecast.evaluation.backtest.indicator_table`), per origin and pooled.

    forecast backtest --origin 2017 --origin 2019 --origin 2021 --lang en --out out/backtest
    python scripts/backtest_by_origin.py out/backtest/backtest.csv

`forecast backtest` prints the model's coverage and CRPS beside the random walk with drift per
indicator pooled over the origins; this prints the same columns for each origin alone and for the origins
after the first together (the README's "How well they forecast" quotes them: settings chosen on origin 2017,
the later origins as validation).
"""

from __future__ import annotations

import sys

import pandas as pd

from forecast.evaluation.backtest import indicator_table

COLUMNS = ["indicator", "coverage_50", "coverage_80", "coverage_95", "crps", "crps_random_walk_drift"]


def by_origin(rows: pd.DataFrame) -> pd.DataFrame:
    """`indicator_table` for each origin, for the origins after the first together (the validation origins when
    the settings were chosen on the first), then for all origins together."""
    parts = [indicator_table(group).assign(origin=str(origin)) for origin, group in rows.groupby("origin")]
    later = sorted(set(rows["origin"]))[1:]
    if len(later) > 1:
        parts.append(indicator_table(rows[rows["origin"].isin(later)]).assign(origin="+".join(map(str, later))))
    parts.append(indicator_table(rows).assign(origin="all"))
    table = pd.concat(parts, ignore_index=True)
    return table[["origin", *COLUMNS, "crps_vs_baseline", "points"]]


def main(path: str) -> None:
    table = by_origin(pd.read_csv(path))
    formats = {c: "{:.2f}".format for c in COLUMNS[1:4]} | {c: "{:.3f}".format for c in COLUMNS[4:6]}
    formats["crps_vs_baseline"] = "{:+.0%}".format
    print(table.to_string(index=False, formatters=formats))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/backtest/backtest.csv")
