"""Initial firms (and entrants) as attribute arrays, built from observed stage counts.

``build_population(stage_counts, start_year, params, rng)`` returns a dict of
equal-length numpy arrays, one entry per firm, with the keys in `ATTRIBUTES`.
Stage names are the lower-case `Stage` names: "outside", "startup", "tech_sme",
"reserve", "hte", "gazelle", "leading". "hte" counts certified firms not listed
separately as gazelle or leading: give the plan's certified total as "hte" when
no split is known; the yearly definition test sorts them from the first step on.

Distributions (all assumptions unless stated; money in 10k yuan)::

    log revenue       ~ Normal(log(firm_size_scale median[stage]), sd[stage])
                        median/sd: startup 100/1.0, tech_sme 600/1.2, reserve 1,500/1.0,
                        outside 1,000/1.3, hte 3,000/1.4, gazelle 5,000/1.0,
                        leading 150,000/0.5 (not scaled: the definition sets it);
                        firm_size_scale (params) from the R&D figures
    log staff         = -0.7 + 0.6 log revenue + Normal(0, 0.4), at least 1
                        (about 40 staff at 15 million yuan revenue)
    assets            = revenue * asset_ratio, log asset_ratio ~ Normal(0, 0.5)
    tech_staff_share  ~ Beta(3, 7)            (mean 0.30)
    high_tech_revenue_share ~ Beta(4, 2)      (mean 0.67)
    core IP items     ~ Poisson(mean[stage])  startup 0.5, tech_sme 1.5, reserve 2.5,
                                              outside 0.5, hte 4, gazelle 5, leading 20,
                        class I ~ Poisson(ip_class1_share mean), class II the rest (none used yet)
    tech_level        ~ Beta(7, 2)            IP merit share of the innovation score (mean 0.78)
    organisation      ~ 20 Beta(7, 2)         organisation points of the score (mean 15.6),
                        correlated with tech_level through a shared gamma part
    conversion_base   ~ Exponential(conversion_base_mean)                 (params)
    conversions       = conversion_base + expected IP arrivals at the start R&D
    log R&D propensity ~ Normal(log rd_ratio_mean, rd_ratio_sd)           (params)
                        times 1.5 for startups
    age               = startups: 0 for a year's entrants; at the start 0 or 1 in equal shares (the two
                        yearly cohorts of `STARTUP_COHORTS`); else 1 + Poisson(mean[stage] - 1)
                        (tech_sme/reserve 6, outside 8, hte 10, gazelle 5, leading 15)
    manufacturing     ~ Bernoulli(manufacturing_share)                   (params)
    growth_effect     ~ Normal(0, revenue_growth_firm_sd)                 (params)
    profit_margin     ~ Normal(profit_margin_mean, profit_margin_sd)      (params)
    cert_year         = start_year - a, a in {0, 1, 2} in the shares ``cert_ages`` (exactly, in random order)
                        (the caller's, e.g. from the yearly certification lists; evenly
                        spread without them) for certified firms, else NaN
    revenue_history   = the last four years' revenue (t-3 .. t), backcast with
                        the growth process (gazelles at 30% a year); NaN before birth
    rd_history        = the start R&D ratio times the last three years' revenue

Firms are drawn conditional on their stage being lawful: certified firms meet
the HTE criteria (their R&D ratio after bunching at the threshold), registered
SMEs (tech_sme, reserve) pass the registry rule with ``params.sme_pass_mark``,
leading firms meet the leading definition. The R&D ratio at the start is the
propensity (bunched for certified and reserve firms); the model re-derives it
under the start year's policy.

* Certified firms: the R&D propensity is drawn from the lognormal truncated to
  [threshold (1 - rd_bunching_gap), inf), so the ratio the model re-derives under the
  start year's policy (bunched, and never below the propensity) meets the threshold
  in every one of the three years; the other criteria (the innovation score among
  them) by rejection, the tech-staff, IP and high-tech-revenue criteria as soon
  as those attributes are drawn (they are independent of the rest: the same
  distribution, sooner). Every certified firm meets the criteria at the start, with
  its class II IP counted as unused (acquired since its certificate: assumption).
* Registered SMEs: drawn exactly from the stated distributions conditioned on
  passing, without rejecting on the R&D propensity (which failed for a high
  pass mark and low R&D). Given a firm's other attributes, it passes iff its
  propensity p >= c, the smallest propensity whose (bunched) ratio scores
  enough (c = inf if none does). So the conditional density is::

      f(others, p | lawful) ∝ f(others) [size, tech staff ok] S(c) · f(p | p >= c)

  with S(c) = P(p >= c) under the lognormal. The cutoff depends on the other
  attributes only through the registry score's cells: the tech-staff band b, the
  IP level l = min(IP count, 5) (the IP points stop there) and, for reserve firms
  (seeking: bunched), the HTE threshold h of their revenue. So, with W(h, b) =
  sum_l P(l) S(c(h, b, l)), a candidate's tech-staff share (and a reserve
  firm's size) is accepted with probability W(h, b) / max W, its IP level drawn
  from P(l) S(c) / W(h, b), its IP count from the Poisson given the level and its
  class I items as Binomial(count, ip_class1_share) (the two Poisson classes
  given their sum): f(skills | lawful) ∝ f(skills) S(c) exactly, rejecting on one
  Beta draw instead of on the skills, and a propensity below c is replaced by a
  draw from the lognormal truncated to [c, inf) (inverse CDF in the upper tail).
  tests/models/ladder/test_ladder_population.py compares it with plain rejection
  by two-sample tests.
* Certificate ages: dealt to the candidates from decks of n ages in the ``cert_ages``
  shares exactly, in random order (n the firms wanted), so the kept firms' ages follow
  the shares up to the (small) differences in the criteria's pass rates by age.

How: one compiled loop (numba) per run draws the candidates one at a time from that
run's own generator (``np.random.Generator`` inside compiled code), writes each into
its firm record (`records.STATE_DTYPE`), tests it with the rules themselves (`rules`,
`kernel.hte_eligible` on the record, as the step reads it) and keeps it or draws the
next in its place; every attribute is a draw of the distribution above, by samplers chosen for their cost and
exact: Betas and the whole-number Gamma parts as sums of standard exponentials, the IP count by the inverse CDF
from a table and its class I items binomially given it (the two Poisson classes given their sum), no growth
drawn for the years before a firm's birth (a newborn entrant's backcast draws nothing). `draw_states`
fills one record array for many runs (the array engine's start and entrants),
`build_population` is its one-run form as attribute arrays (the Mesa reference). A
run's firms depend on its generator alone.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Mapping, Sequence

import numba
import numpy as np

from models.ladder import behaviour as bh
from models.ladder import kernel, rules
from models.ladder.compiled import compilable, sources_digest
from models.ladder.normal import ndtr, ndtri
from models.ladder.params import LadderParams
from models.ladder.records import ATTRIBUTES, HISTORY_YEARS, RD_YEARS, STATE_DTYPE, params_table
from models.ladder.rules import Stage

STARTUP_COHORTS = 2
"""Startups at the start, when no figure is published: about two yearly cohorts of entrants."""
UNIFORM_CERT_AGES = (1 / 3, 1 / 3, 1 / 3)
"""Certificate ages (0, 1, 2 years) without yearly lists: evenly spread."""
DRAW_PARAMS = (
    "conversion_base_mean",
    "firm_size_scale",
    "ip_base_rate",
    "ip_class1_share",
    "ip_yield",
    "manufacturing_share",
    "profit_margin_mean",
    "profit_margin_sd",
    "rd_bunching_gap",
    "rd_ratio_mean",
    "rd_ratio_sd",
    "revenue_growth_firm_sd",
    "revenue_growth_mean",
    "revenue_growth_sd",
    "sme_pass_mark",
)
"""The rates a firm's draw reads (``p.<rate>`` in this module): no other rate changes a drawn population
(tests/models/ladder/test_ladder_population.py checks both), so the engine keys kept start populations on these."""

# stage -> (revenue median, log-sd, mean core IP, mean age); assumptions
_PROFILE: dict[Stage, tuple[float, float, float, float]] = {
    Stage.OUTSIDE: (1_000.0, 1.3, 0.5, 8.0),
    Stage.STARTUP: (100.0, 1.0, 0.5, 0.0),
    Stage.TECH_SME: (600.0, 1.2, 1.5, 6.0),
    Stage.RESERVE: (1_500.0, 1.0, 2.5, 6.0),
    Stage.HTE: (3_000.0, 1.4, 4.0, 10.0),
    Stage.GAZELLE: (5_000.0, 1.0, 5.0, 5.0),
    Stage.LEADING: (150_000.0, 0.5, 20.0, 15.0),
}
PROFILE = np.array([_PROFILE[stage] for stage in Stage])
"""`_PROFILE` as rows by stage code (what compiled code reads)."""


def _poisson_cdf(mean: float, size: int = 100) -> np.ndarray:
    """P(K <= k), k = 0 .. size - 1, of K ~ Poisson(mean) (all ones for mean <= 0), summed upwards from exp(-mean)."""
    term, total, cdf = math.exp(-max(mean, 0.0)), 0.0, np.ones(size)
    for k in range(size if mean > 0 else 0):
        total, term = total + term, term * mean / (k + 1)
        cdf[k] = min(total, 1.0)
    return cdf


AGE_CDF = np.array([_poisson_cdf(mean_age - 1.0) for mean_age in PROFILE[:, 3]])
"""Per stage, the CDF of age - 1 ~ Poisson(mean age - 1) up to 99 (the mass above is below 1e-40 at the largest
mean, 14): ages drawn by the inverse CDF from this table (compiled in as a constant), not by the Poisson sampler
each candidate."""
IP_CDF = np.array([_poisson_cdf(mean_ip) for mean_ip in PROFILE[:, 2]])
"""Per stage, the CDF of the core IP count ~ Poisson(mean IP) up to 99 (the mass above is below 1e-30 at the
largest mean, 20): counts drawn by the inverse CDF from this table, as the ages are."""
_TECH_STAFF_BETA = (3, 7)
"""Beta shape of tech_staff_share (whole numbers: `_beta`)."""
_HIGH_TECH_BETA = (4, 2)
"""Beta shape of high_tech_revenue_share (whole numbers: `_beta`)."""
_STAFF_BANDS = len(rules.SME_STAFF_BANDS) + 1
"""Tech-staff bands of the registry score, band 0 below the first edge (not a tech SME)."""
_IP_CAP = next(n for n in range(1000) if rules.sme_score(0.0, 0.0, n) == rules.sme_score(0.0, 0.0, n + 1))
"""IP count from which the registry score's IP points stop growing (5: 6 points an item, at most 30)."""
_CAPABILITY_BETA = (7.0, 2)
"""Beta shape of tech_level and of organisation / 20 (mean 7 / 9 = 0.78; assumption, set so that about one
registered SME in ten meets every criterion: scripts/ladder_shares.py); the second a whole number (`_gamma`)."""
_CAPABILITY_SHARED = 0.7
"""Share of the Beta's first gamma part that tech_level and organisation share (assumption)."""
_STARTUP_PROPENSITY_FACTOR = 1.5
"""Startups are more R&D-intensive than established firms (assumption)."""
_GAZELLE_BACKCAST_GROWTH = 0.30
_LOWEST_HTE_THRESHOLDS = (0.03, 0.04, 0.05)
"""Every value `rules.hte_rd_threshold` takes (the lowest registry cutoff is at one of them)."""
_TRIES_PER_FIRM, _MIN_TRIES = 10_000, 1_000_000
"""Candidates a stage's firms may take before the draw gives up: `_TRIES_PER_FIRM` a firm (an acceptance
rate under 1/10,000), at least `_MIN_TRIES` (a few firms at an acceptance rate under 1/1,000 are drawn)."""
_GAVE_UP, _UNREACHABLE = 1, 2
HTE, GAZELLE, LEADING, STARTUP, RESERVE = (
    int(s) for s in (Stage.HTE, Stage.GAZELLE, Stage.LEADING, Stage.STARTUP, Stage.RESERVE)
)


def stage_from_name(name: str) -> Stage:
    """Stage for a lower-case stage name, with a hint on typos."""
    names = [s.name.lower() for s in Stage]
    if name not in names:
        match = difflib.get_close_matches(name, names, 1)
        hint = f" (did you mean {match[0]!r}?)" if match else ""
        raise ValueError(f"unknown stage {name!r}{hint}; known: {', '.join(names)}")
    return Stage[name.upper()]


# --- one candidate firm, compiled: record f, generator rng, rates p -----------------------
@compilable
def _size(f, rng, stage, p):
    """Revenue (medians times ``firm_size_scale``, but a leading firm's: its definition sets it), assets and
    staff."""
    median = PROFILE[stage, 0] * (1.0 if stage == LEADING else p.firm_size_scale)
    f.revenue = math.exp(math.log(median) + PROFILE[stage, 1] * rng.standard_normal())
    f.asset_ratio = math.exp(0.5 * rng.standard_normal())
    f.assets = f.revenue * f.asset_ratio
    f.staff = max(1.0, math.exp(-0.7 + 0.6 * math.log(f.revenue) + 0.4 * rng.standard_normal()))


@compilable
def _skills(f, rng, stage, p):
    """Tech-staff share, core IP and the high-tech revenue share: with the age (at least a year for every
    certified firm), what the HTE criteria read but R&D and the score, so a certified candidate failing them
    is rejected before anything else is drawn (`_candidate`). Registry candidates: `_registry_accepts`."""
    f.stage = stage
    f.tech_staff_share = _beta(rng, *_TECH_STAFF_BETA)
    f.ip_count = _poisson_from(IP_CDF[stage], rng.random())  # the two Poisson classes given their sum
    f.ip_class1 = kernel.binomial_inverse(f.ip_count, p.ip_class1_share, rng.random())
    f.ip_class2 = f.ip_count - f.ip_class1
    f.high_tech_revenue_share = _beta(rng, *_HIGH_TECH_BETA)


@compilable
def _may_be_certified(f):
    """The HTE criteria `_skills` draws are met (the age criterion holds for every certified firm)."""
    has_ip = rules.core_ip(f.ip_class1, f.ip_class2)
    return rules.meets_non_rd_criteria(rules.MIN_AGE_YEARS, f.tech_staff_share, has_ip, f.high_tech_revenue_share)


@compilable
def _gamma(rng, shape):
    """Gamma(shape, 1) for a whole-number shape: a sum of `shape` standard exponentials (exact, and a fraction
    of the general sampler's cost)."""
    total = 0.0
    for _ in range(shape):
        total += rng.standard_exponential()
    return total


@compilable
def _beta(rng, a, b):
    """Beta(a, b) for whole-number shapes, as Gamma(a) / (Gamma(a) + Gamma(b)) (`_gamma`)."""
    x = _gamma(rng, a)
    return x / (x + _gamma(rng, b))


@compilable
def _poisson_from(cdf, u):
    """The smallest k with u < cdf[k] (the last k if none): a Poisson draw by the inverse CDF from a table."""
    k = 0
    while k < cdf.size - 1 and u >= cdf[k]:
        k += 1
    return k


@compilable
def _rest(f, rng, stage, p, year, cert_age, start):
    """The score's firm attributes, R&D propensity, age, certificate year, growth effect, revenue and R&D
    histories and R&D spend (module docstring)."""
    a, b, rho = _CAPABILITY_BETA[0], _CAPABILITY_BETA[1], _CAPABILITY_SHARED
    shared = rng.gamma(rho * a, 1.0)  # A_i = S + E_i, B_i: A_i / (A_i + B_i) ~ Beta(a, b), correlated by S
    own = shared + rng.gamma((1.0 - rho) * a, 1.0)
    f.tech_level = own / (own + _gamma(rng, b))
    own = shared + rng.gamma((1.0 - rho) * a, 1.0)
    f.organisation = 20.0 * own / (own + _gamma(rng, b))
    f.conversion_base = p.conversion_base_mean * rng.standard_exponential()
    propensity = _propensity(rng, stage, f.revenue, p)
    if stage == STARTUP:  # entrants are newborn; at the start, the STARTUP_COHORTS cohorts the count assumes
        f.age = math.floor(STARTUP_COHORTS * rng.random()) if start else 0
    else:
        f.age = 1 + _poisson_from(AGE_CDF[stage], rng.random())
    f.cert_year = math.nan
    if kernel.is_certified(stage):
        f.cert_year = year - cert_age
        f.age = max(f.age, cert_age + rules.MIN_AGE_YEARS)
    f.growth_effect = p.revenue_growth_firm_sd * rng.standard_normal()
    _backcast(f, rng, stage, p)
    _start_rd(f, stage, p, propensity)
    return propensity


@compilable
def _propensity(rng, stage, revenue, p):
    """log propensity ~ Normal(log rd_ratio_mean, rd_ratio_sd) (x1.5 for startups); for certified firms
    truncated to [threshold (1 - rd_bunching_gap), inf) by the inverse CDF (module docstring)."""
    certified = kernel.is_certified(stage)
    cutoff = rules.hte_rd_threshold(revenue) * (1.0 - p.rd_bunching_gap)
    if certified and p.rd_ratio_sd > 0:
        return _truncated(rng, cutoff, _survival(cutoff, p), p)
    factor = _STARTUP_PROPENSITY_FACTOR if stage == STARTUP else 1.0
    propensity = math.exp(math.log(p.rd_ratio_mean) + p.rd_ratio_sd * rng.standard_normal()) * factor
    return max(propensity, cutoff) if certified else propensity  # no spread: raised to the cutoff


@compilable
def _truncated(rng, cutoff, s, p):
    """A draw of the propensity's lognormal truncated to [cutoff, inf), S(cutoff) = s, by the inverse CDF."""
    z = -ndtri(s * (1.0 - rng.random()))
    return max(cutoff, math.exp(math.log(p.rd_ratio_mean) + p.rd_ratio_sd * z))


@compilable
def _survival(cutoff, p):
    """P(propensity >= cutoff) under log p ~ Normal(log rd_ratio_mean, rd_ratio_sd)."""
    if p.rd_ratio_sd == 0:
        return 1.0 * (p.rd_ratio_mean >= cutoff)
    return ndtr(-(math.log(cutoff) - math.log(p.rd_ratio_mean)) / p.rd_ratio_sd)


@compilable
def _backcast(f, rng, stage, p):
    """The last four years' revenue (t-3 .. t), backcast with the growth process (gazelles at 30% a
    year); NaN before birth."""
    mean = _GAZELLE_BACKCAST_GROWTH if stage == GAZELLE else p.revenue_growth_mean
    revenue = f.revenue
    f.revenue_history[HISTORY_YEARS - 1] = revenue
    for k in range(HISTORY_YEARS - 2, -1, -1):
        if HISTORY_YEARS - 1 - k > f.age:  # before birth: no draw (a newborn entrant draws none)
            f.revenue_history[k] = math.nan
            continue
        revenue = revenue / math.exp(mean + f.growth_effect + p.revenue_growth_sd * rng.standard_normal())
        f.revenue_history[k] = revenue


@compilable
def _start_rd(f, stage, p, propensity):
    """The propensity, R&D spend at the start (the propensity, bunched for seekers), the same ratio over the
    last three years' revenue as the R&D history, and the converted results that go with it (from the
    propensity in double precision: its record holds it in single)."""
    f.rd_propensity = propensity
    seeking = kernel.is_certified(stage) or stage == RESERVE
    ratio = bh.bunch_rd_ratio(propensity, rules.hte_rd_threshold(f.revenue), p.rd_bunching_gap, seeking)
    f.rd_spend = ratio * f.revenue
    f.rd_ratio = f.rd_spend / f.revenue
    for k in range(RD_YEARS):
        f.rd_history[k] = ratio * f.revenue_history[HISTORY_YEARS - RD_YEARS + k]
    f.conversions = f.conversion_base + bh.expected_ip_arrivals(f.rd_spend, p.ip_yield, p.ip_base_rate)


@compilable
def _needed_ratio(tech_staff_share, ip_count, pass_mark):
    """Smallest R&D ratio giving a registry score >= pass_mark (inf where none does)."""
    if rules.sme_score(tech_staff_share, 0.0, ip_count) >= pass_mark:
        return 0.0
    for edge in rules.SME_RD_BANDS:
        if rules.sme_score(tech_staff_share, edge, ip_count) >= pass_mark:
            return edge
    return math.inf


@compilable
def _propensity_cutoff(needed, threshold, gap, seeking):
    """Smallest propensity whose start ratio (bunched if seeking) reaches `needed`."""
    if seeking and threshold >= needed:
        return min(needed, threshold * (1.0 - gap))
    return needed


@compilable
def _staff_band(tech_staff_share):
    """Bands of `rules.SME_STAFF_BANDS` reached (0: not a tech SME)."""
    band = 0
    for edge in rules.SME_STAFF_BANDS:
        band += tech_staff_share >= edge
    return band


@compilable
def _threshold_index(threshold):
    """Index of the HTE R&D threshold in `_LOWEST_HTE_THRESHOLDS` (the nearest: they are the rule's values)."""
    best = 0
    for h in range(len(_LOWEST_HTE_THRESHOLDS)):
        if abs(threshold - _LOWEST_HTE_THRESHOLDS[h]) < abs(threshold - _LOWEST_HTE_THRESHOLDS[best]):
            best = h
    return best


@compilable
def _registry_tables(stage, p):
    """What `_registry_accepts` reads, by HTE threshold h (the reserve's cutoff depends on it), staff band b
    and IP level l (`_IP_CAP`: the score's IP points stop there): cutoff c and S(c); the cell's weight
    W(h, b) = sum_l P(l) S(c) and the cumulative P(l | h, b) = P(l) S(c) / W(h, b); the largest weight
    (0: no firm of `stage` can pass); and P(IP count < `_IP_CAP`). Empty arrays for other stages."""
    registry = kernel.is_registered(stage)
    n_h, n_b, n_l = len(_LOWEST_HTE_THRESHOLDS) * registry, _STAFF_BANDS * registry, (_IP_CAP + 1) * registry
    cutoff, survival, cdf = np.zeros((n_h, n_b, n_l)), np.zeros((n_h, n_b, n_l)), np.zeros((n_h, n_b, n_l))
    weight, level = np.zeros((n_h, n_b)), np.zeros(n_l)
    mean, term, below = PROFILE[stage, 2], math.exp(-PROFILE[stage, 2]), 0.0
    for count in range(n_l - 1):  # P(level): the count's Poisson pmf, the last level its upper tail
        level[count], below, term = term, below + term, term * mean / (count + 1)
    if n_l:
        level[n_l - 1] = max(0.0, 1.0 - below)
    for h in range(n_h):
        for b in range(1, n_b):
            for count in range(n_l):
                needed = _needed_ratio(rules.SME_STAFF_BANDS[b - 1], count, p.sme_pass_mark)
                c = _propensity_cutoff(needed, _LOWEST_HTE_THRESHOLDS[h], p.rd_bunching_gap, stage == RESERVE)
                cutoff[h, b, count], survival[h, b, count] = c, _survival(c, p)
                weight[h, b] += level[count] * survival[h, b, count]
                cdf[h, b, count] = weight[h, b]
            if weight[h, b] > 0:
                cdf[h, b] /= weight[h, b]
    return cutoff, survival, cdf, weight, (weight.max() if weight.size else 0.0), below


@compilable
def _registry_accepts(f, rng, stage, p, tables):
    """Draw a registry candidate's skills and size and accept or reject them (module docstring): (accepted,
    cutoff c, S(c)). The staff band b (and, seeking, the size and so the threshold h) is accepted with
    probability W(h, b) / max W, then the IP level is drawn from P(l | h, b), its count and classes from
    the Poisson given the level: f(skills | accepted) ∝ f(skills) S(c) exactly, with one Beta draw a try.
    A registered SME not seeking certification has a cutoff its size does not change, so its size is drawn
    only once its skills pass (the tests are independent: the same distribution, sooner)."""
    cutoff, survival, cdf, weight, weight_max, below = tables
    f.stage = stage
    f.tech_staff_share = _beta(rng, *_TECH_STAFF_BETA)
    b = _staff_band(f.tech_staff_share)
    if b == 0:
        return False, 0.0, 0.0
    seeking, h = stage == RESERVE, 0
    if seeking:
        _size(f, rng, stage, p)
        h = _threshold_index(rules.hte_rd_threshold(f.revenue))
    if not rng.random() * weight_max < weight[h, b]:
        return False, 0.0, 0.0
    u, level = rng.random(), 0
    while level < _IP_CAP and u >= cdf[h, b, level]:
        level += 1
    count = level
    if level == _IP_CAP:  # the Poisson count given count >= _IP_CAP, by the inverse CDF
        count = max(_IP_CAP, kernel.poisson_inverse(PROFILE[stage, 2], below + rng.random() * (1.0 - below)))
    f.ip_count = count
    f.ip_class1 = kernel.binomial_inverse(count, p.ip_class1_share, rng.random())
    f.ip_class2 = count - f.ip_class1
    f.high_tech_revenue_share = _beta(rng, *_HIGH_TECH_BETA)
    if not seeking:
        _size(f, rng, stage, p)
    return rules.within_sme_size(f.staff, f.revenue, f.assets), cutoff[h, b, level], survival[h, b, level]


@compilable
def _is_lawful(f, p):
    """The firm record meets its stage's rules (certified: the HTE criteria, leading: the definition;
    registered: the registry rule with ``p.sme_pass_mark``)."""
    stage = f.stage
    if kernel.is_certified(stage):
        ok = kernel.hte_eligible(f)
        if stage == LEADING:
            ok = ok and rules.is_leading(True, f.revenue, rules.rd_ratio(f.rd_spend, f.revenue))
        return ok
    if kernel.is_registered(stage):
        score = rules.sme_score(f.tech_staff_share, rules.rd_ratio(f.rd_spend, f.revenue), f.ip_count)
        return rules.is_sme_eligible(f.staff, f.revenue, f.assets, score, p.sme_pass_mark, f.tech_staff_share)
    return True


@compilable
def _candidate(f, rng, stage, p, year, cert_age, start, tables, conditioned):
    """Draw one candidate of `stage` into record f; True if it is kept (always, unconditioned)."""
    registry = conditioned and kernel.is_registered(stage)
    cutoff, s = 0.0, 1.0
    if registry:
        accepted, cutoff, s = _registry_accepts(f, rng, stage, p, tables)
        if not accepted:
            return False
    else:
        _skills(f, rng, stage, p)
        if conditioned and kernel.is_certified(stage) and not _may_be_certified(f):
            return False
        _size(f, rng, stage, p)
    propensity = _rest(f, rng, stage, p, year, cert_age, start)
    if registry and propensity < cutoff and p.rd_ratio_sd > 0:
        _start_rd(f, stage, p, _truncated(rng, cutoff, s, p))
    if conditioned and not _is_lawful(f, p):
        return False
    f.manufacturing = rng.random() < p.manufacturing_share
    f.profit_margin = p.profit_margin_mean + p.profit_margin_sd * rng.standard_normal()
    return True


@compilable
def _cert_ages(rng, n, shares):
    """Certificate ages of n candidates in the given shares exactly (largest remainders), in random order:
    the shares are the lists' (data), so a run does not add sampling noise to the cohorts."""
    counts = np.zeros(shares.size, dtype=np.int64)
    for a in range(shares.size):
        counts[a] = math.floor(n * shares[a])
    for _ in range(n - counts.sum()):  # largest remainders first, ties to the younger age
        best, left = 0, -1.0
        for a in range(shares.size):
            if n * shares[a] - counts[a] > left:
                best, left = a, n * shares[a] - counts[a]
        counts[best] += 1
    ages = np.repeat(np.arange(shares.size), counts)
    for i in range(n - 1, 0, -1):  # Fisher-Yates
        j = math.floor((i + 1) * rng.random())
        ages[i], ages[j] = ages[j], ages[i]
    return ages


def _entry_points(digest: str):
    """The compiled draw of one run's firms; `digest` (of the compiled sources) keys numba's cache (`compiled`)."""

    @numba.njit(cache=True, error_model="numpy")
    def draw_run(rng, out, p, stages, counts, year, shares, start, conditioned, status):  # pragma: no cover
        """counts[j] firms of stage stages[j] into out, in order; status = (code, stage j, kept, tries)."""
        _ = digest
        i = 0
        for j in range(stages.size):
            stage, n = stages[j], counts[j]
            if n == 0:
                continue
            certified, ages = kernel.is_certified(stage), np.zeros(n, dtype=np.int64)
            tables = _registry_tables(stage, p)
            if kernel.is_registered(stage) and tables[4] == 0:
                status[0], status[1] = _UNREACHABLE, j
                return
            kept, tries = 0, 0
            while kept < n:
                if tries >= max(_TRIES_PER_FIRM * n, _MIN_TRIES):
                    status[0], status[1], status[2], status[3] = _GAVE_UP, j, kept, tries
                    return
                if certified and tries % n == 0:  # a new deck of ages for the next n candidates
                    ages = _cert_ages(rng, n, shares)
                kept += _candidate(out[i + kept], rng, stage, p, year, ages[tries % n], start, tables, conditioned)
                tries += 1
            i += n

    @numba.njit(cache=True, error_model="numpy")
    def lawful_all(state, params):  # pragma: no cover - compiled
        _ = digest
        ok = np.empty(state.size, dtype=np.bool_)
        for i in range(state.size):
            ok[i] = _is_lawful(state[i], params[0])
        return ok

    return draw_run, lawful_all


_draw_run, _lawful_all = _entry_points(sources_digest(rules, bh, kernel, sys.modules[__name__]))


# --- Python entry points ---------------------------------------------------------------------
def draw_states(
    counts_by_run: Sequence[Mapping[str, int]],
    year: int,
    params: Sequence[LadderParams] | np.ndarray,
    rngs: Sequence[np.random.Generator],
    cert_ages: Sequence[float] | None = None,
    start: bool = False,
    conditioned: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Firm records (`records.STATE_DTYPE`) of many runs, run r's ``counts_by_run[r]`` (stage name -> firms)
    drawn from ``rngs[r]`` with rates ``params[r]`` (a sequence or a `records.params_table`), run after run;
    and the firms of each run. ``cert_ages`` and ``start`` as in `build_population`; ``conditioned=False``
    keeps every candidate (no lawfulness: the unconditioned distributions, for tests)."""
    table = params if isinstance(params, np.ndarray) else params_table(list(params))
    shares = np.asarray(check_cert_ages(cert_ages), dtype=np.float64)
    wanted = [_stage_counts(counts) for counts in counts_by_run]
    n = np.array([c.sum() for _, c in wanted], dtype=np.int64)
    state = np.zeros(int(n.sum()), dtype=STATE_DTYPE)
    bounds, status = np.concatenate([[0], np.cumsum(n)]), np.zeros(4, dtype=np.int64)
    for r, (stages, counts) in enumerate(wanted):
        if n[r]:
            out = state[bounds[r] : bounds[r + 1]]
            _draw_run(rngs[r], out, table[r], stages, counts, int(year), shares, start, conditioned, status)
            if status[0]:
                _raise(status, stages, table[r])
    return state, n


def _stage_counts(counts: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    stages, n = [], []
    for name, count in counts.items():
        stage = stage_from_name(name)
        if int(count) != count or count < 0:
            raise ValueError(f"stage count {name}={count!r} must be a non-negative integer")
        stages.append(int(stage))
        n.append(int(count))
    return np.array(stages, dtype=np.int64), np.array(n, dtype=np.int64)


def _raise(status: np.ndarray, stages: np.ndarray, p) -> None:
    stage = Stage(int(stages[status[1]])).name
    if status[0] == _UNREACHABLE:
        raise RuntimeError(
            f"no {stage} firm can reach sme_pass_mark = {p['sme_pass_mark']:g} (the registry score is at most 100)"
        )
    raise RuntimeError(
        f"could not draw lawful {stage} firms (accepted {status[2]} of {status[3]} draws); "
        f"check params (e.g. sme_pass_mark = {p['sme_pass_mark']:g} may be unreachable)"
    )


def lawful(state: np.ndarray, params: LadderParams) -> np.ndarray:
    """Which firm records meet their stage's rules as drawn (`draw_states`' test of a candidate)."""
    return _lawful_all(state, params_table(params))


def hte_tests_of(a: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(three-year R&D ratio, innovation score) of firm attribute arrays (`ATTRIBUTES` keys), as the
    step reads them off a firm record (`kernel.rd_ratio_3y`, `kernel.score`)."""
    revenue = np.asarray(a["revenue_history"], dtype=float)
    rd = np.asarray(a["rd_history"], dtype=float)
    both = ~np.isnan(rd) & ~np.isnan(revenue[:, HISTORY_YEARS - RD_YEARS :])
    rd_sum = np.where(both, rd, 0.0).sum(axis=1)
    revenue_sum = np.where(both, revenue[:, HISTORY_YEARS - RD_YEARS :], 0.0).sum(axis=1)
    last3 = [np.nan_to_num(revenue[:, HISTORY_YEARS - k], nan=0.0) for k in (3, 2, 1)]
    score = rules.innovation_score(
        a["ip_class1"],
        a["ip_class2"],
        a["tech_level"],
        a["conversions"],
        a["organisation"],
        rules.growth_rate(*last3),
    )
    return rules.rd_ratio3(rd_sum, revenue_sum), score


def check_cert_ages(cert_ages: Sequence[float] | None) -> tuple[float, float, float]:
    """Certificate-age shares as a tuple of three non-negative numbers summing to 1 (None: evenly spread)."""
    if cert_ages is None:
        return UNIFORM_CERT_AGES
    shares = tuple(float(x) for x in cert_ages)
    if len(shares) != rules.CERTIFICATE_YEARS or min(shares) < 0 or abs(sum(shares) - 1.0) > 1e-9:
        raise ValueError(f"cert_ages must be {rules.CERTIFICATE_YEARS} non-negative shares summing to 1, got {shares}")
    return shares  # type: ignore[return-value]


def as_arrays(state: np.ndarray) -> dict[str, np.ndarray]:
    """Firm records as `ATTRIBUTES` arrays (what `build_population` returns)."""
    return {name: state[name] for name in ATTRIBUTES}


def empty_population() -> dict[str, np.ndarray]:
    """A population of zero firms with the right keys and dtypes."""
    return as_arrays(np.zeros(0, dtype=STATE_DTYPE))


def assumed_startups(tech_sme: int, params: LadderParams = LadderParams()) -> int:
    """Startups in incubation at the start, for a registry of `tech_sme` firms (no figure is published)::

        startup = STARTUP_COHORTS x startup_entry_rate x tech_sme

    A firm stays a startup for at most three years and leaves earlier when it registers
    or closes, so the stock holds about two yearly cohorts (the default Langfang run
    settles near it); without it the first year has no startups to register and the
    registry drops. `forecast run` and the calibration both start from this count.
    """
    return int(round(STARTUP_COHORTS * params.startup_entry_rate * tech_sme))


def build_population(
    stage_counts: Mapping[str, int],
    start_year: int,
    params: LadderParams,
    rng: np.random.Generator,
    cert_ages: Sequence[float] | None = None,
    start: bool = False,
) -> dict[str, np.ndarray]:
    """Attribute arrays of firms, ``stage_counts[name]`` of each stage (see module docstring).

    ``cert_ages``: the shares of certified firms whose certificate is 0, 1 and 2 years old
    (`UNIFORM_CERT_AGES` when None). ``start``: the start population, whose startups are of two ages; otherwise
    a year's entrants, newborn."""
    state, _ = draw_states([stage_counts], start_year, [params], [rng], cert_ages, start)
    return as_arrays(state)
