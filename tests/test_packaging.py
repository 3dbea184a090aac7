"""The installed package is complete: the bundled tables and scenarios, the typing marker
and the documentation the code points to are installed, every module imports, and every
third-party package the code imports is a declared dependency.

These tests read the package only through `importlib.resources` / `importlib.metadata`, so
they check the same thing in a checkout's editable install and in a wheel installed
anywhere (`.ci/run` runs them from a folder holding only `tests/` and `pyproject.toml`).
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
import sys
from importlib import metadata, resources
from pathlib import Path

import pytest

import forecast
import models
from forecast.inputs.bundled import (
    DATA_PACKAGE,
    SCENARIO_PACKAGE,
    bundled_path,
    bundled_scenarios,
    resolve_scenario,
)

DISTRIBUTION = "plan-forecast"
# Every table the code reads through `bundled_path` (and the county index the catalogue documents).
TABLES = ("history.csv", "indicators.csv", "regions.csv", "targets.csv", "levers.csv", "county_index.csv")
SCENARIOS = (
    "handan_baseline",
    "handan_ladder_rd",
    "hebei_2018",
    "hebei_ladder",
    "langfang_baseline",
    "langfang_ladder_baseline",
    "langfang_larger_reserve",
    "langfang_reward_cut",
    "langfang_small_to_high",
    "zhangjiakou_2018_2020",
)
# Non-code files the package ships, as (package, file name).
DOCUMENTS = (("forecast", "py.typed"), (DATA_PACKAGE, "CATALOGUE.md"), ("models.ladder", "MECHANISMS.md"))


def _modules() -> list[str]:
    names = []
    for package in (forecast, models):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(names)


MODULES = _modules()


def _distribution() -> metadata.Distribution:
    try:
        return metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pytest.fail(f"the distribution '{DISTRIBUTION}' is not installed: pip install -e '.[test]' (or the wheel)")


def _wheel_distribution() -> metadata.Distribution | None:
    """The installed wheel `forecast` is imported from; None for an editable install or a
    checkout (their metadata lists no package files, or lists the source tree's)."""
    here = Path(forecast.__file__).resolve()
    for dist in metadata.distributions(name=DISTRIBUTION):
        if dist.read_text("RECORD") is not None and any(
            str(f) == "forecast/__init__.py" and Path(dist.locate_file(f)).resolve() == here for f in dist.files or ()
        ):
            return dist
    return None


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("name", TABLES)
def test_bundled_table_is_installed(name):
    table = resources.files(DATA_PACKAGE).joinpath(name)
    assert table.is_file(), f"{DATA_PACKAGE} lacks {name}"
    header = table.read_text(encoding="utf-8").splitlines()[0]
    assert "," in header, f"{name}: first line is not a CSV header: {header!r}"
    assert bundled_path(name).read_bytes() == table.read_bytes()


@pytest.mark.parametrize("package, name", DOCUMENTS)
def test_bundled_document_is_installed(package, name):
    assert resources.files(package).joinpath(name).is_file(), f"{package} lacks {name}"


def test_bundled_scenarios_are_installed_and_found_by_name(tmp_path, monkeypatch):
    found = bundled_scenarios()
    assert set(SCENARIOS) <= set(found), f"missing bundled scenarios: {sorted(set(SCENARIOS) - set(found))}"
    folder = resources.files(SCENARIO_PACKAGE)
    monkeypatch.chdir(tmp_path)  # no scenarios/ folder here: names resolve to the bundled files
    for name in SCENARIOS:
        assert folder.joinpath(f"{name}.yaml").is_file()
        for given in (name, f"{name}.yaml", f"scenarios/{name}.yaml"):
            assert resolve_scenario(Path(given)) == found[name]


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    importlib.import_module(name)


def test_every_module_is_found():
    # walk_packages silently skips what it cannot see; make sure the walk reached the sub-packages
    assert {"forecast.cli", "forecast.inputs.bundled", "models.panel", "models.ladder.model"} <= set(MODULES)


def test_console_script_is_declared():
    [script] = [e for e in _distribution().entry_points if e.group == "console_scripts" and e.name == "forecast"]
    assert script.value == "forecast.cli:app"
    assert script.load() is importlib.import_module("forecast.cli").app


def test_wheel_record_lists_every_bundled_file():
    dist = _wheel_distribution()
    if dist is None:
        if os.environ.get("PLAN_FORECAST_REQUIRE_WHEEL"):
            pytest.fail(f"forecast is not imported from an installed wheel: {forecast.__file__}")
        pytest.skip(
            "forecast is not imported from an installed wheel (editable install or checkout); .ci/run checks the wheel"
        )
    record = {str(f).replace("\\", "/") for f in dist.files or ()}
    expected = {f"forecast/bundled_data/{t}" for t in TABLES}
    expected |= {f"forecast/bundled_scenarios/{s}.yaml" for s in SCENARIOS}
    expected |= {f"{package.replace('.', '/')}/{name}" for package, name in DOCUMENTS}
    packages = [m for m in MODULES if hasattr(importlib.import_module(m), "__path__")]
    expected |= {f"{m.replace('.', '/')}/__init__.py" for m in packages}
    assert not expected - record, f"not in the installed distribution's RECORD: {sorted(expected - record)}"
    assert all(dist.locate_file(f).exists() for f in dist.files or () if not str(f).endswith(".pyc"))


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level third-party module name -> modules of this package importing it."""
    found: dict[str, set[str]] = {}
    for name in MODULES:
        source = Path(importlib.import_module(name).__file__).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in sys.stdlib_module_names and top not in {"forecast", "models", "__future__"}:
                    found.setdefault(top, set()).add(name)
    return found


def test_every_imported_third_party_package_is_a_declared_dependency():
    dist = _distribution()
    requirements = [r for r in dist.requires or () if "extra ==" not in r]
    declared = {_normalise(re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0]) for r in requirements}
    providers = metadata.packages_distributions()
    undeclared = {
        top: sorted(users)
        for top, users in _third_party_imports().items()
        if not {_normalise(d) for d in providers.get(top, [top])} & declared
    }
    assert not undeclared, f"imported but not in [project] dependencies of pyproject.toml: {undeclared}"
