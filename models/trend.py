"""Bayesian local-trend model for one indicator series, optionally pooled with its parent.

Equations, on the transformed scale z = log y for counts and money and z = logit(y/100)
for percentages (so forecasts stay positive and percentages stay inside 0-100). Each
series k (k = 0 the region asked about; k = 1, when present, its parent province) is a
random walk with drift, observed with noise, in continuous time t (years):

    x_k(t) = x_k(t') + g_k (t - t') + s_k (W_k(t) - W_k(t'))     W_k standard Brownian motion
    z_i    ~ Normal(x_k(t_i), sigma_obs c_i)

The path enters the model only at the years that have figures (its states), which is
exact for a random walk and keeps the model small however long the gaps (Langfang's
high-tech count has figures for 2010, 2012, 2020 and 2022):

    x_k(t_0) = level_k;   x_k(t_j) ~ Normal(x_k(t_j-1) + g_k dt_j, s_k sqrt(dt_j))

A lower bound ("over 12,000") enters as an unknown value above the bound,
z_i = bound_i + d_i with d_i ~ HalfNormal(0.10): such phrases in Chinese bulletins
("突破", "超过") round down to a nearby round number.

With a parent, the growth rates are pooled: the region's growth is drawn around its
province's,

    g_parent ~ Normal(mu_g, sd_g);   g_region = g_parent + tau u,  u ~ Normal(0, 1)

with tau fixed (below), so a city with two figures takes its growth from its province,
and a city with a long series moves away from it as far as its data say. (Learning tau
needs many cities at once: that is the hierarchical model's job.)

Trajectories (`predictive_paths`): per posterior draw, the path on the yearly grid is
drawn given the states, exactly: a Brownian bridge between two states, a random walk
with drift after the last one. The reported figure adds the observation noise:
y = inverse_transform(x + sigma_obs n), n ~ Normal(0, 1); targets are judged on it.

Priors (per year, on the transformed scale) and why:

* counts and money (log scale): mu_g = 0.05, sd_g = 0.15: growth between -25% and
  +35% a year is plausible a priori, covering both Hebei's 2017-18 certification push
  (about +30%) and decline; s ~ LogNormal(log 0.10, 0.4): year-to-year departures from
  trend of 5-20%; sigma_obs ~ LogNormal(log 0.05, 0.4): published figures carry
  2.5-10% noise (definitions, timing); tau = 0.10: a city's growth differs from its
  province's by up to about 10 points a year.
* percentages (logit scale): mu_g = 0.03, sd_g = 0.10 (R&D intensity moves a few
  percent of itself a year); s ~ LogNormal(log 0.05, 0.4); sigma_obs ~
  LogNormal(log 0.03, 0.4); tau = 0.05.
* The scale priors are informative on purpose: with two to five figures per series,
  s and sigma_obs are barely identified, and a prior that lets them approach zero
  makes a funnel the sampler cannot explore (divergences), which we saw.
* level_k ~ Normal(first observed z of series k, 1.0): centred on the data, wide
  enough (a factor of e either way) not to bind.
* caveated figures (not year-end, doubtful scope) get c = 4: weaker evidence, kept
  rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import expit, logit

EXACT, CAVEATED, LOWER_BOUND = 0, 1, 2
CAVEAT_NOISE = 4.0
BOUND_EXCESS_SD = 0.10
SCALE_PRIOR_SD = 0.4


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
class Series:
    """One series' observations: years, transformed values and kinds (EXACT, ...)."""

    name: str
    years: np.ndarray
    z: np.ndarray
    kind: np.ndarray

    @property
    def t(self) -> np.ndarray:
        return (self.years - self.years.min()).astype(float)

    @property
    def state_t(self) -> np.ndarray:
        """Distinct observed times; several figures for one year share one state."""
        return np.unique(self.t)

    @property
    def state_idx(self) -> np.ndarray:
        return np.searchsorted(self.state_t, self.t)


@dataclass(frozen=True)
class TrendData:
    """The region's series, its parent's (optional), the scale and the horizon year."""

    series: tuple[Series, ...]
    scale: str
    horizon: int

    @property
    def pooled(self) -> bool:
        return len(self.series) == 2

    @property
    def years(self) -> np.ndarray:
        """The trajectory grid: the region's first observed year to the horizon."""
        return np.arange(int(self.series[0].years.min()), self.horizon + 1)


def to_scale(values: np.ndarray, scale: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.log(values) if scale == "log" else logit(values / 100.0)


def from_scale(z: np.ndarray, scale: str) -> np.ndarray:
    return np.exp(z) if scale == "log" else 100.0 * expit(z)


def make_series(name: str, years: np.ndarray, values: np.ndarray, kinds: np.ndarray, scale: str) -> Series:
    order = np.argsort(years, kind="stable")
    return Series(name, np.asarray(years, dtype=int)[order], to_scale(values, scale)[order], np.asarray(kinds, dtype=int)[order])


def build_trend_model(data: TrendData, priors: TrendPriors | None = None) -> pm.Model:
    """The local-trend model of the module docstring, as a `pm.Model` (not yet sampled).

    The Brownian path is represented only at the years that have observations
    (non-centred increments between them), which is exact for a random walk and keeps
    the model to a handful of parameters however long the gaps.
    """
    priors = priors or PRIORS[data.scale]
    names = [s.name for s in data.series]
    with pm.Model(coords={"series": names}) as model:
        growth = _growth(data.pooled, priors)
        sigma_walk = pm.LogNormal("sigma_walk", np.log(priors.walk_sd), SCALE_PRIOR_SD, dims="series")
        sigma_obs = pm.LogNormal("sigma_obs", np.log(priors.obs_sd), SCALE_PRIOR_SD)
        level = pm.Normal("level", [s.z[0] for s in data.series], 1.0, dims="series")
        for k, series in enumerate(data.series):
            state = _states(k, series, level[k], growth[k], sigma_walk[k])
            _observe(k, series, state, sigma_obs)
    return model


def _states(k: int, series: Series, level, growth, sigma_walk) -> pt.TensorVariable:
    """Path values at the series' distinct observed years (centred: the figures pin them).

    x(t_0) = level;  x(t_j) ~ Normal(x(t_j-1) + g dt_j, s sqrt(dt_j)).
    """
    dt = np.diff(series.state_t)
    if dt.size == 0:
        return pm.Deterministic(f"state_{k}", pt.stack([level]))
    first_of_state = np.searchsorted(series.state_idx, np.arange(1, dt.size + 1))
    later = pm.Flat(f"later_{k}", shape=dt.size, initval=series.z[first_of_state])
    path = pt.concatenate([pt.stack([level]), later])
    pm.Potential(f"walk_{k}", pm.logp(pm.Normal.dist(path[:-1] + growth * dt, sigma_walk * np.sqrt(dt)), later).sum())
    return pm.Deterministic(f"state_{k}", path)


def _growth(pooled: bool, priors: TrendPriors) -> pt.TensorVariable:
    if not pooled:
        return pm.Normal("growth", priors.growth_mu, priors.growth_sd, dims="series")
    parent = pm.Normal("growth_parent", priors.growth_mu, priors.growth_sd)
    offset = pm.Normal("growth_offset", 0.0, 1.0)
    return pm.Deterministic("growth", pt.stack([parent + priors.pool_sd * offset, parent]), dims="series")


def _observe(k: int, series: Series, state: pt.TensorVariable, sigma_obs) -> None:
    """Point figures as observed data; each lower bound as bound + an unknown excess."""
    mu = state[series.state_idx]
    noise = sigma_obs * np.where(series.kind == CAVEATED, CAVEAT_NOISE, 1.0)
    point = np.flatnonzero(series.kind != LOWER_BOUND)
    bound = np.flatnonzero(series.kind == LOWER_BOUND)
    if point.size:
        pm.Normal(f"obs_{k}", mu=mu[point], sigma=noise[point], observed=series.z[point])
    if bound.size:
        excess = pm.HalfNormal(f"bound_excess_{k}", BOUND_EXCESS_SD, shape=bound.size)
        value = series.z[bound] + excess
        pm.Potential(f"obs_bound_{k}", pm.logp(pm.Normal.dist(mu[bound], noise[bound]), value).sum())


def fit_trend(model: pm.Model, *, draws: int, tune: int, chains: int, seed: int, target_accept: float = 0.9, sampler: str = "pymc") -> az.InferenceData:
    """Sample the posterior with NUTS; returns InferenceData with sample stats."""
    with model:
        return pm.sample(
            draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed,
            target_accept=target_accept, progressbar=False, compute_convergence_checks=False,
            nuts_sampler=sampler, **({"compile_kwargs": {"mode": "NUMBA"}} if sampler == "pymc" else {}),
        )


def predictive_paths(idata: az.InferenceData, data: TrendData, rng: np.random.Generator) -> np.ndarray:
    """Reported-value trajectories of the region, shape (chain, draw, year), original scale."""
    post = idata.posterior
    shape = (post.sizes["chain"], post.sizes["draw"])
    flat = lambda name: post[name].values.reshape(shape[0] * shape[1], -1)  # noqa: E731
    states = flat("state_0")
    latent = sample_path(data.series[0], data.years, states, flat("growth")[:, 0], flat("sigma_walk")[:, 0], rng)
    reported = latent + flat("sigma_obs") * rng.standard_normal(latent.shape)
    return from_scale(reported, data.scale).reshape(*shape, -1)


def sample_path(series: Series, grid: np.ndarray, states: np.ndarray, growth: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """x(grid) given x at the state times, per draw: bridges between states, drift after.

    Sampled year by year, each conditional on the previous grid year and the next
    state, so every row is one coherent path with the right joint distribution.
    """
    state_years = series.years.min() + series.state_t
    x = np.empty((states.shape[0], grid.size))
    prev_t, prev_x = float(state_years[0]), states[:, 0]
    for j, year in enumerate(grid):
        later = np.flatnonzero(state_years >= year)
        if later.size and state_years[later[0]] == year:
            x[:, j] = states[:, later[0]]
        elif year <= prev_t:
            raise ValueError(f"grid year {year} is before the first state year {prev_t:g}")
        elif later.size:
            nxt_t, nxt_x = float(state_years[later[0]]), states[:, later[0]]
            w = (year - prev_t) / (nxt_t - prev_t)
            sd = sigma * np.sqrt((year - prev_t) * (nxt_t - year) / (nxt_t - prev_t))
            x[:, j] = prev_x + w * (nxt_x - prev_x) + sd * rng.standard_normal(prev_x.size)
        else:
            x[:, j] = prev_x + growth * (year - prev_t) + sigma * np.sqrt(year - prev_t) * rng.standard_normal(prev_x.size)
        prev_t, prev_x = float(year), x[:, j]
    return x
