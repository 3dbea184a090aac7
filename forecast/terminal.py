"""A quiet terminal (CLI layer): what the libraries say during a command goes to ``run.log``, not the screen.

`library_output` captures, for the length of a command, Python warnings (ArviZ's
FutureWarnings, PyTensor's BLAS warning, numpy's RuntimeWarnings) and the log records
of PyMC (sampler messages), PyTensor, ArviZ and this package (notes such as "LOO:
Pareto k > 0.7") into text the command writes to ``run.log`` in its output folder
(`forecast.report.runlog`); with ``-v/--verbose`` they are shown on standard error
too. Progress bars, results tables and the warnings that matter are the command's own
output and are not touched. Dask worker processes (ladder ensembles with ``--workers``)
send theirs to this process the same way (`forecast.cli.workers.quiet_workers`).
"""

from __future__ import annotations

import functools
import io
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

LIBRARY_LOGGERS = ("pymc", "pytensor", "arviz", "numba", "matplotlib", "distributed", "forecast")
"""Loggers whose own handlers (PyMC and PyTensor print to standard error) are set aside while a command runs."""
QUIET_LOGGERS = {"numba": logging.WARNING, "matplotlib": logging.WARNING, "distributed": logging.WARNING}
"""Loggers too talkative at INFO even for run.log."""
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHILD_IGNORED = ("ignore:Numba will use object mode",)
"""Warnings silenced in worker processes (PyMC's parallel chains start afresh and cannot
reach the buffer): expected and harmless (`models.ladder.calibration` explains why)."""

_captured: ContextVar[io.StringIO | None] = ContextVar("captured", default=None)


@contextmanager
def library_output(verbose: bool = False) -> Iterator[io.StringIO]:
    """Within the block, library warnings and log records go into the yielded buffer (and standard error if
    `verbose`); everything is put back as it was afterwards."""
    buffer = io.StringIO()
    handlers: list[logging.Handler] = [logging.StreamHandler(buffer)]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
    root = logging.getLogger()
    saved = {
        name: (lg.handlers[:], lg.propagate, lg.level)
        for name, lg in ((n, logging.getLogger(n)) for n in (*LIBRARY_LOGGERS, "py.warnings"))
    }
    root_level = root.level
    token = _captured.set(buffer)
    child_env = os.environ.get("PYTHONWARNINGS")
    if not verbose:
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, (child_env, *CHILD_IGNORED)))
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        logging.captureWarnings(True)
        try:
            for name in saved:
                lg = logging.getLogger(name)
                lg.handlers, lg.propagate = [], True
                lg.setLevel(QUIET_LOGGERS.get(name, logging.NOTSET))
            root.setLevel(logging.INFO)
            for handler in handlers:
                root.addHandler(handler)
            yield buffer
        finally:
            for handler in handlers:
                root.removeHandler(handler)
            root.setLevel(root_level)
            logging.captureWarnings(False)
            if child_env is None:
                os.environ.pop("PYTHONWARNINGS", None)
            else:
                os.environ["PYTHONWARNINGS"] = child_env
            for name, (kept, propagate, level) in saved.items():
                lg = logging.getLogger(name)
                lg.handlers, lg.propagate = kept, propagate
                lg.setLevel(level)
            _captured.reset(token)


def captured_text() -> str:
    """What the running command's libraries have said so far ('' outside `library_output`)."""
    buffer = _captured.get()
    return buffer.getvalue() if buffer is not None else ""


def quiet(command: Callable) -> Callable:
    """Run a CLI command inside `library_output`, verbose when it was called with ``verbose=True``."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        with library_output(bool(kwargs.get("verbose"))):
            return command(*args, **kwargs)

    return run
