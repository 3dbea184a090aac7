"""Tests for models.baselines against hand-worked cases and closed forms.

Monte Carlo tolerances: with N draws the sample mean has sd sigma/sqrt(N), the sample
sd has relative sd about 1/sqrt(2N), and a sample q-quantile has sd
sqrt(q(1-q)/N)/f(x_q). Checks use 5 of these sds unless stated.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import models.baselines as baselines
from models.baselines import (
    BASELINES,
    DEFAULT_STEP_SD,
    BaselineForecast,
    forecast_last_value,
    forecast_linear_trend,
    forecast_random_walk_drift,
    transform_to_model_scale,
    transform_to_original_scale,
)

N = 200_000


def rng(seed: int = 12345) -> np.random.Generator:
    return np.random.default_rng(seed)


def assert_mean_sd(x: np.ndarray, mean: float, sd: float) -> None:
    n = x.size
    assert x.mean() == pytest.approx(mean, abs=5 * sd / np.sqrt(n))
    assert x.std() == pytest.approx(sd, rel=5 / np.sqrt(2 * n))


# --- transforms and registry --------------------------------------------------------


@pytest.mark.parametrize("scale", ["log", "logit", "identity"])
def test_transforms_round_trip(scale):
    v = np.array([0.5, 3.0, 42.0, 99.5])
    np.testing.assert_allclose(transform_to_original_scale(transform_to_model_scale(v, scale), scale), v)


def test_transform_domain_errors():
    with pytest.raises(ValueError):
        transform_to_model_scale([1.0, 0.0], "log")
    with pytest.raises(ValueError):
        transform_to_model_scale([50.0, 100.0], "logit")
    with pytest.raises(ValueError):
        transform_to_model_scale([1.0], "sqrt")


def test_registry_keys_and_uniform_call():
    assert set(BASELINES) == {"last_value", "random_walk_drift", "linear_trend"}
    for name, fn in BASELINES.items():
        out = fn([2015, 2016, 2018, 2019], [10.0, 11.0, 14.0, 15.0], [2021, 2023], 100, rng(), "log")
        assert isinstance(out, BaselineForecast)
        assert out.method_used == name
        assert out.draws.shape == (100, 2)
        np.testing.assert_array_equal(out.horizon_years, [2021, 2023])


def test_models_module_does_not_import_forecast():
    tree = ast.parse(inspect.getsource(baselines))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not any(m.split(".")[0] == "forecast" for m in imported)


# --- last value ---------------------------------------------------------------------


def test_last_value_gap_aware_spread():
    # changes 2 over 2 years and -1 over 1 year: sigma^2 = (2^2/2 + 1^2/1)/2 = 1.5;
    # h = 2015 - 2013 = 2 -> N(11, 3).
    out = forecast_last_value([2010, 2012, 2013], [10.0, 12.0, 11.0], [2015], N, rng(), "identity")
    assert out.sd_source == "estimated"
    assert_mean_sd(out.draws[:, 0], 11.0, np.sqrt(3.0))


def test_last_value_paths_are_random_walks():
    # Brownian paths: corr(z_1, z_4) = sqrt(min(1,4) / 4) = 0.5
    out = forecast_last_value([2010, 2011], [10.0, 11.0], [2012, 2015], N, rng(), "identity")
    corr = np.corrcoef(out.draws.T)[0, 1]
    assert corr == pytest.approx(0.5, abs=5 * (1 - 0.25) / np.sqrt(N))


def test_last_value_single_point_uses_stated_default():
    out = forecast_last_value([2020], [200.0], [2021, 2024], N, rng(), "log")
    assert out.method_used == "last_value" and out.sd_source == "default"
    z = np.log(out.draws)
    sd = DEFAULT_STEP_SD["log"]
    assert_mean_sd(z[:, 0], np.log(200.0), sd)
    assert_mean_sd(z[:, 1], np.log(200.0), sd * 2.0)  # sqrt(h) = sqrt(4)
    custom = forecast_last_value([2020], [200.0], [2021], N, rng(), "log", default_step_sd=0.3)
    assert_mean_sd(np.log(custom.draws[:, 0]), np.log(200.0), 0.3)


def test_identity_single_point_default_is_relative_and_zero_needs_explicit_sd():
    out = forecast_last_value([2020], [50.0], [2021], N, rng(), "identity")
    assert_mean_sd(out.draws[:, 0], 50.0, 5.0)
    with pytest.raises(ValueError):
        forecast_last_value([2020], [0.0], [2021], 10, rng(), "identity")
    ok = forecast_last_value([2020], [0.0], [2021], 10, rng(), "identity", default_step_sd=1.0)
    assert ok.draws.shape == (10, 1)


def test_last_value_two_points_estimates_sd_from_the_one_change():
    # log change log(1.21) over 2 years: sigma^2 = log(1.21)^2 / 2 -> sigma = sqrt(2) log(1.1)
    out = forecast_last_value([2018, 2020], [100.0, 121.0], [2021], N, rng(), "log")
    assert out.sd_source == "estimated"
    assert_mean_sd(np.log(out.draws[:, 0]), np.log(121.0), np.sqrt(2) * np.log(1.1))


# --- random walk with drift ---------------------------------------------------------


def test_drift_on_constant_growth_series_is_exact():
    years = np.array([2010, 2011, 2012, 2014, 2015])  # gap at 2013
    values = 50.0 * 1.08 ** (years - 2010)
    out = forecast_random_walk_drift(years, values, [2017, 2020], 500, rng(), "log")
    expected = 50.0 * 1.08 ** np.array([7, 10])
    np.testing.assert_allclose(out.draws, np.broadcast_to(expected, (500, 2)), rtol=1e-9)


def test_drift_gap_aware_hand_case():
    # d = [2, 1, 3], g = [1, 2, 1], G = 4 -> mu = 6/4 = 1.5;
    # residuals d - mu g = [0.5, -2, 1.5]; sum r^2/g = 0.25 + 2 + 2.25 = 4.5; sigma^2 = 4.5/2.
    # h = 2: mean 16 + 3 = 19, var 2.25 (2 + 4/4) = 6.75;
    # h = 5: mean 16 + 7.5 = 23.5, var 2.25 (5 + 25/4) = 25.3125.
    out = forecast_random_walk_drift(
        [2010, 2011, 2013, 2014], [10.0, 12.0, 13.0, 16.0], [2016, 2019], N, rng(), "identity"
    )
    assert out.method_used == "random_walk_drift" and out.sd_source == "estimated"
    assert_mean_sd(out.draws[:, 0], 19.0, np.sqrt(6.75))
    assert_mean_sd(out.draws[:, 1], 23.5, np.sqrt(25.3125))


def test_drift_single_point_falls_back_to_last_value():
    out = forecast_random_walk_drift([2020], [30.0], [2022], 100, rng(), "log")
    assert out.method_used == "last_value" and out.sd_source == "default"


def test_drift_two_points_uses_observed_drift_and_default_sd():
    # log drift log(1.21)/2 = log(1.1) a year; h = 2 -> median 121 * 1.21 = 146.41;
    # default sd 0.1: var 0.01 (h + h^2/G) = 0.01 (2 + 4/2) = 0.04.
    out = forecast_random_walk_drift([2018, 2020], [100.0, 121.0], [2022], N, rng(), "log")
    assert out.method_used == "random_walk_drift" and out.sd_source == "default"
    assert_mean_sd(np.log(out.draws[:, 0]), np.log(146.41), 0.2)


# --- linear trend -------------------------------------------------------------------


def test_linear_trend_recovers_exact_log_linear_series():
    years = np.array([2012, 2013, 2015, 2016, 2019])
    values = 300.0 * np.exp(0.12 * (years - 2012))
    out = forecast_linear_trend(years, values, [2021, 2025], 1000, rng(), "log")
    assert out.method_used == "linear_trend"
    expected = 300.0 * np.exp(0.12 * np.array([9, 13]))
    np.testing.assert_allclose(out.draws, np.broadcast_to(expected, (1000, 2)), rtol=1e-9)


def test_linear_trend_matches_student_t_prediction_interval():
    years = np.array([2010, 2011, 2012, 2014, 2015, 2017, 2018, 2019])
    values = np.array([3.0, 4.1, 4.6, 7.2, 7.4, 10.1, 10.2, 12.3])
    horizons = np.array([2021, 2026])
    out = forecast_linear_trend(years, values, horizons, N, rng(), "identity")
    # textbook OLS prediction interval, computed independently with polyfit
    n, df = years.size, years.size - 2
    slope, intercept = np.polyfit(years, values, 1)
    s = np.sqrt(np.sum((values - (intercept + slope * years)) ** 2) / df)
    s_tt = np.sum((years - years.mean()) ** 2)
    scale = s * np.sqrt(1 + 1 / n + (horizons - years.mean()) ** 2 / s_tt)
    centre = intercept + slope * horizons
    for q in (0.1, 0.5, 0.9):
        expected = centre + scale * stats.t.ppf(q, df)
        density = stats.t.pdf(stats.t.ppf(q, df), df) / scale
        tol = 5 * np.sqrt(q * (1 - q) / N) / density
        assert np.all(np.abs(np.quantile(out.draws, q, axis=0) - expected) <= tol)


def test_linear_trend_falls_back_with_fewer_than_three_points():
    two = forecast_linear_trend([2018, 2020], [100.0, 121.0], [2022], 100, rng(), "log")
    assert two.method_used == "random_walk_drift"
    one = forecast_linear_trend([2020], [100.0], [2022], 100, rng(), "log")
    assert one.method_used == "last_value"
    np.testing.assert_array_equal(
        two.draws, forecast_random_walk_drift([2018, 2020], [100.0, 121.0], [2022], 100, rng(), "log").draws
    )


# --- cross-cutting behaviour --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_logit_draws_stay_strictly_inside_0_100(name):
    years = [2016, 2017, 2019]  # three points: the linear trend has 1 df (Cauchy tails)
    out = BASELINES[name](years, [90.0, 96.0, 99.5], [2030, 2060], 20_000, rng(), "logit")
    assert np.all((out.draws > 0) & (out.draws < 100))
    low = BASELINES[name](years, [5.0, 2.0, 0.3], [2030, 2060], 20_000, rng(), "logit")
    assert np.all((low.draws > 0) & (low.draws < 100))


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_log_draws_are_finite_and_positive_even_with_heavy_tails(name):
    out = BASELINES[name]([2016, 2017, 2019], [10.0, 30.0, 12.0], [2040], 20_000, rng(), "log")
    assert np.all(np.isfinite(out.draws) & (out.draws > 0))


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_same_seed_same_draws(name):
    args = ([2015, 2016, 2018, 2019], [10.0, 11.0, 14.0, 15.0], [2021, 2022], 200)
    a = BASELINES[name](*args, rng(3), "log").draws
    b = BASELINES[name](*args, rng(3), "log").draws
    c = BASELINES[name](*args, rng(4), "log").draws
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_gap_handling_order_and_missing_values(name):
    fn = BASELINES[name]
    ref = fn([2012, 2013, 2016, 2017], [5.0, 6.0, 9.0, 9.5], [2019, 2022], 300, rng(), "log").draws
    shuffled = fn([2016, 2012, 2017, 2013], [9.0, 5.0, 9.5, 6.0], [2019, 2022], 300, rng(), "log").draws
    with_nan = fn([2012, 2013, 2014, 2016, 2017], [5.0, 6.0, np.nan, 9.0, 9.5], [2019, 2022], 300, rng(), "log")
    np.testing.assert_array_equal(ref, shuffled)
    np.testing.assert_array_equal(ref, with_nan.draws)


@pytest.mark.parametrize(
    "years, values, horizons",
    [
        ([2015, 2016], [1.0, 2.0], [2016]),  # horizon not after last year
        ([2015, 2016], [1.0, 2.0], [2019, 2018]),  # horizons not increasing
        ([2015, 2015], [1.0, 2.0], [2018]),  # duplicate year
        ([2015, 2016], [1.0, 2.0, 3.0], [2018]),  # length mismatch
        ([2015.5, 2016], [1.0, 2.0], [2018]),  # not whole years
        ([2015, 2016], [np.nan, np.nan], [2018]),  # nothing observed
        ([2015, 2016], [1.0, 2.0], []),  # no horizon
    ],
)
def test_invalid_inputs_raise(years, values, horizons):
    with pytest.raises(ValueError):
        forecast_random_walk_drift(years, values, horizons, 10, rng(), "identity")


def test_sampling_args_are_checked():
    with pytest.raises(TypeError):
        forecast_last_value([2015], [1.0], [2016], 10, 42, "log")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        forecast_last_value([2015], [1.0], [2016], 0, rng(), "log")


series = st.integers(1, 7).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 3), min_size=n, max_size=n),
        st.lists(st.floats(0.5, 99.5), min_size=n, max_size=n),
        st.lists(st.integers(1, 4), min_size=1, max_size=4),
    )
)


@settings(max_examples=40, deadline=None)
@given(series, st.sampled_from(["log", "logit", "identity"]), st.sampled_from(sorted(BASELINES)))
def test_draws_shape_and_domain_property(case, scale, name):
    gaps, values, horizon_gaps = case
    years = 2000 + np.cumsum(gaps)
    horizons = years[-1] + np.cumsum(horizon_gaps)
    out = BASELINES[name](years, values, horizons, 64, rng(), scale)
    assert out.draws.shape == (64, len(horizons))
    assert np.all(np.isfinite(out.draws))
    if scale == "log":
        assert np.all(out.draws > 0)
    if scale == "logit":
        assert np.all((out.draws > 0) & (out.draws < 100))
