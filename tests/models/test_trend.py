"""The trend model: structure and priors without MCMC; exact path sampling; recovery (slow)."""

import numpy as np
import pymc as pm
import pytest

from models.diagnostics import check_convergence
from models.trend import CAVEATED, EXACT, LOWER_BOUND, TrendData, build_trend_model, fit_trend, make_series, predictive_paths, sample_path


def series(name, years, values, kinds=None, scale="log"):
    kinds = np.zeros(len(years), int) if kinds is None else np.asarray(kinds)
    return make_series(name, np.asarray(years), np.asarray(values, float), kinds, scale)


def test_pooled_model_structure():
    data = TrendData((series("city", [2018, 2020, 2020], [100, 120, 125], [EXACT, EXACT, LOWER_BOUND]), series("prov", [2015, 2016, 2017], [1000, 1100, 1200])), "log", 2025)
    model = build_trend_model(data)
    names = {v.name for v in model.free_RVs}
    assert {"growth_parent", "growth_offset", "sigma_walk", "sigma_obs", "level", "later_0", "later_1", "bound_excess_0"} <= names
    assert model["state_0"].eval({model["level"]: np.array([1.0, 2.0]), model["later_0"]: np.array([3.0])}).tolist() == [1.0, 3.0]
    assert data.years.tolist() == list(range(2018, 2026))


def test_unpooled_single_figure_model_has_only_a_level_state():
    data = TrendData((series("city", [2020], [1.89], scale="logit"),), "logit", 2023)
    model = build_trend_model(data)
    assert "growth_parent" not in {v.name for v in model.free_RVs}
    assert "later_0" not in {v.name for v in model.free_RVs}


def test_prior_predictive_growth_is_plausible():
    """Prior growth should put most mass between -25% and +35% a year (module docstring)."""
    data = TrendData((series("city", [2018, 2020], [100, 120]),), "log", 2022)
    with build_trend_model(data):
        prior = pm.sample_prior_predictive(draws=2000, random_seed=1, var_names=["growth", "sigma_walk"]).prior
    growth = np.expm1(prior["growth"].values.ravel())
    share = np.mean((growth > -0.25) & (growth < 0.35))
    assert 0.85 < share < 0.99
    assert 0.05 < np.median(prior["sigma_walk"].values) < 0.15


def test_sample_path_is_a_bridge_between_states_and_a_drift_after():
    s = series("x", [2020, 2024], [1.0, 1.0])
    grid = np.arange(2020, 2027)
    states = np.array([[0.0, 4.0]])
    rng = np.random.default_rng(0)
    path = sample_path(s, grid, states, growth=np.array([0.5]), sigma=np.array([0.0]), rng=rng)
    # With no volatility: linear interpolation between states, then the drift of 0.5 a year.
    assert path[0].tolist() == pytest.approx([0, 1, 2, 3, 4, 4.5, 5.0])


def test_sample_path_bridge_variance_matches_theory():
    s = series("x", [2020, 2024], [1.0, 1.0])
    n = 20000
    path = sample_path(s, np.arange(2020, 2025), np.zeros((n, 2)), growth=np.zeros(n), sigma=np.ones(n), rng=np.random.default_rng(1))
    # Brownian bridge over 4 years: Var at t is t(4 - t)/4 -> 0.75, 1.0, 0.75; 5 sigma MC tolerance.
    tol = 5 * np.sqrt(2 / n)
    assert np.var(path[:, 1:4], axis=0) == pytest.approx([0.75, 1.0, 0.75], abs=tol * 1.0)
    assert np.all(path[:, 0] == 0) and np.all(path[:, 4] == 0)


def test_fit_runs_and_reports_diagnostics():
    data = TrendData((series("city", [2016, 2018, 2020], [100, 121, 146], [EXACT, CAVEATED, EXACT]),), "log", 2023)
    idata = fit_trend(build_trend_model(data), draws=100, tune=150, chains=2, seed=3)
    diag = check_convergence(idata)
    assert diag.chains == 2 and diag.draws == 100
    assert diag.status == "ok" or diag.status.startswith("WARNING")
    paths = predictive_paths(idata, data, np.random.default_rng(0))
    assert paths.shape == (2, 100, 8) and np.all(paths > 0)


@pytest.mark.slow
def test_recovers_growth_from_simulated_series():
    rng = np.random.default_rng(11)
    years = np.arange(2010, 2021)
    true_growth = 0.12
    z = np.log(500) + true_growth * (years - 2010) + np.cumsum(rng.normal(0, 0.05, years.size)) + rng.normal(0, 0.03, years.size)
    data = TrendData((series("sim", years, np.exp(z)),), "log", 2023)
    idata = fit_trend(build_trend_model(data), draws=1000, tune=1000, chains=2, seed=5)
    assert check_convergence(idata).status == "ok"
    growth = idata.posterior["growth"].values[..., 0].ravel()
    low, high = np.quantile(growth, [0.025, 0.975])
    assert low < true_growth < high
