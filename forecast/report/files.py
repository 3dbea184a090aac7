"""Output folders and their manifest: every command's files are written through here.

A folder is written into a temporary folder beside it and moved into place at the end
(`staged_output`), so a failed command leaves nothing half-written. Every folder holds
a ``manifest.json`` (`write_manifest`) that records at least `provenance`: the command,
the seed, SHA-256 hashes of the inputs and the package versions.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import forecast

PACKAGES = ("numpy", "scipy", "pandas", "pymc", "pytensor", "arviz", "mesa", "typer", "pydantic", "matplotlib")
MANIFEST = "manifest.json"


def provenance(*, command: str, seed: int, inputs: dict[str, str]) -> dict:
    """What every output records to be reproduced: command, seed, input SHA-256 hashes, package versions."""
    versions = {
        "plan-forecast": forecast.__version__,
        "python": platform.python_version(),
        **{p: _version(p) for p in PACKAGES},
    }
    return {"command": command, "seed": seed, "input_sha256": inputs, "versions": versions}


def write_manifest(folder: Path, meta: dict) -> None:
    """``manifest.json`` in `folder`: `meta` as indented UTF-8 JSON (values JSON cannot hold as text)."""
    (Path(folder) / MANIFEST).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield a staging folder beside `out_dir`; it replaces `out_dir` only if the block succeeds.

    On any error the staging folder is removed and `out_dir` is left as it was, so
    nothing is ever half-written.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        yield staging
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
