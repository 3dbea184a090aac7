"""The architecture's promises, checked on the source of every module (AST, no import needed):

* layers run one way: data (``forecast.inputs``) -> models -> scenario and probability ->
  pipelines (``forecast.trend``, ``forecast.ladder``) -> evaluation -> report -> CLI;
* ``models/`` never imports ``forecast`` and touches no file;
* library code neither prints nor reads environment variables (the CLI does);
* ``forecast check`` validates a ladder scenario without importing PyMC.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import util
from pathlib import Path

import pytest

LAYERS = {
    "forecast": 0,
    "forecast.atomic": 0,
    "forecast.errors": 0,
    "forecast.inputs": 0,
    "forecast.progress": 0,
    "models": 1,
    "forecast.scenario": 2,
    "forecast.probability": 2,
    "forecast.cache": 2,
    "forecast.trend": 3,
    "forecast.ladder": 3,
    "forecast.evaluation": 4,
    "forecast.report": 5,
    "forecast.cli": 6,
    "forecast.terminal": 6,
}
"""Layer of each package or module (the longest matching prefix counts); a module may import its own layer or
lower ones."""
FORBIDDEN = {("forecast.trend", "forecast.ladder")}
"""Same-layer imports that would still run backwards: the ladder uses the trend's GDP draws, never the other way."""
FILE_CALLS = {
    "open",
    "read_csv",
    "read_excel",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "from_netcdf",
    "open_dataset",
    "savefig",
    "mkdir",
    "unlink",
    "rmtree",
    "mkstemp",
    "mkdtemp",
}
WRITERS = {"to_csv", "to_netcdf", "to_excel", "to_json"}
"""Writers that touch a file only when given a path (``to_csv()`` alone returns text)."""
FILE_MODULES = {"pathlib", "tempfile", "shutil", "io"}


def _root(package: str) -> Path:
    return Path(util.find_spec(package).origin).parent


def modules() -> dict[str, Path]:
    """Every library module of the installed (or checked-out) packages, by dotted name."""
    found = {}
    for package in ("forecast", "models"):
        root = _root(package)
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root.parent).with_suffix("").parts
            if "bundled_data" in parts or "bundled_scenarios" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = modules()


def layer(name: str) -> tuple[str, int]:
    prefix = max((p for p in LAYERS if name == p or name.startswith(p + ".")), key=len)
    return prefix, LAYERS[prefix]


def imported(path: Path) -> set[str]:
    """Internal modules a file imports, at top level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES}
    return {n for n in names if n.split(".")[0] in ("forecast", "models")}


def test_every_module_has_a_layer():
    assert "forecast.cli" in MODULES and "models.ladder.calibration" in MODULES
    for name in MODULES:
        layer(name)  # raises if no prefix matches


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_run_one_way(name):
    own_prefix, own = layer(name)
    wrong = []
    for target in imported(MODULES[name]):
        prefix, rank = layer(target)
        if rank > own or (own_prefix, prefix) in FORBIDDEN:
            wrong.append(f"{target} (layer {rank}, {prefix})")
    assert not wrong, f"{name} (layer {own}, {own_prefix}) imports upward: {wrong}"


def file_access(path: Path) -> set[str]:
    """What in a file reads or writes files: such calls, and imports of file-handling modules."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            if (
                name in FILE_CALLS
                or (name in WRITERS and (node.args or any(k.arg in ("path", "path_or_buf") for k in node.keywords)))
                or (owner == "os" and name in {"replace", "rename", "remove"})
            ):
                found.add(f"{name}() line {node.lineno}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules_named = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found |= {f"import {m} line {node.lineno}" for m in modules_named if m.split(".")[0] in FILE_MODULES}
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("models")))
def test_models_touch_no_file(name):
    assert not file_access(MODULES[name]), f"{name} reads or writes files: {file_access(MODULES[name])}"


def test_the_file_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import tempfile\nimport os\ndef f(ds, p):\n    ds.to_netcdf(p)\n    os.replace(p, p)\n    return "
        "ds.to_csv()\n",
        encoding="utf-8",
    )
    assert file_access(bad) == {"import tempfile line 1", "to_netcdf() line 4", "replace() line 5"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n)[1] < LAYERS["forecast.cli"]))
def test_library_code_neither_prints_nor_reads_the_environment(name):
    source = MODULES[name].read_text(encoding="utf-8")
    tree = ast.parse(source)
    prints = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
    environ = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv")]
    assert not prints, f"{name} prints (lines {prints}): return text, log, or take a reporter"
    assert not environ, f"{name} reads the environment (lines {environ}): let the CLI read it and pass the value"


def test_the_checker_finds_an_upward_import(tmp_path):
    # the test above must be able to fail: a models module importing forecast is caught
    bad = tmp_path / "bad.py"
    bad.write_text("from forecast.report.charts import plot_fan\n", encoding="utf-8")
    assert imported(bad) == {"forecast.report.charts"} and layer("forecast.report.charts")[1] > layer("models.panel")[1]


def test_check_validates_a_ladder_scenario_without_pymc():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from forecast.cli import app\n"
        "result = CliRunner().invoke(app, ['check', 'langfang_ladder_baseline'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('pymc', 'pytensor', 'arviz') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"forecast check imported {done.stdout.strip()}"
