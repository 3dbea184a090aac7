"""No code key and no English word in a Chinese table or chart: sampler statuses, P(all met), ladder notes, the explain
table and tornado, audit and update tables (SYNTHETIC numbers; names from the bundled tables)."""

import dataclasses
import re
import warnings
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from forecast.evaluation.update import CHECK_COLUMNS, MOVE_COLUMNS
from forecast.inputs.bundle import load_inputs
from forecast.ladder.explain import ExplainReport, SearchResult, tornado_effects
from forecast.ladder.gap import RD_TREND_FACTOR
from forecast.report.evaluation import format_audit
from forecast.report.labels import labels_for
from forecast.report.ladder import format_explain
from forecast.report.ladder_charts import plot_tornado
from forecast.report.run import format_table, joint_line
from forecast.report.update import format_checks, format_moves
from models.diagnostics import Diagnostics
from models.ladder import LEVERS, LadderParams
from tests.forecast.ladder.test_compare_explain import files, invoke  # noqa: F401  (files: the fixture)
from tests.forecast.report.test_labels import LANGFANG_2025

matplotlib.use("Agg")

CODE_KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")
ALLOWED = ("R-hat", "models.ladder.initial", "run.log", "draws/tune", "--lever", "NAME")
"""Latin text a Chinese table may hold: a statistic's name, a scenario file's key, a file, options to type."""
FAILED = Diagnostics(r_hat_max=1.05, ess_bulk_min=120, ess_tail_min=80, divergences=6, draws=100, chains=2)
TARGET = LANGFANG_2025


@pytest.fixture(scope="module")
def zh():
    return labels_for(load_inputs(), "zh")


def assert_chinese(text: str) -> None:
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    assert not CODE_KEY.search(text), CODE_KEY.search(text).group()
    assert not ENGLISH_WORD.search(text), ENGLISH_WORD.search(text).group()


def test_every_lever_and_parameter_has_a_name_in_both_languages():
    factors = load_inputs().factors
    expected = set(LEVERS) | {f.name for f in dataclasses.fields(LadderParams)} | {RD_TREND_FACTOR}
    assert expected <= set(factors.index), sorted(expected - set(factors.index))
    assert set(factors.loc[list(LEVERS), "kind"]) == {"lever"}
    assert (factors.loc[list(LEVERS), "unit_zh"] != "").all()


def test_sampler_status_and_reasons_in_chinese(zh):
    assert (
        zh.status(FAILED.status)
        == "警告：R-hat 1.050 > 1.01；主体有效样本量 120 < 400；尾部有效样本量 80 < 400；6 次发散转移"
    )
    assert zh.status("ok") == "通过"
    assert zh.status("no figures for tech_smes in langfang up to 2020") == "廊坊市截至2020年无科技型中小企业数据"
    en = labels_for(load_inputs(), "en")
    assert en.status(FAILED.status) == FAILED.status  # English kept word for word


def test_run_table_and_joint_line(zh):
    table = pd.DataFrame(
        {
            "target_id": [TARGET.target_id, "langfang-2025-tech_smes"],
            "target": ["a", "b"],
            "deadline": [2025, 2025],
            "latest_value": [1258.0, np.nan],
            "latest_year": [2022, np.nan],
            "median": [3070.0, np.nan],
            "low_80": [2063.0, np.nan],
            "high_80": [4537.0, np.nan],
            "p_met": [0.98, np.nan],
            "p_met_mc_error": [0.004, np.nan],
            "outcome": [np.nan, np.nan],
            "outcome_met": [None, None],
            "diagnostics": [FAILED.status, "no figures for tech_smes in langfang up to 2020"],
        }
    )
    text = format_table(table, zh, [TARGET])
    assert "6 次发散转移" in text and "廊坊市截至2020年无科技型中小企业数据" in text
    assert_chinese(text.replace("langfang-2025-tech_smes", ""))  # an inline target without a Target: its id
    joint = {"p_all_met": 0.9, "mc_error": 0.01, "targets": ["a", "b", "c"], "separate": True}
    assert joint_line(joint, zh) == "全部 3 个目标达标的概率 = 0.90 ± 0.01（分别拟合的指标视为相互独立）"


def test_ladder_start_lines(zh):
    for source in (
        "observed: tech_smes 2020 (data row 5)",
        "given in the scenario (models.ladder.initial)",
        "assumed: 3 x startup_entry_rate 0.1 x tech_sme (no published figure)",
    ):
        assert_chinese(zh.start_line("tech_sme", 2000, source))
    assert zh.start_line("hte", 905, "observed: high_tech_enterprises 2020 (data row 9)") == (
        "培育梯队起点：已认定高新技术企业 = 905（公布数据：高新技术企业 2020年，数据第 9 行）"
    )


SWEEP = pd.DataFrame(
    {
        "factor": ["scenario", "certification_reward", "certification_reward", "pass_rate", "pass_rate"],
        "kind": ["scenario", "lever", "lever", "uncertainty", "uncertainty"],
        "setting": ["as written", "off", "larger", "low", "high"],
        "value": [np.nan, 0.0, 40.0, 0.6, 0.8],
        "p_met": [0.5, 0.3, 0.6, 0.1, 0.9],
        "p_met_mc_error": [0.02] * 5,
        "change": [0.0, -0.2, 0.1, -0.4, 0.4],
        "change_mc_error": [0.0, 0.01, 0.01, 0.02, 0.02],
    }
)


@pytest.mark.parametrize("status", ["already", "reached", "unreachable"])
def test_explain_table_in_chinese(zh, status):
    search = SearchResult(
        "certification_reward", 0.8, status, 20.0 if status != "unreachable" else None, 0.8, 0.02, 0, 1000, 15.6, [], ""
    )
    plan = SimpleNamespace(name="奖励", runs=100)
    report = ExplainReport(plan, TARGET, SWEEP, tornado_effects(SWEEP), search, "chosen")
    text = format_explain(report, zh)
    assert "高新技术企业首次认定奖励" in text and "首次申报通过率" in text
    assert_chinese(text)


def test_tornado_chart_in_chinese(zh):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph fails the test
        fig = plot_tornado(tornado_effects(SWEEP), 0.5, zh.target(TARGET), labels=zh)
        fig.canvas.draw()
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["高新技术企业首次认定奖励", "首次申报通过率"]
    for text in [*ticks, *(t.get_text() for t in ax.texts), ax.get_xlabel(), ax.get_title()]:
        assert_chinese(text)


def test_audit_table_in_chinese(zh):
    rows = pd.DataFrame(
        {
            "target_id": [TARGET.target_id],
            "target": [TARGET.describe()],
            "base_year": [2020],
            "p_model": [0.8],
            "p_model_mc_error": [0.01],
            **{f"p_{m}": [0.5] for m in ("last_value", "random_walk_drift", "linear_trend")},
            "outcome": [1258.0],
            "met": [False],
            "diagnostics": [FAILED.status],
        }
    )
    table = format_audit(rows, pd.DataFrame(columns=["reason"]), zh, [TARGET]).split("\n\n")[0]
    assert "未达标" in table and "带漂移随机游走" in table
    assert_chinese(table)


def test_update_tables_in_chinese(zh):
    checks = pd.DataFrame(
        [
            [
                "langfang",
                "high_tech_enterprises",
                2023,
                "main",
                9000.0,
                "firms",
                2,
                "above",
                1100,
                1400,
                1800,
                "ok",
                "",
            ],
            [
                "hebei",
                "tech_smes",
                2023,
                "revised",
                9.0,
                "firms",
                3,
                "not_checked",
                np.nan,
                np.nan,
                np.nan,
                "",
                "lower_bound",
            ],
        ],
        columns=CHECK_COLUMNS,
    )
    assert_chinese(format_checks(checks, zh))
    moves = pd.DataFrame(
        [[TARGET.target_id, 0.9, 0.01, 0.8, 0.01, -0.1, 0.014, FAILED.status, ""]], columns=MOVE_COLUMNS
    )
    assert_chinese(format_moves(moves, "情景", zh, [TARGET]))


def test_ladder_run_in_chinese_keeps_its_english_notes_in_run_log(files, monkeypatch):  # noqa: F811
    """`forecast run` of a ladder scenario (SYNTHETIC data of test_compare_explain, trend half skipped): the start's
    counts in Chinese on the terminal, the technical English notes counted there and written to run.log."""
    from forecast.trend import pipeline as forecasting

    def no_trend(spec, targets, *args, **kwargs):
        return [
            forecasting.TargetResult(t, None, None, None, None, None, None, None, reason="trend skipped")
            for t in targets
        ]

    monkeypatch.setattr(forecasting, "forecast_targets", no_trend)
    out = files["tmp"] / "run_zh"
    result = invoke("run", files["reward"], "--data", files["data"], "--out", out)
    assert result.exit_code == 0, result.output
    assert "培育梯队起点：已认定高新技术企业 = " in result.output and "ladder note" not in result.output
    assert "技术说明（英文）已写入输出文件夹的 run.log" in result.output
    assert "ladder note:" in (out / "run.log").read_text(encoding="utf-8")
