"""Charts the HTML report draws from a run folder's tables (never from models): the probability of
being met by each year, and scenario comparison bars with Monte Carlo error bars.

Functions take tables, accept `ax=None` and return the figure; `figure_bytes` turns a
figure into PNG bytes in memory for the page (nothing is saved).
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from forecast.probability import TRAFFIC_LIGHTS  # noqa: E402
from forecast.report.labels import Labels, localised  # noqa: E402

ERROR_BAR_WIDTH = 2.0
"""Error bars span this many Monte Carlo standard errors either side."""


@localised
def plot_met_by_year(
    first_met: pd.DataFrame, names: Mapping[str, str], ax: plt.Axes | None = None, *, labels: Labels
) -> plt.Figure:
    """P(target reached in or before year t) per target: `first_met` has target_id, year, p_met_by
    (`forecast.report.run.first_met_table`); `names` maps a target id to its words. The traffic-light
    cut-offs are drawn as dotted lines."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 4.4))
    for target_id, rows in first_met.groupby("target_id", sort=False):
        ax.plot(rows["year"], rows["p_met_by"], marker="o", linewidth=2, label=names.get(target_id, target_id))
    for _, lowest in TRAFFIC_LIGHTS[:-1]:
        ax.axhline(lowest, color="grey", linestyle=":", linewidth=1)
    ax.set_ylim(-0.02, 1.02)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(labels.text("col_year"))
    ax.set_ylabel(labels.text("report_by_year_axis"))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@localised
def plot_compare_bars(
    compare: pd.DataFrame, names: Mapping[str, str], ax: plt.Axes | None = None, *, labels: Labels
) -> plt.Figure:
    """Grouped bars: per target, each scenario's P(met) with ±`ERROR_BAR_WIDTH` Monte Carlo errors.

    `compare` has target_id, scenario, p_met, p_met_mc_error (``compare.csv`` of `forecast compare`).
    """
    targets = list(dict.fromkeys(compare["target_id"]))
    scenarios = list(dict.fromkeys(compare["scenario"]))
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 1.6 + 1.1 * len(targets)))
    height = 0.8 / max(len(scenarios), 1)
    for k, scenario in enumerate(scenarios):
        rows = compare[compare["scenario"] == scenario].set_index("target_id").reindex(targets)
        y = np.arange(len(targets)) + (k - (len(scenarios) - 1) / 2) * height
        p = rows["p_met"].to_numpy(dtype=float)
        error = np.nan_to_num(ERROR_BAR_WIDTH * rows["p_met_mc_error"].to_numpy(dtype=float))
        p = np.nan_to_num(p)
        bounded = np.vstack([np.minimum(error, p), np.minimum(error, 1.0 - p)])  # a probability stays in [0, 1]
        ax.barh(y, p, height=height * 0.9, xerr=bounded, capsize=3, label=scenario)
    ax.set_yticks(np.arange(len(targets)), [names.get(t, t) for t in targets], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel(labels.text("p_target_met"))
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def figure_bytes(fig: plt.Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (in memory), then closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
