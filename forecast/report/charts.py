"""Charts drawn from trajectories and tables (never from models).

Functions take arrays and tables, accept `ax=None` and return the figure; they never
show or save (the CLI saves).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from forecast.inputs import flags  # noqa: E402
from forecast.inputs.targets import Target, threshold_level  # noqa: E402
from forecast.probability import band_quantiles  # noqa: E402
from forecast.report.labels import Labels, localised  # noqa: E402

BANDS = ((0.025, 0.975, "95%", 0.15), (0.10, 0.90, "80%", 0.25), (0.25, 0.75, "50%", 0.35))


@localised
def plot_fan(
    years: np.ndarray,
    paths: np.ndarray,
    history: pd.DataFrame,
    target: Target,
    probability: float,
    mc_error: float,
    *,
    outcome: float | None = None,
    cutoff: int | None = None,
    status: str = "ok",
    ax: plt.Axes | None = None,
    labels: Labels,
) -> plt.Figure:
    """Fan chart: history points, predictive bands, the target marked, P(met) written on it (words from `labels`)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 4.8))
    start = int(history["year"].max()) if len(history) else int(years[0])
    shown = years >= start
    q = band_quantiles(paths[..., shown])
    for low, high, label, alpha in BANDS:
        ax.fill_between(
            years[shown],
            q[low],
            q[high],
            color="tab:blue",
            alpha=alpha,
            linewidth=0,
            label=labels.text("interval", level=label),
        )
    ax.plot(years[shown], q[0.5], color="tab:blue", linewidth=2, label=labels.text("median_projection"))
    clean = flags.is_clean(history["flag"])
    ax.plot(history.loc[clean, "year"], history.loc[clean, "value"], "o", color="black", label=labels.text("published"))
    if (~clean).any():
        ax.plot(
            history.loc[~clean, "year"],
            history.loc[~clean, "value"],
            "o",
            mfc="none",
            color="black",
            label=labels.text("caveated"),
        )
    level = threshold_level(target)
    if level is not None:
        ax.plot(
            [target.target_year],
            [level],
            marker="*",
            markersize=16,
            color="tab:red",
            linestyle="none",
            label=labels.target_marker(target),
        )
        ax.axhline(level, color="tab:red", linestyle=":", linewidth=1)
    if outcome is not None:
        ax.plot(
            [target.target_year],
            [outcome],
            marker="D",
            markersize=9,
            color="tab:green",
            linestyle="none",
            label=labels.text("outcome_marker", value=f"{outcome:g}"),
        )
    if cutoff is not None:
        ax.axvline(
            cutoff + 0.5, color="grey", linestyle="--", linewidth=1, label=labels.text("data_up_to", year=cutoff)
        )
    ax.set_title(
        f"{labels.target(target)}\n{labels.text('p_met_title', p=probability, e=mc_error)}",
        fontsize=11,
    )
    if status != "ok":
        ax.text(
            0.01,
            0.02,
            labels.text("convergence", status=labels.status(status)),
            transform=ax.transAxes,
            color="tab:red",
            fontsize=8,
            va="bottom",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(labels.text("col_year"))
    ax.set_ylabel(labels.axis(target.indicator, target.unit))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@localised
def plot_reliability(
    tables: dict[str, pd.DataFrame], *, title: str | None = None, ax: plt.Axes | None = None, labels: Labels
) -> plt.Figure:
    """Calibration chart: per method, observed event frequency against mean forecast probability.

    `tables` maps a label (e.g. "model (Brier 0.12)") to a `forecast.evaluation.scores.reliability_table`;
    empty bins are not drawn. Points on the diagonal are perfectly calibrated.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label=labels.text("perfect_calibration"))
    for label, table in tables.items():
        shown = table[table["count"] > 0]
        ax.plot(shown["mean_predicted"], shown["observed_frequency"], marker="o", label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(labels.text("forecast_probability_bin"))
    ax.set_ylabel(labels.text("observed_frequency"))
    ax.set_title(title or labels.text("reliability_title"), fontsize=11)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
