"""Independent panel forecasts in parallel worker processes.

A panel's fit and trajectories depend only on its inputs and its seed (derived from the
scenario seed and the fit's key, `forecast.trend.pipeline.fit_seed`), never on the
process that makes them or on the order, so panels made in parallel give the numbers
they give one after the other. Where the platform can fork, workers are forked: they
inherit the modules already imported and import PyMC themselves (the parent, which only
reads their results, never does). What the libraries log in a worker (sampler messages,
warnings) is sent back with its result and logged again in the parent, so it reaches
``run.log`` as it would from a fit in the parent.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor


def default_workers() -> int:
    """The processor cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_calls(
    function: Callable,
    calls: Sequence[tuple[tuple, dict]],
    *,
    workers: int | None = None,
    done: Callable[[], None] = lambda: None,
    cost: Sequence[float] | None = None,
    groups: Sequence[str] | None = None,
) -> list:
    """``[function(*args, **kwargs) for args, kwargs in calls]``, in up to `workers` processes (default: every
    core; 1: in this process). `function` and the arguments must pickle when more than one worker runs;
    `done` is called as each call finishes. With `cost` (one guess per call), the costliest start first, so
    that a long fit does not start last while the other cores idle. Calls of one of `groups` (one label per
    call) run one after the other in one process, in their order (calls that share work, such as a fit the first
    saves and the others read). An error in a call is raised here."""
    workers = min(default_workers() if workers is None else workers, len(calls))
    if workers <= 1:
        results = []
        for args, kwargs in calls:
            results.append(function(*args, **kwargs))
            done()
        return results
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    batches: dict[str, list[int]] = {}
    for i in range(len(calls)):
        batches.setdefault(groups[i] if groups is not None else str(i), []).append(i)
    order = list(batches.values())
    if cost is not None:
        order.sort(key=lambda batch: -sum(cost[i] for i in batch))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_logged, function, [calls[i] for i in batch]) for batch in order]
        results = {}
        for batch, future in zip(order, futures, strict=True):
            made, records = future.result()
            for record in records:
                logging.getLogger(record.name).handle(record)
            for i, result in zip(batch, made, strict=True):
                results[i] = result
                done()
    return [results[i] for i in range(len(calls))]


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args, record.exc_info, record.exc_text = record.getMessage(), None, None, None
        self.records.append(record)


def _logged(function: Callable, calls: list[tuple[tuple, dict]]):
    """In a worker: the calls' results, one after the other, and the log records made meanwhile (formatted, so
    that they pickle)."""
    keep = _Keep()
    root = logging.getLogger()
    inherited, root.handlers = root.handlers, [keep]  # a forked worker's copies of the parent's handlers
    try:
        return [function(*args, **kwargs) for args, kwargs in calls], keep.records
    finally:
        root.handlers = inherited
