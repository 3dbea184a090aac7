"""Pooled trend model with a common growth path: growth that can speed up and slow down.

One indicator, a panel of regions (`models.panel.PanelData`), on the model scale
(z = log y for counts and money, logit(y/100) for percentages). Each region's latent
path is a random walk around its growth, and growth is a path shared by the whole
panel plus a region's own persistent difference:

    c(t)   = mu + dev(t),  dev(t) = phi dev(t-1) + sigma_c nu(t)       common growth (stationary AR(1))
    d_r    = d_parent(r) + tau u_r                                     region's difference (region tree)
    x_r(t) = x_r(t-1) + c(t) + d_r + s_r e_r(t)                        latent path, x_r(f_r) = level_r
    z_i    = x_{r_i}(t_i) + offset_i + noise_i                         published figure

A province-wide push (Hebei's 2017-18 certification drive) is a run of high c(t) that
every region of the panel shares, placed in time by the long provincial series; when it
ends, c(t) falls back and the model sees it. A city with two recent figures thus takes
the *recent* common growth, not the average over the push. Forecasts continue the
AR(1): growth decays from its last value toward the pooled long-run rate mu (by half
in about two years at phi = 0.7), so a past push is not carried forward for ever.

Everything but a handful of scales is Gaussian given those scales, and is integrated
out exactly: the common path c, the differences d, the levels (prior Normal(first
figure of r, L = 1)) and the walks. With k_i = t_i - f_r (years since the region's first
figure) and B_i[y] = 1 for f_r < y <= t_i, the figures are jointly normal,

    z ~ MvNormal(first_z[r] + k mu + offset,
                 B S B' + (k k') o D[r, r'] + [r = r'] (L^2 + s_r^2 min(k, k')) + diag(noise^2)),

with S[y, y'] = sigma_c^2 phi^|y - y'| / (1 - phi^2) (the AR(1)) and D the covariance of
the differences along the region tree. NUTS sees only mu, phi, sigma_c, the pooling
scales tau, the walk scales s_r, sigma_obs and the few observation parameters below:
no latent state, hence no funnel between states and scales (the cause of the
divergences of the state-space variants in `models.panel`). The paths are drawn after
sampling, per posterior draw, from their exact Gaussian conditional.

Observation kinds as in `models.panel`: exact figures (noise sigma_obs), caveated
(4 sigma_obs), lower bounds ("over 12,000": bound + excess, excess ~ HalfNormal(0.10)),
stock-flow proxies (log of the last three yearly certification lists, a reading of
x - log rho with noise sigma_proxy, log rho ~ Normal(0, 0.3)).

Two more terms, stated in `models.trend_terms`: figures on an earlier basis (an R&D
intensity over the GDP before its post-census revision) read their path plus a shift
of their region, b_r ~ Normal(0, 0.2), integrated out like the other latents; and
where the family's prior allows it (`CommonPriors.slope_sd` > 0) the shocks to the
common growth and to the walks are scaled by vol(y) = exp(beta min(y - T, 0)), one
slope beta sampled per panel, T the last year with data (forecasts keep T's scale).

Priors (per year, model scale; `CommonPriors`), by the indicator's family
(`models.common_prior.family_of`: `count` for stocks and flows of firms, platforms,
people and densities; `money` for sums of money; `percent` for percentages):

* mu ~ Normal(long_mu, long_sd): counts and money 0.05 +- 0.05 (nominal growth of an
  economy, or of a register in normal times), percentages 0.02 +- 0.03;
* phi ~ Beta(7, 3) (mean 0.7): departures from the long-run rate fade over a few years;
* sigma_c ~ LogNormal(log common_sd, 0.5), the year-to-year shocks to the common growth:
  - counts 0.08: a certification or registration push adds +20 points a year for a few
    years, within two sd (the stationary sd of growth is 0.08 / sqrt(1 - 0.7^2) = 0.11);
  - money 0.04: GDP and R&D spending of a whole province are aggregates of many payers,
    whose nominal growth moves by a few points a year (Hebei's GDP grew by 3.0% to
    12.2% a year, 2013-2022), not by the twenty points of a count;
  - percentages 0.02 (on the logit scale, close to relative change for small shares):
    a ratio of two such aggregates moves less again, its two parts' shocks partly
    cancelling (Hebei's R&D intensity rose by 0.02 to 0.15 points a year, 2014-2023, but
    for 2019, when its GDP basis changed).
  The money and percentage scales are half the count-based ones used before (0.08 and
  0.04), which made intervals too wide on later figures. They were chosen on the
  backtest from origin 2017 alone, among 0.08/0.04, 0.04/0.02, 0.03/0.015 and 0.02/0.01
  (money/percentages), by the rule: closest to nominal coverage (sum of the 50% and 80%
  intervals' gaps), ties (within 0.01) to the lower CRPS; origins 2019 and 2021 were
  then scored as validation (README, "How well they forecast");
* tau_root ~ HalfNormal(diff_sd / 2) with three or more top regions (else fixed at
  diff_sd / 2): top regions' growth differs by a few points a year;
* tau_child ~ Gamma(2, 2 / (0.4 diff_sd)) (`models.common_prior.child_gamma`): a city's
  growth differs from its province's (a province's from the country's) by a few points
  a year; mean 0.4 diff_sd and median about 0.34 diff_sd, as the HalfNormal(diff_sd / 2)
  it replaces, but with zero density at zero: with one scale for many short series the
  half-normal's mass near zero left a neck the sampler crossed rarely (tail ESS 231
  and 339 in the Hebei 2018 and Handan R&D panels), while identical growth of every
  child is not a plausible state of the world;
* s_r = exp(log s_mu + 0.5 v_r), log s_mu ~ Normal(log walk_sd, 0.4), v ~ Normal(0, 1):
  year-to-year departures of a few per cent, with regions free to differ (jumpy city
  series);
* sigma_obs ~ LogNormal(log obs_sd, 0.4), as in `models.panel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from threadpoolctl import threadpool_limits

from models.common_prior import CommonPriors, child_gamma, priors_for
from models.dense_normal import dense_normal
from models.panel import (
    BOUND_EXCESS_SD,
    CAVEAT_NOISE,
    CAVEATED,
    LOWER_BOUND,
    MIN_POOLED_ROOTS,
    PROXY,
    SCALE_PRIOR_SD,
    PanelData,
    from_scale,
    sample_nuts,
)
from models.trend_terms import ar1_cholesky, basis_covariance, volatility

LEVEL_SD = 1.0
PHI_PRIOR = (7.0, 3.0)
WALK_SPREAD = 0.5
PATH_CHUNK = 250
"""Posterior draws per batch when drawing paths (bounds memory: chunk x figures^2 floats)."""


@dataclass(frozen=True)
class Design:
    """Constant matrices of the figures' joint law (module docstring), from the panel alone."""

    region: np.ndarray  # (N,) region of each figure
    steps: np.ndarray  # (N,) k: years since the region's first figure
    first_year: np.ndarray  # (R,) year index of each region's first figure
    first_z: np.ndarray  # (R,) the level's prior mean: the region's first point figure
    growth_years: np.ndarray  # (N, T) B: 1 for the years whose growth a figure has accumulated
    members: np.ndarray  # (N, R) one-hot region of each figure
    ancestors: np.ndarray  # (R, R) 1 where a column is the row's region or one of its ancestors
    lag: np.ndarray  # (T, T) |y - y'|
    noise_factor: np.ndarray  # (N,) 1, or CAVEAT_NOISE for caveated figures
    proxy: np.ndarray  # (N,) bool: stock-flow proxies
    bound: np.ndarray  # indices of lower bounds

    @property
    def same_region(self) -> np.ndarray:
        return self.members @ self.members.T

    @property
    def shared_steps(self) -> np.ndarray:
        return np.minimum.outer(self.steps, self.steps) * self.same_region


def design(data: PanelData) -> Design:
    n_regions, grid = len(data.regions), data.grid
    t = data.year - data.start_year
    first_year = np.array([t[data.region_idx == r].min() for r in range(n_regions)])
    first_z = np.empty(n_regions)
    for r in range(n_regions):
        mine = np.flatnonzero(data.region_idx == r)
        point = mine[data.kind[mine] != PROXY]
        pick = point if point.size else mine
        first_z[r] = data.z[pick[np.argmin(data.year[pick])]]
    years = np.arange(grid.size)
    start = first_year[data.region_idx]
    growth_years = ((years[None, :] > start[:, None]) & (years[None, :] <= t[:, None])).astype(float)
    return Design(
        region=data.region_idx.copy(),
        steps=(t - start).astype(float),
        first_year=first_year,
        first_z=first_z,
        growth_years=growth_years,
        members=np.eye(n_regions)[data.region_idx],
        ancestors=ancestors(data),
        lag=np.abs(np.subtract.outer(years, years)).astype(float),
        noise_factor=np.where(data.kind == CAVEATED, CAVEAT_NOISE, 1.0),
        proxy=data.kind == PROXY,
        bound=np.flatnonzero(data.kind == LOWER_BOUND),
    )


def ancestors(data: PanelData) -> np.ndarray:
    """A[r, a] = 1 when a is r or an ancestor of r in the panel."""
    out = np.eye(len(data.regions))
    for r in range(len(data.regions)):
        p = data.parent[r]
        while p >= 0:
            out[r, p] = 1.0
            p = data.parent[p]
    return out


def common_covariance(phi, sigma_c, lag):
    """S[y, y'] = sigma_c^2 phi^|y - y'| / (1 - phi^2); parameters may carry leading batch axes (..., 1, 1)."""
    return sigma_c**2 / (1.0 - phi**2) * phi**lag


def difference_covariance(tau2, ancestors):
    """D = A diag(tau^2) A' for the region differences; tau2 is (..., 1, R)."""
    return (ancestors * tau2) @ ancestors.T


def figure_covariance(d: Design, phi, sigma_c, tau2, walk2, noise2, vol=None, first_sd=None):
    """The figures' covariance of the module docstring (pytensor or numpy; numpy parameters batched).

    Shapes: phi, sigma_c (..., 1, 1); tau2 (..., 1, R); walk2 (..., R); noise2 (..., N); `vol` (..., T), the
    shock scale over the years (`models.trend_terms`; default constant); `first_sd` the sd of the first year's
    common growth (`models.trend_terms`; default stationary; with `vol` only).
    """
    shared = d.shared_steps if vol is None else walk_steps(d, vol)
    common = d.growth_years @ shock_covariance(phi, sigma_c, d.lag, vol, first_sd) @ d.growth_years.T
    differences = np.outer(d.steps, d.steps) * (d.members @ difference_covariance(tau2, d.ancestors) @ d.members.T)
    walks = shared * (walk2 @ d.members.T)[..., :, None] + LEVEL_SD**2 * d.same_region
    return common + differences + walks + noise2[..., :, None] * np.eye(d.steps.size)


def shock_covariance(phi, sigma_c, lag, vol=None, first_sd=None):
    """S of the common growth's AR(1): `common_covariance`, or with the shocks scaled by `vol` (..., T) over the years
    (`models.trend_terms`: L L' with L = ar1_cholesky diag(vol); `first_sd`: the first year's own sd)."""
    if vol is None:
        return common_covariance(phi, sigma_c, lag)
    chol = ar1_cholesky(phi, sigma_c, lag.shape[0], first_sd) * vol[..., None, :]
    return chol @ (chol.T if isinstance(chol, pt.TensorVariable) else np.swapaxes(chol, -1, -2))


def walk_steps(d: Design, vol):
    """sum over the years both figures of a region have walked of vol(y)^2 (`models.trend_terms`): with vol = 1,
    `d.shared_steps`. `vol` (..., T), PyTensor or NumPy."""
    return ((d.growth_years * vol[..., None, :] ** 2) @ d.growth_years.T) * d.same_region


def build_common_model(data: PanelData, priors: CommonPriors | None = None, pooling: bool = True) -> pm.Model:
    """The model of the module docstring, as an unsampled `pm.Model`."""
    priors = priors or priors_for(data)
    d = design(data)
    coords = {"region": list(data.regions), "figure": np.arange(data.z.size).tolist()}
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("growth_long_run", priors.long_mu, priors.long_sd)
        phi = pm.Beta("phi", *PHI_PRIOR)
        sigma_c = pm.LogNormal("sigma_common", np.log(priors.common_sd), 0.5)
        tau = pm.Deterministic("tau", _pooling_scales(data, priors, pooling), dims="region")
        log_s_mu = pm.Normal("log_sigma_walk_mu", np.log(priors.walk_sd), SCALE_PRIOR_SD)
        v = pm.Normal("sigma_walk_offset", 0.0, 1.0, dims="region")
        sigma_walk = pm.Deterministic("sigma_walk", pt.exp(log_s_mu + WALK_SPREAD * v), dims="region")
        sigma_obs = pm.LogNormal("sigma_obs", np.log(priors.obs_sd), SCALE_PRIOR_SD)
        value, offset, noise2 = _figure_terms(data, d, sigma_obs)
        mean = d.first_z[d.region] + d.steps * mu + offset
        vol = _volatility_tensor(data, priors)
        cov = figure_covariance(d, phi, sigma_c, tau**2, sigma_walk**2, noise2, vol)
        cov = cov + basis_covariance(data.on_basis, d.members)
        pm.Potential("figures", dense_normal(value - mean, cov))
    return model


def _volatility_tensor(data: PanelData, priors: CommonPriors):
    """vol(y) over the grid (`models.trend_terms`): the slope sampled non-centred where the prior allows one."""
    if priors.slope_sd <= 0:
        return None
    slope = pm.Deterministic("vol_slope", pm.Normal("vol_slope_raw", 0.0, 1.0) * priors.slope_sd)
    return volatility(slope, data.grid.size, data.end_year - data.start_year)


def _pooling_scales(data: PanelData, priors: CommonPriors, pooling: bool):
    """tau per region: the sd of its difference from its parent's (top regions: from zero)."""
    is_root = (data.depth == 0).astype(float)
    if not pooling:
        return pt.as_tensor_variable(np.full(len(data.regions), priors.diff_sd))
    many_roots = is_root.sum() >= MIN_POOLED_ROOTS
    tau_root = pm.HalfNormal("tau_root", priors.diff_sd / 2) if many_roots else priors.diff_sd / 2
    tau_child = pm.Gamma("tau_child", *child_gamma(priors.diff_sd)) if np.any(data.parent >= 0) else 0.0
    return pt.as_tensor_variable(tau_root * is_root + tau_child * (1.0 - is_root))


def _figure_terms(data: PanelData, d: Design, sigma_obs):
    """Per figure: the value the path is read against, its offset from the path, its noise variance."""
    value = pt.as_tensor_variable(data.z.astype(float))
    if d.bound.size:
        excess = pm.HalfNormal("bound_excess", BOUND_EXCESS_SD, shape=d.bound.size)
        value = value + pt.dot(np.eye(data.z.size)[:, d.bound], excess)
    noise2 = sigma_obs**2 * d.noise_factor**2
    offset = pt.zeros(data.z.size)
    if d.proxy.any():
        log_rho = pm.Normal("stock_flow_log_rho", 0.0, 0.3)
        sigma_proxy = pm.LogNormal("sigma_stock_flow", np.log(0.10), SCALE_PRIOR_SD)
        offset = -log_rho * d.proxy
        noise2 = noise2 * (~d.proxy) + sigma_proxy**2 * d.proxy
    return value, offset, noise2


def fit_common(
    model: pm.Model, *, draws: int, tune: int, chains: int, seed: int, target_accept: float = 0.9
) -> az.InferenceData:
    """NUTS (PyMC's, compiled with numba; `models.panel.sample_nuts`)."""
    return sample_nuts(model, draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept)


def common_paths(
    idata: az.InferenceData, data: PanelData, region: str, horizon: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Reported-value trajectories of one region: (years, array (chain, draw, year)).

    Years run from the region's first figure to `horizon`. Up to the panel's last year
    the path, the last common growth and the region's difference are drawn from their
    exact Gaussian conditional given all the panel's figures; after it, growth
    continues the AR(1) toward the long-run rate and the path walks on. The reported
    figure adds observation noise.
    """
    r = data.regions.index(region)
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    flat = {name: post[name].values.reshape(n_chain * n_draw, *post[name].shape[2:]) for name in post.data_vars}
    d = design(data)
    with threadpool_limits(limits=1, user_api="blas"):
        chunks = [
            _conditional_latents(data, d, r, {k: v[i : i + PATH_CHUNK] for k, v in flat.items()}, rng)
            for i in range(0, n_chain * n_draw, PATH_CHUNK)
        ]
    path, last_common, difference = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
    future = _future_path(data, r, flat, path[:, -1], last_common, difference, horizon, rng)
    path = np.concatenate([path, future], axis=1)
    reported = path + flat["sigma_obs"][:, None] * rng.standard_normal(path.shape)
    years = np.arange(data.start_year + d.first_year[r], max(horizon, data.end_year) + 1)
    return years, from_scale(reported, data.scale).reshape(n_chain, n_draw, -1)


def _conditional_latents(data: PanelData, d: Design, r: int, draws: dict, rng: np.random.Generator):
    """Per draw: x_r on the grid from its first year, c at the panel's last year, and d_r, given the figures."""
    n = draws["phi"].size
    col = lambda name: draws[name][:, None, None]  # noqa: E731
    vol = volatility(draws.get("vol_slope", np.zeros(n)), data.grid.size, data.grid.size - 1)  # (n, T)
    common = shock_covariance(col("phi"), col("sigma_common"), d.lag, vol)  # (n, T, T)
    diffs = difference_covariance(draws["tau"][:, None, :] ** 2, d.ancestors)  # (n, R, R)
    value, mean_z, noise2 = _figure_draws(data, d, draws)
    cov_z = figure_covariance(
        d, col("phi"), col("sigma_common"), draws["tau"][:, None, :] ** 2, draws["sigma_walk"] ** 2, noise2, vol
    ) + basis_covariance(data.on_basis, d.members)
    steps = np.arange(data.grid.size - d.first_year[r], dtype=float)
    years = np.arange(data.grid.size)
    grown = ((years[None, :] > d.first_year[r]) & (years[None, :] <= d.first_year[r] + steps[:, None])).astype(float)
    walk2 = draws["sigma_walk"][:, r, None, None] ** 2
    walked = grown * vol[:, None, :] ** 2  # (n, steps, T): the walk's years to each step, by their scale
    mine = d.members[:, r]
    to_r = diffs[:, r, :] @ d.members.T  # (n, N): D[r, region of each figure]
    cross = np.concatenate(
        [
            grown @ common @ d.growth_years.T
            + np.outer(steps, d.steps) * to_r[:, None, :]
            + mine * (LEVEL_SD**2 + walk2 * (walked @ d.growth_years.T)),
            (common[:, -1, :] @ d.growth_years.T)[:, None, :],
            (to_r * d.steps)[:, None, :],
        ],
        axis=1,
    )
    d_rr = diffs[:, r, r][:, None, None]
    own = grown @ common @ grown.T + np.outer(steps, steps) * d_rr + LEVEL_SD**2 + walk2 * (walked @ grown.T)
    with_c = (grown @ common[:, :, -1:])[:, :, 0]
    cov_l = np.zeros((n, steps.size + 2, steps.size + 2))
    cov_l[:, : steps.size, : steps.size] = own
    cov_l[:, : steps.size, -2] = cov_l[:, -2, : steps.size] = with_c
    cov_l[:, : steps.size, -1] = cov_l[:, -1, : steps.size] = steps * d_rr[:, :, 0]
    cov_l[:, -2, -2], cov_l[:, -1, -1] = common[:, -1, -1], d_rr[:, 0, 0]
    mu = draws["growth_long_run"]
    mean_l = np.concatenate([d.first_z[r] + steps * mu[:, None], mu[:, None], np.zeros((n, 1))], axis=1)
    solved = np.linalg.solve(cov_z, np.concatenate([(value - mean_z)[:, :, None], cross.transpose(0, 2, 1)], axis=2))
    post_mean = mean_l + np.einsum("nlk,nk->nl", cross, solved[:, :, 0])
    post_cov = cov_l - cross @ solved[:, :, 1:]
    w, v = np.linalg.eigh(0.5 * (post_cov + post_cov.transpose(0, 2, 1)))
    latent = post_mean + np.einsum("nij,nj->ni", v, np.sqrt(np.clip(w, 0.0, None)) * rng.standard_normal(w.shape))
    return latent[:, :-2], latent[:, -2], latent[:, -1]


def _figure_draws(data: PanelData, d: Design, draws: dict):
    """Per draw: the figures' values (bounds plus their excess), their means and noise variances."""
    n = draws["phi"].size
    value = np.tile(data.z, (n, 1))
    if d.bound.size:
        value[:, d.bound] += draws["bound_excess"]
    offset = np.zeros((n, data.z.size))
    noise2 = draws["sigma_obs"][:, None] ** 2 * d.noise_factor**2
    if d.proxy.any():
        offset[:, d.proxy] = -draws["stock_flow_log_rho"][:, None]
        noise2[:, d.proxy] = draws["sigma_stock_flow"][:, None] ** 2
    mean = d.first_z[d.region] + d.steps * draws["growth_long_run"][:, None] + offset
    return value, mean, noise2


def _future_path(data: PanelData, r: int, flat, last, last_common, difference, horizon: int, rng) -> np.ndarray:
    """x_r(t) after the panel's last year: AR(1) growth toward the long-run rate, a random walk around it."""
    mu, phi, sigma_c = flat["growth_long_run"], flat["phi"], flat["sigma_common"]
    dev, sigma = last_common - mu, flat["sigma_walk"][:, r]
    out = np.empty((last.size, max(horizon - data.end_year, 0)))
    x = last
    for j in range(out.shape[1]):
        dev = phi * dev + sigma_c * rng.standard_normal(last.size)
        x = x + mu + dev + difference + sigma * rng.standard_normal(last.size)
        out[:, j] = x
    return out
