"""A warm `forecast run` (its forecast saved by an earlier run) reads saved trajectories: it imports neither
PyMC nor PyTensor nor ArviZ, and shows the numbers the cold run drew. SYNTHETIC data, tiny draws."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from tests.conftest import HEADER, SYNTHETIC, write

PROBE = """
import sys
from typer.testing import CliRunner
from forecast.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
assert result.exit_code == 0, result.output
print(sorted(m for m in ("pymc", "pytensor", "arviz") if m in sys.modules))
"""
"""Runs the CLI in a fresh interpreter and prints which of PyMC, PyTensor and ArviZ it imported."""


def imported_by(args: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def setting(tmp_path):
    rows = [("langfang", 2018, 600), ("langfang", 2019, 700), ("hebei", 2016, 1700), ("hebei", 2017, 1950)]
    rows += [("hebei", 2018, 2200), ("hebei", 2019, 2500)]
    body = "".join(f"{r},high_tech_enterprises,{y},{v},firms,{SYNTHETIC},,main,\n" for r, y, v in rows)
    data = write(tmp_path / "h.csv", HEADER + body)
    scenario = write(
        tmp_path / "s.yaml",
        """
        name: synthetic
        region: langfang
        horizon: 2023
        targets:
          - {indicator: high_tech_enterprises, comparator: at_least, target_year: 2023, target_value: 1000}
        models:
          trend: {draws: 100, tune: 150, chains: 2}
        seed: 5
        """,
    )
    return [str(scenario), "--data", str(data), "--cache", str(tmp_path / "cache")]


def test_warm_run_imports_no_sampler_and_shows_the_cold_numbers(setting, tmp_path):
    cold = CliRunner().invoke(app, ["run", *setting, "--out", str(tmp_path / "cold")])
    assert cold.exit_code == 0, cold.output
    assert imported_by(["run", *setting, "--out", str(tmp_path / "warm")]) == "[]"
    for name in ("targets.csv", "trajectories.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cold" / name), pd.read_csv(tmp_path / "warm" / name))
    # the probe sees a sampler where one is loaded: `forecast fit` (the posterior saved, nothing sampled) imports PyMC
    assert "pymc" in imported_by(["fit", *setting])
