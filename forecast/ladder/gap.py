"""Where the ladder and the trend disagree on a target, which assumption drives the gap.

A gap: the two models' 80% intervals of the target-year value do not overlap (each
interval is the one its table shows). For each gap, from the ladder run itself (no
further ensembles; `forecast explain` sweeps with new ensembles when a planner wants the
full picture):

* the parameter the outcome moves with most: over the runs, the rank correlation rho_p
  between each uncertain parameter's per-run value (posterior or range draws) and the
  target-year value; the driver is the one with the largest |rho_p|, and the median of
  the fifth of runs whose value of it lies furthest towards the trend says how far that
  parameter alone can carry the ladder;
* for a tech-SME target, the register assumption (`forecast.ladder.registers`): whether
  the register counts certified firms. Switching it to "included" takes the certified firms
  out of the start figure (F - hte) and counts each run's certified firms of SME size
  (``tech_sme_incl_hte - tech_sme_registered``); the registry is scaled with its start
  count, (F - hte) / F, a first-order reading of the switch without new runs. Where the
  switched median closes at least half the gap, the register assumption is named as the
  driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.inputs.targets import Target
from forecast.ladder.pipeline import RD_INDICATORS, LadderRun, LadderTargetResult
from forecast.ladder.registers import INCLUDED_COLUMN, SME_INDICATOR
from forecast.probability import TargetProbability, year_values

MIN_RUNS = 10
"""Fewer runs give no usable rank correlation."""


RD_TREND_FACTOR = "rd_trend"
"""The name an R&D gap's driver has when it is the runs' fitted R&D trend (a factor of data/ladder_factors.csv)."""


@dataclass(frozen=True)
class Gap:
    """A target on which the ladder's and the trend's 80% intervals do not overlap, and what drives it."""

    target: Target
    trend: TargetProbability
    ladder: TargetProbability
    driver: str
    """``register``, a `LadderParams` field, or '' when the run holds nothing that varies."""
    rho: float | None = None
    favourable_median: float | None = None
    register_median: float | None = None
    details: dict = field(default_factory=dict)

    def record(self) -> dict:
        """The gap as a manifest entry."""
        return {
            "target": self.target.target_id,
            "trend": [self.trend.low, self.trend.median, self.trend.high],
            "ladder": [self.ladder.low, self.ladder.median, self.ladder.high],
            "driver": self.driver,
            "rank_correlation": self.rho,
            "median_in_favourable_fifth": self.favourable_median,
            "median_with_register_switched": self.register_median,
            **self.details,
        }


def disagree(trend: TargetProbability, ladder: TargetProbability) -> bool:
    """True when the two 80% intervals do not overlap."""
    return trend.high < ladder.low or ladder.high < trend.low


def ladder_trend_gaps(
    trend_results: Sequence, ladder_results: Sequence[LadderTargetResult], run: LadderRun
) -> list[Gap]:
    """Every target judged by both models whose intervals disagree, with its driver (module docstring)."""
    trend = {r.target.target_id: r.result for r in trend_results if r.result is not None}
    gaps = []
    for judged in ladder_results:
        other = trend.get(judged.target.target_id)
        if judged.result is None or other is None or not disagree(other, judged.result):
            continue
        gaps.append(_explain(judged.target, other, judged.result, run))
    return gaps


def _explain(target: Target, trend: TargetProbability, ladder: TargetProbability, run: LadderRun) -> Gap:
    values = year_values(run.paths[target.indicator], run.years, target.target_year)[0]
    towards = 1.0 if trend.median > ladder.median else -1.0
    params = run.plan.params
    if target.indicator in RD_INDICATORS and run.plan.rd_trend is not None:
        params = params.assign(**{RD_TREND_FACTOR: run.plan.rd_trend})  # the fitted trend of the firms' R&D
    driver, rho, favourable = _top_parameter(params, values, towards)
    switched = _register_switch(target, run, values)
    gap = abs(trend.median - ladder.median)
    if switched is not None and towards * (switched - ladder.median) >= gap / 2:
        return Gap(target, trend, ladder, "register", rho, favourable, switched, {"top_parameter": driver})
    return Gap(target, trend, ladder, driver, rho, favourable, switched)


def _top_parameter(params: pd.DataFrame, values: np.ndarray, towards: float) -> tuple[str, float | None, float | None]:
    varying = [c for c in params.columns if params[c].nunique() > 1]
    if len(values) < MIN_RUNS or not varying:
        return "", None, None
    outcome = pd.Series(values).rank()
    rhos = {c: float(np.corrcoef(params[c].rank().to_numpy(), outcome.to_numpy())[0, 1]) for c in varying}
    name = max(rhos, key=lambda c: abs(rhos[c]) if np.isfinite(rhos[c]) else -1.0)
    side = towards * np.sign(rhos[name])
    cut = np.quantile(params[name], 0.8 if side > 0 else 0.2)
    chosen = params[name].to_numpy() >= cut if side > 0 else params[name].to_numpy() <= cut
    return name, rhos[name], float(np.median(values[chosen]))


def _register_switch(target: Target, run: LadderRun, values: np.ndarray) -> float | None:
    register = run.plan.register
    if target.indicator != SME_INDICATOR or register is None or register.register is None:
        return None
    included = year_values(run.ensemble[INCLUDED_COLUMN].values[None], run.years, target.target_year)[0]
    registered = year_values(run.ensemble["tech_sme_registered"].values[None], run.years, target.target_year)[0]
    certified_smes = included - registered
    counts = run.plan.start.counts
    sme, hte = counts.get("tech_sme", 0), counts.get("hte", 0)
    if register.includes_certified:  # back to registered SMEs only: the start figure had hte taken out
        switched = registered * (sme + hte) / max(sme, 1)
    else:
        switched = registered * max(sme - hte, 0) / max(sme, 1) + certified_smes
    return float(np.median(switched))
