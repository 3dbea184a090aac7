"""Probabilities and summaries computed on trajectories, whichever model made them.

Trajectories are arrays of shape (chain, draw, year) on the indicator's own scale;
an ensemble of independent simulation runs is one chain. For a target with deadline
T, P(met) is the share of draws whose value at T meets it (`forecast.targets`), and
its Monte Carlo standard error is ArviZ's MCSE of that indicator's mean, which
accounts for autocorrelation within MCMC chains.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np

from forecast.targets import Target, target_met

INTERVAL = (0.10, 0.90)


@dataclass(frozen=True)
class TargetProbability:
    probability: float
    mc_error: float
    median: float
    low: float
    high: float


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
    )


def mc_error(indicator: np.ndarray) -> float:
    """MCSE of the mean of a (chain, draw) array; 0 when every draw agrees."""
    if np.all(indicator == indicator.flat[0]):
        return 0.0
    values = np.asarray(indicator, dtype=float)
    return float(np.ravel(az.mcse(values[None, :] if values.ndim == 1 else values))[0])


def band_quantiles(paths: np.ndarray, levels=(0.025, 0.10, 0.25, 0.5, 0.75, 0.90, 0.975)) -> dict[float, np.ndarray]:
    """Per-year quantiles of the trajectories (for fan charts and tables)."""
    flat = paths.reshape(-1, paths.shape[-1])
    return {q: np.quantile(flat, q, axis=0) for q in levels}
