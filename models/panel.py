"""Hierarchical trend models for a panel of regions: one indicator, partial pooling.

Scale: z = log y for counts and money, z = logit(y/100) for percentages (forecasts
stay positive, percentages inside 0-100). Every region r of the panel (all regions
with a figure for the indicator up to the cut-off) has a latent path on a yearly
grid, a random walk around a trend, observed with noise:

    x_r(t) = x_r(t-1) + g_r(t) + s_r e_r(t),        e ~ Normal(0, 1)
    z_i    ~ Normal(x_{r_i}(t_i), sigma_obs c_i)      c = 1, or 4 for caveated figures

Three trend variants, compared by LOO and stacked (`forecast.trend.pipeline`):

    drift        g_r(t) = g_r                                          steady growth
    damped       g_r(t) = g_inf + (g_r - g_inf) phi^(t - T0)           growth that slows
    local_trend  g_r(t) = g_r + sigma_d sum_{u=T0+1..t} eta_r(u)       growth that shifts

T0 is the panel's first year. The local trend is the structural-break component: a
policy push (Hebei's 2017-18 certification drive, which doubled the count) shows up as
a shift in g_r(t) that the data can place, instead of being averaged into one rate.

Partial pooling of growth follows the region tree (regions.csv `parent`): a region
whose parent is in the panel draws its growth around its parent's, a region without
one around the panel mean:

    g_root  = mu + tau_root u_r;     g_child = g_parent(r) + tau_child u_r;   u ~ Normal(0, 1)

(with fewer than three top-level regions, each gets g_root ~ Normal(growth_mu, growth_sd)
instead: one or two series cannot inform a spread, and trying gave a ridge).

and the walk scales share a log-normal population: log s_r = log s_mu + 0.25 v_r
(the spread is fixed: a handful of short series cannot identify it, and a free spread
made a funnel the sampler diverged in).
A city with one or two figures thus takes its growth and volatility from its province
and its neighbours; a long series moves away from them as far as its data say.

The path enters the model only at the years with figures (its states), exact for a
random walk given the trend: x_r(t_j) ~ Normal(x_r(t_{j-1}) + G_r(t_j) - G_r(t_{j-1}),
s_r sqrt(t_j - t_{j-1})), where G_r is the cumulative sum of g_r.

Other observation kinds:
* a lower bound ("over 12,000") enters as bound + d, d ~ HalfNormal(0.10): such
  phrases round down to a nearby round number;
* a stock-flow proxy (`PROXY`): where the data give certifications per year C_t and
  the stock of certified firms S_t, a certificate is valid three years, so the
  year-end stock is the certificates of the last three years still held,
  S_t = rho (C_t + C_{t-1} + C_{t-2}). With C from the data, log(C_t + C_{t-1} +
  C_{t-2}) is a noisy reading of x(t) - log rho, which ties stock years without a
  stock figure to the flows (Hebei 2021, 2023).

Priors (per year, on the model scale) and why:

* mu ~ Normal(growth_mu, growth_sd): counts/money 0.05 +- 0.15 (growth between -25% and
  +35% a year covers both the certification push and decline); percentages 0.03 +- 0.10.
* tau_root ~ HalfNormal(growth_sd / 2), tau_child ~ HalfNormal(pool_sd): regions differ
  in growth by a few points to ~10 points a year; a city differs from its province by less.
* s_mu ~ LogNormal(log walk_sd, 0.4), spread 0.25 (a factor 1.3 between regions): year-to-year departures of
  5-20% (log) or 2.5-10% (logit); the prior is informative on purpose, since with a few
  figures per series a scale that may approach zero makes a funnel (divergences).
* sigma_obs ~ LogNormal(log obs_sd, 0.4): published figures carry 2.5-10% noise.
* level_r ~ Normal(first z of r, 1): centred on the data, too wide to bind.
* damped: phi ~ Beta(9, 1.5) (mean 0.86: growth gap halves in about 4-5 years);
  g_inf ~ Normal(long_mu, long_sd): counts/money 0.05 +- 0.05 (nominal GDP growth),
  percentages 0.0 +- 0.05 (a share cannot grow for ever).
* local_trend: sigma_d ~ LogNormal(log drift_sd, 0.5), drift_sd = 0.02 (log) or 0.01
  (logit): growth shifts by about 2 points a year.
* stock-flow: log rho ~ Normal(0, 0.3); sigma_proxy ~ LogNormal(log 0.10, 0.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, logit
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:  # PyMC, PyTensor and ArviZ are imported where a model is built or sampled (seconds to import)
    import arviz as az
    import pymc as pm
    import pytensor.tensor as pt

EXACT, CAVEATED, LOWER_BOUND, PROXY = 0, 1, 2, 3
CAVEAT_NOISE = 4.0
BOUND_EXCESS_SD = 0.10
SCALE_PRIOR_SD = 0.4
WALK_SPREAD = 0.25
MIN_POOLED_ROOTS = 3
VARIANTS = ("drift", "damped", "local_trend")


@dataclass(frozen=True)
class PanelPriors:
    growth_mu: float
    growth_sd: float
    walk_sd: float
    obs_sd: float
    pool_sd: float
    long_mu: float
    long_sd: float
    drift_sd: float


PRIORS = {
    "log": PanelPriors(
        growth_mu=0.05,
        growth_sd=0.15,
        walk_sd=0.10,
        obs_sd=0.05,
        pool_sd=0.10,
        long_mu=0.05,
        long_sd=0.05,
        drift_sd=0.02,
    ),
    "logit": PanelPriors(
        growth_mu=0.03,
        growth_sd=0.10,
        walk_sd=0.05,
        obs_sd=0.03,
        pool_sd=0.05,
        long_mu=0.0,
        long_sd=0.05,
        drift_sd=0.01,
    ),
}


def to_scale(values, scale: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.log(values) if scale == "log" else logit(values / 100.0)


def from_scale(z, scale: str) -> np.ndarray:
    return np.exp(z) if scale == "log" else 100.0 * expit(z)


@dataclass(frozen=True)
class PanelData:
    """Observations of one indicator for several regions, on the model scale.

    `parent[r]` is the index of r's parent in `regions`, or -1. Observation arrays are
    aligned: region index, year, transformed value, kind (EXACT, CAVEATED, LOWER_BOUND,
    PROXY). `end_year` is the cut-off: the last year the fit may see.
    """

    regions: tuple[str, ...]
    parent: np.ndarray
    region_idx: np.ndarray
    year: np.ndarray
    z: np.ndarray
    kind: np.ndarray
    scale: str
    end_year: int
    family: str = ""
    """The indicator's prior family for the common-growth model (`models.common_trend.family_of`)."""
    basis: np.ndarray | None = None
    """(N,) bool: figures on an earlier basis (`models.trend_terms`; read by the common-growth model). Default none."""

    @property
    def on_basis(self) -> np.ndarray:
        return np.zeros(self.z.size) if self.basis is None else np.asarray(self.basis, dtype=float)

    @property
    def start_year(self) -> int:
        return int(self.year.min())

    @property
    def grid(self) -> np.ndarray:
        return np.arange(self.start_year, self.end_year + 1)

    def state_years(self, r: int) -> np.ndarray:
        return np.unique(self.year[self.region_idx == r])

    @property
    def depth(self) -> np.ndarray:
        depth = np.zeros(len(self.regions), dtype=int)
        for r in range(len(self.regions)):
            p = self.parent[r]
            while p >= 0:
                depth[r] += 1
                p = self.parent[p]
        return depth


@dataclass(frozen=True)
class StateIndex:
    """Flattened states of all regions: which region, which year, and the transitions."""

    region: np.ndarray
    year: np.ndarray
    first: np.ndarray  # index of each region's first state
    prev: np.ndarray  # transitions: from state prev[k] to state nxt[k]
    nxt: np.ndarray
    obs_state: np.ndarray  # state of each observation


def index_states(data: PanelData) -> StateIndex:
    regions, years = [], []
    for r in range(len(data.regions)):
        ys = data.state_years(r)
        regions += [r] * ys.size
        years += ys.tolist()
    region, year = np.array(regions), np.array(years)
    first = np.array([np.flatnonzero(region == r)[0] for r in range(len(data.regions))])
    later = np.setdiff1d(np.arange(region.size), first)
    lookup = {(r, y): k for k, (r, y) in enumerate(zip(region, year, strict=True))}
    obs_state = np.array([lookup[(r, y)] for r, y in zip(data.region_idx, data.year, strict=True)])
    return StateIndex(region, year, first, later - 1, later, obs_state)


def build_panel_model(
    data: PanelData, variant: str = "drift", priors: PanelPriors | None = None, pooling: bool = True
) -> pm.Model:
    """The model of the module docstring for one trend variant, as an unsampled `pm.Model`."""
    import pymc as pm
    import pytensor.tensor as pt

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    priors = priors or PRIORS[data.scale]
    idx = index_states(data)
    n_regions = len(data.regions)
    coords = {
        "region": list(data.regions),
        "year": data.grid.tolist(),
        "state_index": np.arange(idx.region.size).tolist(),
    }
    with pm.Model(coords=coords) as model:
        growth = _pooled_growth(data, priors, pooling)
        log_s_mu = pm.Normal("log_sigma_walk_mu", np.log(priors.walk_sd), SCALE_PRIOR_SD)
        v = pm.Normal("sigma_walk_offset", 0.0, 1.0, dims="region")
        sigma_walk = pm.Deterministic("sigma_walk", pt.exp(log_s_mu + WALK_SPREAD * v), dims="region")
        sigma_obs = pm.LogNormal("sigma_obs", np.log(priors.obs_sd), SCALE_PRIOR_SD)
        path = pm.Deterministic(
            "growth_path", _growth_path(variant, growth, data, priors, n_regions), dims=("region", "year")
        )
        cumulative = pt.cumsum(path, axis=1)
        first_z = [data.z[(data.region_idx == r) & (data.kind != PROXY)][:1] for r in range(n_regions)]
        level = pm.Normal("level", [float(z[0]) if z.size else 0.0 for z in first_z], 1.0, dims="region")
        stock_flow = _stock_flow_parameters(data)
        state = _states(idx, data, level, cumulative, sigma_walk, sigma_obs, stock_flow)
        _observe(data, idx, state, sigma_obs, stock_flow)
    return model


def _pooled_growth(data: PanelData, priors: PanelPriors, pooling: bool) -> pt.TensorVariable:
    """g_r: around the parent's growth where the parent is in the panel, else the mean."""
    import pymc as pm
    import pytensor.tensor as pt

    u = pm.Normal("growth_offset", 0.0, 1.0, dims="region")
    if not pooling:
        return pm.Deterministic("growth", priors.growth_mu + priors.growth_sd * u, dims="region")
    depth = data.depth
    roots = np.flatnonzero(depth == 0)
    growth = pt.zeros(len(data.regions))
    if roots.size >= MIN_POOLED_ROOTS:
        mu = pm.Normal("growth_mu", priors.growth_mu, priors.growth_sd)
        tau_root = pm.HalfNormal("tau_root", priors.growth_sd / 2)
        growth = pt.set_subtensor(growth[roots], mu + tau_root * u[roots])
    else:
        # One or two top regions cannot inform a spread between them; pooling them
        # made a ridge (mu + tau u = g) that the sampler diverged on.
        growth = pt.set_subtensor(growth[roots], priors.growth_mu + priors.growth_sd * u[roots])
    tau_child = pm.HalfNormal("tau_child", priors.pool_sd) if np.any(data.parent >= 0) else None
    for d in range(1, depth.max() + 1):
        members = np.flatnonzero(depth == d)
        growth = pt.set_subtensor(growth[members], growth[data.parent[members]] + tau_child * u[members])
    return pm.Deterministic("growth", growth, dims="region")


def _growth_path(variant: str, growth, data: PanelData, priors: PanelPriors, n_regions: int) -> pt.TensorVariable:
    """g_r(t) on the panel grid, shape (region, year)."""
    import pymc as pm
    import pytensor.tensor as pt

    steps = np.arange(data.grid.size, dtype=float)
    if variant == "drift":
        return pt.outer(growth, pt.ones(data.grid.size))
    if variant == "damped":
        phi = pm.Beta("phi", 9.0, 1.5)
        g_inf = pm.Normal("growth_long_run", priors.long_mu, priors.long_sd)
        return g_inf + pt.outer(growth - g_inf, phi**steps)
    sigma_d = pm.LogNormal("sigma_drift", np.log(priors.drift_sd), 0.5)
    eta = pm.Normal("drift_innovation", 0.0, 1.0, shape=(n_regions, data.grid.size - 1))
    shifts = pt.concatenate([pt.zeros((n_regions, 1)), pt.cumsum(eta, axis=1)], axis=1)
    return growth[:, None] + sigma_d * shifts


def _stock_flow_parameters(data: PanelData):
    """(log rho, sigma_proxy) when the panel has stock-flow proxies, else None."""
    import pymc as pm

    if not np.any(data.kind == PROXY):
        return None
    return pm.Normal("stock_flow_log_rho", 0.0, 0.3), pm.LogNormal("sigma_stock_flow", np.log(0.10), SCALE_PRIOR_SD)


def _proxy_only_states(idx: StateIndex, data: PanelData, weight: np.ndarray) -> dict[int, int]:
    """State -> its proxy observation, for states with a proxy and no point figure."""
    return {int(idx.obs_state[i]): int(i) for i in np.flatnonzero(data.kind == PROXY) if weight[idx.obs_state[i]] == 0}


def _states(
    idx: StateIndex, data: PanelData, level, cumulative, sigma_walk, sigma_obs, stock_flow=None
) -> pt.TensorVariable:
    """Path values at the observed years, parametrised for the sampler's sake.

    A state with point figures is written x = anchor - a eps, eps ~ Normal(0, 1), with
    anchor the precision-weighted mean of its figures and a = sigma_obs / sqrt(sum 1/c^2)
    the noise of that mean. This is the same posterior as observing the figures (the
    Jacobian a cancels the 1/a of the Gaussian; `_within_state_spread` adds the part of
    the likelihood that does not depend on x), but the sampler sees a near-standard
    normal instead of the funnel between sigma_obs, sigma_walk and the states that the
    centred form gave us (divergences). A state with only a stock-flow proxy is anchored
    the same way on it (x = z + log rho - sigma_proxy eps); a state with only a lower
    bound is written non-centred on the walk from the state before. The walk between
    all other consecutive states enters as a potential.
    """
    import pymc as pm
    import pytensor.tensor as pt

    anchor, weight = _anchors(idx, data)
    anchored = np.flatnonzero(weight > 0)
    eps = pm.Normal("state_innovation", 0.0, 1.0, shape=idx.region.size)
    state = pt.zeros(idx.region.size)
    state = pt.set_subtensor(state[anchored], anchor[anchored] - sigma_obs / np.sqrt(weight[anchored]) * eps[anchored])
    by_proxy = _proxy_only_states(idx, data, weight)
    if by_proxy:
        log_rho, sigma_proxy = stock_flow
        ks, rows = np.array(list(by_proxy)), np.array(list(by_proxy.values()))
        state = pt.set_subtensor(state[ks], data.z[rows] + log_rho - sigma_proxy * eps[ks])
        weight = weight.copy()
        weight[ks] = -1.0  # anchored: neither free nor walked from the state before
    free_first = idx.first[weight[idx.first] == 0]
    if free_first.size:
        state = pt.set_subtensor(state[free_first], level[idx.region[free_first]])
    t_of = idx.year - data.start_year
    # states with no point figure (lower bounds only), walked from the state before; in
    # generations, so one set_subtensor places all whose previous state is already set
    # (one per state made the graph rewriter run for minutes)
    pending = {int(k): int(k_prev) for k_prev, k in zip(idx.prev, idx.nxt, strict=True) if weight[k] == 0}
    while pending:
        ready = np.array([k for k, k_prev in pending.items() if k_prev not in pending], dtype=int)
        prev = np.array([pending[k] for k in ready], dtype=int)
        r = idx.region[ready]
        mean = state[prev] + cumulative[r, t_of[ready]] - cumulative[r, t_of[prev]]
        state = pt.set_subtensor(state[ready], mean + sigma_walk[r] * np.sqrt(t_of[ready] - t_of[prev]) * eps[ready])
        for k in ready:
            del pending[int(k)]
    walked = np.array([weight[k] != 0 for k in idx.nxt], dtype=bool)
    if walked.any():
        prev, nxt = idx.prev[walked], idx.nxt[walked]
        r = idx.region[nxt]
        mean = state[prev] + cumulative[r, t_of[nxt]] - cumulative[r, t_of[prev]]
        sd = sigma_walk[r] * np.sqrt(t_of[nxt] - t_of[prev])
        pm.Potential("walk", normal_logp(state[nxt], mean, sd).sum())
    return pm.Deterministic("state", state, dims="state_index")


def normal_logp(x, mu, sd):
    """log Normal(x | mu, sd), written out: PyMC's `pm.logp` on expressions that hold
    random variables sends its graph rewriter into minutes-long passes."""
    import pytensor.tensor as pt

    return -0.5 * ((x - mu) / sd) ** 2 - pt.log(sd) - 0.5 * np.log(2 * np.pi)


def _anchors(idx: StateIndex, data: PanelData) -> tuple[np.ndarray, np.ndarray]:
    """Per state: precision-weighted mean of its point figures and the sum of weights 1/c^2."""
    point = (data.kind == EXACT) | (data.kind == CAVEATED)
    w = np.where(data.kind == CAVEATED, CAVEAT_NOISE**-2, 1.0) * point
    weight = np.bincount(idx.obs_state, weights=w, minlength=idx.region.size)
    total = np.bincount(idx.obs_state, weights=w * data.z, minlength=idx.region.size)
    return np.divide(total, weight, out=np.zeros_like(total), where=weight > 0), weight


def _observe(data: PanelData, idx: StateIndex, state, sigma_obs, stock_flow=None) -> None:
    """The parts of the likelihood the anchored states do not carry.

    Several point figures for one year: their spread around the anchor; lower bounds:
    bound + an unknown excess; stock-flow proxies: a noisy reading of x - log rho.
    """
    import pymc as pm

    _within_state_spread(data, idx, sigma_obs)
    mu = state[idx.obs_state]
    noise = sigma_obs * np.where(data.kind == CAVEATED, CAVEAT_NOISE, 1.0)
    bound = np.flatnonzero(data.kind == LOWER_BOUND)
    _, weight = _anchors(idx, data)
    anchored_on_proxy = set(_proxy_only_states(idx, data, weight).values())
    proxy = np.array([i for i in np.flatnonzero(data.kind == PROXY) if i not in anchored_on_proxy], dtype=int)
    if bound.size:
        excess = pm.HalfNormal("bound_excess", BOUND_EXCESS_SD, shape=bound.size)
        pm.Potential("obs_bound", normal_logp(data.z[bound] + excess, mu[bound], noise[bound]).sum())
    if proxy.size:
        log_rho, sigma_proxy = stock_flow
        pm.Normal("obs_stock_flow", mu=mu[proxy] - log_rho, sigma=sigma_proxy, observed=data.z[proxy])


def _within_state_spread(data: PanelData, idx: StateIndex, sigma_obs) -> None:
    """log prod_i N(z_i | anchor, sigma c_i) - log N(anchor | anchor, a), for states with 2+ figures."""
    import pymc as pm
    import pytensor.tensor as pt

    anchor, weight = _anchors(idx, data)
    point = np.flatnonzero((data.kind == EXACT) | (data.kind == CAVEATED))
    shared = np.flatnonzero(np.bincount(idx.obs_state[point], minlength=idx.region.size) > 1)
    rows = point[np.isin(idx.obs_state[point], shared)]
    if rows.size == 0:
        return
    c = np.where(data.kind[rows] == CAVEATED, CAVEAT_NOISE, 1.0)
    figures = normal_logp(data.z[rows], anchor[idx.obs_state[rows]], sigma_obs * c).sum()
    # log N(anchor | anchor, a) = -log a - log(2 pi)/2, written without the zero square:
    # pytensor's rewriter loops for minutes on (0/a)**2
    means = -pt.log(sigma_obs / np.sqrt(weight[shared])).sum() - 0.5 * np.log(2 * np.pi) * shared.size
    pm.Potential("obs_spread", figures - means)


def pointwise_log_likelihood(idata: az.InferenceData, data: PanelData) -> np.ndarray:
    """log N(z_i | x_state(i), sigma_obs c_i) per draw for every point figure: (chain, draw, obs)."""
    idx = index_states(data)
    point = np.flatnonzero((data.kind == EXACT) | (data.kind == CAVEATED))
    state = idata.posterior["state"].values[..., idx.obs_state[point]]
    sd = idata.posterior["sigma_obs"].values[..., None] * np.where(data.kind[point] == CAVEATED, CAVEAT_NOISE, 1.0)
    return -0.5 * ((data.z[point] - state) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)


def fit_panel(
    model: pm.Model,
    data: PanelData,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    target_accept: float = 0.95,
    sampler: str = "pymc",
) -> az.InferenceData:
    """NUTS (PyMC's, compiled with numba, or nutpie), plus the pointwise log-likelihood of
    the point figures (group `log_likelihood`, variable `obs`) for LOO."""
    import arviz as az

    idata = sample_nuts(
        model, draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept, sampler=sampler
    )
    loglik = pointwise_log_likelihood(idata, data)
    if loglik.shape[-1]:
        idata.extend(az.from_dict(log_likelihood={"obs": loglik}, dims={"obs": ["figure"]}))
    return idata


def sample_nuts(
    model: pm.Model, *, draws: int, tune: int, chains: int, seed: int, target_accept: float, sampler: str = "pymc"
) -> az.InferenceData:
    """NUTS, chains one after the other: PyMC's compiled with numba, or nutpie.

    BLAS runs on one thread: the matrices are small, and OpenBLAS's threads, spinning
    against each other on a busy two-core machine, made each gradient of a dense
    covariance 30 times slower (and a thread count must not change the numbers).
    """
    import pymc as pm

    kwargs = {"compile_kwargs": {"mode": "NUMBA"}} if sampler == "pymc" else {}
    with model, threadpool_limits(limits=1, user_api="blas"):
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            random_seed=seed,
            target_accept=target_accept,
            progressbar=False,
            compute_convergence_checks=False,
            nuts_sampler=sampler,
            **kwargs,
        )


def future_growth(
    variant: str, posterior: dict[str, np.ndarray], r: int, n_years: int, n_grid: int, rng: np.random.Generator
) -> np.ndarray:
    """g_r(t) for the `n_years` years after the panel grid, per draw: shape (draws, n_years)."""
    steps = np.arange(n_grid, n_grid + n_years)
    if variant == "drift":
        return np.repeat(posterior["growth"][:, r, None], n_years, axis=1)
    if variant == "damped":
        g_inf = posterior["growth_long_run"][:, None]
        return g_inf + (posterior["growth"][:, r, None] - g_inf) * posterior["phi"][:, None] ** steps
    last = posterior["growth_path"][:, r, -1, None]
    shocks = rng.standard_normal((last.shape[0], n_years))
    return last + posterior["sigma_drift"][:, None] * np.cumsum(shocks, axis=1)


def predictive_paths(
    idata: az.InferenceData, data: PanelData, variant: str, region: str, horizon: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Reported-value trajectories of one region: (years, array (chain, draw, year)).

    Years run from the region's first figure to `horizon`. Between the region's states
    the path is a bridge given the trend; after its last state a random walk around
    the trend (continued into the future by `future_growth`). The reported figure
    adds observation noise: y = inverse_transform(x + sigma_obs n).
    """
    r = data.regions.index(region)
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    flat = {name: post[name].values.reshape(n_chain * n_draw, *post[name].shape[2:]) for name in post.data_vars}
    idx = index_states(data)
    mine = np.flatnonzero(idx.region == r)
    state_years, states = idx.year[mine], flat["state"][:, mine]
    g_in = flat["growth_path"][:, r, :]
    g_out = future_growth(variant, flat, r, max(horizon - data.end_year, 0), data.grid.size, rng)
    growth = np.concatenate([g_in, g_out], axis=1)
    cumulative = np.cumsum(growth, axis=1)
    years = np.arange(int(state_years[0]), horizon + 1)
    latent = _bridge(years, state_years, states, cumulative, data.start_year, flat["sigma_walk"][:, r], rng)
    reported = latent + flat["sigma_obs"][:, None] * rng.standard_normal(latent.shape)
    return years, from_scale(reported, data.scale).reshape(n_chain, n_draw, -1)


def _bridge(years, state_years, states, cumulative, start_year, sigma, rng) -> np.ndarray:
    """x(years) given x at the state years and the cumulative trend G, per draw.

    Between states: x(t) = x_p + (G_t - G_p) + w (x_n - x_p - (G_n - G_p)) + noise with
    variance s^2 (t - p)(n - t)/(n - p), w = (t - p)/(n - p); after the last state a
    random walk around the trend. Sampled year by year, each conditional on the previous
    grid year, so each row is one coherent path.
    """
    G = lambda year: cumulative[:, year - start_year]  # noqa: E731
    x = np.empty((states.shape[0], years.size))
    prev_t, prev_x = int(state_years[0]), states[:, 0]
    for j, year in enumerate(years):
        later = np.flatnonzero(state_years >= year)
        if later.size and state_years[later[0]] == year:
            x[:, j] = states[:, later[0]]
        elif later.size:
            nxt_t, nxt_x = int(state_years[later[0]]), states[:, later[0]]
            w = (year - prev_t) / (nxt_t - prev_t)
            drift_gap = nxt_x - prev_x - (G(nxt_t) - G(prev_t))
            sd = sigma * np.sqrt((year - prev_t) * (nxt_t - year) / (nxt_t - prev_t))
            x[:, j] = prev_x + G(year) - G(prev_t) + w * drift_gap + sd * rng.standard_normal(prev_x.size)
        else:
            x[:, j] = prev_x + G(year) - G(prev_t) + sigma * np.sqrt(year - prev_t) * rng.standard_normal(prev_x.size)
        prev_t, prev_x = int(year), x[:, j]
    return x
