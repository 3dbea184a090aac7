"""Running a ladder plan's ensemble: memory first, batches kept for resuming, one process or Dask.

An ensemble is a list of batches (`models.ladder.run.ensemble_jobs`): run i always takes
child i of the scenario's run seed and parameter draw i, so a batch's numbers depend on
its own contents, never on which process or machine runs it, nor on how many there are.

* **Memory.** Before anything runs, `check_memory` notes the estimated peak
  (`models.ladder.estimate_memory`: agents x runs per batch x bytes per agent, times the
  processes on this machine) and refuses what would not fit in `MEMORY_SHARE` of the
  memory free now, naming the option that fixes it (``--batch-size``, ``--workers``).
* **Resuming.** Each finished batch is saved in the cache folder (`forecast.cache.BatchStore`,
  keyed by a digest of everything its numbers depend on) as soon as it is done. Ctrl-C
  stops the work; the saved batches stay, and the same command loads them instead of
  running them again, with a note. A whole ensemble's batches are removed.
* **Where batches run.** One process in order when one worker is asked for; with more,
  Dask distributed: an embedded `LocalCluster` of that many worker processes on this
  machine (loopback), or, with a scheduler address, the workers of a real cluster
  (`dask scheduler` / `dask worker ADDRESS` on each machine, this package installed there).
  `executor` opens one client for a whole command, so its ensembles share the workers, and a batch
  goes to the worker that ran the same runs before (`_placement`), which keeps their start populations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

import numpy as np
import psutil

from forecast.cache import BatchStore
from forecast.errors import InputError, Problem
from forecast.progress import LADDER_RUNS, SILENT, Message, Reporter, message
from models.ladder.run import Job, MemoryEstimate, estimate_memory, run_job

if TYPE_CHECKING:
    from forecast.ladder.pipeline import LadderPlan

MEMORY_SHARE = 0.8
"""Share of the memory free now that an ensemble may plan to use."""


class EnsembleInterrupted(KeyboardInterrupt):
    """Ctrl-C during an ensemble: how much is saved, and where, so the same command resumes."""

    def __init__(self, done_runs: int, total_runs: int, store: BatchStore | None) -> None:
        self.done_runs, self.total_runs, self.store = done_runs, total_runs, store
        self.message = (
            message("note_interrupted", done=done_runs, total=total_runs, folder=str(store.folder))
            if store
            else message("note_interrupted_unsaved")
        )
        kept = f"{done_runs} of {total_runs} runs saved in {store.folder}" if store else "nothing saved (no cache)"
        super().__init__(f"interrupted: {kept}; run the same command again to resume")


# --- memory --------------------------------------------------------------------------
def ensemble_memory(plan: LadderPlan) -> MemoryEstimate:
    """`models.ladder.estimate_memory` for the plan's ensemble (processes: on this machine)."""
    return estimate_memory(
        n_runs=plan.runs,
        stage_counts=plan.start.counts,
        start_year=plan.start.year,
        end_year=plan.end_year,
        params=plan.base,
        param_draws=plan.params if len(plan.params.columns) else None,
        levers=plan.levers,
        firm_scale=plan.firm_scale,
        workers=1 if plan.scheduler else plan.workers,
        batch_size=plan.batch_size,
        engine=plan.engine,
    )


def check_memory(plan: LadderPlan, reporter: Reporter = SILENT, available: float | None = None) -> MemoryEstimate:
    """Note the ensemble's estimated peak memory; refuse (InputError) one over `MEMORY_SHARE` of
    `available` bytes (default: what the machine has free now), naming the option that fixes it."""
    estimate = ensemble_memory(plan)
    available = float(psutil.virtual_memory().available) if available is None else available
    reporter.note(
        message(
            "note_memory",
            scenario=plan.name,
            runs=plan.runs,
            gib=f"{estimate.peak_bytes / 2**30:.2f}",
            processes=estimate.processes,
            batch=estimate.batch_runs,
            agents=f"{estimate.agents_per_run:,}",
            engine=estimate.engine,
        )
    )
    if estimate.peak_bytes <= MEMORY_SHARE * available:
        return estimate
    fits = estimate.batch_runs_within(MEMORY_SHARE * available)
    if fits >= 1:
        fix = f"give --batch-size {fits} (runs stepped together; now {estimate.batch_runs})"
        fix += f" or fewer --workers (now {estimate.processes})" if estimate.processes > 1 else ""
    elif estimate.processes > 1:
        fix = "give --workers 1 --batch-size 1"
    else:
        fix = "raise models.ladder.firm_scale in the scenario (firms per agent)"
    what = f"the ensemble needs {estimate.describe()}; {available / 2**30:.2f} GiB are free"
    raise InputError([Problem(plan.name, "models.ladder", what, fix)])


# --- where batches run ---------------------------------------------------------------
@contextmanager
def executor(workers: int, scheduler: str | None = None) -> Iterator[object | None]:
    """A Dask client for `workers` > 1 (an embedded LocalCluster of worker processes on loopback) or
    a `scheduler` address; None (run in this process) otherwise. Ensembles run inside use it."""
    if scheduler is None and workers <= 1:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        yield client


def _current_client():
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None


def _finished(jobs: Sequence[Job], todo: list[int], client) -> Iterator[tuple[int, np.ndarray]]:
    """(index, cube) of the jobs `todo` as they finish: in this process, or on the client's workers."""
    if client is None:
        for i in todo:
            yield i, run_job(jobs[i])
        return
    from distributed import as_completed

    placed = _placement(jobs, sorted(client.scheduler_info()["workers"]))
    futures = {
        client.submit(run_job, jobs[i], key=f"ladder-batch-{jobs[i].key()}", pure=False, **placed[i]): i for i in todo
    }
    try:
        for future, cube in as_completed(list(futures), with_results=True):
            yield futures[future], cube
    except BaseException:  # Ctrl-C, or a failed batch: stop the others
        client.cancel(list(futures))
        raise


def _placement(jobs: Sequence[Job], workers: list[str]) -> list[dict]:
    """Where each batch should run: batch b of an ensemble (runs b x size ..) on worker b mod n, so the
    ensembles of one command (explain's settings, compare's scenarios: the same runs) send a run to the
    worker that keeps its start population (`models.ladder.engine`); elsewhere when that worker is gone."""
    if len(workers) < 2:
        return [{} for _ in jobs]
    size = max(job.n_runs for job in jobs)
    return [{"workers": [workers[job.first // size % len(workers)]], "allow_other_workers": True} for job in jobs]


# --- an ensemble's batches ---------------------------------------------------------------
def run_batches(
    jobs: Sequence[Job],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    store: BatchStore | None = None,
    reporter: Reporter = SILENT,
    desc: Message = LADDER_RUNS,
    on_batch: Callable[[int], None] | None = None,
) -> list[np.ndarray]:
    """Every job's cube, in job order: saved batches loaded (noted), the others run and saved as they
    finish. Ctrl-C raises `EnsembleInterrupted` with the saved batches kept; a whole ensemble's are removed.
    `on_batch(i)` is called after batch i is saved (tests interrupt there)."""
    keys = [job.key() for job in jobs]
    cubes: list[np.ndarray | None] = [store.load(k) if store else None for k in keys]
    total = sum(job.n_runs for job in jobs)
    done = sum(job.n_runs for job, cube in zip(jobs, cubes, strict=True) if cube is not None)
    if done:
        reporter.note(message("note_resumed", desc=desc, done=done, total=total, folder=str(store.folder)))
    todo = [i for i, cube in enumerate(cubes) if cube is None]
    active = _current_client() if (workers > 1 or scheduler) else None
    opened = executor(workers, scheduler) if (todo and active is None) else nullcontext(active)
    with reporter.progress(total, desc) as advance, opened as client:
        advance(done)
        try:
            for i, cube in _finished(jobs, todo, client):
                cubes[i] = cube
                if store is not None:
                    store.save(keys[i], cube)
                done += jobs[i].n_runs
                advance(jobs[i].n_runs)
                if on_batch is not None:
                    on_batch(i)
        except KeyboardInterrupt as exc:
            raise EnsembleInterrupted(done, total, store) from exc
    if store is not None:
        store.discard(keys)
    return [cube for cube in cubes if cube is not None]
