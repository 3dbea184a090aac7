"""From a validated scenario to trend trajectories and P(target met) for each target.

For each indicator the hierarchical panel model (`models.panel`) is fitted to every
region with figures for it up to a cut-off (one series per indicator, `main` unless
the scenario names another), so a city with few figures borrows strength from its
province and neighbours. The cut-off is:

* the plan's base year (or the year before the deadline, when the plan gives no base
  year) if the data already hold the outcome, so the probability is the one the model
  would have given when the plan was written, shown beside what happened;
* otherwise the scenario's `as_of` (default: all data).

Model choice, the stated rule: the common-growth model (`models.common_trend`) unless
the scenario names another (`models.trend.model`): `stack` fits the three state-space
variants of `models.panel` (drift, damped, local trend) and mixes their predictive
draws with LOO stacking weights (Yao et al. 2018, `arviz.compare(method="stacking")`),
or one of them alone. The model (or the weights) and every fit's convergence check
appear in the outputs; a fit that fails the checks flags every result that uses it.

Fitted posteriors are saved in the posterior cache (`forecast.cache`, when one is
given), named by a hash of the data the fit saw, the model version, the priors and the
sampler settings, and reused by later runs (`forecast run --refit` ignores them). Each fit's
seed is derived from the scenario seed and the fit's key, so the same inputs give the
same numbers whatever the order of the targets.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache, cached_fit
from forecast.inputs import flags
from forecast.inputs.tables import best_points, select_series
from forecast.inputs.targets import Target, target_met
from forecast.probability import TargetProbability, probability_met
from forecast.progress import SILENT, Reporter, message
from forecast.scenario import Scenario, TrendSettings
from forecast.trend.fits import (
    CHECKED,
    FitSummary,
    PanelForecast,
    TrendFit,
    fit_seed,
    observation_kinds,
    parent_of,
    region_paths,
)
from forecast.trend.growth import GrowthCheck, check_growth
from forecast.trend.saved import panel_forecasts
from models.common_prior import family_of, priors_for
from models.diagnostics import Diagnostics, check_convergence
from models.ladder.rules import CERTIFICATE_YEARS
from models.panel import (
    PRIORS,
    PROXY,
    VARIANTS,
    PanelData,
    build_panel_model,
    fit_panel,
    predictive_paths,
    to_scale,
)

if TYPE_CHECKING:  # PyMC (models.common_trend) and ArviZ load where a posterior is fitted or read: seconds
    import arviz as az

MODEL_VERSION = "panel-1"
COMMON_VERSION = "common-3"
STOCK_FLOWS = {"high_tech_enterprises": "high_tech_certifications"}  # stock: its yearly flow


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
    growth: GrowthCheck | None = None


def scale_of(indicator: str, indicators: pd.DataFrame) -> str:
    return "logit" if indicators.at[indicator, "kind"] == "percent" else "log"


def panel_data(
    history: pd.DataFrame,
    indicator: str,
    *,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    cutoff: int | None,
    series: str = "main",
) -> tuple[PanelData, pd.DataFrame, dict[str, list[str]]]:
    """Every region's figures for the indicator up to the cut-off, as a `PanelData`.

    Returns the panel, the observation rows (with a `region` column) and per-region notes.
    Stock-flow proxies (module `models.panel`) are added where the flow has three
    consecutive years.
    """
    frames, notes = [], {}
    for region in sorted(set(history.loc[history["indicator"] == indicator, "region"])):
        rows, region_notes = select_series(history, region, indicator, series, until=cutoff)
        if len(rows):
            frames.append(rows.assign(region=region, kind=observation_kinds(rows["flag"])))
            notes[region] = region_notes
    if not frames:
        raise ValueError(f"no figures for {indicator} up to {cutoff}")
    rows = pd.concat(frames, ignore_index=True)
    scale = scale_of(indicator, indicators)
    z = to_scale(rows["value"].to_numpy(), scale)
    proxy = _stock_flow_proxies(history, indicator, sorted(notes), cutoff, series)
    names = tuple(sorted(notes))
    parent = np.array([names.index(p) if (p := parent_of(r, regions)) in names else -1 for r in names])
    region_idx = np.array([names.index(r) for r in list(rows["region"]) + list(proxy["region"])])
    data = PanelData(
        regions=names,
        parent=parent,
        region_idx=region_idx,
        year=np.concatenate([rows["year"].to_numpy(), proxy["year"].to_numpy()]).astype(int),
        z=np.concatenate([z, np.log(proxy["value"].to_numpy(dtype=float))]),
        kind=np.concatenate([rows["kind"].to_numpy(), np.full(len(proxy), PROXY)]).astype(int),
        scale=scale,
        end_year=int(cutoff if cutoff is not None else rows["year"].max()),
        family=family_of(indicators.at[indicator, "kind"], indicators.at[indicator, "unit"]),
        basis=np.concatenate([flags.is_pre_revision(rows["flag"]), np.zeros(len(proxy), dtype=bool)]),
    )
    for region in proxy["region"].unique():
        notes[region].append(
            f"{indicator} tied to {STOCK_FLOWS[indicator]} ({CERTIFICATE_YEARS}-year certificates) in "
            f"{', '.join(map(str, proxy.loc[proxy['region'] == region, 'year']))}"
        )
    return data, rows, notes


def _stock_flow_proxies(
    history: pd.DataFrame, indicator: str, names: list[str], cutoff: int | None, series: str
) -> pd.DataFrame:
    """C_t + C_{t-1} + C_{t-2} for each region and year with three consecutive flow figures."""
    empty = pd.DataFrame({"region": [], "year": [], "value": []})
    if indicator not in STOCK_FLOWS:
        return empty
    found = []
    for region in names:
        flows, _ = select_series(history, region, STOCK_FLOWS[indicator], series, until=cutoff)
        points = best_points(flows[~flags.is_lower_bound(flows["flag"])]).set_index("year")["value"]
        for year in points.index:
            window = [year - k for k in range(CERTIFICATE_YEARS)]
            if all(y in points.index for y in window):
                found.append({"region": region, "year": int(year), "value": float(points[window].sum())})
    return pd.DataFrame(found) if found else empty


def fit_variants(
    data: PanelData, settings: TrendSettings, seed: int, *, cache: PosteriorCache | None = None, refit: bool = False
) -> dict[str, az.InferenceData]:
    """Fit the model (or each variant) the settings ask for, loading saved posteriors where the cache has them."""
    variants = VARIANTS if settings.model == "stack" else (settings.model,)
    fits = {}
    for variant in variants:
        key = _fit_key(data, variant, settings, seed)

        def fit(variant: str = variant, key: str = key) -> az.InferenceData:
            from models.common_trend import build_common_model, fit_common

            pooling = settings.pooling == "hierarchical"
            if variant == "common":
                return fit_common(
                    build_common_model(data, pooling=pooling),
                    draws=settings.draws,
                    tune=settings.tune,
                    chains=settings.chains,
                    seed=int(fit_seed(seed, (key,)).generate_state(1)[0]),
                    target_accept=settings.target_accept,
                )
            model = build_panel_model(data, variant, pooling=pooling)
            return fit_panel(
                model,
                data,
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                seed=int(fit_seed(seed, (key,)).generate_state(1)[0]),
                target_accept=settings.target_accept,
                sampler=settings.sampler,
            )

        fits[variant] = cached_fit(cache, f"{data.scale}-{variant}-{key[:16]}.nc", fit, refit=refit)
    return fits


def _fit_key(data: PanelData, variant: str, settings: TrendSettings, seed: int) -> str:
    h = hashlib.sha256()
    for part in (data.region_idx, data.year, data.z, data.kind, data.parent, data.on_basis):
        h.update(np.ascontiguousarray(part).tobytes())
    h.update(
        repr(
            (
                COMMON_VERSION if variant == "common" else MODEL_VERSION,
                data.regions,
                data.scale,
                data.end_year,
                variant,
                priors_for(data) if variant == "common" else PRIORS[data.scale],
                settings.draws,
                settings.tune,
                settings.chains,
                settings.target_accept,
                settings.sampler,
                settings.pooling,
                seed,
            )
        ).encode()
    )
    return h.hexdigest()


def stacking_weights(fits: dict[str, az.InferenceData]) -> tuple[dict[str, float], list[str]]:
    """LOO stacking weights of the variants, and warnings (high Pareto k) to report."""
    if len(fits) == 1:
        return {next(iter(fits)): 1.0}, []
    if any("log_likelihood" not in idata.groups() for idata in fits.values()):
        return dict.fromkeys(fits, 1.0 / len(fits)), ["no point figures for LOO: variants weighted equally"]
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.compare(fits, method="stacking")
        bad = {name: int(np.sum(az.loo(idata, pointwise=True).pareto_k.values > 0.7)) for name, idata in fits.items()}
    notes = [
        f"LOO: {name} has {n} figure(s) with Pareto k > 0.7 (influential; its LOO is approximate)"
        for name, n in bad.items()
        if n
    ]
    return {name: float(table.loc[name, "weight"]) for name in fits}, notes


def combined_diagnostics(fits: dict[str, az.InferenceData], weights: dict[str, float]) -> Diagnostics:
    """The worst convergence figures over the variants that carry weight."""
    checks = [
        check_convergence(idata, [v for v in CHECKED if v in idata.posterior])
        for name, idata in fits.items()
        if weights[name] > 0.01
    ]
    return Diagnostics(
        r_hat_max=max(c.r_hat_max for c in checks),
        ess_bulk_min=min(c.ess_bulk_min for c in checks),
        ess_tail_min=min(c.ess_tail_min for c in checks),
        divergences=sum(c.divergences for c in checks),
        draws=checks[0].draws,
        chains=checks[0].chains,
    )


def mix_paths(paths: dict[str, np.ndarray], weights: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Stacked predictive draws: each (chain, draw) position takes the variant drawn by weight."""
    names = list(paths)
    first = paths[names[0]]
    p = np.array([weights[n] for n in names])
    pick = rng.choice(len(names), size=first.shape[:2], p=p / p.sum())
    stacked = np.stack([paths[n] for n in names])
    return np.take_along_axis(stacked, pick[None, :, :, None], axis=0)[0]


def forecast_indicator(
    history: pd.DataFrame,
    indicator: str,
    regions_wanted: list[str],
    *,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    cutoff: int | None,
    horizon: int,
    settings: TrendSettings | None = None,
    seed: int = 0,
    series: str = "main",
    cache: PosteriorCache | None = None,
    refit: bool = False,
    joint_series: Mapping[str, str] | None = None,
) -> PanelForecast:
    """Fit the panel on figures up to `cutoff` (None: all) and return trajectories to `horizon`.

    Regions without figures up to the cut-off are left out of the result (check
    `paths.keys()`). The same inputs and seed give the same numbers. An indicator of an
    identity (R&D spending, GDP, intensity: `forecast.trend.joint`) is fitted with the
    others of its identity, their series named by `joint_series` (default `main`).
    """
    from forecast.trend.joint import forecast_joint, joint_identity  # PyMC: loaded where a forecast is made

    settings = settings or TrendSettings()
    identity = joint_identity(indicator, indicators, settings)
    if identity is not None:
        return forecast_joint(
            history, identity, indicator, regions_wanted, regions=regions, cutoff=cutoff, horizon=horizon,
            settings=settings, seed=seed, series={**(joint_series or {}), indicator: series}, cache=cache, refit=refit,
        )  # fmt: skip
    out = PanelForecast(indicator, cutoff, horizon, {}, {}, {}, {}, {})
    wanted = [
        r
        for r in regions_wanted
        if not history[
            (history["region"] == r) & (history["indicator"] == indicator) & (history["year"] <= (cutoff or 9999))
        ].empty
    ]
    if not wanted:
        return out
    data, _, notes = panel_data(
        history, indicator, regions=regions, indicators=indicators, cutoff=cutoff, series=series
    )
    fits = fit_variants(data, settings, seed, cache=cache, refit=refit)
    weights, loo_notes = stacking_weights(fits)
    diagnostics = combined_diagnostics(fits, weights)
    label = ", ".join(f"{name} {w:.2f}" for name, w in weights.items()) if len(weights) > 1 else next(iter(weights))
    for region in wanted:
        rng = np.random.default_rng(fit_seed(seed, (indicator, cutoff, horizon, region, "paths")))
        draws = {name: _paths(idata, data, name, region, horizon, rng) for name, idata in fits.items()}
        years = next(iter(draws.values()))[0]
        out.years[region] = years
        out.paths[region] = mix_paths({n: d[1] for n, d in draws.items()}, weights, rng)
        out.diagnostics[region], out.model[region] = diagnostics, label
        out.notes[region] = notes.get(region, []) + loo_notes + _pooling_note(data, region)
    return out


def _paths(idata, data: PanelData, name: str, region: str, horizon: int, rng: np.random.Generator):
    if name == "common":
        from models.common_trend import common_paths

        return common_paths(idata, data, region, horizon, rng)
    return predictive_paths(idata, data, name, region, horizon, rng)


def _pooling_note(data: PanelData, region: str) -> list[str]:
    r = data.regions.index(region)
    n = int(np.sum((data.region_idx == r) & (data.kind != PROXY)))
    parent = data.parent[r]
    source = data.regions[parent] if parent >= 0 else "the other regions"
    return [
        f"{region} has {n} figure(s) up to {data.end_year}: growth and volatility partially pooled with "
        f"{source} ({len(data.regions)} regions in the panel)"
    ]


def forecast_targets(
    scenario: Scenario,
    targets: list[Target],
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    cache: PosteriorCache | None = None,
    refit: bool = False,
    reporter: Reporter = SILENT,
    workers: int | None = None,
) -> list[TargetResult]:
    """Per target, its trend forecast: one panel fit (or saved posterior) per indicator, series and cut-off, each a
    step of ``reporter.progress``, made in up to `workers` processes at once (default: every core)."""
    settings = scenario.models.trend or TrendSettings()
    plan = list(_fit_plan(scenario, targets, history))
    keys = list(dict.fromkeys((t.indicator, s, c) for t, s, c, _ in plan))
    wanted = sorted({t.region for t in targets})
    options = dict(regions=regions, indicators=indicators, horizon=scenario.horizon, settings=settings)
    options["joint_series"] = scenario.series
    calls = [((history, i, wanted), {**options, "seed": scenario.seed, "cutoff": c, "series": s}) for i, s, c in keys]
    with reporter.progress(len(keys), message("progress_trend_fits")) as advance:
        made = panel_forecasts(calls, cache=cache, refit=refit, workers=workers, done=lambda: advance(1))
    panels = dict(zip(keys, made, strict=True))
    results = []
    for target, series, cutoff, outcome in plan:
        earlier = _judged_on_earlier_basis(history, target, series)
        fit = _region_fit(panels[(target.indicator, series, cutoff)], target.region, history, series, earlier)
        result = _target_result(target, fit, cutoff, outcome)
        if result.result is not None:
            latest = _growth_start(
                result, earlier and target.region in panels[(target.indicator, series, cutoff)].basis_shift
            )
            result.growth = check_growth(
                result.result.median, target.target_year, latest, history, regions, target.region,
                target.indicator, series, cutoff,
            )  # fmt: skip
        results.append(result)
    return results


def fit_scenario(
    scenario: Scenario,
    targets: list[Target],
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    cache: PosteriorCache | None = None,
    refit: bool = False,
) -> list[FitSummary]:
    """Fit (or load) every panel the scenario's targets need; one summary per panel."""
    from forecast.trend.joint import joint_fit_summary, joint_identity, joint_series_key

    settings = scenario.models.trend or TrendSettings()
    lines, done = [], set()
    for target, series, cutoff, _ in _fit_plan(scenario, targets, history):
        identity = joint_identity(target.indicator, indicators, settings)
        if identity is not None:
            key = (identity.name, joint_series_key(identity, {**scenario.series, target.indicator: series}), cutoff)
            if key not in done:
                done.add(key)
                lines.append(joint_fit_summary(history, identity, regions, settings, scenario.seed, key, cache, refit))
            continue
        if (target.indicator, series, cutoff) in done:
            continue
        done.add((target.indicator, series, cutoff))
        data, _, _ = panel_data(
            history, target.indicator, regions=regions, indicators=indicators, cutoff=cutoff, series=series
        )
        fits = fit_variants(data, settings, scenario.seed, cache=cache, refit=refit)
        weights, notes = stacking_weights(fits)
        status = combined_diagnostics(fits, weights).status
        lines.append(FitSummary((target.indicator,), data.end_year, len(data.regions), weights, status, tuple(notes)))
    return lines


def _fit_plan(scenario: Scenario, targets: list[Target], history: pd.DataFrame):
    """Per target: its series, the fit's cut-off, and the outcome if the data hold it."""
    for target in targets:
        series = scenario.series.get(target.indicator, "main")
        outcome_rows = _outcome_rows(history, target, series)
        outcome = float(outcome_rows["value"].iloc[0]) if len(outcome_rows) else None
        yield target, series, _cutoff(scenario, target, outcome is not None), outcome


def _outcome_rows(history: pd.DataFrame, target: Target, series: str) -> pd.DataFrame:
    """The figure that judges the target (its deadline year's point figure of the series), if the data hold it."""
    rows, _ = select_series(history, target.region, target.indicator, series)
    return best_points(rows[(rows["year"] == target.target_year) & ~flags.is_lower_bound(rows["flag"])])


def _growth_start(result: TargetResult, on_earlier_basis: bool) -> tuple[int, float]:
    """The latest figure, the start of the median's implied growth; where it is on another GDP basis than the
    trajectories (`on_earlier_basis`: they are on the earlier one), the trajectories' median that year instead, so
    the implied growth does not count the post-census revision as growth."""
    year, value = result.latest_year, result.latest_value
    rows = best_points(result.fit.observations)
    if bool(flags.is_pre_revision(rows["flag"].iloc[-1:])[0]) == on_earlier_basis:
        return year, value
    at = np.flatnonzero(result.fit.years == year)
    return (year, float(np.median(result.fit.paths[..., at[0]]))) if at.size else (year, value)


def _judged_on_earlier_basis(history: pd.DataFrame, target: Target, series: str) -> bool:
    """Whether the figure that judges the target is on an earlier GDP basis (`flags.PRE_REVISION`: an R&D intensity
    published before the post-census revision). Figures still to come are on the current basis."""
    return bool(flags.is_pre_revision(_outcome_rows(history, target, series)["flag"]).any())


def _region_fit(
    panel: PanelForecast, region: str, history: pd.DataFrame, series: str, earlier: bool = False
) -> TrendFit | None:
    """The region's trajectories (`earlier`: on the earlier GDP basis of the figure that judges the target,
    `fits.region_paths`)."""
    if region not in panel.paths:
        return None
    rows, _ = select_series(history, region, panel.indicator, series, until=panel.cutoff)
    key = (region, panel.indicator, series, panel.cutoff, panel.horizon)
    paths, basis_note = region_paths(panel, region, earlier)
    notes = panel.notes[region] + [f"model: {panel.model[region]}"] + basis_note
    group = (panel.group or f"{panel.indicator}:{series}", panel.cutoff, panel.horizon)
    return TrendFit(key, panel.years[region], paths, panel.diagnostics[region], rows, notes, panel.model[region], group)


def _cutoff(scenario: Scenario, target: Target, outcome_known: bool) -> int | None:
    if outcome_known:
        return target.base_year if target.base_year is not None else target.target_year - 1
    return None if scenario.as_of == "latest" else scenario.as_of


def _target_result(target: Target, fit: TrendFit | None, cutoff: int | None, outcome: float | None) -> TargetResult:
    if fit is None:
        return TargetResult(
            target,
            None,
            cutoff,
            None,
            outcome,
            None,
            None,
            None,
            reason=f"no figures for {target.indicator} in {target.region} up to {cutoff or 'now'}",
        )
    latest = best_points(fit.observations).iloc[-1]
    if target.target_year < fit.years[0]:
        return TargetResult(
            target,
            fit,
            cutoff,
            None,
            outcome,
            None,
            int(latest["year"]),
            float(latest["value"]),
            reason="deadline before the first figure",
        )
    result = probability_met(fit.paths, fit.years, target)
    return TargetResult(
        target,
        fit,
        cutoff,
        result,
        outcome,
        _outcome_met(fit, target, outcome),
        int(latest["year"]),
        float(latest["value"]),
    )


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
