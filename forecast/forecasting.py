"""From a validated scenario to trend trajectories and P(target met) for each target.

For each target the trend model is fitted to the region's series (one series per
indicator, `main` unless the scenario names another) up to a cut-off year:

* if the data already hold the outcome (a figure for the deadline year), the cut-off
  is the plan's base year (or the year before the deadline, when the plan gives no
  base year), so the probability is the one the model would have given
  when the plan was written, shown beside what happened;
* otherwise the cut-off is the scenario's `as_of` (default: all data).

A region with fewer than `min_points` figures before the cut-off borrows its growth
from its parent region's series (partial pooling, `models.trend`), and the output
says so. Fits are cached by (region, indicator, series, cut-off), and each fit's seed
is derived from the scenario seed and that key, so the same inputs give the same
numbers whatever the order of the targets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.data import best_points, select_series
from forecast.probability import TargetProbability, probability_met
from forecast.scenario import Scenario, TrendSettings
from forecast.targets import Target, target_met
from models.diagnostics import Diagnostics, check_convergence
from models.trend import CAVEATED, EXACT, LOWER_BOUND, TrendData, build_trend_model, fit_trend, make_series, predictive_paths


@dataclass
class TrendFit:
    key: tuple
    years: np.ndarray
    paths: np.ndarray
    diagnostics: Diagnostics
    observations: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass
class PanelForecast:
    """Predictive trajectories of one indicator for several regions, from one cut-off.

    `paths[region]` has shape (chain, draw, year) over `years[region]` (the region's
    first observed year to the horizon). `diagnostics[region]` is the convergence
    check of the fit that produced that region's paths; `model[region]` names the
    model (variant, or stacking weights) behind them.
    """

    indicator: str
    cutoff: int | None
    horizon: int
    years: dict[str, np.ndarray]
    paths: dict[str, np.ndarray]
    diagnostics: dict[str, Diagnostics]
    model: dict[str, str]
    notes: dict[str, list[str]]


@dataclass
class TargetResult:
    target: Target
    fit: TrendFit | None
    cutoff: int | None
    result: TargetProbability | None
    outcome: float | None
    outcome_met: bool | None
    latest_year: int | None
    latest_value: float | None
    reason: str = ""


def observation_kinds(flags: pd.Series) -> np.ndarray:
    """Map data caveats to the trend model's observation kinds."""
    def kind(flag: str) -> int:
        parts = set(flag.split(";"))
        if "lower_bound" in parts:
            return LOWER_BOUND
        return CAVEATED if parts & {"non_year_end", "scope_differs"} else EXACT
    return np.array([kind(f) for f in flags], dtype=int)


def fit_seed(seed: int, key: tuple) -> np.random.SeedSequence:
    digest = hashlib.sha256(repr(key).encode()).digest()
    return np.random.SeedSequence(seed, spawn_key=tuple(int.from_bytes(digest[i:i + 4], "little") for i in (0, 4)))


def forecast_targets(scenario: Scenario, targets: list[Target], history: pd.DataFrame, regions: pd.DataFrame, indicators: pd.DataFrame) -> list[TargetResult]:
    settings = scenario.models.trend or TrendSettings()
    cache: dict[tuple, TrendFit] = {}
    results = []
    for target in targets:
        series = scenario.series.get(target.indicator, "main")
        rows, _ = select_series(history, target.region, target.indicator, series)
        outcome_rows = best_points(rows[(rows["year"] == target.target_year) & ~rows["flag"].str.contains("lower_bound")])
        outcome = float(outcome_rows["value"].iloc[0]) if len(outcome_rows) else None
        cutoff = _cutoff(scenario, target, outcome is not None)
        key = (target.region, target.indicator, series, cutoff, scenario.horizon)
        if key not in cache:
            cache[key] = fit_indicator(key, history, regions, indicators, settings, scenario.seed)
        fit = cache[key]
        results.append(_target_result(target, fit, cutoff, outcome))
    return results


def forecast_indicator(history: pd.DataFrame, indicator: str, regions_wanted: list[str], *, regions: pd.DataFrame, indicators: pd.DataFrame,
                       cutoff: int | None, horizon: int, settings: TrendSettings | None = None, seed: int = 0, series: str = "main") -> PanelForecast:
    """Fit on figures up to `cutoff` (None: all) and return trajectories to `horizon`.

    Regions without figures up to the cut-off are left out of the result (check
    `paths.keys()`). The same inputs and seed give the same numbers.
    """
    settings = settings or TrendSettings()
    out = PanelForecast(indicator, cutoff, horizon, {}, {}, {}, {}, {})
    for region in regions_wanted:
        fit = fit_indicator((region, indicator, series, cutoff, horizon), history, regions, indicators, settings, seed)
        if fit is None:
            continue
        out.years[region], out.paths[region] = fit.years, fit.paths
        out.diagnostics[region], out.model[region], out.notes[region] = fit.diagnostics, "trend (random walk with drift)", fit.notes
    return out


def _cutoff(scenario: Scenario, target: Target, outcome_known: bool) -> int | None:
    if outcome_known:
        return target.base_year if target.base_year is not None else target.target_year - 1
    return None if scenario.as_of == "latest" else scenario.as_of


def fit_indicator(key: tuple, history: pd.DataFrame, regions: pd.DataFrame, indicators: pd.DataFrame, settings: TrendSettings, seed: int) -> TrendFit | None:
    """Fit the trend model for one (region, indicator, series, cut-off, horizon)."""
    region, indicator, series, cutoff, horizon = key
    scale = "logit" if indicators.at[indicator, "kind"] == "percent" else "log"
    rows, notes = select_series(history, region, indicator, series, until=cutoff)
    if rows.empty:
        return None
    parts = [make_series(region, rows["year"].to_numpy(), rows["value"].to_numpy(), observation_kinds(rows["flag"]), scale)]
    parent = regions.at[region, "parent"] if region in regions.index else ""
    if settings.pooling != "none" and parent and (settings.pooling == "parent" or len(rows) < settings.min_points):
        parent_rows, parent_notes = select_series(history, parent, indicator, series, until=cutoff)
        if len(parent_rows) >= 2:
            parts.append(make_series(parent, parent_rows["year"].to_numpy(), parent_rows["value"].to_numpy(), observation_kinds(parent_rows["flag"]), scale))
            notes += parent_notes + [f"{region} has {len(rows)} figure(s) for {indicator}: growth borrowed from {parent} ({len(parent_rows)} figures)"]
        else:
            notes.append(f"{region} has {len(rows)} figure(s) for {indicator} and {parent} fewer than 2: growth from the prior alone (wide intervals)")
    data = TrendData(tuple(parts), scale, horizon)
    seeds = fit_seed(seed, key).spawn(2)
    idata = fit_trend(
        build_trend_model(data), draws=settings.draws, tune=settings.tune, chains=settings.chains,
        seed=int(seeds[0].generate_state(1)[0]), target_accept=settings.target_accept, sampler=settings.sampler,
    )
    paths = predictive_paths(idata, data, np.random.default_rng(seeds[1]))
    return TrendFit(key, data.years, paths, check_convergence(idata), rows, notes)


def _target_result(target: Target, fit: TrendFit | None, cutoff: int | None, outcome: float | None) -> TargetResult:
    if fit is None:
        return TargetResult(target, None, cutoff, None, outcome, None, None, None, reason=f"no figures for {target.indicator} in {target.region} up to {cutoff or 'now'}")
    latest = best_points(fit.observations).iloc[-1]
    if target.target_year < fit.years[0]:
        return TargetResult(target, fit, cutoff, None, outcome, None, int(latest["year"]), float(latest["value"]), reason="deadline before the first figure")
    result = probability_met(fit.paths, fit.years, target)
    return TargetResult(target, fit, cutoff, result, outcome, _outcome_met(fit, target, outcome), int(latest["year"]), float(latest["value"]))


def _outcome_met(fit: TrendFit, target: Target, outcome: float | None) -> bool | None:
    """Whether the observed outcome met the target (None if unknown or undecidable)."""
    if outcome is None:
        return None
    base = None
    if target.base_value is None and target.base_year is not None:
        base = _base_value(fit, target)
        if base is None:
            return None
    return bool(target_met(np.array([outcome]), target, base)[0])


def _base_value(fit: TrendFit, target: Target) -> np.ndarray | None:
    points = best_points(fit.observations)
    at_base = points[points["year"] == target.base_year]
    return at_base["value"].to_numpy()[:1] if len(at_base) else None
