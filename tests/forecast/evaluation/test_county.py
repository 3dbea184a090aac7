"""The county scorecard against points worked out by hand from seed 001's printed bands."""

import re
from pathlib import Path

import pytest

from forecast.evaluation.county import check_cuts, class_of, indicator_points, next_class, reading, score_county
from forecast.inputs.county import load_county_figures, load_county_index

SYNTHETIC = Path(__file__).parents[1] / "data" / "county_figures_synthetic.csv"


@pytest.fixture(scope="module")
def index():
    return {item.key: item for item in load_county_index()}


@pytest.mark.parametrize(
    ("key", "value", "points"),
    [
        ("local_fiscal_expenditure", 7500, 4.5),  # 10000-5000万元 (5-4分): halfway
        ("local_fiscal_expenditure", 500, 1.5),  # 1000万元以下 (3-0): half of 3
        ("local_fiscal_expenditure", 25000, 5),  # ≧10000万元: the full weight
        ("fiscal_sci_tech_share", 1.5, 7),  # 2%-1% (8-6分)
        ("fiscal_sci_tech_share", 2, 8),  # on the top boundary
        ("high_tech_enterprises", 55, 7),  # skipped 10-100: 4 + 45/90 x 6
        ("high_tech_enterprises", 100, 10),
        ("high_tech_enterprises", 7.5, 3.75),  # 10-5家 (4-3.5分)
        ("high_tech_enterprises", 0, 0),
        ("tech_smes", 300, 3.75),  # 500-100家 (5-2.5分): 2.5 + 200/400 x 2.5
        ("invention_patents_per_10k", 1, 1.75),  # '2件/万人 (3.5-0分)' read as below 2
        ("agricultural_industrialisation_rate", 65, 2.75),  # 70%-60% (3-2.5分)
        ("innovation_platforms_points", 9, 8),  # 最高不超过8分
        ("innovation_parks_points", 3.5, 3.5),
    ],
)
def test_points_follow_the_printed_bands(index, key, value, points):
    assert indicator_points(index[key], value) == pytest.approx(points)


def test_the_reading_says_when_a_figure_falls_in_a_range_the_index_skips(index):
    assert reading(index["high_tech_enterprises"], 55) == ("skipped", 10, 100)
    assert reading(index["high_tech_enterprises"], 7) == ("band", 5, 10)
    assert reading(index["high_tech_enterprises"], 100)[:2] == ("full", 100)
    assert reading(index["innovation_platforms_points"], 9)[:2] == ("capped", 8)
    assert reading(index["innovation_platforms_points"], 3).kind == "assessed"


def test_classes_by_the_stated_cut_offs():
    assert [class_of(s) for s in (0, 49.99, 50, 69.99, 70, 100)] == ["C", "C", "B", "B", "A", "A"]
    assert class_of(60, (("A", 80), ("B", 60))) == "B"
    assert next_class("C") == ("B", 50) and next_class("B") == ("A", 70) and next_class("A") is None
    assert check_cuts((("A", 70), ("B", 50))) == ""
    assert "fall" in check_cuts((("A", 50), ("B", 70)))
    assert "between 0 and 100" in check_cuts((("A", 170), ("B", 50)))


def test_the_synthetic_county_scores_as_worked_out_by_hand(index):
    figures = load_county_figures(SYNTHETIC, tuple(index.values()))
    card = score_county(index.values(), figures, {"high_tech_enterprises"}, county="synthetic")
    by_key = card.rows.set_index("indicator")["points"]
    # 4.5 + 7 + 2 (0.25% in 0.5%以下 (4-0)) + 7 + 3 (3.5 in 5-2家 (3.5-2.5)) + 3.75 + 8 + 3 + 2.5
    # + 4.125 (35% in 50%-10% (4.5-3.5)) + 3.7 (2.4 in 4-2件 (4.5-3.5)) + 3.5 (15% in 20%-10% (5-2))
    # + 2.75 + 5 + 3
    assert card.score == pytest.approx(62.825)
    assert by_key["industrial_rd_to_revenue"] == pytest.approx(2)
    assert card.missing == ["tech_smes_per_1000_firms", "higher_level_support_points"]
    assert card.missing_weight == 9 and card.best_possible == pytest.approx(71.825)
    assert (card.klass, card.best_class) == ("B", "A")
    rows = card.rows.set_index("indicator")
    assert rows.loc["high_tech_enterprises", ["trend", "trend_from", "trend_to", "trend_years"]].tolist() == [
        "known",
        2020,
        2022,
        3,
    ]
    assert rows.at["tech_smes", "trend"] == "unknown"  # not in the trend indicators given here
    assert rows.at["local_fiscal_expenditure", "trend"] == ""  # one year: no trend
    assert rows.at["higher_level_support_points", "reading"] == "missing"
    assert card.rows.set_index("indicator").at["high_tech_enterprises", "value"] == 55  # the latest year scored


def test_county_command_prints_the_scorecard_and_refuses_a_bad_file(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["county", "--data", str(SYNTHETIC), "--county", "synthetic", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "score 62.83 of 100: class B" in result.output
    assert "62.83-71.83 (class B-A)" in result.output and "class A needs 70 points: 7.17 more" in result.output
    assert "10-100 (a range the index skips)" in result.output
    # tech_smes has figures in the bundled history: the trend model knows it; agriculture it does not
    assert "Number of tech-based SMEs: trend 2021-2022" in result.output and "knows this indicator" in result.output
    assert "Agricultural industrialisation rate: trend 2021-2022 (2 years): the trend model does not know" in (
        result.output
    )
    assert "innovation actors" in result.output and "7500 10,000 yuan (2022)" in result.output  # words, not keys
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", result.output)  # no code key anywhere
    chinese = runner.invoke(app, ["county", "--data", str(SYNTHETIC), "--county", "synthetic"])  # default: Chinese
    assert chinese.exit_code == 0, chinese.output
    assert "总分 62.83（满分 100）：B 类" in chinese.output and "10–100（指标体系跳过的区间）：插值" in chinese.output
    assert "缺少 2 项指标（千家工商注册企业中科技型中小企业数量(家)、争取上级支持与奖励）" in chinese.output
    body = chinese.output.split("\n", 1)[1].split("说明")[0]  # after the heading with the county's own name
    assert "7500 万元 (2022)" in body and not re.search(r"[a-z]{3,}", body)
    assert not (tmp_path / "out").exists()  # nothing written without --out
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,value,unit\ntech_smes,300,亿元\n", encoding="utf-8")
    refused = runner.invoke(app, ["county", "--data", str(bad)])
    assert refused.exit_code == 2
    assert f"{bad}, row 2, column 'unit'" in refused.output and "Fix: write one of firms, 家" in refused.output
    other = runner.invoke(app, ["county", "--data", str(SYNTHETIC), "--cuts", "80,60"])
    assert "B 类（分类界线为假设：A 类 ≥ 80 分，B 类 ≥ 60 分" in other.output
