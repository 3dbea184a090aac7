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
    entries   U0 += (startup_entry_rate N_sme + incubator_capacity) e_U
              H0, H1, H2 += (move_in_rate N_cert + beijing_tianjin_attraction) e_H / 3
              (N_sme = S + R and N_cert = H at the start of the year, as `kernel.entry_means`)

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

Gradient. The recursion is compiled (`recursion`: numba, calling the same ``@compilable``
rule and behaviour functions the firm step compiles, so no rule is written twice) and
wrapped as an Op, `MeanFieldOp`, whose gradient is the Jacobian by complex step: the rates
enter as theta + i h e_j for every j at once (a batch of complex rate records), and
Im f / h is df/dtheta_j exact to rounding (h = 1e-20, no differences taken).
`application_probability` clips its base rate, which complex numbers do not allow; since
its equation is ``logit p = logit(base) + boost + ...``, it is called with base 0.5
(logit 0) and ``boost + logit(rate)``, the same value (checked against the direct call in
the tests). `benchmarks/bench_meanfield.py` runs the numpy version it replaces (out of git) and
this one on the calibration's profiles: the same values and Jacobians to about 1e-15, one call
for Hebei about 0.25 ms against 0.9 ms.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numba
import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key

from models.ladder import behaviour as bh
from models.ladder.agents import Firm
from models.ladder.levers import LeverSetting, active_levers
from models.ladder.model import LadderModel
from models.ladder.params import LadderParams
from models.ladder.records import policy_record
from models.ladder.recursion import DIGEST, FIELDS, SAVING_ROWS, complex_records, run_paths, value_and_jacobian
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
        self.savings: dict[str, list[float]] = {g: [] for g in SAVING_ROWS}
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


# --- the recursion (compiled: `recursion`) ---------------------------------------------
KERNEL_OF = [GROUPS.index(GROUP_OF[k]) for k in KEYS]


@dataclass(frozen=True)
class _Years:
    """What the compiled recursion reads of a profile and its levers: one lever record a year, the class
    kernel of every compartment, the funded share, entrant classes and savings."""

    policies: np.ndarray
    kernels: np.ndarray
    funded: np.ndarray
    initial: np.ndarray
    entrants: np.ndarray
    savings: tuple[np.ndarray, np.ndarray]

    def run(self, records: np.ndarray) -> np.ndarray:
        """(records, 4, years + 1): `recursion.run_paths`."""
        return run_paths(records, self.policies, self.funded, self.kernels, self.initial, self.entrants, self.savings)

    def arguments(self) -> tuple[np.ndarray, ...]:
        """The arrays `recursion.value_and_jacobian` reads after the rates, in its order: the policies, then
        the profile's numbers (`DATA`)."""
        as_float = (np.ascontiguousarray(a, dtype=np.float64) for a in (self.funded, self.kernels, self.initial))
        rest = (np.ascontiguousarray(a, dtype=np.float64) for a in (self.entrants, *self.savings))
        return (self.policies, *as_float, *rest)


DATA = ("funded", "kernels", "initial", "entrants", "saving_values", "saving_shares")
"""The profile's numbers `_Years.arguments` gives after the policies (`MeanFieldOp`'s shared inputs)."""


def _years(profile: StageProfile, levers: Iterable[LeverSetting]) -> _Years:
    settings = tuple(levers)
    points = [profile.saving_points[g] for g in SAVING_ROWS]
    width = max(v.size for v, _ in points)
    values, shares = np.zeros((len(points), width)), np.zeros((len(points), width))
    for row, (v, s) in enumerate(points):
        values[row, : v.size], shares[row, : s.size] = v, s
    return _Years(
        np.concatenate([policy_record(active_levers(settings, int(y))) for y in profile.years[1:]]),
        profile.kernels[:, KERNEL_OF],
        np.asarray(profile.funded, dtype=float),
        profile.initial,
        np.stack([profile.entrant_startup, profile.entrant_certified]),
        (values, shares),
    )


def _named(raw: np.ndarray, shape: tuple[int, ...], years: np.ndarray) -> dict[str, np.ndarray]:
    """`recursion.run_paths` output as the named trajectories, with the batch shape restored."""
    out = {
        "hte_certified": raw[:, 0],
        "tech_sme_registered": raw[:, 1],
        "new_certifications": raw[:, 2, 1:],
        "recertifications": raw[:, 3, 1:],
    }
    out = {k: v.reshape(*shape, v.shape[-1]) for k, v in out.items()}
    out["certifications_listed"] = out["new_certifications"] + out["recertifications"]
    return {"years": years, **out}


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
        and the flows in `FLOWS` for years start+1..end; arrays of shape (*batch, years),
        complex only if a rate was.
    """
    given = {k: np.asarray(v) for k, v in (rates or {}).items()}
    shape = np.broadcast_shapes(*(v.shape for v in given.values())) if given else ()
    size = int(np.prod(shape, dtype=int))
    flat = {k: np.broadcast_to(v, shape).reshape(size) for k, v in given.items()}
    raw = _years(profile, levers).run(complex_records(base, flat, size))
    if not any(np.iscomplexobj(v) for v in given.values()):
        raw = raw.real
    return _named(raw, shape, profile.years)


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
    all j at once as one batch of rate records through the same compiled recursion.
    """
    return _value_and_jacobian(tuple(names), theta, base, _years(profile, levers).arguments())


def _value_and_jacobian(names: tuple[str, ...], theta, base: LadderParams, arguments: Sequence[np.ndarray]):
    """`recursion.value_and_jacobian` at ``theta`` (rates ``names`` over ``base``) with the policies and the
    profile's numbers ``arguments`` (`_Years.arguments`' order; `MeanFieldOp.perform` passes its inputs')."""
    template, columns = _rate_template(base, names)
    policies, *data = arguments
    data = (np.ascontiguousarray(a, dtype=np.float64) for a in data)
    return value_and_jacobian(template, columns, np.asarray(theta, dtype=float), COMPLEX_STEP, policies, *data)


def _rate_template(base: LadderParams, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One complex rate record of `base` per sampled rate, and the sampled rates' fields."""
    return complex_records(base, {}, len(names)), np.array([FIELDS.index(n) for n in names])


class MeanFieldOp(Op):
    """theta (rates `names`) -> (trajectories of `OP_COLUMNS` concatenated, their Jacobian).

    The recursion is compiled (`recursion`); under PyTensor's Numba backend the compiled graph calls
    it directly (`_numba_meanfield`: no object mode), elsewhere `perform` calls it. The profile's numbers
    enter the graph as shared variables (`data`, inputs of the node after theta), not as constants: two
    profiles with the same levers, base and rates give the same compiled graph, so a fit whose pilot is
    measured again (`calibration.calibrate`'s refinement) or a later fit of the same shape loads it instead of
    compiling it again. Ops compare by identity.
    """

    def __init__(
        self,
        profile: StageProfile,
        names: Sequence[str],
        base: LadderParams = LadderParams(),
        levers: Iterable[LeverSetting] = (),
    ) -> None:
        self.profile, self.names, self.base, self.levers = profile, tuple(names), base, tuple(levers)
        years = _years(profile, self.levers)
        self.policies = years.policies
        arrays = zip(DATA, years.arguments()[1:], strict=True)
        self.data = tuple(pytensor.shared(a, name=f"meanfield_{n}") for n, a in arrays)

    def __str__(self) -> str:
        return f"MeanFieldOp({self.profile.start_year}-{self.profile.end_year})"

    def make_node(self, theta, *data):
        theta = pt.as_tensor_variable(theta).astype("float64")
        inputs = [pt.as_tensor_variable(d) for d in (data or self.data)]
        return Apply(self, [theta, *inputs], [pt.dvector(), pt.dmatrix()])

    def perform(self, node, inputs, outputs) -> None:
        theta, *data = inputs
        outputs[0][0], outputs[1][0] = _value_and_jacobian(self.names, theta, self.base, (self.policies, *data))

    def grad(self, inputs, output_grads):
        _, jac = self(*inputs)
        g = output_grads[0]
        theta_grad = pt.zeros_like(inputs[0]) if isinstance(g.type, DisconnectedType) else pt.dot(g, jac)
        return [theta_grad, *(disconnected_type() for _ in inputs[1:])]

    def connection_pattern(self, node):
        return [[True, False]] + [[False, False]] * (len(node.inputs) - 1)

    def split(self, flat) -> dict:
        """The op's first output as column -> tensor (stocks with the start year, lists without)."""
        n = len(self.profile.years)
        return {
            "hte_certified": flat[:n],
            "tech_sme_registered": flat[n : 2 * n],
            "certifications_listed": flat[2 * n :],
        }

    def flatten(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Per-column arrays (stocks with the start year, lists without) in `split`'s layout; a column not
        given is ones."""
        n = len(self.profile.years)
        sizes = {c: n - (c == "certifications_listed") for c in OP_COLUMNS}
        return np.concatenate([np.broadcast_to(columns.get(c, 1.0), (sizes[c],)) for c in OP_COLUMNS]).astype(float)

    def position(self, columns: Sequence[str], years: Sequence[int]) -> np.ndarray:
        """Index in the op's first output of each (column, year) (`split`'s layout)."""
        n, start = len(self.profile.years), self.profile.start_year
        pairs = zip(columns, years, strict=True)
        return np.array([OP_COLUMNS.index(c) * n + (y - start) - (c == "certifications_listed") for c, y in pairs])


@register_funcify_and_cache_key(MeanFieldOp)
def _numba_meanfield(op: MeanFieldOp, node=None, **kwargs):
    """`MeanFieldOp` in PyTensor's Numba backend: the compiled recursion called from the compiled graph,
    the rate template and the yearly levers as constants, the profile's numbers as inputs. The cache key
    hashes the constants and the recursion's sources (`recursion.DIGEST`), not the profile, so a fit of
    the same shape loads the compiled graph from disk."""
    template, columns = _rate_template(op.base, op.names)
    policies, step = op.policies, COMPLEX_STEP

    @numba.njit(cache=False)
    def meanfield_op(theta, funded, kernels, initial, entrants, values, shares):
        # copies: numba types a closure's arrays read-only, and PyTensor's inputs need not be contiguous; as
        # copies the call matches the recursion's signature compiled (and cached) for Python callers
        return value_and_jacobian(
            template.copy(), columns.copy(), np.ascontiguousarray(theta), step, policies.copy(),
            np.ascontiguousarray(funded), np.ascontiguousarray(kernels), np.ascontiguousarray(initial),
            np.ascontiguousarray(entrants), np.ascontiguousarray(values), np.ascontiguousarray(shares),
        )  # fmt: skip

    # the recursion's sources, this function's own (the call above) and the constants: an edit recompiles
    key = hashlib.sha256(f"{DIGEST} {step!r} {inspect.getsource(_numba_meanfield)}".encode())
    for part in (template, columns, policies):
        key.update(np.ascontiguousarray(part).tobytes())
    return meanfield_op, f"MeanFieldOp-{key.hexdigest()}"
