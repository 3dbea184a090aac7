"""Several indicators of one identity, one story: GDP, R&D intensity and R&D spending jointly.

R&D intensity is R&D spending over GDP, so on the log scale spending is a sum:

    log S = log G + log I - log 100        (S and G in the same money unit, I in per cent)

The model has one latent path per *component* (here G and I) for every region, each
the common-growth process of `models.common_trend` with its own parameters (long-run
rate, AR(1) of the common growth, pooling scales along the region tree, walk scales),
the components independent a priori. A figure is a reading of the sum of the
components its indicator loads on (`JointPanel.loadings`: GDP (1, 0), intensity
(0, 1), spending (1, 1)) plus a constant (-log 100 for spending) and its noise (one
scale per indicator). So every figure of the three informs both paths: a province
with spending and intensity figures but no GDP figures still fixes its GDP path by
their ratio, and a draw of the three paths satisfies the identity exactly.

Each component's shocks may change scale over the years (one slope per component,
where its prior allows one), and figures on an earlier basis carry their region's
shift, both as in `models.common_trend`; the walks' yearly shocks may be Student-t
(`JointPanel.walk_df`, sampled as Gaussian shocks with a variance factor lambda per
component, region and year), and the common growth's first year may have its own sd
(`JointPanel.first_growth_sd`). `models.trend_terms` states the four. The priors are
`models.common_trend`'s but for phi's, `JointPanel.phi_prior` (`forecast.trend.joint`
sets it, the Student-t's degrees of freedom and the first year's sd, and says how they
were chosen).

All latents are Gaussian given the scales and are integrated out exactly, as in
`models.common_trend`; the figures' covariance is

    K = sum_k diag(a_k) K_k diag(a_k) + diag(noise^2),

K_k the component's covariance over all figures (`common_trend.figure_covariance`).
The terms private to a region (level, walk, noise) form one block per region, the
terms shared across regions (common path, differences) have low rank (years +
regions per component), so the likelihood uses Woodbury's identity
(`models.structured_normal`): O(sum n_r^3 + N M^2) per gradient in place of O(N^3).

Paths are drawn after sampling (`models.joint_draws`) from the exact Gaussian conditional of noise-free
*pseudo-figures* of G and I (region, year up to the horizon) given the figures, on
a year grid extended to the horizon (the stationary AR(1) of the common growth and
the walks continue by the same law). Drawn figures add noise so that the indicators
named by `JointPanel.reported_noise` carry exactly their own fitted noise (R&D spending
and intensity, the targets' usual subjects) and the third follows by the identity
(GDP = 100 S / I), so it holds draw by draw; or, with `JointPanel.own_noise`, the noise
of the components is correlated so that every indicator's drawn figures carry their own
fitted noise sd (where the three sds cannot all hold, those of `reported_noise` do and
GDP's is the nearest feasible) and the identity still holds draw by draw
(`models.joint_draws.noise_roots`).

Levels: each region's component level at its first year with a figure loading on the
component has prior Normal(m, LEVEL_SD); m is the region's earliest pure figure of
the component, else one derived from a same-year figure of the sum (spending minus
intensity), else its parent's, else the panel's median (`level_means`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from models.common_prior import child_gamma
from models.common_trend import (
    LEVEL_SD,
    PHI_PRIOR,
    WALK_SPREAD,
    CommonPriors,
    Design,
    ancestors,
    figure_covariance,
)
from models.panel import (
    BOUND_EXCESS_SD,
    CAVEAT_NOISE,
    CAVEATED,
    LOWER_BOUND,
    MIN_POOLED_ROOTS,
    PROXY,
    SCALE_PRIOR_SD,
    sample_nuts,
)
from models.structured_normal import structured_normal
from models.trend_terms import BASIS_SD, ar1_cholesky, basis_covariance, volatility

SHOCK_SCALE = "walk_shock_scale"
"""The posterior's name of the walks' per-year variance factors lambda (`models.trend_terms`)."""
PATH_CHUNK = 250
"""Posterior draws per batch when drawing paths (memory: chunk x figures x (years + regions) floats)."""


@dataclass(frozen=True)
class JointPanel:
    """Figures of several indicators on the log scale, each a sum of component paths plus a constant.

    Per figure: region index, year, z = log(value), kind (`models.panel` kinds; no
    stock-flow proxies), indicator index. Per indicator: which components it loads on
    (0/1 rows of `loadings`), its constant, the prior scale of its noise. Per component:
    the priors of its path (`common_prior.PRIORS` entries).
    """

    regions: tuple[str, ...]
    parent: np.ndarray
    region_idx: np.ndarray
    year: np.ndarray
    z: np.ndarray
    kind: np.ndarray
    indicator_idx: np.ndarray
    indicators: tuple[str, ...]
    loadings: np.ndarray  # (indicators, components)
    constants: np.ndarray  # (indicators,)
    noise_priors: tuple[float, ...]  # per indicator: the prior median of its noise sd
    components: tuple[str, ...]
    component_priors: tuple[CommonPriors, ...]
    end_year: int
    reported_noise: tuple[int, ...] = ()
    """Indicators (as many as components, loadings invertible) whose drawn figures carry their own noise; the
    others follow from them by the identity. Default: the indicators that read one component each."""
    own_noise: bool = False
    """Drawn figures of every indicator carry their own fitted noise sd (`models.joint_draws.noise_roots`), in
    place of `reported_noise`'s."""
    basis: np.ndarray | None = None
    """(N,) bool: figures on an earlier basis, read with their region's shift (`models.trend_terms`). Default none."""
    walk_df: float = 0.0
    """Degrees of freedom of the walks' Student-t yearly shocks (`models.trend_terms`); 0: Gaussian shocks."""
    phi_prior: tuple[float, float] = PHI_PRIOR
    """(a, b) of the Beta prior of each component's phi, the persistence of its common growth's departures."""
    first_growth_sd: float = 0.0
    """The sd of each component's common growth in the panel's first year (`models.trend_terms`); 0: the AR(1)'s
    stationary sd."""
    walk_spread: float = WALK_SPREAD
    """The sd of the log walk scales of one component's regions about their mean (`models.common_trend`)."""
    basis_noise: float = 0.0
    """The sd of each earlier-basis figure's own departure from its region's shift (`models.trend_terms`); 0: none,
    the shift is the same every year."""

    @property
    def first_sd(self) -> float | None:
        """`first_growth_sd` as `trend_terms.ar1_cholesky` takes it (None: stationary)."""
        return self.first_growth_sd if self.first_growth_sd > 0 else None

    def __post_init__(self):
        if np.any(self.kind == PROXY):
            raise ValueError("the joint model takes no stock-flow proxies")

    @property
    def start_year(self) -> int:
        return int(self.year.min())

    @property
    def grid(self) -> np.ndarray:
        return np.arange(self.start_year, self.end_year + 1)

    @property
    def on_basis(self) -> np.ndarray:
        """(N,) 1.0 for figures on an earlier basis."""
        return np.zeros(self.z.size) if self.basis is None else np.asarray(self.basis, dtype=float)

    @property
    def slope_sd(self) -> np.ndarray:
        """(components,) prior sd of each component's shock-scale slope (`models.trend_terms`)."""
        return np.array([p.slope_sd for p in self.component_priors])

    @property
    def depth(self) -> np.ndarray:
        return np.array([np.sum(ancestors(self)[r]) - 1 for r in range(len(self.regions))], dtype=int)

    def loads(self, k: int) -> np.ndarray:
        """(N,) 1.0 where a figure's indicator loads on component k."""
        return self.loadings[self.indicator_idx, k].astype(float)

    def first_years(self, k: int) -> np.ndarray:
        """Per region, the grid index of its first figure loading on component k (-1: none)."""
        t, on = self.year - self.start_year, self.loads(k) > 0
        return np.array([t[on & (self.region_idx == r)].min(initial=10**6) for r in range(len(self.regions))])


def level_means(panel: JointPanel) -> np.ndarray:
    """(components, regions): each level's prior mean at the region's first year on the component (docstring)."""
    n_k, n_r = len(panel.components), len(panel.regions)
    out = np.full((n_k, n_r), np.nan)
    point = panel.kind != LOWER_BOUND
    pure = [np.flatnonzero((panel.loadings.sum(axis=1) == 1) & (panel.loadings[:, k] == 1)) for k in range(n_k)]
    for k in range(n_k):
        first = panel.first_years(k) + panel.start_year
        mu = panel.component_priors[k].long_mu
        for r in range(n_r):
            mine = point & (panel.region_idx == r)
            own = np.flatnonzero(mine & np.isin(panel.indicator_idx, pure[k]))
            if own.size:
                i = own[np.argmin(panel.year[own])]
                out[k, r] = panel.z[i] - panel.constants[panel.indicator_idx[i]] - (panel.year[i] - first[r]) * mu
                continue
            derived = _derived_level(panel, k, r, mine, pure)
            if derived is not None:
                year, value = derived
                out[k, r] = value - (year - first[r]) * mu
    for k in range(n_k):
        for r in np.argsort(panel.depth):  # parents before children
            if np.isnan(out[k, r]) and panel.parent[r] >= 0:
                out[k, r] = out[k, panel.parent[r]]
        out[k, np.isnan(out[k])] = np.nanmedian(out[k]) if np.any(~np.isnan(out[k])) else 0.0
    return out


def _derived_level(panel: JointPanel, k: int, r: int, mine: np.ndarray, pure: list[np.ndarray]):
    """(year, z_k) from the earliest figure of a sum whose other components have same-year pure figures."""
    sums = np.flatnonzero(mine & (panel.loadings[panel.indicator_idx, k] == 1))
    for i in sums[np.argsort(panel.year[sums])]:
        value = panel.z[i] - panel.constants[panel.indicator_idx[i]]
        for other in np.flatnonzero(panel.loadings[panel.indicator_idx[i]]):
            if other == k:
                continue
            same = np.flatnonzero(mine & (panel.year == panel.year[i]) & np.isin(panel.indicator_idx, pure[other]))
            if not same.size:
                break
            value -= panel.z[same[0]] - panel.constants[panel.indicator_idx[same[0]]]
        else:
            return int(panel.year[i]), float(value)
    return None


def component_designs(panel: JointPanel, horizon: int | None = None, means: np.ndarray | None = None) -> list[Design]:
    """One `common_trend.Design` per component over all figures (rows of figures not loading on it are unused).

    The year grid runs to `horizon` (default: the panel's last year); a component's
    steps count from each region's first figure loading on it; `means` (default
    `level_means(panel)`) are the levels' prior means.
    """
    grid_size = (horizon or panel.end_year) - panel.start_year + 1
    years = np.arange(grid_size)
    t = panel.year - panel.start_year
    n_regions = len(panel.regions)
    means = level_means(panel) if means is None else means
    out = []
    for k in range(len(panel.components)):
        first_year = panel.first_years(k)
        start = np.minimum(first_year[panel.region_idx], t)
        out.append(
            Design(
                region=panel.region_idx.copy(),
                steps=(t - start).astype(float),
                first_year=first_year,
                first_z=means[k],
                growth_years=((years[None, :] > start[:, None]) & (years[None, :] <= t[:, None])).astype(float),
                members=np.eye(n_regions)[panel.region_idx],
                ancestors=ancestors(panel),
                lag=np.abs(np.subtract.outer(years, years)).astype(float),
                noise_factor=np.where(panel.kind == CAVEATED, CAVEAT_NOISE, 1.0),
                proxy=np.zeros(panel.z.size, dtype=bool),
                bound=np.flatnonzero(panel.kind == LOWER_BOUND),
            )
        )
    return out


def figure_mean(panel: JointPanel, designs: list[Design], mu) -> np.ndarray:
    """Prior mean of each figure: its constant plus, per loaded component, level mean + steps x long-run rate.

    `mu` is (components,) or (draws, components); the result (N,) or (draws, N).
    """
    mu = np.asarray(mu, dtype=float)
    total = panel.constants[panel.indicator_idx] + np.zeros(mu.shape[:-1] + (panel.z.size,))
    for k, d in enumerate(designs):
        total = total + panel.loads(k) * (d.first_z[d.region] + d.steps * mu[..., k, None])
    return total


def figure_noise2(panel: JointPanel, factor: np.ndarray, sigma):
    """Each of the panel's figures' noise variance: its indicator's sd `sigma` (..., N) times its kind's `factor`
    (`Design.noise_factor`), squared, plus `basis_noise`^2 on an earlier basis (`models.trend_terms`). PyTensor or
    NumPy."""
    return (sigma * factor) ** 2 + panel.basis_noise**2 * panel.on_basis


def joint_covariance(panel: JointPanel, designs: list[Design], draws: dict, noise2: np.ndarray) -> np.ndarray:
    """The figures' dense covariance per draw (the reference the structured likelihood must equal).

    `draws`: arrays with a leading draw axis: phi, sigma_common, growth_long_run (n, K), tau (n, K, R),
    sigma_walk (n, K, R), vol_slope (n, K; absent: constant scale), walk_shock_scale (n, K, R, T; absent:
    Gaussian walks); `noise2` (n, N).
    """
    total = noise2[:, :, None] * np.eye(panel.z.size) + basis_covariance(panel.on_basis, designs[0].members)
    vol = draw_volatility(panel, designs, draws)
    walk_vol2 = draw_walk_vol2(draws, vol)
    for k, d in enumerate(designs):
        a = panel.loads(k)
        cov = figure_covariance(
            d,
            draws["phi"][:, k, None, None],
            draws["sigma_common"][:, k, None, None],
            draws["tau"][:, k, None, :] ** 2,
            np.zeros_like(draws["sigma_walk"][:, k, :]),
            np.zeros_like(noise2),
            vol[:, k],
            panel.first_sd,
        )
        scaled = d.growth_years * walk_vol2[:, k][:, d.region, :] * draws["sigma_walk"][:, k][:, d.region, None] ** 2
        total = total + np.outer(a, a) * (cov + scaled @ d.growth_years.T * d.same_region)
    return total


def draw_walk_vol2(draws: dict, vol: np.ndarray) -> np.ndarray:
    """(n, K, R, T) vol(y)^2 lambda_r(y) per draw: the variance factor of each walk shock (`models.trend_terms`;
    lambda = 1 where the fit has none). `vol` (n, K, T) from `draw_volatility`."""
    n, n_k, n_t = vol.shape
    n_r = draws["sigma_walk"].shape[2]
    return (vol**2)[:, :, None, :] * draws.get(SHOCK_SCALE, np.ones((n, n_k, n_r, n_t)))


def draw_volatility(panel: JointPanel, designs: list[Design], draws: dict) -> np.ndarray:
    """(n, K, T) vol(y) per draw and component (`models.trend_terms`; ones where the fit has no slope)."""
    slope = draws.get("vol_slope", np.zeros_like(draws["phi"]))
    return volatility(slope, designs[0].lag.shape[0], panel.end_year - panel.start_year)


def difference_loadings(panel: JointPanel, d: Design, k: int) -> np.ndarray:
    """(N, R): how much of each region's difference (in component k) a figure has accumulated, before tau."""
    return panel.loads(k)[:, None] * d.steps[:, None] * (d.members @ d.ancestors)


@dataclass(frozen=True)
class Blocks:
    """Constant layout of the per-region blocks: figure indices (padded with -1) and per-component templates."""

    index: np.ndarray  # (R, n) figures of each region
    valid: np.ndarray  # (R, n, n) 1 where both figures exist
    same: np.ndarray  # (K, R, n, n) a_ik a_jk
    walked: np.ndarray  # (K, R, n, T) a_ik B_k[i, y]: the years figure i's walk in component k has run
    padding: np.ndarray  # (R, n, n) identity on padded diagonal entries
    basis: np.ndarray  # (R, n, n) 1 where both figures are on an earlier basis


def block_layout(panel: JointPanel, designs: list[Design]) -> Blocks:
    n_regions = len(panel.regions)
    sizes = np.bincount(panel.region_idx, minlength=n_regions)
    n = int(sizes.max())
    index = np.full((n_regions, n), -1)
    for r in range(n_regions):
        index[r, : sizes[r]] = np.flatnonzero(panel.region_idx == r)
    ok = index >= 0
    valid = (ok[:, :, None] & ok[:, None, :]).astype(float)
    safe = np.where(ok, index, 0)
    same, walked = [], []
    for k, d in enumerate(designs):
        a = panel.loads(k)[safe] * ok
        same.append(a[:, :, None] * a[:, None, :])
        walked.append(a[:, :, None] * d.growth_years[safe])
    padding = (~ok)[:, :, None] * np.eye(n)[None]
    b = panel.on_basis[safe] * ok
    return Blocks(index, valid, np.array(same), np.array(walked), padding, b[:, :, None] * b[:, None, :])


def walk_steps(walked: np.ndarray, vol2):
    """a_i a_j sum_y B_i[y] B_j[y] vol(y)^2 per region block (`models.trend_terms`; with vol = 1, a_i a_j
    min(k_i, k_j)): `walked` (..., n, T) and `vol2` broadcasting against it, PyTensor or NumPy."""
    return (walked * vol2) @ np.swapaxes(walked, -1, -2)


def build_joint_model(panel: JointPanel, pooling: bool = True) -> pm.Model:
    """The model of the module docstring, as an unsampled `pm.Model` (structured likelihood)."""
    designs = component_designs(panel)
    blocks = block_layout(panel, designs)
    coords = {"component": list(panel.components), "region": list(panel.regions), "indicator": list(panel.indicators)}
    coords["year"] = panel.grid.tolist()
    pri = panel.component_priors
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("growth_long_run", [p.long_mu for p in pri], [p.long_sd for p in pri], dims="component")
        phi = pm.Beta("phi", *panel.phi_prior, dims="component")
        sigma_c = pm.LogNormal("sigma_common", np.log([p.common_sd for p in pri]), 0.5, dims="component")
        tau = pm.Deterministic("tau", _pooling_scales(panel, pooling), dims=("component", "region"))
        log_s_mu = pm.Normal("log_sigma_walk_mu", np.log([p.walk_sd for p in pri]), SCALE_PRIOR_SD, dims="component")
        v = pm.Normal("sigma_walk_offset", 0.0, 1.0, dims=("component", "region"))
        sigma_walk = pm.Deterministic(
            "sigma_walk", pt.exp(log_s_mu[:, None] + panel.walk_spread * v), dims=("component", "region")
        )
        sigma_obs = pm.LogNormal("sigma_obs", np.log(panel.noise_priors), SCALE_PRIOR_SD, dims="indicator")
        value = pt.as_tensor_variable(panel.z.astype(float))
        if designs[0].bound.size:
            excess = pm.HalfNormal("bound_excess", BOUND_EXCESS_SD, shape=designs[0].bound.size)
            value = value + pt.dot(np.eye(panel.z.size)[:, designs[0].bound], excess)
        noise2 = figure_noise2(panel, designs[0].noise_factor, sigma_obs[panel.indicator_idx])
        mean = _mean_tensor(panel, designs, mu)
        vol = _volatility_tensor(panel, designs[0].lag.shape[0])
        low_rank = _low_rank(panel, designs, phi, sigma_c, tau, vol)
        walk_vol2 = pt.as_tensor_variable(vol**2)[:, None, :] * _shock_scales(panel)
        block_values = _block_values(blocks, sigma_walk, noise2, walk_vol2)
        pm.Potential("figures", structured_normal(value - mean, block_values, blocks.index, low_rank))
    return model


def _mean_tensor(panel: JointPanel, designs: list[Design], mu):
    total = pt.as_tensor_variable(panel.constants[panel.indicator_idx].astype(float))
    for k, d in enumerate(designs):
        total = total + panel.loads(k) * (d.first_z[d.region] + d.steps * mu[k])
    return total


def _volatility_tensor(panel: JointPanel, size: int):
    """(K, T) vol(y) per component (`models.trend_terms`): the slope sampled non-centred (vol_slope_raw ~ N(0, 1),
    vol_slope = slope_sd x raw) where a component's prior allows one, else ones."""
    if not np.any(panel.slope_sd > 0):
        return np.ones((len(panel.components), size))
    raw = pm.Normal("vol_slope_raw", 0.0, 1.0, dims="component")
    slope = pm.Deterministic("vol_slope", raw * panel.slope_sd, dims="component")
    return volatility(slope, size, panel.end_year - panel.start_year)


def _shock_scales(panel: JointPanel):
    """(K, R, T) lambda: the variance factor of each component's, region's and year's walk shock
    (`models.trend_terms`), sampled as InverseGamma(nu / 2, nu / 2) where `walk_df` = nu > 0, else 1."""
    if panel.walk_df <= 0:
        return np.ones((1, 1, 1))
    half = panel.walk_df / 2.0
    return pm.InverseGamma(SHOCK_SCALE, half, half, dims=("component", "region", "year"))


def _low_rank(panel: JointPanel, designs: list[Design], phi, sigma_c, tau, vol):
    """V with K = blocks + V V': per component, growth years x chol(AR(1)) diag(vol) and steps x ancestors x tau."""
    columns = []
    for k, d in enumerate(designs):
        chol = ar1_cholesky(phi[k], sigma_c[k], d.lag.shape[0], panel.first_sd) * vol[k][None, :]
        columns.append(pt.dot(panel.loads(k)[:, None] * d.growth_years, chol))
        columns.append(difference_loadings(panel, d, k) * tau[k][None, :])
    return pt.concatenate(columns, axis=1)


def _block_values(blocks: Blocks, sigma_walk, noise2, walk_vol2):
    """Per region: sum_k (L^2 same_k + s_rk^2 walk steps_k) + BASIS_SD^2 basis + diag(noise^2), identity on
    padding; `walk_vol2` (K, R, T): vol(y)^2 lambda_r(y), the variance factor of each year's walk shock."""
    safe = np.where(blocks.index >= 0, blocks.index, 0)
    values = pt.as_tensor_variable(blocks.padding + BASIS_SD**2 * blocks.basis)
    for k in range(blocks.same.shape[0]):
        steps = walk_steps(blocks.walked[k], walk_vol2[k][:, None, :])
        values = values + LEVEL_SD**2 * blocks.same[k] + (sigma_walk[k] ** 2)[:, None, None] * steps
    diagonal = noise2[safe] * (blocks.index >= 0)
    return values + diagonal[:, :, None] * np.eye(blocks.index.shape[1])[None]


def _pooling_scales(panel: JointPanel, pooling: bool):
    """tau per component and region: the sd of its difference from its parent's (as `common_trend`)."""
    is_root = (panel.depth == 0).astype(float)
    diff = np.array([p.diff_sd for p in panel.component_priors])
    if not pooling:
        return pt.as_tensor_variable(np.repeat(diff[:, None], len(panel.regions), axis=1))
    n_k = len(panel.components)
    roots = pm.HalfNormal("tau_root", diff / 2, dims="component") if is_root.sum() >= MIN_POOLED_ROOTS else diff / 2
    child = pm.Gamma("tau_child", *child_gamma(diff), dims="component") if np.any(panel.parent >= 0) else np.zeros(n_k)
    return roots[:, None] * is_root[None, :] + child[:, None] * (1.0 - is_root[None, :])


def fit_joint(model: pm.Model, *, draws: int, tune: int, chains: int, seed: int, target_accept: float = 0.9):
    """NUTS (`models.panel.sample_nuts`)."""
    return sample_nuts(model, draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept)
