"""The tables and scenarios that ship with the package.

The top-level folders `data/` and `scenarios/` of the source tree are installed as the
packages `forecast.bundled_data` and `forecast.bundled_scenarios` (`pyproject.toml`
maps them), so a checkout, an editable install and a wheel installed anywhere read the
same files through `importlib.resources`. Nothing else in the code knows where they lie.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DATA_PACKAGE = "forecast.bundled_data"
SCENARIO_PACKAGE = "forecast.bundled_scenarios"
SCENARIO_SUFFIXES = (".yaml", ".yml")


def _folder(package: str) -> Path:
    # pip always unpacks wheels, so the package folder is a real directory
    return Path(str(resources.files(package)))


def bundled_path(name: str) -> Path:
    """Path of a bundled table, e.g. ``bundled_path("history.csv")``."""
    return _folder(DATA_PACKAGE) / name


def bundled_scenarios() -> dict[str, Path]:
    """Every bundled scenario file by name (file name without its suffix), sorted."""
    folder = _folder(SCENARIO_PACKAGE)
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix in SCENARIO_SUFFIXES}


def resolve_scenario(given: Path) -> Path:
    """The scenario file a user means: the path itself if it exists, else the bundled
    scenario of that name (``langfang_baseline``, ``langfang_baseline.yaml`` or
    ``scenarios/langfang_baseline.yaml`` all name the bundled file), else `given`
    unchanged, for the loader to report as missing."""
    if Path(given).exists():
        return Path(given)
    return bundled_scenarios().get(
        Path(given).stem if Path(given).suffix in SCENARIO_SUFFIXES else Path(given).name, Path(given)
    )
