"""The county class projected to a later year, on the SYNTHETIC county figures (tests/forecast/data), with the trend
model replaced by draws chosen so the probabilities can be worked out by hand; the CLI with fits from the prior."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecast.evaluation.county_projection as projection_module
from forecast.cli import app
from forecast.evaluation.backtest import DEFAULT_SEED
from forecast.evaluation.county import score_county
from forecast.evaluation.county_projection import COUNTY_REGION, project_class
from forecast.inputs.county import load_county_figures, load_county_index
from forecast.inputs.tables import load_history, load_indicators, load_regions
from forecast.trend.pipeline import PanelForecast
from models.diagnostics import Diagnostics
from tests.conftest import HEADER, SYNTHETIC, write
from tests.forecast.test_cli import fake_fits  # noqa: F401  (the fixture)

FIGURES = Path(__file__).parents[1] / "data" / "county_figures_synthetic.csv"
OK = Diagnostics(1.0, 1000, 1000, 0, 100, 1)
runner = CliRunner()


@pytest.fixture
def two_futures(monkeypatch):
    """Draws of the county's figures in the year projected to: the first half at each index's top band (high-tech
    enterprises 100, tech SMEs 1000, patents 12 per 10,000: full weights 10, 7 and 6), the second half at the
    latest figures (55, 300, 2.4: 7, 3.75 and 3.7 points)."""
    top = {"high_tech_enterprises": 100.0, "tech_smes": 1000.0, "invention_patents_per_10k": 12.0}
    latest = {"high_tech_enterprises": 55.0, "tech_smes": 300.0, "invention_patents_per_10k": 2.4}
    fitted = []

    def forecast_indicator(history, indicator, wanted, *, regions, horizon, **_):
        fitted.append((indicator, regions.at[COUNTY_REGION, "parent"]))
        assert history[history["region"] == COUNTY_REGION]["indicator"].eq(indicator).any()
        years = np.arange(2020, horizon + 1)
        values = np.r_[np.full(50, top[indicator]), np.full(50, latest[indicator])]
        paths = np.repeat(values[None, :, None], years.size, axis=2)
        region = COUNTY_REGION
        return PanelForecast(indicator, None, horizon, {region: years}, {region: paths}, {region: OK}, {}, {region: []})

    monkeypatch.setattr(projection_module, "forecast_indicator", forecast_indicator)
    return fitted


def scored():
    index = load_county_index()
    figures = load_county_figures(FIGURES, index)
    history = load_history()
    return index, figures, history, score_county(index, figures, set(history["indicator"]))


def test_probability_of_the_next_class_by_hand(two_futures):
    index, figures, history, card = scored()
    assert card.score == pytest.approx(62.83, abs=0.005) and card.klass == "B"  # tests/forecast/evaluation/test_county
    result = project_class(
        card, index, figures, history, load_regions(), load_indicators(), year=2025, parent="xingtai"
    )
    # first half: 62.83 - (7 + 3.75 + 3.7) + (10 + 7 + 6) = 71.38 (class A); second half: 62.83 (class B)
    assert result.draws == 100 and result.next_class == ("A", 70.0)
    assert result.p_next == 0.5 and result.mc_error == pytest.approx(0.05)
    assert result.p_class == {"A": 0.5, "B": 0.5, "C": 0.0}
    assert sorted(two_futures) == sorted(
        (k, "xingtai") for k in ("high_tech_enterprises", "tech_smes", "invention_patents_per_10k")
    )
    assert list(result.projected["points"]) == pytest.approx([8.5, 5.375, 4.85])  # medians of the two halves
    assert "agricultural_industrialisation_rate" in result.unprojected  # two years, but no history to pool with


def test_no_series_no_numbers(two_futures):
    index, figures, history, card = scored()
    one_year = figures[figures["year"] == 2022]
    result = project_class(card, index, one_year, history, load_regions(), load_indicators(), year=2025)
    assert not result.possible and two_futures == [] and np.isnan(result.p_next)
    assert set(result.unprojected) == {"high_tech_enterprises", "tech_smes", "invention_patents_per_10k"}


def test_cli_says_so_plainly_without_a_series(tmp_path):
    lines = FIGURES.read_text(encoding="utf-8").splitlines()
    single = write(
        tmp_path / "one_year.csv",
        "\n".join(line for line in lines if ",2020," not in line and ",2021," not in line) + "\n",
    )
    result = runner.invoke(app, ["county", "--data", str(single), "--by", "2025", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "no projection to 2025: the figures hold no series" in result.output and "P(class" not in result.output
    assert "Number of certified high-tech enterprises: one year of figures (2022)" in result.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--by", "2022"], "2022 is not after the figures' latest year 2022"),
        (["--by", "2025", "--parent", "xingtia"], "did you mean 'xingtai'"),
    ],
)
def test_cli_refuses_bad_projection_options(args, message, tmp_path):
    result = runner.invoke(app, ["county", "--data", str(FIGURES), "--out", str(tmp_path / "c"), *args])
    assert result.exit_code == 2 and message in result.output and not (tmp_path / "c").exists()


def test_cli_projection_with_a_small_history(tmp_path, fake_fits):  # noqa: F811
    rows = [("hebei", "high_tech_enterprises", y, 1500 + 200 * k, "firms") for k, y in enumerate(range(2015, 2021))]
    rows += [("hebei", "tech_smes", y, 5000 + 900 * k, "firms") for k, y in enumerate(range(2017, 2021))]
    history = write(
        tmp_path / "h.csv", HEADER + "".join(f"{r},{i},{y},{v},{u},{SYNTHETIC},,main,\n" for r, i, y, v, u in rows)
    )
    out = tmp_path / "county"
    args = ["county", "--data", str(FIGURES), "--by", "2025", "--history", str(history), "--out", str(out)]
    result = runner.invoke(app, [*args, "--draws", "50", "--tune", "50"])  # in Chinese, the index's language
    assert result.exit_code == 0, result.output
    assert "预测到 2025 年" in result.output and "2025 年达到 A 类的概率 = " in result.output
    # invention patents: not in this history, so not projected
    assert "未预测：万人有效发明专利拥有量(件/万人)：趋势模型不预测此指标" in result.output
    projected = pd.read_csv(out / "projection.csv")
    assert list(projected["indicator"]) == ["high_tech_enterprises", "tech_smes"]
    assert {"scorecard.csv", "projection.csv", "manifest.json", "run.log"} == {p.name for p in out.iterdir()}
    meta = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert meta["seed"] == DEFAULT_SEED  # the seed the fits used, none being given
    assert (
        meta["projection"]["projected"] == ["high_tech_enterprises", "tech_smes"] and meta["projection"]["year"] == 2025
    )
