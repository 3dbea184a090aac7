"""Checks of a data update: new figures against what the trend model expected, and how targets' probabilities moved.

**Expected range of a new figure.** For each indicator the trend model projects (kinds
in `forecast.evaluation.backtest.MODELLED_KINDS`) and each series, the panel model
(`forecast.trend.pipeline.forecast_indicator`) is fitted to the working history
*before* the update (all its figures, through the posterior cache, so a repeated
check is fast) and projected to the latest year among the new figures. A new figure
``y`` of region r in year t is compared with the central 95% predictive interval of
the reported figure there, ``[q_0.025, q_0.975]`` of the draws ``y_rt`` (they include
the reporting noise of an exact figure):

    below  if y < q_0.025,     above  if y > q_0.975,     inside otherwise.

About one exact figure in twenty falls outside by chance; a figure far outside is a
jump the model did not expect (or a typing or unit slip). Not checked, with the reason:
lower bounds, indicators the trend model does not project, regions without earlier
figures of the indicator, years before a region's first figure. Revised figures are
not checked this way: the model was fitted to the old value of that very year.

**Moves.** For a scenario with a past run, the change of each target's P(met) from the
run (``p_before`` ± ``e_before``, its Monte Carlo error) to a refit on the updated
history (``p_after`` ± ``e_after``): ``change = p_after - p_before``; the two come from
independent draws, so the change's Monte Carlo error is ``sqrt(e_before² + e_after²)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache
from forecast.evaluation.backtest import MODELLED_KINDS
from forecast.inputs import flags
from forecast.inputs.targets import Target
from forecast.progress import SILENT, Reporter, message
from forecast.scenario import Scenario, TrendSettings
from forecast.trend.pipeline import PanelForecast, TargetResult, forecast_indicator, forecast_targets

BAND = (0.025, 0.975)
CHECK_COLUMNS = [
    "region",
    "indicator",
    "year",
    "series",
    "value",
    "unit",
    "row",
    "verdict",
    "low_95",
    "median",
    "high_95",
    "diagnostics",
    "reason",
]
"""``verdict``: inside, above, below, or not_checked (``reason`` says why)."""
MOVE_COLUMNS = [
    "target_id",
    "p_before",
    "e_before",
    "p_after",
    "e_after",
    "change",
    "change_mc_error",
    "diagnostics",
    "note",
]
"""``diagnostics``: the refit's sampler status; ``note``: ``not_in_last_run``, or why the refit gives no
probability."""


def check_new_figures(
    history: pd.DataFrame,
    figures: pd.DataFrame,
    *,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    settings: TrendSettings | None = None,
    seed: int = 0,
    cache: PosteriorCache | None = None,
    reporter: Reporter = SILENT,
) -> pd.DataFrame:
    """One row per figure of `figures` (new figures, validated history rows): where it lies against the 95%
    predictive interval of the trend model fitted to `history` (rules in the module docstring)."""
    rows = []
    groups = list(figures.groupby(["indicator", "series"], sort=True))
    with reporter.progress(len(groups), message("progress_checking")) as advance:
        for (indicator, series), part in groups:
            panel = _panel(history, indicator, series, part, regions, indicators, settings, seed, cache)
            projected = indicators.at[indicator, "kind"] in MODELLED_KINDS
            rows += [_verdict(record, panel, projected) for record in part.to_dict("records")]
            advance(1)
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _panel(history, indicator, series, part, regions, indicators, settings, seed, cache) -> PanelForecast | None:
    if indicators.at[indicator, "kind"] not in MODELLED_KINDS:
        return None
    part = part[~flags.is_lower_bound(part["flag"])]
    known = sorted(set(part["region"]) & set(history.loc[history["indicator"] == indicator, "region"]))
    if not known or part.empty:
        return None
    return forecast_indicator(
        history,
        indicator,
        known,
        regions=regions,
        indicators=indicators,
        cutoff=None,
        horizon=int(part["year"].max()),
        settings=settings,
        seed=seed,
        series=series,
        cache=cache,
    )


def _verdict(record: dict, panel: PanelForecast | None, projected: bool) -> dict:
    row = {c: record.get(c) for c in CHECK_COLUMNS} | {"low_95": np.nan, "median": np.nan, "high_95": np.nan}
    reason = _not_checked(record, panel, projected)
    if reason:
        return row | {"verdict": "not_checked", "diagnostics": "", "reason": reason}
    region, year = record["region"], int(record["year"])
    draws = panel.paths[region][..., int(np.flatnonzero(panel.years[region] == year)[0])].ravel()
    low, median, high = np.quantile(draws, [BAND[0], 0.5, BAND[1]])
    value = float(record["value"])
    verdict = "below" if value < low else "above" if value > high else "inside"
    return row | {
        "verdict": verdict,
        "low_95": float(low),
        "median": float(median),
        "high_95": float(high),
        "diagnostics": panel.diagnostics[region].status,
        "reason": "",
    }


def _not_checked(record: dict, panel: PanelForecast | None, projected: bool) -> str:
    """Why a figure is not checked ('' if it is): a code that `forecast.report.labels` puts in words."""
    if flags.is_lower_bound([record["flag"]])[0]:
        return "lower_bound"
    if not projected:
        return "not_projected"
    if panel is None or record["region"] not in panel.paths:
        return "no_earlier_figures"
    if int(record["year"]) < int(panel.years[record["region"]][0]):
        return "before_first_figure"
    return ""


def scenario_moves(
    scenario: Scenario,
    targets: list[Target],
    before: pd.DataFrame,
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    cache: PosteriorCache | None = None,
    reporter: Reporter = SILENT,
) -> tuple[pd.DataFrame, list[TargetResult]]:
    """Refit a scenario on the updated `history`; per target, P(met) before (`before`: ``target_id, p_met,
    p_met_mc_error`` of its last run) and after, with the change and its Monte Carlo error."""
    results = forecast_targets(scenario, targets, history, regions, indicators, cache=cache, reporter=reporter)
    return probability_moves(before, results), results


def probability_moves(before: pd.DataFrame, results: list[TargetResult]) -> pd.DataFrame:
    """The moves table (module docstring) of a refit's `results` against the last run's `before`."""
    old = before.set_index("target_id")
    rows = []
    for r in results:
        target_id = r.target.target_id
        p_before = float(old.at[target_id, "p_met"]) if target_id in old.index else np.nan
        e_before = float(old.at[target_id, "p_met_mc_error"]) if target_id in old.index else np.nan
        p_after = r.result.probability if r.result else np.nan
        e_after = r.result.mc_error if r.result else np.nan
        note = "" if target_id in old.index else "not_in_last_run"
        note = note or ("" if r.result else r.reason)
        rows.append(
            {
                "target_id": target_id,
                "p_before": p_before,
                "e_before": e_before,
                "p_after": p_after,
                "e_after": e_after,
                "change": p_after - p_before,
                "change_mc_error": float(np.hypot(e_before, e_after)),
                "diagnostics": r.fit.diagnostics.status if r.fit else "",
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=MOVE_COLUMNS)
