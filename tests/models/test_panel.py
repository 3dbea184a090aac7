"""The hierarchical panel model: structure and priors without MCMC, exact path sampling,
the pointwise likelihood for LOO; posterior recovery from simulated panels (slow).
All panels here are SYNTHETIC, made up for the tests."""

import threading

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from models.diagnostics import check_convergence
from models.panel import (
    CAVEATED,
    EXACT,
    LOWER_BOUND,
    PROXY,
    VARIANTS,
    PanelData,
    _bridge,
    build_panel_model,
    fit_panel,
    future_growth,
    index_states,
    pointwise_log_likelihood,
    predictive_paths,
    to_scale,
)


def panel(
    values: dict[str, dict[int, float]],
    parents: dict[str, str] | None = None,
    kinds: dict[tuple, int] | None = None,
    scale="log",
    end_year=None,
) -> PanelData:
    names = tuple(values)
    parents = parents or {}
    kinds = kinds or {}
    rows = [(names.index(r), y, v, kinds.get((r, y), EXACT)) for r in names for y, v in values[r].items()]
    r, y, v, k = (np.array(c) for c in zip(*rows, strict=True))
    parent = np.array([names.index(parents[n]) if n in parents else -1 for n in names])
    return PanelData(
        names, parent, r, y.astype(int), to_scale(v, scale), k.astype(int), scale, end_year or int(y.max())
    )


CITY_PROVINCE = panel(
    {"prov": {2015: 1000, 2016: 1100, 2017: 1250, 2018: 1380}, "city": {2016: 50, 2018: 62}, "town": {2017: 5}},
    parents={"city": "prov", "town": "prov"},
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_builds_with_its_own_parameters(variant):
    model = build_panel_model(CITY_PROVINCE, variant)
    names = {v.name for v in model.free_RVs}
    assert {"growth_offset", "tau_child", "sigma_obs", "state_innovation"} <= names
    assert "growth_mu" not in names  # one top region: no spread to learn between tops
    assert ("phi" in names) == (variant == "damped")
    assert ("sigma_drift" in names) == (variant == "local_trend")
    assert tuple(model.named_vars_to_dims["growth_path"]) == ("region", "year")


def test_children_draw_growth_around_their_parent():
    model = build_panel_model(CITY_PROVINCE, "drift")
    # prov, the only top region: prior mean + prior sd u = 0.05 + 0.15; children: prov's + tau_child u.
    g = model["growth"].eval({model["tau_child"]: 0.02, model["growth_offset"]: np.array([1.0, 2.0, -1.0])})
    assert g == pytest.approx([0.20, 0.20 + 0.04, 0.20 - 0.02])


def test_three_or_more_top_regions_share_a_learnt_mean_and_spread():
    data = panel({"a": {2018: 10, 2019: 11}, "b": {2018: 20, 2019: 22}, "c": {2018: 30, 2019: 33}})
    model = build_panel_model(data, "drift")
    g = model["growth"].eval(
        {model["growth_mu"]: 0.05, model["tau_root"]: 0.1, model["growth_offset"]: np.array([1.0, 0.0, -2.0])}
    )
    assert g == pytest.approx([0.15, 0.05, -0.15])


def test_anchored_states_sit_on_their_figures_when_the_innovation_is_zero():
    model = build_panel_model(CITY_PROVINCE, "drift")
    idx = index_states(CITY_PROVINCE)
    state = model["state"].eval({model["state_innovation"]: np.zeros(idx.region.size), model["sigma_obs"]: 0.05})
    expected = [np.log(v) for v in (1000, 1100, 1250, 1380, 50, 62, 5)]
    assert state == pytest.approx(expected)


def test_two_figures_for_one_year_anchor_at_their_precision_weighted_mean():
    data = panel({"a": {2018: 100, 2019: 110}}, kinds={})
    data = PanelData(
        data.regions,
        data.parent,
        np.array([0, 0, 0]),
        np.array([2018, 2019, 2019]),
        np.log([100, 110, 121]),
        np.array([EXACT, EXACT, CAVEATED]),
        "log",
        2019,
    )
    model = build_panel_model(data, "drift")
    state = model["state"].eval({model["state_innovation"]: np.zeros(2), model["sigma_obs"]: 0.05})
    w = np.array([1.0, 1 / 16])
    assert state[1] == pytest.approx(np.sum(w * np.log([110, 121])) / w.sum())


def test_within_state_spread_is_the_density_of_the_figures_about_their_mean():
    """Two figures for one year: the spread term is log N(z1|m,s) + log N(z2|m,4s) - log N(m|m,a)."""
    z = np.log([110.0, 121.0])
    data = PanelData(
        ("a",),
        np.array([-1]),
        np.array([0, 0, 0]),
        np.array([2018, 2019, 2019]),
        np.log([100.0, 110, 121]),
        np.array([EXACT, EXACT, CAVEATED]),
        "log",
        2019,
    )
    model = build_panel_model(data, "drift")
    w = np.array([1.0, 1 / 16])
    m, a = np.sum(w * z) / w.sum(), 0.05 / np.sqrt(w.sum())
    expected = stats.norm.logpdf(z[0], m, 0.05) + stats.norm.logpdf(z[1], m, 0.2) - stats.norm.logpdf(m, m, a)
    spread = model.compile_fn(model["obs_spread"], inputs=[model["sigma_obs"]], on_unused_input="ignore")
    assert spread({"sigma_obs": 0.05}) == pytest.approx(expected)


def test_gradient_compiles_promptly_with_several_years_of_double_figures():
    """A square of zero in the spread term once sent pytensor's rewriter into minutes-long
    loops (R&D spending, which has two sources for many years). The rewriter swallows
    signals, so the compile runs in a thread and a hang fails the test after a minute."""
    years = np.repeat(np.arange(2015, 2020), 2)
    z = np.log(100.0) + 0.1 * (years - 2015) + np.tile([0.0, 0.03], 5)
    data = PanelData(("a",), np.array([-1]), np.zeros(10, int), years, z, np.tile([EXACT, CAVEATED], 5), "log", 2019)
    model = build_panel_model(data, "drift")
    compiled = {}
    worker = threading.Thread(target=lambda: compiled.update(dlogp=model.compile_dlogp()), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert "dlogp" in compiled, "compiling the gradient took over a minute"
    assert np.all(np.isfinite(compiled["dlogp"](model.initial_point())))


def test_prior_predictive_growth_is_plausible():
    """The docstring's prior: most growth between -25% and +35% a year."""
    with build_panel_model(CITY_PROVINCE, "drift"):
        prior = pm.sample_prior_predictive(draws=2000, random_seed=1, var_names=["growth", "sigma_walk"]).prior
    growth = np.expm1(prior["growth"].values.ravel())
    assert 0.80 < np.mean((growth > -0.25) & (growth < 0.35)) < 0.99
    assert 0.05 < np.median(prior["sigma_walk"].values) < 0.15


def test_damped_growth_decays_to_the_long_run_rate():
    post = {"growth": np.array([[0.30]]), "growth_long_run": np.array([0.05]), "phi": np.array([0.5])}
    g = future_growth("damped", post, 0, n_years=3, n_grid=2, rng=np.random.default_rng(0))
    # g(t) = 0.05 + 0.25 * 0.5^t at grid steps 2, 3, 4.
    assert g[0] == pytest.approx([0.05 + 0.25 / 4, 0.05 + 0.25 / 8, 0.05 + 0.25 / 16])


def test_bridge_interpolates_around_the_trend_and_drifts_after():
    years = np.arange(2020, 2027)
    growth = np.array([[0.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]])  # 2020..2026; G(2020) = 0
    cumulative = np.cumsum(growth, axis=1)
    path = _bridge(
        years,
        np.array([2020, 2024]),
        np.array([[0.0, 6.0]]),
        cumulative,
        2020,
        np.array([0.0]),
        np.random.default_rng(0),
    )
    # Trend adds 4 over 2020-24, the states 6: the extra 2 is spread evenly; then +0.5 a year.
    assert path[0] == pytest.approx([0, 1.5, 3.0, 4.5, 6.0, 6.5, 7.0])


def test_bridge_variance_matches_brownian_bridge():
    n = 20000
    cumulative = np.zeros((n, 5))
    path = _bridge(
        np.arange(2020, 2025),
        np.array([2020, 2024]),
        np.zeros((n, 2)),
        cumulative,
        2020,
        np.ones(n),
        np.random.default_rng(1),
    )
    # Var at t is t(4 - t)/4: 0.75, 1.0, 0.75 (tolerance about 5 MC standard errors).
    assert np.var(path[:, 1:4], axis=0) == pytest.approx([0.75, 1.0, 0.75], abs=5 * np.sqrt(2 / n))


def test_pointwise_log_likelihood_is_the_normal_density_of_each_figure():
    data = panel({"a": {2018: 100, 2019: 110}})
    posterior = {"state": np.log([[[101.0, 108.0]]]), "sigma_obs": np.array([[0.05]])}
    idata = type("I", (), {"posterior": {k: type("V", (), {"values": v})() for k, v in posterior.items()}})()
    got = pointwise_log_likelihood(idata, data)
    assert got[0, 0] == pytest.approx(stats.norm.logpdf(np.log([100, 110]), np.log([101, 108]), 0.05))


def test_lower_bounds_are_not_in_the_loo_likelihood():
    data = panel({"a": {2018: 100, 2019: 110, 2020: 120}}, kinds={("a", 2020): LOWER_BOUND})
    posterior = {"state": np.zeros((1, 1, 3)), "sigma_obs": np.ones((1, 1))}
    idata = type("I", (), {"posterior": {k: type("V", (), {"values": v})() for k, v in posterior.items()}})()
    assert pointwise_log_likelihood(idata, data).shape == (1, 1, 2)


def test_tiny_fit_gives_paths_to_the_horizon_and_a_log_likelihood():
    idata = fit_panel(build_panel_model(CITY_PROVINCE, "drift"), CITY_PROVINCE, draws=100, tune=100, chains=2, seed=3)
    assert idata.log_likelihood["obs"].shape == (2, 100, 7)
    years, paths = predictive_paths(idata, CITY_PROVINCE, "drift", "city", 2022, np.random.default_rng(0))
    assert years.tolist() == list(range(2016, 2023))
    assert paths.shape == (2, 100, 7)
    assert np.all(paths > 0)
    # At the city's observed years the reported value scatters around the figure.
    assert np.median(paths[..., 0]) == pytest.approx(50, rel=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["drift", "damped"])
def test_recovers_panel_growth_from_simulated_series(variant):
    """Ten regions, 12 years, true growth 0.08 around a mean of 0.08: the posterior mean
    growth must come within its 90% interval of the truth, with a clean fit."""
    rng = np.random.default_rng(42)
    true_g = 0.08 + 0.03 * rng.standard_normal(10)
    values = {}
    for k, g in enumerate(true_g):
        x = np.log(200.0) + np.cumsum(g + 0.05 * rng.standard_normal(12))
        values[f"r{k}"] = {2010 + t: float(np.exp(x[t] + 0.03 * rng.standard_normal())) for t in range(12)}
    data = panel(values)
    idata = fit_panel(build_panel_model(data, variant), data, draws=1000, tune=1000, chains=2, seed=7)
    assert check_convergence(idata, ["growth", "sigma_walk", "sigma_obs"]).divergences < 10
    if variant == "drift":
        post = idata.posterior["growth"].values.reshape(-1, 10)
        low, high = np.quantile(post, [0.05, 0.95], axis=0)
        assert np.mean((true_g > low) & (true_g < high)) >= 0.7
    mu = idata.posterior["growth_mu"].values.ravel()
    assert np.quantile(mu, 0.02) < 0.08 < np.quantile(mu, 0.98)


def test_a_year_with_only_a_stock_flow_proxy_is_anchored_on_it():
    base = panel({"prov": {2018: 1000, 2020: 1300}})
    # Proxy for 2019: three years of certifications summing to 1250 (synthetic).
    data = PanelData(
        base.regions,
        base.parent,
        np.array([0, 0, 0]),
        np.array([2018, 2020, 2019]),
        np.concatenate([base.z, np.log([1250.0])]),
        np.array([EXACT, EXACT, PROXY]),
        "log",
        2020,
    )
    model = build_panel_model(data, "drift")
    assert "obs_stock_flow" not in model.named_vars  # carried by the anchoring, not counted twice
    state = model["state"].eval(
        {
            model["state_innovation"]: np.zeros(3),
            model["sigma_obs"]: 0.05,
            model["stock_flow_log_rho"]: -0.1,
            model["sigma_stock_flow"]: 0.1,
        }
    )
    assert state == pytest.approx(np.log([1000.0, 1250.0 * np.exp(-0.1), 1300.0]))
