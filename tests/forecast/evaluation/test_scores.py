"""Tests for forecast.evaluation.scores against closed forms and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from forecast.evaluation.scores import (
    DEFAULT_QUANTILES,
    aggregate_coverage,
    brier_score,
    crps_from_draws,
    interval_coverage,
    predictive_quantiles,
    reliability_table,
    score_forecasts,
    threshold_event_probability,
)

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


def draws_and_obs(max_draws: int = 40, max_obs: int = 4):
    """Strategy: (draws (n_draws, n_obs), observed (n_obs,))."""
    return st.tuples(st.integers(1, max_draws), st.integers(1, max_obs)).flatmap(
        lambda s: st.tuples(arrays(float, s, elements=finite), arrays(float, (s[1],), elements=finite))
    )


def crps_brute_force(draws: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Energy form with the O(n^2) pairwise mean, as an independent reference."""
    term1 = np.mean(np.abs(draws - y), axis=0)
    pairwise = np.abs(draws[:, None, :] - draws[None, :, :])
    return term1 - 0.5 * pairwise.mean(axis=(0, 1))


def crps_normal(mu: float, sigma: float, y: np.ndarray) -> np.ndarray:
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


# --- CRPS ---------------------------------------------------------------------------


def test_crps_matches_normal_closed_form():
    # Monte Carlo error: the estimate is (1/n) sum f(X_i) + O(1/n) with
    # f(x) = |x - y| - E|x - X'|. f'(x) = sign(x - y) - (2 Phi((x-mu)/sigma) - 1), so
    # E f'^2 = 4[(1 - u_y)^3 + u_y^3]/3 <= 4/3, and the Gaussian Poincare inequality
    # gives Var f(X) <= sigma^2 * 4/3. So sd(estimate) <= 1.155 sigma / sqrt(n); the
    # ECDF bias E|X-X'|/(2n) = sigma/(sqrt(pi) n) is negligible. Tolerance: 5 sd.
    mu, sigma, n = 3.0, 2.0, 200_000
    y = mu + sigma * np.array([0.0, 1.0, -2.5, 4.0])
    draws = np.random.default_rng(20240601).normal(mu, sigma, size=(n, y.size))
    tol = 5 * np.sqrt(4 / 3) * sigma / np.sqrt(n)
    np.testing.assert_allclose(crps_from_draws(draws, y), crps_normal(mu, sigma, y), atol=tol)


def test_crps_hand_case_two_draws():
    # ECDF of {0, 1} is 1/2 on [0, 1); at y = 0: integral_0^1 (1/2 - 1)^2 dx = 1/4.
    assert crps_from_draws(np.array([0.0, 1.0]), 0.0)[0] == pytest.approx(0.25)
    # fair: E|X - y| = 1/2 minus 1/2 * mean over distinct pairs |0 - 1| = 1/2 -> 0.
    assert crps_from_draws(np.array([0.0, 1.0]), 0.0, fair=True)[0] == pytest.approx(0.0)


def test_crps_is_vectorised_per_column():
    draws = np.column_stack([np.full(5, 2.0), np.arange(5.0)])
    # column 2: ECDF of 0..4 at y = 4: mean|x - 4| = 2, E|X-X'| = 2*20/25 = 1.6 -> 2 - 0.8
    np.testing.assert_allclose(crps_from_draws(draws, [5.0, 4.0]), [3.0, 1.2])


@settings(max_examples=60, deadline=None)
@given(draws_and_obs())
def test_crps_sorted_formula_equals_brute_force(case):
    draws, y = case
    np.testing.assert_allclose(crps_from_draws(draws, y), crps_brute_force(draws, y), atol=1e-8, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(draws_and_obs())
def test_crps_is_non_negative(case):
    draws, y = case
    assert np.all(crps_from_draws(draws, y) >= -1e-9)


@settings(max_examples=40, deadline=None)
@given(x=finite, y=finite, n=st.integers(1, 30))
def test_crps_point_mass_is_absolute_error(x, y, n):
    assert crps_from_draws(np.full(n, x), y)[0] == pytest.approx(abs(x - y), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(y=finite, n=st.integers(1, 30))
def test_crps_draws_equal_to_observation_is_zero(y, n):
    assert crps_from_draws(np.full(n, y), y)[0] == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(draws_and_obs(), st.floats(-100, 100), st.floats(0.1, 10))
def test_crps_is_translation_and_scale_equivariant(case, shift, scale):
    draws, y = case
    np.testing.assert_allclose(
        crps_from_draws(scale * draws + shift, scale * y + shift),
        scale * crps_from_draws(draws, y),
        atol=1e-6,
        rtol=1e-7,
    )


def test_crps_rejects_bad_input():
    with pytest.raises(ValueError):
        crps_from_draws(np.zeros((10, 3)), np.zeros(2))
    with pytest.raises(ValueError):
        crps_from_draws(np.array([0.0, np.nan]), 0.0)
    with pytest.raises(ValueError):
        crps_from_draws(np.array([1.0]), 0.0, fair=True)


# --- interval coverage --------------------------------------------------------------


def test_interval_coverage_hand_case():
    draws = np.tile(np.arange(101.0)[:, None], (1, 5))  # 10 % and 90 % quantiles: 10, 90
    observed = np.array([10.0, 90.0, 9.99, 90.01, 50.0])
    np.testing.assert_array_equal(interval_coverage(draws, observed, 0.8), [True, True, False, False, True])


@pytest.mark.parametrize("level", [0.5, 0.8, 0.95])
def test_interval_coverage_of_known_distribution_is_nominal(level):
    rng = np.random.default_rng(7)
    n_obs = 4000
    draws = rng.standard_normal((1000, n_obs))
    observed = rng.standard_normal(n_obs)
    share = aggregate_coverage(interval_coverage(draws, observed, level))
    # binomial sd sqrt(L(1-L)/n_obs) <= 0.008; quantile noise from 1000 draws adds little
    assert share == pytest.approx(level, abs=4 * np.sqrt(level * (1 - level) / n_obs) + 0.005)


def test_aggregate_coverage_is_share():
    assert aggregate_coverage([True, False, True, True]) == 0.75
    with pytest.raises(ValueError):
        aggregate_coverage([])


def test_interval_coverage_rejects_bad_level():
    with pytest.raises(ValueError):
        interval_coverage(np.zeros((3, 1)), [0.0], 1.0)


# --- Brier and reliability ----------------------------------------------------------


def test_brier_score_hand_cases():
    assert brier_score([0.8, 0.3, 1.0, 0.0], [1, 0, 1, 1]) == pytest.approx((0.04 + 0.09 + 0 + 1) / 4)
    assert brier_score([1.0, 0.0], [True, False]) == 0.0
    assert brier_score([0.5] * 3, [0, 1, 1]) == pytest.approx(0.25)


def test_brier_score_rejects_bad_input():
    with pytest.raises(ValueError):
        brier_score([1.2], [1])
    with pytest.raises(ValueError):
        brier_score([0.5], [2])
    with pytest.raises(ValueError):
        brier_score([0.5, 0.5], [1])


def test_reliability_table_hand_case():
    prob = [0.05, 0.15, 0.12, 0.95, 1.0, 0.5]
    outcome = [0, 1, 0, 1, 1, 0]
    table = reliability_table(prob, outcome, n_bins=10)
    assert list(table.columns) == ["bin", "bin_lower", "bin_upper", "mean_predicted", "observed_frequency", "count"]
    assert len(table) == 10
    np.testing.assert_array_equal(table["count"], [1, 2, 0, 0, 0, 1, 0, 0, 0, 2])
    filled = table.set_index("bin").loc[[0, 1, 5, 9]]
    np.testing.assert_allclose(filled["mean_predicted"], [0.05, 0.135, 0.5, 0.975])
    np.testing.assert_allclose(filled["observed_frequency"], [0.0, 0.5, 0.0, 1.0])
    assert table.loc[table["count"] == 0, "mean_predicted"].isna().all()


def test_reliability_bins_respect_their_printed_edges():
    # 0.29 * 100 rounds below 29 in floating point; the bin must still be [0.29, 0.30)
    table = reliability_table([0.29, 0.0, 1.0], [1, 0, 1], n_bins=100)
    assert table.loc[table["bin"] == 29, "count"].item() == 1
    assert table.loc[table["bin"] == 0, "count"].item() == 1
    assert table.loc[table["bin"] == 99, "count"].item() == 1


# --- quantiles, thresholds, summary -------------------------------------------------


def test_predictive_quantiles_of_uniform_grid():
    draws = np.tile(np.arange(101.0)[:, None], (1, 3))
    q = predictive_quantiles(draws)
    assert isinstance(q, pd.DataFrame)
    assert q.shape == (3, len(DEFAULT_QUANTILES))
    np.testing.assert_allclose(q.to_numpy(), np.tile(100 * np.array(DEFAULT_QUANTILES), (3, 1)))
    np.testing.assert_allclose(q.columns.to_numpy(), DEFAULT_QUANTILES)


def test_threshold_event_probability_hand_case():
    draws = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    np.testing.assert_allclose(threshold_event_probability(draws, 3.0, "at_least"), [0.5, 1.0])
    np.testing.assert_allclose(threshold_event_probability(draws, 3.0, "at_most"), [0.75, 0.0])
    np.testing.assert_allclose(threshold_event_probability(draws, [2.5, 25.0], "at_least"), [0.5, 0.5])
    with pytest.raises(ValueError):
        threshold_event_probability(draws, 3.0, "above")
    with pytest.raises(ValueError):
        threshold_event_probability(draws, [1.0, 2.0, 3.0], "at_most")


def test_score_forecasts_perfect_point_forecast():
    observed = np.array([1.0, 2.0, 3.0])
    row = score_forecasts(np.tile(observed, (50, 1)), observed)
    assert row == {"n_obs": 3, "coverage_50": 1.0, "coverage_80": 1.0, "coverage_95": 1.0, "mean_crps": 0.0}


def test_score_forecasts_mean_crps_and_coverage():
    draws = np.column_stack([np.zeros(4), np.array([0.0, 0.0, 1.0, 1.0])])
    row = score_forecasts(draws, [3.0, 0.0])
    # column 1: point mass at 0, y = 3 -> CRPS 3, not covered; column 2: ECDF of {0,0,1,1}
    # at y = 0 -> integral_0^1 (1/2 - 1)^2 = 1/4; 0 is the 2.5 % quantile -> covered at 95 %.
    assert row["mean_crps"] == pytest.approx((3.0 + 0.25) / 2)
    assert row["coverage_95"] == 0.5
