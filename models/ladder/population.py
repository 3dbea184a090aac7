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
    tech_level        ~ Beta(4, 2)            IP merit share of the innovation score (mean 0.67)
    organisation      ~ 20 Beta(4, 2)         organisation points of the score (mean 13),
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
  them) by rejection. Every certified firm meets the criteria at the start, with
  its class II IP counted as unused (acquired since its certificate: assumption).
* Registered SMEs: drawn exactly from the stated distributions conditioned on
  passing, without rejecting on the R&D propensity (which failed for a high
  pass mark and low R&D). Given a firm's other attributes, it passes iff its
  propensity p >= c, the smallest propensity whose (bunched) ratio scores
  enough (c = inf if none does). So the conditional density is::

      f(others, p | lawful) ∝ f(others) [size, tech staff ok] S(c) · f(p | p >= c)

  with S(c) = P(p >= c) under the lognormal. Other attributes are accepted with
  probability S(c) / S(c_min) (c_min: the lowest cutoff any firm can have, so
  the ratio is <= 1), and a propensity below c is replaced by a draw from the
  lognormal truncated to [c, inf) (inverse CDF in the upper tail). Batch sizes
  follow the acceptance rate seen so far.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from models.ladder import rules
from models.ladder.behaviour import bunch_rd_ratio, expected_ip_arrivals
from models.ladder.params import LadderParams
from models.ladder.rules import CERTIFIED_STAGES, REGISTRY_STAGES, Stage

STARTUP_COHORTS = 2
"""Startups at the start, when no figure is published: about two yearly cohorts of entrants."""

HISTORY_YEARS = 4
"""Revenue history kept per firm: years t-3 .. t, enough for a 3-year CAGR."""
RD_YEARS = 3
"""R&D history kept per firm: years t-2 .. t, the three years the R&D criterion reads."""
UNIFORM_CERT_AGES = (1 / 3, 1 / 3, 1 / 3)
"""Certificate ages (0, 1, 2 years) without yearly lists: evenly spread."""

ATTRIBUTES = (
    "stage",
    "age",
    "staff",
    "tech_staff_share",
    "revenue",
    "assets",
    "asset_ratio",
    "rd_propensity",
    "rd_spend",
    "ip_count",
    "high_tech_revenue_share",
    "manufacturing",
    "growth_effect",
    "profit_margin",
    "cert_year",
    "revenue_history",
    "ip_class1",
    "ip_class2",
    "tech_level",
    "organisation",
    "conversion_base",
    "conversions",
    "rd_history",
)
"""Keys of the dict `build_population` returns."""

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
_CAPABILITY_BETA = (7.0, 2.0)
"""Beta shape of tech_level and of organisation / 20 (mean 0.67; assumption, set so that about one
registered SME in ten meets every criterion: scripts/ladder_shares.py)."""
_CAPABILITY_SHARED = 0.7
"""Share of the Beta's first gamma part that tech_level and organisation share (assumption)."""
_STARTUP_PROPENSITY_FACTOR = 1.5
"""Startups are more R&D-intensive than established firms (assumption)."""
_GAZELLE_BACKCAST_GROWTH = 0.30
_MAX_BATCHES = 200
_MAX_BATCH_SIZE = 500_000
_LOWEST_HTE_THRESHOLD = 0.03


def stage_from_name(name: str) -> Stage:
    """Stage for a lower-case stage name, with a hint on typos."""
    names = [s.name.lower() for s in Stage]
    if name not in names:
        match = difflib.get_close_matches(name, names, 1)
        hint = f" (did you mean {match[0]!r}?)" if match else ""
        raise ValueError(f"unknown stage {name!r}{hint}; known: {', '.join(names)}")
    return Stage[name.upper()]


@dataclass(frozen=True)
class _Setup:
    """What every draw of one population reads: the start year, the rates and the certificate ages."""

    year: int
    params: LadderParams
    cert_ages: tuple[float, float, float] = UNIFORM_CERT_AGES
    start: bool = False
    """The start population (startups of the `STARTUP_COHORTS` cohorts), not a year's entrants (newborn)."""


def _draw(stage: Stage, n: int, setup: _Setup, rng: np.random.Generator) -> dict:
    """Every attribute of n firms of `stage`, unconditioned: `_draw_checked`, then `_complete`."""
    return _complete(_draw_checked(stage, n, setup, rng), setup.params, rng)


def _draw_checked(stage: Stage, n: int, setup: _Setup, rng: np.random.Generator) -> dict:
    """The attributes the lawfulness checks read (size, shares, IP, score, R&D, age, certificate, history).

    The others (`_complete`) are independent of these, so they are drawn for accepted firms only."""
    return _draw_rest_checked(stage, _draw_size_and_skills(stage, n, setup.params, rng), setup, rng)


def _draw_size_and_skills(stage: Stage, n: int, params: LadderParams, rng: np.random.Generator) -> dict:
    """Size (revenue, staff, assets), tech-staff share and core IP: all the registry's tests read but R&D,
    so registry firms are accepted on these before anything else is drawn (`_condition_on_registry`)."""
    median, sd, ip_mean, _ = _PROFILE[stage]
    if stage != Stage.LEADING:  # a leading firm's size is its definition's
        median = median * params.firm_size_scale
    revenue = np.exp(rng.normal(np.log(median), sd, n))
    asset_ratio = np.exp(rng.normal(0.0, 0.5, n))
    class1 = rng.poisson(ip_mean * params.ip_class1_share, n).astype(np.int64)
    class2 = rng.poisson(ip_mean * (1.0 - params.ip_class1_share), n).astype(np.int64)
    return {
        "stage": np.full(n, int(stage), dtype=np.int8),
        "revenue": revenue,
        "staff": np.maximum(1.0, np.exp(-0.7 + 0.6 * np.log(revenue) + rng.normal(0.0, 0.4, n))),
        "asset_ratio": asset_ratio,
        "assets": revenue * asset_ratio,
        "tech_staff_share": rng.beta(3.0, 7.0, n),
        "ip_count": class1 + class2,
        "ip_class1": class1,
        "ip_class2": class2,
    }


def _draw_rest_checked(stage: Stage, a: dict, setup: _Setup, rng: np.random.Generator) -> dict:
    """Add the high-tech revenue share, the score's firm attributes, R&D propensity, age, certificate
    year, growth effect, revenue and R&D histories and R&D spend to `a`."""
    params = setup.params
    n, age_mean = a["revenue"].size, _PROFILE[stage][3]
    a["high_tech_revenue_share"] = rng.beta(4.0, 2.0, n)
    a["tech_level"], a["organisation"] = _capabilities(n, rng)
    a["conversion_base"] = rng.exponential(params.conversion_base_mean, n)
    a["rd_propensity"] = _propensity(stage, a["revenue"], params, rng)
    if stage == Stage.STARTUP:  # entrants are newborn; at the start, the STARTUP_COHORTS cohorts the count assumes
        age = rng.integers(0, STARTUP_COHORTS if setup.start else 1, n, dtype=np.int64)
    else:
        age = 1 + rng.poisson(age_mean - 1, n)
    cert_year = np.full(n, np.nan)
    if stage in CERTIFIED_STAGES:
        cert_year = setup.year - _cert_ages(n, setup.cert_ages, rng).astype(float)
        age = np.maximum(age, (setup.year - cert_year).astype(np.int64) + rules.MIN_AGE_YEARS)
    a["age"], a["cert_year"] = age, cert_year
    a["growth_effect"] = rng.normal(0.0, params.revenue_growth_firm_sd, n)
    a["revenue_history"] = _backcast(a["revenue"], age, a["growth_effect"], stage, params, rng)
    _start_rd(stage, a, params)
    return a


def _capabilities(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(tech_level, organisation points): Beta(`_CAPABILITY_BETA`) margins (organisation x 20), made
    correlated by a shared gamma part (a firm good at one is likelier good at both). With
    A_i = S + E_i, S ~ Gamma(rho a), E_i ~ Gamma((1 - rho) a), B_i ~ Gamma(b): A_i / (A_i + B_i) ~ Beta(a, b)
    exactly (gamma draws are cheap; the inverse Beta CDF took half of the population draw)."""
    a, b = _CAPABILITY_BETA
    rho = _CAPABILITY_SHARED
    shared = rng.gamma(rho * a, 1.0, n)
    own = rng.gamma((1.0 - rho) * a, 1.0, (2, n))
    rest = rng.gamma(b, 1.0, (2, n))
    level = (shared + own) / (shared + own + rest)
    return level[0], 20.0 * level[1]


def _cert_ages(n: int, shares: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Certificate ages of n firms in the given shares exactly (largest remainders), in random order:
    the shares are the lists' (data), so a run does not add sampling noise to the cohorts."""
    exact = n * np.asarray(shares)
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(counts - exact, kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(counts.size), counts))


def _propensity(stage: Stage, revenue: np.ndarray, params: LadderParams, rng) -> np.ndarray:
    """log propensity ~ Normal(log rd_ratio_mean, rd_ratio_sd) (x1.5 for startups); for certified firms
    truncated to [threshold (1 - rd_bunching_gap), inf) by the inverse CDF (module docstring)."""
    n = revenue.size
    if stage not in CERTIFIED_STAGES or params.rd_ratio_sd == 0:
        factor = _STARTUP_PROPENSITY_FACTOR if stage == Stage.STARTUP else 1.0
        propensity = np.exp(rng.normal(np.log(params.rd_ratio_mean), params.rd_ratio_sd, n)) * factor
        if stage in CERTIFIED_STAGES:  # no spread: every firm at the median, raised to the cutoff
            propensity = np.maximum(propensity, rules.hte_rd_threshold(revenue) * (1.0 - params.rd_bunching_gap))
        return propensity
    cutoff = rules.hte_rd_threshold(revenue) * (1.0 - params.rd_bunching_gap)
    return _truncated_propensity(cutoff, _survival(cutoff, params), params, rng)


def _truncated_propensity(cutoff: np.ndarray, s: np.ndarray, params: LadderParams, rng) -> np.ndarray:
    """Draws of the propensity's lognormal truncated to [cutoff, inf), S(cutoff) = s, by the inverse CDF."""
    v = 1.0 - rng.random(cutoff.size)  # in (0, 1]
    z = -ndtri(s * v)
    return np.maximum(cutoff, np.exp(np.log(params.rd_ratio_mean) + params.rd_ratio_sd * z))


def _complete(a: dict, params: LadderParams, rng: np.random.Generator) -> dict:
    """Add sector and profit margin (in `ATTRIBUTES` order)."""
    n = a["revenue"].size
    a["manufacturing"] = rng.random(n) < params.manufacturing_share
    a["profit_margin"] = rng.normal(params.profit_margin_mean, params.profit_margin_sd, n)
    return {name: a[name] for name in ATTRIBUTES}


def _seeking(stage: Stage) -> bool:
    return stage in CERTIFIED_STAGES or stage == Stage.RESERVE


def _start_rd(stage: Stage, a: dict, params: LadderParams) -> None:
    """R&D spend at the start (the propensity, bunched for seekers), the same ratio over the last three
    years' revenue as the R&D history, and the converted results that go with it."""
    ratio = bunch_rd_ratio(
        a["rd_propensity"], rules.hte_rd_threshold(a["revenue"]), params.rd_bunching_gap, _seeking(stage)
    )
    a["rd_spend"] = ratio * a["revenue"]
    a["rd_history"] = ratio[:, None] * a["revenue_history"][:, HISTORY_YEARS - RD_YEARS :]
    a["conversions"] = a["conversion_base"] + expected_ip_arrivals(a["rd_spend"], params.ip_yield, params.ip_base_rate)


def _needed_ratio(tech_staff_share: np.ndarray, ip_count: np.ndarray, pass_mark: float) -> np.ndarray:
    """Smallest R&D ratio giving a registry score >= pass_mark (inf where none does)."""
    edges = np.array([0.0, *rules.SME_RD_BANDS])
    score = rules.sme_score(np.asarray(tech_staff_share)[:, None], edges[None, :], np.asarray(ip_count)[:, None])
    ok = score >= pass_mark
    return np.where(ok.any(axis=1), edges[np.argmax(ok, axis=1)], np.inf)


def _propensity_cutoff(needed: np.ndarray, threshold: np.ndarray, gap: float, seeking: bool) -> np.ndarray:
    """Smallest propensity whose start ratio (bunched if seeking) reaches `needed`."""
    if not seeking:
        return needed
    return np.where(threshold >= needed, np.minimum(needed, threshold * (1.0 - gap)), needed)


def _survival(cutoff: np.ndarray, params: LadderParams) -> np.ndarray:
    """P(propensity >= cutoff) under log p ~ Normal(log rd_ratio_mean, rd_ratio_sd)."""
    mu, sd = np.log(params.rd_ratio_mean), params.rd_ratio_sd
    if sd == 0:
        return (params.rd_ratio_mean >= cutoff).astype(float)
    with np.errstate(divide="ignore"):
        return ndtr(-(np.log(cutoff) - mu) / sd)


def _condition_on_registry(stage: Stage, a: dict, params: LadderParams, rng: np.random.Generator) -> tuple:
    """Accept/reject size and skills (`_draw_size_and_skills`; module docstring): (kept mask, each firm's
    propensity cutoff c, S(c))."""
    seeking, gap = _seeking(stage), params.rd_bunching_gap
    threshold = rules.hte_rd_threshold(a["revenue"])
    cutoff = _propensity_cutoff(
        _needed_ratio(a["tech_staff_share"], a["ip_count"], params.sme_pass_mark), threshold, gap, seeking
    )
    best = _needed_ratio(np.array([1.0]), np.array([10**6]), params.sme_pass_mark)
    lowest = min(
        float(_propensity_cutoff(best, np.array([t]), gap, seeking)[0]) for t in (_LOWEST_HTE_THRESHOLD, 0.04, 0.05)
    )
    s, s_max = _survival(cutoff, params), float(_survival(np.array([lowest]), params)[0])
    if s_max == 0:
        raise RuntimeError(
            f"no {stage.name} firm can reach sme_pass_mark = {params.sme_pass_mark:g} "
            "(the registry score is at most 100)"
        )
    size_ok = rules.within_sme_size(a["staff"], a["revenue"], a["assets"])
    accept = rng.random(cutoff.size) * s_max < s
    keep = size_ok & (a["tech_staff_share"] >= rules.MIN_TECH_STAFF_SHARE) & accept & (s > 0)
    return keep, cutoff, s


def _raise_low_propensities(stage: Stage, a: dict, cutoff, s, params: LadderParams, rng) -> None:
    """Accepted registry firms: a propensity below the cutoff is redrawn from the lognormal truncated to
    [cutoff, inf) (module docstring); then the R&D spend."""
    low = a["rd_propensity"] < cutoff
    if low.any() and params.rd_ratio_sd > 0:
        a["rd_propensity"][low] = _truncated_propensity(cutoff[low], s[low], params, rng)
    _start_rd(stage, a, params)


def _draw_batch(stage: Stage, size: int, setup: _Setup, rng) -> dict:
    """`size` candidates of `stage`, only those that pass the lawfulness checks kept."""
    params = setup.params
    if stage not in REGISTRY_STAGES:
        batch = _draw_checked(stage, size, setup, rng)
        keep = _lawful(stage, batch, params)
        return {k: v[keep] for k, v in batch.items()}
    batch = _draw_size_and_skills(stage, size, params, rng)
    keep, cutoff, s = _condition_on_registry(stage, batch, params, rng)
    batch = _draw_rest_checked(stage, {k: v[keep] for k, v in batch.items()}, setup, rng)
    _raise_low_propensities(stage, batch, cutoff[keep], s[keep], params, rng)
    keep = _lawful(stage, batch, params)
    return {k: v[keep] for k, v in batch.items()}


def _backcast(revenue, age, growth_effect, stage, params, rng) -> np.ndarray:
    n = revenue.size
    mean = _GAZELLE_BACKCAST_GROWTH if stage == Stage.GAZELLE else params.revenue_growth_mean
    growth = mean + growth_effect[:, None] + rng.normal(0.0, params.revenue_growth_sd, (n, HISTORY_YEARS - 1))
    history = np.empty((n, HISTORY_YEARS))
    history[:, -1] = revenue
    for k in range(HISTORY_YEARS - 2, -1, -1):
        history[:, k] = history[:, k + 1] / np.exp(growth[:, k])
    years_back = np.arange(HISTORY_YEARS - 1, -1, -1)
    history[years_back[None, :] > age[:, None]] = np.nan
    return history


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


def _lawful(stage: Stage, a: dict, params: LadderParams) -> np.ndarray:
    if stage in CERTIFIED_STAGES:
        rd3, score = hte_tests_of(a)
        ok = rules.is_hte_eligible(
            a["age"],
            rd3,
            a["revenue"],
            a["tech_staff_share"],
            rules.core_ip(a["ip_class1"], a["ip_class2"]),
            a["high_tech_revenue_share"],
            score,
        )
        if stage == Stage.LEADING:
            ok &= rules.is_leading(True, a["revenue"], rules.rd_ratio(a["rd_spend"], a["revenue"]))
        return ok
    if stage in REGISTRY_STAGES:
        score = rules.sme_score(a["tech_staff_share"], rules.rd_ratio(a["rd_spend"], a["revenue"]), a["ip_count"])
        return rules.is_sme_eligible(
            a["staff"], a["revenue"], a["assets"], score, params.sme_pass_mark, a["tech_staff_share"]
        )
    return np.ones(a["revenue"].size, dtype=bool)


def _draw_lawful(stage: Stage, n: int, setup: _Setup, rng: np.random.Generator) -> dict:
    if stage in (Stage.STARTUP, Stage.OUTSIDE):  # every draw is lawful: no rejection, no oversized batch
        return _draw(stage, n, setup, rng)
    parts, have, drawn = [], 0, 0
    for _ in range(_MAX_BATCHES):
        if have >= n:
            break
        rate = max(have / drawn, 1e-3) if drawn else 0.5
        size = int(min(_MAX_BATCH_SIZE, max(64, np.ceil(1.5 * (n - have) / rate))))
        parts.append(_draw_batch(stage, size, setup, rng))
        have, drawn = have + parts[-1]["revenue"].size, drawn + size
    if have < n:
        raise RuntimeError(
            f"could not draw {n} lawful {stage.name} firms (accepted {have} of {drawn} draws); "
            f"check params (e.g. sme_pass_mark = {setup.params.sme_pass_mark:g} may be unreachable)"
        )
    return _complete({k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}, setup.params, rng)


def check_cert_ages(cert_ages: Sequence[float] | None) -> tuple[float, float, float]:
    """Certificate-age shares as a tuple of three non-negative numbers summing to 1 (None: evenly spread)."""
    if cert_ages is None:
        return UNIFORM_CERT_AGES
    shares = tuple(float(x) for x in cert_ages)
    if len(shares) != rules.CERTIFICATE_YEARS or min(shares) < 0 or abs(sum(shares) - 1.0) > 1e-9:
        raise ValueError(f"cert_ages must be {rules.CERTIFICATE_YEARS} non-negative shares summing to 1, got {shares}")
    return shares  # type: ignore[return-value]


def empty_population() -> dict[str, np.ndarray]:
    """A population of zero firms with the right keys and dtypes."""
    return _draw(Stage.OUTSIDE, 0, _Setup(2000, LadderParams()), np.random.default_rng(0))


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
    setup = _Setup(start_year, params, check_cert_ages(cert_ages), start)
    parts = []
    for name, count in stage_counts.items():
        stage = stage_from_name(name)
        if int(count) != count or count < 0:
            raise ValueError(f"stage count {name}={count!r} must be a non-negative integer")
        if count:
            parts.append(_draw_lawful(stage, int(count), setup, rng))
    if not parts:
        return empty_population()
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
