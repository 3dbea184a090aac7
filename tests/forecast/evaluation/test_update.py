"""Checks of a data update (SYNTHETIC figures): the 95% interval verdict and the probability moves, by hand."""

import numpy as np
import pandas as pd
import pytest

import forecast.evaluation.update as update
from forecast.evaluation.update import check_new_figures, probability_moves
from forecast.inputs.tables import load_indicators, load_regions
from forecast.probability import TargetProbability
from forecast.trend.pipeline import PanelForecast, TargetResult, TrendFit
from models.diagnostics import Diagnostics
from tests.forecast.report.test_labels import LANGFANG_2025

OK = Diagnostics(1.0, 1000, 1000, 0, 1001, 1)


def rows(figures) -> pd.DataFrame:
    """SYNTHETIC validated-history rows: (region, indicator, year, value, flag)."""
    units = {"high_tech_enterprises": "firms", "rd_intensity": "percent", "population": "10k_persons"}
    return pd.DataFrame(
        [
            {"region": r, "indicator": i, "year": y, "value": float(v), "unit": units.get(i, ""), "source": "synthetic"}
            | {"note": "", "series": "main", "flag": f, "row": n + 2}
            for n, (r, i, y, v, f) in enumerate(figures)
        ]
    )


@pytest.fixture
def uniform_panel(monkeypatch):
    """The trend model replaced by draws spread evenly over 0..1000 in every year from 2018: the 95% interval is
    [25, 975] and the median 500 (quantiles of 1001 evenly spaced values)."""
    calls = []

    def forecast_indicator(history, indicator, wanted, *, horizon, **_):
        calls.append((indicator, tuple(wanted), horizon))
        years = np.arange(2018, horizon + 1)
        draws = np.repeat(np.linspace(0, 1000, 1001)[None, :, None], years.size, axis=2)
        return PanelForecast(
            indicator,
            None,
            horizon,
            {r: years for r in wanted},
            {r: draws for r in wanted},
            {r: OK for r in wanted},
            {r: "drift" for r in wanted},
            {r: [] for r in wanted},
        )

    monkeypatch.setattr(update, "forecast_indicator", forecast_indicator)
    return calls


def test_verdicts_against_the_95_percent_interval(uniform_panel):
    old = rows([("langfang", "high_tech_enterprises", 2018, 400, ""), ("hebei", "high_tech_enterprises", 2019, 9, "")])
    new = rows(
        [
            ("langfang", "high_tech_enterprises", 2021, 980, ""),  # above 975
            ("langfang", "high_tech_enterprises", 2020, 20, ""),  # below 25
            ("langfang", "high_tech_enterprises", 2019, 500, ""),  # inside
            ("langfang", "high_tech_enterprises", 2017, 500, ""),  # before the first year of the paths
            ("hebei", "high_tech_enterprises", 2022, 5000, "lower_bound"),  # a bound is no figure
            ("handan", "high_tech_enterprises", 2021, 500, ""),  # no earlier figures of handan
        ]
    )
    checks = check_new_figures(old, new, regions=load_regions(), indicators=load_indicators())
    assert list(checks["verdict"]) == ["above", "below", "inside", "not_checked", "not_checked", "not_checked"]
    assert list(checks["reason"]) == ["", "", "", "before_first_figure", "lower_bound", "no_earlier_figures"]
    assert checks.loc[0, ["low_95", "median", "high_95"]].tolist() == pytest.approx([25, 500, 975])
    # one fit for the indicator, of the regions with earlier figures, to the latest new year but the bound's
    assert uniform_panel == [("high_tech_enterprises", ("langfang",), 2021)]


def test_indicators_the_trend_model_does_not_project_are_not_checked(uniform_panel):
    indicators = load_indicators()
    unmodelled = next(i for i, k in indicators["kind"].items() if k not in update.MODELLED_KINDS)
    old = rows([("langfang", unmodelled, 2018, 4, "")]).assign(unit=indicators.at[unmodelled, "unit"])
    checks = check_new_figures(old, old.assign(year=2020), regions=load_regions(), indicators=indicators)
    assert list(checks["reason"]) == ["not_projected"] and uniform_panel == []


def result(target_id: str, p: float, e: float) -> TargetResult:
    target = LANGFANG_2025.model_copy(update={"target_id": target_id})
    fit = TrendFit((), np.arange(2020, 2026), np.zeros((1, 1, 6)), OK, pd.DataFrame())
    probability = TargetProbability(p, e, 0.0, 0.0, 0.0, {})
    return TargetResult(target, fit, None, probability, None, None, 2022, 1258.0)


def test_moves_with_their_monte_carlo_errors():
    before = pd.DataFrame({"target_id": ["a"], "p_met": [0.90], "p_met_mc_error": [0.03]})
    moves = probability_moves(before, [result("a", 0.50, 0.04), result("b", 0.7, 0.01)])
    first = moves.iloc[0]
    assert first["change"] == pytest.approx(-0.40) and first["change_mc_error"] == pytest.approx(0.05)  # 3-4-5
    assert moves.iloc[1]["note"] == "not_in_last_run" and np.isnan(moves.iloc[1]["change"])
    assert list(moves["diagnostics"]) == ["ok", "ok"]
