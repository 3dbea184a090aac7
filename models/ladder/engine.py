"""The array engine: many runs of the ladder model at once, one record per firm.

Every firm of every run is one record of a structured array (`records.STATE_DTYPE`,
the smallest dtype for each attribute, `DTYPES`) plus ``run``, its run index; firms
are kept sorted by run. One year does what `model.LadderModel.step` does, for all
runs together: the events of `kernel.YEAR` in that order (`_Year`), and the firm step
is `kernel.step_bits`, the compiled loop over firms that `agents.Firm.step` runs on
its one firm, with each run's row of rates (`records.params_table`)::

    policy      = active_levers(levers, year)
    fund        : fund_per_firm(guidance_fund, candidates of the run, k) to each candidate
    intake      : n_r = min(N_sme_r, stochastic_round(reserve_wanted(N_sme_r, ...)));
                  the n_r SMEs of run r first in kernel.reserve_priority (ties at random)
    vouchers    : voucher_probability(policy, eligible firms of run r, k)
    firms       : event bits = step_bits(state, params table, policy, year, ..., run);
                  exits by the alive mask (compaction)
    entries     : Poisson(entry_means(params_r, ..., registered and certified firms of run r at the
                  start of the year)) startups and move-ins per run,
                  drawn by `population.draw_states`, placed after their run's survivors
    record      : per-run sums by ``np.bincount(run, ...)``, times k

Randomness: run r draws everything from its own ``np.random.default_rng(seed_r)``
(the child seed `run.run_ensemble` gives it), so a run's numbers depend on its
seed alone, not on which runs share a batch. The order of draws differs from the
Mesa reference (which shuffles agents and draws per firm), so the two engines
agree in distribution, not number by number (tests/models/ladder/test_engine.py).

Start populations reused. A run's start population and its generator's state after drawing it depend
on the run's seed, the rates a firm's draw reads (`population.DRAW_PARAMS`), the start counts, year and
certificate ages, never on the levers nor on the other rates (the ones `forecast explain` sweeps). An
ensemble run with ``keep_starts`` (the commands that run the same runs again: `forecast compare` and
`forecast explain`) has its process keep the starts it draws (a copy, and the generator's state after it), up
to `START_CACHE_BYTES`; a one-off ensemble does not pay for the copy (a sizeable share of a run of the Hebei
province scenario, whose start is 80,000 firms and whose one year costs less than drawing them). Any later ensemble
with the same runs (the settings of `forecast explain`'s sweep and the scenarios of
`forecast compare` share seeds and parameter draws: common random numbers) takes the kept records and
generator state instead of drawing them: the same numbers, without the draw (`_Batch.start`). A full
cache drops only starts not taken for twice as many look-ups as it holds starts, else it takes no more:
the ensembles of one command ask for their runs in the same order, so dropping the least recently used
start would drop each one just before it is asked for again (no start of an ensemble larger than the
cache would ever be reused), while the starts of an earlier command (a long-lived Dask worker) go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace

import numba
import numpy as np

from models.ladder import census, kernel, records
from models.ladder.levers import LeverSetting, active_levers, check_settings
from models.ladder.model import COLUMNS, EVENT_COLUMNS, STAGE_COLUMNS
from models.ladder.params import LadderParams
from models.ladder.population import DRAW_PARAMS, draw_states
from models.ladder.rules import Stage

DTYPES: dict[str, np.dtype] = {name: records.STATE_DTYPE[name].base for name in records.STATE}
"""Storage dtype of each attribute of a firm record (`records.STATE_DTYPE`)."""

N_STAGES = len(Stage)
START_CACHE_BYTES = 256 * 2**20
"""Start populations a process keeps (module docstring): 100 Langfang runs' (about 1.9 MB each)."""
_STARTS: dict[bytes, tuple[np.ndarray, dict]] = {}
"""Kept starts: records and the generator's state after them, by `_start_key`."""
_TAKEN: dict[bytes, int] = {}
"""The look-up count when each kept start was kept or last taken (`_LOOKUPS`)."""
_LOOKUPS = [0]


def _start_key(seed: np.random.SeedSequence, row: np.ndarray, agents: Mapping[str, int], year: int, cert_ages) -> bytes:
    """A digest of everything a run's start population depends on (module docstring): of its rates, only the
    ones a firm's draw reads (`population.DRAW_PARAMS`), so a sweep of the other rates reuses the starts."""
    ages = None if cert_ages is None else tuple(float(a) for a in cert_ages)
    rates = tuple(row[name].item() for name in DRAW_PARAMS)
    text = repr((seed.entropy, tuple(seed.spawn_key), seed.pool_size, sorted(agents.items()), int(year), ages, rates))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def forget_starts() -> None:
    """Drop every kept start (a benchmark's one-off run draws its starts again)."""
    _STARTS.clear()
    _TAKEN.clear()


def _remember(key: bytes, state: np.ndarray, generator_state: dict) -> None:
    """Keep a start drawn (a copy, and the generator's state after it), making room as the module docstring says."""
    held = sum(kept.nbytes for kept, _ in _STARTS.values())
    if held + state.nbytes > START_CACHE_BYTES:
        stale = [k for k, tick in _TAKEN.items() if tick < _LOOKUPS[0] - 2 * len(_STARTS)]
        for k in stale:
            held -= _STARTS.pop(k)[0].nbytes
            del _TAKEN[k]
    if held + state.nbytes <= START_CACHE_BYTES:
        _STARTS[key], _TAKEN[key] = (state.copy(), generator_state), _LOOKUPS[0]


class _Batch:
    """Runs stepped together: the firms' state, their run index, each run's generator and parameters."""

    def __init__(self, params: Sequence[LadderParams], seeds: Sequence[np.random.SeedSequence], firm_scale: int):
        self.n_runs, self.k = len(params), firm_scale
        self.params, self.seeds = list(params), list(seeds)
        self.rngs = [np.random.default_rng(seed) for seed in seeds]
        self.table = records.params_table(self.params)
        self.per_run = SimpleNamespace(**{name: self.table[name] for name in self.table.dtype.names})
        self.state = np.zeros(0, dtype=records.STATE_DTYPE)
        self.run = np.zeros(0, dtype=np.int32)
        self._held, self._spare = (self.state, self.run), (self.state, self.run)
        self._draws: dict[bool, np.ndarray] = {}
        self.stages = np.zeros((self.n_runs, N_STAGES), dtype=np.int64)

    def take_stock(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`census.stock` of the runs; keeps the stage counts in ``stages``, which the next year's intake,
        vouchers and entries read (the state does not change between a year's end and the next start)."""
        counts, small, rd_sums = census.stock(self.state, self.run, self.n_runs)
        self.stages = counts
        return counts, small, rd_sums

    def renew(
        self,
        alive: np.ndarray | None,
        counts_by_run: Sequence[Mapping[str, int]],
        year: int,
        cert_ages: Sequence[float] | None = None,
        start: bool = False,
    ) -> None:
        """Drop the firms not `alive` (None: keep all) and add run r's entrants, drawn by `draw_states`
        from run r's generator (``start``: the start population), after its survivors, so the firms stay
        sorted by run: one compiled pass (`_merge`) writes each run's survivors, then its entrants."""
        entrants, n_new = draw_states(counts_by_run, year, self.table, self.rngs, cert_ages, start)
        if not self.run.size:  # the start: the drawn records are the state
            self.state, self.run = entrants, np.repeat(np.arange(self.n_runs, dtype=np.int32), n_new)
            return
        if alive is None:
            alive = np.ones(self.run.size, dtype=bool)
        n_kept = int(np.count_nonzero(alive))
        if n_kept == self.run.size and not n_new.any():
            return
        state, run = self._output(n_kept + entrants.size)
        _merge(self.state, self.run, alive, entrants, n_new, state, run)
        self.state, self.run = state, run

    def start(
        self, agents: Mapping[str, int], year: int, cert_ages: Sequence[float] | None, keep: bool = False
    ) -> None:
        """Every run's start population (`agents` of each stage), as `renew` from no firms draws it; a run's
        records and generator state kept in this process (`_STARTS`, module docstring) are taken instead, and
        the ones drawn are kept if `keep`."""
        keys = [_start_key(seed, self.table[r], agents, year, cert_ages) for r, seed in enumerate(self.seeds)]
        kept = {r: _STARTS[key] for r, key in enumerate(keys) if key in _STARTS}
        for key in keys:
            _LOOKUPS[0] += 1
            if key in _TAKEN:
                _TAKEN[key] = _LOOKUPS[0]
        todo = [r for r in range(self.n_runs) if r not in kept]
        drawn, n_drawn = draw_states(
            [agents] * len(todo), year, self.table[todo], [self.rngs[r] for r in todo], cert_ages, start=True
        )
        ends = np.cumsum(n_drawn)
        spans, parts = {r: (end - n, end) for r, end, n in zip(todo, ends, n_drawn, strict=True)}, []
        for r, key in enumerate(keys):
            if r in spans:
                parts.append(drawn[slice(*spans[r])])
                if keep:
                    _remember(key, parts[-1], self.rngs[r].bit_generator.state)
            else:
                records_r, generator_state = kept[r]
                self.rngs[r].bit_generator.state = generator_state
                parts.append(records_r)
        self.state = drawn if len(todo) == self.n_runs else np.concatenate(parts)  # no copy without kept ones
        self.run = np.repeat(np.arange(self.n_runs, dtype=np.int32), [part.size for part in parts])

    def _output(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Records and run index for `n` firms: the spare buffers (grown by a quarter when short), while
        the ones the state is in become the spare. Reused, not allocated each year: a fresh array's first
        touch (page faults) cost four times the copy itself."""
        state, run = self._spare
        if state.size < n:
            state, run = np.empty(n + n // 4, dtype=records.STATE_DTYPE), np.empty(n + n // 4, dtype=np.int32)
        self._spare, self._held = self._held, (state, run)
        return state[:n], run[:n]

    def draw(self, shape_per_firm: int, normal: bool) -> np.ndarray:
        """(firms, shape_per_firm) standard normals or uniforms in single precision (`kernel.DRAW_DTYPE`),
        run r's rows from run r's generator."""
        out = self._draws.get(normal)
        if out is None or out.shape[0] < self.run.size or out.shape[1] != shape_per_firm:
            shape = (self.run.size + self.run.size // 4, shape_per_firm)
            out = self._draws[normal] = np.empty(shape, dtype=kernel.DRAW_DTYPE)
        out = out[: self.run.size]
        bounds = np.searchsorted(self.run, np.arange(self.n_runs + 1))
        for r, rng in enumerate(self.rngs):
            block = out[bounds[r] : bounds[r + 1]]
            if normal:
                rng.standard_normal(out=block, dtype=kernel.DRAW_DTYPE)
            else:
                rng.random(out=block, dtype=kernel.DRAW_DTYPE)
        return out


# --- one year of every run ----------------------------------------------------------
class _Year:
    """One year of every run of a batch: the events of `kernel.YEAR`, each a method ``_<name>``."""

    def __init__(self, b: _Batch, policy: Mapping[str, float], year: int) -> None:
        self.b, self.policy, self.year = b, policy, year
        self.tally: dict[str, np.ndarray] = {}
        self.voucher = np.zeros(0)
        self.alive = np.ones(b.run.size, dtype=bool)

    def _allocate_fund(self) -> None:
        b, policy = self.b, self.policy
        n = census.fund_candidates(b.state, b.run, b.n_runs)
        self.tally["fund_candidates"] = n
        per_firm = kernel.fund_per_firm(policy["guidance_fund"], n, b.k) if policy["guidance_fund"] > 0 else 0.0 * n
        census.give_fund(b.state, b.run, per_firm)

    def _admit_to_reserve(self) -> None:
        """The n_r SMEs of each run first in `kernel.reserve_priority` enter the pool (ties at random)."""
        b, s = self.b, self.b.state
        sme = np.flatnonzero(s["stage"] == int(Stage.TECH_SME))
        n_sme = b.stages[:, int(Stage.TECH_SME)]
        bounds = np.concatenate([[0], np.cumsum(n_sme)])
        wanted = kernel.reserve_wanted(n_sme, b.per_run.reserve_intake_rate, self.policy, b.k)
        gap = kernel.reserve_priority(census.eligibility_gaps(s, sme))
        n, chosen = np.zeros(b.n_runs, dtype=np.int64), []
        for r in np.flatnonzero(n_sme):
            rng, lo, hi = b.rngs[r], bounds[r], bounds[r + 1]
            n[r] = min(n_sme[r], kernel.stochastic_round(wanted[r], rng.random()))
            chosen.append(lo + _smallest(gap[lo:hi], rng.random(n_sme[r]), n[r]))
        chosen = sme[np.concatenate(chosen)] if chosen else sme[:0]
        s["stage"][chosen], s["reserve_years"][chosen] = int(Stage.RESERVE), 0
        self.tally["reserve_intake"] = n

    def _offer_vouchers(self) -> None:
        b = self.b
        eligible = b.stages[:, int(Stage.STARTUP) : int(Stage.RESERVE) + 1].sum(axis=1)
        self.voucher = kernel.voucher_probability(self.policy, eligible, b.k)

    def _step_firms(self) -> None:
        b, policy, tally = self.b, self.policy, self.tally
        z, u = b.draw(kernel.N_NORMALS, normal=True), b.draw(kernel.N_UNIFORMS, normal=False)
        counts = np.zeros((b.n_runs, len(kernel.EVENTS)), dtype=np.int64)
        bits = kernel.step_bits(b.state, b.table, policy, self.year, self.voucher, z, u, b.run, counts)
        self.alive = (bits & (kernel.CLOSED | kernel.MOVED_AWAY)) == 0
        tally |= {name: counts[:, e] for e, name in enumerate(kernel.EVENTS)}
        tally["reward_outlay"] = (
            tally["new_certifications"] * policy["certification_reward"]
            + tally["recertifications"] * policy["recertification_reward"]
        )

    def _enter(self) -> None:
        b = self.b  # b.stages: each run's counts at the start of the year (`_summarise` of the last one)
        registered, certified = _registered_certified(b.stages, b.k)
        startups, move_ins = kernel.entry_means(b.per_run, self.policy, registered, certified, b.k)
        counts = [
            {"startup": int(rng.poisson(startups[r])), "hte": int(rng.poisson(move_ins[r]))}
            for r, rng in enumerate(b.rngs)
        ]
        self.tally["entries_startup"] = np.array([c["startup"] for c in counts])
        self.tally["move_ins"] = np.array([c["hte"] for c in counts])
        b.renew(self.alive, counts, self.year)


def _step(b: _Batch, policy: Mapping[str, float], year: int) -> dict[str, np.ndarray]:
    """One year of every run (`kernel.YEAR`, module docstring); returns the per-run event tallies."""
    this_year = _Year(b, policy, year)
    kernel.run_year(this_year)
    return this_year.tally


@numba.njit(cache=True, nogil=True)
def _merge(state, run, alive, entrants, n_new, out, out_run) -> None:  # pragma: no cover - compiled
    """Run by run: the run's firms of `state` that are `alive`, then its ``n_new[r]`` `entrants` (in
    order, grouped by run), into `out` and `out_run`; `state` is sorted by run."""
    i, e, o = 0, 0, 0
    for r in range(n_new.size):
        while i < state.size and run[i] == r:
            if alive[i]:
                out[o] = state[i]
                out_run[o] = r
                o += 1
            i += 1
        for _ in range(n_new[r]):
            out[o] = entrants[e]
            out_run[o] = r
            o += 1
            e += 1


def _smallest(key: np.ndarray, ties: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` smallest (key, tie) pairs: every key below the n-th smallest, then the
    ones equal to it in the order of their ties (the first n of a sort by (key, tie), without the sort)."""
    if n >= key.size:
        return np.arange(key.size)
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = np.partition(key, n - 1)[n - 1]
    below, at = np.flatnonzero(key < kth), np.flatnonzero(key == kth)
    return np.concatenate([below, at[np.argsort(ties[at], kind="stable")[: n - below.size]]])


def _registered_certified(counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per run: registered firms (tech SMEs and reserve) and certified firms, from stage counts (runs x stages)."""
    return (
        k * counts[:, int(Stage.TECH_SME) : int(Stage.RESERVE) + 1].sum(axis=1),
        k * counts[:, int(Stage.HTE) :].sum(axis=1),
    )


def _summarise(b: _Batch, year: int, tally: dict | None) -> np.ndarray:
    """One row of `model.COLUMNS` per run (as `LadderModel._summarise`), from `_Batch.take_stock`."""
    k, R = b.k, b.n_runs
    counts, small, rd_sums = b.take_stock()
    rd, rd_certified = rd_sums[:, 0], rd_sums[:, 1]
    row = {"year": np.full(R, year), "n_firms": k * counts.sum(axis=1)}
    row |= {name: k * counts[:, int(stage)] for name, stage in zip(STAGE_COLUMNS, Stage, strict=True)}
    row["tech_sme_registered"], row["hte_certified"] = _registered_certified(counts, k)
    row["tech_sme_incl_hte"] = row["tech_sme_registered"] + k * small
    row["rd_spending"], row["rd_spending_certified"] = k * rd / 10_000, k * rd_certified / 10_000
    flows = (*EVENT_COLUMNS, "cert_losses", "certifications_listed", "entries", "exits", "reward_outlay")
    if tally is None:
        row |= {name: np.full(R, np.nan) for name in flows}
    else:
        row |= {name: k * tally[name] for name in (*EVENT_COLUMNS, "reward_outlay")}
        row["cert_losses"] = row["cert_lapsed"] + row["cert_failed"]
        row["certifications_listed"] = row["new_certifications"] + row["recertifications"]
        row["entries"] = row["entries_startup"] + row["move_ins"]
        row["exits"] = row["exits_closed"] + row["exits_moved_away"]
    return np.stack([np.asarray(row[c], dtype=float) for c in COLUMNS], axis=1)


def run_batch(
    *,
    params: Sequence[LadderParams],
    seeds: Sequence[np.random.SeedSequence],
    stage_counts: Mapping[str, int],
    start_year: int,
    end_year: int,
    levers: Iterable[LeverSetting] = (),
    firm_scale: int = 1,
    cert_ages: Sequence[float] | None = None,
    keep_starts: bool = False,
) -> np.ndarray:
    """Runs r = 0..len(seeds)-1 with `params[r]` and `seeds[r]`: an array (run, year, `model.COLUMNS`);
    ``cert_ages`` as in `population.build_population` (the start's certified firms); ``keep_starts``: keep the
    start populations drawn for later ensembles of the same runs (module docstring; the numbers do not change)."""
    if int(firm_scale) != firm_scale or firm_scale < 1:
        raise ValueError(f"firm_scale must be a positive integer, got {firm_scale!r}")
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    levers = check_settings(levers)
    b = _Batch(params, seeds, int(firm_scale))
    agents = {name: round(count / b.k) for name, count in stage_counts.items()}
    b.start(agents, start_year, cert_ages, keep_starts)
    kernel.choose_rd_all(b.state, b.table, active_levers(levers, start_year), b.run)
    rows = [_summarise(b, start_year, None)]
    for year in range(start_year + 1, end_year + 1):
        tally = _step(b, active_levers(levers, year), year)
        rows.append(_summarise(b, year, tally))
    return np.stack(rows, axis=1)
