"""The CLI end to end on SYNTHETIC data (tiny draws): files written, seeds reproduce, bad input exits 2."""

import json
import warnings

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
    # b refits: the saved forecast of a is not read back, so its numbers are drawn again from the same seed
    for path, name, more in ((scenario, "a", []), (scenario, "b", ["--refit"]), (other, "c", [])):
        result = runner.invoke(app, ["run", str(path), "--data", str(data), "--out", str(tmp / name), *more])
        assert result.exit_code == 0, result.output
        outs.append((tmp / name, result.output))
    return outs


def test_run_writes_table_chart_and_manifest(two_runs):
    out, output = two_runs[0]
    # Chinese by default (langfang is in China); words from the tables, not code keys (--lang en: test_terminal.py)
    assert "达标概率" in output and "廊坊市 高新技术企业 ≥ 1,000 家（2023年）" in output
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


# --- a bureau outside Hebei with its own figures (SYNTHETIC) -----------------------------------------------------

BUREAU_ROWS = [
    ("wuxi", "high_tech_enterprises", 2017, 1800, "家"),
    ("wuxi", "high_tech_enterprises", 2018, 2100, "家"),
    ("wuxi", "high_tech_enterprises", 2019, 2600, "家"),
    ("wuxi", "high_tech_enterprises", 2020, 3100, "家"),
    ("wuxi", "rd_intensity", 2018, 2.9, "%"),
    ("wuxi", "rd_intensity", 2019, 3.0, "%"),
    ("wuxi", "rd_intensity", 2020, 3.1, "%"),
]
BUREAU_SCENARIO = """
    name: 无锡 synthetic
    region: wuxi
    horizon: 2025
    targets:
      - indicator: high_tech_enterprises
        comparator: at_least
        target_year: 2025
        target_value: 5000
      - indicator: rd_intensity
        comparator: at_least
        target_year: 2025
        target_value: 3.5
    models:
      trend: {draws: 50, tune: 50, chains: 2, model: drift}
    seed: 3
    """


@pytest.fixture
def bureau(tmp_path):
    """A GBK-encoded CSV in bureau units (家, %) for a region outside Hebei, and a scenario for it."""
    body = "".join(f"{r},{i},{y},{v},{u},{SYNTHETIC},统计公报 (synthetic),main,\n" for r, i, y, v, u in BUREAU_ROWS)
    data = tmp_path / "wuxi.csv"
    data.write_bytes((HEADER + body).encode("gbk"))
    return data, write(tmp_path / "wuxi.yaml", BUREAU_SCENARIO)


def test_bureau_file_outside_hebei_passes_check_and_data(bureau):
    data, scenario = bureau
    result = runner.invoke(app, ["check", str(scenario), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "ok (2 targets" in result.output
    assert "read as GB18030 text" in result.output
    assert "unit '家' read as 'firms'" in result.output and "unit '%' read as 'percent'" in result.output
    assert "wuxi not in the regions table" in result.output
    result = runner.invoke(app, ["data", "--data", str(data), "--encoding", "gbk"])
    assert result.exit_code == 0, result.output
    assert "7 figures, all valid" in result.output and "detected" not in result.output


def test_bureau_regions_file_names_the_parent(bureau, tmp_path):
    data, scenario = bureau
    regions = tmp_path / "regions.csv"
    regions.write_text(
        "region,name_zh,name_en,level,parent\njiangsu,江苏省,Jiangsu,province,china\nwuxi,无锡市,Wuxi,city,jiangsu\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(scenario), "--data", str(data), "--regions", str(regions)])
    assert result.exit_code == 0, result.output
    assert "not in the regions table" not in result.output


@pytest.mark.slow
def test_bureau_file_outside_hebei_runs(bureau, tmp_path):
    data, scenario = bureau
    result = runner.invoke(
        app,
        ["run", str(scenario), "--data", str(data), "--out", str(tmp_path / "out"), "--draws", "50", "--tune", "50"],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "targets.csv")
    assert len(table) == 2 and table["p_met"].between(0, 1).all()


@pytest.mark.parametrize(
    "content,message",
    [
        ("name: 廊坊\n".encode("gbk"), "is not UTF-8 text"),
        (bytes(range(256)), "is a binary file"),
    ],
)
def test_unreadable_scenario_exits_2_without_a_traceback(tmp_path, content, message):
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


# --- exit codes: 0 success, 1 failed checks with --strict, 2 bad input ----------------------------------------------


@pytest.fixture
def fake_fits(monkeypatch):
    """Fits drawn from the prior (no MCMC), whose convergence check reports what the test sets."""
    import arviz as az
    import pymc as pm

    import forecast.trend.pipeline as pipeline
    from models.diagnostics import Diagnostics

    def prior_fit(model, data=None, *, draws, chains, seed, **_):
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Potentials are ignored by prior sampling: fine for a fake
            prior = pm.sample_prior_predictive(draws=draws, random_seed=seed).prior
        return az.InferenceData(posterior=prior)

    state = {"divergences": 0}

    def check(idata, var_names=None):
        return Diagnostics(
            r_hat_max=1.0, ess_bulk_min=1000, ess_tail_min=1000, divergences=state["divergences"], draws=50, chains=1
        )

    monkeypatch.setattr(pipeline, "fit_panel", prior_fit)
    monkeypatch.setattr("models.common_trend.fit_common", prior_fit)
    monkeypatch.setattr(pipeline, "check_convergence", check)
    return state


@pytest.mark.parametrize("divergences,strict,code", [(0, True, 0), (3, False, 0), (3, True, 1)])
def test_exit_code_of_a_run_by_its_checks(bureau, tmp_path, fake_fits, divergences, strict, code):
    data, scenario = bureau
    fake_fits["divergences"] = divergences
    args = ["run", str(scenario), "--data", str(data), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, args + (["--strict"] if strict else []))
    assert result.exit_code == code, result.output
    assert (tmp_path / "out" / "targets.csv").exists()  # the files are written either way
    assert ("--strict" in result.output and "3 divergent transitions" in result.output) == (code == 1)


def test_bad_input_exits_2_even_with_strict(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml"), "--strict"])
    assert result.exit_code == 2


@pytest.mark.parametrize("divergences,code", [(0, 0), (2, 1)])
def test_exit_code_of_a_backtest_by_its_checks(bureau, tmp_path, fake_fits, divergences, code):
    data, _ = bureau
    fake_fits["divergences"] = divergences
    args = ["backtest", "--origin", "2018", "--data", str(data), "--indicator", "high_tech_enterprises"]
    result = runner.invoke(app, [*args, "--draws", "50", "--tune", "50", "--out", str(tmp_path / "bt"), "--strict"])
    assert result.exit_code == code, result.output
    assert (tmp_path / "bt" / "scores.csv").exists()


@pytest.mark.parametrize(
    "lang,words",
    [
        ("zh", ["高新技术企业", "数据截至", "模型：带漂移随机游走", "后验已保存在"]),
        ("en", ["Certified high-tech enterprises", "(data to", "model: random walk with drift", "posteriors saved in"]),
    ],
)
def test_fit_reports_each_panel_in_words(bureau, tmp_path, fake_fits, lang, words):
    """`forecast fit` names indicators and models in words in the planner's language, never by code keys."""
    data, scenario = bureau
    args = ["fit", str(scenario), "--data", str(data), "--cache", str(tmp_path / "cache"), "--lang", lang]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert all(w in result.output for w in words), result.output
    assert "high_tech_enterprises" not in result.output and "model drift" not in result.output
