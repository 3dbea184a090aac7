"""Ensembles, Monte Carlo probabilities and lever directions (models.ladder.run)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from models.ladder import LadderModel, LadderParams, LeverSetting, monte_carlo_probability, run_ensemble, run_ladder
from models.ladder.model import COLUMNS
from models.ladder.params import PARAM_RANGES

KW = dict(stage_counts={"hte": 30, "tech_sme": 120}, start_year=2020, end_year=2024)


@pytest.fixture(scope="module")
def ensemble() -> xr.Dataset:
    return run_ensemble(n_runs=4, seed=2024, **KW)


def test_ensemble_shape_and_variables(ensemble):
    assert dict(ensemble.sizes) == {"run": 4, "year": 5}
    assert list(ensemble["year"].values) == [2020, 2021, 2022, 2023, 2024]
    assert set(COLUMNS) - {"year"} <= set(ensemble.data_vars)
    assert {f"param_{name}" for name in PARAM_RANGES} <= set(ensemble.data_vars)
    assert ensemble["rd_spending"].attrs["units"] == "100 million yuan per year"
    assert ensemble.attrs["seed"] == "2024"
    # the start year is the same observed state in every run
    assert (ensemble["hte_certified"].sel(year=2020) == 30).all()


def test_ensemble_runs_are_child_seeds(ensemble):
    children = np.random.SeedSequence(2024).spawn(4)
    second = run_ladder(**KW, seed=children[1], engine="array")
    np.testing.assert_array_equal(ensemble["hte_certified"].sel(run=1).values, second["hte_certified"].values)
    assert not np.array_equal(ensemble["hte_certified"].sel(run=0).values, ensemble["hte_certified"].sel(run=1).values)


def test_ensemble_is_reproducible(ensemble):
    again = run_ensemble(n_runs=4, seed=2024, **KW)
    xr.testing.assert_identical(ensemble, again)


def test_param_draws_drive_the_runs():
    draws = pd.DataFrame({"pass_rate": [0.55, 0.9], "exit_rate_hte": [0.01, 0.05]})
    ds = run_ensemble(n_runs=2, seed=1, param_draws=draws, **KW)
    np.testing.assert_allclose(ds["param_pass_rate"].values, [0.55, 0.9])
    assert ds["param_application_rate"].values.tolist() == [LadderParams().application_rate] * 2
    as_list = run_ensemble(
        n_runs=2,
        seed=1,
        param_draws=[LadderParams(pass_rate=0.55, exit_rate_hte=0.01), LadderParams(pass_rate=0.9, exit_rate_hte=0.05)],
        **KW,
    )
    xr.testing.assert_identical(ds, as_list)


def test_param_draws_are_checked():
    with pytest.raises(ValueError, match="expected n_runs"):
        run_ensemble(n_runs=3, seed=1, param_draws=[LadderParams()], **KW)
    with pytest.raises(ValueError, match="did you mean 'pass_rate'"):
        run_ensemble(n_runs=1, seed=1, param_draws=pd.DataFrame({"pass_rat": [0.5]}), **KW)


def test_monte_carlo_probability():
    p, se = monte_carlo_probability(np.array([True, False, True, True]))
    assert p == 0.75
    assert se == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    assert monte_carlo_probability(np.ones(10, dtype=bool)) == (1.0, 0.0)
    with pytest.raises(TypeError):
        monte_carlo_probability(np.array([1, 0]))


def test_certification_reward_raises_certified_firms_on_average():
    """A 3-million-yuan reward (size 300) multiplies the application odds of a firm with no
    tax saving by (1 + 300/10) ** 0.5 ~ 5.6 with the default weight; over 8 runs the mean
    certified count in 2024 must rise by more than 10%."""
    levers = (LeverSetting("certification_reward", 300.0, 2021, 2024),)
    base = run_ensemble(n_runs=8, seed=77, **KW)["hte_certified"].sel(year=2024).mean()
    reward = run_ensemble(n_runs=8, seed=77, levers=levers, **KW)["hte_certified"].sel(year=2024)
    assert float(reward.mean()) > 1.1 * float(base)


def test_coaching_and_specialists_move_the_right_way():
    """Coaching every reserve applicant with efficacy 0.9 must raise certifications;
    a specialist for every certified firm must cut certificate losses."""
    params = LadderParams(coaching_efficacy=0.9, specialist_efficacy=0.8, reserve_intake_rate=0.2)
    kw = KW | {"params": params}
    levers = (LeverSetting("coaching", 1.0), LeverSetting("service_specialists", 1.0))
    base = run_ensemble(n_runs=16, seed=5, **kw)
    policy = run_ensemble(n_runs=16, seed=5, levers=levers, **kw)
    # Losses per certified firm-year: coaching adds certified firms, who can then lapse.
    rate = lambda ds: float(ds["cert_losses"].sum()) / float(ds["hte_certified"].shift(year=1).sum())  # noqa: E731
    assert rate(policy) < 0.9 * rate(base)
    assert float(policy["hte_certified"].sel(year=2024).mean()) > float(base["hte_certified"].sel(year=2024).mean())


def test_super_deduction_raises_every_firms_rd():
    """Same firms, same year, two policies: a 200% extra deduction for all firms lowers the
    user cost of R&D for every profitable firm, so no firm spends less and some spend more
    (loss-making firms have no tax to save and stay put)."""
    model = LadderModel(stage_counts=KW["stage_counts"], start_year=2021, rng=3)
    firms = list(model.agents)
    before = np.array([f.rd_spend for f in firms])
    model.policy = model.policy | dict.fromkeys(
        ("rd_super_deduction", "rd_super_deduction_manufacturing", "rd_super_deduction_tech_sme"), 2.0
    )
    for f in firms:
        f.choose_rd()
    after = np.array([f.rd_spend for f in firms])
    profitable = np.array([f.profit > 0 for f in firms])
    assert (after >= before - 1e-12).all()
    assert (after[profitable] > before[profitable]).mean() > 0.5
    np.testing.assert_allclose(after[~profitable], before[~profitable])


def test_workers_do_not_change_the_numbers(ensemble):
    parallel = run_ensemble(n_runs=4, seed=2024, workers=2, **KW)
    xr.testing.assert_identical(ensemble, parallel)
