"""The ensemble memory estimate against the peak tracemalloc measures (synthetic small cities)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from models.ladder import COLUMNS, LadderParams
from models.ladder.run import estimate_memory, run_ensemble

CITY = dict(stage_counts={"hte": 200, "tech_sme": 2000, "startup": 800}, start_year=2020, end_year=2023)


@pytest.mark.parametrize("batch_size", [2, 8])
def test_estimate_bounds_the_measured_peak(batch_size):
    """Upper bound, and not wildly so: measured <= estimate <= 3 x measured (after a first run has
    loaded and compiled the code, which tracemalloc would count too)."""
    run_ensemble(n_runs=1, seed=1, **CITY)
    estimate = estimate_memory(n_runs=8, batch_size=batch_size, **CITY)
    tracemalloc.start()
    try:
        run_ensemble(n_runs=8, seed=3, batch_size=batch_size, **CITY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert estimate.batch_runs == batch_size and estimate.processes == 1
    arrays = estimate.peak_bytes - estimate.processes * estimate.process_bytes  # tracemalloc sees no libraries
    assert peak <= arrays <= 3 * peak, (peak, estimate.describe())


def test_estimate_grows_with_runs_per_batch_and_workers_not_with_runs():
    one = estimate_memory(n_runs=100, batch_size=5, **CITY)
    arrays = one.peak_bytes - one.process_bytes
    assert estimate_memory(n_runs=100, batch_size=10, **CITY).peak_bytes - one.process_bytes > 1.8 * arrays
    assert estimate_memory(n_runs=100, batch_size=5, workers=2, **CITY).processes == 2
    # more runs add only their result rows (3 copies of runs x years x columns), not agents held at once
    more = estimate_memory(n_runs=1000, batch_size=5, **CITY)
    assert more.peak_bytes - one.peak_bytes == 3 * 900 * 4 * len(COLUMNS) * 8
    budget = one.process_bytes + arrays / 2
    within = one.batch_runs_within(budget)
    assert 1 <= within < 5 and estimate_memory(n_runs=100, batch_size=within, **CITY).peak_bytes <= budget
    assert one.batch_runs_within(one.process_bytes) == 0


def test_entries_from_levers_and_drawn_rates_raise_the_estimate():
    plain = estimate_memory(n_runs=4, **CITY)
    draws = [LadderParams(startup_entry_rate=r) for r in np.linspace(0.2, 0.6, 4)]
    assert estimate_memory(n_runs=4, param_draws=draws, **CITY).agents_per_run > plain.agents_per_run


def test_batch_size_does_not_change_the_numbers():
    a = run_ensemble(n_runs=5, seed=8, batch_size=2, **CITY)
    b = run_ensemble(n_runs=5, seed=8, batch_size=5, **CITY)
    np.testing.assert_array_equal(a["hte_certified"].values, b["hte_certified"].values)
