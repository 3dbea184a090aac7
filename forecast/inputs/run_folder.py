"""A run folder read back for its report: the manifest, the tables and the chart files a command wrote.

`read_run_folder(path, extra=())` returns a `RunFolder`: one `RunPart` for the folder
itself, one for each sub-folder holding a ``manifest.json`` (a backtest written with
``--out RUN_DIR/backtest``, say) and one for each folder in `extra` (``forecast report
--with DIR``). A part's kind is told by the files it holds, not by the command line in
its manifest:

========== ==========================
kind       file that marks it
========== ==========================
run        ``targets.csv``
compare    ``compare.csv``
explain    ``explain.csv``
backtest   ``scores.csv``
calibrate  ``summary.csv``
audit      ``audit.csv``
========== ==========================

A folder without ``manifest.json``, a manifest that is not a JSON object, a table that
cannot be parsed, or a chart that is not a PNG file is refused with an `InputError`
naming the file and the fix. Limits: `MAX_FILE_BYTES` per file and `MAX_IMAGES` charts
per part, so a stray huge file cannot swell the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.errors import InputError, Problem
from forecast.inputs.reading import checked_file

MANIFEST = "manifest.json"
KINDS = {
    "targets.csv": "run",
    "compare.csv": "compare",
    "explain.csv": "explain",
    "scores.csv": "backtest",
    "summary.csv": "calibrate",
    "audit.csv": "audit",
}
"""File that marks a part's kind, by file name (the first found in this order wins)."""
TABLES = (
    *KINDS,
    "first_met.csv",
    "figures.csv",
    "inverse.csv",
    "excluded.csv",
    "ladder_stages.csv",
)
"""Tables read where present."""
MAX_FILE_BYTES = 20_000_000
MAX_IMAGES = 60
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_FOLDER_FIX = (
    "give a folder written by forecast run, compare, explain, backtest or calibrate (it holds manifest.json)"
)


@dataclass(frozen=True)
class RunPart:
    """One command's output folder: its kind, manifest, tables by file name and PNG charts by file name."""

    folder: Path
    kind: str
    manifest: Mapping
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    images: Mapping[str, bytes] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


@dataclass(frozen=True)
class RunFolder:
    """The folder a report is made of: its own part first, then its sub-folders' and the extra folders'."""

    folder: Path
    parts: tuple[RunPart, ...]

    @property
    def main(self) -> RunPart:
        return self.parts[0]

    def of_kind(self, kind: str) -> list[RunPart]:
        return [p for p in self.parts if p.kind == kind]

    @property
    def question(self) -> dict:
        """What the run asked (region, targets, levers, names), from the first manifest that kept it."""
        return next((p.manifest["question"] for p in self.parts if isinstance(p.manifest.get("question"), dict)), {})


def read_run_folder(path: Path, extra: Iterable[Path] = ()) -> RunFolder:
    """Read `path` (and its sub-folders with a manifest, and the `extra` folders) as a `RunFolder`."""
    path = Path(path)
    main = read_part(path)
    subs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())
    seen = {path.resolve()}
    parts = [main]
    for folder in [*subs, *map(Path, extra)]:
        if folder.resolve() not in seen:
            seen.add(folder.resolve())
            parts.append(read_part(folder))
    return RunFolder(path, tuple(parts))


def read_part(folder: Path) -> RunPart:
    """One output folder: manifest, the `TABLES` it holds, its PNG charts."""
    folder = Path(folder)
    if not folder.is_dir():
        where = "not found" if not folder.exists() else "is a file, not a folder"
        raise InputError([Problem(str(folder), "folder", where, RUN_FOLDER_FIX)])
    manifest = _manifest(folder / MANIFEST)
    tables = {name: _table(folder / name) for name in TABLES if (folder / name).is_file()}
    kind = next((KINDS[name] for name in KINDS if name in tables), None)
    if kind is None:
        raise InputError(
            [
                Problem(
                    str(folder),
                    "files",
                    f"holds none of the result tables a report is made of ({', '.join(KINDS)})",
                    RUN_FOLDER_FIX,
                )
            ]
        )
    return RunPart(folder, kind, manifest, tables, _images(folder))


def _manifest(path: Path) -> dict:
    if not path.is_file():
        raise InputError(
            [Problem(str(path.parent), MANIFEST, "not a run folder: it holds no manifest.json", RUN_FOLDER_FIX)]
        )
    checked_file(path, MAX_FILE_BYTES, RUN_FOLDER_FIX)
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            [Problem(str(path), "file", f"damaged manifest: not JSON text ({str(exc)[:120]})", _rerun_fix(path))]
        ) from None
    if not isinstance(meta, dict):
        raise InputError([Problem(str(path), "file", "damaged manifest: not a JSON object", _rerun_fix(path))])
    return meta


def _rerun_fix(path: Path) -> str:
    return f"run the command that wrote {path.parent} again (with --force), then make the report"


def _table(path: Path) -> pd.DataFrame:
    checked_file(path, MAX_FILE_BYTES, RUN_FOLDER_FIX)
    try:
        return pd.read_csv(path, encoding="utf-8")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise InputError([Problem(str(path), "file", f"damaged table ({str(exc)[:120]})", _rerun_fix(path))]) from None


def _images(folder: Path) -> dict[str, bytes]:
    names = sorted(p for p in folder.glob("*.png") if p.is_file())
    if len(names) > MAX_IMAGES:
        raise InputError(
            [
                Problem(
                    str(folder),
                    "files",
                    f"holds {len(names)} PNG files, more than the {MAX_IMAGES} a report shows",
                    "move the PNG files the run did not write elsewhere",
                )
            ]
        )
    images = {}
    for path in names:
        data = checked_file(path, MAX_FILE_BYTES, RUN_FOLDER_FIX).read_bytes()
        if not data.startswith(PNG_SIGNATURE):
            raise InputError([Problem(str(path), "file", "not a PNG image", _rerun_fix(path))])
        images[path.name] = data
    return images
