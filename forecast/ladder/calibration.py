"""The ladder calibration as the application runs it: a region's observations from the
history table, its province to pool with, and the posterior fitted once and reused.

Observations (`region_observations`): the window of `forecast.inputs.stages.stage_window`
from `models.ladder.rules.RULES_YEAR` on, its start state as stage counts (certified
firms and registered SMEs observed, startups assumed by
`models.ladder.population.assumed_startups`, as `forecast run` starts), and every later
figure with its likelihood weight: caveated figures `models.panel.CAVEAT_NOISE` times
the noise, lower bounds censored (`forecast.inputs.flags`).

Pooling: a city is fitted with its province (regions table ``parent``) when the
province has a window (`gather_observations`).

Reuse (`posterior_for`): the posterior is saved in the `PosteriorCache` under a name
holding the region, the sha256 of the rows used (and the pooled province's),
`CALIBRATION_VERSION`, the seed and the sampler settings (`posterior_name`), so a
changed data row, seed or version fits again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache, cached_fit
from forecast.errors import InputError, Problem, did_you_mean
from forecast.inputs import flags
from forecast.inputs.stages import StageDataError, stage_rows, stage_window
from forecast.inputs.tables import parent_of
from forecast.ladder.policies import scenario_with_history
from forecast.ladder.start import cert_age_shares_in
from forecast.progress import SILENT, Reporter, message
from models.ladder import calibration as cal
from models.ladder.population import assumed_startups
from models.ladder.rules import RULES_YEAR
from models.panel import CAVEAT_NOISE


def region_observations(
    history: pd.DataFrame,
    region: str,
    *,
    allow_empty: bool = False,
    policies: pd.DataFrame | None = None,
    parent: str | None = None,
) -> cal.RegionObservations:
    """The region's start state and figures (module docstring); `StageDataError` if none.

    ``allow_empty``: accept a start state with no figure after it (a city pooled with
    its province borrows the province's rates). ``policies``: the policy history, whose
    policies in force over the window the fit runs under (None: the status quo). The start's certificate ages come
    from the region's yearly lists, else ``parent``'s (`forecast.ladder.start.cert_age_shares`, as a run starts).
    """
    window = stage_window(history, region, list(cal.INDICATORS), since=RULES_YEAR, allow_empty=allow_empty)
    tech_sme = int(round(window.start_values["tech_smes"]))
    counts = {
        "hte": int(round(window.start_values["high_tech_enterprises"])),
        "tech_sme": tech_sme,
        "startup": assumed_startups(tech_sme),
    }
    later = window.figures.copy()
    later["column"] = later["indicator"].map(cal.INDICATORS)
    later["noise"] = np.where(flags.is_caveated(later["flag"]), CAVEAT_NOISE, 1.0)
    later["censored"] = flags.is_lower_bound(later["flag"])
    notes = [
        f"{region}: start state {window.start_year} ({counts['hte']} certified, {tech_sme} registered SMEs; "
        f"{counts['startup']} startups assumed)"
    ]
    if window.dropped:
        notes.append(f"{region}: {window.dropped} figures before {window.start_year} not used (before the window)")
    end = int(later["year"].max()) if len(later) else window.start_year + 1
    levers, policy_notes = scenario_with_history((), policies, region, window.start_year, end)
    ages, age_note = cert_age_shares_in(history, [region] + ([parent] if parent else []), window.start_year)
    notes += [f"{region}: {n}" for n in (*policy_notes, age_note)]
    return cal.RegionObservations(
        region, window.start_year, end, counts, later, window.start_rows, tuple(notes), tuple(levers), ages
    )


def gather_observations(
    region: str, history: pd.DataFrame, *, parent: str | None = None, policies: pd.DataFrame | None = None
) -> tuple[list[cal.RegionObservations], list[str]]:
    """The region's window and, when pooling applies, its province's (no pilot runs); each fitted under the
    policies `policies` records in force over its window."""
    pooled = None
    notes: list[str] = []
    if parent is not None:
        try:
            pooled = region_observations(history, parent, policies=policies)
        except StageDataError as exc:
            notes.append(f"not pooled with {parent}: {exc}")
    own = region_observations(history, region, allow_empty=pooled is not None, policies=policies, parent=parent)
    if pooled is not None:
        notes.append(f"{region} rates pooled with {parent} (POOL_SD {cal.POOL_SD})")
        if own.figures.empty:
            notes.append(
                f"{region}: no figures after {own.start_year}; its rates are {parent}'s, widened by the pooling prior"
            )
    found = [own] + ([pooled] if pooled is not None else [])
    return found, notes + [n for o in found for n in o.notes]


def calibration_parent(region: str, history: pd.DataFrame, regions: pd.DataFrame, data_file: str) -> str | None:
    """The province to pool the region with (None: fitted alone); `InputError` if it cannot be calibrated."""
    if region not in regions.index:
        raise InputError(
            [Problem("data/regions.csv", "--region", f"unknown region '{region}'", did_you_mean(region, regions.index))]
        )
    try:
        found, _ = gather_observations(region, history, parent=parent_of(region, regions))
    except StageDataError as exc:
        usable = sorted(r for r in regions.index if _calibratable(r, history, regions))
        raise InputError(
            [
                Problem(
                    data_file,
                    "--region",
                    str(exc),
                    f"regions with stage data to calibrate: {', '.join(usable) or 'none'}",
                )
            ]
        ) from None
    return found[1].region if len(found) == 2 else None


def _calibratable(region: str, history: pd.DataFrame, regions: pd.DataFrame) -> bool:
    try:
        gather_observations(region, history, parent=parent_of(region, regions))
    except StageDataError:
        return False
    return True


def posterior_name(
    region: str, observations: Sequence[cal.RegionObservations], seed: int, sampler: Mapping[str, int] | None = None
) -> str:
    """The cache name of a fit: region, data hash, version, seed and sampler settings."""
    s = {**cal.DEFAULTS, **(sampler or {})}
    return (
        f"ladder-{region}-{cal.data_hash(observations)[:16]}-v{cal.CALIBRATION_VERSION}"
        f"-seed{seed}-d{s['draws']}t{s['tune']}c{s['chains']}.nc"
    )


def calibrate_region(
    region: str,
    history: pd.DataFrame,
    *,
    parent: str | None = None,
    seed: int = 0,
    policies: pd.DataFrame | None = None,
    **settings,
) -> az.InferenceData:
    """Fit the region's rates from the history (pooled with `parent`, under the recorded `policies`);
    `models.ladder.calibration.calibrate`'s settings."""
    observations, notes = gather_observations(region, history, parent=parent, policies=policies)
    return cal.calibrate(observations, notes=notes, seed=seed, **settings)


def posterior_for(
    region: str,
    history: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    seed: int,
    cache: PosteriorCache | None,
    refit: bool = False,
    parent: str | None = "auto",
    draws: int = cal.DEFAULTS["draws"],
    tune: int = cal.DEFAULTS["tune"],
    chains: int = cal.DEFAULTS["chains"],
    policies: pd.DataFrame | None = None,
    reporter: Reporter = SILENT,
) -> az.InferenceData:
    """The region's calibration posterior: loaded from `cache` if fitted before, else fitted (and saved).

    ``parent="auto"`` pools a city with its province (regions table); None fits the
    region alone. Raises `StageDataError` if the data hold no window for the region.
    The reporter is told before a fit starts, so a user knows why they wait.
    """
    parent = parent_of(region, regions) if parent == "auto" else parent
    observations, notes = gather_observations(region, history, parent=parent, policies=policies)
    sampler = {"draws": draws, "tune": tune, "chains": chains}

    def fit() -> az.InferenceData:
        reporter.note(
            message("note_calibration", region=region, draws=draws, chains=chains)
            if cache is None
            else message("note_calibration_saved", region=region, draws=draws, chains=chains, folder=str(cache.folder))
        )
        return cal.calibrate(observations, notes=notes, seed=seed, **sampler)

    return cached_fit(cache, posterior_name(region, observations, seed, sampler), fit, refit=refit)


def region_figures(history: pd.DataFrame, region: str) -> pd.DataFrame:
    """Every figure of the region's calibration indicators (for charts), with a model column."""
    rows = stage_rows(history, region, list(cal.INDICATORS)).copy()
    rows["column"] = rows["indicator"].map(cal.INDICATORS)
    return rows


# --- posterior predictive check ------------------------------------------------------------
PPC_AGENTS = 2000
"""Agents at the start of each predictive-check run (sets its firm_scale)."""

Paths = dict[str, tuple[np.ndarray, np.ndarray]]
"""Figure column -> (years, draws x years)."""


@dataclass(frozen=True)
class PredictiveCheck:
    """Posterior predictive draws of the region's figures: the ABM's and the mean-field's."""

    region: str
    start_year: int
    runs: int
    firm_scale: int
    seed: int
    abm: Paths
    meanfield: Paths

    def settings(self) -> dict:
        """What the manifest records of the check."""
        return {"runs": self.runs, "firm_scale": self.firm_scale, "seed": self.seed}


def predictive_check_draws(idata: az.InferenceData, *, runs: int, seed: int) -> PredictiveCheck:
    """Run the ABM `runs` times with posterior draws from the region's start state, and draw the mean-field
    predictive."""
    region = idata.attrs["region"]
    start, _ = cal.attrs_json(idata, "windows")[region]
    firms = sum(cal.attrs_json(idata, "stage_counts")[region].values())
    firm_scale = max(1, round(firms / PPC_AGENTS))
    abm_seed, noise_seed = np.random.SeedSequence(seed).spawn(2)
    ensemble = cal.abm_predictive(idata, n_runs=runs, firm_scale=firm_scale, seed=abm_seed)
    years = ensemble["year"].values
    abm = {c: (years, ensemble[c].values) for c in cal.INDICATORS.values()}
    abm["certifications_listed"] = (years[1:], ensemble["certifications_listed"].values[:, 1:])
    return PredictiveCheck(region, start, runs, firm_scale, seed, abm, cal.meanfield_predictive(idata, noise_seed))
