"""The mean-field recursion (`meanfield` docstring) as compiled code: one year loop over the eleven
compartments and four eligibility classes, for a batch of rate records, each real or complex.

Why compiled. The calibration's sampler asks for the recursion and its Jacobian about 30,000 times a
chain; as numpy code over arrays of 11 x 4 numbers each call was ~1.4 ms of interpreter overhead for a
region (hundreds of tiny array operations), nearly all of a fit's time. Here one year is a loop over
scalars, compiled by numba, and the rules and behaviour it applies are the same ``@compilable``
functions the firm step (`kernel`) calls, compiled for one rate record: `kernel.leave_probabilities`,
`kernel.certification_pass_probability`, `kernel.recertification_pass_probability`,
`behaviour.application_probability`, `behaviour.reduce_failure`. No rule is written twice.

Records. The rates are records of `COMPLEX_PARAMS` (every `LadderParams` field as complex128), so the
Jacobian comes by complex step as before (`meanfield.meanfield_with_jacobian`: record j carries
theta + i h e_j); a real evaluation has zero imaginary parts. Where the recursion takes a minimum (the
reserve-pool intake), it compares real parts and keeps the chosen complex value, as numpy's minimum
does on complex arrays, so the derivative is the chosen branch's. `application_probability` clips its
base rate (no complex clip), so it is called with base 0.5 (logit 0) and ``boost + logit(rate)``, the
same value (tested).

The year, in `kernel.YEAR`'s order, for compartment k and class c (``h``, ``s`` the class masks)::

    intake   S -> R0: min(S, reserve_intake_rate S + reserve_pool_intake), classes not HTE-eligible first
    survive  y[k] = x[k] (1 - close_k - move_k);   then classes  y[k] <- y[k] @ K_t[k]
    decide   uncertified k: H0 with h p_apply(k) p_pass(k); else registration / renewal / ageing;
             H0 -> H1 -> H2;  H2: H0 with h p_recert, else S with s sme_renewal_rate, else O
    enter    U0 += startup_entry_rate N_sme + incubator_capacity (entrant classes);
             H0..H2 += (move_in_rate N_cert + beijing_tianjin_attraction) / 3 (entrant classes),
             N_sme = S + R0..R2 and N_cert = H0..H2 at the start of the year (`kernel.entry_means`)

Numba's cache checks only this file; the rule sources compiled into the loop are hashed into its
closure (`compiled.sources_digest`), so an edit to a rule recompiles it (as `kernel` does).
"""

from __future__ import annotations

import sys
from dataclasses import fields

import numba
import numpy as np

from models.ladder import behaviour as bh
from models.ladder import kernel, rules
from models.ladder.compiled import sources_digest
from models.ladder.params import LadderParams

COMPLEX_PARAMS = np.dtype([(f.name, np.complex128) for f in fields(LadderParams)])
"""One rate record with complex fields (real rates have zero imaginary parts)."""
U0, U1, U2, S, R0, R1, R2, H0, H1, H2, O = range(11)  # noqa: E741 (the compartments' names)
N_KEYS, N_CLASSES = 11, 4
HTE_CLASS = np.array([0.0, 0.0, 1.0, 1.0])
SME_CLASS = np.array([0.0, 1.0, 0.0, 1.0])
SAVING_ROWS = ("U", "S", "R", "O", "H")
"""Rows of the savings arrays: the groups whose eligible firms' tax savings set their application rate."""


def _entry_point(digest: str):
    @numba.njit(cache=True, nogil=True)
    def logit(r):
        return np.log(r) - np.log(1.0 - r)

    @numba.njit(cache=True, nogil=True)
    def mean_application(rate, reward, values, shares, p, boost):
        """Mean over firms of `behaviour.application_probability` (base passed as a logit shift)."""
        shift = boost + logit(rate)
        total = 0.0j
        for i in range(values.size):
            if shares[i] > 0.0:
                chance = bh.application_probability(
                    0.5, reward, values[i], p.application_value_weight, p.application_cost, shift
                )
                total += shares[i] * chance
        return total

    @numba.njit(cache=True, nogil=True)
    def survival(p, policy, funded, out):
        """Share of each compartment that neither closes nor moves away (`kernel.leave_probabilities`)."""
        startup = 1.0 - kernel.leave_probabilities(p.exit_rate_startup, 0.0, 0.0, p, policy)[0]
        sme = 1.0 - kernel.leave_probabilities(p.exit_rate_sme, 0.0, 0.0, p, policy)[0]
        outside = 1.0 - kernel.leave_probabilities(p.exit_rate_outside, 0.0, 0.0, p, policy)[0]
        close, move = kernel.leave_probabilities(p.exit_rate_hte, 1.0, funded, p, policy)
        for k in (U0, U1, U2):
            out[k] = startup
        for k in (S, R0, R1, R2):
            out[k] = sme
        for k in (H0, H1, H2):
            out[k] = 1.0 - close - move
        out[O] = outside

    @numba.njit(cache=True, nogil=True)
    def intake(x, rate, lever):
        """Firms moved S -> R0 at the start of a year, by class: the not yet HTE-eligible first (the pool
        takes near-eligible firms, `kernel.reserve_priority`), then the eligible."""
        total, other = 0.0j, 0.0j
        for c in range(N_CLASSES):
            total += x[S, c]
            other += x[S, c] * (1.0 - HTE_CLASS[c])
        wanted = rate * total + lever
        if total.real < wanted.real:
            wanted = total
        first = wanted if wanted.real < other.real else other
        rest = wanted - other if wanted.real > other.real else 0.0j
        for c in range(N_CLASSES):
            share = rest / (total - other + 1e-9) if HTE_CLASS[c] > 0 else first / (other + 1e-9)
            moved = x[S, c] * share
            x[S, c] -= moved
            x[R0, c] += moved

    @numba.njit(cache=True, nogil=True)
    def decide(y, certify, recertify, p, nxt):
        """The year's decisions from the survivors y (classes of this year); returns (new, renewed) certificates."""
        renew, reg_u, reg_o = p.sme_renewal_rate, p.startup_registration_rate, p.outside_registration_rate
        new, renewed = 0.0j, 0.0j
        for k in (U0, U1, U2, S, R0, R1, R2, O):
            for c in range(N_CLASSES):
                h, s = HTE_CLASS[c], SME_CLASS[c]
                cert = h * certify[k]
                rest = y[k, c] * (1.0 - cert)
                nxt[H0, c] += y[k, c] * cert
                new += y[k, c] * cert
                if k == U0 or k == U1 or k == U2:
                    nxt[S, c] += rest * s * reg_u
                    nxt[O if k == U2 else k + 1, c] += rest * (1.0 - s * reg_u)
                elif k == O:
                    nxt[S, c] += rest * s * reg_o
                    nxt[O, c] += rest * (1.0 - s * reg_o)
                else:  # S stays S, R0 -> R1 -> R2 -> S; lost registrations go outside
                    nxt[S if k == S or k == R2 else k + 1, c] += rest * s * renew
                    nxt[O, c] += rest * (1.0 - s * renew)
        for c in range(N_CLASSES):
            h, s = HTE_CLASS[c], SME_CLASS[c]
            nxt[H1, c] += y[H0, c]
            nxt[H2, c] += y[H1, c]
            recert = h * recertify
            nxt[H0, c] += y[H2, c] * recert
            renewed += y[H2, c] * recert
            nxt[S, c] += y[H2, c] * (1.0 - recert) * s * renew
            nxt[O, c] += y[H2, c] * (1.0 - recert) * (1.0 - s * renew)
        return new, renewed

    @numba.njit(cache=True, nogil=True)
    def decision_rates(p, policy, values, shares, certify):
        """Certification probability of each uncertified compartment (into `certify`); returns the
        re-certification probability of an eligible H2 firm."""
        reward = policy["certification_reward"]
        passes = kernel.certification_pass_probability(p, policy, 0.0)
        for k, row in ((U0, 0), (S, 1), (O, 3)):
            certify[k] = mean_application(p.application_rate, reward, values[row], shares[row], p, 0.0) * passes
        certify[U1] = certify[U2] = certify[U0]
        reserve = mean_application(
            p.application_rate, reward, values[2], shares[2], p, p.reserve_application_boost
        ) * kernel.certification_pass_probability(p, policy, 1.0)
        for k in (R0, R1, R2):
            certify[k] = reserve
        reapply = bh.reduce_failure(
            mean_application(p.recert_apply_rate, policy["recertification_reward"], values[4], shares[4], p, 0.0),
            policy["service_specialists"],
            p.specialist_efficacy,
        )
        return reapply * kernel.recertification_pass_probability(p, policy, 1.0)

    @numba.njit(cache=True, nogil=True)
    def changed(before, after):
        return (
            before["certification_reward"] != after["certification_reward"]
            or before["recertification_reward"] != after["recertification_reward"]
            or before["service_specialists"] != after["service_specialists"]
            or before["coaching"] != after["coaching"]
        )

    @numba.njit(cache=True, nogil=True)
    def one_path(p, policies, funded, kernels, initial, entrants, values, shares, out):
        """One rate record's trajectories into out (4, years + 1): certified, registered (start and every
        year), new certifications, re-certifications (every year after the start, column 0 unused)."""
        _ = digest
        x = initial.astype(np.complex128)
        keep = np.empty(N_KEYS, dtype=np.complex128)
        certify = np.empty(N_KEYS, dtype=np.complex128)
        y = np.empty((N_KEYS, N_CLASSES), dtype=np.complex128)
        out[0, 0] = x[H0:O].sum()
        out[1, 0] = x[S:H0].sum()
        recertify = 0.0j
        for t in range(policies.size):
            policy, p_t = policies[t], p
            if t == 0 or changed(policies[t - 1], policy):  # the decision rates read only these levers
                recertify = decision_rates(p_t, policy, values, shares, certify)
            n_registered, n_certified = x[S:H0].sum(), x[H0:O].sum()  # the start of the year: entry bases
            intake(x, p_t.reserve_intake_rate, policy["reserve_pool_intake"])
            survival(p_t, policy, funded[t], keep)
            y[:] = 0.0
            for k in range(N_KEYS):
                for a in range(N_CLASSES):
                    for b in range(N_CLASSES):
                        y[k, b] += x[k, a] * keep[k] * kernels[t, k, a, b]
            x[:] = 0.0
            new, renewed = decide(y, certify, recertify, p_t, x)
            startups = p_t.startup_entry_rate * n_registered + policy["incubator_capacity"]
            move_ins = p_t.move_in_rate * n_certified + policy["beijing_tianjin_attraction"]
            for c in range(N_CLASSES):
                x[U0, c] += startups * entrants[0, c]
                for k in (H0, H1, H2):
                    x[k, c] += move_ins * entrants[1, c] / 3.0
            out[0, t + 1] = x[H0:O].sum()
            out[1, t + 1] = x[S:H0].sum()
            out[2, t + 1] = new
            out[3, t + 1] = renewed

    @numba.njit(cache=True, nogil=True)
    def paths(records, policies, funded, kernels, initial, entrants, values, shares):
        out = np.zeros((records.size, 4, policies.size + 1), dtype=np.complex128)
        for i in range(records.size):
            one_path(records[i], policies, funded, kernels, initial, entrants, values, shares, out[i])
        return out

    @numba.njit(cache=True, nogil=True)
    def value_and_jacobian(template, columns, theta, step, policies, funded, kernels, initial, entrants, values,
                           shares):  # fmt: skip
        """The stocks and yearly lists concatenated (`meanfield.OP_COLUMNS`) at rates ``theta`` (the fields
        ``columns`` of the records ``template``, one per rate), and their Jacobian (outputs x rates) by
        complex step: record j carries theta + i step e_j."""
        n = theta.size
        records = template.copy()
        table = records.view(np.complex128)
        width = table.size // n
        for j in range(n):
            for k in range(n):
                table[j * width + columns[k]] = theta[k] + (1j * step if j == k else 0.0j)
        raw = paths(records, policies, funded, kernels, initial, entrants, values, shares)
        years = raw.shape[2]
        value, jac = np.empty(3 * years - 1), np.empty((3 * years - 1, n))
        for j in range(n):
            for t in range(3 * years - 1):
                if t < 2 * years:
                    out = raw[j, t // years, t % years]
                else:  # the yearly lists: new certifications + re-certifications, years after the start
                    out = raw[j, 2, t - 2 * years + 1] + raw[j, 3, t - 2 * years + 1]
                if j == 0:
                    value[t] = out.real
                jac[t, j] = out.imag / step
        return value, jac

    return paths, mean_application, value_and_jacobian


DIGEST = sources_digest(rules, bh, kernel, sys.modules[__name__])
"""Hash of the rule, behaviour and recursion sources compiled into the loop (keys compiled caches)."""
_paths, mean_application, value_and_jacobian = _entry_point(DIGEST)


FIELDS = tuple(f.name for f in fields(LadderParams))


def complex_records(base: LadderParams, rates: dict[str, np.ndarray], size: int) -> np.ndarray:
    """`size` records of `COMPLEX_PARAMS`: `base`'s values, with the fields in `rates` (arrays of `size`)."""
    table = np.tile(np.array([getattr(base, name) for name in FIELDS], dtype=np.complex128), (size, 1))
    for name, value in rates.items():
        table[:, FIELDS.index(name)] = value
    return as_records(table)


def as_records(table: np.ndarray) -> np.ndarray:
    """A (records, fields) complex table, fields in `FIELDS` order, as records of `COMPLEX_PARAMS` (no copy)."""
    return np.ascontiguousarray(table, dtype=np.complex128).view(COMPLEX_PARAMS).reshape(len(table))


def run_paths(
    records: np.ndarray,
    policies: np.ndarray,
    funded: np.ndarray,
    kernels: np.ndarray,
    initial: np.ndarray,
    entrants: np.ndarray,
    savings: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """(records, 4, years + 1) complex: certified, registered, new certifications, re-certifications.

    ``policies``: one lever record a year after the start (`records.policy_record`); ``kernels``:
    (years, 11, 4, 4) class kernel of each compartment; ``entrants``: (2, 4) class shares of new startups
    and move-ins; ``savings``: (values, shares), each (5, n), rows `SAVING_ROWS`. Entries are proportional to
    the registered and certified firms at the start of each year.
    """
    values, shares = savings
    return _paths(
        records,
        policies,
        np.ascontiguousarray(funded, dtype=np.float64),
        np.ascontiguousarray(kernels, dtype=np.float64),
        np.ascontiguousarray(initial, dtype=np.float64),
        np.ascontiguousarray(entrants, dtype=np.float64),
        np.ascontiguousarray(values, dtype=np.float64),
        np.ascontiguousarray(shares, dtype=np.float64),
    )
