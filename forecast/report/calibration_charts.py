"""Posterior predictive check of a ladder calibration: simulated stage counts against the history.

Drawn from arrays and tables only (never from models); returns the figure, never shows
or saves it (the CLI saves).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from forecast.inputs import flags  # noqa: E402
from forecast.report.labels import Labels, localised  # noqa: E402
from models.ladder.model import INDICATOR_COLUMNS  # noqa: E402

PANELS = tuple(
    (INDICATOR_COLUMNS[indicator], indicator, title)
    for indicator, title in (
        ("high_tech_enterprises", "panel_hte"),
        ("high_tech_certifications", "panel_certifications"),
        ("tech_smes", "panel_smes"),
    )
)
"""(model column, indicator, panel title's `labels.text` key), one panel each."""

Paths = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""column -> (years, draws x years)."""


@localised
def plot_calibration_check(
    figures: pd.DataFrame,
    abm: Paths,
    meanfield: Paths,
    *,
    title: str,
    start_year: int,
    status: str = "ok",
    axes: np.ndarray | None = None,
    labels: Labels,
) -> plt.Figure:
    """One panel per indicator: the ABM ensemble's median with 80%/95% bands (the model's
    counts), the mean-field's posterior predictive with the fitted reporting noise (median
    dashed, 95% band dotted: where a figure should fall), and the reported figures.

    `figures` has columns indicator, year, value, flag. Figures before ``start_year``
    were not used in the fit and are drawn grey; lower bounds are drawn as triangles.
    """
    if axes is None:
        fig, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4.4))
    else:
        fig = axes.flat[0].figure
    for ax, (column, indicator, label) in zip(np.ravel(axes), PANELS, strict=True):
        _bands(ax, *abm[column], color="tab:blue", label=labels.text("abm_draws"), labels=labels)
        _dashed(ax, *meanfield[column], color="tab:orange", label=labels.text("meanfield"), labels=labels)
        _points(ax, figures[figures["indicator"] == indicator], start_year, labels)
        ax.set_title(labels.text(label), fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(labels.text("col_year"))
        ax.set_ylabel(labels.text("firms" if column != "certifications_listed" else "firms_per_year"))
        ax.grid(alpha=0.3)
    np.ravel(axes)[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        title if status == "ok" else f"{title}\n{labels.text('convergence', status=status)}",
        fontsize=11,
        color="black" if status == "ok" else "tab:red",
    )
    fig.tight_layout()
    return fig


def _bands(ax: plt.Axes, years: np.ndarray, draws: np.ndarray, *, color: str, label: str, labels: Labels) -> None:
    q = np.nanquantile(draws, [0.025, 0.10, 0.5, 0.90, 0.975], axis=0)
    ax.fill_between(years, q[0], q[4], color=color, alpha=0.15, linewidth=0, label=labels.text("band_95", label=label))
    ax.fill_between(years, q[1], q[3], color=color, alpha=0.30, linewidth=0, label=labels.text("band_80", label=label))
    ax.plot(years, q[2], color=color, linewidth=2, label=labels.text("band_median", label=label))


def _dashed(ax: plt.Axes, years: np.ndarray, draws: np.ndarray, *, color: str, label: str, labels: Labels) -> None:
    q = np.nanquantile(draws, [0.025, 0.5, 0.975], axis=0)
    ax.plot(years, q[1], color=color, linestyle="--", linewidth=1.5, label=labels.text("band_median", label=label))
    ax.plot(years, q[0], color=color, linestyle=":", linewidth=1, label=labels.text("band_95", label=label))
    ax.plot(years, q[2], color=color, linestyle=":", linewidth=1)


def _points(ax: plt.Axes, rows: pd.DataFrame, start_year: int, labels: Labels) -> None:
    before = rows["year"].to_numpy() < start_year
    bound = flags.is_lower_bound(rows["flag"]) & ~before
    caveat = flags.is_caveated(rows["flag"]) & ~before & ~bound
    clean = ~before & ~bound & ~caveat
    styles = (
        (clean, dict(marker="o", color="black", label=labels.text("published"))),
        (caveat, dict(marker="o", mfc="none", color="black", label=labels.text("caveated_short"))),
        (bound, dict(marker="^", color="tab:red", label=labels.text("lower_bound"))),
        (before, dict(marker="o", color="grey", alpha=0.6, label=labels.text("before_window"))),
    )
    for mask, style in styles:
        if mask.any():
            ax.plot(
                rows["year"].to_numpy()[mask], rows["value"].to_numpy()[mask], linestyle="none", markersize=6, **style
            )
