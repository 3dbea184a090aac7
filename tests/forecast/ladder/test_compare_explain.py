"""`forecast run` with the ladder, `compare` and `explain`, on SYNTHETIC data with tiny
ensembles; the inverse search on known responses; the charts by what they draw."""

from __future__ import annotations

import json
from dataclasses import replace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.inputs.targets import Target
from forecast.ladder.explain import search_size, sweep_ranges, sweep_settings, tornado_effects
from forecast.ladder.pipeline import LadderPlan, LadderTargetResult
from forecast.ladder.start import StartState
from forecast.probability import TargetProbability
from forecast.report.ladder import compare_table
from forecast.report.ladder_charts import plot_fans_side_by_side, plot_stages, plot_tornado
from models.ladder import LeverSetting
from tests.conftest import HEADER, SYNTHETIC, write

matplotlib.use("Agg")
runner = CliRunner()

UNITS = {"high_tech_enterprises": "firms", "tech_smes": "firms"}
ROWS = [
    ("langfang", "high_tech_enterprises", 2018, 600),
    ("langfang", "high_tech_enterprises", 2019, 700),
    ("langfang", "high_tech_enterprises", 2020, 800),
    ("langfang", "tech_smes", 2020, 2000),
    ("hebei", "high_tech_enterprises", 2016, 1700),
    ("hebei", "high_tech_enterprises", 2017, 1950),
    ("hebei", "high_tech_enterprises", 2018, 2200),
    ("hebei", "high_tech_enterprises", 2019, 2500),
    ("handan", "high_tech_enterprises", 2020, 600),
    ("handan", "tech_smes", 2020, 3000),
]
SCENARIO = """
name: {name} scenario
{name_zh}region: {region}
horizon: 2023
targets:
  - indicator: high_tech_enterprises
    comparator: at_least
    target_year: 2023
    target_value: 1000
    id: hte-2023
models:
  trend: {{draws: 100, tune: 150, chains: 2}}
  ladder: {{runs: 4, firm_scale: 50, policy_history: false}}  # synthetic: no policies
levers: {levers}
uncertainties:
  pass_rate: {{low: 0.6, high: 0.8}}
seed: 5
"""
REWARD = "[{lever: certification_reward, size: 20, start: 2021}]"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ladder_cli")
    data = write(
        tmp / "h.csv", HEADER + "".join(f"{r},{i},{y},{v},{UNITS[i]},{SYNTHETIC},,main,\n" for r, i, y, v in ROWS)
    )

    def make(name, region="langfang", levers="[]", name_zh=""):
        title = f"name_zh: {name_zh}\n" if name_zh else ""
        return write(tmp / f"{name}.yaml", SCENARIO.format(name=name, region=region, levers=levers, name_zh=title))

    return {
        "tmp": tmp,
        "data": data,
        "base": make("base"),
        "reward": make("reward", levers=REWARD, name_zh="奖补情景"),
        "handan": make("handan", region="handan"),
        "no_ladder": write(
            tmp / "plain.yaml",
            SCENARIO.format(name="plain", region="langfang", levers=REWARD, name_zh="").replace(
                "  ladder: {runs: 4, firm_scale: 50, policy_history: false}  # synthetic: no policies\n",
                "",
            ),
        ),
    }


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


# --- the inverse search on known responses -------------------------------------------------------


def test_search_finds_the_smallest_size_on_a_monotone_response():
    calls = []

    def response(size):  # P rises linearly to 1 at size 100: P >= 0.8 from size 80 on
        calls.append(size)
        return min(1.0, size / 100), 0.01

    status, size, p, se, trace = search_size(response, 0.0, 200.0, 0.8, steps=8)
    assert status == "reached"
    assert 80.0 <= size <= 80.0 + 200.0 / 2**8 and p >= 0.8 and se == 0.01
    assert len(trace) == 2 + 8 and calls[:2] == [0.0, 200.0]


def test_search_says_when_no_size_reaches_the_goal_or_none_is_needed():
    status, size, p, _, trace = search_size(lambda s: (s / 400, 0.02), 0.0, 200.0, 0.8)
    assert status == "unreachable" and size is None and p == 0.5 and len(trace) == 2
    status, size, p, _, trace = search_size(lambda s: (0.9, 0.02), 0.0, 200.0, 0.8)
    assert status == "already" and size == 0.0 and len(trace) == 1


def test_search_runs_towards_a_lower_bound_when_lowering_helps():
    # an income-tax-rate-like lever: status quo 0.15, P = 1 - 4 s; P >= 0.8 needs s <= 0.05
    status, size, *_ = search_size(lambda s: (1 - 4 * s, 0.0), 0.15, 0.0, 0.8, steps=10)
    assert status == "reached" and 0.05 - 0.15 / 2**10 <= size <= 0.05


# --- the sweep's design ----------------------------------------------------------------------------


def plan_with(levers) -> LadderPlan:
    return LadderPlan(
        "p",
        "langfang",
        1,
        StartState(2020, {"hte": 10}, {"hte": "x"}),
        2023,
        4,
        1,
        tuple(levers),
        pd.DataFrame(),
        "prior",
    )


def test_sweep_turns_each_lever_off_and_up_and_each_uncertainty_low_and_high():
    levers = [
        LeverSetting("certification_reward", 20, 2021, 2023),
        LeverSetting("service_specialists", 1.0, 2021, 2023),
    ]
    settings = sweep_settings(plan_with(levers), {"pass_rate": (0.6, 0.8)})
    by = {(s.factor, s.setting): s for s in settings}
    assert list(by) == [
        ("scenario", "as written"),
        ("certification_reward", "off"),
        ("certification_reward", "larger"),
        ("service_specialists", "off"),
        ("pass_rate", "low"),
        ("pass_rate", "high"),
    ]  # specialists at their bound: no "larger"
    assert by[("certification_reward", "larger")].levers == (
        levers[1],
        LeverSetting("certification_reward", 40.0, 2021, 2023),
    )
    assert by[("certification_reward", "off")].levers == (levers[1],)
    assert by[("pass_rate", "high")].fixed == {"pass_rate": 0.8} and by[("pass_rate", "high")].levers == tuple(levers)


def test_calibrated_rates_are_swept_over_their_posterior_deciles():
    posterior = pd.DataFrame({"pass_rate": np.linspace(0.5, 0.9, 101), "coaching_efficacy": np.full(101, 0.3)})
    plan = replace(plan_with([]), params=posterior, calibration="posterior")
    ranges = sweep_ranges(plan, {"pass_rate": (0.6, 0.85), "coaching_efficacy": (0.1, 0.5)})
    assert ranges["pass_rate"] == pytest.approx((0.54, 0.86))  # posterior 10% and 90%, not the scenario's range
    assert ranges["coaching_efficacy"] == (0.1, 0.5)  # not calibrated: the scenario's range
    assert sweep_ranges(replace(plan, calibration="prior"), {"pass_rate": (0.6, 0.85)}) == {"pass_rate": (0.6, 0.85)}


SWEEP = pd.DataFrame(
    {
        "factor": ["scenario", "reward", "reward", "pass_rate", "pass_rate"],
        "kind": ["scenario", "lever", "lever", "uncertainty", "uncertainty"],
        "setting": ["as written", "off", "larger", "low", "high"],
        "p_met": [0.5, 0.3, 0.6, 0.1, 0.9],
    }
)


def test_tornado_draws_one_bar_per_factor_widest_on_top():
    effects = tornado_effects(SWEEP)
    assert effects.set_index("factor")[["low", "high"]].to_dict("index") == {
        "reward": {"low": 0.3, "high": 0.6},
        "pass_rate": {"low": 0.1, "high": 0.9},
    }
    ax = plot_tornado(effects, 0.5, "t").axes[0]
    bars = ax.patches
    assert [round(b.get_x(), 6) for b in bars] == [0.3, 0.1] and [round(b.get_width(), 6) for b in bars] == [0.3, 0.8]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "reward",
        "pass rate",
    ]  # widest (pass_rate) drawn last, on top; without the bundle's names a key is shown as words, never as a key
    baseline = next(line for line in ax.get_lines() if line.get_label().startswith("scenario as written"))
    assert baseline.get_xdata()[0] == 0.5


# --- charts ----------------------------------------------------------------------------------------


def test_stage_chart_draws_each_scenario_in_each_panel_and_the_figures():
    years = np.arange(2020, 2024)
    rows = [
        {"scenario": s, "stage": st, "year": y, "q0.1": 1.0, "q0.5": 2.0 + k, "q0.9": 3.0}
        for k, s in enumerate(["a", "b"])
        for st in ("hte_certified", "tech_sme_registered")
        for y in years
    ]
    observed = pd.DataFrame({"stage": ["hte_certified"], "year": [2022], "value": [7.0]})
    fig = plot_stages(pd.DataFrame(rows), observed)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["certified high-tech enterprises", "registered tech SMEs"]
    medians = [line for line in visible[0].get_lines() if "median" in line.get_label()]
    assert [line.get_ydata()[0] for line in medians] == [2.0, 3.0]
    dots = [line for line in visible[0].get_lines() if line.get_label() == "published figure"]
    assert dots[0].get_xdata()[0] == 2022 and dots[0].get_ydata()[0] == 7.0
    assert len(visible[0].collections) == 2  # one 80% band per scenario


def test_fans_side_by_side_share_axes_and_mark_later_figures():
    years = np.arange(2020, 2024)
    paths = np.linspace(800, 1200, 4)[None, None, :] * np.ones((1, 5, 1))
    history = pd.DataFrame(
        {"year": [2019, 2020, 2022], "value": [700.0, 800.0, 950.0], "flag": ["", "", ""], "row": [2, 3, 4]}
    )
    t = Target(
        target_id="t",
        region="langfang",
        indicator="high_tech_enterprises",
        comparator="at_least",
        target_year=2023,
        target_value=1000,
    )
    fig = plot_fans_side_by_side(
        {"a": (years, paths), "b": (years, paths * 1.1)},
        history,
        t,
        {"a": (0.4, 0.1), "b": (0.9, 0.05)},
        calibrated={"b": True},
    )
    a, b = fig.axes
    assert a.get_shared_y_axes().joined(a, b)
    assert "P(met) = 0.40 ± 0.10" in a.get_title() and b.get_title().startswith("b")
    later = next(line for line in a.get_lines() if "after the start" in line.get_label())
    assert list(later.get_xdata()) == [2022] and "not used" in later.get_label()  # the figure the ladder did not see
    assert any("fitted by the calibration" in line.get_label() for line in b.get_lines())  # b's rates were fitted to it
    reported = next(line for line in a.get_lines() if line.get_label() == "published figure")
    assert list(reported.get_xdata()) == [2019, 2020]


# --- compare's table -------------------------------------------------------------------------------


def test_compare_table_pairs_runs_for_the_difference():
    t = Target(
        target_id="t",
        region="r",
        indicator="high_tech_enterprises",
        comparator="at_least",
        target_year=2023,
        target_value=1,
    )
    prob = lambda p: TargetProbability(p, 0.1, 1, 0, 2)  # noqa: E731
    a = LadderTargetResult(t, prob(0.5), np.array([1, 0, 1, 0], dtype=bool))
    b = LadderTargetResult(t, prob(0.75), np.array([1, 1, 1, 0], dtype=bool))
    table = compare_table(["A", "B"], {"A": [a], "B": [b]})
    assert table["diff_vs_A"].tolist() == [0.0, 0.25]
    assert table.loc[1, "diff_mc_error"] == pytest.approx(0.25)  # sd of (0, 1, 0, 0) = 0.5, / sqrt(4)


# --- the commands end to end ---------------------------------------------------------------------


def test_run_shows_the_ladder_beside_the_current_trend(files, monkeypatch):
    from forecast.trend import pipeline as forecasting

    def no_trend(
        spec, targets, *args, **kwargs
    ):  # the trend half of `run` is tested in test_cli.py; skip its MCMC here
        return [
            forecasting.TargetResult(t, None, None, None, None, None, None, None, reason="trend skipped")
            for t in targets
        ]

    monkeypatch.setattr(forecasting, "forecast_targets", no_trend)
    out = files["tmp"] / "run"
    result = invoke("run", files["reward"], "--data", files["data"], "--out", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "P(met) current trend" in result.output and "P(met) ladder: reward" in result.output
    assert "ignores them" not in result.output  # levers act through the ladder now
    assert "registered tech SMEs = 2,000 (observed" in result.output and "startups = 800 (assumed" in result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "ladder_stages.csv",
        "ladder_stages.png",
        "ladder_trajectories.csv",
        "fan_ladder_hte-2023.png",
        "targets.csv",
    } <= names
    table = pd.read_csv(out / "targets.csv")
    assert 0 <= table.loc[0, "ladder_p_met"] <= 1 and "ladder_p_met_mc_error" in table
    stages = pd.read_csv(out / "ladder_stages.csv")
    assert stages.query("stage == 'hte_certified' and year == 2020")["q0.5"].item() == 800
    meta = json.loads((out / "manifest.json").read_text())
    assert (
        meta["ladder"]["stage_count_sources"]["startup"].startswith("assumed")
        and meta["ladder"]["levers"][0]["size"] == 20
    )


def test_levers_are_called_ignored_only_without_a_ladder(files, capsys):
    from forecast.cli.trend import _warn_unused
    from forecast.scenario import load_scenario

    _warn_unused(load_scenario(files["no_ladder"])[0])
    assert "the trend forecast ignores them" in capsys.readouterr().err
    _warn_unused(load_scenario(files["reward"])[0])
    assert capsys.readouterr().err == ""


def test_compare_writes_everything_and_repeats_itself(files):
    outs, shown = [], {}
    for name, lang in (("c1", "en"), ("c2", "zh")):
        result = invoke(
            "compare",
            files["base"],
            files["reward"],
            "--data",
            files["data"],
            "--out",
            files["tmp"] / name,
            "--lang",
            lang,
        )
        assert result.exit_code == 0, result.output
        outs.append(files["tmp"] / name)
        shown[lang] = result.output
    # the columns are the scenarios' titles in the language, not their file names
    assert "reward scenario" in shown["en"] and "change from base scenario" in shown["en"]
    assert "奖补情景" in shown["zh"] and "相对 廊坊市，至 2023 年：培育梯队模型 的变化" in shown["zh"]
    table = shown["zh"][shown["zh"].index("目标") : shown["zh"].index("已写入")]
    assert "reward" not in table and "base" not in table
    names = {p.name for p in outs[0].iterdir()}
    assert names == {"compare.csv", "stages.csv", "stages.png", "fan_hte-2023.png", "manifest.json", "run.log"}
    first, second = (pd.read_csv(o / "compare.csv") for o in outs)
    pd.testing.assert_frame_equal(first, second)  # same seed, same numbers
    assert first["scenario"].tolist() == ["base", "reward"]
    meta = json.loads((outs[0] / "manifest.json").read_text())
    assert meta["seed"] == 5 and len(meta["input_sha256"]["scenario reward"]) == 64 and meta["versions"]["mesa"]
    assert set(meta["scenarios"]) == {"base", "reward"}
    assert meta["scenarios"]["reward"]["title"] == {"en": "reward scenario", "zh": "奖补情景"}


@pytest.mark.parametrize(
    "which,message",
    [
        (("base", "handan"), "different regions"),
        (("base", "no_ladder"), "no ladder section"),
        (("base",), "at least two scenario files"),
    ],
)
def test_compare_refuses_what_it_cannot_pair(files, which, message):
    out = files["tmp"] / "bad_compare"
    result = invoke("compare", *(files[w] for w in which), "--data", files["data"], "--out", out)
    assert result.exit_code == 2 and message in result.output
    assert not out.exists()


def test_explain_sweeps_and_searches(files):
    out = files["tmp"] / "explain"
    result = invoke("explain", files["reward"], "--data", files["data"], "--out", out, "--probability", "0.5")
    assert result.exit_code == 0, result.output
    # the lever and the parameter by their Chinese names (data/ladder_factors.csv), never their keys
    assert "高新技术企业首次认定奖励" in result.output and "首次申报通过率" in result.output
    assert "certification_reward" not in result.output and "pass_rate" not in result.output
    names = {p.name for p in out.iterdir()}
    assert names == {"explain.csv", "tornado.png", "inverse.csv", "manifest.json", "run.log"}
    sweep = pd.read_csv(out / "explain.csv")
    assert sweep["setting"].tolist() == ["as written", "off", "larger", "low", "high"]
    assert sweep.loc[0, "change"] == 0 and sweep.loc[0, "change_mc_error"] == 0
    meta = json.loads((out / "manifest.json").read_text())
    search = meta["inverse_search"]
    assert search["lever"] == "certification_reward"  # the only lever: the strongest
    assert search["status"] != "reached" or (
        f"所需的最小高新技术企业首次认定奖励：{search['size']:g} 万元/家" in result.output
    )
    trace = pd.read_csv(out / "inverse.csv")
    assert trace["size"].tolist()[:2] == [0.0, 1000.0]  # status quo, then the allowed bound


@pytest.mark.parametrize(
    "args,message",
    [
        (["--lever", "certification_rewards"], "did you mean 'certification_reward'"),
        (["--lever", "guidance_fund"], "give --max-size"),
        (["--target", "hte-2025"], "no ladder-modelled target 'hte-2025'"),
    ],
)
def test_explain_bad_options_exit_2(files, args, message):
    result = invoke("explain", files["reward"], "--data", files["data"], "--out", files["tmp"] / "bad_explain", *args)
    assert result.exit_code == 2 and message in result.output


def test_the_search_reuses_the_sizes_the_sweep_ran():
    from forecast.ladder.explain import sweep_sizes

    levers = [LeverSetting("certification_reward", 20, 2021, 2023)]
    sweep = pd.DataFrame(
        {
            "factor": ["scenario", "certification_reward", "certification_reward"],
            "kind": ["scenario", "lever", "lever"],
            "setting": ["as written", "off", "larger"],
            "value": [np.nan, 0.0, 40.0],
            "p_met": [0.5, 0.2, 0.7],
            "p_met_mc_error": [0.05, 0.04, 0.05],
        }
    )
    assert sweep_sizes(sweep, plan_with(levers), "certification_reward") == {
        20: (0.5, 0.05),
        0.0: (0.2, 0.04),
        40.0: (0.7, 0.05),
    }
    two = levers + [LeverSetting("certification_reward", 10, 2024, None)]
    assert sweep_sizes(sweep, plan_with(two), "certification_reward") == {}  # two windows: not one size


def test_engine_option_reaches_the_ensembles(files, monkeypatch):
    """--engine mesa runs the reference for every scenario; a bad name exits 2 before any work."""
    import forecast.ladder.pipeline as pipeline

    seen, real = [], pipeline.ensemble_jobs
    monkeypatch.setattr(pipeline, "ensemble_jobs", lambda **kw: seen.append(kw["engine"]) or real(**kw))
    out = files["tmp"] / "compare_mesa"
    scenarios = (files["base"], files["reward"])
    result = invoke("compare", *scenarios, "--data", files["data"], "--out", out, "--engine", "mesa")
    assert result.exit_code == 0, result.output
    assert seen == ["mesa", "mesa"]
    bad = invoke("compare", *scenarios, "--data", files["data"], "--engine", "numba")
    assert bad.exit_code == 2 and "numba" in bad.output


def test_compare_and_explain_keep_the_starts_they_run_again(files, monkeypatch):
    """compare's scenarios and explain's settings run the same runs, so their ensembles keep the runs' start
    populations (`LadderPlan.keep_starts`; a one-off ensemble keeps none, and the numbers do not depend on it:
    tests/models/ladder/test_engine.py)."""
    import forecast.ladder.pipeline as pipeline

    seen, real = [], pipeline.ensemble_jobs
    monkeypatch.setattr(pipeline, "ensemble_jobs", lambda **kw: seen.append(kw["keep_starts"]) or real(**kw))
    scenarios = (files["base"], files["reward"])
    result = invoke("compare", *scenarios, "--data", files["data"], "--out", files["tmp"] / "keep_compare")
    assert result.exit_code == 0, result.output
    assert seen == [True, True]
    seen.clear()
    out = files["tmp"] / "keep_explain"
    result = invoke("explain", files["reward"], "--data", files["data"], "--out", out, "--probability", "0.5")
    assert result.exit_code == 0, result.output
    assert len(seen) > 2 and all(seen)


def test_ctrl_c_keeps_finished_batches_and_the_same_command_resumes(files, monkeypatch):
    """Ctrl-C after the second batch: exit 130 naming what was kept; the same command resumes with a note
    and prints the table an uninterrupted run prints."""
    import forecast.ladder.ensemble as ensemble

    cache, out = files["tmp"] / "cache_resume", files["tmp"] / "compare_resume"
    args = ("compare", files["base"], files["reward"], "--data", files["data"], "--runs", 8, "--batch-size", 2)
    plain = invoke(*args, "--out", files["tmp"] / "compare_plain", "--cache", files["tmp"] / "cache_plain")
    assert plain.exit_code == 0, plain.output
    calls, real = [], ensemble.run_job

    def interrupted(job):
        calls.append(job.first)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(ensemble, "run_job", interrupted)
    stopped = invoke(*args, "--out", out, "--cache", cache)
    assert stopped.exit_code == 130  # two scenarios x 8 runs, in batches of 2: stopped in the third batch
    # in the planner's language (Chinese for a bundled region)
    assert "4/16 次模拟的结果已保存" in stopped.output and "再次运行同一命令" in stopped.output
    assert len(list((cache / "ensembles").glob("batch-*.npy"))) == 2 and not out.exists()
    monkeypatch.setattr(ensemble, "run_job", real)
    resumed = invoke(*args, "--out", out, "--cache", cache)
    assert resumed.exit_code == 0, resumed.output
    assert "继续上次的运行" in resumed.output and "（4/16 次模拟）" in resumed.output
    table = [line for line in plain.output.splitlines() if "%" in line or "±" in line]
    assert table and all(line in resumed.output for line in table)


def test_compared_titles_say_what_they_share_once():
    from forecast.report.ladder import shared_title

    assert shared_title(["廊坊市 梯队模型：现行政策", "廊坊市 梯队模型：“小升高”政策包"]) == (
        "廊坊市 梯队模型",
        ["现行政策", "“小升高”政策包"],
    )
    shared = ("Langfang", ["current policy", "package"])
    assert shared_title(["Langfang, current policy", "Langfang, package"]) == shared
    # nothing cut where the titles share no whole part, or where a rest would be empty or repeated
    assert shared_title(["base scenario", "reward scenario"]) == ("", ["base scenario", "reward scenario"])
    assert shared_title(["A:", "A: y"]) == ("", ["A:", "A: y"])
    assert shared_title(["A: x", "A: x, y"]) == ("A", ["x", "x, y"])
    assert shared_title(["only one: title"]) == ("", ["only one: title"])
