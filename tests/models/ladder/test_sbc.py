"""Simulation-based calibration of the ladder calibration (models.ladder.sbc).

The default suite checks the pieces on SYNTHETIC inputs (prior draws, simulated figures, ranks, the
uniformity test); the SBC itself, at the shape of the bundled Hebei calibration, is behind `slow`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from arviz import InferenceData

from forecast.inputs.bundle import load_inputs
from forecast.ladder import calibration as lcal
from models.ladder import sbc
from models.ladder.calibration import INDICATORS, SAMPLED
from models.panel import BOUND_EXCESS_SD
from tests.models.ladder.test_calibration import SMALL_HISTORY


def test_prior_draws_lie_in_the_ranges_and_pool_the_city():
    rng = np.random.default_rng(1)
    draws = np.array([sbc.prior_draw(2, rng) for _ in range(4000)])
    n = len(SAMPLED)
    for block in (draws[:, :n], draws[:, n : 2 * n]):
        assert np.all((block >= sbc.LO) & (block <= sbc.HI))
    # the province's rates are uniform on their ranges; the city's scatter around them (POOL_SD)
    middle, width = (sbc.LO + sbc.HI) / 2, sbc.HI - sbc.LO
    assert np.all(np.abs(draws[:, n : 2 * n].mean(axis=0) - middle) < 0.03 * width)
    z = lambda x: np.log((x - sbc.LO) / (sbc.HI - x))  # noqa: E731 - the logit of a rate within its range
    gap = z(draws[:, :n]) - z(draws[:, n : 2 * n])
    assert np.allclose(gap.std(axis=0), 0.75, rtol=0.08)
    assert np.all(draws[:, 2 * n :] > 0) and draws.shape[1] == len(sbc.quantity_names(["a", "b"]))


def test_simulated_figures_keep_the_data_shape_and_its_lower_bounds():
    observations, _ = lcal.gather_observations("hebei", SMALL_HISTORY)  # SYNTHETIC history
    truth = sbc.prior_draw(1, np.random.default_rng(2))
    first, again = (sbc.simulate_observations(observations, truth, np.random.SeedSequence(3)) for _ in range(2))
    real, sim = observations[0].figures, first[0].figures
    assert list(sim[["indicator", "year", "censored", "noise"]].itertuples(index=False)) == list(
        real[["indicator", "year", "censored", "noise"]].itertuples(index=False)
    )
    assert not np.allclose(sim["value"], real["value"]) and np.all(sim["value"] > 0)
    np.testing.assert_array_equal(sim["value"], again[0].figures["value"])  # the same seed, the same figures
    # a bound is the figure the same draws make, less a half-normal excess (as the calibration reads bounds)
    as_figures = [replace(o, figures=o.figures.assign(censored=False)) for o in observations]
    figures = sbc.simulate_observations(as_figures, truth, np.random.SeedSequence(3))[0].figures
    censored = sim["censored"].to_numpy()
    assert censored.any()
    np.testing.assert_array_equal(sim["value"][~censored], figures["value"][~censored])
    excess = np.log(figures["value"][censored].to_numpy() / sim["value"][censored].to_numpy())
    assert np.all((excess > 0) & (excess < 5 * BOUND_EXCESS_SD))


def _posterior(rates: np.ndarray, sigma: np.ndarray) -> InferenceData:
    """A SYNTHETIC one-region posterior: rates (chain, draw, param), sigma (chain, draw, indicator)."""
    return InferenceData(
        posterior=xr.Dataset(
            {
                "rates": (("chain", "draw", "region", "param"), rates[:, :, None, :]),
                "sigma": (("chain", "draw", "indicator"), sigma),
            },
            coords={"region": ["hebei"], "param": list(SAMPLED), "indicator": list(INDICATORS)},
        )
    )


def test_ranks_count_posterior_draws_below_the_truth():
    grid = np.linspace(0.0, 1.0, 100)
    rates = np.broadcast_to(grid[None, :, None], (1, 100, len(SAMPLED))).copy()
    sigma = np.broadcast_to(grid[None, :, None], (1, 100, len(INDICATORS))).copy()
    truth = np.full(len(SAMPLED) + len(INDICATORS), 0.5)
    ranks, sd = sbc.ranks_of(_posterior(rates, sigma), truth, ["hebei"], thin=11)
    assert np.all(ranks == 5) and np.allclose(sd, grid.std())  # 0, 0.1, .., 0.4 of 11 spread draws lie below


def test_uniformity_passes_uniform_ranks_and_fails_a_biased_posterior():
    rng = np.random.default_rng(4)
    names = ("a", "b")
    ranks = np.column_stack([rng.integers(0, 100, 200), rng.integers(70, 100, 200)])  # b: truth too often high
    result = sbc.SbcResult(names, ranks, 99, np.ones((200, 2)), np.zeros(200, int))
    table = result.uniformity(bins=5).set_index("quantity")
    assert table.loc["a", "p_value"] > 0.01 and table.loc["b", "p_value"] < 1e-6


@pytest.mark.slow
def test_sbc_ranks_are_uniform_at_the_shape_of_hebei():
    # Rates and noise from the prior, figures from the array engine at Hebei's start state, years, caveats and
    # policies (the bundled data's shape), calibrated by the real method; a miscalibrated quantity fails.
    inputs = load_inputs()
    observations, _ = lcal.gather_observations("hebei", inputs.history, policies=inputs.policies)
    result = sbc.run_sbc(observations, simulations=20, seed=11, sampler={"draws": 200, "tune": 300, "chains": 2})
    table = result.uniformity(bins=4)
    assert table["p_value"].min() > 0.001, table.to_string()
    assert (result.divergences > 0).mean() <= 0.1
    # the figures identify the application rate (the lists are application x pass x the eligible pool)
    assert table.set_index("quantity").loc["hebei: application_rate", "sd_ratio"] < 0.6
