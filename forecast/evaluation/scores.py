"""Scoring forecasts given as predictive draws.

Draws have shape ``(n_draws, n_obs)``: column j is a sample from the predictive
distribution F_j of observation ``y_j``. A 1-D ``draws`` is one observation
(``n_obs = 1``). Inputs must be finite; results are per observation unless stated.

* **Central interval** at level ``L``: ``[Q(a), Q(1 - a)]`` with ``a = (1 - L)/2`` and
  ``Q`` the draws' empirical quantile (numpy's default linear interpolation); an
  observation is covered if ``Q(a) <= y <= Q(1 - a)``.
* **CRPS** (energy form) ``CRPS(F, y) = E|X - y| - 1/2 E|X - X'|``, X, X' ~ F iid.
  For the empirical distribution of draws ``x_(1) <= ... <= x_(n)``,
  ``E|X - X'| = (2/n^2) sum_i (2i - n - 1) x_(i)``, so the CRPS of the ensemble is
  ``(1/n) sum_i |x_i - y| - (1/n^2) sum_i (2i - n - 1) x_(i)``, computed by the
  maintained `scoringrules` package (its ``qd`` estimator; ``pwm`` for the fair form). ``fair=True`` replaces ``n^2`` by
  ``n (n - 1)`` in the second term (the unbiased estimator of the CRPS of the
  distribution the draws came from; it can be slightly negative for tiny n).
* **Brier score** ``BS = (1/N) sum_k (p_k - o_k)^2``, ``o_k in {0, 1}``.
* **Reliability table**: ``n_bins`` equal-width bins with edges
  ``np.linspace(0, 1, n_bins + 1)`` (bin b holds ``edge_b <= p < edge_{b+1}``, compared
  in floating point against the printed edges; p = 1 goes in the last bin); per bin
  the mean forecast probability, the observed event frequency and the count.
* **Threshold event probability** ``P(X >= c)`` ("at_least") or ``P(X <= c)``
  ("at_most") as the share of draws satisfying it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import scoringrules as sr
from numpy.typing import ArrayLike, NDArray

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
SCORE_LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)


def coerce_draws(draws: ArrayLike) -> NDArray[np.float64]:
    """Return draws as a finite float array of shape ``(n_draws, n_obs)``."""
    d = np.asarray(draws, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    if d.ndim != 2 or d.shape[0] == 0:
        raise ValueError("draws must have shape (n_draws, n_obs) with n_draws >= 1")
    if not np.all(np.isfinite(d)):
        raise ValueError("draws must be finite")
    return d


def coerce_draws_and_observed(draws: ArrayLike, observed: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``(draws (n_draws, n_obs), observed (n_obs,))``, checked for shape and finiteness."""
    d = coerce_draws(draws)
    y = np.atleast_1d(np.asarray(observed, dtype=float))
    if y.ndim != 1 or y.shape[0] != d.shape[1]:
        raise ValueError(f"observed must have shape ({d.shape[1]},), got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("observed must be finite")
    return d, y


def interval_coverage(draws: ArrayLike, observed: ArrayLike, level: float) -> NDArray[np.bool_]:
    """Whether each observation lies in the central ``level`` interval of its draws."""
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    d, y = coerce_draws_and_observed(draws, observed)
    alpha = (1.0 - level) / 2.0
    lower, upper = np.quantile(d, [alpha, 1.0 - alpha], axis=0)
    return (y >= lower) & (y <= upper)


def aggregate_coverage(covered: ArrayLike) -> float:
    """Share of observations covered (mean of a boolean array)."""
    c = np.asarray(covered, dtype=bool)
    if c.size == 0:
        raise ValueError("no observations to aggregate")
    return float(c.mean())


def crps_from_draws(draws: ArrayLike, observed: ArrayLike, *, fair: bool = False) -> NDArray[np.float64]:
    """CRPS of each observation under the empirical distribution of its draws (scoringrules'
    quantile-decomposition estimator, equal to the energy form for an ensemble; ``pwm`` for the fair one)."""
    d, y = coerce_draws_and_observed(draws, observed)
    if fair and d.shape[0] < 2:
        raise ValueError("fair CRPS needs at least 2 draws")
    return np.asarray(sr.crps_ensemble(y, d, m_axis=0, estimator="pwm" if fair else "qd"), dtype=float)


def coerce_probability_and_outcome(
    prob: ArrayLike, outcome: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return 1-D ``(prob, outcome)`` with ``0 <= prob <= 1`` and outcome in {0, 1}."""
    p = np.atleast_1d(np.asarray(prob, dtype=float)).ravel()
    o = np.atleast_1d(np.asarray(outcome, dtype=float)).ravel()
    if p.shape != o.shape or p.size == 0:
        raise ValueError("prob and outcome must be non-empty and of equal length")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("prob must lie in [0, 1]")
    if not np.all((o == 0) | (o == 1)):
        raise ValueError("outcome must be 0/1 or boolean")
    return p, o


def brier_score(prob: ArrayLike, outcome: ArrayLike) -> float:
    """Mean squared difference between forecast probability and 0/1 outcome."""
    p, o = coerce_probability_and_outcome(prob, outcome)
    return float(np.mean((p - o) ** 2))


def reliability_table(prob: ArrayLike, outcome: ArrayLike, n_bins: int = 10) -> pd.DataFrame:
    """Per equal-width probability bin: mean forecast, observed frequency, count.

    All ``n_bins`` rows are returned; empty bins have count 0 and NaN means.
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError("n_bins must be a positive integer")
    p, o = coerce_probability_and_outcome(prob, outcome)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.minimum(np.searchsorted(edges, p, side="right") - 1, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pred = np.bincount(idx, weights=p, minlength=n_bins) / count
        obs_freq = np.bincount(idx, weights=o, minlength=n_bins) / count
    return pd.DataFrame(
        {
            "bin": np.arange(n_bins),
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "mean_predicted": mean_pred,
            "observed_frequency": obs_freq,
            "count": count,
        }
    )


def predictive_quantiles(draws: ArrayLike, qs: tuple[float, ...] = DEFAULT_QUANTILES) -> pd.DataFrame:
    """Quantiles of the draws: one row per observation, one column per level in ``qs``."""
    q = np.asarray(qs, dtype=float)
    if q.ndim != 1 or q.size == 0 or np.any((q < 0) | (q > 1)):
        raise ValueError("qs must be a non-empty sequence of levels in [0, 1]")
    d = coerce_draws(draws)
    values = np.quantile(d, q, axis=0).T  # (n_obs, len(qs))
    return pd.DataFrame(values, columns=pd.Index(q, name="quantile"))


def threshold_event_probability(
    draws: ArrayLike, threshold: ArrayLike, comparator: Literal["at_least", "at_most"]
) -> NDArray[np.float64]:
    """Share of draws with ``X >= threshold`` ("at_least") or ``X <= threshold`` ("at_most").

    ``threshold`` is a scalar or one value per observation.
    """
    d = coerce_draws(draws)
    c = np.asarray(threshold, dtype=float)
    if c.ndim > 1 or (c.ndim == 1 and c.shape[0] != d.shape[1]) or not np.all(np.isfinite(c)):
        raise ValueError("threshold must be a finite scalar or have shape (n_obs,)")
    if comparator == "at_least":
        return np.mean(d >= c, axis=0)
    if comparator == "at_most":
        return np.mean(d <= c, axis=0)
    raise ValueError("comparator must be 'at_least' or 'at_most'")


def score_forecasts(draws: ArrayLike, observed: ArrayLike) -> dict[str, float]:
    """Summary row: number of observations, coverage at 50/80/95 % and mean CRPS."""
    d, y = coerce_draws_and_observed(draws, observed)
    row: dict[str, float] = {"n_obs": int(y.size)}
    for level in SCORE_LEVELS:
        row[f"coverage_{round(level * 100)}"] = aggregate_coverage(interval_coverage(d, y, level))
    row["mean_crps"] = float(np.mean(crps_from_draws(d, y)))
    return row
