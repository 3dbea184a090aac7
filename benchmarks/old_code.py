"""An earlier commit's packages taken out of git, for a benchmark's old side (old against new in one run)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def extract(revision: str, folder: Path, packages: Sequence[str]) -> str | None:
    """Unpack `packages` (top-level folders) of `revision` into `folder`: None, or why git could not."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, *packages], capture_output=True)
    if archive.returncode:
        return f"git archive {revision} failed ({archive.stderr.decode().strip()})"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return None
