"""Bayesian local-trend model for one indicator series, optionally pooled with its parent.

Equations (on the transformed scale z = log y for counts and money, z = logit(y/100)
for percentages, so forecasts stay positive and percentages stay inside 0-100):

    x[k, t0]     ~ Normal(z_first[k], 1.5)                     level in the first year
    x[k, t]      = x[k, t-1] + g[k] + sigma_walk[k] * e[k, t]  e ~ Normal(0, 1)
    z_obs[i]     ~ Normal(x[k_i, t_i], sigma_obs * c_i)        an exact or caveated value
    z_obs[i]     <= x[k_i, t_i] + noise                        a lower bound ("over 12,000"),
                                                               as a censored observation

Series k = 0 is the region asked about; k = 1, when present, is its parent (Hebei for
a Hebei city). With a parent the growth rates are partially pooled:

    g[parent] ~ Normal(mu_g, sd_g);  g[region] = g[parent] + tau * u,  u ~ Normal(0, 1)

so a city with two data points takes its growth from the province, and a city with a
long series moves away from it as far as its data say. The years run from the first
observation to the horizon; years after the last observation have no data, so their
levels are the posterior predictive trajectory. The reported value in a year adds the
observation noise: y = inverse_transform(x + sigma_obs * n), n ~ Normal(0, 1).

Priors (per year, on the transformed scale) and why:

* counts and money (log scale): mu_g = 0.05, sd_g = 0.15, so growth between -25% and
  +35% a year is plausible a priori, covering both the 2017-18 certification push in
  Hebei (~+30%) and decline; sigma_walk ~ HalfNormal(0.10): year-to-year deviations
  from trend of about 10%; sigma_obs ~ HalfNormal(0.05): published figures carry
  about 5% reporting noise (definitions, timing); tau ~ HalfNormal(0.10): a city's
  growth differs from its province's by about 10 points a year at most.
* percentages (logit scale): mu_g = 0.03, sd_g = 0.10 (R&D intensity moves a few
  percent of itself a year); sigma_walk ~ HalfNormal(0.05); sigma_obs ~ HalfNormal(0.03);
  tau ~ HalfNormal(0.05).
* caveated values (not year-end, doubtful scope) get their noise multiplied by c = 4:
  a mid-year count or a partial scope is weaker evidence, kept rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import expit, logit

EXACT, CAVEATED, LOWER_BOUND = 0, 1, 2
CAVEAT_NOISE = 4.0


@dataclass(frozen=True)
class TrendPriors:
    growth_mu: float
    growth_sd: float
    walk_sd: float
    obs_sd: float
    pool_sd: float


PRIORS = {
    "log": TrendPriors(growth_mu=0.05, growth_sd=0.15, walk_sd=0.10, obs_sd=0.05, pool_sd=0.10),
    "logit": TrendPriors(growth_mu=0.03, growth_sd=0.10, walk_sd=0.05, obs_sd=0.03, pool_sd=0.05),
}


@dataclass(frozen=True)
class TrendData:
    """Observations on the yearly grid `years` for series 0 (region) and 1 (parent)."""

    years: np.ndarray
    series: tuple[str, ...]
    series_idx: np.ndarray
    year_idx: np.ndarray
    z: np.ndarray
    kind: np.ndarray
    scale: str
    notes: tuple[str, ...] = field(default=())

    @property
    def pooled(self) -> bool:
        return len(self.series) == 2


def to_scale(values: np.ndarray, scale: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.log(values) if scale == "log" else logit(values / 100.0)


def from_scale(z: np.ndarray, scale: str) -> np.ndarray:
    return np.exp(z) if scale == "log" else 100.0 * expit(z)


def make_trend_data(observations: list[tuple[np.ndarray, np.ndarray, np.ndarray]], names: tuple[str, ...], horizon: int, scale: str) -> TrendData:
    """Stack (years, values, kinds) per series onto one yearly grid ending at `horizon`."""
    first = min(int(np.min(years)) for years, _, _ in observations)
    grid = np.arange(first, horizon + 1)
    series_idx = np.concatenate([np.full(len(y), k) for k, (y, _, _) in enumerate(observations)])
    years = np.concatenate([y for y, _, _ in observations]).astype(int)
    values = np.concatenate([v for _, v, _ in observations])
    kinds = np.concatenate([c for _, _, c in observations]).astype(int)
    return TrendData(grid, names, series_idx, years - first, to_scale(values, scale), kinds, scale)


def build_trend_model(data: TrendData, priors: TrendPriors | None = None) -> pm.Model:
    """The local-trend model of the module docstring, as a `pm.Model` (not yet sampled)."""
    priors = priors or PRIORS[data.scale]
    z_first = np.array([data.z[data.series_idx == k][np.argmin(data.year_idx[data.series_idx == k])] for k in range(len(data.series))])
    coords = {"series": list(data.series), "year": data.years.tolist(), "step": data.years[1:].tolist()}
    with pm.Model(coords=coords) as model:
        growth = _growth(data.pooled, priors)
        sigma_walk = pm.HalfNormal("sigma_walk", priors.walk_sd, dims="series")
        level0 = pm.Normal("level0", z_first, 1.5, dims="series")
        innovation = pm.Normal("innovation", 0.0, 1.0, dims=("series", "step"))
        steps = growth[:, None] + sigma_walk[:, None] * innovation
        path = pt.concatenate([level0[:, None], level0[:, None] + pt.cumsum(steps, axis=1)], axis=1)
        latent = pm.Deterministic("latent", path, dims=("series", "year"))
        sigma_obs = pm.HalfNormal("sigma_obs", priors.obs_sd)
        _observe(latent, sigma_obs, data)
    return model


def _growth(pooled: bool, priors: TrendPriors) -> pt.TensorVariable:
    if not pooled:
        return pm.Normal("growth", priors.growth_mu, priors.growth_sd, dims="series")
    parent = pm.Normal("growth_parent", priors.growth_mu, priors.growth_sd)
    tau = pm.HalfNormal("tau", priors.pool_sd)
    offset = pm.Normal("growth_offset", 0.0, 1.0)
    return pm.Deterministic("growth", pt.stack([parent + tau * offset, parent]), dims="series")


def _observe(latent: pt.TensorVariable, sigma_obs: pt.TensorVariable, data: TrendData) -> None:
    mu = latent[data.series_idx, data.year_idx]
    scale = sigma_obs * np.where(data.kind == CAVEATED, CAVEAT_NOISE, 1.0)
    point = data.kind != LOWER_BOUND
    if point.any():
        pm.Normal("obs", mu[np.flatnonzero(point)], scale[np.flatnonzero(point)], observed=data.z[point])
    if (~point).any():
        bound = np.flatnonzero(~point)
        dist = pm.Normal.dist(mu[bound], scale[bound])
        pm.Censored("obs_lower_bound", dist, lower=None, upper=data.z[~point], observed=data.z[~point])


def fit_trend(model: pm.Model, *, draws: int, tune: int, chains: int, seed: int, target_accept: float = 0.95, sampler: str = "pymc") -> az.InferenceData:
    """Sample the posterior with NUTS; returns InferenceData with sample stats."""
    with model:
        return pm.sample(
            draws=draws, tune=tune, chains=chains, cores=min(chains, 2), random_seed=seed,
            target_accept=target_accept, progressbar=False, compute_convergence_checks=False,
            nuts_sampler=sampler,
        )


def predictive_paths(idata: az.InferenceData, series: int, scale: str, rng: np.random.Generator) -> np.ndarray:
    """Reported-value trajectories, shape (chain, draw, year), on the original scale."""
    latent = idata.posterior["latent"].isel(series=series).values  # (chain, draw, year)
    sigma = idata.posterior["sigma_obs"].values[..., None]
    z = latent + sigma * rng.standard_normal(latent.shape)
    return from_scale(z, scale)
