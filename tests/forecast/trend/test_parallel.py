"""`forecast.trend.parallel.map_calls`: the same results in any number of processes, in order, with the workers'
log records passed on, and their errors raised. The real fits: `test_panels_in_parallel_are_the_sequential_ones`
(SYNTHETIC figures, tiny draws)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from forecast.trend.parallel import map_calls


def seeded_draws(seed: int, size: int = 5) -> np.ndarray:
    logging.getLogger("forecast").info("drew %d numbers from seed %d", size, seed)
    return np.random.default_rng(seed).standard_normal(size)


def failing(seed: int) -> int:
    if seed == 2:
        raise ValueError(f"bad seed {seed}")
    return seed


def test_results_in_order_and_the_same_in_any_number_of_processes(caplog):
    calls = [((seed,), {"size": 3}) for seed in (5, 1, 9, 2)]
    finished = []
    with caplog.at_level(logging.INFO, logger="forecast"):
        parallel = map_calls(seeded_draws, calls, workers=2, done=lambda: finished.append(1))
    sequential = map_calls(seeded_draws, calls, workers=1)
    costliest_first = map_calls(seeded_draws, calls, workers=2, cost=[1.0, 3.0, 2.0, 0.0])
    assert len(finished) == 4
    for a, b, c, seed in zip(parallel, sequential, costliest_first, (5, 1, 9, 2), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(a, np.random.default_rng(seed).standard_normal(3))
    # what the workers logged reaches the parent's handlers (run.log), once per call
    assert sum("drew 3 numbers from seed 9" in m for m in caplog.messages) == 1


def test_an_error_in_a_worker_is_raised():
    with pytest.raises(ValueError, match="bad seed 2"):
        map_calls(failing, [((1,), {}), ((2,), {})], workers=2)


@pytest.mark.slow
def test_panels_in_parallel_are_the_sequential_ones(tmp_path):
    from forecast.inputs.bundle import load_inputs
    from forecast.scenario import TrendSettings
    from forecast.trend.pipeline import panel_forecasts
    from tests.conftest import HEADER, SYNTHETIC, write

    rows = [("hebei", y, 1000 * 1.1 ** (y - 2014), 1.5 + 0.05 * (y - 2014)) for y in range(2014, 2021)]
    rows += [("langfang", y, 100 * 1.2 ** (y - 2018), 1.2 + 0.1 * (y - 2018)) for y in range(2018, 2021)]
    body = "".join(
        f"{r},high_tech_enterprises,{y},{round(n)},firms,{SYNTHETIC},,main,\n{r},rd_intensity,{y},{p:.2f},percent,"
        f"{SYNTHETIC},,main,\n"
        for r, y, n, p in rows
    )
    inputs = load_inputs(write(tmp_path / "h.csv", HEADER + body))
    options = dict(regions=inputs.regions, indicators=inputs.indicators, horizon=2023, cutoff=None, seed=3)
    options["settings"] = TrendSettings(draws=60, tune=60)
    calls = [((inputs.history, i, ["langfang"]), options) for i in ("high_tech_enterprises", "rd_intensity")]
    one, two = (panel_forecasts(calls, cache=None, refit=False, workers=w, done=lambda: None) for w in (1, 2))
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.paths["langfang"], b.paths["langfang"])
        assert a.diagnostics == b.diagnostics
