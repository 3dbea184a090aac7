"""The CLI end to end on SYNTHETIC data (tiny draws): files written, seeds reproduce, bad input exits 2."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from tests.conftest import HEADER, SYNTHETIC, write

runner = CliRunner()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same scenario run twice with the same seed, and once with another seed."""
    tmp = tmp_path_factory.mktemp("cli")
    rows = [
        ("langfang", 2018, 600),
        ("langfang", 2019, 700),
        ("langfang", 2020, 800),
        ("hebei", 2016, 1700),
        ("hebei", 2017, 1950),
        ("hebei", 2018, 2200),
        ("hebei", 2019, 2500),
    ]
    data = write(
        tmp / "h.csv",
        HEADER + "".join(f"{r},high_tech_enterprises,{y},{v},firms,{SYNTHETIC},,main,\n" for r, y, v in rows),
    )
    text = """
        name: synthetic
        region: langfang
        horizon: 2023
        targets:
          - indicator: high_tech_enterprises
            comparator: at_least
            target_year: 2023
            target_value: 1000
        models:
          trend: {draws: 100, tune: 150, chains: 2}
        seed: 7
        """
    scenario = write(tmp / "s.yaml", text)
    other = write(tmp / "s2.yaml", text.replace("seed: 7", "seed: 8"))
    outs = []
    for path, name in ((scenario, "a"), (scenario, "b"), (other, "c")):
        result = runner.invoke(app, ["run", str(path), "--data", str(data), "--out", str(tmp / name)])
        assert result.exit_code == 0, result.output
        outs.append((tmp / name, result.output))
    return outs


def test_run_writes_table_chart_and_manifest(two_runs):
    out, output = two_runs[0]
    assert "P(met)" in output and "high_tech_enterprises >= 1000 by 2023" in output
    names = {p.name for p in out.iterdir()}
    assert {"targets.csv", "trajectories.csv", "manifest.json"} <= names
    assert any(n.startswith("fan_") and n.endswith(".png") for n in names)
    table = pd.read_csv(out / "targets.csv")
    assert 0 <= table.loc[0, "p_met"] <= 1 and table.loc[0, "low_80"] < table.loc[0, "median"] < table.loc[0, "high_80"]
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["seed"] == 7 and len(meta["input_sha256"]["scenario"]) == 64
    assert meta["versions"]["pymc"] and meta["fits"][0]["diagnostics"]["status"]


def test_same_seed_same_numbers_other_seed_other_draws(two_runs):
    a, b, c = (pd.read_csv(out / "trajectories.csv") for out, _ in two_runs)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "nope.yaml"], "nope.yaml, file: not found"),
        (["targets", "--region", "langfan"], "did you mean 'langfang'"),
        (["data", "--data", "missing.csv"], "missing.csv, file: not found"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_bad_scenario_writes_nothing(tmp_path):
    scenario = write(
        tmp_path / "bad.yaml", "name: x\nregion: langfang\nhorizon: 2025\ntargets: [{ref: nope}]\nseed: 1\n"
    )
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no target 'nope' in the catalogue" in result.output
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]


def test_targets_lists_the_langfang_milestones():
    result = runner.invoke(app, ["targets", "--region", "langfang"])
    assert result.exit_code == 0
    assert "langfang-2023-high_tech_enterprises" in result.output and "1300" in result.output
    assert "langfang-2025-high_tech_enterprises" in result.output and "1500" in result.output


def test_check_and_data_commands():
    assert runner.invoke(app, ["check", "scenarios/handan_baseline.yaml"]).exit_code == 0
    result = runner.invoke(app, ["data"])
    assert result.exit_code == 0 and "all valid" in result.output
