"""Run records: `forecast runs` lists past runs from their manifests; no command overwrites a run unless --force."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.inputs.runs import COLUMNS, Reading, load_run_records
from forecast.report.files import provenance, staged_output, write_manifest

runner = CliRunner()
SYNTHETIC_FIGURES = Path(__file__).parents[1] / "data" / "county_figures_synthetic.csv"


def made_run(folder: Path, meta: dict, targets: str | None = None) -> None:
    with staged_output(folder) as staging:
        if targets is not None:
            (staging / "targets.csv").write_text(targets, encoding="utf-8")
        write_manifest(staging, meta)


@pytest.fixture
def out_root(tmp_path):
    """SYNTHETIC run folders: a trend run, a ladder comparison, a run from before manifests held a date, a broken
    manifest, and a staging folder a killed process left behind."""
    root = tmp_path / "out"
    base = provenance(command="forecast run s.yaml", seed=7, inputs={"scenario": "aa", "data": "0123456789abcdef"})
    made_run(
        root / "langfang_baseline",
        {"scenario": "langfang_baseline", **base, "joint": {"p_all_met": 0.88, "mc_error": 0.01}},
        targets="target_id,p_met\nlf-2023-hte,0.94\nlf-2025-hte,0.98\nlf-2025-sme,\n",
    )
    compare = provenance(command="forecast compare a.yaml b.yaml", seed=3, inputs={"data": "fedcba9876543210"})
    compare["created_utc"] = "2020-01-01T00:00:00+00:00"
    made_run(
        root / "compare",
        {**compare, "scenarios": {"a": {"probabilities": {"t1": {"p_met": 0.9, "mc_error": 0.03}}}, "b": {}}},
    )
    made_run(root / "old" / "audit", {"command": "forecast audit", "seed": 1, "input_sha256": {"data": "99"}})
    (root / "broken").mkdir()
    (root / "broken" / "manifest.json").write_text("{not json", encoding="utf-8")
    (root / ".langfang_baseline-x1y2").mkdir()
    (root / ".langfang_baseline-x1y2" / "manifest.json").write_text("{}", encoding="utf-8")
    return root


def test_records_list_every_run_newest_first_with_its_headline(out_root):
    records = load_run_records(out_root)
    assert list(records.columns) == COLUMNS
    assert list(records["folder"]) == ["langfang_baseline", "compare", "broken", "old/audit"]  # staging skipped
    first = records.iloc[0]
    assert (first["command"], first["scenario"], first["seed"], first["data_sha256"]) == (
        "run",
        "langfang_baseline",
        "7",
        "0123456789ab",
    )
    assert first["headline"] == (
        Reading("p_met", 0.94, "lf-2023-hte", model="trend"),
        Reading("p_met", 0.98, "lf-2025-hte", model="trend"),
        Reading("p_all_met", 0.88),
    )
    assert records.iloc[1]["scenario"] == "a, b"
    assert records.iloc[1]["headline"] == (Reading("p_met", 0.9, "t1", scenario="a"),)
    assert "unreadable manifest" in records.iloc[2]["problem"]
    assert records.iloc[3]["created_utc"] == ""  # made before manifests recorded a date


def test_runs_command_prints_the_table_and_refuses_a_missing_root(out_root, tmp_path):
    result = runner.invoke(app, ["runs", "--out-root", str(out_root), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "langfang_baseline" in result.output and "all met 0.88" in result.output
    assert "4 run(s) under" in result.output and "a: t1 0.90" in result.output
    assert "2020-01-01 00:00:00" in result.output
    missing = runner.invoke(app, ["runs", "--out-root", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such folder" in missing.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no runs under" in runner.invoke(app, ["runs", "--out-root", str(empty), "--lang", "en"]).output


def test_runs_name_catalogue_targets_in_words_in_either_language(tmp_path):
    """A run of a catalogue target is listed by the target in words, in Chinese by default (bundled regions)."""
    made_run(
        tmp_path / "run",
        {"scenario": "langfang_baseline", **provenance(command="forecast run s.yaml", seed=7, inputs={})},
        targets="target_id,p_met\nlangfang-2025-high_tech_enterprises,0.91\n",
    )
    zh = runner.invoke(app, ["runs", "--out-root", str(tmp_path)])
    assert zh.exit_code == 0, zh.output
    assert "廊坊市 高新技术企业" in zh.output and "0.91" in zh.output and "主要结果" in zh.output
    assert "langfang-2025-high_tech_enterprises" not in zh.output
    en = runner.invoke(app, ["runs", "--out-root", str(tmp_path), "--lang", "en"]).output
    assert "Langfang: " in en and "1,500" in en and "high_tech_enterprises" not in en


@pytest.mark.parametrize(
    "command",
    [
        ["run", "langfang_baseline"],
        ["compare", "langfang_ladder_baseline", "langfang_small_to_high"],
        ["explain", "langfang_small_to_high"],
        ["calibrate", "--region", "langfang"],
        ["backtest", "--origin", "2015"],
        ["audit"],
    ],
)
def test_every_writing_command_refuses_an_existing_folder_before_any_work(tmp_path, command):
    out = tmp_path / "earlier"
    made_run(out, {"seed": 1})
    result = runner.invoke(app, [*command, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "a run never overwrites another" in result.output and "--force" in result.output
    assert [p.name for p in out.iterdir()] == ["manifest.json"]
    assert json.loads((out / "manifest.json").read_text())["seed"] == 1


def test_force_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "card"
    made_run(out, {"seed": 1})
    (out / "stale.csv").write_text("x\n")
    args = ["county", "--data", str(SYNTHETIC_FIGURES), "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 2
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "scorecard.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["card"]  # no staging or old folder left
    meta = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert meta["scorecard"]["class"] == "B" and meta["created_utc"].endswith("+00:00")


def test_runs_name_a_scenarios_own_targets_and_title_from_its_manifest(tmp_path):
    """A target that is not in the catalogue (a bureau's own) is named from the run's question; the scenario by its
    title in the language; a damaged question entry is left out, not fatal (SYNTHETIC manifest)."""
    target = {
        "target_id": "wuxi-2025-hte",
        "region": "wuxi",
        "indicator": "high_tech_enterprises",
        "comparator": "at_least",
        "target_year": 2025,
        "target_value": 5000,
        "unit": "firms",
    }
    question = {"title": {"zh": "无锡 试算", "en": "Wuxi trial"}, "targets": [target, {"target_id": 3}]}
    made_run(
        tmp_path / "run",
        {"scenario": "wuxi", **provenance(command="forecast run w.yaml", seed=1, inputs={}), "question": question},
        targets="target_id,p_met\nwuxi-2025-hte,0.42\n",
    )
    en = runner.invoke(app, ["runs", "--out-root", str(tmp_path), "--lang", "en"])
    assert en.exit_code == 0, en.output
    assert "Wuxi trial" in en.output and "≥ 5,000 firms by 2025 0.42" in en.output and "wuxi-2025-hte" not in en.output
    zh = runner.invoke(app, ["runs", "--out-root", str(tmp_path), "--lang", "zh"]).output
    assert "无锡 试算" in zh and "高新技术企业 ≥ 5,000 家（2025年） 0.42" in zh
