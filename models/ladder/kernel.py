"""The yearly firm step, written once over arrays of firm attributes, with the
random numbers passed in.

`step_firms(s, p, policy, year, voucher_probability, z, u)` advances every firm
of the structure of arrays ``s`` (dict name -> array, one entry per firm) by one
year and returns which firms are still in the city and which events happened.
`agents.Firm.step` calls it with arrays of length 1 (the Mesa reference);
`engine` calls it for all firms of all runs at once. ``p`` holds the behavioural
rates (a `LadderParams`, or an object with the same attributes holding one value
per firm), ``policy`` the levers in force (`levers.active_levers`).

Random numbers (pre-drawn, independent, one row per firm)::

    z[:, 0..3] ~ Normal(0, 1): revenue shock, tech-staff drift, high-tech-revenue
                               drift, R&D-propensity drift
    u[:, U_EXIT]     closure / moving away      u[:, U_VOUCHER]  voucher
    u[:, U_IP]       core IP arrivals (inverse Poisson CDF)
    u[:, U_DECIDE]   (re-)application           u[:, U_PASS]     review
    u[:, U_REGISTER] registry evaluation, or registering after a lost certificate

so one firm-year takes ``DRAWS_PER_STEP = 4 + 6`` numbers. Each decision has its
own uniform, so "event iff u < p" gives every branch its probability exactly.

One year of a firm, in order (statutory rules in `rules`, behaviour in `behaviour`)::

    age += 1;  g = revenue_log_growth(mean, effect, sd z0, injection, R, fund_return)
    R' = max(MIN_REVENUE, R e^g);  staff' = max(1, staff e^(0.6 g));  assets = R' asset_ratio
    tech, hts += 0.02 z1, 0.02 z2 (clipped to [0, 1]);  propensity *= exp(drift_sd z3)
    closed   iff u_exit <  p_close = exit_probability(base[stage], specialist, ...)
    moved    iff p_close <= u_exit < p_close + move_out_rate [certified]
    R&D: ratio = min(MAX_RD_RATIO, bunch(rd_ratio_response(propensity, t, s, v)))
    IP += Poisson(ip_base_rate + ip_yield rd / 100)
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

Exited firms are computed like the others and masked out of every event; the
caller removes them. The year-level pieces both engines share (stochastic
rounding, fund split, voucher probability, entry means) are at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

import numba
import numpy as np
from scipy.stats import poisson

from models.ladder import behaviour as bh
from models.ladder import rules
from models.ladder.population import ATTRIBUTES
from models.ladder.rules import Stage

STAFF_GROWTH_ELASTICITY = 0.6
SHARE_DRIFT_SD = 0.02
MIN_REVENUE = 10.0
"""Revenue floor, 10k yuan (100,000 yuan), so ratios stay defined."""
MAX_RD_RATIO = 0.5
VOUCHER_STAGE_CODES = (int(Stage.STARTUP), int(Stage.TECH_SME), int(Stage.RESERVE))
"""Stages that may receive a voucher (consecutive codes)."""

N_NORMALS = 4
U_EXIT, U_VOUCHER, U_IP, U_DECIDE, U_PASS, U_REGISTER = range(6)
N_UNIFORMS = 6
DRAWS_PER_STEP = N_NORMALS + N_UNIFORMS
"""Random numbers one firm-year takes."""

_POISSON_DIRECT_MAX_MEAN = 30.0
"""Above this mean the inverse Poisson CDF is scipy's (exp(-mean) would lose precision)."""

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
"""Per-firm event masks `step_firms` returns."""

STATE = (*ATTRIBUTES, "rd_ratio", "reserve_years", "fund_injection", "last_growth")
"""Keys of a firm state: `population.ATTRIBUTES` plus rd_ratio, reserve_years,
fund_injection and last_growth. cert_year is NaN without a certificate;
revenue_history is (n, HISTORY_YEARS), oldest first, NaN before birth."""


def is_certified(stage: np.ndarray) -> np.ndarray:
    return stage >= int(Stage.HTE)


def is_registered(stage: np.ndarray) -> np.ndarray:
    return (stage == int(Stage.TECH_SME)) | (stage == int(Stage.RESERVE))


def hte_eligible(s: Mapping[str, np.ndarray]) -> np.ndarray:
    """`rules.is_hte_eligible` on the state."""
    return rules.is_hte_eligible(
        s["age"], s["rd_spend"], s["revenue"], s["tech_staff_share"], s["ip_count"] > 0, s["high_tech_revenue_share"]
    )


def sme_eligible(s: Mapping[str, np.ndarray], pass_mark) -> np.ndarray:
    """`rules.is_sme_eligible` on the state (score from `rules.sme_score`)."""
    score = rules.sme_score(s["tech_staff_share"], s["rd_ratio"], s["ip_count"])
    return rules.is_sme_eligible(s["staff"], s["revenue"], s["assets"], score, pass_mark, s["tech_staff_share"])


def cagr3(history: np.ndarray) -> np.ndarray:
    """Revenue CAGR over the last three years (NaN where the firm is younger)."""
    return rules.revenue_cagr(history[:, -1], history[:, 0], history.shape[1] - 1)


def poisson_from_uniform(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse Poisson CDF: the smallest k with P(K <= k) > u (so u ~ U[0, 1) gives K ~ Poisson(mean))."""
    mean = np.asarray(mean, dtype=float)
    u = np.asarray(u, dtype=float)
    if mean.shape != u.shape:
        mean = np.broadcast_to(mean, u.shape)
    k = np.zeros(u.shape, dtype=np.int64)
    big = mean > _POISSON_DIRECT_MAX_MEAN
    if big.any():
        k[big] = poisson.ppf(u[big], mean[big]).astype(np.int64)
    _poisson_small(np.ascontiguousarray(mean).ravel(), np.ascontiguousarray(u).ravel(), k.reshape(-1))
    return k


@numba.njit(cache=True, nogil=True)
def _poisson_small(mean: np.ndarray, u: np.ndarray, k: np.ndarray) -> None:  # pragma: no cover - compiled
    """k[i] for 0 < mean[i] <= `_POISSON_DIRECT_MAX_MEAN` by summing the pmf until it passes u[i]
    (one loop a firm, compiled: the pmf's terms are a running product, a numpy loop would redo every
    firm's sum for the slowest one)."""
    for i in range(mean.size):
        m = mean[i]
        if not (0.0 < m <= _POISSON_DIRECT_MAX_MEAN):
            continue
        term = np.exp(-m)
        cdf, j = term, 0
        while u[i] >= cdf and j <= 200:  # u within rounding of 1: the tail holds nothing representable
            j += 1
            term = term * m / j
            cdf = cdf + term
        k[i] = j


# --- the firm-year ------------------------------------------------------------------
def _no_events(firms: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Event masks for a branch no firm takes (skipping its work: one Mesa firm takes one branch)."""
    return {name: np.zeros(firms.shape, dtype=bool) for name in names}


def grow(s: dict, p, z: np.ndarray) -> None:
    """Age, revenue, staff, assets, revenue history, shares and R&D propensity (module docstring)."""
    s["age"] += 1
    g = bh.revenue_log_growth(
        p.revenue_growth_mean,
        s["growth_effect"],
        p.revenue_growth_sd * z[:, 0],
        s["fund_injection"],
        s["revenue"],
        p.fund_return,
    )
    s["last_growth"] = g
    s["revenue"] = np.maximum(MIN_REVENUE, s["revenue"] * np.exp(g))
    s["staff"] = np.maximum(1.0, s["staff"] * np.exp(STAFF_GROWTH_ELASTICITY * g))
    s["assets"] = s["revenue"] * s["asset_ratio"]
    history = s["revenue_history"]
    history[:, :-1] = history[:, 1:]
    history[:, -1] = s["revenue"]
    s["tech_staff_share"] = np.clip(s["tech_staff_share"] + SHARE_DRIFT_SD * z[:, 1], 0.0, 1.0)
    s["high_tech_revenue_share"] = np.clip(s["high_tech_revenue_share"] + SHARE_DRIFT_SD * z[:, 2], 0.0, 1.0)
    s["rd_propensity"] = s["rd_propensity"] * np.exp(p.rd_ratio_drift_sd * z[:, 3])


def leave_probabilities(base, certified, funded, p, policy: Mapping[str, float]) -> tuple:
    """(closure, moving away) probabilities of a firm-year: its stage's closure rate `base` after the
    specialist (certified firms) and fund effects, and ``move_out_rate`` for certified firms.
    `exits` draws against them; `meanfield` takes them as expected shares (`funded` a share there)."""
    p_close = bh.exit_probability(
        base, policy["service_specialists"] * certified, p.specialist_efficacy, funded, p.fund_exit_reduction
    )
    return p_close, p.move_out_rate * certified


def certification_pass_probability(p, policy: Mapping[str, float], reserve):
    """P(a first application passes review): coaching reaches reserve-pool firms only."""
    return bh.pass_probability(
        p.pass_rate, True, coaching=policy["coaching"] * reserve, coaching_efficacy=p.coaching_efficacy
    )


def recertification_pass_probability(p, policy: Mapping[str, float], eligible):
    """P(a re-application passes review): 0 unless HTE-eligible; service specialists remove failures."""
    specialist, efficacy = policy["service_specialists"], p.specialist_efficacy
    return bh.pass_probability(p.recert_pass_rate, eligible, specialist=specialist, specialist_efficacy=efficacy)


def exits(s: Mapping, p, policy: Mapping[str, float], u_exit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(closed, moved away): ``u < p_close`` closes, ``p_close <= u < p_close + p_move`` (certified) moves."""
    base = np.choose(
        s["stage"],
        [p.exit_rate_outside, p.exit_rate_startup, p.exit_rate_sme, p.exit_rate_sme] + [p.exit_rate_hte] * 3,
    )
    p_close, p_move = leave_probabilities(base, is_certified(s["stage"]), s["fund_injection"] > 0, p, policy)
    closed = u_exit < p_close
    moved = ~closed & (u_exit < p_close + p_move)
    return closed, moved


def choose_rd(
    s: dict, p, policy: Mapping[str, float], voucher_probability=0.0, u_voucher: np.ndarray | None = None
) -> np.ndarray:
    """Set rd_ratio and rd_spend under the policy in force; returns who used a voucher
    (a startup or registered SME with ``u_voucher < voucher_probability``; none without draws)."""
    stage, certified = s["stage"], is_certified(s["stage"])
    profit = s["profit_margin"] * s["revenue"]
    tax = rules.marginal_tax_rate(profit, s["staff"], s["assets"], certified, policy["income_tax_rate"])
    deduction = rules.effective_super_deduction(
        s["manufacturing"],
        is_registered(stage),
        policy["rd_super_deduction"],
        policy["rd_super_deduction_manufacturing"],
        policy["rd_super_deduction_tech_sme"],
    )
    used = np.zeros(stage.shape, dtype=bool)
    if u_voucher is not None:
        in_stage = (stage >= min(VOUCHER_STAGE_CODES)) & (stage <= max(VOUCHER_STAGE_CODES))
        used = in_stage & (u_voucher < voucher_probability)
    share = bh.voucher_share(used * policy["innovation_voucher_value"], s["rd_propensity"] * s["revenue"])
    ratio = bh.rd_ratio_response(s["rd_propensity"], tax, deduction, share, p.rd_price_elasticity)
    seeking = certified | rules.meets_non_rd_criteria(
        s["age"], s["tech_staff_share"], s["ip_count"] > 0, s["high_tech_revenue_share"]
    )
    ratio = bh.bunch_rd_ratio(ratio, rules.hte_rd_threshold(s["revenue"]), p.rd_bunching_gap, seeking)
    s["rd_ratio"] = np.minimum(ratio, MAX_RD_RATIO)
    s["rd_spend"] = s["rd_ratio"] * s["revenue"]
    return used


def keep_certificates(s: dict, p, policy: Mapping, year: int, u: np.ndarray, firms: np.ndarray) -> dict:
    """Certified `firms` (mask): re-certify if expired, else lose the certificate; then the yearly
    gazelle / leading test for those still certified."""
    if not firms.any():
        return _no_events(firms, ("recertifications", "cert_lapsed", "cert_failed"))
    expired = firms & rules.certificate_expired(s["cert_year"], year)
    profit = s["profit_margin"] * s["revenue"]
    saving = bh.hte_tax_saving(profit, s["staff"], s["assets"], policy["income_tax_rate"])
    specialist = policy["service_specialists"]
    p_apply = bh.reapplication_probability(
        p.recert_apply_rate,
        policy["recertification_reward"],
        saving,
        p.application_value_weight,
        p.application_cost,
        specialist,
        p.specialist_efficacy,
    )
    lapsed = expired & (u[:, U_DECIDE] >= p_apply)
    p_pass = recertification_pass_probability(p, policy, hte_eligible(s))
    failed = expired & ~lapsed & (u[:, U_PASS] >= p_pass)
    renewed = expired & ~lapsed & ~failed
    lost = lapsed | failed
    registers = sme_eligible(s, p.sme_pass_mark) & (u[:, U_REGISTER] < p.sme_renewal_rate)
    s["cert_year"] = np.where(lost, np.nan, np.where(renewed, year, s["cert_year"])).astype(s["cert_year"].dtype)
    holding = firms & ~lost
    gazelle = rules.is_gazelle(True, s["age"], s["revenue"], cagr3(s["revenue_history"]))
    leading = rules.is_leading(True, s["revenue"], s["rd_ratio"])
    stage = np.where(lost, np.where(registers, int(Stage.TECH_SME), int(Stage.OUTSIDE)), s["stage"])
    s["stage"] = np.where(holding, rules.certified_stage(gazelle, leading), stage).astype(s["stage"].dtype)
    return {"recertifications": renewed, "cert_lapsed": lapsed, "cert_failed": failed}


def climb(s: dict, p, policy: Mapping, year: int, u: np.ndarray, firms: np.ndarray) -> dict:
    """Uncertified `firms` (mask): apply and pass if HTE-eligible, else the registry evaluation."""
    if not firms.any():
        names = ("applications", "new_certifications", "failed_applications", "registrations", "registry_exits")
        return _no_events(firms, names)
    stage = s["stage"]
    applies, certified = _apply_and_pass(s, p, policy, u, firms & hte_eligible(s))
    events = evaluate_registry(s, p, u[:, U_REGISTER], firms & ~certified)
    s["stage"] = np.where(certified, int(Stage.HTE), s["stage"]).astype(stage.dtype)
    s["cert_year"] = np.where(certified, year, s["cert_year"]).astype(s["cert_year"].dtype)
    s["reserve_years"] = np.where(certified, 0, s["reserve_years"]).astype(s["reserve_years"].dtype)
    failed = applies & ~certified
    return events | {"applications": applies, "new_certifications": certified, "failed_applications": failed}


def _apply_and_pass(s: Mapping, p, policy: Mapping, u: np.ndarray, candidates: np.ndarray) -> tuple:
    """(applies, certified) among HTE-eligible uncertified `candidates` (reserve: boost and coaching)."""
    if not candidates.any():
        return candidates, candidates
    reserve = s["stage"] == int(Stage.RESERVE)
    profit = s["profit_margin"] * s["revenue"]
    saving = bh.hte_tax_saving(profit, s["staff"], s["assets"], policy["income_tax_rate"])
    p_apply = bh.application_probability(
        p.application_rate,
        policy["certification_reward"],
        saving,
        p.application_value_weight,
        p.application_cost,
        p.reserve_application_boost * reserve,
    )
    applies = candidates & (u[:, U_DECIDE] < p_apply)
    return applies, applies & (u[:, U_PASS] < certification_pass_probability(p, policy, reserve))


def evaluate_registry(s: dict, p, u: np.ndarray, firms: np.ndarray) -> dict:
    """The yearly registry evaluation of `firms` (mask; module docstring)."""
    stage, years = s["stage"], s["reserve_years"]
    eligible = sme_eligible(s, p.sme_pass_mark)
    registered = firms & is_registered(stage)
    leaves = registered & (~eligible | (u >= p.sme_renewal_rate))
    in_pool = registered & ~leaves & (stage == int(Stage.RESERVE))
    years = np.where(in_pool, years + 1, np.where(leaves, 0, years))
    pool_over = in_pool & (years >= rules.RESERVE_MAX_YEARS)
    years = np.where(pool_over, 0, years)
    startup = firms & (stage == int(Stage.STARTUP))
    outside = firms & (stage == int(Stage.OUTSIDE))
    registers = eligible & (
        (startup & (u < p.startup_registration_rate)) | (outside & (u < p.outside_registration_rate))
    )
    incubation_over = startup & ~registers & (s["age"] >= rules.INCUBATION_YEARS)
    new = np.where(registers | pool_over, int(Stage.TECH_SME), stage)
    new = np.where(leaves | incubation_over, int(Stage.OUTSIDE), new)
    s["stage"], s["reserve_years"] = new.astype(stage.dtype), years.astype(s["reserve_years"].dtype)
    return {"registrations": registers, "registry_exits": leaves}


_BRANCH_WRITES = ("stage", "cert_year", "reserve_years")
"""The attributes a ladder branch (`keep_certificates`, `climb`) changes."""


def _take_params(p, index: np.ndarray):
    values = vars(p)
    if not any(np.ndim(v) for v in values.values()):
        return p
    return SimpleNamespace(**{k: v[index] if np.ndim(v) else v for k, v in values.items()})


def _on_subset(branch, s: dict, p, policy: Mapping, year: int, u: np.ndarray, firms: np.ndarray) -> dict:
    """`branch` computed on the firms of mask `firms` only (gathered, then written back): the
    certified are a few percent of all firms, so the array engine skips work on the rest."""
    index = np.flatnonzero(firms)
    if index.size == firms.size or index.size == 0:
        return branch(s, p, policy, year, u, firms)
    sub = {k: v[index] for k, v in s.items()}
    events = branch(sub, _take_params(p, index), policy, year, u[index], np.ones(index.size, dtype=bool))
    for k in _BRANCH_WRITES:
        s[k][index] = sub[k]
    full = {}
    for name, happened in events.items():
        full[name] = np.zeros(firms.shape, dtype=bool)
        full[name][index] = happened
    return full


def step_firms(
    s: dict, p, policy: Mapping[str, float], year: int, voucher_probability, z: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One year of every firm in `s` (module docstring); returns (alive mask, event masks by `EVENTS`)."""
    grow(s, p, z)
    closed, moved = exits(s, p, policy, u[:, U_EXIT])
    alive = ~(closed | moved)
    vouchers = choose_rd(s, p, policy, voucher_probability, u[:, U_VOUCHER])
    mean_ip = bh.expected_ip_arrivals(s["rd_spend"], p.ip_yield, p.ip_base_rate)
    s["ip_count"] = s["ip_count"] + poisson_from_uniform(mean_ip, u[:, U_IP]).astype(s["ip_count"].dtype)
    certified = is_certified(s["stage"])
    events = _on_subset(keep_certificates, s, p, policy, year, u, alive & certified)
    events |= climb(s, p, policy, year, u, alive & ~certified)
    events |= {"exits_closed": closed, "exits_moved_away": moved, "vouchers_used": alive & vouchers}
    return alive, {name: events[name] & (alive | name.startswith("exits")) for name in EVENTS}


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


def entry_means(p, policy: Mapping[str, float], base_sme, base_certified, firm_scale: int):
    """Poisson means of (startups, move-ins) per agent: (rate x base + capacity) / firm_scale."""
    startups = (p.startup_entry_rate * base_sme + policy["incubator_capacity"]) / firm_scale
    move_ins = (p.move_in_rate * base_certified + policy["beijing_tianjin_attraction"]) / firm_scale
    return startups, move_ins
