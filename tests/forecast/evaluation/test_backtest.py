"""Backtests on SYNTHETIC panels whose right answer is known, the reliability chart, and the CLI on a
tiny SYNTHETIC file.

Most tests inject a forecaster instead of fitting the trend model, so they are fast and
the scores they check follow from the forecaster by hand.
"""

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.special import logit
from scipy.stats import norm
from typer.testing import CliRunner

from forecast.cli import app
from forecast.errors import InputError
from forecast.evaluation.backtest import (
    EARLIER_BASIS,
    LOWER_BOUND_OUTCOME,
    MODEL,
    NO_FORECAST,
    TOO_FEW,
    indicator_table,
    plan_backtest,
    run_backtest,
    score_table,
)
from forecast.evaluation.scores import reliability_table
from forecast.inputs.tables import load_indicators
from forecast.report.charts import plot_reliability
from forecast.report.evaluation import format_backtest, write_backtest
from forecast.trend.pipeline import PanelForecast
from models.diagnostics import Diagnostics
from tests.conftest import HEADER, SYNTHETIC, write

matplotlib.use("Agg")

INDICATORS = load_indicators()
OK = Diagnostics(r_hat_max=1.0, ess_bulk_min=1000, ess_tail_min=1000, divergences=0, draws=200, chains=2)
BAD = Diagnostics(r_hat_max=1.05, ess_bulk_min=1000, ess_tail_min=1000, divergences=0, draws=200, chains=2)


def history_frame(records) -> pd.DataFrame:
    """A SYNTHETIC history table in `load_history`'s layout from (region, indicator, year, value, flag)."""
    table = pd.DataFrame(records, columns=["region", "indicator", "year", "value", "flag"])
    table["unit"] = table["indicator"].map(INDICATORS["unit"])
    return table.assign(source=SYNTHETIC, note="", series="main", row=np.arange(len(table)) + 2)


def random_walk_panel(n_regions: int, years: np.ndarray, mu: float, sigma: float, seed: int) -> pd.DataFrame:
    """Log random walks with drift mu and step sd sigma, observed exactly (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    z = np.log(100.0) + np.cumsum(mu + sigma * rng.standard_normal((n_regions, years.size)), axis=1)
    return history_frame(
        [
            (f"r{i:03d}", "high_tech_enterprises", int(y), float(np.exp(z[i, j])), "")
            for i in range(n_regions)
            for j, y in enumerate(years)
        ]
    )


def panel_from(history, indicator, regions, cutoff, horizon, future, diagnostics=lambda region: OK) -> PanelForecast:
    """A PanelForecast whose paths after the cut-off come from `future(region, last_value, later_years)`."""
    assert history["year"].max() <= cutoff, "the forecaster was shown figures after the origin"
    out = PanelForecast(indicator, cutoff, horizon, {}, {}, {}, {}, {})
    series = history[history["indicator"] == indicator].sort_values("year").groupby("region")
    first, last = series["year"].min(), series["value"].last()
    for region in regions:
        years = np.arange(int(first[region]), horizon + 1)
        later = years[years > cutoff]
        draws = future(region, float(last[region]), later)
        past = np.broadcast_to(last[region], (*draws.shape[:2], years.size - later.size))
        out.years[region], out.paths[region] = years, np.concatenate([past, draws], axis=-1)
        out.diagnostics[region], out.model[region], out.notes[region] = diagnostics(region), "synthetic", []
    return out


def random_walk_forecaster(mu: float, sigma: float, seed: int = 1, draws: int = 200):
    """Draws from the true conditional distribution of a log random walk given the last figure."""
    rng = np.random.default_rng(seed)

    def forecaster(history, indicator, regions, *, cutoff, horizon):
        def future(region, last, later):
            steps = mu + sigma * rng.standard_normal((2, draws, later.size))
            return last * np.exp(np.cumsum(steps, axis=-1))

        return panel_from(history, indicator, regions, cutoff, horizon, future)

    return forecaster


def certain_forecaster(value_of):
    """Every draw equals `value_of(region, year)`."""

    def forecaster(history, indicator, regions, *, cutoff, horizon):
        def future(region, last, later):
            return np.broadcast_to(
                np.array([value_of(region, y) for y in later], dtype=float), (1, 4000, later.size)
            ).copy()

        return panel_from(history, indicator, regions, cutoff, horizon, future)

    return forecaster


def backtest(history, origins, forecaster, **filters):
    tasks, excluded = plan_backtest(history, origins, INDICATORS, **filters)
    return run_backtest(history, tasks, excluded, forecaster=forecaster, seed=3)


@pytest.fixture(scope="module")
def panel():
    """150 independent SYNTHETIC regions, a 6-year fit window and 5 scored years each, split at 2015."""
    history = random_walk_panel(150, np.arange(2010, 2021), mu=0.05, sigma=0.10, seed=11)
    return (history, *plan_backtest(history, [2015], INDICATORS))


@pytest.fixture(scope="module")
def calibrated(panel):
    return run_backtest(*panel, forecaster=random_walk_forecaster(0.05, 0.10), seed=3)


# Three standard errors of the coverage of 150 regions x 5 path-correlated years
# (0.025, 0.023, 0.012 by simulating that design with numpy alone).
TOLERANCE = {50: 0.075, 80: 0.07, 95: 0.036}


def test_true_distribution_covers_at_nominal_rates(calibrated):
    model = score_table(calibrated.rows).query("origin == 'all' and method == @MODEL").iloc[0]
    assert model["points"] == 150 * 5
    for level in (50, 80, 95):
        assert abs(model[f"coverage_{level}"] - level / 100) < TOLERANCE[level]


def test_an_overconfident_forecaster_undercovers(panel):
    result = run_backtest(*panel, forecaster=random_walk_forecaster(0.05, 0.025), seed=3)
    model = score_table(result.rows).query("origin == 'all' and method == @MODEL").iloc[0]
    # A quarter of the true spread: the central 50% interval holds |Z| < 0.674 / 4, about 13% of points.
    assert abs(model["coverage_50"] - (2 * norm.cdf(0.674 / 4) - 1)) < TOLERANCE[50]


def test_proper_scores_prefer_the_true_distribution_to_last_value(calibrated):
    pooled = score_table(calibrated.rows).query("origin == 'all'").set_index("method")
    # last_value has no drift while the truth drifts 5% a year: worse in expectation under proper scores.
    assert pooled.loc[MODEL, "crps"] < pooled.loc["last_value", "crps"]
    assert pooled.loc[MODEL, "brier"] < pooled.loc["last_value", "brier"]


def test_certain_wrong_forecast_has_zero_coverage_and_known_crps():
    records = [("hebei", "high_tech_enterprises", y, 100.0 * 1.1 ** (y - 2010), "") for y in range(2010, 2016)]
    records += [("hebei", "rd_intensity", y, 1.0 + 0.2 * (y - 2010), "") for y in range(2010, 2016)]
    history = history_frame(records)
    truth = history.set_index(["region", "indicator", "year"])["value"]
    for indicator, expected in (
        ("high_tech_enterprises", lambda y: np.log(2.0)),
        ("rd_intensity", lambda y: logit(2 * y / 100) - logit(y / 100)),
    ):
        result = backtest(
            history,
            [2012],
            certain_forecaster(lambda r, year, indicator=indicator: 2 * truth[(r, indicator, year)]),
            only_indicators=[indicator],
        )
        model = result.rows[result.rows["method"] == MODEL]
        assert len(model) == 3 and not model[["covered_50", "covered_80", "covered_95"]].to_numpy().any()
        # The CRPS of a point mass is its absolute error, here on the model's (log or logit) scale.
        np.testing.assert_allclose(model["crps"], expected(model["outcome"].to_numpy()), rtol=1e-12)


def test_threshold_events_and_brier_by_hand():
    history = history_frame(
        [
            ("hebei", "high_tech_enterprises", 2013, 90.0, ""),
            ("hebei", "high_tech_enterprises", 2014, 100.0, ""),
            ("hebei", "high_tech_enterprises", 2016, 115.0, ""),
        ]
    )
    rows = backtest(history, [2014], certain_forecaster(lambda r, y: 130.0)).rows
    model = rows[rows["method"] == MODEL].iloc[0]
    # Last figure 100 in 2014, scored year 2016: thresholds 100 * (1 + r)^2.
    np.testing.assert_allclose(
        model[["threshold_r0", "threshold_r5", "threshold_r10", "threshold_r20"]].astype(float), [100, 110.25, 121, 144]
    )
    assert list(model[["event_r0", "event_r5", "event_r10", "event_r20"]]) == [True, True, False, False]
    assert list(model[["p_r0", "p_r5", "p_r10", "p_r20"]]) == [1, 1, 1, 0]
    assert score_table(rows).query("method == @MODEL").iloc[0]["brier"] == pytest.approx(0.25)  # (0 + 0 + 1 + 0) / 4
    # last_value: step sd |log(100/90)| per year, so log y_2016 ~ N(log 100, 2 sd^2).
    last = rows[rows["method"] == "last_value"].iloc[0]
    sd = np.log(100 / 90) * np.sqrt(2)
    assert last["p_r0"] == pytest.approx(0.5, abs=0.03)
    assert last["p_r5"] == pytest.approx(norm.sf(np.log(1.1025) / sd), abs=0.03)


def test_bounds_and_short_series_are_left_out_of_every_method():
    """Also figures on an earlier basis (a ratio over the GDP before its revision: another quantity)."""
    history = history_frame(
        [
            ("baoding", "high_tech_enterprises", 2012, 20.0, "pre_revision_gdp"),
            ("baoding", "high_tech_enterprises", 2013, 21.0, "pre_revision_gdp"),
            ("baoding", "high_tech_enterprises", 2014, 22.0, "pre_revision_gdp"),
            ("hebei", "high_tech_enterprises", 2012, 100.0, ""),
            ("hebei", "high_tech_enterprises", 2013, 110.0, ""),
            ("hebei", "high_tech_enterprises", 2014, 120.0, ""),
            ("hebei", "high_tech_enterprises", 2015, 130.0, "lower_bound"),
            ("langfang", "high_tech_enterprises", 2013, 10.0, ""),
            ("langfang", "high_tech_enterprises", 2014, 12.0, ""),
        ]
    )
    result = backtest(history, [2013], certain_forecaster(lambda r, y: 120.0))
    reasons = result.excluded.set_index(["region", "year"])["reason"]
    assert reasons[("hebei", 2015)] == LOWER_BOUND_OUTCOME and reasons[("langfang", 2014)] == TOO_FEW
    assert reasons[("baoding", 2014)] == EARLIER_BASIS
    points = result.rows.groupby("method")[["region", "year"]].apply(lambda g: sorted(map(tuple, g.to_numpy())))
    assert all(p == [("hebei", 2014)] for p in points)
    assert set(result.rows["method"]) == {"model", "last_value", "random_walk_drift", "linear_trend"}


def test_the_forecaster_never_sees_figures_after_the_origin():
    history = random_walk_panel(3, np.arange(2010, 2020), 0.05, 0.1, seed=2)
    seen = []

    def spy(history, indicator, regions, *, cutoff, horizon):
        seen.append((int(history["year"].max()), cutoff, horizon))
        return random_walk_forecaster(0.05, 0.1)(history, indicator, regions, cutoff=cutoff, horizon=horizon)

    backtest(history, [2013, 2016], spy)
    assert seen == [(2013, 2013, 2019), (2016, 2016, 2019)]


def test_regions_without_a_forecast_are_dropped_for_every_method_and_counted():
    history = random_walk_panel(2, np.arange(2010, 2016), 0.05, 0.1, seed=4)

    def partial_forecaster(history, indicator, regions, *, cutoff, horizon):
        panel = random_walk_forecaster(0.05, 0.1)(history, indicator, regions, cutoff=cutoff, horizon=horizon)
        del panel.paths["r001"]
        return panel

    result = backtest(history, [2013], partial_forecaster)
    assert set(result.rows["region"]) == {"r000"}
    assert (result.excluded.query("region == 'r001'")["reason"] == NO_FORECAST).sum() == 2


def test_convergence_warnings_reach_rows_and_the_table():
    history = random_walk_panel(2, np.arange(2010, 2016), 0.05, 0.1, seed=5)

    def warned(history, indicator, regions, *, cutoff, horizon):
        status = lambda region: BAD if region == "r001" else OK  # noqa: E731
        return panel_from(
            history,
            indicator,
            regions,
            cutoff,
            horizon,
            lambda r, last, later: np.full((2, 50, later.size), last),
            status,
        )

    result = backtest(history, [2013], warned)
    model = result.rows[result.rows["method"] == MODEL].set_index("region")["diagnostics"]
    assert model["r001"].iloc[0].startswith("WARNING: R-hat 1.050") and (model["r000"] == "ok").all()
    text = format_backtest(result)  # English words, without the bundle's names (keys with spaces)
    assert (
        "convergence WARNING: R-hat 1.050 > 1.01: origin 2013, high tech enterprises (R001)" in text
        and "R000" not in text.split("convergence")[-1]
    )
    assert " 1/2" in text.splitlines()[1]


def test_pooled_scores_pool_the_origins(panel):
    history = panel[0]
    result = backtest(history[history["region"] < "r020"], [2013, 2016], random_walk_forecaster(0.05, 0.1))
    scores = score_table(result.rows).set_index(["origin", "method"])
    assert (
        scores.loc[("all", MODEL), "points"]
        == scores.loc[("2013", MODEL), "points"] + scores.loc[("2016", MODEL), "points"]
        == 20 * (7 + 4)
    )
    model = result.rows[result.rows["method"] == MODEL]
    assert scores.loc[("all", MODEL), "crps"] == pytest.approx(model["crps"].mean())
    # Coverage can be recomputed from the quantile columns of backtest.csv.
    assert scores.loc[("all", MODEL), "coverage_80"] == pytest.approx(
        ((model["q10"] <= model["outcome"]) & (model["outcome"] <= model["q90"])).mean()
    )


@pytest.mark.parametrize(
    "filters,origins,message",
    [
        ({"only_regions": ["r0000"]}, [2013], "did you mean 'r000'"),
        ({"only_indicators": ["rd_intensity"]}, [2013], "no figures for indicator 'rd_intensity'"),
        ({}, [2005], "--origin 2005: nothing to score"),
        ({}, [2019], "origins with something to score in this data: 2011-2018"),
    ],
)
def test_bad_filters_and_empty_origins_are_input_errors(filters, origins, message):
    history = random_walk_panel(2, np.arange(2010, 2020), 0.05, 0.1, seed=6)
    with pytest.raises(InputError) as err:
        plan_backtest(history, origins, INDICATORS, source="h.csv", **filters)
    assert message in err.value.render()


def test_reliability_chart_draws_each_method_against_the_diagonal():
    model = reliability_table([0.05, 0.15, 0.95, 0.92], [0, 1, 1, 1], n_bins=10)
    naive = reliability_table([0.5, 0.5], [0, 1], n_bins=10)
    fig = plot_reliability({"model (Brier 0.10)": model, "last_value (Brier 0.25)": naive}, title="t")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["perfect calibration", "model (Brier 0.10)", "last_value (Brier 0.25)"]
    np.testing.assert_allclose(lines["perfect calibration"].get_xydata(), [[0, 0], [1, 1]])
    # Empty bins are not drawn; each point is (mean forecast, observed frequency) of a bin.
    np.testing.assert_allclose(lines["model (Brier 0.10)"].get_xydata(), [[0.05, 0], [0.15, 1], [0.935, 1]])
    np.testing.assert_allclose(lines["last_value (Brier 0.25)"].get_xydata(), [[0.5, 0.5]])
    assert ax.get_xlabel() == "forecast probability (bin mean)" and ax.get_ylabel() == "observed frequency"


def test_write_is_all_or_nothing(tmp_path, monkeypatch):
    history = random_walk_panel(2, np.arange(2010, 2016), 0.05, 0.1, seed=7)
    result = backtest(history, [2013], random_walk_forecaster(0.05, 0.1))
    written = {p.name for p in write_backtest(tmp_path / "out", result, {"seed": 3})}
    assert written == {
        "backtest.csv",
        "scores.csv",
        "scores_by_indicator.csv",
        "reliability.csv",
        "reliability.png",
        "excluded.csv",
        "manifest.json",
    }

    def broken(*args, **kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr("forecast.report.evaluation.plot_reliability", broken)
    with pytest.raises(RuntimeError):
        write_backtest(tmp_path / "out", result, {"seed": 4})
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


runner = CliRunner()


@pytest.fixture
def cli_history(tmp_path):
    rows = [("hebei", y, round(1000 * 1.15 ** (y - 2012))) for y in range(2012, 2019)] + [
        ("langfang", 2016, 50),
        ("langfang", 2017, 60),
    ]
    return write(
        tmp_path / "h.csv",
        HEADER + "".join(f"{r},high_tech_enterprises,{y},{v},firms,{SYNTHETIC},,main,\n" for r, y, v in rows),
    )


@pytest.fixture
def synthetic_model(monkeypatch):
    """The CLI's trend model replaced by the SYNTHETIC random-walk forecaster (fast; the slow test runs the
    real one)."""
    fake = random_walk_forecaster(0.1, 0.1)
    monkeypatch.setattr(
        "forecast.evaluation.backtest.forecast_indicator",
        lambda history, indicator, wanted, *, cutoff, horizon, **settings: fake(
            history, indicator, wanted, cutoff=cutoff, horizon=horizon
        ),
    )


def run_cli_backtest(data, out, *extra) -> pd.DataFrame:
    result = runner.invoke(
        app,
        [
            "backtest",
            "--origin",
            "2015",
            "--data",
            str(data),
            "--region",
            "hebei",
            "--out",
            str(out),
            "--seed",
            "5",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    # Hebei is in China: the table in Chinese, methods and indicators by name (never their keys)
    assert "带漂移随机游走" in result.output and "全部起点" in result.output
    assert "CRPS 按模型的尺度计算" in result.output
    assert "random_walk_drift" not in result.output and "high_tech_enterprises" not in result.output
    rows = pd.read_csv(out / "backtest.csv")
    assert len(rows) == 3 * 4 and set(rows["year"]) == {2016, 2017, 2018}
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["seed"] == 5 and len(meta["input_sha256"]["data"]) == 64 and meta["versions"]["pymc"]
    assert meta["command"].startswith("forecast")  # argv differs under pytest-xdist
    return rows


def test_cli_backtest_prints_scores_and_writes_files(cli_history, tmp_path, synthetic_model):
    rows = run_cli_backtest(cli_history, tmp_path / "bt")
    assert set(rows["diagnostics"]) == {"ok", "n/a (closed-form draws)"}
    assert {p.name for p in (tmp_path / "bt").iterdir()} >= {
        "backtest.csv",
        "scores.csv",
        "reliability.png",
        "manifest.json",
    }


@pytest.mark.slow
def test_cli_backtest_with_the_trend_model(cli_history, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAN_FORECAST_CACHE", str(tmp_path / "cache"))
    rows = run_cli_backtest(cli_history, tmp_path / "bt", "--draws", "50", "--tune", "50")
    assert rows.loc[rows["method"] == "model", "diagnostics"].str.len().gt(0).all()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--region", "langfan"], "did you mean 'langfang'"),
        (["--indicator", "tech_smes"], "no figures for indicator 'tech_smes'"),
        (["--origin", "2019"], "--origin 2019: nothing to score"),
    ],
)
def test_cli_backtest_bad_input_exits_2(cli_history, tmp_path, args, message):
    result = runner.invoke(
        app, ["backtest", "--origin", "2015", "--data", str(cli_history), "--out", str(tmp_path / "bt"), *args]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "bt").exists()


def test_cli_backtest_missing_data_file_exits_2(tmp_path):
    out = tmp_path / "bt"  # not the default out/backtest: the test must not depend on the current directory
    result = runner.invoke(
        app, ["backtest", "--origin", "2015", "--data", str(tmp_path / "missing.csv"), "--out", str(out)]
    )
    assert result.exit_code == 2 and "missing.csv, file: not found" in result.output
    assert not out.exists()


def test_indicator_table_sets_the_model_beside_the_random_walk_on_the_same_points():
    history = random_walk_panel(2, np.arange(2010, 2016), 0.05, 0.1, seed=7)
    rows = backtest(history, [2012, 2013], random_walk_forecaster(0.05, 0.1)).rows
    table = indicator_table(rows)
    model, walk = rows[rows["method"] == MODEL], rows[rows["method"] == "random_walk_drift"]
    assert table["points"].tolist() == [len(model)]
    assert table["crps"].iloc[0] == pytest.approx(model["crps"].mean())
    assert table["crps_vs_baseline"].iloc[0] == pytest.approx(model["crps"].mean() / walk["crps"].mean() - 1)
    assert table["coverage_80"].iloc[0] == pytest.approx(model["covered_80"].mean())
