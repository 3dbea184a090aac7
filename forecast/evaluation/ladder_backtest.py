"""The ladder model's out-of-sample check: `forecast backtest --model ladder`.

For each origin ``o`` (default 2019) and each region whose ladder can start by then (certified
firms and tech SMEs in one clean year from 2016 to ``o``: the calibration window's start,
`forecast.ladder.calibration.region_observations`):

1. calibrate the ladder on the history cut at ``o`` (a city pooled with its province, under the
   policies then in force; `forecast.ladder.calibration.posterior_for`, saved in the posterior
   cache like any calibration);
2. run the ladder ensemble from the window's start to the last scored year with posterior draws
   (run i: posterior draw i, its own seed) under the recorded policy history over those years (the
   policies are taken as known: a conditional forecast, as `forecast run` makes);
3. read each figure as the run's count times reporting noise ``exp(s z)``, z ~ Normal(0, 1), with
   s = sqrt(sigma_i^2 + MEANFIELD_ERROR_SD^2) from the same posterior draw (the calibration's noise
   of indicator i: the spread between a modelled count and a published figure);
4. score those draws and the trend model's on the same points, exactly as the trend backtest does
   (`forecast.evaluation.backtest.run_backtest`: coverage of the 50/80/95% intervals, CRPS on the log
   scale, Brier score of the threshold events, the naive baselines beside them).

Indicators: the three the calibration fits (`models.ladder.calibration.INDICATORS`): certified firms,
the yearly certification lists and the tech-SME register. Points that only one of the two models
can forecast (a city with no ladder start by the origin) are left out of both, with the reason.

Cost: one calibration per (origin, region) and one ensemble of `runs` runs; the ensemble runs at
``firm_scale`` k (default: about `AGENTS` agents at the start), so its demographic noise is sqrt(k)
times a full-resolution run's (under 1% of a province's counts at the default), small beside the
reporting noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache
from forecast.evaluation.backtest import (
    LADDER,
    MODEL,
    NO_START,
    BacktestResult,
    Forecaster,
    Task,
    run_backtest,
    summarise,
)
from forecast.inputs.stages import StageDataError
from forecast.inputs.tables import parent_of
from forecast.ladder import calibration as lcal
from forecast.ladder.policies import scenario_with_history
from forecast.trend.fits import PanelForecast
from models.diagnostics import Diagnostics
from models.ladder import LadderParams, run_ensemble
from models.ladder import calibration as cal

INDICATORS = tuple(cal.INDICATORS)
AGENTS = 20_000
"""Agents at the start of a backtest run (sets its firm_scale)."""
DEFAULT_RUNS = 100


@dataclass(eq=False)
class LadderForecaster:
    """The calibrated ladder as a backtest `Forecaster`: one calibration and ensemble per (origin, region),
    each indicator read from it."""

    regions: pd.DataFrame
    policies: pd.DataFrame | None
    end_year: int
    seed: int
    runs: int = DEFAULT_RUNS
    sampler: dict = field(default_factory=dict)
    cache: PosteriorCache | None = None
    firm_scale: int | None = None
    _made: dict = field(default_factory=dict)

    def __call__(self, history: pd.DataFrame, indicator: str, wanted: list[str], *, cutoff, horizon) -> PanelForecast:
        years, paths, diagnostics, notes = {}, {}, {}, {}
        for region in wanted:
            made = self.ensemble(history, region, int(cutoff))
            if made is None:
                continue
            figures, status, note = made
            column = cal.INDICATORS[indicator]
            grid = figures["year"]
            keep = grid > grid[0] if column == "certifications_listed" else np.ones(grid.size, bool)
            years[region], paths[region] = grid[keep], figures[column][None, :, keep]
            diagnostics[region], notes[region] = status, note
        model = dict.fromkeys(paths, LADDER)
        return PanelForecast(indicator, cutoff, horizon, years, paths, diagnostics, model, notes, group=LADDER)

    def ensemble(self, history: pd.DataFrame, region: str, origin: int):
        """(figure draws by column, the calibration's diagnostics, notes) of a region cut at `origin`; None if
        its ladder cannot start by then."""
        key = (origin, region)
        if key not in self._made:
            self._made[key] = self._simulate(history[history["year"] <= origin], region)
        return self._made[key]

    def _simulate(self, history: pd.DataFrame, region: str):
        parent = parent_of(region, self.regions)
        try:
            observations, _ = lcal.gather_observations(region, history, parent=parent, policies=self.policies)
        except StageDataError:
            return None
        idata = lcal.posterior_for(
            region, history, self.regions, seed=self.seed, cache=self.cache, parent=parent,
            policies=self.policies, **self.sampler,
        )  # fmt: skip
        own = observations[0]
        draw_seed, run_seed, noise_seed = np.random.SeedSequence([self.seed, own.start_year]).spawn(3)
        levers, _ = scenario_with_history((), self.policies, region, own.start_year + 1, self.end_year)
        firms = sum(own.stage_counts.values())
        ds = run_ensemble(
            n_runs=self.runs,
            seed=run_seed,
            param_draws=cal.posterior_param_draws(idata, self.runs, draw_seed),
            params=LadderParams.from_dict(cal.attrs_json(idata, "base_params")),
            stage_counts=own.stage_counts,
            start_year=own.start_year,
            end_year=self.end_year,
            firm_scale=self.firm_scale or max(1, round(firms / AGENTS)),
            levers=levers,
        )
        sd = cal.figure_sd(idata, self.runs, draw_seed)
        rng = np.random.default_rng(noise_seed)
        figures = {"year": ds["year"].values}
        for i, column in enumerate(cal.INDICATORS.values()):
            counts = ds[column].values.astype(float)
            figures[column] = counts * np.exp(sd[:, i, None] * rng.standard_normal(counts.shape))
        d = cal.attrs_json(idata, "diagnostics")
        status = Diagnostics(**{k: d[k] for k in ("r_hat_max", "ess_bulk_min", "ess_tail_min", "divergences")},
                             draws=d["draws"], chains=d["chains"])  # fmt: skip
        note = [f"ladder from {own.start_year} ({self.runs} runs), calibrated on figures up to the origin"]
        return figures, status, note


def ladder_regions(history: pd.DataFrame, tasks: list[Task], regions: pd.DataFrame) -> dict[int, set[str]]:
    """origin -> the regions of `tasks` whose ladder can start by the origin."""
    found: dict[int, set[str]] = {}
    for task in tasks:
        cut = history[history["year"] <= task.origin]
        for region in task.fit_points:
            try:
                lcal.gather_observations(region, cut, parent=parent_of(region, regions))
            except StageDataError:
                continue
            found.setdefault(task.origin, set()).add(region)
    return found


def restrict(tasks: list[Task], allowed: dict[int, set[str]]) -> tuple[list[Task], pd.DataFrame]:
    """The tasks cut to the regions the ladder can forecast, and the points dropped (with `NO_START`)."""
    kept, dropped = [], []
    for task in tasks:
        ok = allowed.get(task.origin, set())
        gone = task.outcomes[~task.outcomes["region"].isin(ok)]
        dropped.append(gone.assign(origin=task.origin, indicator=task.indicator, reason=NO_START))
        if ok & set(task.fit_points):
            fit = {r: p for r, p in task.fit_points.items() if r in ok}
            kept.append(
                Task(task.origin, task.indicator, task.scale, fit, task.outcomes[task.outcomes["region"].isin(ok)])
            )
    columns = ["origin", "region", "indicator", "year", "reason"]
    return kept, pd.concat(dropped, ignore_index=True)[columns] if dropped else pd.DataFrame(columns=columns)


def run_ladder_backtest(
    history: pd.DataFrame,
    tasks: list[Task],
    excluded: pd.DataFrame,
    *,
    regions: pd.DataFrame,
    trend: Forecaster,
    ladder: LadderForecaster,
    seed: int,
) -> BacktestResult:
    """The trend backtest's rows with the ladder's beside them (method `LADDER`), on the points both forecast."""
    tasks = [t for t in tasks if t.indicator in INDICATORS]
    tasks, dropped = restrict(tasks, ladder_regions(history, tasks, regions))
    excluded = pd.concat([excluded[excluded["indicator"].isin(INDICATORS)], dropped], ignore_index=True)
    with_trend = run_backtest(history, tasks, excluded, forecaster=trend, seed=seed)
    with_ladder = run_backtest(history, tasks, excluded, forecaster=ladder, seed=seed)
    ladder_rows = with_ladder.rows[with_ladder.rows["method"] == MODEL].assign(method=LADDER)
    keys = ["origin", "region", "indicator", "year"]
    both = with_trend.rows[keys].merge(ladder_rows[keys]).drop_duplicates()
    rows = pd.concat([ladder_rows, with_trend.rows], ignore_index=True).merge(both)
    fits = [{**f, "model": LADDER} for f in with_ladder.fits] + with_trend.fits
    missing = pd.concat([with_trend.excluded, with_ladder.excluded]).drop_duplicates(keys)
    return BacktestResult(rows, missing.reset_index(drop=True), fits)


def ladder_indicator_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, pooled over origins: the ladder's and the trend model's coverage, CRPS and points."""
    records = [
        {"indicator": indicator, "method": method, **summarise(group[group["method"] == method])}
        for indicator, group in rows.groupby("indicator")
        for method in (LADDER, MODEL)
        if (group["method"] == method).any()
    ]
    columns = ["indicator", "method", "coverage_50", "coverage_80", "coverage_95", "crps", "points"]
    return pd.DataFrame(records, columns=columns + [c for c in records[0] if c not in columns] if records else columns)
