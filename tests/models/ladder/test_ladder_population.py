"""Initial population (models.ladder.population)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.ladder import census, kernel, records, rules
from models.ladder.levers import active_levers
from models.ladder.params import PARAM_RANGES, LadderParams
from models.ladder.population import ATTRIBUTES, as_arrays, build_population, draw_states, hte_tests_of, lawful
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
    rd3, score = hte_tests_of(pop)
    assert rules.is_hte_eligible(
        pop["age"],
        rd3,
        pop["revenue"],
        pop["tech_staff_share"],
        rules.core_ip(pop["ip_class1"], pop["ip_class2"]),
        pop["high_tech_revenue_share"],
        score,
    )[cert].all()
    # certificates issued over the last three years, none expired
    assert set(pop["cert_year"][cert]) <= {2018.0, 2019.0, 2020.0}
    assert np.isnan(pop["cert_year"][~cert]).all()
    leading = pop["stage"] == Stage.LEADING
    assert (pop["revenue"][leading] >= rules.LEADING_MIN_REVENUE).all()


def test_certified_firms_still_meet_the_criteria_once_rd_is_rederived():
    """The start R&D is re-derived from the propensity under the start year's policy (the engine's set-up):
    the certified firms' propensity was drawn for it, so every one of them still meets every criterion."""
    params = LadderParams()
    state = records.new_state(build_population({"hte": 2_000}, 2020, params, np.random.default_rng(5)))
    kernel.choose_rd_all(state, params, active_levers((), 2020))
    assert (census.criteria(state) == kernel.ALL_CRITERIA).all()


def test_certificate_ages_follow_the_given_shares():
    pop = build_population({"hte": 6_000}, 2020, LadderParams(), np.random.default_rng(2), cert_ages=(0.5, 0.3, 0.2))
    shares = [np.mean(pop["cert_year"] == 2020 - a) for a in range(3)]
    np.testing.assert_allclose(shares, [0.5, 0.3, 0.2], atol=0.025)
    with pytest.raises(ValueError, match="cert_ages"):
        build_population({"hte": 5}, 2020, LadderParams(), np.random.default_rng(2), cert_ages=(0.5, 0.5))


def test_registered_firms_pass_the_registry_rule(pop):
    reg = np.isin(pop["stage"], [int(s) for s in rules.REGISTRY_STAGES])
    score = rules.sme_score(pop["tech_staff_share"], pop["rd_spend"] / pop["revenue"], pop["ip_count"])
    ok = rules.is_sme_eligible(pop["staff"], pop["revenue"], pop["assets"], score, 60.0, pop["tech_staff_share"])
    assert ok[reg].all()


def test_startups_at_the_start_are_the_last_two_cohorts_and_entrants_newborn():
    start = build_population(COUNTS, 2020, LadderParams(), np.random.default_rng(7), start=True)
    startup = start["stage"] == Stage.STARTUP
    ages = start["age"][startup]
    assert set(np.unique(ages)) == {0, 1}  # STARTUP_COHORTS yearly cohorts
    many = build_population({"startup": 4000}, 2020, LadderParams(), np.random.default_rng(3), start=True)["age"]
    assert 0.46 < many.mean() < 0.54  # in equal shares (binomial sd 0.008)
    entrants = build_population({"startup": 500}, 2021, LadderParams(), np.random.default_rng(3))
    assert (entrants["age"] == 0).all()  # a year's entrants are newborn
    history = start["revenue_history"][startup]
    known = (~np.isnan(history)).sum(axis=1)
    np.testing.assert_array_equal(known, ages + 1)  # no revenue history before birth
    assert not np.isnan(history[:, -1]).any()


def test_unknown_stage_hints():
    with pytest.raises(ValueError, match="did you mean 'tech_sme'"):
        build_population({"tech_smes": 5}, 2020, LadderParams(), np.random.default_rng(0))


def test_empty_population():
    pop = build_population({}, 2020, LadderParams(), np.random.default_rng(0))
    assert all(len(v) == 0 for v in pop.values())


# --- registry firms drawn conditioned on passing (regression: rejection sampling failed) ---

HARD = LadderParams(sme_pass_mark=70.0, rd_ratio_mean=0.015, rd_ratio_sd=0.2)
"""High pass mark, low and tight R&D: edge of PARAM_RANGES where rejection on R&D failed
("could not draw 149 lawful TECH_SME firms", found by hypothesis)."""


def _registry_ok(pop, pass_mark):
    score = rules.sme_score(pop["tech_staff_share"], pop["rd_spend"] / pop["revenue"], pop["ip_count"])
    return rules.is_sme_eligible(pop["staff"], pop["revenue"], pop["assets"], score, pass_mark, pop["tech_staff_share"])


def test_registry_firms_are_drawn_at_a_high_pass_mark_and_low_rd():
    pop = build_population({"tech_sme": 149, "reserve": 20}, 2020, HARD, np.random.default_rng(3))
    assert (pop["stage"] == Stage.TECH_SME).sum() == 149
    assert _registry_ok(pop, 70.0).all()


def test_unreachable_pass_mark_says_so():
    with pytest.raises(RuntimeError, match="sme_pass_mark = 101"):
        build_population({"tech_sme": 5}, 2020, LadderParams(sme_pass_mark=101.0), np.random.default_rng(0))


@pytest.mark.parametrize("stage", ["tech_sme", "reserve"])
def test_conditional_draw_matches_plain_rejection(stage):
    """Where plain rejection works, the conditional sampler draws the same distribution:
    compare with a brute-force reference (draw unconditionally, keep lawful firms)."""
    params = LadderParams(sme_pass_mark=65.0, rd_ratio_mean=0.03, rd_ratio_sd=0.5)
    raw, _ = draw_states([{stage: 200_000}], 2020, [params], [np.random.default_rng(11)], conditioned=False)
    ref = as_arrays(raw[lawful(raw, params)])
    new = build_population({stage: 4_000}, 2020, params, np.random.default_rng(12))
    for key in ("rd_propensity", "tech_staff_share", "revenue"):
        a, b = np.log(ref[key]), np.log(new[key])
        # standard error of a mean of 4,000 draws is sd/63; allow 4 of them
        assert abs(a.mean() - b.mean()) < 4 * a.std() / np.sqrt(b.size), key
    assert abs(ref["ip_count"].mean() - new["ip_count"].mean()) < 4 * ref["ip_count"].std() / np.sqrt(4_000)


@pytest.mark.parametrize("stage", ["tech_sme", "reserve", "hte"])
def test_exact_draw_matches_plain_rejection_by_two_sample_tests(stage):
    """The registry's exact draw (staff band accepted with its weight, IP level from its conditional
    distribution) and the certified firms' early rejection give plain rejection's distribution: two-sample
    Kolmogorov-Smirnov tests on the attributes the rules read and a chi-square test on the IP counts, at the
    default rates, 20,000 firms against every lawful firm of 300,000 unconditioned candidates."""
    stats = pytest.importorskip("scipy.stats")
    params = LadderParams()
    raw, _ = draw_states([{stage: 300_000}], 2020, [params], [np.random.default_rng(21)], conditioned=False)
    ref = as_arrays(raw[lawful(raw, params)])
    new = build_population({stage: 20_000}, 2020, params, np.random.default_rng(22))
    for key in ("tech_staff_share", "high_tech_revenue_share", "revenue", "rd_propensity", "tech_level"):
        assert stats.ks_2samp(ref[key], new[key]).pvalue > 1e-3, key
    for key in ("ip_count", "ip_class1"):
        levels = np.minimum(np.concatenate([ref[key], new[key]]), 6)
        table = [np.bincount(levels[: ref[key].size], minlength=7), np.bincount(levels[ref[key].size :], minlength=7)]
        table = np.array(table)[:, np.array(table).sum(axis=0) > 0]
        assert stats.chi2_contingency(table).pvalue > 1e-3, key


@pytest.mark.parametrize("stage", ["startup", "outside", "leading"])
def test_cheaper_samplers_draw_the_stated_distributions(stage):
    """The entrants' cheaper exact samplers (speed7) against numpy's own samplers of the module docstring's
    distributions, which the draw called before: Beta(3, 7) and Beta(4, 2) as sums of exponentials, the two
    Poisson IP classes as a Poisson total (table) split binomially, the capability parts' Gamma(2) as two
    exponentials (the shared gamma part kept: tech_level, organisation and their difference compared), and the
    backcast drawing no growth for the years before birth. Two-sample tests, 40,000 unconditioned firms a side."""
    stats = pytest.importorskip("scipy.stats")
    from models.ladder.population import PROFILE

    n, params, rng = 40_000, LadderParams(), np.random.default_rng(31)
    drawn, _ = draw_states([{stage: n}], 2020, [params], [np.random.default_rng(32)], start=True, conditioned=False)
    new = as_arrays(drawn)
    shared = rng.gamma(0.7 * 7.0, 1.0, n)
    own = [shared + rng.gamma(0.3 * 7.0, 1.0, n) for _ in range(2)]
    mean_ip = PROFILE[int(Stage[stage.upper()]), 2]
    ref = {
        "tech_staff_share": rng.beta(3.0, 7.0, n),
        "high_tech_revenue_share": rng.beta(4.0, 2.0, n),
        "tech_level": own[0] / (own[0] + rng.gamma(2.0, 1.0, n)),
        "organisation": 20.0 * own[1] / (own[1] + rng.gamma(2.0, 1.0, n)),
        "ip_class1": rng.poisson(mean_ip * params.ip_class1_share, n),
        "ip_class2": rng.poisson(mean_ip * (1.0 - params.ip_class1_share), n),
    }
    ref["difference"] = ref["tech_level"] - ref["organisation"] / 20.0
    new["difference"] = new["tech_level"] - new["organisation"] / 20.0
    for key in ("tech_staff_share", "high_tech_revenue_share", "tech_level", "organisation", "difference"):
        assert stats.ks_2samp(ref[key], new[key]).pvalue > 1e-3, key
    for key in ("ip_class1", "ip_class2"):
        top = max(3, int(np.quantile(ref[key], 0.99)))
        levels = np.minimum(np.concatenate([ref[key], new[key]]), top)
        table = np.array([np.bincount(levels[:n], minlength=top + 1), np.bincount(levels[n:], minlength=top + 1)])
        assert stats.chi2_contingency(table[:, table.sum(axis=0) > 0]).pvalue > 1e-3, key
    history = new["revenue_history"]
    for years_back in range(1, 4):  # known before birth: none; after it, a growth process of the stated spread
        born = new["age"] >= years_back
        assert np.isnan(history[~born, -1 - years_back]).all()
        assert not np.isnan(history[born, -1 - years_back]).any()
    step = np.log(history[:, -1] / history[:, -2])[new["age"] >= 1]
    spread = np.sqrt(params.revenue_growth_sd**2 + params.revenue_growth_firm_sd**2)
    growth = rng.normal(params.revenue_growth_mean, spread, step.size)
    assert stats.ks_2samp(growth, step).pvalue > 1e-3


def test_ip_table_is_the_poisson_cdf():
    stats = pytest.importorskip("scipy.stats")
    from models.ladder.population import IP_CDF, PROFILE

    for row, mean_ip in zip(IP_CDF, PROFILE[:, 2], strict=True):
        np.testing.assert_allclose(row, stats.poisson.cdf(np.arange(row.size), mean_ip), rtol=1e-12, atol=1e-15)


def test_age_table_is_the_poisson_cdf():
    """Ages come from a table by the inverse CDF: each stage's row is Poisson(mean age - 1)'s CDF."""
    stats = pytest.importorskip("scipy.stats")
    from models.ladder.population import AGE_CDF, PROFILE

    for row, mean_age in zip(AGE_CDF, PROFILE[:, 3], strict=True):
        expected = stats.poisson.cdf(np.arange(row.size), mean_age - 1) if mean_age > 1 else np.ones(row.size)
        np.testing.assert_allclose(row, expected, rtol=1e-12, atol=1e-15)


CORNERS = [
    dict(zip(("sme_pass_mark", "rd_ratio_mean", "rd_ratio_sd", "rd_bunching_gap"), values, strict=True))
    for values in itertools.product(
        *[PARAM_RANGES[k] for k in ("sme_pass_mark", "rd_ratio_mean", "rd_ratio_sd", "rd_bunching_gap")]
    )
]


@pytest.mark.parametrize("corner", CORNERS, ids=[",".join(f"{v:g}" for v in c.values()) for c in CORNERS])
def test_registry_firms_can_be_drawn_at_every_corner_of_the_ranges(corner):
    params = LadderParams(**corner)
    pop = build_population({"tech_sme": 149, "reserve": 20}, 2020, params, np.random.default_rng(1))
    assert len(pop["stage"]) == 169 and _registry_ok(pop, params.sme_pass_mark).all()


def test_a_drawn_population_depends_on_the_draw_params_only():
    """`population.DRAW_PARAMS` names every rate the draw's source reads, and changing any other rate leaves
    a drawn start (records and the generator's state after it) as it was: the engine keys kept starts on them."""
    import dataclasses
    import inspect
    import re

    from models.ladder import population

    read = set(re.findall(r"\bp\.([a-z_0-9]+)\b", inspect.getsource(population)))
    assert read == set(population.DRAW_PARAMS)
    counts = {"hte": 30, "tech_sme": 200, "startup": 80}
    rng = np.random.default_rng(5)
    base, base_rng = draw_states([counts], 2020, [LadderParams()], [rng], start=True)[0], rng.bit_generator.state
    for f in dataclasses.fields(LadderParams):
        if f.name in population.DRAW_PARAMS:
            continue
        value = getattr(LadderParams(), f.name)
        other = dataclasses.replace(LadderParams(), **{f.name: 0.9 * value if value else 0.01})
        rng = np.random.default_rng(5)
        state = draw_states([counts], 2020, [other], [rng], start=True)[0]
        assert state.tobytes() == base.tobytes() and rng.bit_generator.state == base_rng, f.name
