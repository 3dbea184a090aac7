"""``run.log``: what the libraries said during a command (warnings, sampler messages), kept beside its files.

The CLI collects the text (Python's ``warnings`` and ``logging``, captured in the CLI
layer) so the terminal stays quiet; it is written here after the output folder is in
place.
"""

from __future__ import annotations

from pathlib import Path

RUN_LOG = "run.log"


def write_log(folder: Path, text: str) -> Path:
    """Write `text` to ``run.log`` in `folder` (UTF-8) and return its path."""
    path = Path(folder) / RUN_LOG
    path.write_text(text or "(no library warnings or messages)\n", encoding="utf-8")
    return path
