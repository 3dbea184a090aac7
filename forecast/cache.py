"""The posterior cache: fitted posteriors saved as ArviZ netCDF files and reused.

Trend fits (`forecast.trend.pipeline`) and ladder calibrations
(`forecast.ladder.calibration`) name their files by everything the posterior depends
on (the data the fit saw, the model version, priors, seed and sampler settings), so a
file is reused only where it would be fitted again identically. Files are written
atomically: a temporary file in the same folder, then a rename, so an interrupted fit
never leaves a half-written posterior.

Beside the posteriors it keeps arrays (``.npz``, no pickles): the trend pipeline saves each
panel's predictive trajectories and convergence check there, so a warm run reads them
without loading PyMC or ArviZ (`forecast.trend.saved`). Their names include
`code_digest`, a hash of the installed source of `forecast` and `models`, so code that
could draw different numbers never reuses them.

The folder is the caller's choice (the CLI's ``--cache``, by default
``.forecast-cache`` or ``$PLAN_FORECAST_CACHE``); ``None`` means no cache: fit every time.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from forecast.atomic import write_atomically

if TYPE_CHECKING:
    import arviz as az


LOADED_POSTERIORS = 8
"""Posteriors a process keeps once read (`PosteriorCache.load`), the oldest dropped first."""
_LOADED: dict[tuple[str, int, int], az.InferenceData] = {}


@dataclass(frozen=True)
class PosteriorCache:
    """A folder of saved posteriors."""

    folder: Path

    def path(self, name: str) -> Path:
        return Path(self.folder) / name

    def load(self, name: str) -> az.InferenceData | None:
        """The saved posterior called `name`, or None if there is none. A file read before in this process,
        unchanged since (same modification time and size), is not read again: a command that plans several
        scenarios of one region (`forecast compare`) reads its calibration once. Callers only read it."""
        import arviz as az  # seconds to import: only where a posterior is read

        path = self.path(name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _LOADED:
            while len(_LOADED) >= LOADED_POSTERIORS:
                del _LOADED[next(iter(_LOADED))]
            _LOADED[key] = az.from_netcdf(path)
        return _LOADED[key]

    def save(self, name: str, idata: az.InferenceData) -> Path:
        """Write `idata` as `name`, atomically."""
        return write_atomically(self.path(name), idata.to_netcdf)

    def load_arrays(self, name: str) -> dict[str, np.ndarray] | None:
        """The arrays saved as `name` (``.npz``), or None (none saved, or unreadable: computed again)."""
        path = self.path(name)
        try:
            with np.load(path, allow_pickle=False) as saved:
                return {key: saved[key] for key in saved.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            return None

    def save_arrays(self, name: str, arrays: dict[str, np.ndarray]) -> Path:
        """Write `arrays` as `name` (``.npz``), atomically."""

        def write(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)

        return write_atomically(self.path(name), write)


def cached_fit(cache: PosteriorCache | None, name: str, fit, *, refit: bool = False) -> az.InferenceData:
    """The posterior `name` from the cache, or ``fit()`` saved there (always ``fit()`` with `refit`)."""
    if cache is not None and not refit:
        found = cache.load(name)
        if found is not None:
            return found
    idata = fit()
    if cache is not None:
        cache.save(name, idata)
    return idata


@cache
def code_digest(packages: tuple[str, ...] = ("forecast", "models")) -> str:
    """SHA-256 of the source files of `packages` (each ``.py`` file's path within its package and its bytes)."""
    h = hashlib.sha256()
    for package in packages:
        root = Path(util.find_spec(package).origin).parent
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root.parent).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class BatchStore:
    """Finished batches of ladder ensembles, one ``batch-<key>.npy`` each (key: `models.ladder.run.Job.key`,
    a digest of the scenario's start state, levers, parameters, seeds and the batch's runs), kept while an
    ensemble runs so that an interrupted one resumes; removed once the ensemble is whole."""

    folder: Path

    def path(self, key: str) -> Path:
        return Path(self.folder) / f"batch-{key}.npy"

    def load(self, key: str) -> np.ndarray | None:
        """The saved batch `key`, or None (none saved, or unreadable: it is run again)."""
        path = self.path(key)
        try:
            return np.load(path, allow_pickle=False) if path.exists() else None
        except (OSError, ValueError):
            return None

    def save(self, key: str, cube: np.ndarray) -> Path:
        """Write one batch's runs, atomically."""

        def write(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                np.save(handle, cube, allow_pickle=False)

        return write_atomically(self.path(key), write)

    def discard(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)
