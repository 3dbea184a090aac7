"""Drawing paths from a fitted joint model (`models.joint_trend`): a region's trajectories of every indicator.

Paths are drawn after sampling from the exact Gaussian conditional of noise-free
pseudo-figures of each component (region, year up to the horizon) given the figures,
by Matheron's rule through the per-region blocks and Woodbury's identity (no figures x
figures matrix); `models.joint_trend`'s module docstring states the law.
"""

from __future__ import annotations

from dataclasses import replace

import arviz as az
import numpy as np
from threadpoolctl import threadpool_limits

from models.common_trend import LEVEL_SD, Design
from models.joint_trend import (
    PATH_CHUNK,
    SHOCK_SCALE,
    Blocks,
    JointPanel,
    block_layout,
    component_designs,
    difference_loadings,
    draw_volatility,
    draw_walk_vol2,
    figure_mean,
    figure_noise2,
    level_means,
    walk_steps,
)
from models.panel import LOWER_BOUND
from models.trend_terms import BASIS_SD, ar1_cholesky


def joint_paths(
    idata: az.InferenceData, panel: JointPanel, region: str, horizon: int, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """Reported-value trajectories of every indicator of one region: (years, {indicator: (chain, draw, year)},
    basis shift).

    Years run from the region's first year with figures on every component to
    `horizon`; indicators whose components have no figure there are left out. The
    trajectories are of the current basis; where the region has figures on an earlier
    basis, the shift (chain, draw) is its b_r drawn jointly with them (`models.trend_terms`:
    a figure on that basis reads its trajectory times exp(b_r)), else None.
    """
    r = panel.regions.index(region)
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    flat = {name: post[name].values.reshape(n_chain * n_draw, *post[name].shape[2:]) for name in post.data_vars}
    pure = [_pure_indicator(panel, k) for k in range(len(panel.components))]
    first = max(panel.first_years(k)[r] for k in range(len(panel.components)))
    years = np.arange(panel.start_year + first, max(horizon, panel.end_year) + 1) if first < 10**6 else np.array([])
    if not years.size:
        return years, {}, None
    earlier = bool(np.any(panel.on_basis[panel.region_idx == r] > 0))
    augmented = _with_pseudo(panel, r, years, pure, earlier)
    designs = component_designs(augmented, max(horizon, panel.end_year), level_means(panel))
    if SHOCK_SCALE in flat:
        flat[SHOCK_SCALE] = future_shock_scales(flat[SHOCK_SCALE], panel.walk_df, designs[0].lag.shape[0], rng)
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
    shift = None
    if earlier:  # b_r, and the year's own departure from it (`JointPanel.basis_noise`)
        departure = panel.basis_noise * rng.standard_normal(latent.shape[0])
        shift = (latent[:, -1] - latent[:, 0] + departure).reshape(n_chain, n_draw)
    by_component = latent[:, : len(pure) * years.size].reshape(latent.shape[0], len(pure), years.size)
    if panel.own_noise:
        root = noise_roots(panel.loadings, flat["sigma_obs"] ** 2, tuple(panel.reported_noise) or tuple(pure))
        reported = by_component + np.einsum("nkj,njy->nky", root, rng.standard_normal(by_component.shape))
    else:
        noisy = list(panel.reported_noise) or pure
        noise = flat["sigma_obs"][:, noisy][:, :, None] * rng.standard_normal(by_component.shape)
        inverse = np.linalg.inv(panel.loadings[noisy].astype(float))
        reported = by_component + np.einsum("kj,njy->nky", inverse, noise)
    out = {}
    for i, name in enumerate(panel.indicators):
        z = panel.constants[i] + np.einsum("k,nky->ny", panel.loadings[i].astype(float), reported)
        out[name] = np.exp(z).reshape(n_chain, n_draw, years.size)
    return years, out, shift


def noise_roots(loadings: np.ndarray, variances: np.ndarray, kept: tuple[int, ...]) -> np.ndarray:
    """(n, K, K) R with R R' = C, C the covariance of the components' noise under which every indicator's noise
    (its loadings a_i times it) has its own variance: a_i' C a_i = s_i^2 (`variances` (n, indicators)).

    The noises of the `kept` indicators (as many as components, their loadings invertible: R&D intensity and
    spending) carry their own sds exactly, with the correlation that gives the other indicator (GDP) the variance
    nearest its own: exactly its own where the three sds can all hold, else the nearest bound (with GDP, intensity
    and spending: GDP's sd moved into [|s_S - s_I|, s_S + s_I], the correlation +-1). Two components and one other
    indicator (the R&D identity); other shapes raise."""
    a = np.asarray(loadings, dtype=float)
    others = [i for i in range(a.shape[0]) if i not in kept]
    if a.shape[1] != 2 or len(kept) != 2 or len(others) != 1:
        raise ValueError("noise_roots takes two components, two kept indicators and one other")
    inverse = np.linalg.inv(a[list(kept)])  # components' noise = inverse @ kept indicators' noise
    w = a[others[0]] @ inverse  # the other indicator's noise = w . kept indicators' noise
    s = np.sqrt(variances[:, list(kept)])
    cross = 2.0 * w[0] * w[1] * s[:, 0] * s[:, 1]
    own = w[0] ** 2 * s[:, 0] ** 2 + w[1] ** 2 * s[:, 1] ** 2
    safe = np.where(cross == 0, 1.0, cross)
    rho = np.where(cross == 0, 0.0, np.clip((variances[:, others[0]] - own) / safe, -1.0, 1.0))
    kept_cov = np.empty((variances.shape[0], 2, 2))
    kept_cov[:, 0, 0], kept_cov[:, 1, 1] = s[:, 0] ** 2, s[:, 1] ** 2
    kept_cov[:, 0, 1] = kept_cov[:, 1, 0] = rho * s[:, 0] * s[:, 1]
    cov = inverse @ kept_cov @ inverse.T
    values, vectors = np.linalg.eigh(cov)
    return vectors * np.sqrt(np.clip(values, 0.0, None))[:, None, :]


def future_shock_scales(scales: np.ndarray, df: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """The walks' variance factors (n, K, R, T) extended to a grid of `size` years: the years after the fit's
    drawn afresh from their prior InverseGamma(df / 2, df / 2) (`models.trend_terms`), per draw."""
    extra = size - scales.shape[-1]
    if extra <= 0:
        return scales[..., :size]
    fresh = 1.0 / rng.gamma(df / 2.0, 2.0 / df, size=scales.shape[:-1] + (extra,))
    return np.concatenate([scales, fresh], axis=-1)


def _pure_indicator(panel: JointPanel, k: int) -> int:
    """The indicator that reads component k alone (GDP for G, intensity for I)."""
    for i in range(len(panel.indicators)):
        if panel.loadings[i].sum() == 1 and panel.loadings[i, k] == 1 and panel.constants[i] == 0:
            return i
    raise ValueError(f"no indicator reads component {panel.components[k]} alone")


def _with_pseudo(panel: JointPanel, r: int, years: np.ndarray, pure: list[int], earlier: bool = False) -> JointPanel:
    """The panel with noise-free pseudo-figures of each component of region r appended (values unused); `earlier`:
    and, last, the first of them again on the earlier basis (it minus the first is the region's shift b_r)."""
    n_new = len(pure) * years.size
    year, indicator = np.tile(years, len(pure)), np.repeat(pure, years.size)
    basis = np.zeros(n_new + earlier)
    if earlier:
        year, indicator, basis[-1] = np.append(year, year[0]), np.append(indicator, indicator[0]), 1.0
        n_new += 1
    return replace(
        panel,
        region_idx=np.concatenate([panel.region_idx, np.full(n_new, r)]),
        year=np.concatenate([panel.year, year]),
        z=np.concatenate([panel.z, np.zeros(n_new)]),
        kind=np.concatenate([panel.kind, np.zeros(n_new, dtype=panel.kind.dtype)]),
        indicator_idx=np.concatenate([panel.indicator_idx, indicator]),
        basis=np.concatenate([panel.on_basis, basis]),
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
    noise2[:, :n_real] = figure_noise2(
        panel, designs[0].noise_factor[:n_real], draws["sigma_obs"][:, panel.indicator_idx]
    )
    vol = draw_volatility(augmented, designs, draws)  # (n, K, T)
    v = _low_rank_draws(augmented, designs, draws, vol)  # (n, N + P, M)
    blocks = _block_draws(layout, draws["sigma_walk"], noise2, draw_walk_vol2(draws, vol))  # (rows, (n, m, m))
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


def _low_rank_draws(panel: JointPanel, designs: list[Design], draws: dict, vol: np.ndarray) -> np.ndarray:
    """V per draw (numpy twin of `_low_rank`)."""
    columns = []
    for k, d in enumerate(designs):
        phi, sigma_c = draws["phi"][:, k, None, None], draws["sigma_common"][:, k, None, None]
        chol = ar1_cholesky(phi, sigma_c, d.lag.shape[0], panel.first_sd)
        chol = chol * vol[:, k, None, :]
        columns.append((panel.loads(k)[:, None] * d.growth_years)[None] @ chol)
        columns.append(difference_loadings(panel, d, k)[None] * draws["tau"][:, k, None, :])
    return np.concatenate(columns, axis=2)


def _block_draws(layout: Blocks, sigma_walk: np.ndarray, noise2: np.ndarray, vol2: np.ndarray) -> list:
    """Per region: its figures and, per draw, its block of the module docstring (numpy twin of `_block_values`;
    `vol2` (n, K, R, T): each walk shock's variance factor, `draw_walk_vol2`)."""
    out = []
    for r in range(layout.index.shape[0]):
        m = int(np.sum(layout.index[r] >= 0))
        if not m:
            continue
        rows = layout.index[r, :m]
        block = np.zeros((sigma_walk.shape[0], m, m)) + BASIS_SD**2 * layout.basis[r, :m, :m]
        for k in range(layout.same.shape[0]):
            walk = (sigma_walk[:, k, r] ** 2)[:, None, None]
            steps = walk_steps(layout.walked[k, r, :m], vol2[:, k, r, None, :])
            block += LEVEL_SD**2 * layout.same[k, r, :m, :m] + walk * steps
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
