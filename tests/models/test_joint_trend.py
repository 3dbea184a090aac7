"""The joint model of GDP, R&D intensity and R&D spending: the structured (Woodbury) density
against the dense one, the level means, the identity held draw by draw, and that one
component reproduces the common-growth model. All panels here are SYNTHETIC, made up for
the tests."""

from dataclasses import replace

import numpy as np
import pytensor
import pytest
from scipy import stats

from models.common_prior import PRIORS
from models.common_trend import build_common_model
from models.joint_draws import _with_pseudo, conditional_draws, future_shock_scales, joint_paths, noise_roots
from models.joint_trend import (
    SHOCK_SCALE,
    JointPanel,
    block_layout,
    build_joint_model,
    component_designs,
    figure_mean,
    joint_covariance,
    level_means,
)
from models.panel import CAVEATED, EXACT, LOWER_BOUND, PanelData
from models.structured_normal import structured_normal, structured_terms
from models.trend_terms import ar1_cholesky

INDICATORS = ("gdp", "rd_intensity", "rd_expenditure")
LOADINGS = np.array([[1, 0], [0, 1], [1, 1]])
CONSTANTS = np.array([0.0, 0.0, -np.log(100.0)])


def synthetic_panel(seed=1, share=0.6, end_year=2020, varying=False) -> JointPanel:
    """Four regions (two under the first), 2012-2020, each indicator present with probability `share`; `varying`:
    shock scales with a slope, Student-t walk shocks and the first year's growth at its own sd
    (`models.trend_terms`), the intensity figures to 2015 on an earlier basis with their own departures from the
    shift, and walk scales spread wider."""
    rng = np.random.default_rng(seed)
    rows = np.array([(r, y, i) for r in range(4) for y in range(2012, end_year + 1) for i in range(3)])
    rows = rows[rng.random(len(rows)) < share]
    gdp = np.log(1000.0 * (1 + rows[:, 0])) + 0.06 * (rows[:, 1] - 2012)
    intensity = np.log(2.0) + 0.04 * (rows[:, 1] - 2012)
    z = np.choose(rows[:, 2], [gdp, intensity, gdp + intensity - np.log(100.0)]) + 0.02 * rng.normal(size=len(rows))
    kind = np.full(len(rows), EXACT)
    kind[3], kind[7] = CAVEATED, LOWER_BOUND
    panel = JointPanel(
        ("a", "b", "c", "d"), np.array([-1, 0, 0, -1]), rows[:, 0], rows[:, 1], z, kind, rows[:, 2], INDICATORS,
        LOADINGS, CONSTANTS, (0.05, 0.03, 0.05), ("gdp", "rd_intensity"), (PRIORS["money"], PRIORS["percent"]),
        end_year,
    )  # fmt: skip
    if not varying:
        return panel
    sloped = tuple(replace(p, slope_sd=0.1) for p in panel.component_priors)
    basis = (rows[:, 2] == 1) & (rows[:, 1] <= 2015)
    return replace(
        panel, component_priors=sloped, basis=basis, walk_df=4.0, first_growth_sd=0.1, basis_noise=0.03, walk_spread=0.8
    )


def test_structured_normal_is_the_dense_normal_and_its_gradient_checks():
    rng = np.random.default_rng(0)
    n, rank, sizes = 40, 6, (10, 18, 12)
    perm = rng.permutation(n)
    index, blocks, dense = np.full((3, 18), -1), np.tile(np.eye(18), (3, 1, 1)), np.zeros((n, n))
    start = 0
    for b, m in enumerate(sizes):
        idx = perm[start : start + m]
        start += m
        root = rng.normal(size=(m, m))
        index[b, :m], blocks[b, :m, :m] = idx, root @ root.T + m * np.eye(m)
        dense[np.ix_(idx, idx)] = blocks[b, :m, :m]
    v, resid = rng.normal(size=(n, rank)), rng.normal(size=n)
    log_p = structured_terms(resid, blocks, index, v)[0]
    assert log_p == pytest.approx(stats.multivariate_normal(np.zeros(n), dense + v @ v.T).logpdf(resid), rel=1e-10)

    def density(r, blk, low_rank):
        return structured_normal(r, 0.5 * (blk + blk.transpose(0, 2, 1)), index, low_rank)

    pytensor.gradient.verify_grad(density, [resid, blocks, v], rng=rng)
    compiled = pytensor.function([], structured_normal(resid, blocks, index, v), mode="NUMBA")
    assert compiled() == pytest.approx(log_p, rel=1e-10)


def _values(model, point):
    outputs = model.unobserved_value_vars
    fn = pytensor.function(model.value_vars, outputs, on_unused_input="ignore")
    return dict(zip([o.name for o in outputs], fn(*[point[v.name] for v in model.value_vars]), strict=True))


def _perturbed_point(model, seed):
    rng = np.random.default_rng(seed)
    return {k: v + 0.2 * rng.normal(size=np.shape(v)) for k, v in model.initial_point().items()}


@pytest.mark.parametrize("varying", [False, True])
def test_joint_density_is_the_dense_normal_of_the_docstring(varying):
    """Also with a changing shock scale and figures on an earlier basis (`models.trend_terms`)."""
    panel = synthetic_panel(varying=varying)
    model = build_joint_model(panel)
    point = _perturbed_point(model, 3)
    fn = model.compile_fn(
        model.logp(vars=model.potentials, jacobian=False), inputs=model.value_vars, on_unused_input="ignore"
    )
    got = float(fn(point))
    v = _values(model, point)
    designs = component_designs(panel)
    names = ("phi", "sigma_common", "growth_long_run", "tau", "sigma_walk")
    draws = {name: v[name][None] for name in names + (("vol_slope", SHOCK_SCALE) if varying else ())}
    assert not varying or (np.abs(v["vol_slope"]).min() > 1e-3 and panel.on_basis.sum() > 2)
    assert not varying or np.ptp(np.log(v[SHOCK_SCALE])) > 0.5
    noise2 = ((v["sigma_obs"][panel.indicator_idx] * designs[0].noise_factor) ** 2 + 0.03**2 * panel.on_basis)[None]
    assert not varying or np.allclose(np.log(v["sigma_walk"]).std(axis=1), 0.8 * v["sigma_walk_offset"].std(axis=1))
    cov = joint_covariance(panel, designs, draws, noise2)[0]
    value = panel.z.copy()
    value[designs[0].bound] += v["bound_excess"]
    want = stats.multivariate_normal(figure_mean(panel, designs, v["growth_long_run"]), cov).logpdf(value)
    assert got == pytest.approx(want, rel=1e-9)
    assert designs[0].noise_factor[3] > 1  # the caveated figure is noisier


def test_one_component_is_the_common_growth_model():
    """GDP alone through the joint code: the same density as `models.common_trend` on the same figures."""
    full = synthetic_panel(share=1.0)
    keep = full.indicator_idx == 0
    panel = JointPanel(
        full.regions, full.parent, full.region_idx[keep], full.year[keep], full.z[keep], np.zeros(keep.sum(), int),
        np.zeros(keep.sum(), int), ("gdp",), np.array([[1]]), np.array([0.0]), (0.05,), ("gdp",),
        (PRIORS["count"],), full.end_year,
    )  # fmt: skip
    single = PanelData(
        panel.regions, panel.parent, panel.region_idx, panel.year, panel.z, panel.kind, "log", panel.end_year
    )
    joint, common = build_joint_model(panel), build_common_model(single)
    point = _perturbed_point(common, 5)
    joint_point = {k: np.reshape(point[k], np.shape(v)) for k, v in joint.initial_point().items()}

    def potential(model, p):
        fn = model.compile_fn(
            model.logp(vars=model.potentials, jacobian=False), inputs=model.value_vars, on_unused_input="ignore"
        )
        return float(fn(p))

    assert potential(joint, joint_point) == pytest.approx(potential(common, point), rel=1e-9)


def test_level_means_come_from_own_then_derived_then_parent_figures():
    panel = synthetic_panel(share=1.0)
    means = level_means(panel)
    r = 1
    first_gdp = np.flatnonzero((panel.region_idx == r) & (panel.indicator_idx == 0))[0]
    assert means[0, r] == pytest.approx(panel.z[first_gdp])
    # drop region 1's GDP figures: its GDP level comes from spending minus intensity in the same year
    keep = ~((panel.region_idx == r) & (panel.indicator_idx == 0))
    thin = JointPanel(
        panel.regions, panel.parent, panel.region_idx[keep], panel.year[keep], panel.z[keep], panel.kind[keep],
        panel.indicator_idx[keep], *(getattr(panel, f) for f in ("indicators", "loadings", "constants",
        "noise_priors", "components", "component_priors", "end_year")),
    )  # fmt: skip
    derived = level_means(thin)[0, r]
    assert derived == pytest.approx(means[0, r], abs=0.05)  # the figures carry 2% noise


def test_paths_keep_the_identity_draw_by_draw():
    """Paths from posterior-like draws (the prior's, no sampling): spending = GDP x intensity / 100 exactly."""
    import arviz as az
    import pymc as pm

    panel = synthetic_panel()
    model = build_joint_model(panel)
    with model:
        prior = pm.sample_prior_predictive(draws=40, random_seed=1)
    posterior = prior.prior.isel(draw=slice(0, 40))
    idata = az.InferenceData(posterior=posterior)
    for noisy, own in (((), False), ((1, 2), False), ((), True)):  # noise on GDP and intensity, on intensity and
        # spending, or each indicator's own
        years, paths, shift = joint_paths(
            idata, replace(panel, reported_noise=noisy, own_noise=own), "b", 2024, np.random.default_rng(0)
        )
        assert shift is None  # no figures on an earlier basis
        assert years[-1] == 2024 and set(paths) == set(INDICATORS)
        np.testing.assert_allclose(paths["rd_expenditure"], paths["gdp"] * paths["rd_intensity"] / 100, rtol=1e-10)
        assert np.all(np.isfinite(paths["gdp"])) and paths["gdp"].shape == (1, 40, years.size)


def test_noise_roots_give_every_indicator_its_own_noise_sd_where_they_can_all_hold():
    sds = np.array([[0.01, 0.017, 0.027], [0.033, 0.014, 0.028], [0.01, 0.01, 0.05], [0.01, 0.017, 0.028]])
    root = noise_roots(LOADINGS, sds**2, (1, 2))  # intensity and spending kept
    got = np.einsum("ik,nkj,ij->ni", LOADINGS, root @ root.transpose(0, 2, 1), LOADINGS)
    np.testing.assert_allclose(got[:2], sds[:2] ** 2, rtol=1e-10)  # feasible: each its own
    # not: intensity's and spending's own sds, GDP's the nearest feasible: |0.05 - 0.01| and 0.028 - 0.017
    np.testing.assert_allclose(np.sqrt(got[2:]), [[0.04, 0.01, 0.05], [0.011, 0.017, 0.028]], rtol=1e-10)


def test_paths_draw_the_basis_shift_of_a_regions_earlier_basis_figures():
    """Intensity figures to 2015 published 15% above the current basis (exp(0.15)): the shift drawn with region b's
    paths sits at 0.15, so a target judged on that basis reads its paths times exp(b_r) (issue 11: Hebei's 2018
    intensity was forecast on the revised GDP basis against a target and an outcome on the old one)."""
    import arviz as az

    panel = synthetic_panel(share=1.0)
    basis = (panel.indicator_idx == 1) & (panel.year <= 2015) & (panel.region_idx == 1)
    panel = replace(panel, z=np.where(basis, panel.z + 0.15, panel.z), basis=basis)
    n = 300
    draws = {
        "phi": np.full((1, n, 2), 0.7), "sigma_common": np.full((1, n, 2), 0.02),
        "growth_long_run": np.tile([0.06, 0.04], (1, n, 1)), "tau": np.full((1, n, 2, 4), 0.02),
        "sigma_walk": np.full((1, n, 2, 4), 0.01), "sigma_obs": np.full((1, n, 3), 0.02),
        "bound_excess": np.full((1, n, 1), 0.01),
    }  # fmt: skip
    idata = az.from_dict(posterior=draws)
    years, paths, shift = joint_paths(idata, panel, "b", 2022, np.random.default_rng(0))
    assert shift.shape == (1, n) and np.median(shift) == pytest.approx(0.15, abs=0.03)
    assert 0.005 < np.std(shift) < 0.05  # drawn, not fixed
    assert joint_paths(idata, panel, "c", 2022, np.random.default_rng(0))[2] is None  # c: no earlier-basis figure


@pytest.mark.parametrize("varying", [False, True])
def test_conditional_draws_are_the_gaussian_conditional(varying):
    """Matheron's rule through the blocks and Woodbury: the exact conditional mean (no noise drawn) and, by
    sampling, the conditional covariance, against the dense formulas (also with a changing shock scale and
    figures on an earlier basis)."""
    panel = synthetic_panel(varying=varying)
    years = np.arange(2014, 2024)
    augmented = _with_pseudo(panel, 1, years, [0, 1])
    designs = component_designs(augmented, 2023, level_means(panel))
    rng = np.random.default_rng(0)
    n = 3
    draws = {
        "phi": rng.uniform(0.5, 0.9, (n, 2)), "sigma_common": rng.uniform(0.02, 0.06, (n, 2)),
        "growth_long_run": rng.normal(0.05, 0.02, (n, 2)), "tau": rng.uniform(0.01, 0.05, (n, 2, 4)),
        "sigma_walk": rng.uniform(0.02, 0.05, (n, 2, 4)), "sigma_obs": rng.uniform(0.01, 0.05, (n, 3)),
        "bound_excess": rng.uniform(0, 0.1, (n, 1)),
    }  # fmt: skip
    if varying:
        draws["vol_slope"] = rng.uniform(-0.3, -0.1, (n, 2))
        draws[SHOCK_SCALE] = rng.uniform(0.3, 3.0, (n, 2, 4, designs[0].lag.shape[0]))
    layout = block_layout(augmented, designs)
    real, pseudo = np.arange(panel.z.size), np.arange(panel.z.size, augmented.z.size)
    noise2 = np.zeros((n, augmented.z.size))
    noise2[:, real] = (draws["sigma_obs"][:, panel.indicator_idx] * designs[0].noise_factor[real]) ** 2
    noise2[:, real] += panel.basis_noise**2 * panel.on_basis
    cov = joint_covariance(augmented, designs, draws, noise2)
    mean = figure_mean(augmented, designs, draws["growth_long_run"])
    value = np.tile(panel.z, (n, 1))
    value[:, panel.kind == LOWER_BOUND] += draws["bound_excess"]
    gain = np.linalg.solve(cov[:, real][:, :, real], cov[:, real][:, :, pseudo])  # (n, real, pseudo)
    want = mean[:, pseudo] + np.einsum("nrp,nr->np", gain, value - mean[:, real])
    got = conditional_draws(panel, augmented, designs, layout, draws, None)
    np.testing.assert_allclose(got, want, atol=1e-10)
    many = {k: np.repeat(v[:1], 6000, axis=0) for k, v in draws.items()}
    sampled = conditional_draws(panel, augmented, designs, layout, many, np.random.default_rng(1))
    want_cov = cov[0][np.ix_(pseudo, pseudo)] - cov[0][np.ix_(pseudo, real)] @ gain[0]
    assert np.abs(np.cov(sampled.T) - want_cov).max() < 0.05 * np.abs(want_cov).max()
    assert np.abs(sampled.mean(axis=0) - want[0]).max() < 4 * np.sqrt(np.diag(want_cov).max() / 6000)


def test_future_shock_scales_keep_the_fit_years_and_draw_the_rest_from_the_prior():
    """The walks' variance factors after the fit's last year are InverseGamma(nu / 2, nu / 2): with nu = 4, the
    Student-t's scale mixture, P(lambda <= 1) = P(Gamma(2, 2) >= 1) = 3 e^-2."""
    fitted = np.full((2000, 2, 3, 5), 7.0)
    out = future_shock_scales(fitted, 4.0, 8, np.random.default_rng(0))
    assert out.shape == (2000, 2, 3, 8) and np.all(out[..., :5] == 7.0)
    assert np.mean(out[..., 5:] <= 1.0) == pytest.approx(3 * np.exp(-2), abs=0.01)


def test_first_growth_sd_sets_the_first_years_state_and_stationary_is_the_default():
    phi, sigma, size = 0.7, 0.03, 6
    stationary = ar1_cholesky(phi, sigma, size)
    cov = stationary @ stationary.T
    np.testing.assert_allclose(cov, sigma**2 / (1 - phi**2) * phi ** np.abs(np.subtract.outer(range(6), range(6))))
    own = ar1_cholesky(phi, sigma, size, 0.1)
    np.testing.assert_allclose(own[:, 0], 0.1 * phi ** np.arange(size))
    np.testing.assert_allclose(own[:, 1:], stationary[:, 1:])
