"""Ladder invariants and reproducibility (models.ladder.model, agents, run_ladder).

Populations are tiny (50-300 firms) and runs short (<= 6 years).
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.ladder import LadderModel, LadderParams, LeverSetting, run_ladder
from models.ladder.levers import LEVERS
from models.ladder.model import STAGE_COLUMNS
from models.ladder.params import PARAM_RANGES
from models.ladder.rules import ALLOWED_TRANSITIONS, CERTIFIED_STAGES

SMALL = {"hte": 40, "tech_sme": 150, "reserve": 10}
RUN = dict(stage_counts=SMALL, start_year=2020, end_year=2025)


def check_table(df: pd.DataFrame) -> None:
    """Invariants every result table satisfies."""
    stocks = df[["n_firms", *STAGE_COLUMNS]]
    assert (stocks >= 0).all().all()
    assert (df[list(STAGE_COLUMNS)].sum(axis=1) == df["n_firms"]).all()
    assert (df["hte_certified"] == df["hte"] + df["gazelle"] + df["leading"]).all()
    flows = df.iloc[1:]
    assert (flows.drop(columns=["rd_spending", "rd_spending_certified"]) >= 0).all().all()
    # firms are conserved: entries - exits = change in the number of firms, every year
    change = df["n_firms"].diff().iloc[1:]
    assert (change == flows["entries"] - flows["exits"]).all()
    # the start year is the observed state: flows unknown there
    assert df.iloc[0][["entries", "exits", "new_certifications"]].isna().all()


def check_model_step(model: LadderModel) -> None:
    """Invariants checked on the agents after each step."""
    year = model.year
    for firm in model.agents:
        if firm.stage in CERTIFIED_STAGES:
            # valid certificate: issued in year - 2 .. year, so an expired, unrenewed one is gone
            assert firm.cert_year is not None and 0 <= year - firm.cert_year <= 2
        else:
            assert firm.cert_year is None
    moves = model.transitions[-1]
    assert set(moves) <= ALLOWED_TRANSITIONS, set(moves) - ALLOWED_TRANSITIONS
    exits = sum(n for (_, b), n in moves.items() if b is None)
    entries = sum(n for (a, _), n in moves.items() if a is None)
    assert exits * model.firm_scale == model.summary["exits"]
    assert entries * model.firm_scale == model.summary["entries"]


@st.composite
def param_sets(draw):
    """Parameters anywhere in their plausible ranges."""
    values = {f.name: draw(st.floats(*PARAM_RANGES[f.name], allow_nan=False)) for f in fields(LadderParams)}
    return LadderParams(**values)


@st.composite
def lever_sets(draw):
    names = draw(st.lists(st.sampled_from(sorted(LEVERS)), max_size=4, unique=True))
    settings_ = []
    for name in names:
        low, high = LEVERS[name].bounds
        size = draw(st.floats(low, min(high, 200.0), allow_nan=False))
        start = draw(st.integers(2019, 2023))
        settings_.append(LeverSetting(name, size, start, start + draw(st.integers(0, 3))))
    return tuple(settings_)


@settings(max_examples=12, deadline=None)
@given(
    counts=st.fixed_dictionaries(
        {
            "hte": st.integers(0, 40),
            "tech_sme": st.integers(0, 150),
            "reserve": st.integers(0, 10),
            "startup": st.integers(0, 20),
            "gazelle": st.integers(0, 3),
            "outside": st.integers(0, 20),
        }
    ),
    params=param_sets(),
    levers=lever_sets(),
    seed=st.integers(0, 2**32 - 1),
)
def test_ladder_invariants(counts, params, levers, seed):
    model = LadderModel(stage_counts=counts, start_year=2020, params=params, levers=levers, rng=seed)
    assert model.summary["n_firms"] == sum(counts.values())
    for _ in range(5):
        model.step()
        check_model_step(model)
    check_table(model.results())


def test_expired_certificates_lapse_when_nobody_renews():
    """With no re-applications, entries or exits, each certificate cohort is lost in
    the year cert_year + 3, and by start + 3 no initial firm is certified."""
    params = replace(
        LadderParams(),
        recert_apply_rate=0.0,
        application_rate=0.0,
        move_in_rate=0.0,
        startup_entry_rate=0.0,
        exit_rate_hte=0.0,
        move_out_rate=0.0,
        exit_rate_sme=0.0,
        exit_rate_outside=0.0,
    )
    model = LadderModel(stage_counts={"hte": 90}, start_year=2020, params=params, rng=3)
    cohorts = pd.Series([f.cert_year for f in model.agents]).value_counts()
    certified = [model.summary["hte_certified"]]
    for _ in range(3):
        model.step()
        certified.append(model.summary["hte_certified"])
    assert certified == [90, 90 - cohorts[2018], 90 - cohorts[2018] - cohorts[2019], 0]
    assert model.summary["cert_lapsed"] == cohorts[2020]


def test_same_seed_same_table_and_different_seed_differs():
    a = run_ladder(**RUN, seed=11)
    b = run_ladder(**RUN, seed=11)
    c = run_ladder(**RUN, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    check_table(a)


def test_table_layout():
    df = run_ladder(**RUN, seed=1)
    assert list(df.index) == list(range(2020, 2026))
    assert df.index.name == "year"
    first = df.loc[2020]
    assert (first["hte"], first["tech_sme"], first["reserve"]) == (40, 150, 10)


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_lever_at_status_quo_changes_nothing(name):
    spec = LEVERS[name]
    # one setting per year, each at that year's status quo (schedules change size over the years)
    levers = [LeverSetting(name, spec.status_quo_at(y), y, y) for y in range(2020, 2026)]
    pd.testing.assert_frame_equal(run_ladder(**RUN, seed=5), run_ladder(**RUN, seed=5, levers=levers))


def test_lever_away_from_status_quo_changes_something():
    """Guards the test above: the same comparison does detect a lever that acts."""
    levers = [LeverSetting("certification_reward", 200.0, 2021, 2025)]
    assert not run_ladder(**RUN, seed=5).equals(run_ladder(**RUN, seed=5, levers=levers))


def test_firm_scale_gives_counts_of_the_same_order():
    counts = {"hte": 200, "tech_sme": 1000}
    kw = dict(stage_counts=counts, start_year=2020, end_year=2024)
    fine = np.mean([run_ladder(**kw, seed=s)["hte_certified"].iloc[-1] for s in range(3)])
    coarse_runs = [run_ladder(**kw, seed=s, firm_scale=10) for s in range(3)]
    coarse = np.mean([r["hte_certified"].iloc[-1] for r in coarse_runs])
    assert 0.67 < coarse / fine < 1.5
    for r in coarse_runs:
        assert (r[["n_firms", *STAGE_COLUMNS]] % 10 == 0).all().all()  # every agent stands for 10 firms
        check_table(r)


def test_firm_scale_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="firm_scale"):
        LadderModel(stage_counts=SMALL, start_year=2020, firm_scale=0, rng=1)


def test_every_column_has_a_unit_and_a_meaning():
    from models.ladder.model import COLUMN_MEANINGS, COLUMN_UNITS, COLUMNS

    assert set(COLUMNS) == set(COLUMN_UNITS) == set(COLUMN_MEANINGS)
    assert list(run_ladder(**RUN, seed=1).columns) == [c for c in COLUMNS if c != "year"]


@pytest.mark.slow
def test_langfang_sized_run_keeps_the_invariants():
    """Langfang 2020 (plan 003): 905 certified firms, 8,796 tech SMEs, at firm_scale 10."""
    model = LadderModel(stage_counts={"hte": 905, "tech_sme": 8796}, start_year=2020, firm_scale=10, rng=2020)
    for _ in range(5):
        model.step()
        check_model_step(model)
    df = model.results()
    check_table(df)
    assert df.loc[2020, "hte_certified"] == 900 and df.loc[2020, "tech_sme"] == 8800  # rounded to agents of 10
