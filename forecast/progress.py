"""How library code tells of long work without printing: a `Reporter` passed in.

Pipelines take ``reporter=`` and call ``reporter.note(message)`` for something a user
waiting should know (a fit about to start, and why), and ``with reporter.progress(total,
desc) as advance: ... advance(n)`` around work counted in steps (ensemble runs). The CLI
passes a reporter that draws progress bars and prints notes; the default, `SILENT`,
sends notes to the ``forecast`` logger and draws nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

Advance = Callable[[int], None]
log = logging.getLogger("forecast")


class Reporter(Protocol):
    def note(self, message: str) -> None: ...

    def progress(self, total: int, desc: str):  # a context manager yielding an `Advance`
        ...


class Silent:
    """Notes to the ``forecast`` logger; no progress display."""

    def note(self, message: str) -> None:
        log.info(message)

    @contextmanager
    def progress(self, total: int, desc: str) -> Iterator[Advance]:
        yield lambda n=1: None


SILENT = Silent()
