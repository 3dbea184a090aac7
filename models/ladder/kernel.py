"""The yearly firm step, written once as compiled code over firm records, with the
random numbers passed in.

`step_firms(state, params, policy, year, voucher_probability, z, u, run)` advances
every firm of ``state`` by one year and returns which firms are still in the city
and which events happened. ``state`` is a structured array, one record per firm
(`records.STATE_DTYPE`; `records.new_state` builds it from
`population.build_population` arrays). The step loops over the firms once in
compiled code (numba), each firm through its year in the order below, so no branch
needs a mask. `agents.Firm.step` calls it on its one firm (a state of length 1);
`engine` calls it on all firms of all runs at once. ``params`` is a `LadderParams`
or a table of them (`records.params_table`, one row per run, ``run[i]`` the row of firm i:
posterior draws vary by run), ``policy`` the levers in force
(`levers.active_levers`), ``voucher_probability`` one value or one per run.

Random numbers (pre-drawn, independent, one row per firm, single precision: `DRAW_DTYPE`)::

    z[:, 0..3] ~ Normal(0, 1): revenue shock, tech-staff drift, high-tech-revenue
                               drift, R&D-propensity drift
    u[:, U_EXIT]     closure / moving away      u[:, U_VOUCHER]  voucher
    u[:, U_IP]       core IP arrivals (inverse Poisson CDF)
    u[:, U_DECIDE]   (re-)application           u[:, U_PASS]     review
    u[:, U_REGISTER] registry evaluation, or registering after a lost certificate
    u[:, U_IP_CLASS] how many of the new IP items are class I (inverse binomial CDF)

so one firm-year takes ``DRAWS_PER_STEP = 4 + 7`` numbers. Each decision has its
own uniform, so "event iff u < p" gives every branch its probability exactly.

One year of a firm, in order (statutory rules in `rules`, behaviour in `behaviour`)::

    age += 1;  class II IP cited in last year's application written off
    g = revenue_log_growth(mean, effect, sd z0, injection, R, fund_return)
    R' = max(MIN_REVENUE, R e^g);  staff' = max(1, staff e^(0.6 g));  assets = R' asset_ratio
    tech, hts += 0.02 z1, 0.02 z2 (clipped to [0, 1]);  propensity *= exp(drift_sd z3)
    closed   iff u_exit <  p_close = exit_probability(base[stage], specialist, ...)
    moved    iff p_close <= u_exit < p_close + move_out_rate [certified]
    (a firm that closed or moved away stops here; the caller removes it)
    R&D: ratio = min(MAX_RD_RATIO, bunch(rd_ratio_response(propensity, t, s, v))); R&D history shifts
    IP += n ~ Poisson(ip_base_rate + ip_yield rd / 100), class I ~ Binomial(n, ip_class1_share);
    conversions += (conversion_base + n - conversions) / 3       (three-year average, smoothed)
    HTE-eligible = `rules.is_hte_eligible` of the three-year R&D ratio and the innovation score
                   (`rd_ratio_3y`, `score`); a (re-)certification cites the unused class II items
    certified:   expired -> re-apply (u_decide < p_reapply), pass (u_pass < p_pass),
                 else lose: -> TECH_SME iff SME-eligible and u_register < sme_renewal_rate,
                 else OUTSIDE; holding a certificate -> certified_stage(gazelle, leading)
    uncertified: HTE-eligible, applies (u_decide < p_apply), passes (u_pass) -> HTE;
                 otherwise the registry evaluation with u_register:
                 registered: stay iff eligible and u < sme_renewal_rate, else OUTSIDE;
                             reserve firms return to TECH_SME after RESERVE_MAX_YEARS
                 startup:    register iff eligible and u < startup_registration_rate,
                             else OUTSIDE at age INCUBATION_YEARS
                 outside:    register iff eligible and u < outside_registration_rate

Each line is a ``@compilable`` function of one firm record ``f`` (`grow`, `exits`,
`choose_rd`, `keep_certificate`, `climb`, `evaluate_registry`, in `firm_year`'s
order); the rules and behaviour they call are the functions of `rules` and
`behaviour` themselves, compiled for one firm's scalars. The year-level pieces both
engines share (stochastic rounding, fund split, voucher probability, entry means)
are at the end.

How to add or change a rule (the eligibility rules will grow):

1. write it in `rules.py` as one ``@compilable`` function of firm attributes, with
   operators as the others (numba compiles it for scalars; Python callers pass
   arrays), and test it there on arrays;
2. call it from the step function where the decision is taken (e.g. `climb` for
   certification, `evaluate_registry` for the registry) with the firm's fields
   (``f.revenue``), rates (``p.name``: a `LadderParams` field) and levers
   (``policy["name"]``: a `levers` lever); a new firm attribute is drawn in
   `population` (`ATTRIBUTES`) and stored with a dtype in `records.STATE_DTYPE`;
3. nothing else: the compiled entry points are keyed on the sources of `rules`,
   `behaviour` and this module (`compiled.sources_digest`), so the next run
   recompiles them once (benchmarks/bench_ladder.py measures the cold compile) and
   caches them again.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

import numba
import numpy as np

from models.ladder import behaviour as bh
from models.ladder import rules
from models.ladder.compiled import compilable, sources_digest
from models.ladder.records import HISTORY_YEARS, RD_YEARS, params_table, policy_record
from models.ladder.rules import Stage

STAFF_GROWTH_ELASTICITY = 0.6
SHARE_DRIFT_SD = 0.02
MIN_REVENUE = 10.0
"""Revenue floor, 10k yuan (100,000 yuan), so ratios stay defined."""
MAX_RD_RATIO = 0.5
OUTSIDE, STARTUP, TECH_SME, RESERVE, HTE = (
    int(s) for s in (Stage.OUTSIDE, Stage.STARTUP, Stage.TECH_SME, Stage.RESERVE, Stage.HTE)
)
"""Stage codes as plain integers (what compiled code compares with)."""
VOUCHER_STAGE_CODES = (int(Stage.STARTUP), int(Stage.TECH_SME), int(Stage.RESERVE))
"""Stages that may receive a voucher (consecutive codes)."""

N_NORMALS = 4
U_EXIT, U_VOUCHER, U_IP, U_DECIDE, U_PASS, U_REGISTER, U_IP_CLASS = range(7)
N_UNIFORMS = 7
DRAWS_PER_STEP = N_NORMALS + N_UNIFORMS
"""Random numbers one firm-year takes."""
DRAW_DTYPE = np.float32
"""The step's random numbers are single precision (numpy's float32 generators: a uniform is a multiple of
2^-24, so "u < p" has probability p within 6e-8; normals from the float32 ziggurat): half the memory the
year's draws take and move, and faster normals; every computation on them is in double precision."""

EVENTS = (
    "applications",
    "new_certifications",
    "failed_applications",
    "recertifications",
    "cert_lapsed",
    "cert_failed",
    "registrations",
    "registry_exits",
    "exits_closed",
    "exits_moved_away",
    "vouchers_used",
)
"""Events of a firm-year; the compiled step returns them as bits, bit e for ``EVENTS[e]``."""
(APPLIED, CERTIFIED, APPLICATION_FAILED, RENEWED, LAPSED, RENEWAL_FAILED) = (1 << e for e in range(6))
REGISTERED, LEFT_REGISTRY, CLOSED, MOVED_AWAY, VOUCHER_USED = (1 << e for e in range(6, 11))


# --- the firm-year: one firm record f, rates p, levers policy --------------------------
@compilable
def is_certified(stage):
    return stage >= HTE


@compilable
def is_registered(stage):
    return (stage == TECH_SME) | (stage == RESERVE)


@compilable
def leave_probabilities(base, certified, funded, p, policy):
    """(closure, moving away) probabilities of a firm-year: its stage's closure rate `base` after the
    fund effect, and ``move_out_rate`` for certified firms.
    `exits` draws against them; `meanfield` takes them as expected shares (`funded` a share there)."""
    p_close = bh.exit_probability(base, 0.0, 0.0, funded, p.fund_exit_reduction)  # specialists: renewals only
    return p_close, p.move_out_rate * certified


@compilable
def certification_pass_probability(p, policy, reserve):
    """P(a first application passes review): coaching reaches reserve-pool firms only."""
    return bh.pass_probability(
        p.pass_rate, True, coaching=policy["coaching"] * reserve, coaching_efficacy=p.coaching_efficacy
    )


@compilable
def recertification_pass_probability(p, policy, eligible):
    """P(a re-application passes review): 0 unless HTE-eligible; service specialists remove failures."""
    specialist, efficacy = policy["service_specialists"], p.specialist_efficacy
    return bh.pass_probability(p.recert_pass_rate, eligible, specialist=specialist, specialist_efficacy=efficacy)


@compilable
def rd_ratio_3y(f):
    """R&D intensity over the years t-2 .. t the firm existed (`rules.rd_ratio3` of the sums)."""
    rd_sum, revenue_sum = 0.0, 0.0
    for k in range(RD_YEARS):
        rd, revenue = f.rd_history[k], f.revenue_history[HISTORY_YEARS - RD_YEARS + k]
        if not (math.isnan(rd) or math.isnan(revenue)):
            rd_sum += rd
            revenue_sum += revenue
    return rules.rd_ratio3(rd_sum, revenue_sum)


@compilable
def score(f):
    """`rules.innovation_score` of firm record `f` (growth over its last three revenues)."""
    h = f.revenue_history
    r0, r1, r2 = h[HISTORY_YEARS - 3], h[HISTORY_YEARS - 2], h[HISTORY_YEARS - 1]
    growth = rules.growth_rate(0.0 if math.isnan(r0) else r0, 0.0 if math.isnan(r1) else r1, r2)
    return rules.innovation_score(f.ip_class1, f.ip_class2, f.tech_level, f.conversions, f.organisation, growth)


@compilable
def hte_gap(f):
    """`rules.hte_eligibility_gap` on firm record `f` (the reserve pool's intake order)."""
    return rules.hte_eligibility_gap(
        f.age,
        rd_ratio_3y(f),
        f.revenue,
        f.tech_staff_share,
        rules.core_ip(f.ip_class1, f.ip_class2),
        f.high_tech_revenue_share,
        score(f),
    )


@compilable
def hte_eligible(f):
    """`rules.is_hte_eligible` on firm record `f` (its eligibility gap, `hte_gap`, is 0 exactly then:
    tests/models/ladder/test_ladder_rules.py checks the two rules agree). The criteria read off the record
    come first: most firms fail one of them, and then neither the three-year R&D ratio nor the score is
    computed (the same rule, in the order of cost)."""
    has_ip = rules.core_ip(f.ip_class1, f.ip_class2)
    if not rules.meets_non_rd_criteria(f.age, f.tech_staff_share, has_ip, f.high_tech_revenue_share):
        return False
    return rules.is_hte_eligible(
        f.age, rd_ratio_3y(f), f.revenue, f.tech_staff_share, has_ip, f.high_tech_revenue_share, score(f)
    )


CRITERIA = ("age", "core_ip", "tech_staff", "rd_intensity", "high_tech_revenue", "innovation_score")
"""The high-tech certification criteria `criteria_bits` reports, bit k for ``CRITERIA[k]``."""
ALL_CRITERIA = (1 << len(CRITERIA)) - 1


@compilable
def criteria_bits(f):
    """Which HTE criteria firm record `f` meets, bit k for ``CRITERIA[k]`` (`hte_eligible` iff all)."""
    return (
        1 * (f.age >= rules.MIN_AGE_YEARS)
        + 2 * (rules.core_ip(f.ip_class1, f.ip_class2) > 0)
        + 4 * (f.tech_staff_share >= rules.MIN_TECH_STAFF_SHARE)
        + 8 * rules.meets_rd_threshold(rd_ratio_3y(f), f.revenue)
        + 16 * (f.high_tech_revenue_share >= rules.MIN_HIGH_TECH_REVENUE_SHARE)
        + 32 * (score(f) >= rules.INNOVATION_PASS_MARK)
    )


@compilable
def sme_eligible(f, pass_mark):
    """`rules.is_sme_eligible` on firm record `f` (score from `rules.sme_score`)."""
    score = rules.sme_score(f.tech_staff_share, f.rd_ratio, f.ip_count)
    return rules.is_sme_eligible(f.staff, f.revenue, f.assets, score, pass_mark, f.tech_staff_share)


@compilable
def poisson_inverse(mean, u):
    """The smallest k with P(K <= k) > u for K ~ Poisson(mean): u ~ U[0, 1) gives a Poisson draw.

    Sums the pmf upwards from k0 = max(0, floor(mean - 10 sqrt(mean))) (the mass below k0 is under
    1e-22, beneath a double's resolution of u), its first term from lgamma, then
    term_k = term_(k-1) mean / k. For mean <= 100, k0 = 0 and the first term is exp(-mean)."""
    if not mean > 0.0:
        return 0
    k = max(0.0, math.floor(mean - 10.0 * math.sqrt(mean)))
    term = math.exp(-mean) if k == 0.0 else math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1.0))
    cdf = term
    last = mean + 20.0 * math.sqrt(mean) + 200.0  # u within rounding of 1: the tail holds nothing representable
    while u >= cdf and k < last:
        k += 1.0
        term = term * mean / k
        cdf = cdf + term
    return int(k)


@compilable
def binomial_inverse(n, p, u):
    """The smallest k with P(K <= k) > u for K ~ Binomial(n, p): u ~ U[0, 1) gives a binomial draw."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    term = (1.0 - p) ** n
    cdf, k = term, 0
    while u >= cdf and k < n:
        term = term * (n - k) / (k + 1) * p / (1.0 - p)
        k += 1
        cdf = cdf + term
    return k


@compilable
def gain_ip(f, p, u_count, u_class):
    """New core IP items, Poisson(ip_base_rate + ip_yield rd / 100), class I among them Binomial(n,
    ip_class1_share); converted results this year = conversion_base + new items, their three-year
    average kept as conversions += (this year - conversions) / 3."""
    n = poisson_inverse(bh.expected_ip_arrivals(f.rd_spend, p.ip_yield, p.ip_base_rate), u_count)
    n1 = binomial_inverse(n, p.ip_class1_share, u_class)
    f.ip_count += n
    f.ip_class1 += n1
    f.ip_class2 += n - n1
    f.conversions += (f.conversion_base + n - f.conversions) / RD_YEARS


@compilable
def grow(f, p, z):
    """Age, revenue, staff, assets, revenue history, shares and R&D propensity (module docstring)."""
    f.age += 1
    f.ip_class2 -= f.ip_cited  # class II items cited in last year's application count no more
    f.ip_cited = 0
    g = bh.revenue_log_growth(
        p.revenue_growth_mean, f.growth_effect, p.revenue_growth_sd * z[0], f.fund_injection, f.revenue, p.fund_return
    )
    f.last_growth = g
    f.revenue = max(MIN_REVENUE, f.revenue * math.exp(g))
    f.staff = max(1.0, f.staff * math.exp(STAFF_GROWTH_ELASTICITY * g))
    f.assets = f.revenue * f.asset_ratio
    for k in range(HISTORY_YEARS - 1):
        f.revenue_history[k] = f.revenue_history[k + 1]
    f.revenue_history[HISTORY_YEARS - 1] = f.revenue
    for k in range(RD_YEARS - 1):
        f.rd_history[k] = f.rd_history[k + 1]
    f.tech_staff_share = min(1.0, max(0.0, f.tech_staff_share + SHARE_DRIFT_SD * z[1]))
    f.high_tech_revenue_share = min(1.0, max(0.0, f.high_tech_revenue_share + SHARE_DRIFT_SD * z[2]))
    f.rd_propensity = f.rd_propensity * math.exp(p.rd_ratio_drift_sd * z[3])


@compilable
def exits(f, p, policy, u_exit):
    """Leaving bits: ``u < p_close`` closes, ``p_close <= u < p_close + p_move`` (certified) moves away."""
    stage = f.stage
    if stage == OUTSIDE:
        base = p.exit_rate_outside
    elif stage == STARTUP:
        base = p.exit_rate_startup
    elif is_registered(stage):
        base = p.exit_rate_sme
    else:
        base = p.exit_rate_hte
    p_close, p_move = leave_probabilities(base, is_certified(stage), f.fund_injection > 0, p, policy)
    if u_exit < p_close:
        return CLOSED
    return MOVED_AWAY * (u_exit < p_close + p_move)


@compilable
def choose_rd(f, p, policy, voucher_probability, u_voucher):
    """Set rd_ratio and rd_spend under the policy in force; returns VOUCHER_USED if a startup or
    registered SME used a voucher (``u_voucher < voucher_probability``), else 0."""
    certified = is_certified(f.stage)
    profit = f.profit_margin * f.revenue
    tax = rules.marginal_tax_rate(profit, f.staff, f.assets, certified, policy["income_tax_rate"])
    deduction = rules.effective_super_deduction(
        f.manufacturing,
        is_registered(f.stage),
        policy["rd_super_deduction"],
        policy["rd_super_deduction_manufacturing"],
        policy["rd_super_deduction_tech_sme"],
    )
    in_stage = (f.stage >= VOUCHER_STAGE_CODES[0]) & (f.stage <= VOUCHER_STAGE_CODES[-1])
    used = in_stage & (u_voucher < voucher_probability)
    share = bh.voucher_share(used * policy["innovation_voucher_value"], f.rd_propensity * f.revenue)
    ratio = bh.rd_ratio_response(f.rd_propensity, tax, deduction, share, p.rd_price_elasticity)
    seeking = certified | rules.meets_non_rd_criteria(
        f.age, f.tech_staff_share, rules.core_ip(f.ip_class1, f.ip_class2), f.high_tech_revenue_share
    )
    coached = policy["coaching"] * (f.stage == RESERVE)
    reach = bh.bookkeeping_reach(
        p.rd_bunching_gap,
        policy["certification_reward"] * (1 - certified) + policy["recertification_reward"] * certified,
        p.application_cost,
        p.reward_preparation_weight,
        coached,
        p.coaching_efficacy,
    )
    ratio = bh.bunch_rd_ratio(ratio, rules.hte_rd_threshold(f.revenue), reach, seeking)
    f.rd_ratio = min(ratio, MAX_RD_RATIO)
    f.rd_spend = f.rd_ratio * f.revenue
    while rules.rd_ratio(f.rd_spend, f.revenue) < f.rd_ratio:  # rounding: a firm bunched at the threshold meets it
        f.rd_spend = np.nextafter(f.rd_spend, np.inf)
    f.rd_history[RD_YEARS - 1] = f.rd_spend
    return VOUCHER_USED * used


@compilable
def keep_certificate(f, p, policy, year, u):
    """A certified firm: re-certify if expired, else lose the certificate; then the yearly
    gazelle / leading test if it still holds one. Returns the event bits."""
    renewed = 0
    if rules.certificate_expired(f.cert_year, year):
        profit = f.profit_margin * f.revenue
        saving = bh.hte_tax_saving(profit, f.staff, f.assets, policy["income_tax_rate"])
        p_apply = bh.reapplication_probability(
            p.recert_apply_rate,
            policy["recertification_reward"],
            saving,
            p.application_value_weight,
            p.application_cost,
            policy["service_specialists"],
            p.specialist_efficacy,
        )
        if u[U_DECIDE] >= p_apply:
            lose_certificate(f, p, u[U_REGISTER])
            return LAPSED
        if u[U_PASS] >= recertification_pass_probability(p, policy, hte_eligible(f)):
            lose_certificate(f, p, u[U_REGISTER])
            return RENEWAL_FAILED
        f.cert_year, f.ip_cited, renewed = year, f.ip_class2, RENEWED
    cagr3 = rules.revenue_cagr(f.revenue_history[HISTORY_YEARS - 1], f.revenue_history[0], HISTORY_YEARS - 1)
    gazelle = rules.is_gazelle(True, f.age, f.revenue, cagr3)
    f.stage = rules.certified_stage(gazelle, rules.is_leading(True, f.revenue, f.rd_ratio))
    return renewed


@compilable
def lose_certificate(f, p, u_register):
    """A lost certificate: TECH_SME if SME-eligible and ``u_register < sme_renewal_rate``, else OUTSIDE."""
    registers = sme_eligible(f, p.sme_pass_mark) & (u_register < p.sme_renewal_rate)
    f.stage = TECH_SME if registers else OUTSIDE
    f.cert_year = np.nan


@compilable
def climb(f, p, policy, year, u):
    """An uncertified firm: apply and pass if HTE-eligible, else the registry evaluation. Returns the event bits."""
    applied = 0
    if hte_eligible(f):
        reserve = f.stage == RESERVE
        saving = bh.hte_tax_saving(f.profit_margin * f.revenue, f.staff, f.assets, policy["income_tax_rate"])
        p_apply = bh.application_probability(
            p.application_rate,
            policy["certification_reward"],
            saving,
            p.application_value_weight,
            p.application_cost,
            p.reserve_application_boost * reserve,
        )
        if u[U_DECIDE] < p_apply:
            if u[U_PASS] < certification_pass_probability(p, policy, reserve):
                f.stage, f.cert_year, f.reserve_years, f.ip_cited = HTE, year, 0, f.ip_class2
                return APPLIED | CERTIFIED
            applied = APPLIED | APPLICATION_FAILED
    return applied | evaluate_registry(f, p, u[U_REGISTER])


@compilable
def evaluate_registry(f, p, u):
    """The yearly registry evaluation of an uncertified firm (module docstring). Returns the event bits."""
    stage, eligible = f.stage, sme_eligible(f, p.sme_pass_mark)
    if is_registered(stage):
        if not eligible or u >= p.sme_renewal_rate:
            f.stage, f.reserve_years = OUTSIDE, 0
            return LEFT_REGISTRY
        if stage == RESERVE:
            f.reserve_years += 1
            if f.reserve_years >= rules.RESERVE_MAX_YEARS:
                f.stage, f.reserve_years = TECH_SME, 0
        return 0
    if stage == STARTUP:
        if eligible and u < p.startup_registration_rate:
            f.stage = TECH_SME
            return REGISTERED
        if f.age >= rules.INCUBATION_YEARS:
            f.stage = OUTSIDE
        return 0
    if eligible and u < p.outside_registration_rate:
        f.stage = TECH_SME
        return REGISTERED
    return 0


@compilable
def firm_year(f, p, policy, year, voucher_probability, z, u):
    """One year of firm record `f` in the module docstring's order; returns its event bits."""
    grow(f, p, z)
    left = exits(f, p, policy, u[U_EXIT])
    if left:
        return left
    events = choose_rd(f, p, policy, voucher_probability, u[U_VOUCHER])
    coached = policy["coaching"] * (f.stage == RESERVE)
    f.organisation = bh.coached_organisation(f.organisation, coached, p.coaching_efficacy)
    gain_ip(f, p, u[U_IP], u[U_IP_CLASS])
    if is_certified(f.stage):
        return events | keep_certificate(f, p, policy, year, u)
    return events | climb(f, p, policy, year, u)


def _entry_points(digest: str):
    """The compiled loops over firms; `digest` (of the compiled sources) is in their closure, which
    numba's cache key includes (`compiled`)."""

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def step_all(state, params, run, policy, year, voucher_probability, z, u, bits, counts):  # pragma: no cover
        _ = digest
        levers = policy[0]
        for i in range(state.size):
            r = run[i]
            bits[i] = firm_year(state[i], params[r], levers, year, voucher_probability[r], z[i], u[i])
            for e in range(len(EVENTS)):
                counts[r, e] += (bits[i] >> e) & 1

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def choose_rd_all(state, params, run, policy):  # pragma: no cover - compiled
        _ = digest
        for i in range(state.size):
            choose_rd(state[i], params[run[i]], policy[0], 0.0, 1.0)

    return step_all, choose_rd_all


_step_all, _choose_rd_all = _entry_points(sources_digest(rules, bh, sys.modules[__name__]))


def _run_index(state: np.ndarray, run: np.ndarray | None) -> np.ndarray:
    return np.zeros(state.size, dtype=np.int32) if run is None else np.ascontiguousarray(run, dtype=np.int32)


def _params(params) -> np.ndarray:
    return params if isinstance(params, np.ndarray) else params_table(params)


def step_bits(
    state: np.ndarray, params, policy: Mapping[str, float], year: int, voucher_probability, z, u, run=None, counts=None
) -> np.ndarray:
    """One year of every firm of `state` (module docstring), in place; returns each firm's event bits
    (bit e for ``EVENTS[e]``). ``voucher_probability`` is one value or one per row of `params`;
    ``counts`` (rows of `params` x `EVENTS`, int64), if given, gets each row's events added."""
    table = _params(params)
    vouchers = np.broadcast_to(np.asarray(voucher_probability, dtype=np.float64), (len(table),)).copy()
    bits = np.empty(state.size, dtype=np.int64)
    counts = np.zeros((len(table), len(EVENTS)), dtype=np.int64) if counts is None else counts
    z, u = (np.ascontiguousarray(x, dtype=DRAW_DTYPE) for x in (z, u))
    _step_all(state, table, _run_index(state, run), policy_record(policy), int(year), vouchers, z, u, bits, counts)
    return bits


def step_firms(
    state: np.ndarray, params, policy: Mapping[str, float], year: int, voucher_probability, z, u, run=None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`step_bits` as (alive mask, one mask per event of `EVENTS`)."""
    bits = step_bits(state, params, policy, year, voucher_probability, z, u, run)
    return (bits & (CLOSED | MOVED_AWAY)) == 0, {name: (bits >> e) & 1 == 1 for e, name in enumerate(EVENTS)}


def choose_rd_all(state: np.ndarray, params, policy: Mapping[str, float], run=None) -> None:
    """`choose_rd` for every firm of `state`, without vouchers (the start of a run), in place."""
    _choose_rd_all(state, _params(params), _run_index(state, run), policy_record(policy))


# --- year-level pieces shared by both engines --------------------------------------
YEAR = ("allocate_fund", "admit_to_reserve", "offer_vouchers", "step_firms", "enter")
"""A year's events in order, the one list of them: guidance fund to the high-growth candidates,
reserve-pool intake, vouchers on offer, every firm's step (`step_firms`), entries. `model.LadderModel`
and `engine` each have a method ``_<name>`` per event and `run_year` calls them in this order;
`meanfield` takes the same events in this order in expectation (fund in the survival shares)."""


def run_year(actor) -> None:
    """`YEAR`'s events of one year, in order, as ``actor``'s methods ``_<name>``."""
    for name in YEAR:
        getattr(actor, f"_{name}")()


def reserve_priority(gap):
    """The reserve pool's intake key (smallest first): near-eligible firms by their eligibility gap, firms
    already eligible last (they apply on their own; the pool is for firms to be brought up to the criteria)."""
    gap = np.asarray(gap, dtype=float)
    return np.where(gap > 0, gap, np.inf)


def stochastic_round(x, u):
    """floor(x) + [u < x - floor(x)]: an integer with expectation x."""
    whole = np.floor(x)
    return (whole + (u < x - whole)).astype(np.int64)


def fund_per_firm(fund: float, n_candidates, firm_scale: int):
    """Guidance fund per high-growth candidate agent: fund / (candidates x firm_scale); 0 without candidates."""
    n = np.asarray(n_candidates, dtype=float)
    return np.where(n > 0, fund / np.maximum(n, 1) / firm_scale, 0.0)


def voucher_probability(policy: Mapping[str, float], n_eligible, firm_scale: int):
    """min(1, vouchers / eligible firms), vouchers = budget / value / firm_scale (0 without a programme)."""
    value, budget = policy["innovation_voucher_value"], policy["innovation_voucher"]
    n = np.asarray(n_eligible, dtype=float)
    if value <= 0 or budget <= 0:
        return np.zeros_like(n)
    return np.where(n > 0, np.minimum(1.0, budget / value / firm_scale / np.maximum(n, 1)), 0.0)


def reserve_wanted(n_sme, intake_rate, policy: Mapping[str, float], firm_scale: int):
    """Firms the pool takes before rounding: reserve_intake_rate N_sme + reserve_pool_intake / firm_scale."""
    return intake_rate * n_sme + policy["reserve_pool_intake"] / firm_scale


def entry_means(p, policy: Mapping[str, float], n_registered, n_certified, firm_scale: int):
    """Poisson means of (startups, move-ins) per agent: (rate x firms + capacity) / firm_scale, with the
    registered (tech SME + reserve) and certified firms at the start of the year: entries scale with the
    region's register and certified firms as they are that year, so the register can grow (or shrink) as its
    figures do, rather than settle at a level set by the start year."""
    startups = (p.startup_entry_rate * n_registered + policy["incubator_capacity"]) / firm_scale
    move_ins = (p.move_in_rate * n_certified + policy["beijing_tianjin_attraction"]) / firm_scale
    return startups, move_ins
