"""How library code tells of long work without printing: a `Reporter` passed in.

Pipelines take ``reporter=`` and call ``reporter.note(message)`` for something a user
waiting should know (a fit about to start, and why), and ``with reporter.progress(total,
desc) as advance: ... advance(n)`` around work counted in steps (ensemble runs). Both are
`Message` values, a phrase key and its values, never sentences: the CLI's reporter words them
in the run's language (`forecast.report.labels.Labels.message`, phrases in
`forecast.report.phrases.progress`), draws progress bars and prints notes; the default,
`SILENT`, sends notes to the ``forecast`` logger (key and values) and draws nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

Advance = Callable[[int], None]
log = logging.getLogger("forecast")


@dataclass(frozen=True)
class Message:
    """Something to tell a user: a phrase key and the values its phrase is filled with. Values named
    ``region``, ``indicator``, ``factor`` or ``setting`` are code keys, put in words by the reporter; a
    value may be a `Message` itself."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.key}({', '.join(f'{k}={v}' for k, v in self.values.items())})"


def message(key: str, **values) -> Message:
    return Message(key, values)


LADDER_RUNS = message("progress_ladder_runs")
"""The default description of an ensemble's progress."""


class Reporter(Protocol):
    def note(self, message: Message) -> None: ...

    def progress(self, total: int, desc: Message):  # a context manager yielding an `Advance`
        ...


class Silent:
    """Notes to the ``forecast`` logger; no progress display."""

    def note(self, message: Message) -> None:
        log.info("%s", message)

    @contextmanager
    def progress(self, total: int, desc: Message) -> Iterator[Advance]:
        yield lambda n=1: None


SILENT = Silent()
