"""Naive forecasting baselines for short annual series, returning predictive draws.

Every baseline works on a transformed scale ``z = g(v)``::

    "log":      z = log(v)                      (counts, money; v > 0)
    "logit":    z = log(p / (1 - p)), p = v/100 (percentages; 0 < v < 100)
    "identity": z = v

forecasts ``z`` there, and returns draws back-transformed with ``g^{-1}``, shape
``(n_draws, len(horizon_years))`` on the original scale. Before back-transforming,
draws are clipped to ``|z| <= 700`` on the log scale (so ``exp`` neither overflows
nor underflows to 0) and to ``|z| <= 30`` on the logit scale (so percentages stay
strictly inside (0, 100), within 1e-11 of a bound at worst). Only the heavy t tails
of a 3-point linear trend reach these limits in practice.

Observations ``(t_i, z_i)``, i = 1..n, are sorted by year; years may have gaps. With
consecutive changes ``d_i = z_i - z_{i-1}`` over gaps ``g_i = t_i - t_{i-1}``
(i = 2..n, m = n - 1 changes, total span ``G = sum g_i = t_n - t_1``) and horizon
``h = year - t_n``:

* **last_value** -- random walk without drift, ``z_t - z_s ~ N(0, sigma^2 (t - s))``.
  ``sigma^2 = (1/m) sum d_i^2 / g_i`` (maximum likelihood); predictive
  ``z_{n+h} ~ N(z_n, sigma^2 h)``.
* **random_walk_drift** -- ``z_t - z_s ~ N(mu (t - s), sigma^2 (t - s))``. The
  generalised-least-squares drift is the gap-weighted mean of per-year changes,
  ``mu = sum g_i (d_i / g_i) / G = (z_n - z_1) / G``, with ``Var(mu) = sigma^2 / G``;
  ``sigma^2 = 1/(m - 1) sum (d_i - mu g_i)^2 / g_i``. Predictive
  ``z_{n+h} ~ N(z_n + mu h, sigma^2 (h + h^2 / G))`` (for gap-free series this is
  the usual ``sigma^2 h (1 + h/m)``).
* **linear_trend** -- OLS ``z = a + b t + e``, ``e ~ N(0, sigma^2)``, needs n >= 3;
  ``s^2 = SSR / (n - 2)``, ``S_tt = sum (t_i - tbar)^2``. Predictive
  ``(z_0 - zhat_0) / (s sqrt(1 + 1/n + (t_0 - tbar)^2 / S_tt)) ~ t_{n-2}``, the
  standard prediction interval including parameter uncertainty. With n < 3 it
  falls back to random_walk_drift (which with n = 1 falls back to last_value);
  ``BaselineForecast.method_used`` names the method that actually ran.

The random-walk baselines use the plug-in normal predictive (the usual convention
for naive benchmarks), not a Student-t: on the log scale ``exp`` of a t variable has
no finite mean, which would make original-scale CRPS of a 2-point random walk
meaningless. The linear trend uses the Student-t as specified, so with n = 3
(1 degree of freedom) its original-scale draws are very heavy-tailed.

Draws are coherent sample paths, not independent per year: the random walks
simulate Brownian increments between successive horizons (plus one drift draw per
path); the linear trend draws ``sigma*^2 = s^2 nu / chi^2_nu``, then
``a*, b* ~ N((ahat, bhat), sigma*^2 (X'X)^{-1})`` and ``z = a* + b* t + sigma* eps``,
whose marginals are exactly the t prediction intervals above.

When the step sd cannot be estimated (one point for last_value, two points for
random_walk_drift) it is the stated default ``default_step_sd``; if not given it
is ``DEFAULT_STEP_SD[scale]`` = 0.10 per year on the log scale (about +-10 % a
year) and 0.10 logit units on the logit scale (about +-2.5 percentage points
near 50 %), and on the identity scale 10 % of ``|last value|`` (an error if the
last value is 0). ``BaselineForecast.sd_source`` records "estimated"/"default".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

Scale = Literal["log", "logit", "identity"]
SdSource = Literal["estimated", "default"]

DEFAULT_STEP_SD: dict[str, float] = {"log": 0.10, "logit": 0.10}
DEFAULT_IDENTITY_RELATIVE_SD = 0.10
LOG_CLIP = 700.0
LOGIT_CLIP = 30.0


@dataclass(frozen=True)
class BaselineForecast:
    """Predictive draws on the original scale and how they were produced."""

    draws: NDArray[np.float64]  # (n_draws, n_horizons)
    horizon_years: NDArray[np.int64]
    method_used: str  # "last_value" | "random_walk_drift" | "linear_trend"
    sd_source: SdSource


def transform_to_model_scale(values: ArrayLike, scale: Scale) -> NDArray[np.float64]:
    """Map original values to the modelling scale; raise if outside the domain."""
    v = np.asarray(values, dtype=float)
    if scale == "identity":
        return v.copy()
    if scale == "log":
        if np.any(v <= 0):
            raise ValueError("scale='log' needs all values > 0")
        return np.log(v)
    if scale == "logit":
        if np.any((v <= 0) | (v >= 100)):
            raise ValueError("scale='logit' needs percentages strictly inside (0, 100)")
        p = v / 100.0
        return np.log(p) - np.log1p(-p)
    raise ValueError(f"unknown scale {scale!r}; use 'log', 'logit' or 'identity'")


def transform_to_original_scale(z: ArrayLike, scale: Scale) -> NDArray[np.float64]:
    """Inverse of `transform_to_model_scale`, with the overflow clips of the module doc."""
    z = np.asarray(z, dtype=float)
    if scale == "identity":
        return z.copy()
    if scale == "log":
        return np.exp(np.clip(z, -LOG_CLIP, LOG_CLIP))
    if scale == "logit":
        return 100.0 * expit(np.clip(z, -LOGIT_CLIP, LOGIT_CLIP))
    raise ValueError(f"unknown scale {scale!r}; use 'log', 'logit' or 'identity'")


def prepare_series(
    years: ArrayLike, values: ArrayLike, horizon_years: ArrayLike, scale: Scale
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Validate, drop non-finite values, sort by year and transform.

    Returns ``(years, z, horizon_years)``; horizon years must be strictly increasing
    integers after the last observed year.
    """
    t = _as_int_years(years, "years")
    v = np.asarray(values, dtype=float).ravel()
    if t.shape != v.shape:
        raise ValueError("years and values must have the same length")
    keep = np.isfinite(v)
    t, v = t[keep], v[keep]
    if t.size == 0:
        raise ValueError("series has no finite observations")
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if np.any(np.diff(t) == 0):
        raise ValueError("duplicate years in series")
    h_years = _as_int_years(horizon_years, "horizon_years")
    if h_years.size == 0 or np.any(np.diff(h_years) <= 0) or h_years[0] <= t[-1]:
        raise ValueError("horizon_years must be non-empty, strictly increasing and after the last observed year")
    return t, transform_to_model_scale(v, scale), h_years


def _as_int_years(years: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(years).ravel()
    if arr.size and not np.all(np.isfinite(arr.astype(float))):
        raise ValueError(f"{name} must be finite")
    if arr.size and not np.all(arr.astype(float) == np.round(arr.astype(float))):
        raise ValueError(f"{name} must be whole years")
    return arr.astype(np.int64)


def check_sampling_args(n_draws: int, rng: np.random.Generator) -> None:
    """Raise unless ``n_draws`` is a positive integer and ``rng`` a numpy Generator."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (e.g. np.random.default_rng(seed))")
    if int(n_draws) != n_draws or n_draws < 1:
        raise ValueError("n_draws must be a positive integer")


def resolve_default_step_sd(z_last: float, scale: Scale, default_step_sd: float | None) -> float:
    """The step sd used when it cannot be estimated (see module doc)."""
    if default_step_sd is not None:
        if not (np.isfinite(default_step_sd) and default_step_sd >= 0):
            raise ValueError("default_step_sd must be a finite number >= 0")
        return float(default_step_sd)
    if scale in DEFAULT_STEP_SD:
        return DEFAULT_STEP_SD[scale]
    if z_last == 0:
        raise ValueError("identity scale with last value 0: pass default_step_sd explicitly")
    return DEFAULT_IDENTITY_RELATIVE_SD * abs(z_last)


def simulate_random_walk_paths(
    z_last: float,
    drift: float,
    drift_sd: float,
    step_sd: float,
    steps: NDArray[np.int64],
    n_draws: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Paths ``z_last + mu* h + step_sd W(h)`` with ``mu* ~ N(drift, drift_sd^2)``.

    ``steps`` are horizons ``h`` (strictly increasing, > 0); W is standard Brownian
    motion, so the marginal variance at ``h`` is ``step_sd^2 h + drift_sd^2 h^2``.
    """
    h = steps.astype(float)
    increments = rng.standard_normal((n_draws, h.size)) * np.sqrt(np.diff(h, prepend=0.0))
    mu = drift + drift_sd * rng.standard_normal((n_draws, 1))
    return z_last + mu * h + step_sd * np.cumsum(increments, axis=1)


def forecast_last_value(
    years: ArrayLike,
    values: ArrayLike,
    horizon_years: ArrayLike,
    n_draws: int,
    rng: np.random.Generator,
    scale: Scale,
    *,
    default_step_sd: float | None = None,
) -> BaselineForecast:
    """Random walk without drift: last value carried forward, spread ``sigma sqrt(h)``."""
    check_sampling_args(n_draws, rng)
    t, z, h_years = prepare_series(years, values, horizon_years, scale)
    if t.size >= 2:
        step_sd = float(np.sqrt(np.mean(np.diff(z) ** 2 / np.diff(t))))
        source: SdSource = "estimated"
    else:
        step_sd = resolve_default_step_sd(z[-1], scale, default_step_sd)
        source = "default"
    paths = simulate_random_walk_paths(z[-1], 0.0, 0.0, step_sd, h_years - t[-1], n_draws, rng)
    draws = transform_to_original_scale(paths, scale)
    return BaselineForecast(draws, h_years, "last_value", source)


def forecast_random_walk_drift(
    years: ArrayLike,
    values: ArrayLike,
    horizon_years: ArrayLike,
    n_draws: int,
    rng: np.random.Generator,
    scale: Scale,
    *,
    default_step_sd: float | None = None,
) -> BaselineForecast:
    """Random walk with gap-weighted drift; variance ``sigma^2 (h + h^2/G)``.

    One point: falls back to `forecast_last_value` (no drift is estimable).
    Two points: the drift is the per-year change, the step sd is the default.
    """
    check_sampling_args(n_draws, rng)
    t, z, h_years = prepare_series(years, values, horizon_years, scale)
    if t.size == 1:
        return forecast_last_value(years, values, horizon_years, n_draws, rng, scale, default_step_sd=default_step_sd)
    d, g = np.diff(z), np.diff(t).astype(float)
    span = float(g.sum())
    drift = float(d.sum() / span)
    if t.size >= 3:
        step_sd = float(np.sqrt(np.sum((d - drift * g) ** 2 / g) / (t.size - 2)))
        source: SdSource = "estimated"
    else:
        step_sd = resolve_default_step_sd(z[-1], scale, default_step_sd)
        source = "default"
    paths = simulate_random_walk_paths(z[-1], drift, step_sd / np.sqrt(span), step_sd, h_years - t[-1], n_draws, rng)
    draws = transform_to_original_scale(paths, scale)
    return BaselineForecast(draws, h_years, "random_walk_drift", source)


def forecast_linear_trend(
    years: ArrayLike,
    values: ArrayLike,
    horizon_years: ArrayLike,
    n_draws: int,
    rng: np.random.Generator,
    scale: Scale,
    *,
    default_step_sd: float | None = None,
) -> BaselineForecast:
    """OLS line on the model scale with Student-t (n - 2 df) predictive draws.

    Fewer than 3 points: falls back to `forecast_random_walk_drift`;
    ``method_used`` of the result says which method ran.
    """
    check_sampling_args(n_draws, rng)
    t, z, h_years = prepare_series(years, values, horizon_years, scale)
    n = t.size
    if n < 3:
        return forecast_random_walk_drift(
            years, values, horizon_years, n_draws, rng, scale, default_step_sd=default_step_sd
        )
    t_bar = t.mean()
    x = t - t_bar
    s_tt = float(np.sum(x**2))
    slope = float(np.sum(x * (z - z.mean())) / s_tt)
    residuals = z - z.mean() - slope * x
    df = n - 2
    s = float(np.sqrt(np.sum(residuals**2) / df))
    sigma = s * np.sqrt(df / rng.chisquare(df, size=(n_draws, 1)))
    level = z.mean() + sigma / np.sqrt(n) * rng.standard_normal((n_draws, 1))
    slope_draw = slope + sigma / np.sqrt(s_tt) * rng.standard_normal((n_draws, 1))
    x0 = (h_years - t_bar)[None, :]
    paths = level + slope_draw * x0 + sigma * rng.standard_normal((n_draws, h_years.size))
    draws = transform_to_original_scale(paths, scale)
    return BaselineForecast(draws, h_years, "linear_trend", "estimated")


BaselineFn = Callable[..., BaselineForecast]

BASELINES: dict[str, BaselineFn] = {
    "last_value": forecast_last_value,
    "random_walk_drift": forecast_random_walk_drift,
    "linear_trend": forecast_linear_trend,
}
