"""The common-growth trend model: the exact marginal density and its gradient, the
covariance of the docstring built term by term, the conditional path draws, and (slow) a
push that ends is seen as ending. All panels here are SYNTHETIC, made up for the tests."""

from dataclasses import replace

import arviz as az
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

from models.common_trend import (
    LEVEL_SD,
    build_common_model,
    common_paths,
    design,
    figure_covariance,
    fit_common,
)
from models.dense_normal import dense_normal
from models.diagnostics import check_convergence
from models.panel import CAVEAT_NOISE, CAVEATED, EXACT, PanelData, to_scale
from models.trend_terms import BASIS_SD, basis_covariance, volatility


def panel(values, parents=None, kinds=None, end_year=None) -> PanelData:
    names = tuple(values)
    parents, kinds = parents or {}, kinds or {}
    rows = [(names.index(r), y, v, kinds.get((r, y), EXACT)) for r in names for y, v in values[r].items()]
    r, y, v, k = (np.array(c) for c in zip(*rows, strict=True))
    parent = np.array([names.index(parents[n]) if n in parents else -1 for n in names])
    return PanelData(
        names, parent, r, y.astype(int), to_scale(v, "log"), k.astype(int), "log", end_year or int(y.max())
    )


CITY_PROVINCE = panel(
    {"prov": {2015: 1000, 2016: 1100, 2017: 1250, 2019: 1380}, "city": {2016: 50, 2019: 62}, "town": {2017: 5}},
    parents={"city": "prov", "town": "prov"},
    kinds={("prov", 2017): CAVEATED},
)


def test_dense_normal_is_the_multivariate_normal_and_its_gradient_checks():
    rng = np.random.default_rng(0)
    root = rng.normal(size=(5, 5))
    cov, resid = root @ root.T + 5 * np.eye(5), rng.normal(size=5)
    got = dense_normal(pt.as_tensor(resid), pt.as_tensor(cov)).eval()
    assert got == pytest.approx(stats.multivariate_normal(np.zeros(5), cov).logpdf(resid), rel=1e-10)
    pytensor.gradient.verify_grad(lambda r, c: dense_normal(r, 0.5 * (c + c.T)), [resid, cov], rng=rng)
    compiled = pytensor.function([], dense_normal(pt.as_tensor(resid), pt.as_tensor(cov)), mode="NUMBA")
    assert compiled() == pytest.approx(got, rel=1e-10)


def covariance_by_simulation(data: PanelData, phi, sigma_c, tau, walk, noise, n=200_000, seed=0, vol=None):
    """The figures' covariance estimated by simulating the generative story of the docstring (with `vol`, the
    shocks' scale per year, and the shift of figures on an earlier basis: `models.trend_terms`)."""
    rng = np.random.default_rng(seed)
    n_years = data.grid.size
    vol = np.ones(n_years) if vol is None else vol
    dev = np.empty((n, n_years))
    dev[:, 0] = vol[0] * sigma_c / np.sqrt(1 - phi**2) * rng.standard_normal(n)
    for t in range(1, n_years):
        dev[:, t] = phi * dev[:, t - 1] + vol[t] * sigma_c * rng.standard_normal(n)
    diff = np.zeros((n, len(data.regions)))
    depth = data.depth
    for level in range(depth.max() + 1):
        for r in np.flatnonzero(depth == level):
            base = diff[:, data.parent[r]] if data.parent[r] >= 0 else 0.0
            diff[:, r] = base + tau[r] * rng.standard_normal(n)
    d = design(data)
    figures = np.empty((n, data.z.size))
    for r in range(len(data.regions)):
        first = d.first_year[r]
        x = LEVEL_SD * rng.standard_normal(n)
        path = [x]
        for t in range(first + 1, n_years):
            x = x + dev[:, t] + diff[:, r] + vol[t] * walk[r] * rng.standard_normal(n)
            path.append(x)
        path = np.stack(path, axis=1)
        shift = BASIS_SD * rng.standard_normal(n)
        for i in np.flatnonzero(data.region_idx == r):
            figures[:, i] = path[:, data.year[i] - data.start_year - first] + noise[i] * rng.standard_normal(n)
            figures[:, i] += shift * data.on_basis[i]
    return np.cov(figures, rowvar=False)


def test_figure_covariance_is_that_of_the_generative_story():
    data = CITY_PROVINCE
    phi, sigma_c, tau, walk = 0.6, 0.1, np.array([0.05, 0.08, 0.08]), np.array([0.05, 0.1, 0.2])
    noise = 0.05 * design(data).noise_factor
    exact = figure_covariance(design(data), phi, sigma_c, tau[None, :] ** 2, walk**2, noise**2)
    simulated = covariance_by_simulation(data, phi, sigma_c, tau, walk, noise)
    np.testing.assert_allclose(exact, simulated, atol=0.02)


def test_a_shock_scale_that_changes_and_an_earlier_basis_are_those_of_the_story():
    """Shocks twice as large a year before the panel's last year, four times two years before, and two of the
    province's figures on an earlier basis: the covariance term by term against a simulation (synthetic panel)."""
    data = replace(CITY_PROVINCE, basis=np.isin(np.arange(CITY_PROVINCE.z.size), [0, 1]))
    phi, sigma_c, tau, walk = 0.6, 0.1, np.array([0.05, 0.08, 0.08]), np.array([0.05, 0.1, 0.2])
    noise = 0.05 * design(data).noise_factor
    vol = volatility(np.log(0.5), data.grid.size, data.end_year - data.start_year)
    np.testing.assert_allclose(vol[-3:], [4.0, 2.0, 1.0])
    d = design(data)
    exact = figure_covariance(d, phi, sigma_c, tau[None, :] ** 2, walk**2, noise**2, vol) + basis_covariance(
        data.on_basis, d.members
    )
    simulated = covariance_by_simulation(data, phi, sigma_c, tau, walk, noise, vol=vol)
    np.testing.assert_allclose(exact, simulated, atol=0.03 * np.abs(exact).max())
    constant = figure_covariance(d, phi, sigma_c, tau[None, :] ** 2, walk**2, noise**2)
    assert np.abs(exact - constant).max() > 0.2 * np.abs(exact).max()  # the terms matter at this size
    np.testing.assert_allclose(  # vol = 1: the constant-scale covariance
        figure_covariance(d, phi, sigma_c, tau[None, :] ** 2, walk**2, noise**2, np.ones(data.grid.size)), constant
    )


def test_model_density_is_the_normal_of_the_figures():
    data = CITY_PROVINCE
    model = build_common_model(data)
    point = {k: v + 0.1 for k, v in model.initial_point().items()}  # away from the symmetric start
    names = ["figures", "growth_long_run", "phi", "sigma_common", "tau", "sigma_walk", "sigma_obs"]
    figures, mu, phi, sigma_c, tau, walk, sigma_obs = _evaluate(model, point, names)
    d = design(data)
    noise2 = (sigma_obs * np.where(data.kind == CAVEATED, CAVEAT_NOISE, 1.0)) ** 2
    cov = figure_covariance(d, phi, sigma_c, tau[None, :] ** 2, walk**2, noise2)
    mean = d.first_z[d.region] + d.steps * mu
    assert figures == pytest.approx(stats.multivariate_normal(mean, cov).logpdf(data.z), rel=1e-9)


def _evaluate(model, point, names):
    outs = model.replace_rvs_by_values([model[n] for n in names])
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    return fn(point)


def test_model_samples_only_scales_and_rates():
    model = build_common_model(CITY_PROVINCE)
    names = {v.name for v in model.free_RVs}
    assert names == {
        "growth_long_run",
        "phi",
        "sigma_common",
        "tau_child",
        "log_sigma_walk_mu",
        "sigma_walk_offset",
        "sigma_obs",
    }


def fake_posterior(data: PanelData, draws: int, **values) -> az.InferenceData:
    """A posterior of constant draws (a device to test the path algebra, not a fit)."""
    base = {
        "growth_long_run": 0.02,
        "phi": 0.5,
        "sigma_common": 0.2,
        "tau": np.full(len(data.regions), 1e-4),
        "sigma_walk": np.full(len(data.regions), 1e-4),
        "sigma_obs": 1e-4,
    }
    base.update(values)
    shaped = {k: np.broadcast_to(np.asarray(v, float), (1, draws, *np.shape(v))) for k, v in base.items()}
    return az.from_dict(posterior=shaped)


def test_paths_pass_through_exact_figures_and_growth_decays_to_the_long_run_rate():
    figures = 1000 * np.exp(0.3 * np.arange(6))  # 30% (log) a year, read without noise
    data = panel({"prov": dict(zip(range(2013, 2019), figures, strict=True))}, end_year=2018)
    years, paths = common_paths(fake_posterior(data, 4000), data, "prov", 2021, np.random.default_rng(0))
    assert years.tolist() == list(range(2013, 2022))
    np.testing.assert_allclose(np.median(paths[0, :, :6], axis=0), figures, rtol=1e-3)
    # after the panel: growth = mu + phi^k (0.3 - mu) + noise of sd sigma_c: the median decays to mu
    growth = np.median(np.diff(np.log(paths[0, :, 5:]), axis=1), axis=0)
    np.testing.assert_allclose(growth, 0.02 + 0.28 * 0.5 ** np.arange(1, 4), atol=0.02)


def story_moments(data: PanelData, r: int, horizon: int, v: dict):
    """Mean and covariance of (figures, x_r from its first year to `horizon`), written term by term from the
    docstring's story as linear maps of independent pieces (levels, common deviations, differences, walk steps,
    noise, the shifts of figures on an earlier basis), the common deviations' covariance by the AR(1)'s recursion,
    shocks scaled by exp(vol_slope x years before the panel's last year): a construction independent of
    `figure_covariance` and of the path code."""
    d, n_regions = design(data), len(data.regions)
    n_years = horizon - data.start_year + 1
    scale2 = np.exp(2 * v.get("vol_slope", 0.0) * np.minimum(np.arange(n_years) - (data.end_year - data.start_year), 0))
    common = np.zeros((n_years, n_years))
    common[0, 0] = scale2[0] * v["sigma_common"] ** 2 / (1 - v["phi"] ** 2)
    for t in range(1, n_years):  # dev(t) = phi dev(t-1) + sigma_c vol(t) nu(t)
        common[t, :t] = common[:t, t] = v["phi"] * common[t - 1, :t]
        common[t, t] = v["phi"] ** 2 * common[t - 1, t - 1] + scale2[t] * v["sigma_common"] ** 2
    tree = np.eye(n_regions)  # tree[c, a] = 1 where a is c or an ancestor of c
    for c in range(n_regions):
        a = data.parent[c]
        while a >= 0:
            tree[c, a], a = 1.0, data.parent[a]
    pieces = [
        LEVEL_SD**2 * np.eye(n_regions),
        common,
        tree @ np.diag(v["tau"] ** 2) @ tree.T,
        np.diag(np.repeat(v["sigma_walk"] ** 2, n_years) * np.tile(scale2, n_regions)),
        BASIS_SD**2 * np.eye(n_regions),
    ]
    rows = [(int(g), int(y) - data.start_year) for g, y in zip(data.region_idx, data.year, strict=True)]
    rows += [(r, t) for t in range(d.first_year[r], n_years)]
    offsets = np.cumsum([0] + [p.shape[0] for p in pieces])
    loads, mean = np.zeros((len(rows), offsets[-1])), np.zeros(len(rows))
    for i, (g, t) in enumerate(rows):
        grown = np.arange(d.first_year[g] + 1, t + 1)
        loads[i, offsets[0] + g] = 1.0
        loads[i, offsets[1] + grown] = 1.0
        loads[i, offsets[2] + g] = grown.size
        loads[i, offsets[3] + g * n_years + grown] = 1.0
        loads[i, offsets[4] + g] = data.on_basis[i] if i < data.z.size else 0.0
        mean[i] = d.first_z[g] + grown.size * v["growth_long_run"]
    sigma = np.zeros((offsets[-1], offsets[-1]))
    for k, piece in enumerate(pieces):
        sigma[offsets[k] : offsets[k + 1], offsets[k] : offsets[k + 1]] = piece
    cov = loads @ sigma @ loads.T
    cov[: data.z.size, : data.z.size] += np.diag(v["sigma_obs"] ** 2 * d.noise_factor**2)
    return mean, cov


@pytest.mark.parametrize("varying", [False, True])
def test_paths_are_the_gaussian_conditional_of_the_story(varying):
    """A region's drawn paths to the horizon (before and after the panel's last year) have the mean and
    covariance of the dense Gaussian conditional of `story_moments` given the figures (one parameter draw
    repeated; the reported paths add sigma_obs noise); also with shocks that shrink over the years and the
    province's first two figures on an earlier basis (synthetic panel)."""
    data, r, horizon, n = CITY_PROVINCE, 1, 2022, 20_000
    v = {
        "growth_long_run": 0.04, "phi": 0.6, "sigma_common": 0.05, "tau": np.array([0.03, 0.06, 0.02]),
        "sigma_walk": np.array([0.02, 0.07, 0.05]), "sigma_obs": 0.03,
    }  # fmt: skip
    if varying:
        data, v = replace(data, basis=np.isin(np.arange(data.z.size), [0, 1])), {**v, "vol_slope": -0.4}
    mean, cov = story_moments(data, r, horizon, v)
    real, pseudo = np.arange(data.z.size), np.arange(data.z.size, mean.size)
    gain = np.linalg.solve(cov[np.ix_(real, real)], cov[np.ix_(real, pseudo)])
    want_mean = mean[pseudo] + gain.T @ (data.z - mean[real])
    want_cov = (
        cov[np.ix_(pseudo, pseudo)] - cov[np.ix_(pseudo, real)] @ gain + v["sigma_obs"] ** 2 * np.eye(pseudo.size)
    )
    years, paths = common_paths(fake_posterior(data, n, **v), data, "city", horizon, np.random.default_rng(2))
    assert years.tolist() == list(range(2016, horizon + 1))
    drawn = np.log(paths[0])
    sd = np.sqrt(np.diag(want_cov))
    assert np.all(np.abs(drawn.mean(axis=0) - want_mean) < 4 * sd / np.sqrt(n))
    assert np.abs(np.cov(drawn.T) - want_cov).max() < 0.03 * want_cov.max()
    assert want_cov[-1, -1] > want_cov[3, 3]  # the spread grows past the last figure (2019)


def test_tiny_fit_gives_paths_to_the_horizon():
    idata = fit_common(build_common_model(CITY_PROVINCE), draws=100, tune=100, chains=2, seed=3)
    years, paths = common_paths(idata, CITY_PROVINCE, "city", 2022, np.random.default_rng(0))
    assert years.tolist() == list(range(2016, 2023))
    assert paths.shape == (2, 100, 7)
    assert np.all(paths > 0)
    assert np.median(paths[..., 0]) == pytest.approx(50, rel=0.1)


@pytest.mark.slow
def test_a_push_that_ended_is_not_carried_forward():
    """A province grows 40% a year through a push (2012-2017), then 8%; a city with two
    recent figures must be projected near the recent rate, not the push's."""
    rng = np.random.default_rng(5)
    growth = np.where(np.arange(2010, 2023) <= 2017, 0.34, 0.08)
    prov = np.log(500) + np.cumsum(growth + 0.02 * rng.standard_normal(growth.size))
    values = {"prov": {2010 + t: float(np.exp(prov[t])) for t in range(0, 13, 2)}}
    values["city"] = {
        2010: 20.0,
        2020: float(20 * np.exp(prov[10] - prov[0])),
        2022: float(20 * np.exp(prov[12] - prov[0])),
    }
    data = panel(values, parents={"city": "prov"})
    idata = fit_common(build_common_model(data), draws=1000, tune=1000, chains=2, seed=11)
    names = ["growth_long_run", "phi", "sigma_common", "tau", "sigma_walk", "sigma_obs"]
    assert check_convergence(idata, names).divergences == 0
    years, paths = common_paths(idata, data, "city", 2025, np.random.default_rng(0))
    median = np.median(paths.reshape(-1, years.size), axis=0)
    implied = (median[-1] / values["city"][2022]) ** (1 / 3) - 1
    assert 0.0 < implied < 0.2  # the push ran at 40% a year
