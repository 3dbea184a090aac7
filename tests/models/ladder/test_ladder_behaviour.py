"""Behavioural responses (models.ladder.behaviour) against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.ladder import behaviour as bh


def test_user_cost_of_rd():
    # B-index form: (1 - t (1 + s)) / (1 - t)
    assert bh.rd_user_cost(0.25, 0.75) == pytest.approx((1 - 0.25 * 1.75) / 0.75)  # 0.75
    assert bh.rd_user_cost(0.25, 1.0) == pytest.approx(2 / 3)
    assert bh.rd_user_cost(0.0, 1.0) == pytest.approx(1.0)  # loss-making: no tax advantage
    assert bh.rd_user_cost(0.25, 1.0, 0.5) == pytest.approx(1 / 3)  # half paid by a voucher


def test_rd_ratio_response_to_the_super_deduction():
    # user cost 2/3 with elasticity 1 -> ratio x 1.5
    assert bh.rd_ratio_response(0.04, 0.25, 1.0, 0.0, elasticity=1.0) == pytest.approx(0.06)
    # a richer deduction never lowers R&D
    low = bh.rd_ratio_response(0.04, 0.25, 0.75, 0.0, elasticity=0.5)
    high = bh.rd_ratio_response(0.04, 0.25, 1.0, 0.0, elasticity=0.5)
    assert high > low > 0.04


def test_voucher_share_is_capped():
    assert bh.voucher_share(5.0, 20.0) == pytest.approx(0.25)
    assert bh.voucher_share(5.0, 5.0) == pytest.approx(0.5)  # 100% capped at 50%
    assert bh.voucher_share(0.0, 5.0) == 0.0


def test_application_probability():
    assert bh.application_probability(0.2, 0.0, 0.0, 1.0, 10.0) == pytest.approx(0.2)
    # benefit = cost * (e - 1) adds exactly 1 to the logit with weight 1
    p = bh.application_probability(0.2, 10.0 * (math.e - 1), 0.0, 1.0, 10.0)
    assert p == pytest.approx(0.2 * math.e / (0.8 + 0.2 * math.e))
    # three years of tax saving count like a reward of the same total
    assert bh.application_probability(0.2, 30.0, 0.0, 0.5, 10.0) == pytest.approx(
        bh.application_probability(0.2, 0.0, 10.0, 0.5, 10.0)
    )
    # the reserve boost is a logit shift
    assert bh.application_probability(0.5, 0.0, 0.0, 1.0, 10.0, boost=math.log(3)) == pytest.approx(0.75)


def test_tax_saving():
    # 10 million yuan profit, 300+ staff: (25% - 15%) of 1,000 = 100 a year
    assert bh.hte_tax_saving(1_000.0, 400, 9_000.0, 0.15) == pytest.approx(100.0)
    # a small low-profit firm already pays 5%: no saving
    assert bh.hte_tax_saving(200.0, 50, 1_000.0, 0.15) == 0.0
    assert bh.hte_tax_saving(-50.0, 400, 9_000.0, 0.15) == 0.0


def test_pass_probability():
    assert bh.pass_probability(0.7, False, coaching=1.0, coaching_efficacy=0.9) == 0.0
    assert bh.pass_probability(0.7, True) == pytest.approx(0.7)
    assert bh.pass_probability(0.7, True, coaching=1.0, coaching_efficacy=0.5) == pytest.approx(0.85)
    # half the applicants coached: the mixture of 0.7 and 0.85
    assert bh.pass_probability(0.7, True, coaching=0.5, coaching_efficacy=0.5) == pytest.approx(0.775)


def test_reapplication_with_specialist():
    assert bh.reapplication_probability(0.8, 0.0, 0.0, 0.5, 10.0) == pytest.approx(0.8)
    assert bh.reapplication_probability(0.8, 0.0, 0.0, 0.5, 10.0, 1.0, 0.5) == pytest.approx(0.9)


def test_bunching_at_the_notch():
    assert bh.bunch_rd_ratio(0.036, 0.05, 0.3, True) == pytest.approx(0.05)  # within 30% of 5%
    assert bh.bunch_rd_ratio(0.034, 0.05, 0.3, True) == pytest.approx(0.034)  # too far below
    assert bh.bunch_rd_ratio(0.036, 0.05, 0.3, False) == pytest.approx(0.036)  # not seeking
    assert bh.bunch_rd_ratio(0.08, 0.05, 0.3, True) == pytest.approx(0.08)  # already above
    np.testing.assert_allclose(
        bh.bunch_rd_ratio(np.array([0.036, 0.034, 0.08]), 0.05, 0.3, np.array([True, True, True])), [0.05, 0.034, 0.08]
    )


def test_exit_probability():
    assert bh.exit_probability(0.1) == pytest.approx(0.1)
    assert bh.exit_probability(0.1, 1.0, 0.3) == pytest.approx(0.07)
    assert bh.exit_probability(0.1, 1.0, 0.3, True, 0.5) == pytest.approx(0.035)


def test_revenue_growth_fund_boost_is_capped():
    assert bh.revenue_log_growth(0.05, 0.01, -0.02) == pytest.approx(0.04)
    # injection of half a year's revenue with return 0.3 -> +0.15
    assert bh.revenue_log_growth(0.0, 0.0, 0.0, 500.0, 1_000.0, 0.3) == pytest.approx(0.15)
    # counted at most up to one year's revenue
    assert bh.revenue_log_growth(0.0, 0.0, 0.0, 5_000.0, 1_000.0, 0.3) == pytest.approx(0.3)


def test_ip_arrivals():
    assert bh.expected_ip_arrivals(200.0, 1.0, 0.3) == pytest.approx(2.3)  # 2 million yuan of R&D


def test_rewards_and_coaching_extend_the_bookkeeping_reach():
    # no reward, no coaching: the firm's own gap; a 20 (10k yuan) reward at cost 10 with weight 0.15 pushes
    # min(1, 0.15 log 3) = 0.165 of the way to the maximum reach; full coaching at efficacy 0.5 half of the rest
    assert bh.bookkeeping_reach(0.3, 0.0, 10.0, 0.15, 0.0, 0.5) == pytest.approx(0.3)
    push = 0.15 * np.log(3.0)
    assert bh.bookkeeping_reach(0.3, 20.0, 10.0, 0.15, 0.0, 0.5) == pytest.approx(0.3 + 0.3 * push)
    both = 1 - (1 - push) * 0.5
    assert bh.bookkeeping_reach(0.3, 20.0, 10.0, 0.15, 1.0, 0.5) == pytest.approx(0.3 + 0.3 * both)
    assert bh.bookkeeping_reach(0.7, 20.0, 10.0, 0.15, 1.0, 0.5) == pytest.approx(0.7)  # never below its own gap


def test_coaching_raises_organisation_points_towards_the_maximum():
    assert bh.coached_organisation(10.0, 0.0, 0.5) == 10.0
    assert bh.coached_organisation(10.0, 1.0, 0.5) == pytest.approx(15.0)
    assert bh.coached_organisation(np.array([0.0, 20.0]), 0.5, 0.4) == pytest.approx([4.0, 20.0])


def test_specialists_no_longer_cut_closures():
    from types import SimpleNamespace

    from models.ladder import kernel

    p = SimpleNamespace(fund_exit_reduction=0.5, move_out_rate=0.02)
    close, _ = kernel.leave_probabilities(0.05, 1.0, False, p, {"service_specialists": 1.0})
    assert close == pytest.approx(0.05)


def test_the_reserve_pool_takes_near_eligible_firms_before_eligible_ones():
    from models.ladder import kernel

    key = kernel.reserve_priority(np.array([0.0, 0.4, 0.1, 2.0]))
    assert list(np.argsort(key, kind="stable")) == [2, 1, 3, 0]
