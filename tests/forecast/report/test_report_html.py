"""The HTML report (`forecast report`) from a run folder of SYNTHETIC draws (tests/forecast/report/synthetic_run.py):
every section, traffic lights by the stated cut-offs, escaping, Chinese words, atomic write, bad folders exit 2."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.probability import traffic_light
from tests.forecast import test_cli
from tests.forecast.report.synthetic_run import CATALOGUE_ID, INLINE_ID, write_synthetic_run

runner = CliRunner()
bureau, fake_fits = test_cli.bureau, test_cli.fake_fits  # fixtures: a bureau's GBK file, fits drawn from the prior
SECTIONS = (
    "question",
    "scenario",
    "lights",
    "fans",
    "by-year",
    "compare",
    "explain",
    "diagnostics",
    "backtest",
    "sources",
    "assumptions",
    "provenance",
)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    return write_synthetic_run(tmp_path_factory.mktemp("report") / "run")


@pytest.fixture(scope="module")
def english(run_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("en") / "report.html"
    result = runner.invoke(app, ["report", str(run_folder), "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_traffic_light_cut_offs():
    assert [traffic_light(p) for p in (1.0, 0.8, 0.79, 0.5, 0.49, 0.0)] == [
        "on_track",
        "on_track",
        "at_risk",
        "at_risk",
        "off_track",
        "off_track",
    ]
    assert traffic_light(float("nan")) is None


def test_every_section_is_there(english):
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in english, anchor
    assert "on track where P(met) ≥ 0.8; at risk from 0.5 to below 0.8; off track below 0.5" in english
    assert english.count("<img ") == 2 + 1 + 1 + 1 + 1  # two fans, by-year, compare bars, tornado, reliability


def test_lights_follow_each_target_probability(run_folder, english):
    table = pd.read_csv(run_folder / "targets.csv").set_index("target_id")
    rows = re.findall(r'<span class="light (\w+)">', english.split('<section id="lights">')[1].split("</table>")[0])
    assert rows == [traffic_light(round(table.loc[t, "p_met"], 2)) for t in (CATALOGUE_ID, INLINE_ID)]
    assert len(set(rows)) == 2  # the synthetic draws put the two targets in different classes


def test_probability_by_year_is_the_saved_table(run_folder, english):
    saved = pd.read_csv(run_folder / "first_met.csv")
    assert list(saved.columns) == ["target_id", "year", "p_first_met", "p_met_by"]
    assert set(saved["year"]) == {2021, 2022, 2023, 2024, 2025}
    by_year = english.split('<section id="by-year">')[1].split("</section>")[0]
    for value in saved.loc[saved["target_id"] == CATALOGUE_ID, "p_met_by"]:
        assert f'<td class="num">{value:.2f}</td>' in by_year


def test_text_from_files_is_escaped(english):
    assert "<script" not in english.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in english  # name, description, label, source, note
    assert english.count("&lt;script&gt;") >= 6


def test_the_page_fetches_nothing(english):
    assert not re.search(r"""(src|href)=["'](?!data:)""", english)
    assert "@import" not in english and "url(" not in english


def test_sources_levers_diagnostics_and_backtest(english):
    assert (
        "reward for a first high-tech certification" in english and "10k yuan per firm" in english
    )  # data/ladder_factors.csv
    assert "WARNING: R-hat 1.020 &gt; 1.01" in english  # the synthetic fit's diagnostics fail, and say so
    assert "synthetic test data &lt;script&gt;" in english and "2018–2020" in english
    assert "all origins" in english and "0.210" in english  # the backtest's pooled Brier score
    assert "+0.30 ± 0.02" in english  # the compare table's paired change
    # the assumptions name the model the run used (the scenario's default: common growth), not the older panel
    assert "The trend model (common growth)" in english and "stacked by LOO" not in english


def test_chinese_report_uses_the_catalogue_and_tables(run_folder, tmp_path):
    out = tmp_path / "zh.html"
    result = runner.invoke(app, ["report", str(run_folder), "--lang", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"已写入报告：{out}"  # the command's own line in the report's language
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "廊坊市 高新技术企业 ≥ 1,500 家（2025年）" in page  # indicator and region names from the tables
    assert "规划原文：" in page and "1500" in page  # the catalogue's own phrase
    assert "高新技术企业首次认定奖励" in page and "结论一览" in page and "有望达标" in page
    assert "警告：R-hat 1.020 &gt; 1.01" in page  # the lights table's diagnostics in words (SYNTHETIC fit's warning)
    assert "high_tech_enterprises" not in page.split('<section id="provenance">')[0]  # no code key before provenance
    # the scenario and those compared by their Chinese titles (escaped), not their English names or file names
    assert "<h1>合成情景 &lt;script&gt;" in page and "Synthetic" not in page.split('<section id="provenance">')[0]
    assert "基准情景" in page and "政策包" in page and "相对 基准情景 的变化" in page and "baseline" not in page


def test_default_file_and_no_sub_parts_say_where_to_get_them(tmp_path):
    folder = write_synthetic_run(tmp_path / "bare", with_parts=False)
    result = runner.invoke(app, ["report", str(folder), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote the report: {folder / 'report.html'}"
    page = (folder / "report.html").read_text(encoding="utf-8")
    for what in ("scenario comparison", "lever analysis", "backtest"):
        assert f"No {what} in this folder" in page
    assert f"forecast backtest --origin 2015 --origin 2018 --region langfang --out {folder / 'backtest'}" in page


def test_with_adds_another_folder(tmp_path, run_folder):
    folder = write_synthetic_run(tmp_path / "bare", with_parts=False)
    out = tmp_path / "r.html"
    result = runner.invoke(
        app, ["report", str(folder), "--lang", "en", "--with", str(run_folder / "backtest"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "No backtest in this folder" not in page and "all origins" in page


def _write_half_then_stop(self, text, encoding=None):
    """Path.write_text as a Ctrl-C would leave it: the first 100 characters, then KeyboardInterrupt."""
    with open(self, "w", encoding=encoding) as handle:
        handle.write(text[:100])
    raise KeyboardInterrupt


def test_an_interrupted_report_leaves_the_old_one_whole(run_folder, tmp_path, monkeypatch):
    from forecast.report import html

    out = tmp_path / "report.html"
    out.write_text("the old report", encoding="utf-8")
    monkeypatch.setattr(html.Path, "write_text", _write_half_then_stop)
    result = runner.invoke(app, ["report", str(run_folder), "--out", str(out)])
    monkeypatch.undo()
    assert result.exit_code != 0  # aborted
    assert out.read_text(encoding="utf-8") == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left beside it


def test_an_interrupted_first_report_leaves_no_file(tmp_path, monkeypatch):
    from forecast.report import html

    monkeypatch.setattr(html.Path, "write_text", _write_half_then_stop)
    with pytest.raises(KeyboardInterrupt):
        html.write_report(tmp_path / "report.html", "<html>" + "x" * 1000)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda d: d, "not a run folder: it holds no manifest.json"),
        (lambda d: (d / "manifest.json").write_text("{broken", encoding="utf-8"), "damaged manifest: not JSON text"),
        (lambda d: (d / "manifest.json").write_text("[1, 2]", encoding="utf-8"), "damaged manifest: not a JSON object"),
        (lambda d: (d / "manifest.json").write_bytes(b"\xff\xfe\x00garbage"), "damaged manifest"),
        (lambda d: (d / "manifest.json").write_text("{}", encoding="utf-8"), "holds none of the result tables"),
    ],
)
def test_a_folder_that_is_not_a_run_exits_2(tmp_path, make, message):
    folder = tmp_path / "notarun"
    folder.mkdir()
    make(folder)
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Fix:" in result.output and "Traceback" not in result.output
    assert not (folder / "report.html").exists()


def test_a_missing_folder_and_a_damaged_table_exit_2(tmp_path, run_folder):
    result = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "not found" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"scenario": "x"}), encoding="utf-8")
    (broken / "targets.csv").write_bytes(b"target_id,p_met\n\xff\xfe,1\n")
    result = runner.invoke(app, ["report", str(broken)])
    assert result.exit_code == 2 and "damaged table" in result.output
    (broken / "targets.csv").write_text("target_id,p_met\nx,0.5\n", encoding="utf-8")
    (broken / "fan_x.png").write_bytes(b"not a png")
    result = runner.invoke(app, ["report", str(broken)])
    assert result.exit_code == 2 and "not a PNG image" in result.output


def test_run_with_report_keeps_a_bureau_region_name(bureau, fake_fits, tmp_path):
    """forecast run --report on a bureau's own region (fits drawn from the prior, no MCMC): the report names the
    region as the --regions file does, and so does a report made later from the folder alone."""
    data, scenario = bureau
    regions = tmp_path / "regions.csv"
    regions.write_text("region,name_zh,name_en,level,parent\nwuxi,无锡市,Wuxi,city,\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(scenario), "--data", str(data), "--regions", str(regions), "--out", str(out), "--lang", "zh"]
    result = runner.invoke(app, [*args, "--report"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "无锡市 高新技术企业 ≥ 5,000 家（2025年）" in page and "统计公报 (synthetic)" not in page
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["question"]["names"]["regions"] == {
        "wuxi": {"zh": "无锡市", "en": "Wuxi"}
    }
    result = runner.invoke(app, ["report", str(out), "--lang", "zh", "--out", str(tmp_path / "later.html")])
    assert result.exit_code == 0, result.output
    assert "无锡市 高新技术企业 ≥ 5,000 家（2025年）" in (tmp_path / "later.html").read_text(encoding="utf-8")
