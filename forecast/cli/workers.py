"""Dask worker processes as quiet as this one: their warnings and log records go to run.log, not the terminal.

A worker process shares the terminal's standard error, so a warning it prints (numpy's
RuntimeWarning in a ladder batch, a library's FutureWarning) would land between the
progress bars. `quiet_workers` turns the workers' warnings into log records and forwards
every record to this process, where `forecast.terminal.library_output` keeps it.
"""

from __future__ import annotations

import logging

from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin


class CaptureWarnings(WorkerPlugin):
    """The worker's Python warnings become log records of ``py.warnings`` (forwarded by `quiet_workers`)."""

    name = "plan-forecast-capture-warnings"

    def setup(self, worker) -> None:
        logging.captureWarnings(True)

    def teardown(self, worker) -> None:
        logging.captureWarnings(False)


def quiet_workers(client: Client) -> None:
    """Send the warnings and log records of a Dask client's workers to this process's loggers."""
    client.register_plugin(CaptureWarnings(), name=CaptureWarnings.name)
    client.forward_logging()  # the workers' root logger: py.warnings and every library's records
