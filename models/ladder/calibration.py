"""Calibration of the ladder model: a posterior over its uncertain rates from a region's
published stage counts and certification lists.

Data (`RegionObservations`, built from the history table by the application,
`forecast.ladder.calibration`; series ``main``)::

    high_tech_enterprises     stock  ->  hte_certified          (firms holding a certificate)
    high_tech_certifications  flow   ->  certifications_listed  (first + re-certifications)
    tech_smes                 stock  ->  tech_sme_registered    (registry, certified firms excluded)

The yearly certification lists (Hebei's, from the Torch Centre's public lists) include
both first certifications and re-certifications (the data note says so: 含新认定与
重新认定), so they are compared with the model's first certifications plus renewals;
move-ins keep their certificate and are not listed. Whether every supplementary batch
is included is not stated: the lists get the same noise as any figure.

Window. The HTE rules in `rules.py` are the 2016 Administrative Measures, so the window
starts in the first year from `RULES_YEAR` on with clean figures (no caveat other than
``plan_base``) for both stocks; those give the start state, as `forecast run` starts
the ladder (hte, tech_sme observed; startup = 2 x startup_entry_rate (default) x
tech_sme, about two yearly cohorts of entrants). Every figure after the start year
enters the likelihood with its caveat: ``non_year_end`` and ``scope_differs`` with
`CAVEAT_NOISE` times the noise (as in the trend model, `models.panel`), ``lower_bound``
as the trend models read it ("over 12,000": the figure is the bound plus an unknown
excess, excess ~ HalfNormal(`models.panel.BOUND_EXCESS_SD`) on the log scale; `bound_logp`).
Figures before the start are not used.

Likelihood. The mean-field ladder (`meanfield`: the ABM's expected stage counts as a
difference equation, rates from the agents' own behaviour functions, wrapped as
`meanfield.MeanFieldOp` with its complex-step Jacobian) gives m_t(theta) for each
observed column; a figure y_t of indicator i is::

    log y_t ~ Normal(log m_t(theta), s_t),   s_t = sqrt((sigma_i c_t)^2 + e^2)
    lower bound b_t:  log P(y_t >= b_t) = log(1 - Phi((log b_t - log m_t) / s_t))

with c_t = CAVEAT_NOISE if caveated, else 1, and e = `MEANFIELD_ERROR_SD` = 0.03, the
mean-field's typical gap to the ABM ensemble mean (2-3%; at most 6% in the tests): the
likelihood of the ABM's rates is never sharper than the approximation that carries it
(without the floor, data as clean as an ABM run drove sigma to 0.03 and NUTS diverged
along the application x pass ridge).

sigma_i (one per indicator, shared by the regions) covers reporting noise, the ABM's own
randomness about its mean (1-3% at city sizes) and what constant rates cannot follow
(policy pushes, register definitions). One per indicator, so a series the model cannot
follow (see Limits) widens its own noise instead of loosening the fit to the others.

Parameters and priors. `SAMPLED` are the rates that govern application, pass,
re-certification, entry and exit and reach the counts directly: application_rate,
pass_rate, recert_apply_rate, recert_pass_rate, exit_rate_hte, startup_entry_rate,
startup_registration_rate, sme_renewal_rate, exit_rate_sme; and the lever responses the
policy history lets figures inform (each region's window runs under the policies then in
force, `RegionObservations.levers`): application_value_weight (how much a reward and the tax
saving raise applications; Langfang's 200,000-yuan rewards from 2021) and specialist_efficacy
(Langfang's specialists from 2021). Where no policy acts in a window they leave the
likelihood untouched and keep their prior (the benchmark prints each posterior's width
against its prior's). Each is uniform on its `PARAM_RANGES` interval (lo, hi)::

    theta_k = lo_k + (hi_k - lo_k) expit(z_k),   z_k ~ Logistic(0, 1)   (= uniform on (lo, hi))

because the ranges are the only prior information the model states ("plausible
interval", `PARAM_SOURCES` names no preferred value; every rate here is an
assumption) and the ABM was built and checked inside them; a posterior piling
against a bound says the model's structure, not the prior, limits the fit. Pairs the
data see only as a product (application x pass, re-apply x re-pass, exit_rate_hte
with the fixed move_out_rate) stay in the model so their posterior carries the
ridge honestly (NUTS runs with a dense mass matrix, ``jitter+adapt_full``, which
halves the leapfrog steps on these ridges). sigma_i ~ LogNormal(log s_i, 0.5), s_i 0.05 for
the certified-firm stock and 0.10 for the yearly lists and the registry (`SIGMA_PRIOR`).
The other `LadderParams` fields stay at their defaults (`base`): growth, R&D and IP
parameters shape the firms' attributes, which the mean-field takes from the pilot run and
which aggregate counts cannot separate from the rates above; reserve intake, move-in/out
and the outside stage have no figure.

Pooling. A city is fitted with its province (`data/regions.csv` parent) when the
province has a window: z_city = z_province + `POOL_SD` u, u ~ Normal(0, 1). With
POOL_SD = 0.75 a province rate in the middle of its range puts the city's within the
middle 23-77% of the range with 90% probability: cities differ, but a city with one
or two figures (Langfang has one after its start) mostly borrows its province's rates,
and a city with none after its start (Handan) takes them whole, widened by POOL_SD.
The neighbouring provinces' lists are not used: with no stock figures their
certification flow identifies no rate (the unknown registry size absorbs the
application rate) and would add four latent stocks each.

Pilot. The stage profile comes from the array engine (`pilot.measure_profile_array`,
12,000 agents, two runs: about a second for Hebei's seven years) rather than the Mesa
reference (`meanfield.measure_profile`, 3,000 agents: most of a minute); ``pilot="mesa"``
keeps the reference. Both step firms with `kernel.step_firms` and agree in distribution.

Why this method. One ABM run of a city costs 0.5-5 s and a province tens of seconds;
ABC-SMC or neural simulation-based inference need 10^4-10^5 runs for nine rates,
and the data are a handful of aggregate counts whose ABM noise is small next to the
reporting noise, so the expected counts carry nearly all the information. The
mean-field (compiled, `recursion`, and called from the compiled log density with no Python
in between) costs about 0.25 ms for the log density and its exact gradient in both regions,
so NUTS gives a proper posterior with convergence diagnostics (R-hat, ESS, divergences:
`check_convergence` over the sampled variables) in well under a minute of CPU a chain
(`benchmarks/bench_calibrate.py`), and its error against the ABM ensemble mean is tested
(stocks within `MEANFIELD_TOLERANCE["stock"]`, yearly lists within `MEANFIELD_TOLERANCE["flow"]`,
at rates near the corners of their ranges), well under sigma's prior scale.

Limits. (1) The registry: entries are proportional to each year's registered and certified firms
(`kernel.entry_means`; up to version 11, to the start year's, and the modelled register could then not grow as
Hebei's did: it fell to about 50,000 by 2024 at the fitted rates). Hebei's provincial register (main series) grew
from 55,000 (2017) to over 127,000 (2024); fitting that takes a startup entry rate of about 0.7 a year per
registered firm (`forecast calibrate --region hebei`), near the top of its widened range (0.05-0.8) (read it as
"entry as high as the figures ask"); the ABM at the posterior medians reaches about 131,000 in 2024. (2) The eligibility
kernels come from a pilot run of the ABM. The mean-field runs below the ABM's mean as the
years go on (at the base rates, certified stock up to 7% and lists up to 13% low for Langfang's two
years, the stock up to 13% for Hebei's seven), so
the likelihood multiplies its paths by the gap measured at the pilot's rates
(`abm_correction`, `CORRECTION_RUNS` ABM runs); away from those rates the residual gap
is the tested one (`MEANFIELD_TOLERANCE`). Without it the fitted rates were too high for
the ABM that runs them: Langfang's 2022 certified firms came out at 1,476 in the run
against 1,258 published. Measured at the base rates only (up to version 13), the gap at the fitted rates
outgrew that tolerance once entries compounded: for Hebei's seven years at its posterior median the corrected
mean-field ran 12% above the ABM's certified stock and 15% above its lists by 2024, so the fit read the lists
as met by rates the ABM runs below them. So `calibrate` measures the pilot and the correction twice: at the base
rates, then again at the mode of the model built on the first (`pilot_point`, L-BFGS, a few seconds), and samples
with the second; there the gap is within 1.2% for Hebei (test
``test_the_pilot_measured_again_at_the_mode_tracks_the_abm_there``). (3) Calibration years run under each region's
`RegionObservations.levers` (the policy history, `forecast.ladder.policies`; the status quo where it records nothing).
Langfang's rewards come from a draft plan: if they were not paid in 2021-22, the reward's
weight is read too low. Hebei's 2,000 reserve-pool entries a year are the whole intake,
while the lever adds them to the `reserve_intake_rate` flow (a model limit).

Saving and reusing posteriors is the application's (`forecast.ladder.calibration`,
`forecast.cache`): a posterior records its data hash (`data_hash`), `CALIBRATION_VERSION`,
seed and sampler settings, so the same seed and inputs give the same posterior anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc.blocking import DictToArrayBijection, RaveledVars
from scipy import optimize
from scipy.special import expit

from models.diagnostics import check_convergence
from models.ladder.levers import LeverSetting
from models.ladder.meanfield import MeanFieldOp, StageProfile, simulate_meanfield
from models.ladder.model import INDICATOR_COLUMNS
from models.ladder.params import PARAM_RANGES, LadderParams
from models.ladder.pilot import PILOTS, pilot_scale
from models.ladder.population import UNIFORM_CERT_AGES
from models.panel import BOUND_EXCESS_SD

CALIBRATION_VERSION = "17"
"""Bump when the likelihood, priors, window rule, pilot or the model's rules change (invalidates caches); 5: the
statutes' eligibility (innovation score, three-year R&D, class II IP once) and certificate ages from the lists; 6: the
noise prior by series (`SIGMA_PRIOR`), the pilot and the ABM check start from the region's certificate ages, the
mean-field's gap to the ABM divided out (`abm_correction`), startups of two ages at the start; 7: a lower bound
read as the bound plus a half-normal excess, as the trend models read it (`bound_logp`), not as censored; 8: a
year's entrant startups newborn again (version 7 drew them of two ages, as the start's); 12: entries proportional to
the registered and certified firms of each year, not of the start year, and the array pilot's reserve intake and
vouchers reading the year's counts (they read none before); 13: the firm step's random numbers in single precision
(`kernel.DRAW_DTYPE`), which changes the pilot's and the ABM correction's numbers; 14: the pilot and the
correction measured again at the mode (`pilot_point`, Limits 2); 15: the start population's registry firms drawn
exactly (`population`), other draws in another order: the same distributions, other numbers; 16: the mode searched
on the density NUTS samples (the sampler's unconstrained space, with the transforms' Jacobians) by the function
NUTS compiles, so the sampler loads that compiled graph (the profiles and corrections are shared inputs); 17: cheaper
exact samplers in the population draw (Beta and whole-number Gamma parts as sums of exponentials, IP classes as a
Poisson total split binomially, no backcast draws before birth): the same distributions, other numbers."""
INDICATORS = {i: INDICATOR_COLUMNS[i] for i in ("high_tech_enterprises", "high_tech_certifications", "tech_smes")}
"""Observed indicator -> mean-field / ABM column, in the order of the `indicator` coordinate."""
SAMPLED = (
    "application_rate",
    "pass_rate",
    "recert_apply_rate",
    "recert_pass_rate",
    "exit_rate_hte",
    "startup_entry_rate",
    "startup_registration_rate",
    "sme_renewal_rate",
    "exit_rate_sme",
    "application_value_weight",
    "specialist_efficacy",
)
POOL_SD = 0.75
SIGMA_PRIOR = (np.log(np.array([0.05, 0.10, 0.10])), 0.5)
"""Log-mean and log-sd of each indicator's figure noise, in `INDICATORS` order: a year-end stock of certified firms
is a count of valid certificates (noise from timing and scope: 5%, the trend models' count noise); the yearly lists
(gathered from the published batches, completeness unstated) and the registry (recognised in batches, scope unstated)
10%. With one 10% prior for all, a city's single stock figure weighed little against its province's rates."""
MEANFIELD_TOLERANCE = {"stock": 0.06, "flow": 0.10}
"""Largest relative gap between the mean-field and the ABM ensemble mean asserted in the tests."""
MEANFIELD_ERROR_SD = 0.03
"""Floor of every figure's log-scale noise: the mean-field's typical gap to the ABM mean."""
CORRECTION_RUNS = 10
"""ABM runs at the base rates that measure the mean-field's gap (`abm_correction`), at the pilot's resolution: for
Langfang pooled with Hebei the corrected paths differ by at most 2% (stocks) and 4% (lists) between pilot seeds."""
DEFAULTS = {"draws": 1500, "tune": 500, "chains": 2, "target_accept": 0.95}
"""1500 draws after 500 tuning steps a chain, target acceptance 0.95: the dense mass matrix (``jitter+adapt_full``)
settles within the tuning. Version 12's fits at 1000 draws and 0.9 had one divergent transition (Langfang, Handan:
a corner where an unidentified rate meets its bound) and a tail ESS of 331-333 on pass_rate (Hebei; its posterior
leans on the lower bound 0.5, traded against application_rate); at 0.95 no divergences, and 1500 draws lift that tail
ESS to 644, above the 400 `check_convergence` asks (the benchmark prints the smallest)."""


@dataclass(frozen=True)
class RegionObservations:
    """One region's window: start state and the figures after it.

    ``figures`` has columns indicator, year, value, flag, row, column (the model
    column), noise (1 or CAVEAT_NOISE) and censored (lower bound).
    """

    region: str
    start_year: int
    end_year: int
    stage_counts: dict[str, int]
    figures: pd.DataFrame
    start_rows: pd.DataFrame
    notes: tuple[str, ...] = ()
    levers: tuple[LeverSetting, ...] = ()
    """The policies in force over the window (the policy history), as lever settings."""
    cert_ages: tuple[float, float, float] = UNIFORM_CERT_AGES
    """Shares of the start's certificates 0, 1 and 2 years old (as `forecast run` starts)."""

    @property
    def rows_hash(self) -> str:
        """sha256 of the rows used (start state and figures) and of the levers in force, independent of row
        order."""
        cols = ["indicator", "year", "value", "flag"]
        text = pd.concat([self.start_rows[cols], self.figures[cols]]).sort_values(cols).to_csv(index=False)
        policy = "" if not self.levers else "\n" + "\n".join(sorted(map(str, self.levers)))
        ages = "" if self.cert_ages == UNIFORM_CERT_AGES else f"\ncert_ages {self.cert_ages}"
        return hashlib.sha256(f"{self.region}\n{text}{policy}{ages}".encode()).hexdigest()


@dataclass(frozen=True)
class CalibrationData:
    """Regions fitted together (the one asked about first, its province second) and their pilots."""

    regions: tuple[RegionObservations, ...]
    profiles: tuple[StageProfile, ...]
    base: LadderParams = LadderParams()
    levers: tuple[tuple[LeverSetting, ...], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    corrections: tuple[dict[str, np.ndarray], ...] = ()
    """Per region, `abm_correction`: the ABM-over-mean-field ratio the likelihood multiplies the paths by."""

    @property
    def names(self) -> list[str]:
        return [r.region for r in self.regions]


# --- data ----------------------------------------------------------------------------
def calibration_data(
    observations: Sequence[RegionObservations],
    *,
    notes: Sequence[str] = (),
    seed: int | np.random.SeedSequence = 0,
    base: LadderParams = LadderParams(),
    levers: Mapping[str, Sequence[LeverSetting]] | None = None,
    pilot_runs: int = 2,
    pilot: str = "array",
    at: Sequence[LadderParams] | None = None,
) -> CalibrationData:
    """The regions' observations (the one asked about first, its province second) plus their pilot profiles
    (`pilot.PILOTS`: the array engine by default, or the Mesa reference) and ABM corrections, measured at the rates
    ``at`` (one `LadderParams` per region; default ``base`` for each: `calibrate` passes `pilot_point`'s)."""
    seeds = (seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)).spawn(
        len(observations)
    )
    lever_sets = tuple(tuple((levers or {}).get(o.region, o.levers)) for o in observations)
    points = tuple(at) if at is not None else (base,) * len(observations)
    profiles = tuple(
        PILOTS[pilot](
            stage_counts=o.stage_counts,
            start_year=o.start_year,
            end_year=o.end_year,
            params=point,
            levers=lv,
            seed=s,
            n_runs=pilot_runs,
            cert_ages=o.cert_ages,
        )
        for o, lv, s, point in zip(observations, lever_sets, seeds, points, strict=True)
    )
    corrections = tuple(
        abm_correction(prof, o, point, lv, s.spawn(1)[0])
        for prof, o, lv, s, point in zip(profiles, observations, lever_sets, seeds, points, strict=True)
    )
    return CalibrationData(tuple(observations), profiles, base, lever_sets, tuple(notes), corrections)


def pilot_point(data: CalibrationData) -> tuple[LadderParams, ...]:
    """Each region's rates at the mode of the calibration model built on ``data`` (L-BFGS from the prior's centre
    on the log density NUTS samples, in the sampler's unconstrained space, compiled by the call NUTS makes, so
    the sampler then loads the compiled graph instead of compiling it again), as `LadderParams` (``data.base`` for
    the rates not sampled): where `calibrate` measures the pilot again."""
    model = build_calibration_model(data)
    start = model.initial_point()
    x0 = DictToArrayBijection.map(start)
    logp_dlogp = model.logp_dlogp_function(ravel_inputs=True, mode="NUMBA")  # as pymc's BaseHMC compiles it
    logp_dlogp.set_extra_values({})

    def negative(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = logp_dlogp(x)
        return -float(value), -np.asarray(grad, dtype=float)

    found = optimize.minimize(negative, x0.data, jac=True, method="L-BFGS-B")
    mode = DictToArrayBijection.rmap(RaveledVars(found.x, x0.point_map_info), start)
    fields = data.base.to_dict()
    return tuple(
        LadderParams.from_dict({**fields, **dict(zip(SAMPLED, rates_from_z(zi).tolist(), strict=True))})
        for zi in region_z(mode["z_top"], mode.get("offset"))
    )


def abm_correction(
    profile: StageProfile,
    obs: RegionObservations,
    base: LadderParams,
    levers: Sequence[LeverSetting],
    seed: np.random.SeedSequence,
) -> dict[str, np.ndarray]:
    """The ABM ensemble mean over the mean-field's value at the base rates, per column and year (1 at the start):
    the mean-field's own gap to the ABM, divided out of the likelihood (`CORRECTION_RUNS` runs at the pilot's
    resolution, under the window's policies and certificate ages)."""
    from models.ladder.run import run_ensemble

    ensemble = run_ensemble(
        n_runs=CORRECTION_RUNS,
        seed=seed,
        params=base,
        stage_counts=obs.stage_counts,
        start_year=obs.start_year,
        end_year=obs.end_year,
        levers=list(levers),
        cert_ages=obs.cert_ages,
        firm_scale=pilot_scale(obs.stage_counts),
    )
    expected = simulate_meanfield(profile, base=base, levers=levers)
    out = {}
    for column in INDICATORS.values():
        abm = ensemble[column].mean("run").to_numpy()
        out[column] = (abm[1:] if column == "certifications_listed" else abm) / expected[column]
    return out


def data_hash(observations: Sequence[RegionObservations]) -> str:
    """sha256 over every region's rows used and the rates' stated priors (`PARAM_RANGES` and the defaults),
    so a saved fit is not read back after either changed."""
    priors = repr((sorted(PARAM_RANGES.items()), sorted(LadderParams().to_dict().items())))
    return hashlib.sha256(("".join(o.rows_hash for o in observations) + priors).encode()).hexdigest()


# --- model ---------------------------------------------------------------------------
def prior_bounds() -> tuple[np.ndarray, np.ndarray]:
    """The `SAMPLED` rates' prior ranges (`PARAM_RANGES`), as (lows, highs)."""
    return np.array([PARAM_RANGES[k][0] for k in SAMPLED]), np.array([PARAM_RANGES[k][1] for k in SAMPLED])


def region_z(z_top, offset=None) -> list:
    """Each region's z: the one fitted alone, or the city then its province (pooling, module docstring).
    PyTensor or NumPy."""
    return [z_top] if offset is None else [z_top + POOL_SD * offset, z_top]


def rates_from_z(z, logistic=expit):
    """The `SAMPLED` rates a region's z stands for, each in its prior range: lo + (hi - lo) logistic(z). NumPy, or
    PyTensor in the model (``logistic=pm.math.invlogit``)."""
    lo, hi = prior_bounds()
    return lo + (hi - lo) * logistic(z)


def build_calibration_model(observations: CalibrationData) -> pm.Model:
    """The calibration model of the module docstring, as a `pm.Model` (not yet sampled)."""
    names = observations.names
    coords = {"param": list(SAMPLED), "region": names, "indicator": list(INDICATORS)}
    for obs in observations.regions:
        coords[f"year_{obs.region}"] = list(range(obs.start_year, obs.end_year + 1))
        coords[f"flow_year_{obs.region}"] = list(range(obs.start_year + 1, obs.end_year + 1))
    with pm.Model(coords=coords) as model:
        z_top = pm.Logistic("z_top", 0.0, 1.0, dims="param")
        z = region_z(z_top, pm.Normal("offset", 0.0, 1.0, dims="param") if len(names) == 2 else None)
        rates = pm.Deterministic(
            "rates", pt.stack([rates_from_z(zi, pm.math.invlogit) for zi in z]), dims=("region", "param")
        )
        sigma = pm.LogNormal("sigma", *SIGMA_PRIOR, dims="indicator")
        for i, (obs, profile) in enumerate(zip(observations.regions, observations.profiles, strict=True)):
            levers = observations.levers[i] if observations.levers else ()
            op = MeanFieldOp(profile, SAMPLED, observations.base, levers)
            flat = op(rates[i])[0]
            if observations.corrections:  # shared, as the op's profile: a correction measured again compiles nothing
                flat = flat * _shared(op.flatten(observations.corrections[i]), f"correction_{obs.region}")
            _observe(obs, op, flat, sigma)
    return model


def _observe(obs: RegionObservations, op: MeanFieldOp, flat, sigma) -> None:
    region = obs.region
    paths = op.split(flat)
    for column in INDICATORS.values():
        dims = f"{'flow_' if column == 'certifications_listed' else ''}year_{region}"
        pm.Deterministic(f"mf_{region}_{column}", paths[column], dims=dims)
    if obs.figures.empty:
        return
    figures = obs.figures
    # one index into the op's output (a small graph: its gradient is one scatter, not one per figure)
    mu = pt.log(flat[op.position(figures["column"].tolist(), figures["year"].tolist())])
    which = np.array([list(INDICATORS).index(i) for i in figures["indicator"]])
    # the figures' numbers shared, as the op's profile: other figures of the same shape (the simulation-based
    # calibration's, a backtest's regions) compile nothing
    noise = _shared(figures["noise"].to_numpy(dtype=float), f"noise_{region}")
    sd = pt.sqrt((sigma[which] * noise) ** 2 + MEANFIELD_ERROR_SD**2)
    logy = np.log(figures["value"].to_numpy(dtype=float))
    point = np.flatnonzero(~figures["censored"].to_numpy())
    bound = np.flatnonzero(figures["censored"].to_numpy())
    if point.size:
        pm.Normal(f"obs_{region}", mu=mu[point], sigma=sd[point], observed=_shared(logy[point], f"figures_{region}"))
    if bound.size:
        bounds = _shared(logy[bound], f"bounds_{region}")
        pm.Potential(f"bound_{region}", bound_logp(bounds, mu[bound], sd[bound]).sum())


def _shared(values: np.ndarray, name: str):
    """``values`` as a shared variable of static shape (a shape known only at run time adds a broadcast check
    whose graph is ordered differently from build to build, and the compiled graph would never be found again)."""
    return pytensor.shared(np.ascontiguousarray(values), name=name, shape=values.shape)


def bound_logp(y, mu, sd):
    """Log density of a published lower bound y (log scale) when the figure it stands for is Normal(mu, sd) and the
    bound is the figure less an excess e ~ HalfNormal(t), t = `BOUND_EXCESS_SD` (the trend models' reading of
    "over 12,000", `models.panel`): y = x - e is skew-normal, scale w = sqrt(sd^2 + t^2), shape -t / sd::

        log p(y) = log 2 - log w + log phi(z) + log Phi(-(t / sd) z),   z = (y - mu) / w

    Read as censored (only P(x > y)), a bound favoured every rate that lifts the count far above it, which
    the simulation-based calibration showed as a registry renewal rate read too high."""
    t = BOUND_EXCESS_SD
    w = pt.sqrt(sd**2 + t**2)
    z = (y - mu) / w
    return np.log(2.0) - pt.log(w) - 0.5 * z**2 - 0.5 * np.log(2.0 * np.pi) + log_survival(t / sd * z, 0.0, 1.0)


TAIL_Z = 20.0
"""Past this z the normal's log survival is taken from its asymptotic series (absolute error below 1e-10)."""


def log_survival(y, mu, sd):
    """log P(Y > y) for Y ~ Normal(mu, sd): log(erfc(z / sqrt 2) / 2), and past `TAIL_Z` the asymptotic
    series -z^2/2 - log(z sqrt(2 pi)) + log(1 - 1/z^2 + 3/z^4 - 15/z^6 + 105/z^8); each branch sees z clipped to its
    side, so neither gives a NaN gradient. (`pm.logccdf` uses the scaled erfc, which has no Numba
    implementation: the compiled log density then calls scipy in object mode and cannot be cached.)"""
    z = (y - mu) / sd
    near, far = pt.minimum(z, TAIL_Z), pt.maximum(z, TAIL_Z)
    series = 1.0 - far**-2 + 3.0 * far**-4 - 15.0 * far**-6 + 105.0 * far**-8
    tail = -0.5 * far**2 - pt.log(far * np.sqrt(2.0 * np.pi)) + pt.log(series)
    return pt.switch(z < TAIL_Z, pt.log(pt.erfc(near / np.sqrt(2.0))) - np.log(2.0), tail)


# --- fitting -------------------------------------------------------------------------
def calibrate(
    observations: Sequence[RegionObservations],
    *,
    notes: Sequence[str] = (),
    draws: int = DEFAULTS["draws"],
    tune: int = DEFAULTS["tune"],
    chains: int = DEFAULTS["chains"],
    seed: int = 0,
    base: LadderParams = LadderParams(),
    levers: Mapping[str, Sequence[LeverSetting]] | None = None,
    target_accept: float = DEFAULTS["target_accept"],
    pilot: str = "array",
    cores: int | None = None,
    refine: bool = True,
) -> az.InferenceData:
    """Fit the rates of ``observations[0]``'s region (pooled with ``observations[1]``'s, its
    province, if given); InferenceData with attrs. ``cores``: processes for the chains (default one
    per chain, up to the machine's cores; 1 samples them one after the other in this process, which
    spares each chain's process start and compile when many short fits run, as in `sbc`). ``refine``: measure the
    pilot and the ABM correction again at the model's mode (`pilot_point`) before sampling (module docstring,
    Limits 2); False keeps them at ``base``.

    attrs: region, regions, window, stage counts, data sha256, version, seed, sampler
    settings, the rates the pilot ran at (``pilot_rates``), convergence diagnostics (``diagnostics``, JSON) and notes.
    """
    pilot_seed, sample_seed = np.random.SeedSequence(seed).spawn(2)
    region = observations[0].region
    started = time.perf_counter()
    settings = {"notes": notes, "seed": pilot_seed, "base": base, "levers": levers, "pilot": pilot}
    data = calibration_data(observations, **settings)
    points = None
    if refine:
        points = pilot_point(data)
        data = calibration_data(observations, **settings, at=points)
    piloted = time.perf_counter()
    model = build_calibration_model(data)
    with model, warnings.catch_warnings():
        # expected: the dense mass matrix is marked experimental but handles the product ridges (docstring)
        warnings.filterwarnings("ignore", message="QuadPotentialFullAdapt is an experimental feature")
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores or min(chains, os.cpu_count() or 1),
            random_seed=int(sample_seed.generate_state(1)[0]),
            target_accept=target_accept,
            progressbar=False,
            compute_convergence_checks=False,
            compile_kwargs={"mode": "NUMBA"},
            init="jitter+adapt_full",
        )
    timings = {"pilot": piloted - started, "sampling": time.perf_counter() - piloted}
    free = [v.name for v in model.free_RVs]
    diagnostics = check_convergence(idata, var_names=free)
    idata.attrs.update(
        {
            "region": region,
            "regions": json.dumps(data.names),
            "windows": json.dumps({o.region: [o.start_year, o.end_year] for o in data.regions}),
            "stage_counts": json.dumps({o.region: o.stage_counts for o in data.regions}),
            "data_sha256": data_hash(data.regions),
            "calibration_version": CALIBRATION_VERSION,
            "seed": int(seed),
            "sampler": json.dumps({"draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept}),
            "base_params": json.dumps(base.to_dict()),
            "pilot": pilot,
            "pilot_rates": json.dumps({o.region: asdict(p) for o, p in zip(data.regions, points or (), strict=False)}),
            "levers": json.dumps(
                {o.region: [asdict(s) for s in lv] for o, lv in zip(data.regions, data.levers, strict=False)}
            ),
            "cert_ages": json.dumps({o.region: list(o.cert_ages) for o in data.regions}),
            "diagnostics": json.dumps(diagnostics.to_dict()),
            "timings": json.dumps(timings),
            "notes": json.dumps(list(data.notes)),
        }
    )
    return idata


def attrs_json(idata: az.InferenceData, key: str):
    """A JSON-valued attribute of a calibration posterior."""
    return json.loads(idata.attrs[key])


def posterior_param_draws(idata: az.InferenceData, n: int, seed: int | np.random.SeedSequence) -> pd.DataFrame:
    """n posterior draws of the region's rates; columns are `LadderParams` fields.

    Rows are drawn without replacement when the posterior has at least n draws;
    the same seed gives the same rows. Pass as ``run_ensemble(param_draws=...)``
    together with ``params=LadderParams(**attrs base_params)`` (the defaults unless
    the fit changed them).
    """
    rates = idata.posterior["rates"].sel(region=idata.attrs["region"])
    flat = rates.stack(sample=("chain", "draw")).transpose("sample", "param")
    pick = posterior_rows(idata, n, seed)
    return pd.DataFrame(flat.values[pick], columns=[str(p) for p in flat["param"].values]).astype(float)


def figure_sd(idata: az.InferenceData, n: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """Per run (the rows `posterior_param_draws` takes with this seed) and indicator (`INDICATORS` order), the
    log-scale sd between a modelled count and its published figure: sqrt(sigma_i^2 + `MEANFIELD_ERROR_SD`^2) of the
    same posterior draw, as the likelihood reads an uncaveated figure; (n, indicators)."""
    sigma = idata.posterior["sigma"].stack(sample=("chain", "draw")).transpose("sample", "indicator")
    return np.sqrt(sigma.values[posterior_rows(idata, n, seed)] ** 2 + MEANFIELD_ERROR_SD**2)


def posterior_rows(idata: az.InferenceData, n: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """The rows (of the chains' draws stacked) that `posterior_param_draws` takes with this seed, so other
    variables of the same draws (the noise sigma) can be read beside them."""
    total = idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]
    return np.random.default_rng(seed).choice(total, size=n, replace=n > total)


# --- posterior predictive ------------------------------------------------------------
def meanfield_predictive(
    idata: az.InferenceData, seed: int | np.random.SeedSequence = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Mean-field posterior predictive of the region's figures: column -> (years, draws x years),
    the expected count times the noise exp(s n), n ~ Normal(0, 1), s the uncaveated figure's sd."""
    region = idata.attrs["region"]
    post = idata.posterior
    rng = np.random.default_rng(seed)
    out = {}
    for indicator, column in INDICATORS.items():
        sigma = post["sigma"].sel(indicator=indicator).values.reshape(-1, 1)
        sd = np.sqrt(sigma**2 + MEANFIELD_ERROR_SD**2)
        da = post[f"mf_{region}_{column}"]
        values = da.values.reshape(-1, da.shape[-1])
        years = da[da.dims[-1]].values
        out[column] = (years, values * np.exp(sd * rng.standard_normal(values.shape)))
    return out


def abm_predictive(idata: az.InferenceData, *, n_runs: int, firm_scale: int, seed: int | np.random.SeedSequence):
    """ABM ensemble from the region's start state with posterior draws, under the policies and certificate ages the
    fit was made with (xarray, dims run x year)."""
    from models.ladder.run import run_ensemble

    region = idata.attrs["region"]
    start, end = attrs_json(idata, "windows")[region]
    draw_seed, run_seed = (seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)).spawn(2)
    base = LadderParams.from_dict(attrs_json(idata, "base_params"))
    return run_ensemble(
        n_runs=n_runs,
        seed=run_seed,
        param_draws=posterior_param_draws(idata, n_runs, draw_seed),
        params=base,
        stage_counts=attrs_json(idata, "stage_counts")[region],
        start_year=start,
        end_year=end,
        firm_scale=firm_scale,
        levers=[LeverSetting(**lever) for lever in attrs_json(idata, "levers").get(region, [])],
        cert_ages=attrs_json(idata, "cert_ages")[region],
    )
