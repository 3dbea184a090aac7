"""Per-run counts over the firm records of an array batch, compiled: one pass each, no masks.

The array engine (`engine`) keeps the firms of many runs in one structured array
(`records.STATE_DTYPE`), sorted by run, with ``run[i]`` the run of firm i. What a year
needs per run -- the stage counts and R&D sums `engine._summarise` records, and the
reserve pool's `rules.hte_eligibility_gap` of the registered SMEs -- is read here in
one compiled loop over the records, calling the rules themselves (`compiled`); so are the
eligibility classes the pilot and the Mesa agent read (`hte_classes`) and the criteria met
(`criteria`).
"""

from __future__ import annotations

import sys

import numba
import numpy as np

from models.ladder import behaviour, kernel, rules
from models.ladder.compiled import sources_digest
from models.ladder.rules import Stage

N_STAGES = len(Stage)


def _entry_points(digest: str):
    """The compiled loops; `digest` (of the compiled sources) keys numba's cache (`compiled`)."""

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def stock_all(state, run, n_runs):  # pragma: no cover - compiled
        _ = digest
        stages = np.zeros((n_runs, N_STAGES), dtype=np.int64)
        small_certified = np.zeros(n_runs, dtype=np.int64)
        rd = np.zeros((n_runs, 2))
        for i in range(state.size):
            f, r = state[i], run[i]
            stages[r, f.stage] += 1
            rd[r, 0] += f.rd_spend
            if kernel.is_certified(f.stage):
                rd[r, 1] += f.rd_spend
                small_certified[r] += rules.within_sme_size(f.staff, f.revenue, f.assets)
        return stages, small_certified, rd

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def gaps_of(state, index):  # pragma: no cover - compiled
        _ = digest
        gap = np.empty(index.size)
        for j in range(index.size):
            gap[j] = kernel.hte_gap(state[index[j]])
        return gap

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def classes_of(state, pass_mark, criteria):  # pragma: no cover - compiled
        _ = digest
        out = np.empty(state.size, dtype=np.int64)
        for i in range(state.size):
            f = state[i]
            if criteria:
                out[i] = kernel.criteria_bits(f)
            else:
                out[i] = 2 * kernel.hte_eligible(f) + kernel.sme_eligible(f, pass_mark)
        return out

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def fund_all(state, run, n_runs, per_firm):  # pragma: no cover - compiled
        """High-growth candidates per run (`per_firm` None); else each candidate's fund_injection set to
        its run's `per_firm`, every other firm's to 0."""
        _ = digest
        counts = np.zeros(n_runs, dtype=np.int64)
        for i in range(state.size):
            f = state[i]
            candidate = rules.is_high_growth_candidate(kernel.is_certified(f.stage), f.stage, f.last_growth)
            if per_firm is None:
                counts[run[i]] += candidate
            else:
                f.fund_injection = per_firm[run[i]] if candidate else 0.0
        return counts

    return stock_all, gaps_of, classes_of, fund_all


_stock_all, _gaps_of, _classes_of, _fund_all = _entry_points(
    sources_digest(rules, behaviour, kernel, sys.modules[__name__])
)


def stock(state: np.ndarray, run: np.ndarray, n_runs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run: (firms by stage (runs x stages), certified firms within the SME size limits,
    R&D spend of all firms and of certified firms (runs x 2), 10k yuan)."""
    return _stock_all(state, np.ascontiguousarray(run, dtype=np.int32), int(n_runs))


def eligibility_gaps(state: np.ndarray, index: np.ndarray) -> np.ndarray:
    """`rules.hte_eligibility_gap` of the firms at `index`."""
    return _gaps_of(state, np.ascontiguousarray(index, dtype=np.int64))


def hte_classes(state: np.ndarray, pass_mark: float) -> np.ndarray:
    """2 x meets the HTE criteria (`kernel.hte_eligible`) + passes the SME rule (`kernel.sme_eligible`),
    per firm record."""
    return _classes_of(state, float(pass_mark), False)


def criteria(state: np.ndarray) -> np.ndarray:
    """`kernel.criteria_bits` of every firm record: bit k set where criterion ``kernel.CRITERIA[k]`` is met."""
    return _classes_of(state, 0.0, True)


def fund_candidates(state: np.ndarray, run: np.ndarray, n_runs: int) -> np.ndarray:
    """Per run, the firms `rules.is_high_growth_candidate` picks (the guidance fund's candidates)."""
    return _fund_all(state, np.ascontiguousarray(run, dtype=np.int32), int(n_runs), None)


def give_fund(state: np.ndarray, run: np.ndarray, per_firm: np.ndarray) -> None:
    """fund_injection of each guidance-fund candidate := its run's ``per_firm``; of every other firm, 0."""
    _fund_all(state, np.ascontiguousarray(run, dtype=np.int32), len(per_firm), np.asarray(per_firm, dtype=np.float64))
