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

All latents are Gaussian given the scales and are integrated out exactly, as in
`models.common_trend`; the figures' covariance is

    K = sum_k diag(a_k) K_k diag(a_k) + diag(noise^2),

K_k the component's covariance over all figures (`common_trend.figure_covariance`).
The terms private to a region (level, walk, noise) form one block per region, the
terms shared across regions (common path, differences) have low rank (years +
regions per component), so the likelihood uses Woodbury's identity
(`models.structured_normal`): O(sum n_r^3 + N M^2) per gradient in place of O(N^3).

Paths are drawn after sampling from the exact Gaussian conditional of noise-free
*pseudo-figures* of G and I (region, year up to the horizon) given the figures, on
a year grid extended to the horizon (the stationary AR(1) of the common growth and
the walks continue by the same law). Drawn figures add noise so that the indicators
named by `JointPanel.reported_noise` carry exactly their own fitted noise (R&D spending
and intensity, the targets' usual subjects) and the third follows by the identity
(GDP = 100 S / I), so it holds draw by draw.

Levels: each region's component level at its first year with a figure loading on the
component has prior Normal(m, LEVEL_SD); m is the region's earliest pure figure of
the component, else one derived from a same-year figure of the sum (spending minus
intensity), else its parent's, else the panel's median (`level_means`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from threadpoolctl import threadpool_limits

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


def joint_covariance(panel: JointPanel, designs: list[Design], draws: dict, noise2: np.ndarray) -> np.ndarray:
    """The figures' dense covariance per draw (the reference the structured likelihood must equal).

    `draws`: arrays with a leading draw axis: phi, sigma_common, growth_long_run (n, K), tau (n, K, R),
    sigma_walk (n, K, R); `noise2` (n, N).
    """
    total = noise2[:, :, None] * np.eye(panel.z.size)
    for k, d in enumerate(designs):
        a = panel.loads(k)
        cov = figure_covariance(
            d,
            draws["phi"][:, k, None, None],
            draws["sigma_common"][:, k, None, None],
            draws["tau"][:, k, None, :] ** 2,
            draws["sigma_walk"][:, k, :] ** 2,
            np.zeros_like(noise2),
        )
        total = total + np.outer(a, a) * cov
    return total


def ar1_cholesky(phi, sigma_c, size: int):
    """Cholesky factor of the stationary AR(1) covariance over `size` years: L[t, s] = sigma phi^(t-s) for
    s <= t, column 0 over sqrt(1 - phi^2). PyTensor or NumPy parameters (NumPy batched as (..., 1, 1))."""
    steps = np.subtract.outer(np.arange(size), np.arange(size))
    first = np.zeros((size, size))
    first[:, 0] = 1.0
    return sigma_c * phi ** np.clip(steps, 0, None) * (steps >= 0) * (1.0 + first * ((1.0 - phi**2) ** -0.5 - 1.0))


def difference_loadings(panel: JointPanel, d: Design, k: int) -> np.ndarray:
    """(N, R): how much of each region's difference (in component k) a figure has accumulated, before tau."""
    return panel.loads(k)[:, None] * d.steps[:, None] * (d.members @ d.ancestors)


@dataclass(frozen=True)
class Blocks:
    """Constant layout of the per-region blocks: figure indices (padded with -1) and per-component templates."""

    index: np.ndarray  # (R, n) figures of each region
    valid: np.ndarray  # (R, n, n) 1 where both figures exist
    same: np.ndarray  # (K, R, n, n) a_ik a_jk
    shared_steps: np.ndarray  # (K, R, n, n) a_ik a_jk min(steps_k)
    padding: np.ndarray  # (R, n, n) identity on padded diagonal entries


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
    same, shared = [], []
    for k, d in enumerate(designs):
        a = panel.loads(k)[safe] * ok
        pair = a[:, :, None] * a[:, None, :]
        same.append(pair)
        shared.append(pair * np.minimum(d.steps[safe][:, :, None], d.steps[safe][:, None, :]))
    padding = (~ok)[:, :, None] * np.eye(n)[None]
    return Blocks(index, valid, np.array(same), np.array(shared), padding)


def build_joint_model(panel: JointPanel, pooling: bool = True) -> pm.Model:
    """The model of the module docstring, as an unsampled `pm.Model` (structured likelihood)."""
    designs = component_designs(panel)
    blocks = block_layout(panel, designs)
    coords = {"component": list(panel.components), "region": list(panel.regions), "indicator": list(panel.indicators)}
    pri = panel.component_priors
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("growth_long_run", [p.long_mu for p in pri], [p.long_sd for p in pri], dims="component")
        phi = pm.Beta("phi", *PHI_PRIOR, dims="component")
        sigma_c = pm.LogNormal("sigma_common", np.log([p.common_sd for p in pri]), 0.5, dims="component")
        tau = pm.Deterministic("tau", _pooling_scales(panel, pooling), dims=("component", "region"))
        log_s_mu = pm.Normal("log_sigma_walk_mu", np.log([p.walk_sd for p in pri]), SCALE_PRIOR_SD, dims="component")
        v = pm.Normal("sigma_walk_offset", 0.0, 1.0, dims=("component", "region"))
        sigma_walk = pm.Deterministic(
            "sigma_walk", pt.exp(log_s_mu[:, None] + WALK_SPREAD * v), dims=("component", "region")
        )
        sigma_obs = pm.LogNormal("sigma_obs", np.log(panel.noise_priors), SCALE_PRIOR_SD, dims="indicator")
        value = pt.as_tensor_variable(panel.z.astype(float))
        if designs[0].bound.size:
            excess = pm.HalfNormal("bound_excess", BOUND_EXCESS_SD, shape=designs[0].bound.size)
            value = value + pt.dot(np.eye(panel.z.size)[:, designs[0].bound], excess)
        noise2 = (sigma_obs[panel.indicator_idx] * designs[0].noise_factor) ** 2
        mean = _mean_tensor(panel, designs, mu)
        low_rank = _low_rank(panel, designs, phi, sigma_c, tau)
        block_values = _block_values(blocks, sigma_walk, noise2)
        pm.Potential("figures", structured_normal(value - mean, block_values, blocks.index, low_rank))
    return model


def _mean_tensor(panel: JointPanel, designs: list[Design], mu):
    total = pt.as_tensor_variable(panel.constants[panel.indicator_idx].astype(float))
    for k, d in enumerate(designs):
        total = total + panel.loads(k) * (d.first_z[d.region] + d.steps * mu[k])
    return total


def _low_rank(panel: JointPanel, designs: list[Design], phi, sigma_c, tau):
    """V with K = blocks + V V': per component, growth years x chol(AR(1)) and steps x ancestors x tau."""
    columns = []
    for k, d in enumerate(designs):
        chol = ar1_cholesky(phi[k], sigma_c[k], d.lag.shape[0])
        columns.append(pt.dot(panel.loads(k)[:, None] * d.growth_years, chol))
        columns.append(difference_loadings(panel, d, k) * tau[k][None, :])
    return pt.concatenate(columns, axis=1)


def _block_values(blocks: Blocks, sigma_walk, noise2):
    """Per region: sum_k (L^2 same_k + s_rk^2 shared_steps_k) + diag(noise^2), identity on padding."""
    safe = np.where(blocks.index >= 0, blocks.index, 0)
    values = pt.as_tensor_variable(blocks.padding)
    for k in range(blocks.same.shape[0]):
        values = values + LEVEL_SD**2 * blocks.same[k] + (sigma_walk[k] ** 2)[:, None, None] * blocks.shared_steps[k]
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


def joint_paths(
    idata: az.InferenceData, panel: JointPanel, region: str, horizon: int, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Reported-value trajectories of every indicator of one region: (years, {indicator: (chain, draw, year)}).

    Years run from the region's first year with figures on every component to
    `horizon`; indicators whose components have no figure there are left out.
    """
    r = panel.regions.index(region)
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    flat = {name: post[name].values.reshape(n_chain * n_draw, *post[name].shape[2:]) for name in post.data_vars}
    pure = [_pure_indicator(panel, k) for k in range(len(panel.components))]
    first = max(panel.first_years(k)[r] for k in range(len(panel.components)))
    years = np.arange(panel.start_year + first, max(horizon, panel.end_year) + 1) if first < 10**6 else np.array([])
    if not years.size:
        return years, {}
    augmented = _with_pseudo(panel, r, years, pure)
    designs = component_designs(augmented, max(horizon, panel.end_year), level_means(panel))
    layout = block_layout(augmented, designs)
    with threadpool_limits(limits=1, user_api="blas"):
        latent = np.concatenate(
            [
                conditional_draws(
                    panel, augmented, designs, layout, {k: v[i : i + PATH_CHUNK] for k, v in flat.items()}, rng
                )
                for i in range(0, n_chain * n_draw, PATH_CHUNK)
            ]
        )
    by_component = latent.reshape(latent.shape[0], len(pure), years.size)
    noisy = list(panel.reported_noise) or pure
    noise = flat["sigma_obs"][:, noisy][:, :, None] * rng.standard_normal(by_component.shape)
    reported = by_component + np.einsum("kj,njy->nky", np.linalg.inv(panel.loadings[noisy].astype(float)), noise)
    out = {}
    for i, name in enumerate(panel.indicators):
        z = panel.constants[i] + np.einsum("k,nky->ny", panel.loadings[i].astype(float), reported)
        out[name] = np.exp(z).reshape(n_chain, n_draw, years.size)
    return years, out


def _pure_indicator(panel: JointPanel, k: int) -> int:
    """The indicator that reads component k alone (GDP for G, intensity for I)."""
    for i in range(len(panel.indicators)):
        if panel.loadings[i].sum() == 1 and panel.loadings[i, k] == 1 and panel.constants[i] == 0:
            return i
    raise ValueError(f"no indicator reads component {panel.components[k]} alone")


def _with_pseudo(panel: JointPanel, r: int, years: np.ndarray, pure: list[int]) -> JointPanel:
    """The panel with noise-free pseudo-figures of each component of region r appended (values unused)."""
    n_new = len(pure) * years.size
    return replace(
        panel,
        region_idx=np.concatenate([panel.region_idx, np.full(n_new, r)]),
        year=np.concatenate([panel.year, np.tile(years, len(pure))]),
        z=np.concatenate([panel.z, np.zeros(n_new)]),
        kind=np.concatenate([panel.kind, np.zeros(n_new, dtype=panel.kind.dtype)]),
        indicator_idx=np.concatenate([panel.indicator_idx, np.repeat(pure, years.size)]),
    )


def conditional_draws(panel, augmented, designs, layout: Blocks, draws: dict, rng) -> np.ndarray:
    """Per draw: the pseudo-figures drawn given the real figures, by Matheron's rule (structured, no N x N matrix).

    With f a draw from the joint prior of (figures with their noise, pseudo-figures),
    f_p + K_pa K_aa^-1 (z - f_a) is a draw from the conditional. The prior draw is
    L_B e1 + V e2 (blocks' Cholesky factors and the low-rank factor); K_aa^-1 applies
    through Woodbury; K_pa w = V_p (V_a' w) + (blocks)_pa w. `rng` may be None for the
    conditional mean (e1 = e2 = 0, used by the tests).
    """
    n, n_real = draws["phi"].shape[0], panel.z.size
    noise2 = np.zeros((n, augmented.z.size))
    noise2[:, :n_real] = (draws["sigma_obs"][:, panel.indicator_idx] * designs[0].noise_factor[:n_real]) ** 2
    v = _low_rank_draws(augmented, designs, draws)  # (n, N + P, M)
    blocks = _block_draws(layout, draws["sigma_walk"], noise2)  # per region: (rows, (n, m, m))
    prior = figure_mean(augmented, designs, draws["growth_long_run"])
    if rng is not None:
        prior = prior + (v @ rng.standard_normal((n, v.shape[2], 1)))[:, :, 0]
        for rows, block in blocks:
            prior[:, rows] += (np.linalg.cholesky(block) @ rng.standard_normal((n, rows.size, 1)))[:, :, 0]
    value = np.tile(panel.z, (n, 1))
    bound = np.flatnonzero(panel.kind == LOWER_BOUND)
    if bound.size:
        value[:, bound] += draws["bound_excess"]
    real_blocks = [(rows[rows < n_real], block[:, rows < n_real][:, :, rows < n_real]) for rows, block in blocks]
    w = _woodbury_solve(real_blocks, v[:, :n_real], value - prior[:, :n_real])
    cross = (v[:, n_real:] @ (v[:, :n_real].transpose(0, 2, 1) @ w[:, :, None]))[:, :, 0]
    for rows, block in blocks:
        mine, theirs = rows >= n_real, rows < n_real
        if mine.any() and theirs.any():
            cross[:, rows[mine] - n_real] += (block[:, mine][:, :, theirs] @ w[:, rows[theirs], None])[:, :, 0]
    return prior[:, n_real:] + cross


def _low_rank_draws(panel: JointPanel, designs: list[Design], draws: dict) -> np.ndarray:
    """V per draw (numpy twin of `_low_rank`)."""
    columns = []
    for k, d in enumerate(designs):
        chol = ar1_cholesky(draws["phi"][:, k, None, None], draws["sigma_common"][:, k, None, None], d.lag.shape[0])
        columns.append((panel.loads(k)[:, None] * d.growth_years)[None] @ chol)
        columns.append(difference_loadings(panel, d, k)[None] * draws["tau"][:, k, None, :])
    return np.concatenate(columns, axis=2)


def _block_draws(layout: Blocks, sigma_walk: np.ndarray, noise2: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per region: its figures and, per draw, its block of the module docstring (numpy twin of `_block_values`)."""
    out = []
    for r in range(layout.index.shape[0]):
        m = int(np.sum(layout.index[r] >= 0))
        if not m:
            continue
        rows = layout.index[r, :m]
        block = np.zeros((sigma_walk.shape[0], m, m))
        for k in range(layout.same.shape[0]):
            walk = (sigma_walk[:, k, r] ** 2)[:, None, None]
            block += LEVEL_SD**2 * layout.same[k, r, :m, :m] + walk * layout.shared_steps[k, r, :m, :m]
        block[:, np.arange(m), np.arange(m)] += noise2[:, rows]
        out.append((rows, block))
    return out


def _woodbury_solve(blocks: list, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(B + V V')^-1 u per draw, B block-diagonal with the given (rows, blocks)."""
    b_u, b_v = np.zeros_like(u), np.zeros_like(v)
    for rows, block in blocks:
        if rows.size:
            solved = np.linalg.solve(block, np.concatenate([u[:, rows, None], v[:, rows]], axis=2))
            b_u[:, rows], b_v[:, rows] = solved[:, :, 0], solved[:, :, 1:]
    capacitance = np.eye(v.shape[2]) + v.transpose(0, 2, 1) @ b_v
    inner = np.linalg.solve(capacitance, v.transpose(0, 2, 1) @ b_u[:, :, None])
    return b_u - (b_v @ inner)[:, :, 0]
