"""Behavioural responses of firms, with the levers entering through named mechanisms.

Pure vectorised functions (numpy arrays or scalars in, same shape out), written
with operators like `rules.py`; rules say what the law requires, these say what
firms do about it. Money in 10k
yuan; probabilities per year.

Certification benefit and the decision to apply (reward and tax levers)::

    tax_saving  = max(0, statutory_rate - hte_tax_rate) * max(profit, 0)     per year
    benefit     = reward + 3 * tax_saving                         over one certificate
    logit(p_apply) = logit(base_rate) + boost
                     + value_weight * log(1 + benefit / application_cost)

so with no reward and no tax saving (a small low-profit firm already pays less
than 15%) a firm applies at ``base_rate``; the reserve pool adds ``boost``.
Re-application at expiry uses the same form with the re-certification reward,
then a service specialist removes part of the lapse probability::

    p_reapply = 1 - (1 - p) * (1 - specialist_share * specialist_efficacy)

Passing review (coaching and specialist levers)::

    p_pass = eligible * (1 - (1 - base) * (1 - coaching * coaching_efficacy)
                                         * (1 - specialist * specialist_efficacy))

``coaching`` and ``specialist`` are shares in [0, 1] (the share of applicants
coached, of certified firms with a specialist); entering as the mixing weight is
the same, in distribution, as drawing who gets one.

R&D ratio (tax, super-deduction and voucher levers). User cost of one yuan of R&D
relative to other spending, with marginal tax rate t, super-deduction rate s and
voucher share v of planned R&D (the B-index form)::

    user_cost = (1 - t * (1 + s)) / (1 - t) * (1 - v),   v = min(0.5, voucher / planned_rd)
    ratio     = propensity * user_cost ** (-elasticity)

``propensity`` is the ratio at user cost 1 (no tax advantage, no voucher). A
firm seeking the certificate and short of the threshold by at most ``gap``
(relative) raises its ratio to the threshold (bunching at the notch)::

    ratio' = threshold  if seeking and threshold * (1 - reach) <= ratio < threshold

Rewards and coaching buy eligibility as well as applications (R&D bookkeeping: expenses
re-classified as R&D, the consultants' main service). The reach grows from the firm's own
``gap`` towards `MAX_BOOKKEEPING_REACH`::

    push  = 1 - (1 - min(1, preparation_weight * log(1 + reward / application_cost)))
                * (1 - coached * coaching_efficacy)
    reach = gap + (MAX_BOOKKEEPING_REACH - gap) * push

and coaching raises a reserve-pool firm's organisation points (management systems,
R&D accounts, incentive rules: the score's paperwork part) each year::

    organisation' = organisation + coached * coaching_efficacy * (20 - organisation)

Revenue growth (guidance-fund lever), on the log scale::

    g = mean + firm_effect + shock + fund_return * min(1, injection / revenue)

Closure (fund lever; service specialists act on renewals, not on closures)::

    p_exit = base * (1 - funded * fund_exit_reduction)

Core IP arrivals (utility models and software copyrights count as core IP, so
small firms get some whatever their R&D): Poisson with mean
``ip_base_rate + ip_yield * rd_spend / 100`` (ip_yield per million yuan of R&D).
"""

from __future__ import annotations

import numpy as np

from models.ladder.compiled import compilable
from models.ladder.rules import CERTIFICATE_YEARS, Num, statutory_tax_rate

CERTIFICATE_BENEFIT_YEARS = CERTIFICATE_YEARS
VOUCHER_MAX_SHARE = 0.5
"""Vouchers cover at most half of a firm's planned R&D (assumption)."""
REFERENCE_USER_COST = 1.0
"""User cost at which the R&D ratio equals the firm's propensity."""
MAX_BOOKKEEPING_REACH = 0.6
"""Largest relative R&D shortfall a firm closes by bookkeeping when pushed fully (assumption)."""
ORGANISATION_MAX_POINTS = 20.0
FUND_MAX_RELATIVE_INJECTION = 1.0
"""Injection counted at most up to one year's revenue (assumption)."""


@compilable
def logit(p: Num) -> Num:
    """log(p / (1 - p)), with p clipped to [1e-12, 1 - 1e-12]."""
    p = np.minimum(np.maximum(p, 1e-12), 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


@compilable
def expit(x: Num) -> Num:
    """Inverse of `logit`."""
    return 1.0 / (1.0 + np.exp(-x))


@compilable
def hte_tax_saving(profit: Num, staff: Num, assets: Num, hte_tax_rate: Num) -> Num:
    """Yearly income tax saved by HTE status, 10k yuan (0 for loss-making firms)."""
    rate_gap = np.maximum(0.0, statutory_tax_rate(profit, staff, assets) - hte_tax_rate)
    return rate_gap * np.maximum(profit, 0.0)


@compilable
def certification_benefit(reward: Num, annual_tax_saving: Num) -> Num:
    """Reward plus tax saved over the certificate's three years, 10k yuan."""
    return reward + CERTIFICATE_BENEFIT_YEARS * annual_tax_saving


@compilable
def application_probability(
    base_rate: Num,
    reward: Num,
    annual_tax_saving: Num,
    value_weight: Num,
    application_cost: Num,
    boost: Num = 0.0,
) -> Num:
    """Probability that an eligible firm applies this year (module docstring)."""
    benefit = np.maximum(certification_benefit(reward, annual_tax_saving), 0.0)
    return expit(logit(base_rate) + boost + value_weight * np.log1p(benefit / application_cost))


@compilable
def reduce_failure(p: Num, share: Num, efficacy: Num) -> Num:
    """Raise a success probability by removing ``share * efficacy`` of its failures."""
    return 1.0 - (1.0 - p) * (1.0 - share * efficacy)


@compilable
def reapplication_probability(
    base_rate: Num,
    reward: Num,
    annual_tax_saving: Num,
    value_weight: Num,
    application_cost: Num,
    specialist: Num = 0.0,
    specialist_efficacy: Num = 0.0,
) -> Num:
    """Probability that a firm whose certificate expires re-applies."""
    p = application_probability(base_rate, reward, annual_tax_saving, value_weight, application_cost)
    return reduce_failure(p, specialist, specialist_efficacy)


@compilable
def pass_probability(
    base: Num,
    eligible: Num,
    coaching: Num = 0.0,
    specialist: Num = 0.0,
    coaching_efficacy: Num = 0.0,
    specialist_efficacy: Num = 0.0,
) -> Num:
    """Probability that an applicant is certified; 0 when not eligible."""
    p = reduce_failure(reduce_failure(base, coaching, coaching_efficacy), specialist, specialist_efficacy)
    return p * eligible


@compilable
def rd_user_cost(tax_rate: Num, super_deduction: Num, voucher_share: Num = 0.0) -> Num:
    """Cost of one yuan of R&D relative to other spending, after tax and vouchers."""
    return (1.0 - tax_rate * (1.0 + super_deduction)) / (1.0 - tax_rate) * (1.0 - voucher_share)


@compilable
def voucher_share(voucher: Num, planned_rd: Num) -> Num:
    """Share of planned R&D a voucher pays for, capped at `VOUCHER_MAX_SHARE`
    (a voucher to a firm with no planned R&D pays the cap)."""
    return np.minimum(VOUCHER_MAX_SHARE, voucher / np.maximum(planned_rd, 1e-9))


@compilable
def rd_ratio_response(
    propensity: Num,
    tax_rate: Num,
    super_deduction: Num,
    voucher_share_: Num = 0.0,
    elasticity: Num = 0.5,
) -> Num:
    """Desired R&D/revenue ratio given the user cost of R&D (constant elasticity)."""
    cost = rd_user_cost(tax_rate, super_deduction, voucher_share_)
    return propensity * (cost / REFERENCE_USER_COST) ** (-elasticity)


@compilable
def bunch_rd_ratio(ratio: Num, threshold: Num, gap: Num, seeking: Num) -> Num:
    """Raise ratios within ``gap`` (relative) below the threshold up to it, for seekers."""
    lift = (seeking > 0) & (ratio < threshold) & (ratio >= threshold * (1.0 - gap))
    return ratio + lift * (threshold - ratio)


@compilable
def bookkeeping_reach(
    gap: Num, reward: Num, application_cost: Num, preparation_weight: Num, coached: Num, coaching_efficacy: Num
) -> Num:
    """Relative R&D shortfall a seeking firm closes (module docstring): its own gap, pushed towards
    `MAX_BOOKKEEPING_REACH` by a certification reward and by coaching."""
    by_reward = np.minimum(1.0, preparation_weight * np.log1p(np.maximum(reward, 0.0) / application_cost))
    push = reduce_failure(by_reward, coached, coaching_efficacy)
    return gap + np.maximum(MAX_BOOKKEEPING_REACH - gap, 0.0) * push


@compilable
def coached_organisation(organisation: Num, coached: Num, coaching_efficacy: Num) -> Num:
    """Organisation points after a year's coaching (module docstring)."""
    return organisation + coached * coaching_efficacy * (ORGANISATION_MAX_POINTS - organisation)


@compilable
def revenue_log_growth(
    mean: Num,
    firm_effect: Num,
    shock: Num,
    fund_injection: Num = 0.0,
    revenue: Num = 1.0,
    fund_return: Num = 0.0,
) -> Num:
    """Yearly log revenue growth, with the guidance-fund boost."""
    relative = np.minimum(fund_injection / np.maximum(revenue, 1e-9), FUND_MAX_RELATIVE_INJECTION)
    return mean + firm_effect + shock + fund_return * relative


@compilable
def exit_probability(
    base: Num,
    specialist: Num = 0.0,
    specialist_efficacy: Num = 0.0,
    funded: Num = False,
    fund_exit_reduction: Num = 0.0,
) -> Num:
    """Yearly closure probability after the specialist and fund effects."""
    return base * (1.0 - specialist * specialist_efficacy) * (1.0 - funded * fund_exit_reduction)


@compilable
def expected_ip_arrivals(rd_spend: Num, ip_yield: Num, base_rate: Num = 0.0) -> Num:
    """Mean number of new core IP items in a year (R&D in 10k yuan)."""
    return base_rate + ip_yield * np.maximum(rd_spend, 0.0) / 100.0
