"""Initial population (models.ladder.population)."""

from __future__ import annotations

import numpy as np
import pytest

from models.ladder import rules
from models.ladder.params import LadderParams
from models.ladder.population import ATTRIBUTES, build_population
from models.ladder.rules import Stage

COUNTS = {"hte": 40, "tech_sme": 120, "reserve": 10, "startup": 15, "gazelle": 3, "leading": 2}


@pytest.fixture(scope="module")
def pop():
    return build_population(COUNTS, 2020, LadderParams(), np.random.default_rng(7))


def test_counts_and_keys(pop):
    assert set(pop) == set(ATTRIBUTES)
    stage = pop["stage"]
    for name, n in COUNTS.items():
        assert (stage == Stage[name.upper()]).sum() == n
    assert all(len(v) == sum(COUNTS.values()) for v in pop.values())


def test_certified_firms_are_lawful(pop):
    cert = np.isin(pop["stage"], [int(s) for s in rules.CERTIFIED_STAGES])
    assert rules.is_hte_eligible(pop["age"], pop["rd_spend"], pop["revenue"], pop["tech_staff_share"],
                                 pop["ip_count"], pop["high_tech_revenue_share"])[cert].all()
    # certificates issued over the last three years, none expired
    assert set(pop["cert_year"][cert]) <= {2018.0, 2019.0, 2020.0}
    assert np.isnan(pop["cert_year"][~cert]).all()
    leading = pop["stage"] == Stage.LEADING
    assert (pop["revenue"][leading] >= rules.LEADING_MIN_REVENUE).all()


def test_registered_firms_pass_the_registry_rule(pop):
    reg = np.isin(pop["stage"], [int(s) for s in rules.REGISTRY_STAGES])
    score = rules.sme_score(pop["tech_staff_share"], pop["rd_spend"] / pop["revenue"], pop["ip_count"])
    ok = rules.is_sme_eligible(pop["staff"], pop["revenue"], pop["assets"], score, 60.0, pop["tech_staff_share"])
    assert ok[reg].all()


def test_startups_are_new(pop):
    startup = pop["stage"] == Stage.STARTUP
    assert (pop["age"][startup] == 0).all()
    # no revenue history before birth: only the current year is known
    assert np.isnan(pop["revenue_history"][startup, :-1]).all()


def test_unknown_stage_hints():
    with pytest.raises(ValueError, match="did you mean 'tech_sme'"):
        build_population({"tech_smes": 5}, 2020, LadderParams(), np.random.default_rng(0))


def test_empty_population():
    pop = build_population({}, 2020, LadderParams(), np.random.default_rng(0))
    assert all(len(v) == 0 for v in pop.values())
