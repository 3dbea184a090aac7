"""Backtests: cut the history at an origin year, forecast the later years, score against what happened.

For an origin year ``o`` and each (region, indicator) series (series ``main``, years it
lacks filled from another series as in `forecast.inputs.tables.select_series`), one figure per
year (`best_points`):

* **fit figures**: years ``<= o``. The forecaster is handed the history cut at ``o``,
  so it cannot see the future. A series needs at least ``MIN_FIGURES`` = 2 of them.
* **scored points**: years ``t > o`` with a point figure ``y_t``. Lower bounds ("over
  12,000") are not point outcomes and are left out of every score (counted in
  `BacktestResult.excluded`); using them only where they decide an event would keep
  the events that happened and drop those that did not, a biased sample. Nor are
  figures on an earlier basis (`flags.PRE_REVISION`: an R&D intensity over the GDP
  before the post-census revision): the models forecast the current basis.

Every method is scored on the same points: the trend model (a `Forecaster`, by
default `forecast.trend.pipeline.forecast_indicator` fitted on figures up to ``o``) and
each naive baseline of `models.baselines` fitted to the same fit figures (a lower
bound taken at face value), with as many draws as the model. With predictive draws
``X`` of ``y_t``:

* coverage at level L: the share of points with ``Q((1-L)/2) <= y_t <= Q((1+L)/2)``,
  for L = 50%, 80%, 95% (`forecast.evaluation.scores.interval_coverage`);
* CRPS on the model's scale, ``CRPS(g(X), g(y_t))`` with ``g(y) = log y`` for counts and
  money and ``g(y) = logit(y/100)`` for `percent` indicators: unit-free, so it can be
  averaged across indicators (0.10 is roughly a 10% miss);
* threshold events defined without any forecast: with ``(t_0, y_0)`` the last fit figure,
  ``E_r = {y_t >= y_0 (1 + r)^(t - t_0)}`` for r in 0, 5, 10, 20% a year;
  ``P(E_r)`` is the share of draws in it, and the Brier score is the mean of
  ``(P(E_r) - 1[E_r])^2`` over points and rates.

Scores are given per origin and pooled over origins ("all"). Every row of
`BacktestResult.rows` carries the quantiles, coverage flags, CRPS and event
probabilities of one (origin, region, indicator, year, method), so every score can be
recomputed from ``backtest.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache
from forecast.errors import InputError, Problem, did_you_mean
from forecast.evaluation.scores import (
    SCORE_LEVELS,
    brier_score,
    crps_from_draws,
    interval_coverage,
    predictive_quantiles,
    reliability_table,
    threshold_event_probability,
)
from forecast.inputs import flags
from forecast.inputs.tables import best_points, select_series
from forecast.scenario import TrendSettings
from forecast.trend.parallel import map_calls
from forecast.trend.pipeline import PanelForecast, fit_seed, forecast_indicator
from forecast.trend.saved import fit_group
from models.baselines import BASELINES, LOG_CLIP, LOGIT_CLIP, transform_to_model_scale, transform_to_original_scale

MODEL = "model"
LADDER = "ladder"
"""The ladder model's rows in `forecast backtest --model ladder` (`forecast.evaluation.ladder_backtest`)."""
METHODS = (MODEL, *BASELINES)
SCORED = (MODEL, LADDER, *BASELINES)
"""Methods a backtest table lists, in order (the ladder only where `forecast backtest --model ladder` added it)."""
MIN_FIGURES = 2
GROWTH_RATES = (0.0, 0.05, 0.10, 0.20)
QUANTILES = (0.025, 0.05, 0.10, 0.25, 0.5, 0.75, 0.90, 0.95, 0.975)
MODELLED_KINDS = {"stock", "flow", "amount", "density", "percent"}
DEFAULT_SEED = 20240917
BASELINE_STATUS = "n/a (closed-form draws)"
LOWER_BOUND_OUTCOME = "lower bound, not a point outcome"
EARLIER_BASIS = "on the GDP basis before the post-census revision, not the quantity forecast"
TOO_FEW = f"fewer than {MIN_FIGURES} figures up to the origin"
NO_FORECAST = "the model gave no forecast"
NO_START = "no ladder start state (certified firms and tech SMEs in one clean year) up to the origin"
ID_COLUMNS = ["origin", "region", "indicator", "year", "lead", "method"]

Forecaster = Callable[..., PanelForecast]
"""``forecaster(history, indicator, regions, *, cutoff, horizon) -> PanelForecast``."""


@dataclass(frozen=True)
class Task:
    """One forecast: an indicator cut at an origin, its fit figures and the later points to score."""

    origin: int
    indicator: str
    scale: str
    fit_points: dict[str, pd.DataFrame]  # region -> one figure per year up to the origin
    outcomes: pd.DataFrame  # region, year, value, flag: point figures after the origin


@dataclass
class BacktestResult:
    rows: pd.DataFrame  # one row per (origin, region, indicator, year, method)
    excluded: pd.DataFrame  # origin, region, indicator, year, reason
    fits: list[dict] = field(default_factory=list)  # the model's fits and their diagnostics


@dataclass(frozen=True, eq=False)
class TrendForecaster:
    """The project's trend model (`forecast_indicator`) as a forecaster, reusing fits saved in `cache`; `many`
    makes several panels at once, in up to `workers` processes (default: every core; `forecast.trend.parallel`:
    the same numbers as one after the other)."""

    regions: pd.DataFrame
    indicators: pd.DataFrame
    settings: TrendSettings
    seed: int
    cache: PosteriorCache | None = None
    workers: int | None = None

    def __call__(self, history: pd.DataFrame, indicator: str, wanted: list[str], *, cutoff, horizon) -> PanelForecast:
        options = dict(regions=self.regions, indicators=self.indicators, settings=self.settings, seed=self.seed)
        return forecast_indicator(
            history, indicator, wanted, **options, cache=self.cache, cutoff=cutoff, horizon=horizon
        )

    def many(self, calls: list[tuple[tuple, dict]]) -> list[PanelForecast]:
        figures = [int((history["indicator"] == indicator).sum()) for (history, indicator, _), _ in calls]
        options = {"settings": self.settings, "indicators": self.indicators}
        groups = [fit_group(indicator, {**options, **kwargs}) for (_, indicator, _), kwargs in calls]
        return map_calls(self, calls, workers=self.workers, cost=figures, groups=groups)  # largest first


def trend_forecaster(
    *,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    settings: TrendSettings,
    seed: int,
    cache: PosteriorCache | None = None,
    workers: int | None = None,
) -> Forecaster:
    """The default forecaster: the project's trend model (`TrendForecaster`), reusing fits saved in `cache`."""
    return TrendForecaster(regions, indicators, settings, seed, cache, workers)


def forecast_all(forecaster: Forecaster, calls: list[tuple[tuple, dict]]) -> list[PanelForecast]:
    """``forecaster(*args, **kwargs)`` for each call: together through its `many` where it has one (in parallel),
    else one after the other."""
    many = getattr(forecaster, "many", None)
    return many(calls) if many is not None else [forecaster(*args, **kwargs) for args, kwargs in calls]


def model_scale(indicators: pd.DataFrame, indicator: str) -> str:
    """The trend model's scale: logit for `percent` indicators, log otherwise."""
    return "logit" if indicators.at[indicator, "kind"] == "percent" else "log"


def to_model_scale(values: np.ndarray, scale: str) -> np.ndarray:
    """``g(y)`` of the module doc; values at the domain's edge (an overflowed draw) are first clipped like the
    baselines'."""
    limit = LOGIT_CLIP if scale == "logit" else LOG_CLIP
    low, high = transform_to_original_scale([-limit, limit], scale)
    return transform_to_model_scale(np.clip(values, low, high), scale)


def series_points(history: pd.DataFrame, region: str, indicator: str, series: str = "main") -> pd.DataFrame:
    """One figure per year (fewest caveats) of a region's series, lower bounds included."""
    rows, _ = select_series(history, region, indicator, series)
    return best_points(rows)


def check_filters(
    history: pd.DataFrame, only_indicators: Sequence[str], only_regions: Sequence[str], source: str
) -> None:
    """Every filtered indicator and region must have figures in the data."""
    problems = [
        Problem(
            source,
            f"--{option} {value}",
            f"no figures for {option} '{value}' in the data",
            did_you_mean(value, history[option]),
        )
        for option, values in (("indicator", only_indicators), ("region", only_regions))
        for value in values
        if value not in set(history[option])
    ]
    if problems:
        raise InputError(problems)


def plan_backtest(
    history: pd.DataFrame,
    origins: Iterable[int],
    indicators: pd.DataFrame,
    *,
    only_indicators: Sequence[str] = (),
    only_regions: Sequence[str] = (),
    source: str = "data",
) -> tuple[list[Task], pd.DataFrame]:
    """Split every series at every origin into fit figures and scored points (no fitting yet).

    Raises `InputError` for a filter naming nothing in the data, or an origin with no
    point to score. Returns the tasks and the points left out, with the reason.
    """
    check_filters(history, only_indicators, only_regions, source)
    chosen = history[
        history["indicator"].isin(only_indicators or history["indicator"])
        & history["region"].isin(only_regions or history["region"])
    ]
    chosen = chosen[chosen["indicator"].map(indicators["kind"]).isin(MODELLED_KINDS)]
    points = {key: series_points(rows, *key) for key, rows in chosen.groupby(["region", "indicator"])}
    tasks, excluded = [], []
    for origin in sorted(set(origins)):
        for indicator in sorted({i for _, i in points}):
            task, dropped = _split_at(
                origin,
                indicator,
                model_scale(indicators, indicator),
                {r: p for (r, i), p in points.items() if i == indicator},
            )
            tasks += [task] if task is not None else []
            excluded.append(dropped)
    excluded = (
        pd.concat(excluded, ignore_index=True)
        if excluded
        else pd.DataFrame(columns=["origin", "region", "indicator", "year", "reason"])
    )
    _check_origins(tasks, sorted(set(origins)), points, source)
    return tasks, excluded


def _split_at(
    origin: int, indicator: str, scale: str, series: dict[str, pd.DataFrame]
) -> tuple[Task | None, pd.DataFrame]:
    fit, outcomes, dropped = {}, [], []
    for region, points in sorted(series.items()):
        before, after = points[points["year"] <= origin], points[points["year"] > origin]
        bound, earlier = flags.is_lower_bound(after["flag"]), flags.is_pre_revision(after["flag"])
        enough = len(before) >= MIN_FIGURES
        reasons = np.where(bound, LOWER_BOUND_OUTCOME, np.where(earlier, EARLIER_BASIS, ""))
        reasons = reasons if enough else np.full(len(after), TOO_FEW)
        bound = bound | earlier
        dropped.append(pd.DataFrame({"region": region, "year": after["year"], "reason": reasons}))
        if enough and (~bound).any():
            fit[region] = before
            outcomes.append(after[~bound].assign(region=region)[["region", "year", "value", "flag"]])
    dropped = pd.concat(dropped, ignore_index=True) if dropped else pd.DataFrame(columns=["region", "year", "reason"])
    dropped = dropped[dropped["reason"] != ""].assign(origin=origin, indicator=indicator)[
        ["origin", "region", "indicator", "year", "reason"]
    ]
    task = Task(origin, indicator, scale, fit, pd.concat(outcomes, ignore_index=True)) if fit else None
    return task, dropped


def _check_origins(tasks: list[Task], origins: list[int], points: dict, source: str) -> None:
    scored = {task.origin for task in tasks}
    empty = [o for o in origins if o not in scored]
    if not empty:
        return
    years = sorted({int(y) for p in points.values() for y in p["year"]})
    possible = [
        y
        for y in years
        if any((p["year"] <= y).sum() >= MIN_FIGURES and (p["year"] > y).any() for p in points.values())
    ]
    hint = (
        f"origins with something to score in this data: {_years_text(possible)}"
        if possible
        else "the data hold no series long enough to backtest"
    )
    raise InputError(
        [
            Problem(
                source,
                f"--origin {o}",
                f"nothing to score: no series has {MIN_FIGURES} figures up to {o} and a point figure after it",
                hint,
            )
            for o in empty
        ]
    )


def _years_text(years: list[int]) -> str:
    """'2011-2018' for a run of consecutive years, else the years listed."""
    if len(years) > 1 and years[-1] - years[0] == len(years) - 1:
        return f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years))


def run_backtest(
    history: pd.DataFrame,
    tasks: list[Task],
    excluded: pd.DataFrame,
    *,
    forecaster: Forecaster,
    seed: int = DEFAULT_SEED,
) -> BacktestResult:
    """Forecast every task from the history cut at its origin and score model and baselines."""
    rows, dropped, fits = [], [excluded], []
    calls = [
        (
            (history[history["year"] <= task.origin], task.indicator, sorted(task.fit_points)),
            {"cutoff": task.origin, "horizon": int(task.outcomes["year"].max())},
        )
        for task in tasks
    ]
    for task, panel in zip(tasks, forecast_all(forecaster, calls), strict=True):
        for region, outcomes in task.outcomes.groupby("region", sort=True):
            if region not in panel.paths:
                dropped.append(
                    outcomes.assign(origin=task.origin, indicator=task.indicator, reason=NO_FORECAST)[excluded.columns]
                )
                continue
            fits.append(
                {
                    "origin": task.origin,
                    "indicator": task.indicator,
                    "region": region,
                    "model": panel.model.get(region, ""),
                    "diagnostics": panel.diagnostics[region].to_dict(),
                    "notes": panel.notes.get(region, []),
                }
            )
            rows += _score_region(task, region, outcomes, panel, seed)
    table = (
        pd.DataFrame({column: np.concatenate([r[column] for r in rows]) for column in rows[0]})
        if rows
        else pd.DataFrame(columns=ID_COLUMNS)
    )
    return BacktestResult(table, pd.concat(dropped, ignore_index=True), fits)


def _score_region(
    task: Task, region: str, outcomes: pd.DataFrame, panel: PanelForecast, seed: int
) -> list[dict[str, np.ndarray]]:
    """Score the model and every baseline on one region's later figures: one table (as columns) per method."""
    years, observed = outcomes["year"].to_numpy(), outcomes["value"].to_numpy()
    model = panel_draws(panel, region, years)
    forecasts = {MODEL: (model, panel.diagnostics[region].status, "; ".join(panel.notes.get(region, [])))}
    forecasts |= baseline_forecasts(
        task.fit_points[region], years, model.shape[0], task.scale, seed, (task.origin, region, task.indicator)
    )
    last = task.fit_points[region].iloc[-1]
    thresholds = threshold_levels(int(last["year"]), float(last["value"]), years)
    tables = []
    for method, (draws, status, note) in forecasts.items():
        ids = {
            "origin": task.origin,
            "region": region,
            "indicator": task.indicator,
            "year": years,
            "lead": years - task.origin,
            "method": method,
            "outcome": observed,
            "outcome_flag": outcomes["flag"].to_numpy(),
            "scale": task.scale,
            "last_year": int(last["year"]),
            "last_value": float(last["value"]),
        }
        columns = {**ids, **point_scores(draws, observed, task.scale, thresholds), "diagnostics": status, "note": note}
        tables.append({name: np.broadcast_to(value, years.shape) for name, value in columns.items()})
    return tables


def panel_draws(panel: PanelForecast, region: str, years: np.ndarray) -> np.ndarray:
    """The model's draws of the given years for one region, shape (chain * draw, len(years))."""
    paths, grid = panel.paths[region], np.asarray(panel.years[region])
    index = pd.Index(grid).get_indexer(years)
    if (index < 0).any():
        raise ValueError(
            f"{region}: years {list(np.asarray(years)[index < 0])} are not in the forecast ({grid[0]}-{grid[-1]})"
        )
    return paths[..., index].reshape(-1, index.size)


def baseline_forecasts(
    points: pd.DataFrame, years: np.ndarray, n_draws: int, scale: str, seed: int, key: tuple
) -> dict[str, tuple[np.ndarray, str, str]]:
    """Draws (n_draws, len(years)) of each naive baseline fitted to `points`, with its status and a note on
    fall-backs."""
    out = {}
    for name, method in BASELINES.items():
        rng = np.random.default_rng(fit_seed(seed, ("baseline", name, *key)))
        forecast = method(points["year"].to_numpy(), points["value"].to_numpy(), years, n_draws, rng, scale)
        notes = [f"ran as {forecast.method_used} ({len(points)} figures)"] if forecast.method_used != name else []
        notes += ["default step sd"] if forecast.sd_source == "default" else []
        out[name] = (forecast.draws, BASELINE_STATUS, "; ".join(notes))
    return out


def threshold_levels(
    last_year: int, last_value: float, years: np.ndarray, rates: Sequence[float] = GROWTH_RATES
) -> np.ndarray:
    """``c_r(t) = y_0 (1 + r)^(t - t_0)``, shape (len(rates), len(years))."""
    return last_value * (1.0 + np.asarray(rates))[:, None] ** (np.asarray(years) - last_year)[None, :]


def rate_tag(rate: float) -> str:
    return f"r{round(rate * 100)}"


def point_scores(draws: np.ndarray, observed: np.ndarray, scale: str, thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """Per point (columns): predictive quantiles, interval coverage, model-scale CRPS, threshold-event
    probabilities and outcomes."""
    quantiles = predictive_quantiles(draws, QUANTILES).to_numpy()
    out = {f"q{q * 100:g}": quantiles[:, i] for i, q in enumerate(QUANTILES)}
    for level in SCORE_LEVELS:
        out[f"covered_{round(level * 100)}"] = interval_coverage(draws, observed, level)
    out["crps"] = crps_from_draws(to_model_scale(draws, scale), to_model_scale(observed, scale))
    for rate, levels in zip(GROWTH_RATES, thresholds, strict=True):
        tag = rate_tag(rate)
        out[f"threshold_{tag}"] = levels
        out[f"p_{tag}"] = threshold_event_probability(draws, levels, "at_least")
        out[f"event_{tag}"] = observed >= levels
    return out


def event_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (point, method, rate): threshold, forecast probability and whether it happened."""
    frames = [
        rows[ID_COLUMNS].assign(
            rate=rate,
            threshold=rows[f"threshold_{rate_tag(rate)}"],
            p=rows[f"p_{rate_tag(rate)}"],
            event=rows[f"event_{rate_tag(rate)}"],
        )
        for rate in GROWTH_RATES
    ]
    return pd.concat(frames, ignore_index=True)


def summarise(rows: pd.DataFrame) -> dict:
    """Coverage, mean CRPS, Brier score and counts for one method's rows."""
    events = event_table(rows)
    fits = rows.drop_duplicates(["origin", "region", "indicator"])
    return {
        **{f"coverage_{round(level * 100)}": rows[f"covered_{round(level * 100)}"].mean() for level in SCORE_LEVELS},
        "crps": rows["crps"].mean(),
        "brier": brier_score(events["p"], events["event"]),
        "points": len(rows),
        "events": len(events),
        "fits": len(fits),
        "fits_with_warnings": int(fits["diagnostics"].str.startswith("WARNING").sum()),
    }


def score_table(rows: pd.DataFrame) -> pd.DataFrame:
    """`summarise` per origin and pooled over origins ("all"), per method, methods in `SCORED` order."""
    scopes = [(str(origin), group) for origin, group in rows.groupby("origin")] + [("all", rows)]
    records = [
        {"origin": scope, "method": method, **summarise(group[group["method"] == method])}
        for scope, group in scopes
        for method in SCORED
        if (group["method"] == method).any()
    ]
    return pd.DataFrame(records)


def indicator_table(rows: pd.DataFrame, baseline: str = "random_walk_drift") -> pd.DataFrame:
    """Per indicator, pooled over origins: the model's coverage and CRPS beside one baseline's CRPS.

    ``crps_vs_baseline`` is the model's CRPS relative to the baseline's minus one (-0.30:
    30% below), on the same points.
    """
    records = []
    for indicator, group in rows.groupby("indicator"):
        model, base = group[group["method"] == MODEL], group[group["method"] == baseline]
        if model.empty:
            continue
        scores = summarise(model)
        base_crps = base["crps"].mean() if len(base) else np.nan
        records.append(
            {
                "indicator": indicator,
                **{k: scores[k] for k in ("coverage_50", "coverage_80", "coverage_95", "crps", "points")},
                f"crps_{baseline}": base_crps,
                "crps_vs_baseline": scores["crps"] / base_crps - 1 if base_crps > 0 else np.nan,
            }
        )
    return pd.DataFrame(records)


def reliability_by_method(rows: pd.DataFrame, n_bins: int = 10) -> pd.DataFrame:
    """The reliability table of the pooled threshold events, per method."""
    events = event_table(rows)
    return pd.concat(
        [
            reliability_table(group["p"], group["event"], n_bins).assign(method=method)
            for method, group in events.groupby("method", sort=False)
        ],
        ignore_index=True,
    )
