"""Ladder and trend side by side: which assumption drives a gap between them (SYNTHETIC history and runs)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from forecast.inputs.registers import load_registers
from forecast.inputs.tables import load_indicators
from forecast.ladder import pipeline as lf
from forecast.ladder.gap import RD_TREND_FACTOR, disagree, ladder_trend_gaps
from forecast.probability import TargetProbability
from forecast.report.labels import ENGLISH
from forecast.report.ladder import gap_line
from tests.forecast.ladder.test_pipeline import history, scenario, target  # noqa: F401 (fixture)


def _trend(t, median, low, high):
    return SimpleNamespace(target=t, result=TargetProbability(0.9, 0.01, median, low, high))


def test_intervals_that_overlap_are_no_gap() -> None:
    a, b = TargetProbability(0.5, 0.0, 10, 8, 12), TargetProbability(0.5, 0.0, 13, 11.5, 15)
    assert not disagree(a, b) and disagree(a, replace(b, low=12.5))


def test_the_parameter_the_outcome_moves_with_is_named(history) -> None:  # noqa: F811
    spec = scenario(
        uncertainties={"pass_rate": {"low": 0.5, "high": 0.95}},
        # firm_scale 4: at 10 the demographic noise hid the pass rate (rho 0.25) once about one registered SME
        # in eight is eligible (the statutes' criteria), at 4 rho is about 0.6
        models={"trend": None, "ladder": {"runs": 40, "firm_scale": 4}},
    )
    plan = lf.plan_ladder(spec, history, None, None, need_gdp=False, workers=1)
    run = lf.simulate(plan)
    t = target("high_tech_enterprises", 2023, 1000.0)
    judged = lf.ladder_probabilities(run, [t])
    far = judged[0].result.high * 3
    gaps = ladder_trend_gaps([_trend(t, far, far * 0.9, far * 1.1)], judged, run)
    assert len(gaps) == 1 and gaps[0].driver == "pass_rate" and gaps[0].rho > 0.3
    assert gaps[0].favourable_median >= gaps[0].ladder.median  # the runs with high pass rates lie towards the trend
    line = gap_line(gaps[0], ENGLISH)
    assert line.startswith("ladder and trend disagree on") and "pass rate" in line
    near = ladder_trend_gaps(
        [_trend(t, judged[0].result.median, judged[0].result.low, judged[0].result.high)], judged, run
    )
    assert near == []


def test_a_register_gap_is_put_down_to_the_register_assumption(history) -> None:  # noqa: F811
    registers = load_registers(indicators=load_indicators())
    spec = scenario(models={"trend": None, "ladder": {"runs": 12, "firm_scale": 10}})
    plan = lf.plan_ladder(spec, history, None, None, need_gdp=False, workers=1, registers=registers)
    run = lf.simulate(plan)
    t = target("tech_smes", 2023, 1000.0)
    judged = lf.ladder_probabilities(run, [t])
    values = run.paths["tech_smes"][0, :, -1]
    certified = run.ensemble["tech_sme_incl_hte"].values[:, -1] - run.ensemble["tech_sme_registered"].values[:, -1]
    expected = float(np.median(values * (2000 - 800) / 2000 + certified))
    trend = _trend(t, expected, expected - 1, expected + 1)
    gaps = ladder_trend_gaps([trend], judged, run)
    if disagree(trend.result, judged[0].result):
        assert gaps[0].driver == "register" and gaps[0].register_median == expected
        assert "register assumption" in gap_line(gaps[0], ENGLISH)
    assert pd.notna(expected)


def test_an_rd_gap_can_be_put_down_to_the_fitted_rd_trend(history) -> None:  # noqa: F811
    spec = scenario(models={"trend": None, "ladder": {"runs": 40, "firm_scale": 10}})
    plan = lf.plan_ladder(spec, history, None, None, need_gdp=False, workers=1)
    run = lf.simulate(plan)
    trend = np.linspace(-0.1, 0.2, 40)  # synthetic per-run trends, far apart so they drive the R&D outcome
    start = replace(plan.start, rd_total=2.0 * float(np.median(run.ensemble["rd_spending"].values[:, 0])), gdp=100.0)
    gdp = lf.GdpDraws(run.years[1:], np.full((40, len(run.years) - 1), 100.0))
    total, _, _ = lf.rd_paths(run.ensemble["rd_spending"].values, run.years, start, gdp, trend)
    run.plan = replace(plan, rd_trend=trend, start=start)
    run.paths["rd_expenditure"] = total[None]
    t = target("rd_expenditure", 2023, 1.0)
    judged = lf.ladder_probabilities(run, [t])
    far = judged[0].result.high * 3
    gaps = ladder_trend_gaps([_trend(t, far, far * 0.9, far * 1.1)], judged, run)
    assert len(gaps) == 1 and gaps[0].driver == RD_TREND_FACTOR and gaps[0].rho > 0.5
