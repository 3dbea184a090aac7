"""The ladder's out-of-sample check (`forecast backtest --model ladder`): a SYNTHETIC province and city with a
tiny calibration and ensemble in the default suite (the trend model replaced by a known forecaster), and the
command on the bundled data under `slow`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cache import PosteriorCache
from forecast.cli import app
from forecast.evaluation.backtest import LADDER, MODEL, NO_START, plan_backtest
from forecast.evaluation.ladder_backtest import LadderForecaster, ladder_indicator_table, run_ladder_backtest
from forecast.inputs.tables import load_regions
from forecast.report.labels import ENGLISH
from forecast.report.ladder_backtest import format_ladder_backtest
from tests.forecast.evaluation.test_backtest import INDICATORS, history_frame, random_walk_forecaster

runner = CliRunner()
REGIONS = load_regions()
HISTORY = history_frame(
    [
        ("hebei", "high_tech_enterprises", 2018, 100, ""),
        ("hebei", "tech_smes", 2018, 1000, ""),
        ("hebei", "high_tech_enterprises", 2017, 90, ""),
        *(
            ("hebei", "high_tech_certifications", y, v, "")
            for y, v in zip(range(2019, 2024), (40, 45, 52, 55, 60), strict=True)
        ),
        ("hebei", "high_tech_enterprises", 2020, 118, ""),
        ("hebei", "high_tech_enterprises", 2022, 140, ""),
        ("hebei", "high_tech_enterprises", 2023, 150, "lower_bound"),
        ("langfang", "high_tech_enterprises", 2012, 20, ""),
        ("langfang", "high_tech_enterprises", 2015, 30, ""),
        ("langfang", "high_tech_enterprises", 2022, 60, ""),
    ]
)
"""SYNTHETIC: Hebei's ladder starts in 2018 (both stocks); Langfang has certified firms only, so no ladder start."""
SAMPLER = {"draws": 60, "tune": 60, "chains": 1}


def _ladder(cache: PosteriorCache) -> LadderForecaster:
    return LadderForecaster(REGIONS, None, 2023, seed=3, runs=6, sampler=SAMPLER, cache=cache, firm_scale=2)


@pytest.fixture(scope="module")
def backtest(tmp_path_factory):
    cache = PosteriorCache(tmp_path_factory.mktemp("posteriors"))
    tasks, excluded = plan_backtest(HISTORY, [2020], INDICATORS)
    trend = random_walk_forecaster(0.1, 0.1, draws=50)
    result = run_ladder_backtest(
        HISTORY, tasks, excluded, regions=REGIONS, trend=trend, ladder=_ladder(cache), seed=1
    )  # fmt: skip
    return result, cache


def test_ladder_and_trend_are_scored_on_the_same_points(backtest):
    result, _ = backtest
    keys = ["origin", "region", "indicator", "year"]
    ladder = result.rows[result.rows["method"] == LADDER][keys].sort_values(keys).reset_index(drop=True)
    trend = result.rows[result.rows["method"] == MODEL][keys].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(ladder, trend)
    # Hebei's lists 2021-2023 and its 2022 stock; the 2023 lower bound is not a point outcome
    assert set(map(tuple, ladder[["indicator", "year"]].to_numpy())) == {
        ("high_tech_certifications", 2021),
        ("high_tech_certifications", 2022),
        ("high_tech_certifications", 2023),
        ("high_tech_enterprises", 2022),
    }
    assert set(ladder["region"]) == {"hebei"}
    scored = result.rows[result.rows["method"] == LADDER]
    assert np.isfinite(scored["crps"]).all() and (scored["crps"] >= 0).all()
    assert scored["covered_95"].dtype == bool and (scored["q2.5"] <= scored["q97.5"]).all()


def test_a_region_without_a_ladder_start_is_left_out_of_both_with_the_reason(backtest):
    result, _ = backtest
    assert "langfang" not in set(result.rows["region"])
    gone = result.excluded[result.excluded["region"] == "langfang"]
    assert list(gone["reason"]) == [NO_START] and list(gone["year"]) == [2022]


def test_the_ladder_forecast_repeats_with_its_seed(backtest):
    _, cache = backtest
    cut = HISTORY[HISTORY["year"] <= 2020]
    first, again = (_ladder(cache).ensemble(cut, "hebei", 2020) for _ in range(2))  # the posterior from the cache
    assert list(first[0]["year"]) == list(range(2018, 2024))
    for column in ("hte_certified", "certifications_listed", "tech_sme_registered"):
        np.testing.assert_array_equal(first[0][column], again[0][column])
        assert first[0][column].shape == (6, 6) and np.all(first[0][column][:, 1:] > 0)


def test_table_names_methods_and_indicators_in_words(backtest):
    result, _ = backtest
    table = ladder_indicator_table(result.rows)
    assert list(table["method"]) == [LADDER, MODEL, LADDER, MODEL]
    text = format_ladder_backtest(result, 6, ENGLISH)
    assert "ladder model" in text and "no ladder start state" in text


@pytest.mark.slow
def test_cli_ladder_backtest_on_bundled_data(tmp_path):
    out = tmp_path / "bt"
    result = runner.invoke(app, ["backtest", "--model", "ladder", "--runs", "20", "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "The ladder model beside the trend model by indicator" in result.output
    assert "high_tech_certifications" not in result.output  # indicators in words, not code keys
    rows = pd.read_csv(out / "backtest.csv")
    keys = ["origin", "region", "indicator", "year"]
    ladder, trend = (rows[rows["method"] == m][keys].sort_values(keys).to_numpy() for m in (LADDER, MODEL))
    np.testing.assert_array_equal(ladder, trend)
    hebei_lists = rows[(rows["method"] == LADDER) & (rows["indicator"] == "high_tech_certifications")]
    assert set(hebei_lists["year"]) == set(range(2020, 2025)) and set(hebei_lists["origin"]) == {2019}
