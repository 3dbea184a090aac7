"""The ladder model in the planner's commands (forecast.ladder.start, forecast.ladder.pipeline),
on SYNTHETIC data: start state, parameter draws, R&D arithmetic, seeds and common random numbers."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecast.inputs.tables import load_history
from forecast.inputs.targets import Target
from forecast.ladder import pipeline as lf
from forecast.ladder.start import StartState, start_state
from forecast.scenario import Scenario, ladder_problems
from forecast.trend.pipeline import PanelForecast
from models.diagnostics import Diagnostics
from models.ladder import LadderParams
from tests.conftest import HEADER, SYNTHETIC, write

UNITS = {"high_tech_enterprises": "firms", "tech_smes": "firms", "gdp": "100m_yuan", "rd_intensity": "percent"}
ROWS = [
    ("langfang", "high_tech_enterprises", 2019, 700),
    ("langfang", "high_tech_enterprises", 2020, 800),
    ("langfang", "high_tech_enterprises", 2021, 900),  # no tech_smes figure in 2021: not a start year
    ("langfang", "tech_smes", 2019, 1800),
    ("langfang", "tech_smes", 2020, 2000),
    ("langfang", "gdp", 2020, 3000),
    ("langfang", "rd_intensity", 2020, 2.0),
]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    body = "".join(f"{r},{i},{y},{v},{UNITS[i]},{SYNTHETIC},,main,\n" for r, i, y, v in ROWS)
    return load_history(write(tmp_path_factory.mktemp("ladder") / "h.csv", HEADER + body))


def scenario(**changes) -> Scenario:
    """A tiny synthetic ladder scenario (4 runs, 50 firms per agent)."""
    spec = {
        "name": "synthetic ladder",
        "region": "langfang",
        "horizon": 2023,
        "seed": 11,
        "targets": [
            {"indicator": "high_tech_enterprises", "comparator": "at_least", "target_year": 2023, "target_value": 1000}
        ],
        "models": {"trend": None, "ladder": {"runs": 4, "firm_scale": 50}},
        "uncertainties": {"pass_rate": {"low": 0.6, "high": 0.8}},
    }
    for key, value in changes.items():
        spec[key] = value
    return Scenario.model_validate(spec)


def target(indicator="high_tech_enterprises", year=2023, value=1000.0, **kw) -> Target:
    return Target(
        target_id=f"t-{indicator}-{year}",
        region="langfang",
        indicator=indicator,
        comparator=kw.pop("comparator", "at_least"),
        target_year=year,
        target_value=value,
        **kw,
    )


def simulate(spec: Scenario, history, **kw):
    plan = lf.plan_ladder(spec, history, None, None, need_gdp=False, workers=1)
    return lf.simulate(plan, **kw)


# --- start state ---------------------------------------------------------------------------------


def test_start_state_says_which_counts_are_observed_and_which_assumed(history):
    start = start_state(scenario(), history)
    assert start.year == 2020  # latest year with both counts (2021 has no tech_smes figure)
    assert start.counts == {"hte": 800, "tech_sme": 2000, "startup": round(2 * 0.2 * 2000)}
    assert start.sources["hte"].startswith("observed: high_tech_enterprises 2020")
    assert start.sources["tech_sme"].startswith("observed: tech_smes 2020")
    assert start.sources["startup"].startswith("assumed")
    # R&D 2020 is implied by 2% of GDP 3000
    assert start.rd_total == pytest.approx(60.0) and start.gdp == 3000


def test_scenario_counts_replace_figures_and_assumptions(history):
    spec = scenario(
        models={"trend": None, "ladder": {"runs": 4, "firm_scale": 50, "initial": {"tech_sme": 1500, "reserve": 30}}}
    )
    start = start_state(spec, history)
    assert start.counts["tech_sme"] == 1500 and start.counts["reserve"] == 30 and start.counts["startup"] == 600
    assert start.sources["tech_sme"].startswith("given in the scenario")


def test_ladder_problems_name_the_fix(history, monkeypatch):
    assert ladder_problems(scenario(), "s.yaml", history) == []
    late = scenario(models={"trend": None, "ladder": {"start_year": 2021}})
    [problem] = ladder_problems(late, "s.yaml", history)
    assert "no clean tech_smes figure for langfang in 2021" in str(problem) and "initial: {tech_sme: N}" in str(problem)
    assert (
        ladder_problems(
            scenario(models={"trend": None, "ladder": {"start_year": 2021, "initial": {"tech_sme": 10}}}), "s", history
        )
        == []
    )
    too_big = scenario(levers=[{"lever": "coaching", "size": 2.0}])
    assert "outside the allowed range 0 to 1 for coaching" in str(ladder_problems(too_big, "s", history)[0])
    overlap = scenario(
        levers=[
            {"lever": "coaching", "size": 0.5, "start": 2021, "end": 2023},
            {"lever": "coaching", "size": 0.2, "start": 2022},
        ]
    )
    assert "overlapping" in str(ladder_problems(overlap, "s", history)[0])
    outside = scenario(uncertainties={"pass_rate": {"low": -0.2, "high": 0.8}})
    assert "uncertainties.pass_rate.low" in str(ladder_problems(outside, "s", history)[0])
    posterior = scenario(models={"trend": None, "ladder": {"calibration": "posterior"}})
    no_stage_data = history[~history["indicator"].isin(["high_tech_enterprises", "tech_smes"])]
    assert any("use calibration: prior" in str(p) for p in ladder_problems(posterior, "s", no_stage_data))


# --- parameter draws -----------------------------------------------------------------------------


def test_each_parameter_has_its_own_stream():
    one = lf.uniform_draws({"pass_rate": (0.6, 0.8)}, 50, seed=3)
    two = lf.uniform_draws({"pass_rate": (0.6, 0.8), "exit_rate_hte": (0.01, 0.03)}, 50, seed=3)
    pd.testing.assert_series_equal(one["pass_rate"], two["pass_rate"])  # adding a parameter changes no other's draws
    assert one["pass_rate"].between(0.6, 0.8).all() and not np.allclose(
        two["exit_rate_hte"], two["exit_rate_hte"].iloc[0]
    )
    assert not lf.uniform_draws({"pass_rate": (0.6, 0.8)}, 50, seed=4)["pass_rate"].equals(one["pass_rate"])


def test_a_bound_left_out_comes_from_param_ranges():
    spec = scenario(uncertainties={"pass_rate": {"high": 0.8}, "exit_rate_hte": {}})
    assert lf.uncertainty_ranges(spec) == {"pass_rate": (0.5, 0.8), "exit_rate_hte": (0.005, 0.06)}


def test_posterior_draws_come_from_the_calibration_module(history, monkeypatch):
    calls = {}

    def posterior_for(region, history, regions, *, seed, cache, policies, reporter):
        calls["posterior_for"] = (region, seed, cache, policies)
        return SimpleNamespace(
            attrs={
                "base_params": json.dumps({"rd_ratio_mean": 0.02}),
                "calibration_version": "2",
                "data_sha256": "ab" * 32,
                "diagnostics": json.dumps({"status": "WARNING: 2 divergent transitions"}),
            }
        )

    def posterior_param_draws(idata, n, seed):
        calls["draws"] = (idata.attrs["base_params"], n, seed)
        return pd.DataFrame({"pass_rate": np.linspace(0.6, 0.9, n), "exit_rate_hte": 0.03})

    monkeypatch.setattr(lf.calibration, "posterior_for", posterior_for)
    monkeypatch.setattr(lf, "posterior_param_draws", posterior_param_draws)
    monkeypatch.setattr(lf, "figure_sd", lambda idata, n, seed: np.full((n, 3), 0.05))
    monkeypatch.setattr(lf.rd_trend, "trend_for", lambda *a, **k: None)  # no R&D figures after the start
    spec = scenario(
        models={
            "trend": None,
            "ladder": {"runs": 4, "firm_scale": 50, "calibration": "posterior", "calibration_seed": 5},
        },
        uncertainties={"pass_rate": {"low": 0.5, "high": 0.6}, "exit_rate_sme": {"low": 0.02, "high": 0.05}},
    )
    draws, notes, base, trend, noise = lf.parameter_draws(spec, history, None, 4, seed=11, cache=Path("somewhere"))
    assert noise.shape == (4, 3)
    assert calls["posterior_for"] == ("langfang", 5, Path("somewhere"), None) and calls["draws"][1:] == (4, 11)
    assert (
        base.rd_ratio_mean == 0.02 and base.pass_rate == LadderParams().pass_rate
    )  # the calibration's base, else defaults
    np.testing.assert_allclose(draws["pass_rate"], np.linspace(0.6, 0.9, 4))  # posterior wins over the scenario's range
    assert draws["exit_rate_sme"].between(0.02, 0.05).all()  # not calibrated: the scenario's range
    assert any("ignored" in n for n in notes) and any("exit_rate_sme" in n for n in notes)
    assert trend is None and any("trend 0" in n for n in notes)
    assert any(
        "calibration seed 5, version 2, data sha256 abababababab; convergence WARNING: 2 divergent" in n for n in notes
    )


# --- R&D -----------------------------------------------------------------------------------------


def test_rd_paths_worked_by_hand():
    start = StartState(2020, {}, {}, rd_total=20.0, gdp=1000.0)
    gdp = lf.GdpDraws(np.array([2021]), np.array([[1100.0], [1100.0]]))
    firm = np.array(
        [
            [10.0, 12.0],  # other R&D = 20 - 10 = 10, then 10 * 1.1 = 11; no rescaling of the firms
            [40.0, 44.0],  # firms above the total: other R&D 0, the firms' own level kept
        ]
    )
    total, intensity, note = lf.rd_paths(firm, np.array([2020, 2021]), start, gdp)
    np.testing.assert_allclose(total, [[20.0, 23.0], [40.0, 44.0]])
    np.testing.assert_allclose(intensity, [[2.0, 23.0 / 11.0], [4.0, 4.0]])
    assert "in 50% of runs the firms' R&D exceeds the total" in note
    # a trend of log(1.1) a year on the firms' R&D: 12 -> 13.2 in 2021, the other R&D as before
    trended, _, _ = lf.rd_paths(firm, np.array([2020, 2021]), start, gdp, np.log([1.1, 1.0]))
    np.testing.assert_allclose(trended, [[20.0, 13.2 + 11.0], [40.0, 44.0]])


def test_start_gdp_implied_is_added_only_where_the_data_have_none(history):
    start = StartState(2021, {}, {}, rd_total=68.75, gdp=3637.6)  # synthetic: langfang has GDP for 2020 only
    added, notes = lf.with_start_gdp(history, "langfang", start)
    rows = added[(added["region"] == "langfang") & (added["indicator"] == "gdp") & (added["year"] == 2021)]
    assert len(rows) == 1 and rows["value"].iloc[0] == pytest.approx(3637.6) and "implied" in notes[0]
    same, none = lf.with_start_gdp(added, "langfang", start)
    assert len(same) == len(added) and none == []
    kept, _ = lf.with_start_gdp(history, "langfang", StartState(2020, {}, {}, rd_total=60.0, gdp=1.0))
    assert len(kept) == len(history)


def test_gdp_draws_pair_runs_evenly_with_trend_draws(history, monkeypatch):
    paths = np.arange(2 * 10 * 2, dtype=float).reshape(2, 10, 2)  # (chain, draw, year): value = its flat index
    panel = PanelForecast(
        "gdp",
        None,
        2023,
        {"langfang": np.array([2022, 2023])},
        {"langfang": paths},
        {"langfang": Diagnostics(1.0, 1000.0, 1000.0, 0, 10, 2)},
        {"langfang": "trend"},
        {"langfang": []},
    )
    monkeypatch.setattr(lf, "forecast_indicator", lambda *a, **k: panel)
    gdp = lf.gdp_draws(scenario(), history, None, None, n=4, seed=1)
    flat = paths.reshape(-1, 2)
    np.testing.assert_array_equal(gdp.values, flat[[0, 5, 10, 15]])  # spread over both chains
    np.testing.assert_array_equal(gdp.years, [2022, 2023])


# --- simulations: seeds and common random numbers ------------------------------------------------


def test_trajectories_have_the_shape_probabilities_need(history):
    run = simulate(scenario(), history)
    assert list(run.years) == [2020, 2021, 2022, 2023]
    assert set(run.paths) == set(lf.INDICATOR_COLUMNS)  # no R&D without GDP draws
    assert run.paths["high_tech_enterprises"].shape == (1, 4, 4)
    assert (run.paths["high_tech_enterprises"][0, :, 0] == 800).all()  # the observed start
    [result] = lf.ladder_probabilities(run, [target()])
    p = result.met.mean()
    assert result.result.probability == p and result.result.mc_error == pytest.approx(np.sqrt(p * (1 - p) / 4))


def test_same_seed_same_numbers_other_seed_other_numbers(history):
    a, b = simulate(scenario(), history), simulate(scenario(), history)
    np.testing.assert_array_equal(a.paths["tech_smes"], b.paths["tech_smes"])
    c = simulate(scenario(seed=12), history)
    assert not np.array_equal(a.paths["tech_smes"], c.paths["tech_smes"])


def test_a_zero_size_lever_is_no_lever(history):
    """Common random numbers: a lever at its status quo consumes no randomness, so
    the runs, and the probability, are exactly those without it."""
    plain = simulate(scenario(), history)
    zero = simulate(scenario(levers=[{"lever": "certification_reward", "size": 0, "start": 2021}]), history)
    np.testing.assert_array_equal(plain.paths["high_tech_enterprises"], zero.paths["high_tech_enterprises"])
    assert lf.ladder_probabilities(plain, [target()])[0].result == lf.ladder_probabilities(zero, [target()])[0].result


def test_levers_and_fixed_parameters_reach_the_runs(history):
    spec = scenario()
    plan = lf.plan_ladder(spec, history, None, None, need_gdp=False, workers=1)
    base = lf.simulate(plan)
    rich = lf.simulate(plan, levers=lf.with_lever(plan.levers, "certification_reward", 500, (2021, None)))
    # a 5-million-yuan reward lifts applications from 6% to about 33% a year: more certified firms in every paired run
    assert (rich.paths["high_tech_enterprises"][0, :, -1] >= base.paths["high_tech_enterprises"][0, :, -1]).all()
    assert rich.paths["high_tech_enterprises"][0, :, -1].mean() > base.paths["high_tech_enterprises"][0, :, -1].mean()
    fixed = lf.simulate(plan, fixed={"pass_rate": 0.9})
    assert (fixed.ensemble["param_pass_rate"].values == 0.9).all()
    assert (base.ensemble["param_pass_rate"].values != 0.9).all()
    assert (fixed.ensemble["param_application_rate"].values == LadderParams().application_rate).all()


def test_targets_the_ladder_cannot_judge_say_why(history):
    run = simulate(scenario(), history)
    reasons = [
        r.reason
        for r in lf.ladder_probabilities(
            run,
            [
                target("gdp", value=1.0),
                target(year=2020),
                target("rd_intensity", value=2.5),
                target("tech_smes", comparator="growth_rate_per_year", base_year=2019, value=1.0),
            ],
        )
    ]
    assert "does not model gdp" in reasons[0]
    assert "not after the ladder's start year 2020" in reasons[1]
    assert "no R&D and GDP figures" in reasons[2]
    assert "starts in 2020, after the base year 2019" in reasons[3]


def test_paired_difference_worked_by_hand():
    a = np.array([True, False, False, True])
    b = np.array([True, True, False, True])
    diff, se = lf.paired_difference(a, b)
    assert diff == 0.25 and se == pytest.approx(np.std([0, 1, 0, 0], ddof=1) / 2)


def test_the_engine_comes_from_the_scenario_unless_overridden(history):
    mesa = scenario(models={"trend": None, "ladder": {"runs": 2, "firm_scale": 50, "engine": "mesa"}})
    assert simulate(mesa, history).ensemble.attrs["engine"] == "mesa"
    assert simulate(scenario(), history).ensemble.attrs["engine"] == "array"
    plan = lf.plan_ladder(mesa, history, None, None, need_gdp=False, workers=1, engine="array")
    assert plan.engine == "array" and lf.simulate(plan).ensemble.attrs["engine"] == "array"


def test_calibrated_paths_are_read_as_figures_with_each_runs_noise():
    # synthetic counts: every run 1,000 firms each year; half the runs with no noise
    indicators = ("high_tech_enterprises", "high_tech_certifications", "tech_smes")
    paths = {i: np.full((1, 4000, 4), 1000.0) for i in indicators}
    sd = np.tile([0.05, 0.1, 0.2], (4000, 1))
    sd[:2000] = 0.0
    out = lf.as_figures(paths, sd, seed=3)
    for i, indicator in enumerate(indicators):
        logs = np.log(out[indicator][0] / 1000.0)
        assert np.all(logs[:, 0] == 0.0)  # the start year is the published figure
        assert np.all(logs[:2000] == 0.0)  # a run's own sd
        np.testing.assert_allclose(logs[2000:, 1:].std(), sd[-1, i], rtol=0.05)
    again = lf.as_figures(paths, sd, seed=3)
    assert all(np.array_equal(out[i], again[i]) for i in indicators)  # the same z in every scenario of a seed
    assert not np.array_equal(out["tech_smes"], lf.as_figures(paths, sd, seed=4)["tech_smes"])
    assert "median log-sd" in lf.figure_note(sd)


def test_an_ensemble_stopped_at_a_target_year_keeps_every_number_up_to_it(history):
    """explain stops its ensembles at the target's year (`LadderPlan.stop_year`): each year up to it, the figure
    noise included, is what the whole horizon gives, so P(met) is unchanged."""
    from dataclasses import replace

    from forecast.ladder.explain import through_target

    plan = lf.plan_ladder(scenario(), history, None, None, need_gdp=False, workers=1)
    noisy = replace(plan, figure_sd=np.tile([0.05, 0.1, 0.2], (plan.runs, 1)))
    soon = target(year=2021, value=900.0)
    stopped = through_target(noisy, soon)
    assert (stopped.stop_year, stopped.last_year, stopped.end_year) == (2021, 2021, 2023)
    assert through_target(noisy, target(year=2023)) is noisy  # the horizon's year: nothing to stop
    whole, short = lf.simulate(noisy), lf.simulate(stopped)
    assert short.years.tolist() == [2020, 2021] and whole.years.tolist() == [2020, 2021, 2022, 2023]
    for indicator, path in short.paths.items():
        np.testing.assert_array_equal(path, whole.paths[indicator][..., :2], err_msg=indicator)
    a, b = (lf.ladder_probabilities(run, [soon])[0] for run in (whole, short))
    assert a.result.probability == b.result.probability and np.array_equal(a.met, b.met)
