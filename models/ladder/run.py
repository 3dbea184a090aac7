"""The ladder simulation as functions of keyword arguments: one run, an ensemble,
and the Monte Carlo probability of an event.

Seeds: one seed per scenario. ``run_ladder(seed=s)`` drives everything from
``SeedSequence(s)``; ``run_ensemble(seed=s, n_runs=n)`` gives run i the child
``SeedSequence(s).spawn(n)[i]``, so run i of an ensemble is reproducible alone
with ``run_ladder(seed=SeedSequence(s).spawn(n)[i], ...)``.

Engines: ``engine="array"`` (the default) steps all firms of a batch of runs at
once (`engine.run_batch`); ``engine="mesa"`` runs the Mesa reference
(`model.LadderModel`) run by run. Both call the same firm step (`kernel`), give
the same columns and the same distributions, but not the same numbers for a seed
(they draw in different orders). Array batches hold about `BATCH_AGENTS` agents;
a run's numbers depend on its child seed only, not on the batch or the workers.

Batches: `ensemble_jobs` splits an ensemble into `Job`s (runs i..j with their seeds
and parameters, and a digest `Job.key`), `run_job` runs one in any process or on any
machine, `assemble` joins their arrays into the ensemble's Dataset; `estimate_memory`
says what an ensemble needs before it runs (`forecast.ladder.ensemble` uses all four).

Probability of an event from n independent runs with x successes::

    p = x / n,   se = sqrt(p (1 - p) / n)

(the plain binomial standard error; it is 0 when p is 0 or 1, so report n too).
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from models.ladder.engine import START_CACHE_BYTES, run_batch
from models.ladder.kernel import entry_means
from models.ladder.levers import LeverSetting, active_levers, check_settings
from models.ladder.model import COLUMN_UNITS, COLUMNS, LadderModel
from models.ladder.params import PARAM_RANGES, LadderParams

SeedLike = int | np.random.SeedSequence
Engine = Literal["array", "mesa"]
ENGINES = ("array", "mesa")
BATCH_AGENTS = 50_000
"""Agents stepped together by the array engine by default (numbers do not depend on it). Small enough for a
batch's records (`records.STATE_DTYPE`, 141 bytes an agent) and the year's draws to stay in the processor's
cache while the yearly passes go over them: 250,000 took 6% more CPU (Langfang, 1 to 18 runs a batch,
benchmarks/bench_ladder.py's old against new); a batch's Python work a year is a small part at this size."""
ARRAY_BYTES_PER_AGENT = 650
"""Peak bytes per agent of an array batch: the firm records (`records.STATE_DTYPE`, 141 bytes, twice while
survivors and entrants are placed), the year's draws and the engine's temporaries. Measured with tracemalloc:
388 per agent at the largest city size of the run (tests/models/ladder/test_memory.py, 2 and 8 runs a batch);
a process's resident size adds more at scale: a one-million-firm run's peak RSS was 1.11 GiB
(`benchmarks/bench_ladder.py`, 2026-12-01), i.e. `PROCESS_BYTES` plus about 630 bytes for each of the estimate's
1.4 million agents (400, the value before, put the estimate 27% under it). tests/models/ladder/test_memory.py checks
that the estimate bounds the measured peak and is not over three times it."""
MESA_BYTES_PER_AGENT = 12_000
"""Peak bytes per agent of a Mesa run (Python objects; measured about 10,900)."""
PROCESS_BYTES = 300 * 2**20 + START_CACHE_BYTES
"""A process with Python, numpy, scipy, xarray and numba loaded, before any firm (measured: 267 MiB peak RSS
after a tiny ensemble), plus the start populations it may keep (`engine.START_CACHE_BYTES`)."""


def run_ladder(
    *,
    stage_counts: Mapping[str, int],
    start_year: int,
    end_year: int,
    params: LadderParams = LadderParams(),
    levers: Iterable[LeverSetting] = (),
    seed: SeedLike,
    firm_scale: int = 1,
    engine: Engine = "mesa",
    cert_ages: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Simulate start_year..end_year; one row per year (start year = observed state).

    Columns are `model.COLUMNS` (units in `model.COLUMN_UNITS`), indexed by year.
    ``engine="array"`` gives the numbers run i of an array ensemble has for this seed.
    ``cert_ages``: shares of the start's certified firms with certificates 0, 1 and 2 years old
    (`population.build_population`; evenly spread when None).
    """
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    if _check_engine(engine) == "array":
        cube = run_batch(
            params=[params],
            seeds=[seed_seq],
            stage_counts=stage_counts,
            start_year=start_year,
            end_year=end_year,
            levers=levers,
            firm_scale=firm_scale,
            cert_ages=cert_ages,
        )
        return pd.DataFrame(cube[0], columns=COLUMNS).astype({"year": int}).set_index("year")
    model = LadderModel(
        stage_counts=stage_counts,
        start_year=start_year,
        params=params,
        levers=levers,
        firm_scale=firm_scale,
        rng=np.random.default_rng(seed_seq),
        cert_ages=cert_ages,
    )
    for _ in range(end_year - start_year):
        model.step()
    return model.results()


def _param_list(
    param_draws: Sequence[LadderParams] | pd.DataFrame | None, n_runs: int, base: LadderParams
) -> list[LadderParams]:
    if param_draws is None:
        return [base] * n_runs
    if len(param_draws) != n_runs:
        raise ValueError(f"param_draws has {len(param_draws)} rows, expected n_runs = {n_runs}")
    if isinstance(param_draws, pd.DataFrame):
        unknown = [c for c in param_draws.columns if c not in PARAM_RANGES]
        if unknown:
            LadderParams.from_dict(dict.fromkeys(unknown, 0.0))  # raises, with did-you-mean hints
        return [replace(base, **{k: float(v) for k, v in row.items()}) for row in param_draws.to_dict(orient="records")]
    return list(param_draws)


def run_ensemble(
    *,
    n_runs: int,
    seed: SeedLike,
    param_draws: Sequence[LadderParams] | pd.DataFrame | None = None,
    on_done: Callable[[int], None] | None = None,
    workers: int = 1,
    engine: Engine = "array",
    batch_size: int | None = None,
    keep_starts: bool = False,
    **kwargs: object,
) -> xr.Dataset:
    """`n_runs` independent runs as a Dataset with dims ("run", "year").

    Args:
        n_runs: number of runs.
        seed: scenario seed; run i uses ``SeedSequence(seed).spawn(n_runs)[i]``.
        param_draws: optional per-run parameters (e.g. posterior draws): a list of
            `LadderParams`, or a DataFrame with one row per run whose columns are
            `LadderParams` fields (other fields from ``kwargs["params"]`` or the
            defaults).
        on_done: called with the number of runs just finished, as they finish
            (for a progress display; the model prints nothing).
        workers: processes to spread the runs over; the numbers do not depend on
            it (run i always uses child seed i).
        engine: "array" (all firms of a batch of runs at once) or "mesa" (the
            reference, run by run); same layout and distributions (module docstring).
        batch_size: runs stepped together by the array engine (default: about
            `BATCH_AGENTS` agents); memory grows with it (`estimate_memory`), the
            numbers do not depend on it.
        keep_starts: keep the runs' start populations in each process for later
            ensembles of the same runs (`engine` module docstring); the numbers do not
            depend on it.
        **kwargs: passed to `run_ladder` (stage_counts, start_year, end_year,
            params, levers, firm_scale, cert_ages).

    Returns:
        One variable per collected column (units in its ``units`` attribute), plus
        ``param_<name>`` variables with dim "run" holding each run's parameters;
        attrs record the seed, firm_scale, levers and engine.
    """
    jobs = ensemble_jobs(
        n_runs=n_runs,
        seed=seed,
        param_draws=param_draws,
        engine=engine,
        batch_size=batch_size,
        keep_starts=keep_starts,
        **kwargs,
    )
    cubes = _map_jobs(jobs, workers, on_done or (lambda n: None))
    return assemble(jobs, cubes)


@dataclass(frozen=True)
class Job:
    """Runs ``first .. first + len(seeds) - 1`` of an ensemble: one batch, run by `run_job` anywhere
    (another process or machine); its numbers depend on its own contents only."""

    first: int
    engine: str
    params: tuple[LadderParams, ...]
    seeds: tuple[np.random.SeedSequence, ...]
    kwargs: dict
    ensemble_seed: np.random.SeedSequence
    keep_starts: bool = False
    """Keep the start populations drawn for later ensembles of the same runs (`engine`); not in `key`: the
    numbers do not depend on it."""

    @property
    def n_runs(self) -> int:
        return len(self.seeds)

    def key(self) -> str:
        """A digest of everything the batch's numbers depend on (`RESULTS_VERSION`, engine, each run's
        parameters and seed, start state, years, levers, firm_scale)."""
        seeds = [(s.entropy, s.spawn_key, s.pool_size) for s in self.seeds]
        text = repr((RESULTS_VERSION, self.engine, self.params, seeds, sorted(self.kwargs.items(), key=str)))
        return hashlib.sha256(text.encode()).hexdigest()[:20]


RESULTS_VERSION = "11"
"""Bump when a change alters any run's numbers (so saved batches of an interrupted ensemble are not reused)."""


def ensemble_jobs(
    *,
    n_runs: int,
    seed: SeedLike,
    param_draws: Sequence[LadderParams] | pd.DataFrame | None = None,
    engine: Engine = "array",
    batch_size: int | None = None,
    keep_starts: bool = False,
    **kwargs: object,
) -> list[Job]:
    """`run_ensemble`'s batches (same arguments): run i gets child i of the seed and draw i,
    whatever the batch size, so the numbers depend on neither the batches nor the workers."""
    if n_runs < 1:
        raise ValueError("n_runs must be at least 1")
    _check_engine(engine)
    base = kwargs.pop("params", LadderParams())
    if not isinstance(base, LadderParams):
        raise TypeError("params must be a LadderParams")
    draws = _param_list(param_draws, n_runs, base)
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = seed_seq.spawn(n_runs)
    size = (batch_size or _batch_size(kwargs)) if engine == "array" else 1
    return [
        Job(i, engine, tuple(draws[i : i + size]), tuple(children[i : i + size]), dict(kwargs), seed_seq, keep_starts)
        for i in range(0, n_runs, size)
    ]


def assemble(jobs: Sequence[Job], cubes: Sequence[np.ndarray]) -> xr.Dataset:
    """The ensemble's Dataset from its jobs and their cubes (`run_job`), in job order."""
    draws = [p for job in jobs for p in job.params]
    first = jobs[0]
    return _to_dataset(np.concatenate(cubes), draws, first.ensemble_seed, first.kwargs | {"engine": first.engine})


def _map_jobs(jobs: list, workers: int, done: Callable[[int], None]) -> list[np.ndarray]:
    """Each job's runs (in job order), over `workers` processes when more than one job; `done` after each."""
    cubes = []
    if workers > 1 and len(jobs) > 1:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
            for cube in pool.map(run_job, jobs, chunksize=max(1, len(jobs) // (4 * workers))):
                cubes.append(cube)
                done(len(cube))
    else:
        for job in jobs:
            cubes.append(run_job(job))
            done(len(cubes[-1]))
    return cubes


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    return engine


def _batch_size(kwargs: Mapping) -> int:
    """Runs per array batch: about `BATCH_AGENTS` agents at the start."""
    scale = int(kwargs.get("firm_scale", 1))
    agents = sum(round(c / scale) for c in kwargs["stage_counts"].values())  # type: ignore[union-attr]
    return max(1, BATCH_AGENTS // max(agents, 1))


def run_job(job: Job) -> np.ndarray:
    """Runs of one job as an array (run, year, `model.COLUMNS`)."""
    if job.engine == "array":
        return run_batch(params=job.params, seeds=job.seeds, keep_starts=job.keep_starts, **job.kwargs)
    pairs = zip(job.params, job.seeds, strict=True)
    frames = [run_ladder(params=p, seed=s, **job.kwargs).reset_index() for p, s in pairs]
    return np.stack([f[list(COLUMNS)].to_numpy(dtype=float) for f in frames])


@dataclass(frozen=True)
class MemoryEstimate:
    """An ensemble's estimated peak memory: `processes` batches of `batch_runs` runs held at once,
    each run of up to `agents_per_run` agents (start agents plus every expected entrant)."""

    peak_bytes: int
    batch_runs: int
    processes: int
    agents_per_run: int
    engine: str
    process_bytes: int = PROCESS_BYTES
    """The part of `peak_bytes` each process takes before any firm (`PROCESS_BYTES`)."""

    def describe(self) -> str:
        return (
            f"about {self.peak_bytes / 2**30:.2f} GiB at peak: {self.processes} process(es) x {self.batch_runs} "
            f"run(s) a batch x up to {self.agents_per_run:,} agents a run ({self.engine} engine)"
        )

    def batch_runs_within(self, available_bytes: float) -> int:
        """The largest runs per batch whose estimate fits in `available_bytes` (0 if not even one)."""
        per_run = (self.peak_bytes / self.processes - self.process_bytes) / self.batch_runs
        return max(0, int((available_bytes / self.processes - self.process_bytes) // per_run))


def estimate_memory(
    *,
    n_runs: int,
    stage_counts: Mapping[str, int],
    start_year: int,
    end_year: int,
    params: LadderParams = LadderParams(),
    param_draws: Sequence[LadderParams] | pd.DataFrame | None = None,
    levers: Iterable[LeverSetting] = (),
    firm_scale: int = 1,
    workers: int = 1,
    batch_size: int | None = None,
    engine: Engine = "array",
) -> MemoryEstimate:
    """Peak memory of `run_ensemble` with these arguments, before it runs: processes x (`PROCESS_BYTES` +
    runs a batch x agents a run x bytes per agent), bytes measured (`ARRAY_BYTES_PER_AGENT`,
    `MESA_BYTES_PER_AGENT`), plus the runs' result rows.

    Agents a run: an upper bound, with no exits and every firm counted as registered and certified in
    the entry means (`kernel.entry_means` with the levers of each year, the largest over the runs):
    agents grow each year by those entries."""
    draws = _param_list(param_draws, n_runs, params)
    agents = float(sum(round(c / firm_scale) for c in stage_counts.values()))
    settings = check_settings(levers)
    for year in range(start_year + 1, end_year + 1):
        policy = active_levers(settings, year)
        firms = agents * firm_scale
        agents += max(sum(entry_means(d, policy, firms, firms, firm_scale)) for d in draws)
    agents = int(agents) + 1
    kwargs = {"stage_counts": stage_counts, "firm_scale": firm_scale}
    size = min(n_runs, batch_size or _batch_size(kwargs)) if engine == "array" else 1
    processes = max(1, min(workers, -(-n_runs // size)))
    per_agent = ARRAY_BYTES_PER_AGENT if engine == "array" else MESA_BYTES_PER_AGENT
    results = 3 * n_runs * (end_year - start_year + 1) * len(COLUMNS) * 8  # the runs' rows, the Dataset, a copy
    peak = processes * (PROCESS_BYTES + size * agents * per_agent) + results
    return MemoryEstimate(int(peak), size, processes, agents, engine)


def _to_dataset(
    cube: np.ndarray, draws: list[LadderParams], seed_seq: np.random.SeedSequence, kwargs: dict
) -> xr.Dataset:
    years = cube[0, :, 0].astype(int)
    variables = {
        c: (("run", "year"), cube[:, :, j], {"units": COLUMN_UNITS.get(c, "")})
        for j, c in enumerate(COLUMNS)
        if c != "year"
    }
    names = [f.name for f in fields(LadderParams)]
    table = np.array([[getattr(d, name) for name in names] for d in draws], dtype=float).reshape(len(draws), -1)
    variables |= {f"param_{name}": ("run", table[:, i]) for i, name in enumerate(names)}  # one Dataset, built once
    ds = xr.Dataset(variables, coords={"run": np.arange(cube.shape[0]), "year": years})
    ds.attrs.update(
        {
            "seed": str(seed_seq.entropy),
            "seed_spawn_key": str(tuple(seed_seq.spawn_key)),
            "firm_scale": int(kwargs.get("firm_scale", 1)),
            "levers": repr(tuple(kwargs.get("levers", ()))),
            "engine": kwargs["engine"],
            "model": "models.ladder",
        }
    )
    return ds


def monte_carlo_probability(success: ArrayLike) -> tuple[float, float]:
    """Share of runs where an event happened, and its binomial standard error."""
    x = np.asarray(success)
    if x.dtype != bool:
        raise TypeError(f"success must be a boolean array, got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError("success is empty")
    p = float(x.mean())
    return p, float(np.sqrt(p * (1.0 - p) / x.size))
