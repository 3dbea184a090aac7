"""``run.log``: what the libraries said during a command (warnings, sampler messages), kept beside its files.

The CLI collects the text (Python's ``warnings`` and ``logging``, captured in the CLI
layer) so the terminal stays quiet; it is written here after the output folder is in
place, through a temporary file renamed into place, so an interrupted command leaves
either the whole log or none, never half of it.
"""

from __future__ import annotations

from pathlib import Path

from forecast.atomic import write_atomically

RUN_LOG = "run.log"


def write_log(folder: Path, text: str) -> Path:
    """Write `text` to ``run.log`` in `folder` (UTF-8) and return its path."""
    body = text or "(no library warnings or messages)\n"
    return write_atomically(Path(folder) / RUN_LOG, lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))
