"""Pooled trend model with a common growth path: growth that can speed up and slow down.

One indicator, a panel of regions (`models.panel.PanelData`), on the model scale
(z = log y for counts and money, logit(y/100) for percentages). Each region's latent
path is a random walk around its growth, and growth is a path shared by the whole
panel plus a region's own persistent difference:

    c(t)   = mu + dev(t),  dev(t) = phi dev(t-1) + sigma_c l(t) nu(t)  common growth (AR(1), Student-t shocks)
    d_r    = d_parent(r) + tau u_r                                     region's difference (region tree)
    x_r(t) = x_r(t-1) + c(t) + d_r + s_r e_r(t)                        latent path, x_r(f_r) = level_r
    z_i    = x_{r_i}(t_i) + offset_i + noise_i                         published figure

A province-wide push (Hebei's 2017-18 certification drive) is a run of high c(t) that
every region of the panel shares, placed in time by the long provincial series; when it
ends, c(t) falls back and the model sees it. A city with two recent figures thus takes
the *recent* common growth, not the average over the push. Forecasts continue the
AR(1): growth decays from its last value toward the pooled long-run rate mu (by half
in about two years at phi = 0.7), so a past push is not carried forward for ever.

The common growth's shocks are Student-t with 3 degrees of freedom: nu(t) standard
normal times a scale l(t) = w(t)^(-1/2) of its own per year, w(t) ~ Gamma(3/2, 3/2).
Most years the panel's growth moves by a few tenths of sigma_c; a few years (the
2017-18 revisions of provincial R&D figures after the statistics inspections, 2020)
move it far more. With Gaussian shocks those years set sigma_c for every year, and
since the common shocks accumulate in every forecast (the largest part of its spread
after two years), the intervals were too wide; with the scales, a jump year takes a
large l(t) and sigma_c is the typical year's. The year 0 deviation is the stationary
AR(1)'s, scaled by l(0). Forecast years draw their l(t) from the same prior, so the
forecast's shocks are Student-t too: narrow centre, heavy tails.

Everything but a handful of scales is Gaussian given those scales, and is integrated
out exactly: the common path c, the differences d, the levels (prior Normal(first
figure of r, L = 1)) and the walks (the scales l(t) are among the sampled scales).
With k_i = t_i - f_r (years since the region's first figure) and B_i[y] = 1 for
f_r < y <= t_i, the figures are jointly normal,

    z ~ MvNormal(first_z[r] + k mu + offset,
                 B S B' + (k k') o D[r, r'] + [r = r'] (L^2 + s_r^2 min(k, k')) + diag(noise^2)),

with S = C C' the AR(1)'s covariance, C[y, y'] = sigma_c l(y') phi^(y - y') for y' <= y
(column 0 over sqrt(1 - phi^2), the stationary start; `common_covariance`), and D the
covariance of the differences along the region tree. NUTS sees only mu, phi, sigma_c,
the yearly scales w, the pooling scales tau, the walk scales s_r, sigma_obs and the few
observation parameters below: no latent state, hence no funnel between states and
scales (the cause of the divergences of the state-space variants in `models.panel`).
The paths are drawn after sampling, per posterior draw, from their exact Gaussian
conditional: noise-free pseudo-figures of the region, one a year to the horizon, on
the year grid extended to the horizon (the AR(1) and the walk continue by the same
law, the forecast years' l(t) drawn from their prior), given the figures.

Observation kinds as in `models.panel`: exact figures (noise sigma_obs), caveated
(4 sigma_obs), lower bounds ("over 12,000": bound + excess, excess ~ HalfNormal(0.10)),
stock-flow proxies (log of the last three yearly certification lists, a reading of
x - log rho with noise sigma_proxy, log rho ~ Normal(0, 0.3)).

Priors (per year, model scale; `CommonPriors`):

* mu ~ Normal(long_mu, long_sd): counts/money 0.05 +- 0.05, percentages 0.02 +- 0.03;
* phi ~ Beta(7, 3) (mean 0.7): departures from the long-run rate fade over a few years;
* sigma_c ~ LogNormal(log common_sd, 0.5): counts/money 0.08 (a push of +20 points a
  year is within two sd), percentages 0.04;
* w(t) ~ Gamma(3/2, 3/2), l(t) = w(t)^(-1/2): Student-t(3) shocks (above);
* tau_root ~ HalfNormal(diff_sd / 2) with three or more top regions (else fixed at
  diff_sd / 2), tau_child ~ HalfNormal(diff_sd / 2): a city's growth differs from its
  province's by a few points a year;
* s_r = exp(log s_mu + 0.5 v_r), log s_mu ~ Normal(log walk_sd, 0.4), v ~ Normal(0, 1):
  year-to-year departures of a few per cent, with regions free to differ (jumpy city
  series);
* sigma_obs ~ LogNormal(log obs_sd, 0.4), as in `models.panel`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from threadpoolctl import threadpool_limits

from models.dense_normal import dense_normal
from models.panel import (
    BOUND_EXCESS_SD,
    CAVEAT_NOISE,
    CAVEATED,
    EXACT,
    LOWER_BOUND,
    MIN_POOLED_ROOTS,
    PROXY,
    SCALE_PRIOR_SD,
    PanelData,
    from_scale,
    sample_nuts,
)

LEVEL_SD = 1.0
PHI_PRIOR = (7.0, 3.0)
WALK_SPREAD = 0.5
PATH_CHUNK = 250
"""Posterior draws per batch when drawing paths (bounds memory: chunk x figures^2 floats)."""


@dataclass(frozen=True)
class CommonPriors:
    long_mu: float
    long_sd: float
    common_sd: float
    diff_sd: float
    walk_sd: float
    obs_sd: float


PRIORS = {
    "log": CommonPriors(long_mu=0.05, long_sd=0.05, common_sd=0.08, diff_sd=0.10, walk_sd=0.05, obs_sd=0.05),
    "logit": CommonPriors(long_mu=0.02, long_sd=0.03, common_sd=0.04, diff_sd=0.05, walk_sd=0.03, obs_sd=0.03),
}
SHOCK_DOF = 3.0
"""Degrees of freedom of the common growth's Student-t shocks (w(t) ~ Gamma(dof / 2, dof / 2))."""


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


def common_covariance(phi, sigma_c, lag, scales=None):
    """The AR(1)'s covariance over the years of `lag`: S[y, y'] = sigma_c^2 phi^|y - y'| / (1 - phi^2) with
    Gaussian shocks (`scales` None), else C C' with the shocks' yearly scales l (module docstring); parameters
    may carry leading batch axes: phi, sigma_c (..., 1, 1), scales (..., T)."""
    if scales is None:
        return sigma_c**2 / (1.0 - phi**2) * phi**lag
    factor = ar1_cholesky(phi, sigma_c, lag.shape[-1]) * scales[..., None, :]
    return factor @ factor.swapaxes(-1, -2)


def ar1_cholesky(phi, sigma_c, size: int):
    """Cholesky factor of the stationary AR(1) covariance over `size` years: L[t, s] = sigma phi^(t-s) for
    s <= t, column 0 over sqrt(1 - phi^2). PyTensor or NumPy parameters (NumPy batched as (..., 1, 1))."""
    steps = np.subtract.outer(np.arange(size), np.arange(size))
    first = np.zeros((size, size))
    first[:, 0] = 1.0
    return sigma_c * phi ** np.clip(steps, 0, None) * (steps >= 0) * (1.0 + first * ((1.0 - phi**2) ** -0.5 - 1.0))


def difference_covariance(tau2, ancestors):
    """D = A diag(tau^2) A' for the region differences; tau2 is (..., 1, R)."""
    return (ancestors * tau2) @ ancestors.T


def figure_covariance(d: Design, phi, sigma_c, tau2, walk2, noise2, scales=None):
    """The figures' covariance of the module docstring (pytensor or numpy; numpy parameters batched).

    Shapes: phi, sigma_c (..., 1, 1); tau2 (..., 1, R); walk2 (..., R); noise2 (..., N); `scales` (..., T) the
    common shocks' yearly scales, or None for Gaussian shocks (the joint model's components).
    """
    common = d.growth_years @ common_covariance(phi, sigma_c, d.lag, scales) @ d.growth_years.T
    differences = np.outer(d.steps, d.steps) * (d.members @ difference_covariance(tau2, d.ancestors) @ d.members.T)
    walks = d.shared_steps * (walk2 @ d.members.T)[..., :, None] + LEVEL_SD**2 * d.same_region
    return common + differences + walks + noise2[..., :, None] * np.eye(d.steps.size)


def build_common_model(
    data: PanelData, priors: CommonPriors | None = None, pooling: bool = True, heavy_tails: bool = True
) -> pm.Model:
    """The model of the module docstring, as an unsampled `pm.Model`; `heavy_tails=False` gives the common growth
    Gaussian shocks (the model of the joint fit's components)."""
    priors = priors or PRIORS[data.scale]
    d = design(data)
    coords = {"region": list(data.regions), "figure": np.arange(data.z.size).tolist(), "year": data.grid.tolist()}
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("growth_long_run", priors.long_mu, priors.long_sd)
        phi = pm.Beta("phi", *PHI_PRIOR)
        sigma_c = pm.LogNormal("sigma_common", np.log(priors.common_sd), 0.5)
        scales = None
        if heavy_tails:
            w = pm.Gamma("common_shock_precision", SHOCK_DOF / 2, SHOCK_DOF / 2, dims="year")
            scales = pm.Deterministic("common_shock_scale", w**-0.5, dims="year")
        tau = pm.Deterministic("tau", _pooling_scales(data, priors, pooling), dims="region")
        log_s_mu = pm.Normal("log_sigma_walk_mu", np.log(priors.walk_sd), SCALE_PRIOR_SD)
        v = pm.Normal("sigma_walk_offset", 0.0, 1.0, dims="region")
        sigma_walk = pm.Deterministic("sigma_walk", pt.exp(log_s_mu + WALK_SPREAD * v), dims="region")
        sigma_obs = pm.LogNormal("sigma_obs", np.log(priors.obs_sd), SCALE_PRIOR_SD)
        value, offset, noise2 = _figure_terms(data, d, sigma_obs)
        mean = d.first_z[d.region] + d.steps * mu + offset
        cov = figure_covariance(d, phi, sigma_c, tau**2, sigma_walk**2, noise2, scales)
        pm.Potential("figures", dense_normal(value - mean, cov))
    return model


def _pooling_scales(data: PanelData, priors: CommonPriors, pooling: bool):
    """tau per region: the sd of its difference from its parent's (top regions: from zero)."""
    is_root = (data.depth == 0).astype(float)
    if not pooling:
        return pt.as_tensor_variable(np.full(len(data.regions), priors.diff_sd))
    many_roots = is_root.sum() >= MIN_POOLED_ROOTS
    tau_root = pm.HalfNormal("tau_root", priors.diff_sd / 2) if many_roots else priors.diff_sd / 2
    tau_child = pm.HalfNormal("tau_child", priors.diff_sd / 2) if np.any(data.parent >= 0) else 0.0
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

    Years run from the region's first figure to `horizon`. Per posterior draw (and
    forecast years' shock scales drawn from their prior, `forecast_scales`), the path is
    drawn from its exact Gaussian conditional given all the panel's figures
    (`path_moments`): up to the panel's last year it follows the figures; after it the
    common growth decays from its last value toward the long-run rate, and the path
    walks on. The reported figure adds observation noise.
    """
    r = data.regions.index(region)
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    flat = {name: post[name].values.reshape(n_chain * n_draw, *post[name].shape[2:]) for name in post.data_vars}
    d = path_design(data, r, horizon)
    if "common_shock_scale" in flat:
        flat["common_shock_scale"] = forecast_scales(flat["common_shock_scale"], d.lag.shape[0], rng)
    with threadpool_limits(limits=1, user_api="blas"):
        path = np.concatenate(
            [
                _gaussian_draws(*path_moments(data, d, {k: v[i : i + PATH_CHUNK] for k, v in flat.items()}), rng)
                for i in range(0, n_chain * n_draw, PATH_CHUNK)
            ]
        )
    reported = path + flat["sigma_obs"][:, None] * rng.standard_normal(path.shape)
    years = np.arange(data.start_year + d.first_year[r], max(horizon, data.end_year) + 1)
    return years, from_scale(reported, data.scale).reshape(n_chain, n_draw, -1)


def forecast_scales(scales: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """(..., size): the fitted years' shock scales l(t) (..., T), then the forecast years', drawn from their
    prior."""
    w = rng.gamma(SHOCK_DOF / 2, 2 / SHOCK_DOF, size=(*scales.shape[:-1], size - scales.shape[-1]))
    return np.concatenate([scales, w**-0.5], axis=-1)


def path_design(data: PanelData, r: int, horizon: int) -> Design:
    """The design of the panel's figures followed by pseudo-figures of x_r, one a year from the region's first
    figure to `horizon`, on the year grid extended to `horizon` (levels' prior means those of the figures)."""
    end = max(horizon, data.end_year)
    real = design(data)
    years = np.arange(data.start_year + real.first_year[r], end + 1)
    augmented = replace(
        data,
        region_idx=np.concatenate([data.region_idx, np.full(years.size, r)]),
        year=np.concatenate([data.year, years]),
        z=np.concatenate([data.z, np.zeros(years.size)]),
        kind=np.concatenate([data.kind, np.full(years.size, EXACT)]),
        end_year=end,
    )
    return replace(design(augmented), first_z=real.first_z)


def path_moments(data: PanelData, d: Design, draws: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: the conditional mean (n, P) and covariance (n, P, P) of the pseudo-figures of `d` (`path_design`,
    noise-free) given the panel's figures."""
    n, n_real = draws["phi"].size, data.z.size
    col = lambda name: draws[name][:, None, None]  # noqa: E731
    value, mean_real, noise2 = _figure_draws(data, d, draws)
    noise2 = np.concatenate([noise2, np.zeros((n, d.steps.size - n_real))], axis=1)
    cov = figure_covariance(
        d,
        col("phi"),
        col("sigma_common"),
        draws["tau"][:, None, :] ** 2,
        draws["sigma_walk"] ** 2,
        noise2,
        draws.get("common_shock_scale"),
    )
    real, pseudo = slice(None, n_real), slice(n_real, None)
    mean = d.first_z[d.region[pseudo]] + d.steps[pseudo] * draws["growth_long_run"][:, None]
    solved = np.linalg.solve(
        cov[:, real, real], np.concatenate([(value - mean_real)[:, :, None], cov[:, real, pseudo]], axis=2)
    )
    post_mean = mean + np.einsum("nkp,nk->np", cov[:, real, pseudo], solved[:, :, 0])
    return post_mean, cov[:, pseudo, pseudo] - cov[:, pseudo, real] @ solved[:, :, 1:]


def _gaussian_draws(mean: np.ndarray, cov: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of N(mean, cov) (cov positive semi-definite up to rounding)."""
    w, v = np.linalg.eigh(0.5 * (cov + cov.transpose(0, 2, 1)))
    return mean + np.einsum("nij,nj->ni", v, np.sqrt(np.clip(w, 0.0, None)) * rng.standard_normal(w.shape))


def _figure_draws(data: PanelData, d: Design, draws: dict):
    """Per draw: the figures' values (bounds plus their excess), their means and noise variances (the panel's
    figures: the first rows of `d`)."""
    n, n_real = draws["phi"].size, data.z.size
    value = np.tile(data.z, (n, 1))
    if d.bound.size:
        value[:, d.bound] += draws["bound_excess"]
    proxy = d.proxy[:n_real]
    offset = np.zeros((n, n_real))
    noise2 = draws["sigma_obs"][:, None] ** 2 * d.noise_factor[:n_real] ** 2
    if proxy.any():
        offset[:, proxy] = -draws["stock_flow_log_rho"][:, None]
        noise2[:, proxy] = draws["sigma_stock_flow"][:, None] ** 2
    mean = d.first_z[d.region[:n_real]] + d.steps[:n_real] * draws["growth_long_run"][:, None] + offset
    return value, mean, noise2
