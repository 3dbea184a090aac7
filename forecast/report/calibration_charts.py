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
from models.ladder.model import INDICATOR_COLUMNS  # noqa: E402

PANELS = tuple(
    (INDICATOR_COLUMNS[indicator], indicator, title)
    for indicator, title in (
        ("high_tech_enterprises", "certified high-tech enterprises (stock)"),
        ("high_tech_certifications", "certifications per year (new + renewed)"),
        ("tech_smes", "registered tech SMEs (stock)"),
    )
)
"""(model column, indicator, panel title), one panel each."""

Paths = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""column -> (years, draws x years)."""


def plot_calibration_check(
    figures: pd.DataFrame,
    abm: Paths,
    meanfield: Paths,
    *,
    title: str,
    start_year: int,
    status: str = "ok",
    axes: np.ndarray | None = None,
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
        _bands(ax, *abm[column], color="tab:blue", label="ABM (posterior draws)")
        _dashed(ax, *meanfield[column], color="tab:orange", label="mean-field + reporting noise")
        _points(ax, figures[figures["indicator"] == indicator], start_year)
        ax.set_title(label, fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("year")
        ax.set_ylabel("firms" if column != "certifications_listed" else "firms per year")
        ax.grid(alpha=0.3)
    np.ravel(axes)[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        title if status == "ok" else f"{title}\nconvergence {status}",
        fontsize=11,
        color="black" if status == "ok" else "tab:red",
    )
    fig.tight_layout()
    return fig


def _bands(ax: plt.Axes, years: np.ndarray, draws: np.ndarray, *, color: str, label: str) -> None:
    q = np.nanquantile(draws, [0.025, 0.10, 0.5, 0.90, 0.975], axis=0)
    ax.fill_between(years, q[0], q[4], color=color, alpha=0.15, linewidth=0, label=f"{label}, 95%")
    ax.fill_between(years, q[1], q[3], color=color, alpha=0.30, linewidth=0, label=f"{label}, 80%")
    ax.plot(years, q[2], color=color, linewidth=2, label=f"{label}, median")


def _dashed(ax: plt.Axes, years: np.ndarray, draws: np.ndarray, *, color: str, label: str) -> None:
    q = np.nanquantile(draws, [0.025, 0.5, 0.975], axis=0)
    ax.plot(years, q[1], color=color, linestyle="--", linewidth=1.5, label=f"{label}, median")
    ax.plot(years, q[0], color=color, linestyle=":", linewidth=1, label=f"{label}, 95%")
    ax.plot(years, q[2], color=color, linestyle=":", linewidth=1)


def _points(ax: plt.Axes, rows: pd.DataFrame, start_year: int) -> None:
    before = rows["year"].to_numpy() < start_year
    bound = flags.is_lower_bound(rows["flag"]) & ~before
    caveat = flags.is_caveated(rows["flag"]) & ~before & ~bound
    clean = ~before & ~bound & ~caveat
    styles = (
        (clean, dict(marker="o", color="black", label="reported figure")),
        (caveat, dict(marker="o", mfc="none", color="black", label="caveated (mid-year, scope)")),
        (bound, dict(marker="^", color="tab:red", label="lower bound")),
        (before, dict(marker="o", color="grey", alpha=0.6, label="before the window (not used)")),
    )
    for mask, style in styles:
        if mask.any():
            ax.plot(
                rows["year"].to_numpy()[mask], rows["value"].to_numpy()[mask], linestyle="none", markersize=6, **style
            )
