"""Mean-field (expected-flow) ladder: the expected stage counts of the agent-based
model as a difference equation, and a PyTensor Op that gives them with their gradient.

Compartments. A firm at the end of year t is in one of eleven compartments,
`KEYS`, and one of four eligibility classes ``c = 2 h + s`` (h = meets the HTE
criteria, s = passes the tech-SME registry rule, both as `rules.is_hte_eligible`
and `rules.is_sme_eligible` judge its attributes at that year's decision)::

    U0, U1, U2   startups aged 0, 1, 2 (age at decision next year: 1, 2, 3)
    S            registered tech SMEs outside the reserve pool
    R0, R1, R2   reserve-pool firms with 0, 1, 2 years in the pool
    H0, H1, H2   certified firms whose certificate is 0, 1, 2 years old
                 (H2 is due for re-certification next year)
    O            firms on no rung

x_t[k] is the 4-vector of expected firms of compartment k by class. One year,
in the order the ABM runs it (`model.LadderModel.step`, `agents.Firm.step`)::

    intake    n = min(S, reserve_intake_rate S + reserve_pool_intake), taken from
              the classes of S not HTE-eligible first (the pool takes near-eligible
              firms, `kernel.reserve_priority`), then from the eligible ones, in
              proportion within each group  S -> R0
    survival  x[k] *= 1 - exit_probability(base_k, ...) (- move_out_rate if certified)
    classes   x[k] <- x[k] @ K_t[group(k)]       (eligibility at this year's decision)
    decisions, with h, s the class masks and p the behaviour functions:
      uncertified k:   -> H0 with  h * p_apply_k * p_pass_k
      U_a, rest:       -> S with s * startup_registration_rate; else U_a+1 (U2: -> O)
      S, R_r, rest:    stay registered with s * sme_renewal_rate (R_r -> R_r+1, R2 -> S); else -> O
      O, rest:         -> S with s * outside_registration_rate; else stays O
      H0, H1:          -> H1, H2
      H2:              -> H0 with p_reapply * h * p_pass_recert;
                       else -> S with s * sme_renewal_rate, else -> O
    entries   U0 += (startup_entry_rate N_sme[start] + incubator_capacity) e_U
              H0, H1, H2 += (move_in_rate N_cert[start] + beijing_tianjin_attraction) e_H / 3

with ``p_apply_k = mean_i application_probability(application_rate, reward, saving_i,
...)`` over the yearly tax savings of the HTE-eligible firms of k's group, and
``p_reapply = reduce_failure(mean_i application_probability(recert_apply_rate, ...))``.
Outputs per year: certified = sum H; registered = S + R; new certifications,
re-certifications and their sum, the yearly lists (`certifications_listed`).

Where the rates come from. The year's events come in the kernel's order
(`kernel.YEAR`), and the probabilities the firm step draws against are the kernel's own
functions taken as expected shares instead of drawn: `kernel.leave_probabilities`
(survival), `kernel.certification_pass_probability` and
`kernel.recertification_pass_probability`, all on arrays of rates. Application
probabilities are `behaviour.application_probability` averaged over the eligible firms'
tax savings (the kernel calls it per firm). Two pieces are not functions of the rates but of the joint distribution of
firm attributes (revenue, R&D ratio, core IP, tech staff, profit), so they cannot
be written in the rates at all: the eligibility-class kernels K_t and the tax
savings of eligible firms. `measure_profile` derives them by evaluating the same
rule functions (`Firm.hte_eligible`, `Firm.sme_eligible`, `behaviour.hte_tax_saving`)
on the firms of a pilot ABM run from the same start state, years and levers (the
"stage profile", at the `base` parameters). The kernels are conditional on the
compartment and class, so the selection the rates cause (eligible SMEs leave by
certifying, the pool takes the eligible first) is modelled; what stays at the
pilot's values is the attribute mix within a (compartment, class) cell and the
one-year memory of the class process. The tests compare this recursion with the
ABM ensemble mean at rates far from the pilot's; over six random draws of the
calibrated rates on a Langfang-sized city (2020-2026) the largest gap was 5.6% for
stocks and for the yearly lists.

Gradient. The behaviour functions are numpy code (`np.clip`, `np.maximum`), so the
recursion is not rewritten in PyTensor (a second copy of the rules) but wrapped as an
Op, `MeanFieldOp`, whose gradient is the Jacobian by complex step: the rates enter as
theta + i h e_j for every j at once (a batch), and Im f / h is df/dtheta_j exact to
rounding (h = 1e-20, no differences taken). `application_probability` clips its base
rate, which complex numbers do not allow; since its equation is ``logit p =
logit(base) + boost + ...``, it is called with base 0.5 (logit 0) and ``boost +
logit(rate)``, the same value (checked against the direct call in the tests). One
value-and-Jacobian call for Hebei's seven years takes about 3 ms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from models.ladder import behaviour as bh
from models.ladder import kernel
from models.ladder.agents import Firm
from models.ladder.levers import LeverSetting, active_levers
from models.ladder.model import LadderModel
from models.ladder.params import LadderParams
from models.ladder.rules import CERTIFIED_STAGES, Stage

KEYS = ("U0", "U1", "U2", "S", "R0", "R1", "R2", "H0", "H1", "H2", "O")
GROUP_OF = {
    "U0": "U0",
    "U1": "U1",
    "U2": "U2",
    "S": "S",
    "R0": "S",
    "R1": "R",
    "R2": "R",
    "H0": "H0",
    "H1": "H1",
    "H2": "H2",
    "O": "O",
}
"""Kernel group of each compartment (R0 firms were S firms at the start of the year). Certified firms
have one group per certificate age: class II IP counts in one application only, so a firm's core IP
(and its eligibility at renewal) depends on the years since its certificate."""
GROUPS = ("U0", "U1", "U2", "S", "R", "H0", "H1", "H2", "O")
CERTIFIED_GROUPS = ("H0", "H1", "H2")
SAVING_GROUPS = ("U", "S", "R", "O", "H")
HTE_OK = np.array([0.0, 0.0, 1.0, 1.0])
SME_OK = np.array([0.0, 1.0, 0.0, 1.0])
N_CLASSES = 4
N_SAVING_QUANTILES = 128
KERNEL_SMOOTHING = 20.0
"""Pseudo-counts pulling a year's kernel towards the all-years kernel of its group."""
PILOT_AGENTS = 3000
"""Target number of agents in a pilot run (sets its firm_scale)."""
STOCKS = ("hte_certified", "tech_sme_registered")
FLOWS = ("new_certifications", "recertifications", "certifications_listed")


@dataclass(frozen=True)
class StageProfile:
    """What the mean-field takes from a pilot ABM run (module docstring).

    Attributes:
        start_year, end_year: the window; row 0 is the observed start state.
        stage_counts: the observed start state (stage name -> firms).
        initial: (len(KEYS), 4) expected firms per compartment and class at the start.
        kernels: (years, len(GROUPS), 4, 4) row-stochastic class transitions into
            each year start+1 .. end.
        entrant_startup, entrant_certified: class shares of new startups and move-ins.
        savings: group -> yearly tax savings (10k yuan) of the firms whose application
            probability they set, as `N_SAVING_QUANTILES` quantiles.
        funded: (years,) share of certified firms funded by the guidance fund.
        firm_years: firm-years observed per kernel group (how well K is measured).
    """

    start_year: int
    end_year: int
    stage_counts: dict[str, float]
    initial: np.ndarray
    kernels: np.ndarray
    entrant_startup: np.ndarray
    entrant_certified: np.ndarray
    savings: dict[str, np.ndarray]
    funded: np.ndarray
    firm_years: dict[str, int] = field(default_factory=dict)

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.start_year, self.end_year + 1)

    @cached_property
    def saving_points(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """group -> (distinct savings, their share of the quantiles): the same mean, fewer points."""
        points = {}
        for group, values in self.savings.items():
            distinct, counts = np.unique(values, return_counts=True)
            points[group] = (distinct, counts / counts.sum())
        return points

    @property
    def base_sme(self) -> float:
        return float(sum(self.stage_counts.get(s, 0) for s in ("tech_sme", "reserve")))

    @property
    def base_certified(self) -> float:
        return float(sum(self.stage_counts.get(s, 0) for s in ("hte", "gazelle", "leading")))


# --- the pilot: measuring what the rates do not determine --------------------------
def compartment(firm: Firm, year: int) -> str:
    """A firm's compartment key at the end of `year`."""
    stage = firm.stage
    if stage in CERTIFIED_STAGES:
        return f"H{min(max(year - firm.cert_year, 0), 2)}"
    if stage == Stage.STARTUP:
        return f"U{min(firm.age, 2)}"
    if stage == Stage.RESERVE:
        return f"R{min(firm.reserve_years, 2)}"
    return "S" if stage == Stage.TECH_SME else "O"


def eligibility_class(firm: Firm) -> int:
    """2 * meets the HTE criteria + passes the SME rule (the agent's own rule calls)."""
    return 2 * int(firm.hte_eligible()) + int(firm.sme_eligible())


class _Tally:
    """Counts gathered over pilot runs."""

    def __init__(self, n_years: int) -> None:
        self.initial: dict[str, np.ndarray] = {}
        self.initial_n: dict[str, int] = {}
        self.kernel = np.zeros((n_years, len(GROUPS), N_CLASSES, N_CLASSES))
        self.entrants = {"U": np.zeros(N_CLASSES), "H": np.zeros(N_CLASSES)}
        self.savings: dict[str, list[float]] = {g: [] for g in SAVING_GROUPS}
        self.funded = np.zeros((n_years, 2))


def _snapshot(model: LadderModel) -> dict[int, tuple[str, int, Firm]]:
    return {a.unique_id: (compartment(a, model.year), eligibility_class(a), a) for a in model.agents}


def _record_initial(tally: _Tally, model: LadderModel) -> None:
    for firm in model.agents:
        name = firm.stage.name.lower()
        key_class = tally.initial.setdefault(name, np.zeros((len(KEYS), N_CLASSES)))
        key_class[KEYS.index(compartment(firm, model.year)), eligibility_class(firm)] += 1
        tally.initial_n[name] = tally.initial_n.get(name, 0) + 1


def _record_year(tally: _Tally, t: int, model: LadderModel, before: dict, after: dict) -> None:
    tax_rate = model.policy["income_tax_rate"]
    for uid, (_key, cls, firm) in after.items():
        if uid not in before:
            tally.entrants["H" if firm.certified else "U"][cls] += 1
            continue
        prev_key, prev_cls, _ = before[uid]
        group = GROUP_OF[prev_key]
        tally.kernel[t, GROUPS.index(group), prev_cls, cls] += 1
        saving = float(bh.hte_tax_saving(firm.profit, firm.staff, firm.assets, tax_rate))
        if prev_key == "H2":
            tally.savings["H"].append(saving)
        elif group not in CERTIFIED_GROUPS and cls >= 2:
            tally.savings[group[0]].append(saving)
        if group in CERTIFIED_GROUPS:
            tally.funded[t] += (firm.fund_injection > 0, 1)


def measure_profile(
    *,
    stage_counts: Mapping[str, int],
    start_year: int,
    end_year: int,
    params: LadderParams = LadderParams(),
    levers: Iterable[LeverSetting] = (),
    seed: int | np.random.SeedSequence = 0,
    n_runs: int = 2,
    firm_scale: int | None = None,
    cert_ages: Sequence[float] | None = None,
) -> StageProfile:
    """Run the ABM (pilot) and measure the eligibility kernels, entrant classes and savings.

    ``firm_scale`` defaults to about `PILOT_AGENTS` agents at the start; ``cert_ages`` as in `LadderModel`.
    """
    if end_year <= start_year:
        raise ValueError(f"end_year {end_year} must be after start_year {start_year}")
    total = sum(stage_counts.values())
    k = firm_scale or max(1, round(total / PILOT_AGENTS))
    n_years = end_year - start_year
    tally = _Tally(n_years)
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    for child in seed_seq.spawn(n_runs):
        model = LadderModel(
            stage_counts=stage_counts,
            start_year=start_year,
            params=params,
            levers=levers,
            firm_scale=k,
            rng=np.random.default_rng(child),
            cert_ages=cert_ages,
        )
        _record_initial(tally, model)
        before = _snapshot(model)
        for t in range(n_years):
            model.step()
            after = _snapshot(model)
            _record_year(tally, t, model, before, after)
            before = after
    return _profile_from_tally(tally, stage_counts, start_year, end_year)


def _profile_from_tally(tally: _Tally, stage_counts: Mapping[str, int], start_year: int, end_year: int) -> StageProfile:
    initial = np.zeros((len(KEYS), N_CLASSES))
    for name, count in stage_counts.items():
        if count and name in tally.initial:
            initial += float(count) * tally.initial[name] / tally.initial_n[name]
    pooled = tally.kernel.sum(axis=0) + np.eye(N_CLASSES)  # one pseudo-count on staying put
    pooled /= pooled.sum(axis=-1, keepdims=True)
    kernels = (tally.kernel + KERNEL_SMOOTHING * pooled) / (tally.kernel.sum(axis=-1, keepdims=True) + KERNEL_SMOOTHING)
    levels = (np.arange(N_SAVING_QUANTILES) + 0.5) / N_SAVING_QUANTILES
    savings = {g: np.quantile(v, levels) if v else np.zeros(N_SAVING_QUANTILES) for g, v in tally.savings.items()}
    funded = tally.funded[:, 0] / np.maximum(tally.funded[:, 1], 1)
    entrants = {g: v / v.sum() if v.sum() else np.full(N_CLASSES, 0.25) for g, v in tally.entrants.items()}
    return StageProfile(
        start_year=int(start_year),
        end_year=int(end_year),
        stage_counts={k: float(v) for k, v in stage_counts.items()},
        initial=initial,
        kernels=kernels,
        entrant_startup=entrants["U"],
        entrant_certified=entrants["H"],
        savings=savings,
        funded=funded,
        firm_years={g: int(tally.kernel[:, i].sum()) for i, g in enumerate(GROUPS)},
    )


# --- the recursion -----------------------------------------------------------------
# Every rate may carry a leading batch shape (several parameter sets, or the complex
# perturbations of `MeanFieldOp`); the state x has shape (*batch, len(KEYS), 4).
UNCERTIFIED = ("U0", "U1", "U2", "S", "R0", "R1", "R2", "O")
NEXT = {"U0": "U1", "U1": "U2", "U2": "O", "R0": "R1", "R1": "R2", "R2": "S"}
PAIRS = (
    *((k, "H0") for k in UNCERTIFIED),
    *((k, "S") for k in ("U0", "U1", "U2", "O")),
    *((k, NEXT[k]) for k in ("U0", "U1")),
    ("U2", "O"),
    ("O", "O"),
    ("S", "S"),
    ("S", "O"),
    *((k, NEXT[k]) for k in ("R0", "R1", "R2")),
    *((k, "O") for k in ("R0", "R1", "R2")),
    ("H0", "H1"),
    ("H1", "H2"),
    ("H2", "H0"),
    ("H2", "S"),
    ("H2", "O"),
)
"""The year's decisions as (from, to) compartment pairs; `_pair_weights` gives their class weights."""
_EYE = np.eye(len(KEYS))
FROM = np.array([_EYE[KEYS.index(a)] for a, _ in PAIRS])
TO = np.array([_EYE[KEYS.index(b)] for _, b in PAIRS]).T
FROM_INDEX = np.array([KEYS.index(a) for a, _ in PAIRS])
NEW_CERT_PAIRS = np.array([i for i, (a, b) in enumerate(PAIRS) if b == "H0" and a != "H2"])
RECERT_PAIR = PAIRS.index(("H2", "H0"))
GROUP_EXITS = ("startup", "sme", "outside")
SURVIVAL_MAP = np.array([np.eye(4)[{"U": 0, "S": 1, "R": 1, "O": 2, "H": 3}[k[0]]] for k in KEYS])
"""(compartments, 4): the exit rate of each compartment -- startup, sme, outside, hte."""
ONE_HOT = {k: _EYE[i][:, None] for i, k in enumerate(KEYS)}
CERTIFIED_ROWS = sum(_EYE[KEYS.index(k)] for k in ("H0", "H1", "H2"))[:, None]
REGISTERED_ROWS = sum(_EYE[KEYS.index(k)] for k in ("S", "R0", "R1", "R2"))[:, None]
KERNEL_OF = [GROUPS.index(GROUP_OF[k]) for k in KEYS]
WEIGHT_LEVERS = ("certification_reward", "recertification_reward", "service_specialists", "coaching")
ENTRY_LEVERS = ("incubator_capacity", "beijing_tianjin_attraction")


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _mean_application(rate, reward: float, savings: tuple[np.ndarray, np.ndarray], p: Mapping, boost=0.0):
    """Mean over firms of `behaviour.application_probability` (base passed as a logit shift)."""
    values, shares = savings
    per_firm = bh.application_probability(
        0.5, reward, values, p["application_value_weight"], p["application_cost"], boost + _logit(rate)
    )
    return (per_firm * shares).sum(axis=-1, keepdims=True)


def _decision_rates(p: Mapping, profile: StageProfile, policy: Mapping[str, float]) -> dict:
    """Probabilities of the year's decisions, from the behaviour functions; each (*batch, 1, 1)."""
    spec, s = policy["service_specialists"], profile.saving_points
    reward = policy["certification_reward"]
    apply = {g: _mean_application(p["application_rate"], reward, s[g], p) for g in ("U", "S", "O")}
    apply["R"] = _mean_application(p["application_rate"], reward, s["R"], p, p["reserve_application_boost"])
    reapply = bh.reduce_failure(
        _mean_application(p["recert_apply_rate"], policy["recertification_reward"], s["H"], p),
        spec,
        p["specialist_efficacy"],
    )
    rates = SimpleNamespace(**p)
    passes = kernel.certification_pass_probability(rates, policy, 0.0)
    pass_reserve = kernel.certification_pass_probability(rates, policy, 1.0)
    pass_recert = kernel.recertification_pass_probability(rates, policy, 1.0)
    certify = {g: apply[g] * passes for g in ("U", "S", "O")}
    certify["R"] = apply["R"] * pass_reserve
    return {"certify": certify, "recertify": reapply * pass_recert}


def _pair_weights(p: Mapping, rates: dict) -> np.ndarray:
    """(*batch, len(PAIRS), 4) class weights of every decision pair (module docstring)."""
    h, s = HTE_OK, SME_OK
    renew, reg_u, reg_o = p["sme_renewal_rate"], p["startup_registration_rate"], p["outside_registration_rate"]
    cert = {k: h * rates["certify"][k[0]] for k in UNCERTIFIED}
    rest = {k: 1.0 - cert[k] for k in UNCERTIFIED}
    recert = h * rates["recertify"]
    weight = {(k, "H0"): cert[k] for k in UNCERTIFIED}
    for k in ("U0", "U1", "U2"):
        weight[(k, "S")], weight[(k, NEXT[k])] = rest[k] * s * reg_u, rest[k] * (1.0 - s * reg_u)
    weight[("O", "S")], weight[("O", "O")] = rest["O"] * s * reg_o, rest["O"] * (1.0 - s * reg_o)
    for k, stay_to in (("S", "S"), ("R0", "R1"), ("R1", "R2"), ("R2", "S")):
        weight[(k, stay_to)], weight[(k, "O")] = rest[k] * s * renew, rest[k] * (1.0 - s * renew)
    weight[("H0", "H1")] = weight[("H1", "H2")] = np.ones((1, N_CLASSES))
    weight[("H2", "H0")] = recert
    weight[("H2", "S")], weight[("H2", "O")] = (1.0 - recert) * s * renew, (1.0 - recert) * (1.0 - s * renew)
    parts = [weight[pair] for pair in PAIRS]
    zero = np.zeros(np.broadcast_shapes(*(np.shape(w) for w in parts)))
    return np.concatenate([w + zero for w in parts], axis=-2)


def _survival(p: Mapping, policy: Mapping[str, float], funded: float) -> np.ndarray:
    """(*batch, len(KEYS), 1) share of each compartment that neither closes nor moves away
    (`kernel.leave_probabilities` in expectation: `funded` is the share of certified firms funded)."""
    rates = SimpleNamespace(**p)
    close, move = kernel.leave_probabilities(p["exit_rate_hte"], 1.0, funded, rates, policy)
    by_group = [1.0 - kernel.leave_probabilities(p[f"exit_rate_{g}"], 0.0, 0.0, rates, policy)[0] for g in GROUP_EXITS]
    by_group.append(1.0 - close - move)
    zero = np.zeros(np.broadcast_shapes(*(np.shape(v) for v in by_group)))
    return SURVIVAL_MAP @ np.concatenate([v + zero for v in by_group], axis=-2)


def _entries(p: Mapping, profile: StageProfile, policy: Mapping[str, float]) -> np.ndarray:
    """(*batch, len(KEYS), 4) firms entering at the end of a year: startups, and move-ins over H0-H2."""
    startups = p["startup_entry_rate"] * profile.base_sme + policy["incubator_capacity"]
    move_ins = p["move_in_rate"] * profile.base_certified + policy["beijing_tianjin_attraction"]
    pattern_u = ONE_HOT["U0"] * profile.entrant_startup[None, :]
    pattern_h = (ONE_HOT["H0"] + ONE_HOT["H1"] + ONE_HOT["H2"]) * profile.entrant_certified[None, :] / 3.0
    return startups * pattern_u + move_ins * pattern_h


def _intake(x: np.ndarray, rate, lever: float) -> np.ndarray:
    """(*batch, 4) firms moved S -> R0 at the start of a year, by class (not yet eligible first)."""
    s_vec = x[..., KEYS.index("S"), :]
    rate = rate[..., 0]
    total = s_vec.sum(axis=-1, keepdims=True)
    wanted = np.minimum(total, rate * total + lever)
    other = (s_vec * (1 - HTE_OK)).sum(axis=-1, keepdims=True)
    from_other = np.minimum(wanted, other)
    from_eligible = np.maximum(wanted - other, 0.0)
    return s_vec * (1 - HTE_OK) * (from_other / (other + 1e-9)) + s_vec * HTE_OK * (
        from_eligible / (total - other + 1e-9)
    )


def _year(x, weights, survival, entries, lever: float, kernel: np.ndarray, intake_rate):
    """One year of the recursion; returns the new state and the year's new and renewed certificates."""
    taken = _intake(x, intake_rate, lever)
    x = x + (ONE_HOT["R0"] - ONE_HOT["S"]) * taken[..., None, :]
    y = np.einsum("...ki,kij->...kj", x * survival, kernel)
    moved = y[..., FROM_INDEX, :] * weights
    new = moved[..., NEW_CERT_PAIRS, :].sum(axis=(-2, -1))
    return TO @ moved + entries, new, moved[..., RECERT_PAIR, :].sum(axis=-1)


def _as_rates(base: Mapping[str, float], rates: Mapping[str, object] | None) -> dict[str, np.ndarray]:
    """Every field as an array of shape (*batch, 1, 1), so it broadcasts against (*batch, 11, 4)."""
    values = {**base, **(rates or {})}
    return {k: np.asarray(v)[..., None, None] for k, v in values.items()}


@dataclass(frozen=True)
class _Years:
    """What each year of the window reads: levers in force, class kernel per compartment, funded share."""

    policies: tuple[dict[str, float], ...]
    kernels: np.ndarray
    funded: tuple[float, ...]


def _years(profile: StageProfile, levers: Iterable[LeverSetting]) -> _Years:
    settings = tuple(levers)
    return _Years(
        tuple(active_levers(settings, int(y)) for y in profile.years[1:]),
        profile.kernels[:, KERNEL_OF],
        tuple(float(f) for f in profile.funded),
    )


def _simulate(profile: StageProfile, p: dict[str, np.ndarray], years: _Years) -> dict[str, np.ndarray]:
    cache: dict = {}

    def once(kind: str, key: tuple, make):
        # the yearly rates change only when a lever they read changes
        if (kind, key) not in cache:
            cache[(kind, key)] = make()
        return cache[(kind, key)]

    x = profile.initial
    stocks = {"hte_certified": [(x * CERTIFIED_ROWS).sum()], "tech_sme_registered": [(x * REGISTERED_ROWS).sum()]}
    flows: dict[str, list] = {"new_certifications": [], "recertifications": []}
    for t, (policy, funded) in enumerate(zip(years.policies, years.funded, strict=True)):
        weights = once(
            "w",
            tuple(policy[k] for k in WEIGHT_LEVERS),
            lambda policy=policy: _pair_weights(p, _decision_rates(p, profile, policy)),
        )
        survival = once(
            "s",
            (policy["service_specialists"], funded),
            lambda policy=policy, funded=funded: _survival(p, policy, funded),
        )
        entries = once("e", tuple(policy[k] for k in ENTRY_LEVERS), lambda policy=policy: _entries(p, profile, policy))
        x, new, recert = _year(
            x, weights, survival, entries, policy["reserve_pool_intake"], years.kernels[t], p["reserve_intake_rate"]
        )
        stocks["hte_certified"].append((x * CERTIFIED_ROWS).sum(axis=(-2, -1)))
        stocks["tech_sme_registered"].append((x * REGISTERED_ROWS).sum(axis=(-2, -1)))
        flows["new_certifications"].append(new)
        flows["recertifications"].append(recert)
    zero = np.zeros(np.shape(x)[:-2])
    out = {k: np.stack([v + zero for v in values], axis=-1) for k, values in {**stocks, **flows}.items()}
    out["certifications_listed"] = out["new_certifications"] + out["recertifications"]
    return {"years": profile.years, **out}


def simulate_meanfield(
    profile: StageProfile,
    rates: Mapping[str, object] | None = None,
    *,
    base: LadderParams = LadderParams(),
    levers: Iterable[LeverSetting] = (),
) -> dict[str, np.ndarray]:
    """Expected trajectories from the start state over the profile's years.

    Args:
        profile: from `measure_profile` (same start state, years and levers).
        rates: `LadderParams` field -> value; fields not given come from `base`. Values
            may be arrays with a common batch shape (one trajectory per element), real
            or complex (`MeanFieldOp` differentiates by complex step).
        levers: lever settings in force (as in the ABM run).

    Returns:
        ``years`` (start..end), the stocks in `STOCKS` for every year (column 0 = start),
        and the flows in `FLOWS` for years start+1..end; arrays of shape (*batch, years).
    """
    return _simulate(profile, _as_rates(base.to_dict(), rates), _years(profile, levers))


# --- as a PyTensor Op ------------------------------------------------------------------
OP_COLUMNS = ("hte_certified", "tech_sme_registered", "certifications_listed")
COMPLEX_STEP = 1e-20


def meanfield_with_jacobian(
    profile: StageProfile,
    names: Sequence[str],
    theta: np.ndarray,
    *,
    base: LadderParams = LadderParams(),
    levers: Iterable[LeverSetting] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """`OP_COLUMNS` trajectories concatenated, and their Jacobian in ``theta`` (rates ``names``).

    Complex step: f(theta + i h e_j) = f(theta) + i h df/dtheta_j + O(h^2), so the
    imaginary parts give the derivatives exactly to rounding (no differences taken),
    all j at once as one batch through the same numpy code.
    """
    fixed = _as_rates({k: v for k, v in base.to_dict().items() if k not in names}, {})
    return _value_and_jacobian(profile, tuple(names), np.asarray(theta, dtype=float), fixed, _years(profile, levers))


def _value_and_jacobian(profile: StageProfile, names: tuple[str, ...], theta: np.ndarray, fixed: dict, years: _Years):
    batch = theta[None, :] + 1j * COMPLEX_STEP * np.eye(theta.size)
    rates = {**fixed, **{k: batch[:, j, None, None] for j, k in enumerate(names)}}
    paths = _simulate(profile, rates, years)
    flat = np.concatenate([paths[c] for c in OP_COLUMNS], axis=-1)
    return flat[0].real.copy(), (flat.imag / COMPLEX_STEP).T.copy()


class MeanFieldOp(Op):
    """theta (rates `names`) -> (trajectories of `OP_COLUMNS` concatenated, their Jacobian).

    The recursion runs in numpy (the behaviour functions are numpy code), so under the
    Numba backend this Op runs in object mode, by design. Ops compare by identity: each
    holds its own pilot profile.
    """

    def __init__(
        self,
        profile: StageProfile,
        names: Sequence[str],
        base: LadderParams = LadderParams(),
        levers: Iterable[LeverSetting] = (),
    ) -> None:
        self.profile, self.names, self.base, self.levers = profile, tuple(names), base, tuple(levers)
        self._years = _years(profile, self.levers)
        self._fixed = _as_rates({k: v for k, v in base.to_dict().items() if k not in self.names}, {})

    def __str__(self) -> str:
        return f"MeanFieldOp({self.profile.start_year}-{self.profile.end_year})"

    def make_node(self, theta):
        theta = pt.as_tensor_variable(theta).astype("float64")
        return Apply(self, [theta], [pt.dvector(), pt.dmatrix()])

    def perform(self, node, inputs, outputs) -> None:
        value, jac = _value_and_jacobian(
            self.profile, self.names, np.asarray(inputs[0], dtype=float), self._fixed, self._years
        )
        outputs[0][0], outputs[1][0] = value, jac

    def grad(self, inputs, output_grads):
        _, jac = self(inputs[0])
        g = output_grads[0]
        if isinstance(g.type, DisconnectedType):
            return [pt.zeros_like(inputs[0])]
        return [pt.dot(g, jac)]

    def connection_pattern(self, node):
        return [[True, False]]

    def split(self, flat) -> dict:
        """The op's first output as column -> tensor (stocks with the start year, lists without)."""
        n = len(self.profile.years)
        return {
            "hte_certified": flat[:n],
            "tech_sme_registered": flat[n : 2 * n],
            "certifications_listed": flat[2 * n :],
        }
