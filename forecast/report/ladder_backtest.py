"""What `forecast backtest --model ladder` prints: the trend backtest's tables (the ladder a method among them,
`forecast.report.evaluation.format_backtest`) and the ladder beside the trend model per indicator; its files are
the trend backtest's (`write_backtest`), the ladder's rows among them."""

from __future__ import annotations

import pandas as pd

from forecast.evaluation.backtest import BacktestResult
from forecast.evaluation.ladder_backtest import ladder_indicator_table
from forecast.report.evaluation import format_backtest
from forecast.report.labels import ENGLISH, Labels
from forecast.report.run import text_table


def format_ladder_backtest(result: BacktestResult, runs: int, labels: Labels = ENGLISH) -> str:
    """`format_backtest`'s tables, then the ladder and the trend model per indicator on the same points."""
    words = labels.text
    table = ladder_indicator_table(result.rows)
    shown = pd.DataFrame(
        {
            words("col_indicator"): table["indicator"].map(labels.indicator),
            words("col_method"): table["method"].map(labels.method),
            **{words("col_cov", level=p): table[f"coverage_{p}"].map("{:.2f}".format) for p in (50, 80, 95)},
            words("col_crps"): table["crps"].map("{:.3f}".format),
            words("col_points_scored"): table["points"],
        }
    )
    parts = [
        format_backtest(result, labels),
        "",
        words("backtest_ladder_by_indicator"),
        text_table(shown),
        words("backtest_ladder_note", runs=runs),
    ]
    return "\n".join(parts)
