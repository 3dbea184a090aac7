"""Charts of ladder-model outputs, drawn from tables and trajectories (never from models).

Functions accept axes (or None) and return the figure; they never show or save.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from forecast.inputs.tables import best_points  # noqa: E402
from forecast.inputs.targets import Target  # noqa: E402
from forecast.report.charts import plot_fan  # noqa: E402
from forecast.report.labels import Labels, localised  # noqa: E402

STAGE_PANELS = ("hte_certified", "tech_sme_registered", "reserve", "startup", "outside", "gazelle")
"""Stage columns drawn by `plot_stages`, in order; their panel titles are `labels.text("stage_<column>")`."""


@localised
def plot_stages(stages: pd.DataFrame, observed: pd.DataFrame | None = None, axes=None, *, labels: Labels) -> plt.Figure:
    """Stage counts over time: one panel per stage, median and 80% band per scenario.

    `stages` has columns scenario, year, stage, q0.1, q0.5, q0.9 (`forecast.report.ladder.stage_quantiles`);
    `observed` (optional) has stage, year, value: published figures, drawn as black dots.
    """
    names = [s for s in STAGE_PANELS if s in set(stages["stage"])]
    if axes is None:
        fig, grid = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
        axes = list(grid.ravel())
    fig = axes[0].figure
    colours = dict(
        zip(stages["scenario"].unique(), plt.rcParams["axes.prop_cycle"].by_key()["color"] * 3, strict=False)
    )
    for ax, stage in zip(axes, names, strict=False):
        for label, rows in stages[stages["stage"] == stage].groupby("scenario", sort=False):
            ax.fill_between(rows["year"], rows["q0.1"], rows["q0.9"], color=colours[label], alpha=0.2, linewidth=0)
            ax.plot(
                rows["year"],
                rows["q0.5"],
                color=colours[label],
                linewidth=2,
                label=labels.text("stage_band", label=label),
            )
        if observed is not None:
            seen = observed[observed["stage"] == stage]
            ax.plot(seen["year"], seen["value"], "o", color="black", label=labels.text("published"))
        ax.set_title(labels.text(f"stage_{stage}"), fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(labels.text("firms"))
        ax.grid(alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(labels.text("stages_title"), fontsize=12)
    fig.tight_layout()
    return fig


LATER_LABEL = {False: "later_unused", True: "later_fitted"}


@localised
def plot_ladder_fan(
    years: np.ndarray,
    paths: np.ndarray,
    history: pd.DataFrame,
    target: Target,
    probability: float,
    mc_error: float,
    title: str,
    ax: plt.Axes | None = None,
    calibrated: bool = False,
    *,
    labels: Labels,
) -> plt.Figure:
    """A fan chart of ladder trajectories from their start year (`charts.plot_fan`), with the
    figures published after the start year marked as diamonds: the runs start before them,
    and only a calibrated scenario's rates were fitted to them (`calibrated`)."""
    start = int(years[0])
    fig = plot_fan(years, paths, history[history["year"] <= start], target, probability, mc_error, ax=ax, labels=labels)
    ax = ax or fig.axes[0]
    ax.axvline(start, color="grey", linestyle="--", linewidth=1, label=labels.text("runs_start", year=start))
    later = best_points(history[history["year"] > start])
    if len(later):
        ax.plot(
            later["year"],
            later["value"],
            "D",
            color="tab:orange",
            markersize=7,
            linestyle="none",
            label=labels.text(LATER_LABEL[calibrated]),
        )
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title, fontsize=10)
    return fig


@localised
def plot_fans_side_by_side(
    trajectories: dict[str, tuple[np.ndarray, np.ndarray]],
    history: pd.DataFrame,
    target: Target,
    probabilities: dict[str, tuple[float, float]],
    axes=None,
    calibrated: dict[str, bool] | None = None,
    *,
    labels: Labels,
) -> plt.Figure:
    """One ladder fan chart per scenario on shared axes, the target marked, P(met) ± MC error in each title.

    `trajectories[label]` is (years, paths of shape (chain, draw, year)); `axes`, if
    given, one per scenario (share them for comparable panels); `calibrated[label]` says
    whether that scenario's rates were fitted to the later figures.
    """
    if axes is None:
        axes = plt.subplots(
            1, len(trajectories), figsize=(4.6 * len(trajectories), 4.6), sharex=True, sharey=True, squeeze=False
        )[1][0]
    fig = axes[0].figure
    for ax, (label, (years, paths)) in zip(axes, trajectories.items(), strict=False):
        p, se = probabilities[label]
        plot_ladder_fan(
            years,
            paths,
            history,
            target,
            p,
            se,
            f"{label}\n{labels.text('p_met_short', p=p, e=se)}",
            ax=ax,
            calibrated=bool((calibrated or {}).get(label)),
            labels=labels,
        )
        if ax is not axes[0]:
            ax.get_legend().remove()
            ax.set_ylabel("")
    fig.suptitle(labels.text("ladder_suffix", target=labels.target(target)), fontsize=12)
    fig.tight_layout()
    return fig


@localised
def plot_tornado(
    effects: pd.DataFrame, baseline: float, title: str, ax: plt.Axes | None = None, *, labels: Labels
) -> plt.Figure:
    """Tornado chart: per factor, a bar from P(met) at its low setting to P(met) at its high one.

    `effects` has columns factor, low, high (probabilities), low_setting, high_setting
    (`forecast.ladder.explain.tornado_effects`); factors and settings are shown in the
    words of `labels`. The largest range is drawn on top. The scenario's own P(met) is the
    vertical line.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 1.2 + 0.5 * max(len(effects), 1)))
    rows = effects.assign(width=(effects["high"] - effects["low"]).abs()).sort_values("width")
    y = np.arange(len(rows))
    lo = np.minimum(rows["low"], rows["high"]).to_numpy()
    ax.barh(y, np.abs(rows["high"] - rows["low"]).to_numpy(), left=lo, color="tab:blue", alpha=0.7, height=0.6)
    for k, row in enumerate(rows.itertuples()):
        low_text = f"{labels.setting(row.low_setting)} {row.low:.2f}"
        high_text = f"{labels.setting(row.high_setting)} {row.high:.2f}"
        if row.low == row.high:
            ax.text(
                row.high, k, labels.text("no_change", low=low_text, high=high_text), ha="left", va="center", fontsize=8
            )
            continue
        ax.text(row.low, k, f"{low_text} ", ha="right" if row.low <= row.high else "left", va="center", fontsize=8)
        ax.text(row.high, k, f" {high_text}", ha="left" if row.low <= row.high else "right", va="center", fontsize=8)
    ax.axvline(baseline, color="black", linewidth=1.5, label=labels.text("as_written", p=baseline))
    ax.set_yticks(y, [labels.factor(f) for f in rows["factor"]])
    ax.set_xlim(-0.2, 1.45)  # room for the labels beside bars at 0 or 1
    ax.set_xlabel(labels.text("p_target_met"))
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
