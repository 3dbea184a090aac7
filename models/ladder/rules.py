"""Statutory rules of the cultivation ladder, as pure vectorised functions.

Every function takes numpy arrays of firm attributes (or scalars / 0-d arrays)
and returns values of the broadcast shape, so a `Firm` agent calls them for itself
and a vectorised engine can call them for all firms: one copy of each rule.
They are written with operators (``&``, ``*``, comparisons) rather than
``np.where`` so a scalar call stays cheap; booleans enter arithmetic as 0/1.
Pass numpy arrays, not lists. Each is ``@compilable`` (`compiled`): the compiled
firm step (`kernel`) calls the same function on one firm's scalars, so a rule
lives here only; keep to what numba compiles (no ``np.clip``, no ``sum`` over a
generator, no Python ``if`` on a value).

Units: revenue, assets, R&D spending and profit in 10k yuan (the unit of Chinese
firm statistics; 50 million yuan = 5,000); staff in persons; shares as
fractions; years as calendar years.

High-tech enterprise (HTE) certification (Administrative Measures 2016, 国科发火〔2016〕32号,
and their Work Guidelines, 国科发火〔2016〕195号; simplified where said)::

    threshold(revenue) = 0.05  if revenue <  5,000   (under 50 million yuan)
                         0.04  if revenue <= 20,000  (50-200 million yuan)
                         0.03  otherwise             (over 200 million yuan)
    rd_ratio3 = R&D of the last three years / revenue of the same years (the years the firm existed)
    core IP   = class I items (invention patents, ...) + class II items (utility models, software
                copyrights, ...) not yet used in an application; class II counts in one application only
    eligible  = age >= 1 and core IP > 0 and tech_staff_share >= 0.10
                and rd_ratio3 >= threshold(latest revenue) and high_tech_revenue_share >= 0.60
                and innovation score >= 70

Innovation-ability score (Guidelines, 企业创新能力评价; 100 points, 70 to pass)::

    IP (30)            quantity: 8 with a class I item, else 6 / 4 / 2 for >= 5 / 3 / 1 class II items
                       + 22 x tech_level for the IP's advancement, core role and how it was acquired
                       (the firm's `tech_level` in [0, 1]; 0 without IP)
    conversion (30)    6 per converted S&T result a year, three-year average, at most 30
                       (bands >=1/2/3/4/5 a year, each at the top of its band)
    organisation (20)  the firm's R&D organisation and management points (a firm attribute)
    growth (20)        sales growth and net-asset growth, 10 each: 2 points per band reached
                       (> 0, >= 5, 15, 25, 35 %) of  g = (R1/R0 + R2/R1) / 2 - 1  over the last three
                       years (R2/R1 - 1 with two years, -1 i.e. 0 points with one); net assets move with
                       revenue in the model, so both use revenue growth

(the real rule also requires 60% of R&D spent in China, and experts score within each band;
both are simplified away, the bands taken at their tops). The distance to eligibility, used to
pick reserve-pool firms, sums the relative shortfalls::

    gap = [age < 1] + [no core IP] + max(0, 0.10 - tech)/0.10
          + max(0, thr - rd_ratio3)/thr + max(0, 0.60 - hts)/0.60
          + max(0, 70 - score)/70                                      (0 iff eligible)

Certificate validity (convention): a certificate issued in year t is valid in
years t, t+1, t+2 and expires at the end of t+2; re-certification is decided in
year t+3 (the firm stays certified in t+3 only if it re-certifies then)::

    recertification_due(t, year) = year == t + 3
    certificate_expired(t, year) = year >= t + 3

Tech-based SME registry (national evaluation, simplified score)::

    size_ok = staff <= 500 and revenue <= 20,000 and assets <= 20,000
    score   = staff_points + ip_points + rd_points                   (0-100)
      staff_points: tech staff share >= 30/25/20/15/10 % -> 20/16/12/8/4, else 0
      ip_points:    min(30, 6 * core IP items)
      rd_points:    R&D ratio >= 6/5/4/3/2 % -> 50/40/30/20/10, else 0
    eligible = size_ok and score >= pass_mark and staff_points > 0

The national rule scores R&D by amount or ratio and IP by type (invention
patents 30 points at once); the bands above are an assumption that keeps the
rule's shape (60 of 100 to pass, zero tech-staff points disqualify).

Income tax: standard rate 25%; HTEs 15% (a lever); small low-profit firms
(profit <= 3 million yuan, staff <= 300, assets <= 50 million yuan) pay an
effective 5% (the regime from 2019 on, simplified to one rate: assumption).
The marginal rate that prices R&D is 0 for loss-making firms (loss carry-forward
ignored).

Super-deduction: a firm deducts R&D a second time at the highest rate among the
categories it belongs to (all firms; manufacturers; registered tech SMEs).

High growth and leading firms (definitions used; cities differ)::

    gazelle = certified and age <= 10 and revenue >= 1,000 (10 million yuan)
              and 3-year revenue CAGR >= 20%
    leading = certified and revenue >= 100,000 (1 billion yuan)
              and rd_ratio >= 3%
    stage of a certified firm = LEADING if leading, else GAZELLE if gazelle, else HTE

Stages and allowed moves within one year (`ALLOWED_TRANSITIONS`, ``None`` = not
in the model, i.e. entry from / exit to elsewhere)::

    entry -> STARTUP (new firm) | HTE (certified firm moving in keeps its status)
    any stage -> exit (closure or moving away)
    STARTUP  -> TECH_SME | HTE | OUTSIDE (incubation over, unregistered)
    OUTSIDE  -> TECH_SME | HTE
    TECH_SME -> RESERVE | HTE | OUTSIDE (failed or skipped the yearly evaluation)
    RESERVE  -> HTE | TECH_SME (left the pool) | OUTSIDE
    HTE, GAZELLE, LEADING -> each other (yearly definition test)
                          -> TECH_SME | OUTSIDE (certificate lost)

No firm reaches GAZELLE or LEADING without first being certified in an earlier
year: a newly certified firm ends its year as HTE.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np

from models.ladder.compiled import compilable

Num = float | np.ndarray
"""A scalar or a numpy array of firm attributes (not a list: convert lists first)."""

# --- statutory constants (10k yuan, fractions) ---------------------------------
SMALL_REVENUE = 5_000.0
"""Revenue below which the 5% R&D threshold applies (50 million yuan)."""
LARGE_REVENUE = 20_000.0
"""Revenue above which the 3% R&D threshold applies (200 million yuan)."""
MIN_TECH_STAFF_SHARE = 0.10
MIN_HIGH_TECH_REVENUE_SHARE = 0.60
MIN_AGE_YEARS = 1
CERTIFICATE_YEARS = 3
INNOVATION_PASS_MARK = 70.0
"""Innovation-ability score needed for certification (Work Guidelines 2016)."""
IP_MERIT_POINTS = 22.0
"""IP points beyond quantity (advancement 8, core role 8, acquisition 6), scaled by a firm's tech_level."""
CONVERSION_POINTS_PER_RESULT = 6.0
CONVERSION_MAX_POINTS = 30.0
RATIO_TOLERANCE = 1e-6
"""Relative slack of the R&D-intensity test: a firm bunched exactly at the threshold meets it after its
R&D and revenue histories were stored in single precision."""
GROWTH_BANDS = (0.0, 0.05, 0.15, 0.25, 0.35)
"""Growth-rate band edges of the score (the first band is growth above 0); 2 points per band reached."""
RULES_YEAR = 2016
"""Year of the Administrative Measures these rules follow (certification figures before it are under older rules)."""

SME_MAX_STAFF = 500
SME_MAX_REVENUE = 20_000.0
SME_MAX_ASSETS = 20_000.0
SME_PASS_MARK = 60.0

STANDARD_TAX_RATE = 0.25
SMALL_PROFIT_TAX_RATE = 0.05
SMALL_PROFIT_MAX_PROFIT = 300.0
SMALL_PROFIT_MAX_STAFF = 300
SMALL_PROFIT_MAX_ASSETS = 5_000.0

GAZELLE_MIN_CAGR = 0.20
GAZELLE_MIN_REVENUE = 1_000.0
GAZELLE_MAX_AGE = 10
LEADING_MIN_REVENUE = 100_000.0
LEADING_MIN_RD_RATIO = 0.03

_LOG_GAZELLE_GROWTH = math.log1p(GAZELLE_MIN_CAGR)

INCUBATION_YEARS = 3
"""A startup still unregistered at this age leaves the incubator (-> OUTSIDE)."""
RESERVE_MAX_YEARS = 3
"""A reserve-pool firm not certified after this many years returns to TECH_SME."""


class Stage(IntEnum):
    """Rung of the ladder; exactly one per firm. Certified = HTE, GAZELLE, LEADING."""

    OUTSIDE = 0
    STARTUP = 1
    TECH_SME = 2
    RESERVE = 3
    HTE = 4
    GAZELLE = 5
    LEADING = 6


CERTIFIED_STAGES = frozenset({Stage.HTE, Stage.GAZELLE, Stage.LEADING})
REGISTRY_STAGES = frozenset({Stage.TECH_SME, Stage.RESERVE})


def _allowed_transitions() -> frozenset[tuple[Stage | None, Stage | None]]:
    cert = sorted(CERTIFIED_STAGES)
    moves = {(s, s) for s in Stage} | {(s, None) for s in Stage}
    moves |= {(None, Stage.STARTUP), (None, Stage.HTE)}
    moves |= {(Stage.STARTUP, t) for t in (Stage.TECH_SME, Stage.HTE, Stage.OUTSIDE)}
    moves |= {(Stage.OUTSIDE, t) for t in (Stage.TECH_SME, Stage.HTE)}
    moves |= {(Stage.TECH_SME, t) for t in (Stage.RESERVE, Stage.HTE, Stage.OUTSIDE)}
    moves |= {(Stage.RESERVE, t) for t in (Stage.HTE, Stage.TECH_SME, Stage.OUTSIDE)}
    moves |= {(a, b) for a in cert for b in cert}
    moves |= {(a, b) for a in cert for b in (Stage.TECH_SME, Stage.OUTSIDE)}
    return frozenset(moves)


ALLOWED_TRANSITIONS = _allowed_transitions()
"""(stage at start of year, stage at end of year) pairs a rule allows; None = not in the model."""


@compilable
def hte_rd_threshold(revenue: Num) -> Num:
    """Minimum R&D/revenue ratio for HTE certification (revenue in 10k yuan)."""
    return 0.05 - 0.01 * (revenue >= SMALL_REVENUE) - 0.01 * (revenue > LARGE_REVENUE)


@compilable
def rd_ratio(rd_spend: Num, revenue: Num) -> Num:
    """R&D spending / revenue (revenue floored at 1e-9 so the ratio stays finite)."""
    return rd_spend / np.maximum(revenue, 1e-9)


@compilable
def rd_ratio3(rd_sum: Num, revenue_sum: Num) -> Num:
    """Three-year R&D intensity: R&D over the years summed / revenue over the same years."""
    return rd_sum / np.maximum(revenue_sum, 1e-9)


@compilable
def meets_rd_threshold(rd_ratio_3y: Num, revenue: Num) -> Num:
    """True where the three-year R&D intensity reaches the threshold of the latest revenue."""
    return rd_ratio_3y >= hte_rd_threshold(revenue) * (1.0 - RATIO_TOLERANCE)


@compilable
def core_ip(class1: Num, class2_unused: Num) -> Num:
    """Core IP items an application can cite: class I items and class II items not used before."""
    return class1 + class2_unused


@compilable
def ip_quantity_points(class1: Num, class2_unused: Num) -> Num:
    """8 with a class I item, else 6 / 4 / 2 for at least 5 / 3 / 1 unused class II items."""
    class2_points = 2.0 * ((class2_unused >= 1) + 1 * (class2_unused >= 3) + 1 * (class2_unused >= 5))
    return 8.0 * (class1 >= 1) + (class1 < 1) * class2_points


@compilable
def ip_points(class1: Num, class2_unused: Num, tech_level: Num) -> Num:
    """IP points of the innovation score, 0-30: quantity plus `IP_MERIT_POINTS` x tech_level (0 without IP)."""
    has_ip = core_ip(class1, class2_unused) > 0
    return ip_quantity_points(class1, class2_unused) + has_ip * IP_MERIT_POINTS * tech_level


@compilable
def conversion_points(conversions: Num) -> Num:
    """Conversion points, 0-30: 6 per whole converted result a year (three-year average)."""
    return np.minimum(CONVERSION_MAX_POINTS, CONVERSION_POINTS_PER_RESULT * np.floor(np.maximum(conversions, 0.0)))


@compilable
def growth_rate(revenue_0: Num, revenue_1: Num, revenue_2: Num) -> Num:
    """Growth over the last three years, (R1/R0 + R2/R1)/2 - 1; R2/R1 - 1 without R0 (0 for a year without
    accounts); -1 (no growth points) with one year. Written with operators, no ``np.where``: compiled for one
    firm's scalars it allocates nothing."""
    r0_ok = 1.0 * (revenue_0 > 0)
    r1_ok = 1.0 * (revenue_1 > 0)
    safe_0 = revenue_0 + (1.0 - revenue_0) * (1.0 - r0_ok)  # 1 where missing, so every division is defined
    safe_1 = revenue_1 + (1.0 - revenue_1) * (1.0 - r1_ok)
    later = revenue_2 / safe_1 - 1.0
    both = 0.5 * (revenue_1 / safe_0 + revenue_2 / safe_1) - 1.0
    return r1_ok * (r0_ok * both + (1.0 - r0_ok) * later) - (1.0 - r1_ok)


@compilable
def growth_points(rate: Num) -> Num:
    """Points of one growth item, 0-10: 2 per band of `GROWTH_BANDS` reached (NaN scores 0)."""
    points = 2.0 * (rate > GROWTH_BANDS[0])
    for edge in GROWTH_BANDS[1:]:
        points = points + 2.0 * (rate >= edge)
    return points


@compilable
def innovation_score(
    class1: Num, class2_unused: Num, tech_level: Num, conversions: Num, organisation: Num, growth: Num
) -> Num:
    """Innovation-ability score, 0-100 (module docstring): IP, conversion, organisation and twice the
    growth points (sales and net assets, which move together in the model)."""
    return (
        ip_points(class1, class2_unused, tech_level)
        + conversion_points(conversions)
        + np.minimum(np.maximum(organisation, 0.0), 20.0)
        + 2.0 * growth_points(growth)
    )


@compilable
def meets_non_rd_criteria(age: Num, tech_staff_share: Num, has_core_ip: Num, high_tech_revenue_share: Num) -> Num:
    """True where the age, core-IP, tech-staff and high-tech-revenue criteria are met."""
    return (
        (age >= MIN_AGE_YEARS)
        & (has_core_ip > 0)
        & (tech_staff_share >= MIN_TECH_STAFF_SHARE)
        & (high_tech_revenue_share >= MIN_HIGH_TECH_REVENUE_SHARE)
    )


@compilable
def is_hte_eligible(
    age: Num,
    rd_ratio_3y: Num,
    revenue: Num,
    tech_staff_share: Num,
    has_core_ip: Num,
    high_tech_revenue_share: Num,
    score: Num,
) -> Num:
    """True where a firm meets every HTE criterion (see module docstring)."""
    return (
        meets_non_rd_criteria(age, tech_staff_share, has_core_ip, high_tech_revenue_share)
        & meets_rd_threshold(rd_ratio_3y, revenue)
        & (score >= INNOVATION_PASS_MARK)
    )


@compilable
def hte_eligibility_gap(
    age: Num,
    rd_ratio_3y: Num,
    revenue: Num,
    tech_staff_share: Num,
    has_core_ip: Num,
    high_tech_revenue_share: Num,
    score: Num,
) -> Num:
    """Sum of relative shortfalls from the HTE criteria; 0 exactly when eligible."""
    threshold = hte_rd_threshold(revenue)
    return (
        1.0 * (age < MIN_AGE_YEARS)
        + 1.0 * (has_core_ip <= 0)
        + np.maximum(0.0, MIN_TECH_STAFF_SHARE - tech_staff_share) / MIN_TECH_STAFF_SHARE
        + np.maximum(0.0, threshold * (1.0 - RATIO_TOLERANCE) - rd_ratio_3y) / threshold
        + np.maximum(0.0, MIN_HIGH_TECH_REVENUE_SHARE - high_tech_revenue_share) / MIN_HIGH_TECH_REVENUE_SHARE
        + np.maximum(0.0, INNOVATION_PASS_MARK - score) / INNOVATION_PASS_MARK
    )


SME_STAFF_BANDS = (MIN_TECH_STAFF_SHARE, 0.15, 0.20, 0.25, 0.30)
"""Tech-staff-share band edges of the SME evaluation; 4 points per band reached (none: not a tech SME)."""


@compilable
def sme_staff_points(tech_staff_share: Num) -> Num:
    """Tech-staff points of the SME evaluation: 4 per band reached (`SME_STAFF_BANDS`)."""
    points = 0.0 * tech_staff_share
    for edge in SME_STAFF_BANDS:
        points = points + 4.0 * (tech_staff_share >= edge)
    return points


SME_RD_BANDS = (0.02, 0.03, 0.04, 0.05, 0.06)
"""R&D-ratio band edges of the SME evaluation; 10 points per band reached."""


@compilable
def sme_rd_points(rd_ratio_: Num) -> Num:
    """R&D points of the SME evaluation: 10 per band reached (`SME_RD_BANDS`)."""
    points = 0.0 * rd_ratio_
    for edge in SME_RD_BANDS:
        points = points + 10.0 * (rd_ratio_ >= edge)
    return points


@compilable
def sme_score(tech_staff_share: Num, rd_ratio_: Num, ip_count: Num) -> Num:
    """Simplified SME evaluation score, 0-100 (bands in the module docstring)."""
    return sme_staff_points(tech_staff_share) + np.minimum(30.0, 6.0 * ip_count) + sme_rd_points(rd_ratio_)


@compilable
def within_sme_size(staff: Num, revenue: Num, assets: Num) -> Num:
    """True where staff <= 500 and revenue and assets <= 200 million yuan."""
    return (staff <= SME_MAX_STAFF) & (revenue <= SME_MAX_REVENUE) & (assets <= SME_MAX_ASSETS)


@compilable
def is_sme_eligible(
    staff: Num,
    revenue: Num,
    assets: Num,
    score: Num,
    pass_mark: Num = SME_PASS_MARK,
    tech_staff_share: Num | None = None,
) -> Num:
    """True where a firm may register as a tech-based SME.

    Size limits plus ``score >= pass_mark``; when ``tech_staff_share`` is given,
    also the national rule that zero tech-staff points disqualify.
    """
    ok = within_sme_size(staff, revenue, assets) & (score >= pass_mark)
    if tech_staff_share is not None:
        ok = ok & (tech_staff_share >= MIN_TECH_STAFF_SHARE)
    return ok


@compilable
def certificate_expired(cert_year: Num, year: Num) -> Num:
    """True from year cert_year + 3 on (valid in cert_year .. cert_year + 2)."""
    return year >= cert_year + CERTIFICATE_YEARS


@compilable
def recertification_due(cert_year: Num, year: Num) -> Num:
    """True in the year re-certification is decided, cert_year + 3."""
    return year == cert_year + CERTIFICATE_YEARS


@compilable
def statutory_tax_rate(profit: Num, staff: Num, assets: Num) -> Num:
    """Income-tax rate without HTE status: 5% for small low-profit firms, else 25%."""
    small = (
        (profit <= SMALL_PROFIT_MAX_PROFIT) & (staff <= SMALL_PROFIT_MAX_STAFF) & (assets <= SMALL_PROFIT_MAX_ASSETS)
    )
    return STANDARD_TAX_RATE - (STANDARD_TAX_RATE - SMALL_PROFIT_TAX_RATE) * small


@compilable
def marginal_tax_rate(profit: Num, staff: Num, assets: Num, certified: Num, hte_tax_rate: Num) -> Num:
    """Rate at which an extra yuan of deduction saves tax: 0 if loss-making,
    else the lower of the statutory rate and (if certified) the HTE rate."""
    base = statutory_tax_rate(profit, staff, assets)
    rate = base + certified * (np.minimum(base, hte_tax_rate) - base)
    return rate * (profit > 0)


@compilable
def effective_super_deduction(
    manufacturing: Num, registered_sme: Num, general_rate: Num, manufacturing_rate: Num, tech_sme_rate: Num
) -> Num:
    """Extra deduction rate of R&D: the highest rate among the firm's categories
    (rates are non-negative, so a category a firm is not in contributes 0)."""
    return np.maximum(np.maximum(general_rate, manufacturing_rate * manufacturing), tech_sme_rate * registered_sme)


@compilable
def revenue_cagr(revenue_now: Num, revenue_before: Num, years: int = 3) -> Num:
    """Compound annual growth rate; NaN where the earlier revenue is missing or not positive."""
    before = np.where(revenue_before > 0, revenue_before, np.nan)
    return (revenue_now / before) ** (1.0 / years) - 1.0


@compilable
def is_gazelle(certified: Num, age: Num, revenue: Num, cagr3: Num) -> Num:
    """Gazelle definition used: certified, <= 10 years old, revenue >= 10 million
    yuan, 3-year revenue CAGR >= 20% (a NaN CAGR compares False)."""
    return (certified > 0) & (age <= GAZELLE_MAX_AGE) & (revenue >= GAZELLE_MIN_REVENUE) & (cagr3 >= GAZELLE_MIN_CAGR)


@compilable
def is_leading(certified: Num, revenue: Num, rd_ratio_: Num) -> Num:
    """Leading-firm definition used: certified, revenue >= 1 billion yuan, R&D ratio >= 3%."""
    return (certified > 0) & (revenue >= LEADING_MIN_REVENUE) & (rd_ratio_ >= LEADING_MIN_RD_RATIO)


@compilable
def is_high_growth_candidate(certified: Num, stage: Num, last_log_growth: Num) -> Num:
    """Guidance-fund candidate: a gazelle, or a certified firm whose revenue grew by
    at least 20% last year (the gazelle growth bar applied to one year)."""
    return (certified > 0) & ((stage == Stage.GAZELLE) | (last_log_growth >= _LOG_GAZELLE_GROWTH))


@compilable
def certified_stage(gazelle: Num, leading: Num) -> Num:
    """Stage code of a certified firm: LEADING over GAZELLE over HTE."""
    leading = 1 * leading
    gazelle_only = 1 * gazelle * (1 - leading)
    return Stage.HTE + (Stage.GAZELLE - Stage.HTE) * gazelle_only + (Stage.LEADING - Stage.HTE) * leading
