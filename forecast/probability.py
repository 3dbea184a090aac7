"""Probabilities and summaries computed on trajectories, whichever model made them.

Trajectories are arrays of shape (chain, draw, year) on the indicator's own scale;
an ensemble of independent simulation runs is one chain. For a target with deadline
T, P(met) is the share of draws whose value at T meets it (`forecast.inputs.targets`), and
its Monte Carlo standard error is ArviZ's MCSE of that indicator's mean (`models.diagnostics.mcse_mean`),
which accounts for autocorrelation within MCMC chains. From the same draws:

* P(first met in year t): the share of trajectories that meet the target's test in
  year t and in no year before (from the year after the last figure); summed up to t
  it is P(met by t). The test in year t is the target's own with t as its deadline
  (for a growth target the threshold grows with t), so "met by t" means "on track".
* the level reached with probability p: for an "at least" target, the (1 - p)
  quantile of the deadline value (with probability p the figure is at least this);
  for "at most", the p quantile.
* P(all targets met): the share of draw positions where every target is met. Targets
  on one indicator share trajectories, so this is their true joint probability;
  across indicators fitted separately the draws are independent, so the joint
  probability assumes the indicators move independently, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.inputs.targets import Target, target_met
from models.diagnostics import mcse_mean

INTERVAL = (0.10, 0.90)
LEVEL_PROBABILITIES = (0.5, 0.8, 0.9, 0.95)
TRAFFIC_LIGHTS = (("on_track", 0.8), ("at_risk", 0.5), ("off_track", 0.0))
"""Traffic light of a target by its P(met): on track from 0.8, at risk from 0.5, off track below (the report
states these cut-offs on the page; they are a reading aid, not part of the model)."""


@dataclass(frozen=True)
class TargetProbability:
    probability: float
    mc_error: float
    median: float
    low: float
    high: float
    levels: dict[float, float] = field(default_factory=dict)


def year_values(paths: np.ndarray, years: np.ndarray, year: int) -> np.ndarray:
    """The (chain, draw) values of one year."""
    index = np.flatnonzero(np.asarray(years) == year)
    if index.size == 0:
        raise ValueError(f"year {year} is not in the trajectories ({years[0]}-{years[-1]})")
    return paths[..., index[0]]


def met_draws(paths: np.ndarray, years: np.ndarray, target: Target) -> np.ndarray:
    """Boolean (chain, draw): does each trajectory meet the target at its deadline?"""
    at_base = None
    if target.base_value is None and target.base_year is not None and target.base_year in years:
        at_base = year_values(paths, years, target.base_year)
    return target_met(year_values(paths, years, target.target_year), target, at_base)


def probability_met(paths: np.ndarray, years: np.ndarray, target: Target) -> TargetProbability:
    """P(target met), its Monte Carlo error, and the deadline value's median and 80% interval."""
    met = met_draws(paths, years, target).astype(float)
    at_deadline = year_values(paths, years, target.target_year)
    low, median, high = np.quantile(at_deadline, [INTERVAL[0], 0.5, INTERVAL[1]])
    return TargetProbability(
        probability=float(met.mean()),
        mc_error=mc_error(met),
        median=float(median),
        low=float(low),
        high=float(high),
        levels=level_with_probability(at_deadline, target),
    )


def level_with_probability(
    at_deadline: np.ndarray, target: Target, probabilities=LEVEL_PROBABILITIES
) -> dict[float, float]:
    """The level the indicator reaches (at least, or at most for "at most" targets) with probability p."""
    q = [p if target.comparator == "at_most" else 1.0 - p for p in probabilities]
    return dict(zip(probabilities, (float(v) for v in np.quantile(at_deadline, q)), strict=True))


def first_met(paths: np.ndarray, years: np.ndarray, target: Target, after: int) -> pd.DataFrame:
    """Per year from `after` + 1 to the deadline: P(first met that year) and P(met by then)."""
    span = [int(y) for y in years if after < y <= target.target_year]
    if not span:
        return pd.DataFrame({"year": [], "p_first_met": [], "p_met_by": []})
    met = np.stack([met_draws(paths, years, target.model_copy(update={"target_year": y})) for y in span], axis=-1)
    ever = np.cumsum(met, axis=-1) > 0
    first = ever & ~np.concatenate([np.zeros_like(ever[..., :1]), ever[..., :-1]], axis=-1)
    flat = lambda a: a.reshape(-1, a.shape[-1]).mean(axis=0)  # noqa: E731
    return pd.DataFrame({"year": span, "p_first_met": flat(first), "p_met_by": flat(ever)})


def traffic_light(probability: float) -> str | None:
    """'on_track', 'at_risk' or 'off_track' by `TRAFFIC_LIGHTS`; None where there is no probability."""
    if probability is None or not np.isfinite(probability):
        return None
    return next(light for light, lowest in TRAFFIC_LIGHTS if probability >= lowest)


def joint_probability(met: list[np.ndarray]) -> tuple[float, float]:
    """P(all met) and its MC error from aligned boolean (chain, draw) arrays of the targets."""
    shapes = {m.shape for m in met}
    if len(shapes) != 1:
        raise ValueError(f"targets' draws do not align: shapes {sorted(shapes)}")
    every = np.logical_and.reduce(met).astype(float)
    return float(every.mean()), mc_error(every)


def mc_error(indicator: np.ndarray) -> float:
    """MCSE of the mean of a (chain, draw) array; 0 when every draw agrees."""
    if np.all(indicator == indicator.flat[0]):
        return 0.0
    return mcse_mean(indicator)


def band_quantiles(paths: np.ndarray, levels=(0.025, 0.10, 0.25, 0.5, 0.75, 0.90, 0.975)) -> dict[float, np.ndarray]:
    """Per-year quantiles of the trajectories (for fan charts and tables)."""
    flat = paths.reshape(-1, paths.shape[-1])
    return {q: np.quantile(flat, q, axis=0) for q in levels}
