"""From a scenario to ladder-model trajectories and P(target met), whichever levers it sets.

Steps: the start state from the history (`forecast.ladder.start`: which counts are
observed, which assumed) -> parameter draws -> the ensemble's batches
(`models.ladder.run.ensemble_jobs`, run by `forecast.ladder.ensemble`) -> one array of
shape (chain=1, draw=run, year) per indicator the ladder produces, so
`forecast.probability.probability_met` works on them as on trend draws.

Indicators::

    high_tech_enterprises    = hte_certified            (certified firms)
    tech_smes                = tech_sme_registered      (the registry, certified firms excluded)
    high_tech_certifications = certifications_listed    (new + re-certifications per year)
    rd_expenditure           = R_t   (below)
    rd_intensity             = 100 R_t / GDP_t

Runs are independent, so a probability's Monte Carlo error is the binomial
sqrt(p (1 - p) / n) (`models.ladder.monte_carlo_probability`); `probability_met`'s
ESS-based error is meant for autocorrelated MCMC draws.

R&D. Run i is paired with trend draw j(i) of GDP (`forecast_indicator(history, "gdp",
...)`, figures up to the scenario's `as_of`; j spreads the runs evenly over all
chains and draws). With F_it the modelled firms' R&D, R0 and GDP0 the start year's
observed (or implied) R&D spending and GDP::

    N_i0  = max(R0 - F_i0, 0)                  other R&D at the start: the observed
                                               total less the modelled firms' R&D
    R_it  = F_it exp(g_i (t - t0)) + N_i0 x GDP_jt / GDP0
                                               firms' R&D with run i's trend g_i;
                                               other R&D grown with GDP

No rescaling: the firms' size (`LadderParams.firm_size_scale`) is set from the R&D
figures so that the modelled firms spend `models.ladder.params.FIRM_RD_SHARE` of a
region's R&D at the start (scripts/ladder_rd_level.py), and their R&D grows as the runs
make it grow, times the trend g_i drawn per run from its fit to the R&D figures up to
`as_of` (`forecast.ladder.rd_trend`; 0 without a calibration posterior). Other R&D
(government, universities, firms off the ladder) is held as a constant share of GDP: those
budgets follow fiscal revenue and the economy, not the ladder's firms. Holding it as a share
of total R&D instead would move it with the firms' R&D and count every lever's effect on
R&D twice. A run whose firms spend more than the total at the start is counted in the note.

Seeds (common random numbers): run i uses child i of SeedSequence(seed, spawn_key=(1,));
an uncertain parameter p is drawn uniformly on its range from SeedSequence(seed,
spawn_key=(2, crc32(p))). So two scenarios with one seed, or two settings in a sweep,
share every run's randomness and parameter draws; their difference is the levers',
not Monte Carlo noise. Fixing one parameter leaves the others' draws unchanged.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from forecast.cache import BatchStore, PosteriorCache
from forecast.inputs.targets import Target
from forecast.ladder import calibration, rd_trend
from forecast.ladder.ensemble import check_memory, run_batches
from forecast.ladder.policies import scenario_with_history
from forecast.ladder.registers import (
    INCLUDED_COLUMN,
    SME_INDICATOR,
    RegisterReading,
    counted_start,
    read_register,
    register_problem,
)
from forecast.ladder.start import StartState, start_state
from forecast.probability import TargetProbability, met_draws, probability_met
from forecast.progress import LADDER_RUNS, SILENT, Message, Reporter, message
from forecast.scenario import LeverChoice, Scenario, TrendSettings
from forecast.trend.pipeline import forecast_indicator
from models.ladder import PARAM_RANGES, LadderParams, LeverSetting, monte_carlo_probability
from models.ladder import rd_trend as rt
from models.ladder.calibration import INDICATORS as CALIBRATED
from models.ladder.calibration import attrs_json, figure_sd, posterior_param_draws
from models.ladder.model import INDICATOR_COLUMNS
from models.ladder.run import Job, assemble, ensemble_jobs

RD_INDICATORS = ("rd_expenditure", "rd_intensity")
LADDER_INDICATORS = (*INDICATOR_COLUMNS, *RD_INDICATORS)
"""Indicators the ladder produces."""
RUN_STREAM, PRIOR_STREAM, RD_STREAM, FIGURE_STREAM = 1, 2, 3, 4


@dataclass(frozen=True)
class GdpDraws:
    """GDP trajectories paired with the runs: values[i] belongs to run i."""

    years: np.ndarray
    values: np.ndarray
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LadderPlan:
    """Everything a sweep keeps fixed: start, seeds, parameter draws, GDP draws, settings."""

    name: str
    region: str
    seed: int
    start: StartState
    end_year: int
    runs: int
    firm_scale: int
    levers: tuple[LeverSetting, ...]
    params: pd.DataFrame
    calibration: str
    gdp: GdpDraws | None = None
    notes: tuple[str, ...] = ()
    base: LadderParams = field(default_factory=LadderParams)
    """Parameters not in `params` (defaults, or the calibration's base)."""
    workers: int = 1
    """Processes an ensemble is spread over (the numbers do not depend on it)."""
    engine: str = "array"
    """"array" (all firms of many runs at once) or "mesa" (the reference); same distributions."""
    batch_size: int | None = None
    """Runs stepped together by the array engine (None: about `BATCH_AGENTS` agents); bounds memory."""
    scheduler: str | None = None
    """A Dask scheduler's address: batches run on its workers (`forecast.ladder.ensemble`)."""
    store: BatchStore | None = None
    """Where finished batches are kept until the ensemble is whole (None: not kept)."""
    register: RegisterReading | None = None
    """The register the ladder's tech-SME count stands for (`forecast.ladder.registers`)."""
    registers: pd.DataFrame | None = None
    """Which register each tech-SME series counts (targets are judged against their own)."""
    rd_trend: np.ndarray | None = None
    """Each run's yearly trend of the firms' R&D as the statistics count it (None: 0)."""
    figure_sd: np.ndarray | None = None
    """Per run and calibrated indicator (`models.ladder.calibration.INDICATORS`), the log-scale sd between a count
    and its published figure, from the run's posterior draw (None: the runs' counts are read as the figures)."""
    stop_year: int | None = None
    """The last year simulated (None: `end_year`): `forecast explain` stops at its target's year, which no later
    year changes (a run's years are stepped in order, each from the run's own generator)."""
    keep_starts: bool = False
    """Keep the runs' start populations for the plan's later ensembles (`compare` and `explain` run the same runs
    again; `models.ladder.engine`); a one-off ensemble does not pay for the copy. The numbers do not depend on it."""

    @property
    def last_year(self) -> int:
        """The last year the ensembles simulate."""
        return self.end_year if self.stop_year is None else self.stop_year


@dataclass
class LadderRun:
    """One ensemble: its levers, the raw dataset and the indicator trajectories (1, run, year)."""

    plan: LadderPlan
    levers: tuple[LeverSetting, ...]
    ensemble: xr.Dataset
    years: np.ndarray
    paths: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LadderTargetResult:
    """A target's ladder probability (None with a reason when the ladder cannot judge it)."""

    target: Target
    result: TargetProbability | None
    met: np.ndarray | None = None
    reason: str = ""


def lever_settings(choices: Sequence[LeverChoice]) -> tuple[LeverSetting, ...]:
    """Scenario lever choices as the model's settings."""
    return tuple(LeverSetting(c.lever, c.size, c.start, c.end) for c in choices)


def uniform_draws(ranges: Mapping[str, tuple[float, float]], n: int, seed: int) -> pd.DataFrame:
    """n uniform draws per parameter, each from its own seed stream (module docstring)."""
    columns = {}
    for name, (low, high) in ranges.items():
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PRIOR_STREAM, zlib.crc32(name.encode()))))
        columns[name] = rng.uniform(low, high, n)
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def uncertainty_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Each listed parameter's (low, high); PARAM_RANGES fills a bound left out."""
    return {
        name: (PARAM_RANGES[name][0] if u.low is None else u.low, PARAM_RANGES[name][1] if u.high is None else u.high)
        for name, u in scenario.uncertainties.items()
    }


def parameter_draws(
    scenario: Scenario,
    history: pd.DataFrame,
    regions: pd.DataFrame,
    n: int,
    seed: int,
    *,
    cache: PosteriorCache | None = None,
    policies: pd.DataFrame | None = None,
    reporter: Reporter = SILENT,
    rd: bool = True,
) -> tuple[pd.DataFrame, list[str], LadderParams, np.ndarray | None, np.ndarray | None]:
    """Per-run parameters (the scenario's uncertainties, or posterior draws plus those),
    notes, the base parameters the others keep (the calibration's, if it set them), each run's
    R&D trend (`forecast.ladder.rd_trend`; None without a calibration or R&D figures, or unless `rd`) and each
    run's figure noise (`figure_sd`; None without a calibration)."""
    ranges = uncertainty_ranges(scenario)
    prior = uniform_draws(ranges, n, seed)
    if scenario.models.ladder.calibration == "prior":
        return (
            prior,
            [f"parameters drawn uniformly on their ranges: {', '.join(ranges) or 'none (defaults)'}; no R&D trend"],
            LadderParams(),
            None,
            None,
        )
    idata = calibration.posterior_for(
        scenario.region,
        history,
        regions,
        seed=scenario.models.ladder.calibration_seed,
        cache=cache,
        policies=policies if scenario.models.ladder.policy_history else None,
        reporter=reporter,
    )
    draws = posterior_param_draws(idata, n, seed).reset_index(drop=True)
    trend_runs, trend_notes = rd_trend_runs(scenario, idata, history, n, seed, cache) if rd else (None, [])
    extra = [c for c in prior.columns if c not in draws.columns]
    attrs = getattr(idata, "attrs", {})
    status = attrs_json(idata, "diagnostics")["status"] if "diagnostics" in attrs else "unknown"
    notes = [
        f"parameters from the {scenario.region} posterior ({len(draws.columns)} calibrated; calibration seed "
        f"{scenario.models.ladder.calibration_seed}, version {attrs.get('calibration_version', '?')}, "
        f"data sha256 {str(attrs.get('data_sha256', '?'))[:12]}; convergence {status})"
    ]
    if extra:
        notes.append(f"not calibrated, drawn from the scenario's ranges: {', '.join(extra)}")
    if len(extra) < len(prior.columns):
        notes.append("the scenario's ranges for calibrated parameters are ignored (posterior used)")
    notes += trend_notes
    base = LadderParams.from_dict(attrs_json(idata, "base_params")) if "base_params" in attrs else LadderParams()
    return pd.concat([draws, prior[extra]], axis=1), notes, base, trend_runs, figure_sd(idata, n, seed)


def rd_trend_runs(
    scenario: Scenario, idata, history: pd.DataFrame, n: int, seed: int, cache: PosteriorCache | None
) -> tuple[np.ndarray | None, list[str]]:
    """Each run's trend of the firms' R&D (`forecast.ladder.rd_trend`, fitted to figures up to `as_of`), notes."""
    cutoff = None if scenario.as_of == "latest" else int(scenario.as_of)
    trend = rd_trend.trend_for(
        idata, scenario.region, history, cutoff=cutoff, seed=scenario.models.ladder.calibration_seed, cache=cache
    )
    notes = rd_trend.trend_notes(trend, scenario.region, cutoff)
    if trend is None:
        return None, notes
    return rt.trend_draws(trend, n, np.random.SeedSequence(seed, spawn_key=(RD_STREAM,))), notes


def gdp_draws(
    scenario: Scenario,
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    n: int,
    seed: int,
    cache: PosteriorCache | None = None,
    refit: bool = False,
    start: StartState | None = None,
) -> GdpDraws | None:
    """GDP trajectories from the trend model, one per run (None if the region has no GDP figures).

    A start GDP implied by R&D spending / intensity (`start`) is a figure where the data have none that year."""
    cutoff = None if scenario.as_of == "latest" else scenario.as_of
    history, implied = with_start_gdp(history, scenario.region, start)
    panel = forecast_indicator(
        history,
        "gdp",
        [scenario.region],
        regions=regions,
        indicators=indicators,
        cutoff=cutoff,
        horizon=scenario.horizon,
        settings=scenario.models.trend or TrendSettings(),
        seed=seed,
        cache=cache,
        refit=refit,
    )
    if scenario.region not in panel.paths:
        return None
    paths = panel.paths[scenario.region]
    flat = paths.reshape(-1, paths.shape[-1])
    index = (np.arange(n) * flat.shape[0]) // n if n <= flat.shape[0] else np.arange(n) % flat.shape[0]
    notes = implied + [
        f"GDP: trend model, figures up to {cutoff or 'the latest'}; {flat.shape[0]} draws for {n} runs"
        + ("" if n <= flat.shape[0] else " (draws reused: raise the trend draws)")
    ]
    notes += panel.notes.get(scenario.region, [])
    status = panel.diagnostics[scenario.region].status
    if status != "ok":
        notes.append(f"GDP fit convergence {status}")
    return GdpDraws(panel.years[scenario.region], flat[index], tuple(notes))


def with_start_gdp(history: pd.DataFrame, region: str, start: StartState | None) -> tuple[pd.DataFrame, list[str]]:
    """The history with the start year's implied GDP as a figure where the data have no GDP that year."""
    if start is None or start.gdp is None:
        return history, []
    have = history[(history["region"] == region) & (history["indicator"] == "gdp") & (history["year"] == start.year)]
    if not have.empty:
        return history, []
    row = {
        "region": region,
        "indicator": "gdp",
        "year": start.year,
        "value": start.gdp,
        "unit": "100m_yuan",
        "source": "implied: R&D spending / R&D intensity of the same year",
        "note": "",
        "series": "main",
        "flag": "",
        "row": -1,
    }
    implied = pd.DataFrame([{c: row.get(c, "") for c in history.columns}]).astype(history.dtypes.to_dict())
    note = f"GDP {start.year} for the GDP trend: {start.gdp:.1f}, implied by R&D spending / intensity (no figure)"
    return pd.concat([history, implied], ignore_index=True), [note]


def plan_ladder(
    scenario: Scenario,
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    need_gdp: bool,
    seed: int | None = None,
    runs: int | None = None,
    gdp_cache: dict | None = None,
    cache: PosteriorCache | None = None,
    refit: bool = False,
    workers: int | None = None,
    engine: str | None = None,
    batch_size: int | None = None,
    scheduler: str | None = None,
    policies: pd.DataFrame | None = None,
    registers: pd.DataFrame | None = None,
    reporter: Reporter = SILENT,
) -> LadderPlan:
    """Resolve a scenario's ladder section into a plan (the scenario must have passed `check_scenario`).

    `seed` and `runs` override the scenario's (compare uses one seed for all scenarios);
    `gdp_cache` keeps GDP draws across scenarios of one command; `cache` holds saved
    posteriors (trend and calibration), `refit` refits the GDP trend model; `workers`
    (default: `default_workers`) spreads the ensembles over processes; `engine` overrides
    the scenario's `models.ladder.engine`; `batch_size` sets the runs stepped together and
    `scheduler` sends the batches to a Dask cluster. The ensemble's estimated peak memory is
    noted, and a plan that would not fit in the memory free is refused (`ensemble.check_memory`);
    with a `cache`, finished batches are kept there until the ensemble is whole (resuming).
    `policies` is the policy history (`forecast.inputs.policies`): the policies it records
    hold in the years and levers the scenario's own levers leave (`forecast.ladder.policies`;
    None, or ``policy_history: false`` in the scenario: the status quo there); `registers` says
    which register each tech-SME series counts (`forecast.ladder.registers`: the start count,
    the output column and which targets the ladder can judge follow from it).
    """
    settings = scenario.models.ladder
    seed = scenario.seed if seed is None else seed
    n = runs or settings.runs
    start = start_state(scenario, history, regions)
    register = read_register(
        registers,
        scenario.series.get(SME_INDICATOR, "main"),
        settings.calibration == "posterior",
        settings.register_includes_certified,
    )
    start = counted_start(start, register)
    levers, policy_notes = scenario_with_history(
        lever_settings(scenario.levers),
        policies if settings.policy_history else None,
        scenario.region,
        start.year,
        scenario.horizon,
    )
    params, notes, base, trend_runs, noise = parameter_draws(
        scenario, history, regions, n, seed, cache=cache, policies=policies, reporter=reporter, rd=need_gdp
    )
    gdp = None
    if need_gdp and start.rd_total is not None:
        key = (
            scenario.region,
            scenario.as_of,
            scenario.horizon,
            (scenario.models.trend or TrendSettings()).model_dump_json(),
            seed,
            n,
        )
        memo = {} if gdp_cache is None else gdp_cache  # GDP draws by question; `cache` is the posterior cache
        if key not in memo:
            memo[key] = gdp_draws(scenario, history, regions, indicators, n, seed, cache, refit, start)
        gdp = memo[key]
    notes += (
        list(register.notes) + policy_notes + (list(start.notes) if need_gdp else []) + (list(gdp.notes) if gdp else [])
    )
    plan = LadderPlan(
        scenario.name,
        scenario.region,
        seed,
        start,
        scenario.horizon,
        n,
        settings.firm_scale,
        levers,
        params,
        settings.calibration,
        gdp,
        tuple(notes),
        base,
        default_workers(n) if workers is None else max(1, workers),
        engine or settings.engine,
        batch_size,
        scheduler,
        BatchStore(Path(cache.folder) / "ensembles") if cache is not None else None,
        register,
        registers,
        trend_runs,
        noise,
    )
    check_memory(plan, reporter)
    return plan


def default_workers(runs: int) -> int:
    """Processes for an ensemble when none are asked for: up to 4 cores for 20 runs or more."""
    return min(os.cpu_count() or 1, 4) if runs >= 20 else 1


def simulate(
    plan: LadderPlan,
    *,
    levers: Sequence[LeverSetting] | None = None,
    fixed: Mapping[str, float] | None = None,
    reporter: Reporter = SILENT,
    desc: Message = LADDER_RUNS,
) -> LadderRun:
    """Run the plan's ensemble, optionally with other levers or some parameters fixed for every run."""
    levers = plan.levers if levers is None else tuple(levers)
    jobs = plan_jobs(plan, levers, fixed)
    cubes = run_batches(
        jobs, workers=plan.workers, scheduler=plan.scheduler, store=plan.store, reporter=reporter, desc=desc
    )
    return finish_run(plan, levers, jobs, cubes)


def plan_jobs(plan: LadderPlan, levers: Sequence[LeverSetting], fixed: Mapping[str, float] | None = None) -> list[Job]:
    """The batches of the plan's ensemble under `levers` (`fixed`: parameters set for every run)."""
    params = plan.params.copy()
    for name, value in (fixed or {}).items():
        params[name] = float(value)
    return ensemble_jobs(
        n_runs=plan.runs,
        seed=np.random.SeedSequence(plan.seed, spawn_key=(RUN_STREAM,)),
        param_draws=params if len(params.columns) else None,
        params=plan.base,
        engine=plan.engine,
        batch_size=plan.batch_size,
        stage_counts=plan.start.counts,
        start_year=plan.start.year,
        end_year=plan.last_year,
        levers=tuple(levers),
        firm_scale=plan.firm_scale,
        cert_ages=plan.start.cert_ages,
        keep_starts=plan.keep_starts,
    )


def finish_run(plan: LadderPlan, levers: Sequence[LeverSetting], jobs: list[Job], cubes: list) -> LadderRun:
    """The run from its batches' cubes: the dataset, the indicator paths, R&D where GDP draws are given."""
    ds = assemble(jobs, cubes)
    years = ds["year"].values
    paths = {indicator: ds[column].values[None, :, :] for indicator, column in INDICATOR_COLUMNS.items()}
    if plan.register is not None and plan.register.includes_certified:
        paths[SME_INDICATOR] = ds[INCLUDED_COLUMN].values[None, :, :]
    notes = []
    if plan.figure_sd is not None:
        paths.update(as_figures(paths, plan.figure_sd, plan.seed, plan.end_year - plan.start.year + 1))
        notes.append(figure_note(plan.figure_sd))
    if plan.gdp is not None:
        expenditure, intensity, note = rd_paths(ds["rd_spending"].values, years, plan.start, plan.gdp, plan.rd_trend)
        paths["rd_expenditure"], paths["rd_intensity"] = expenditure[None], intensity[None]
        notes.append(note)
    return LadderRun(plan, tuple(levers), ds, years, paths, notes)


def as_figures(
    paths: Mapping[str, np.ndarray], sd: np.ndarray, seed: int, horizon_years: int | None = None
) -> dict[str, np.ndarray]:
    """The calibrated indicators' paths read as published figures: count x exp(s z) after the start year, z ~
    Normal(0, 1) from the seed's own stream (the same z in every scenario and sweep setting of one seed, so their
    differences stay the levers'), s the run's `figure_sd` (as the likelihood and the ladder backtest read them).
    `horizon_years`: the years z is drawn for (default: the paths'), so paths that stop early (`LadderPlan.stop_year`)
    get the same z in the years they have."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(FIGURE_STREAM,)))
    out = {}
    for i, indicator in enumerate(CALIBRATED):
        counts = paths[indicator]
        years = counts.shape[-1]
        z = rng.standard_normal((*counts.shape[:-1], max(years, horizon_years or years)))[..., :years]
        z[..., 0] = 0.0  # the start year is the published figure itself
        out[indicator] = counts * np.exp(sd[None, :, i, None] * z)
    return out


def figure_note(sd: np.ndarray) -> str:
    """What the ladder's target columns show."""
    spread = ", ".join(f"{indicator} {np.median(sd[:, i]):.3f}" for i, indicator in enumerate(CALIBRATED))
    return (
        "ladder figures: each run's count times the reporting noise its posterior draw calibrated (median log-sd: "
        f"{spread}), as the ladder backtest scores them; the stage tables keep the counts"
    )


def rd_paths(
    firm_rd: np.ndarray, years: np.ndarray, start: StartState, gdp: GdpDraws, trend: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Total R&D (100 million yuan) and R&D intensity (%) per run and year (module docstring)."""
    r0, gdp0 = start.rd_total, start.gdp
    trend = np.zeros(firm_rd.shape[0]) if trend is None else np.asarray(trend, dtype=float)
    firm = firm_rd * np.exp(trend[:, None] * (np.asarray(years) - start.year)[None, :])
    other0 = np.maximum(r0 - firm[:, 0], 0.0)
    gdp_t = np.full(firm_rd.shape, np.nan)
    for k, year in enumerate(years):
        if year == start.year:
            gdp_t[:, k] = gdp0
        elif year in gdp.years:
            gdp_t[:, k] = gdp.values[:, int(np.flatnonzero(gdp.years == year)[0])]
    total = firm + other0[:, None] * gdp_t / gdp0
    above = float(np.mean(firm[:, 0] > r0))
    note = (
        f"R&D: modelled firms {np.median(firm[:, 0]):.2f} and other R&D {np.median(other0):.2f} of {r0:.2f} in "
        f"{start.year} (medians), the other grown with GDP"
        + (f"; in {above:.0%} of runs the firms' R&D exceeds the total (other R&D 0 there)" if above else "")
    )
    return total, 100.0 * total / gdp_t, note


def ladder_probabilities(run: LadderRun, targets: Sequence[Target]) -> list[LadderTargetResult]:
    """P(met) with Monte Carlo error for every target the ladder produces; a reason for the others."""
    results = []
    for target in targets:
        reason = judgeable(run, target)
        if reason:
            results.append(LadderTargetResult(target, None, reason=reason))
            continue
        paths = run.paths[target.indicator]
        met = met_draws(paths, run.years, target)[0]
        # runs are independent: the binomial error is exact (MCMC draws need the ESS-based one)
        result = replace(probability_met(paths, run.years, target), mc_error=monte_carlo_probability(met)[1])
        results.append(LadderTargetResult(target, result, met))
    return results


def judgeable(run: LadderRun, target: Target) -> str:
    """Why the ladder cannot judge a target ('' if it can)."""
    register = register_problem(run.plan.register, run.plan.registers, target.indicator)
    if register:
        return register
    if target.indicator not in LADDER_INDICATORS:
        return f"the ladder does not model {target.indicator}"
    if target.indicator not in run.paths:
        return f"no R&D and GDP figures for {run.plan.region} in {run.plan.start.year} to anchor {target.indicator}"
    if not run.years[0] < target.target_year <= run.years[-1]:
        return f"deadline {target.target_year} is not after the ladder's start year {run.years[0]}"
    needed = [target.target_year] + (
        [target.base_year] if target.base_value is None and target.base_year is not None else []
    )
    for year in needed:
        if year not in run.years:
            return f"the ladder starts in {run.years[0]}, after the base year {year}"
        if np.isnan(run.paths[target.indicator][..., int(np.flatnonzero(run.years == year)[0])]).any():
            return f"no GDP draws for {year}"
    return ""


def paired_difference(met_a: np.ndarray, met_b: np.ndarray) -> tuple[float, float]:
    """Mean of met_b - met_a over runs paired by common random numbers, and its MC error.

    d_i = met_i(B) - met_i(A), diff = mean(d), se = sd(d) / sqrt(n): far smaller than
    either probability's own error when the runs share their randomness.
    """
    d = np.asarray(met_b, dtype=float) - np.asarray(met_a, dtype=float)
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0
    return float(d.mean()), se


def needs_gdp(targets: Sequence[Target]) -> bool:
    return any(t.indicator in RD_INDICATORS for t in targets)


def forecast_ladder(
    scenario: Scenario,
    targets: Sequence[Target],
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    reporter: Reporter = SILENT,
    **planning,
) -> tuple[LadderRun, list[LadderTargetResult]]:
    """Plan (`plan_ladder`'s keyword settings), simulate and judge every target: the whole ladder forecast of
    one scenario."""
    plan = plan_ladder(
        scenario, history, regions, indicators, need_gdp=needs_gdp(targets), reporter=reporter, **planning
    )
    run = simulate(plan, reporter=reporter, desc=message("progress_ladder", scenario=scenario.name))
    return run, ladder_probabilities(run, targets)


def with_lever(
    levers: Sequence[LeverSetting], name: str, size: float | None, window: tuple[int | None, int | None]
) -> tuple[LeverSetting, ...]:
    """Levers with every setting of `name` removed and, unless size is None, one setting added."""
    kept = tuple(s for s in levers if s.name != name)
    return kept if size is None else (*kept, LeverSetting(name, float(size), *window))
