"""Output folders and their manifest: every command's files are written through here.

A folder is written into a temporary folder beside it and moved into place at the end
(`staged_output`), so a failed or interrupted command (an exception, Ctrl-C) leaves
nothing half-written and no staging folder. A folder that already exists is never
replaced by accident: commands call `claim_output` first, which refuses it unless
``--force`` was given. Every folder holds a ``manifest.json`` (`write_manifest`) that
records at least `provenance`: the command, when it ran (``created_utc``, UTC
ISO-8601), the seed, SHA-256 hashes of the inputs and the package versions.

What is not covered: a process killed outright (SIGKILL, power loss) cannot clean up,
and may leave a staging folder (``.<name>-<random>`` beside the output folder, hidden
by its leading dot; `forecast runs` ignores it). The output folder itself is then
either the old one or absent, never half-written.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import forecast
from forecast.errors import InputError, Problem

PACKAGES = ("numpy", "scipy", "pandas", "pymc", "pytensor", "arviz", "mesa", "typer", "pydantic", "matplotlib")
MANIFEST = "manifest.json"


def provenance(*, command: str, seed: int | None, inputs: dict[str, str]) -> dict:
    """What every output records to be reproduced: command, time (UTC), seed, input SHA-256 hashes, package
    versions."""
    versions = {
        "plan-forecast": forecast.__version__,
        "python": platform.python_version(),
        **{p: _version(p) for p in PACKAGES},
    }
    return {
        "command": command,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "input_sha256": inputs,
        "versions": versions,
    }


def claim_output(out_dir: Path, force: bool) -> None:
    """Refuse an output folder that already exists, unless `force` (then the finished run replaces it).

    Called before any work, so a long run does not fail at its end.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        what = "holds a previous run" if (out_dir / MANIFEST).is_file() else "already exists"
        raise InputError(
            [
                Problem(
                    str(out_dir),
                    "--out",
                    f"the output folder {what}; a run never overwrites another",
                    "choose another folder with --out, or add --force to replace it",
                )
            ]
        )


def write_manifest(folder: Path, meta: dict) -> None:
    """``manifest.json`` in `folder`: `meta` as indented UTF-8 JSON (values JSON cannot hold as text)."""
    (Path(folder) / MANIFEST).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield a staging folder beside `out_dir`; it replaces `out_dir` only if the block succeeds.

    On any error, including KeyboardInterrupt (Ctrl-C), the staging folder is removed
    and `out_dir` is left as it was, so nothing is ever half-written. An existing
    `out_dir` is first renamed aside, then the staging folder renamed into place, then
    the old one removed: at every moment `out_dir` is either the old folder, absent, or
    the new one whole (two renames on one file system, never a copy).
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    old = staging.with_name(staging.name + "-old")
    try:
        yield staging
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
    except BaseException:
        if old.exists() and not out_dir.exists():
            old.rename(out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
