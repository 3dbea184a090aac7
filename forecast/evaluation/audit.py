"""Audit of past plans: the probability the model would have given when a plan was written, beside what happened.

A catalogue target (not a template, with a deadline ``T`` and a number: `is_forecastable`)
whose deadline has passed (``T`` no later than the last year in the data) is audited when:

* the data hold its outcome: the best figure for ``T`` in the region's series (`main`,
  `forecast.evaluation.backtest.series_points`). A lower bound ("over 12,000") decides the target
  only when it already meets a target that rises with the figure (``at_least``,
  ``increment``, ``growth_rate_per_year``): then the target was met. Otherwise it is
  skipped, with the reason;
* the plan gives a base year ``b`` (without one, when the plan was written is unknown),
  and the series has at least ``MIN_FIGURES`` = 1 figure up to ``b``: a short city
  series borrows its growth from its province in the trend model, and the baselines
  fall back to simpler methods (`models.baselines`; the notes say so);
* a target measured from its base (``increment``, ``growth_rate_per_year``) has a base
  value: the plan's, or the figure for ``b``. It is fixed, since it was known at ``b``.

``P_k(met)`` is the share of draws of the figure in year ``T`` that meet target k
(`forecast.inputs.targets.target_met`), from the trend model fitted to figures up to ``b``
and from each naive baseline fitted to the same figures. With ``o_k = 1`` if the target
was met, over the N targets every method gave a probability for:

    Brier = (1/N) sum_k (P_k - o_k)^2     (0 is perfect; always saying 0.5 scores 0.25)

beside a reliability table (`forecast.evaluation.scores.reliability_table`). Fits are grouped by
(indicator, ``b``), so one forecaster call serves every target sharing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import ValidationError

from forecast.evaluation.backtest import (
    DEFAULT_SEED,
    METHODS,
    MODELLED_KINDS,
    NO_FORECAST,
    Forecaster,
    baseline_forecasts,
    forecast_all,
    model_scale,
    series_points,
)
from forecast.evaluation.scores import brier_score, reliability_table
from forecast.inputs import flags
from forecast.inputs.catalogue import catalogue_target, is_forecastable
from forecast.inputs.targets import Target, target_met
from forecast.probability import probability_met
from forecast.trend.fits import region_paths
from forecast.trend.pipeline import PanelForecast

MIN_FIGURES = 1
RISING = {"at_least", "increment", "growth_rate_per_year"}
FALLBACK_DRAWS = 2000
N_BINS = 5
P_COLUMNS = [f"p_{method}" for method in METHODS]


@dataclass(frozen=True)
class AuditCase:
    """A past target with a known result; `target.base_value` is filled from the data where needed."""

    target: Target
    outcome: float
    outcome_flag: str
    met: bool
    figures: pd.DataFrame  # one figure per year up to the base year


def audit_cases(
    catalogue: pd.DataFrame, history: pd.DataFrame, indicators: pd.DataFrame, series: str = "main"
) -> tuple[list[AuditCase], pd.DataFrame]:
    """The auditable targets, and every other target whose deadline has passed with the reason it is skipped."""
    as_of = int(history["year"].max())
    cases, skipped = [], []
    for _, row in catalogue.iterrows():
        if not is_forecastable(row) or row["target_year"] > as_of:
            continue
        found = _audit_case(row, history, indicators, series)
        if isinstance(found, AuditCase):
            cases.append(found)
        else:
            skipped.append(
                {
                    "target_id": row["target_id"],
                    "region": row["region"],
                    "indicator": row["indicator"],
                    "deadline": int(row["target_year"]),
                    "reason": found,
                }
            )
    return cases, pd.DataFrame(skipped, columns=["target_id", "region", "indicator", "deadline", "reason"])


def _audit_case(row: pd.Series, history: pd.DataFrame, indicators: pd.DataFrame, series: str) -> AuditCase | str:
    """The case, or why the target cannot be audited (rules in the module doc)."""
    try:
        target = catalogue_target(row)
    except ValidationError as exc:
        return f"not a valid target ({exc.errors()[0]['msg']})"
    if indicators.at[target.indicator, "kind"] not in MODELLED_KINDS:
        return f"'{indicators.at[target.indicator, 'kind']}' indicators are not modelled"
    points = series_points(history, target.region, target.indicator, series)
    at_deadline = points[points["year"] == target.target_year]
    if at_deadline.empty:
        return f"no figure for {target.target_year} in the data"
    if target.base_year is None:
        return "no base year: when the plan was written is unknown"
    figures = points[points["year"] <= target.base_year]
    if len(figures) < MIN_FIGURES:
        return f"no figure up to the base year {target.base_year}"
    target = _with_base_value(target, figures)
    if target is None:
        return f"no base value in the plan and no point figure for {row['base_year']:.0f}"
    outcome, flag = float(at_deadline["value"].iloc[0]), at_deadline["flag"].iloc[0]
    met = bool(target_met(np.array([outcome]), target)[0])
    if flags.is_lower_bound(at_deadline["flag"])[0] and not (target.comparator in RISING and met):
        return f"only a lower bound ('over {outcome:g}') for {target.target_year}, which does not decide the target"
    return AuditCase(target, outcome, flag, met, figures)


def _with_base_value(target: Target, figures: pd.DataFrame) -> Target | None:
    """The target with its base value fixed: the plan's, else the point figure for the base year."""
    if target.comparator not in {"increment", "growth_rate_per_year"} or target.base_value is not None:
        return target
    base = figures[(figures["year"] == target.base_year) & ~flags.is_lower_bound(figures["flag"])]
    return target.model_copy(update={"base_value": float(base["value"].iloc[0])}) if len(base) else None


def run_audit(
    cases: list[AuditCase],
    history: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    forecaster: Forecaster,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """P(met) from the model and each baseline for every case, one forecaster call per (indicator, base year)."""
    groups: dict[tuple[str, int], list[AuditCase]] = {}
    for case in cases:
        groups.setdefault((case.target.indicator, case.target.base_year), []).append(case)
    keys = sorted(groups)
    calls = [_call(history, indicator, cutoff, groups[(indicator, cutoff)]) for indicator, cutoff in keys]
    rows = []
    for (indicator, cutoff), panel in zip(keys, forecast_all(forecaster, calls), strict=True):
        scale = model_scale(indicators, indicator)
        rows += [audit_row(case, panel, scale, seed) for case in groups[(indicator, cutoff)]]
    return pd.DataFrame(rows)


def _call(history: pd.DataFrame, indicator: str, cutoff: int, group: list[AuditCase]) -> tuple[tuple, dict]:
    """The forecaster's arguments for one (indicator, base year): the figures up to it, the regions, the horizon."""
    wanted = sorted({case.target.region for case in group})
    horizon = max(case.target.target_year for case in group)
    return (history[history["year"] <= cutoff], indicator, wanted), {"cutoff": cutoff, "horizon": horizon}


def audit_row(case: AuditCase, panel: PanelForecast, scale: str, seed: int) -> dict:
    """One target: what was known, P(met) per method, what happened, the fit's diagnostics."""
    t, last = case.target, case.figures.iloc[-1]
    row = {
        "target_id": t.target_id,
        "target": t.describe(),
        "region": t.region,
        "indicator": t.indicator,
        "base_year": t.base_year,
        "deadline": t.target_year,
        "figures_used": len(case.figures),
        "last_figure": f"{last['value']:g} ({last['year']})",
        "outcome": case.outcome,
        "outcome_flag": case.outcome_flag,
        "met": case.met,
    }
    n_draws = FALLBACK_DRAWS
    if t.region in panel.paths:
        paths, basis_note = region_paths(panel, t.region, bool(flags.is_pre_revision([case.outcome_flag]).any()))
        result = probability_met(paths, panel.years[t.region], t)
        n_draws = paths[..., 0].size
        row |= {
            "p_model": result.probability,
            "p_model_mc_error": result.mc_error,
            "model": panel.model.get(t.region, ""),
            "diagnostics": panel.diagnostics[t.region].status,
            "notes": "; ".join(panel.notes.get(t.region, []) + basis_note),
        }
    else:
        row |= {"p_model": np.nan, "p_model_mc_error": np.nan, "model": "", "diagnostics": NO_FORECAST, "notes": ""}
    baselines = baseline_forecasts(case.figures, np.array([t.target_year]), n_draws, scale, seed, (t.target_id,))
    for name, (draws, _, note) in baselines.items():
        row[f"p_{name}"] = float(target_met(draws[:, 0], t).mean())
        row["notes"] = "; ".join(filter(None, [row["notes"], note and f"{name} {note}"]))
    return row


def audit_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Brier score per method over the targets every method gave a probability for."""
    scored = rows.dropna(subset=P_COLUMNS) if len(rows) else rows
    return pd.DataFrame(
        [
            {
                "method": method,
                "brier": brier_score(scored[f"p_{method}"], scored["met"]) if len(scored) else np.nan,
                "targets": len(scored),
            }
            for method in METHODS
        ]
    )


def audit_reliability(rows: pd.DataFrame, n_bins: int = N_BINS) -> pd.DataFrame:
    """Reliability table per method (bins of width 1/n_bins) over the same targets as `audit_scores`."""
    scored = rows.dropna(subset=P_COLUMNS)
    return pd.concat(
        [reliability_table(scored[f"p_{m}"], scored["met"], n_bins).assign(method=m) for m in METHODS],
        ignore_index=True,
    )
