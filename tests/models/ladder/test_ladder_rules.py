"""Statutory rules (models.ladder.rules) against hand-worked cases.

Units: revenue and money in 10k yuan, so 50 million yuan = 5,000 and
200 million yuan = 20,000.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.ladder import rules
from models.ladder.rules import ALLOWED_TRANSITIONS, CERTIFIED_STAGES, Stage

# An eligible reference firm: 3 years old, 30 million yuan revenue, 5% R&D over three years, 20% tech
# staff, one core IP item, 70% high-tech revenue, innovation score 70.
ELIGIBLE = dict(
    age=3,
    rd_ratio_3y=0.05,
    revenue=3_000.0,
    tech_staff_share=0.2,
    has_core_ip=True,
    high_tech_revenue_share=0.7,
    score=70.0,
)


@pytest.mark.parametrize(
    ("revenue", "threshold"),
    [
        (100.0, 0.05),
        (4_999.99, 0.05),  # just under 50 million yuan
        (5_000.0, 0.04),  # 50 million yuan opens the 4% band
        (20_000.0, 0.04),  # 200 million yuan is still in the 4% band (inclusive)
        (20_000.01, 0.03),  # over 200 million yuan
        (1e6, 0.03),
    ],
)
def test_rd_threshold_bands(revenue, threshold):
    assert rules.hte_rd_threshold(revenue) == pytest.approx(threshold)


def test_rd_threshold_vectorised_matches_scalar():
    revenue = np.array([4_999.99, 5_000.0, 20_000.0, 20_000.01])
    np.testing.assert_allclose(rules.hte_rd_threshold(revenue), [0.05, 0.04, 0.04, 0.03])


def test_reference_firm_is_eligible():
    assert rules.is_hte_eligible(**ELIGIBLE)


@pytest.mark.parametrize(
    "change",
    [
        {"age": 0},  # registered less than a year
        {"has_core_ip": False},  # no core IP
        {"tech_staff_share": 0.0999},  # tech staff under 10%
        {"rd_ratio_3y": 0.04997},  # 4.997% < 5% over three years (revenue under 50 million yuan)
        {"high_tech_revenue_share": 0.599},  # high-tech revenue under 60%
        {"score": 69.9},  # innovation-ability score under 70
    ],
)
def test_each_criterion_is_necessary(change):
    assert not rules.is_hte_eligible(**(ELIGIBLE | change))
    assert rules.hte_eligibility_gap(**(ELIGIBLE | change)) > 0


def test_rd_criterion_follows_revenue_band():
    # 4% R&D fails at 49.99 million yuan revenue, passes at 50 million, fails again at 200.01 million
    # with 2.99% but passes with 3%.
    assert not rules.is_hte_eligible(**(ELIGIBLE | {"revenue": 4_999.0, "rd_ratio_3y": 0.04}))
    assert rules.is_hte_eligible(**(ELIGIBLE | {"revenue": 5_000.0, "rd_ratio_3y": 0.04}))
    assert not rules.is_hte_eligible(**(ELIGIBLE | {"revenue": 30_000.0, "rd_ratio_3y": 0.0299}))
    assert rules.is_hte_eligible(**(ELIGIBLE | {"revenue": 30_000.0, "rd_ratio_3y": 0.03}))


def test_eligibility_gap_is_zero_exactly_when_eligible():
    assert rules.hte_eligibility_gap(**ELIGIBLE) == 0.0
    # R&D 4% of 30 million yuan against a 5% threshold: relative shortfall 0.2
    assert rules.hte_eligibility_gap(**(ELIGIBLE | {"rd_ratio_3y": 0.04})) == pytest.approx(0.2, abs=1e-5)
    # plus missing IP (1), tech staff 5% (shortfall 0.5) and a score of 56 (shortfall 0.2)
    change = {"rd_ratio_3y": 0.04, "has_core_ip": False, "tech_staff_share": 0.05, "score": 56.0}
    assert rules.hte_eligibility_gap(**(ELIGIBLE | change)) == pytest.approx(1.9, abs=1e-5)


@pytest.mark.parametrize(
    ("class1", "class2", "points"),
    [
        (0, 0, 0.0),
        (0, 1, 2.0),
        (0, 2, 2.0),
        (0, 3, 4.0),
        (0, 4, 4.0),
        (0, 5, 6.0),
        (0, 9, 6.0),
        (1, 0, 8.0),
        (2, 7, 8.0),
    ],
)
def test_ip_quantity_points_follow_the_guidelines(class1, class2, points):
    assert rules.ip_quantity_points(class1, class2) == points


def test_ip_points_need_ip_for_the_merit_part():
    assert rules.ip_points(0, 0, 1.0) == 0.0
    assert rules.ip_points(1, 0, 0.5) == pytest.approx(8.0 + 11.0)
    assert rules.ip_points(0, 5, 1.0) == pytest.approx(6.0 + 22.0)


@pytest.mark.parametrize(("conversions", "points"), [(0.0, 0.0), (0.99, 0.0), (1.0, 6.0), (2.5, 12.0), (7.0, 30.0)])
def test_conversion_points_by_band(conversions, points):
    assert rules.conversion_points(conversions) == points


def test_growth_rate_and_points():
    # (110/100 + 121/110)/2 - 1 = 10% -> bands > 0 and >= 5%: 4 points
    assert rules.growth_rate(100.0, 110.0, 121.0) == pytest.approx(0.10)
    assert rules.growth_points(0.10) == 4.0
    assert rules.growth_points(0.35) == 10.0
    assert rules.growth_points(0.0) == 0.0 and rules.growth_points(-0.2) == 0.0
    # two years of accounts: R2/R1 - 1; one year: -1, no points (arrays give the same per element)
    assert rules.growth_rate(0.0, 100.0, 120.0) == pytest.approx(0.20)
    assert rules.growth_rate(0.0, 0.0, 120.0) == -1.0 and rules.growth_points(-1.0) == 0.0
    np.testing.assert_allclose(
        rules.growth_rate(np.array([100.0, 0.0, 0.0]), np.array([110.0, 100.0, 0.0]), np.array([121.0, 120.0, 120.0])),
        [0.10, 0.20, -1.0],
    )
    assert rules.growth_points(float("nan")) == 0.0


def test_innovation_score_adds_the_four_parts():
    # IP 8 + 22 x 0.5 = 19, conversion 2 a year = 12, organisation 15, growth 10% twice = 8: 54
    assert rules.innovation_score(1, 0, 0.5, 2.0, 15.0, 0.10) == pytest.approx(54.0)
    # the top of every band: 30 + 30 + 20 + 20
    assert rules.innovation_score(3, 9, 1.0, 6.0, 20.0, 0.5) == pytest.approx(100.0)


def test_class_two_ip_counts_once_in_core_ip():
    # class II items cited before are no longer held as unused: only class I and new class II count
    assert rules.core_ip(0, 0) == 0 and rules.core_ip(1, 0) == 1 and rules.core_ip(0, 2) == 2


def test_sme_score_hand_worked():
    # 30% tech staff -> 20, five IP items -> 30, 6% R&D -> 50
    assert rules.sme_score(0.30, 0.06, 5) == 100.0
    # 12% -> 4, one IP item -> 6, 4.5% -> 30
    assert rules.sme_score(0.12, 0.045, 1) == 40.0
    # 9.9% tech staff -> 0, no IP, 1.9% R&D -> 0
    assert rules.sme_score(0.099, 0.019, 0) == 0.0
    # IP points cap at 30
    assert rules.sme_score(0.0, 0.0, 12) == 30.0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, True),
        ({"staff": 500}, True),
        ({"staff": 501}, False),
        ({"revenue": 20_000.0}, True),
        ({"revenue": 20_000.1}, False),
        ({"assets": 20_001.0}, False),
        ({"score": 59.9}, False),
        ({"score": 60.0}, True),
        ({"tech_staff_share": 0.05}, False),  # zero tech-staff points disqualify
    ],
)
def test_sme_eligibility(kwargs, expected):
    base = dict(staff=100, revenue=1_000.0, assets=800.0, score=70.0, tech_staff_share=0.2)
    assert bool(rules.is_sme_eligible(**(base | kwargs))) is expected


def test_pass_mark_is_a_parameter():
    assert rules.is_sme_eligible(100, 1_000.0, 800.0, 45.0, pass_mark=40.0)
    assert not rules.is_sme_eligible(100, 1_000.0, 800.0, 45.0)


def test_certificate_convention():
    # certified 2020: valid 2020, 2021, 2022; decided again in 2023
    assert not rules.certificate_expired(2020, 2020)
    assert not rules.certificate_expired(2020, 2022)
    assert rules.certificate_expired(2020, 2023)
    assert rules.certificate_expired(2020, 2024)
    assert not rules.recertification_due(2020, 2022)
    assert rules.recertification_due(2020, 2023)
    assert not rules.recertification_due(2020, 2024)


def test_tax_rates():
    # small low-profit: profit <= 3 million yuan, <= 300 staff, assets <= 50 million yuan
    assert rules.statutory_tax_rate(300.0, 300, 5_000.0) == pytest.approx(0.05)
    assert rules.statutory_tax_rate(300.1, 300, 5_000.0) == pytest.approx(0.25)
    assert rules.statutory_tax_rate(100.0, 301, 5_000.0) == pytest.approx(0.25)
    # marginal rate: 0 when loss-making; the HTE rate only when certified and lower
    assert rules.marginal_tax_rate(-5.0, 10, 100.0, True, 0.15) == 0.0
    assert rules.marginal_tax_rate(1_000.0, 400, 9_000.0, True, 0.15) == pytest.approx(0.15)
    assert rules.marginal_tax_rate(1_000.0, 400, 9_000.0, False, 0.15) == pytest.approx(0.25)
    assert rules.marginal_tax_rate(100.0, 50, 900.0, True, 0.15) == pytest.approx(0.05)


def test_super_deduction_takes_the_best_category():
    # 2021 schedule: all firms 75%, manufacturers 100%, tech SMEs 75%
    assert rules.effective_super_deduction(True, False, 0.75, 1.0, 0.75) == 1.0
    assert rules.effective_super_deduction(False, False, 0.75, 1.0, 0.75) == 0.75
    # 2022: tech SMEs 100%
    assert rules.effective_super_deduction(False, True, 0.75, 1.0, 1.0) == 1.0


def test_gazelle_and_leading_definitions():
    assert rules.revenue_cagr(172.8, 100.0) == pytest.approx(0.2)
    assert math.isnan(rules.revenue_cagr(172.8, 0.0))
    assert rules.is_gazelle(True, 10, 1_000.0, 0.2)
    assert not rules.is_gazelle(True, 10, 1_000.0, 0.1999)
    assert not rules.is_gazelle(True, 11, 1_000.0, 0.5)  # too old
    assert not rules.is_gazelle(True, 5, 999.0, 0.5)  # under 10 million yuan
    assert not rules.is_gazelle(False, 5, 5_000.0, 0.5)  # not certified
    assert not rules.is_gazelle(True, 5, 5_000.0, math.nan)  # history too short
    assert rules.is_leading(True, 100_000.0, 0.03)
    assert not rules.is_leading(True, 99_999.0, 0.05)
    assert not rules.is_leading(True, 200_000.0, 0.029)


def test_certified_stage_priority():
    assert rules.certified_stage(False, False) == Stage.HTE
    assert rules.certified_stage(True, False) == Stage.GAZELLE
    assert rules.certified_stage(True, True) == Stage.LEADING
    assert rules.certified_stage(False, True) == Stage.LEADING


def test_allowed_transitions_forbid_skipping_certification():
    uncertified = set(Stage) - CERTIFIED_STAGES
    for a in uncertified:
        for b in (Stage.GAZELLE, Stage.LEADING):
            assert (a, b) not in ALLOWED_TRANSITIONS
    assert (None, Stage.HTE) in ALLOWED_TRANSITIONS  # move-ins keep their certificate
    assert (None, Stage.TECH_SME) not in ALLOWED_TRANSITIONS
    assert (Stage.OUTSIDE, Stage.RESERVE) not in ALLOWED_TRANSITIONS


firm_arrays = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 30), min_size=n, max_size=n),
        st.lists(st.floats(0, 0.2), min_size=n, max_size=n),
        st.lists(st.floats(1, 50_000), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0, 100), min_size=n, max_size=n),
    )
)


@settings(max_examples=30, deadline=None)
@given(firm_arrays)
def test_rules_give_the_same_answer_for_arrays_and_scalars(columns):
    """One copy of each rule: the vectorised call equals the per-firm calls."""
    arrays = [np.array(c) for c in columns]
    vector = rules.is_hte_eligible(*arrays)
    gap = rules.hte_eligibility_gap(*arrays)
    for i in range(len(arrays[0])):
        scalars = [a[i].item() for a in arrays]
        assert bool(vector[i]) == bool(rules.is_hte_eligible(*scalars))
        assert gap[i] == pytest.approx(float(rules.hte_eligibility_gap(*scalars)))
        assert (gap[i] == 0) == bool(vector[i])
