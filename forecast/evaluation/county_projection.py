"""The county scorecard projected to a later year: the probability of reaching the next class by then.

Which indicators are projected: those of the index that the trend model projects (in
the history it pools with, with the same unit key as the index, and of a kind in
`forecast.evaluation.backtest.MODELLED_KINDS`: certified high-tech enterprises, tech
SMEs, invention patents per 10,000 people) and for which the county's figures give a
series of at least `MIN_YEARS` years. Each is fitted by the panel model
(`forecast.trend.pipeline.forecast_indicator`) with the county added to the history's
regions as one more region (`COUNTY_REGION`), top-level, so its growth is drawn around
the panel mean, or below a parent region if one is named. Score of draw d in year T:

    S_d(T) = sum over projected i of points_i(y_i,d(T)) + sum over the other indicators j of points_j(x_j)

where y_i,d(T) is draw d of the county's reported figure i in year T and x_j the latest
figure (the stated assumption: an indicator without a projection keeps its points; a
missing one scores nothing). Draws of different indicators come from separate fits and
are paired by position, so the indicators are treated as independent. Then

    P(class k by T) = share of draws with class_of(S_d(T)) = k,
    P(next class by T) = share of draws with S_d(T) >= the next class's cut,

with Monte Carlo error sqrt(P (1 - P) / n) over the n draws. Where no indicator has
such a series the projection says so and gives no number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache
from forecast.evaluation.backtest import MODELLED_KINDS
from forecast.evaluation.county import LOWEST_CLASS, Scorecard, class_of, next_class, points_of
from forecast.inputs.county import IndexIndicator
from forecast.scenario import TrendSettings
from forecast.trend.pipeline import forecast_indicator

MIN_YEARS = 2
COUNTY_REGION = "county_scored"
"""The county's key in the panel (the figures file names no region key)."""
PROJECTED_COLUMNS = ["indicator", "first_year", "last_year", "latest", "median", "low_80", "high_80", "points"]
"""Per projected indicator: the county's series, its figure in the year projected to (median and 80% interval)
and the median points it would score."""


@dataclass(frozen=True)
class ClassProjection:
    """The county's class in `year`, by draws of the projected indicators (module docstring)."""

    year: int
    projected: pd.DataFrame
    held: list[str]
    """Indicators scored at their latest figure (no projection)."""
    unprojected: dict[str, str] = field(default_factory=dict)
    """Indicator -> why it is not projected although the county has figures for it."""
    candidates: list[str] = field(default_factory=list)
    """The index indicators the trend model projects where the county gives a series."""
    draws: int = 0
    p_class: dict[str, float] = field(default_factory=dict)
    next_class: tuple[str, float] | None = None
    p_next: float = float("nan")
    mc_error: float = float("nan")
    diagnostics: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return self.draws > 0


def modelled(item: IndexIndicator, history: pd.DataFrame, indicators: pd.DataFrame) -> bool:
    """Whether the trend model projects an index indicator (module docstring)."""
    return (
        item.key in set(history["indicator"])
        and item.key in indicators.index
        and indicators.at[item.key, "unit"] == item.unit
        and indicators.at[item.key, "kind"] in MODELLED_KINDS
    )


def projectable(
    index: Sequence[IndexIndicator], figures: pd.DataFrame, history: pd.DataFrame, indicators: pd.DataFrame
) -> tuple[list[IndexIndicator], dict[str, str]]:
    """The index indicators the trend model can project for this county, and why each other one the county has
    several years of cannot be."""
    chosen, reasons = [], {}
    for item in index:
        years = sorted(set(figures.loc[figures["indicator"] == item.key, "year"]) - {0})
        known = modelled(item, history, indicators)
        if known and len(years) >= MIN_YEARS:
            chosen.append(item)
        elif known and years:
            reasons[item.key] = f"one year of figures ({years[-1]}); a projection needs {MIN_YEARS} or more"
        elif len(years) >= MIN_YEARS:
            reasons[item.key] = "the trend model does not project this indicator (no history to pool with)"
    return chosen, reasons


def county_history(
    figures: pd.DataFrame, items: Sequence[IndexIndicator], history: pd.DataFrame, regions: pd.DataFrame, parent: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history and regions with the county's series of `items` added as region `COUNTY_REGION`."""
    keys = [item.key for item in items]
    mine = figures[figures["indicator"].isin(keys) & (figures["year"] > 0)]
    rows = pd.DataFrame(
        {
            "region": COUNTY_REGION,
            "indicator": mine["indicator"],
            "year": mine["year"].astype(int),
            "value": mine["value"].astype(float),
            "unit": mine["unit"],
            "source": "county figures file",
            "note": mine["note"],
            "series": "main",
            "flag": "",
            "row": mine["row"],
        }
    )
    region = pd.DataFrame(
        [{"region": COUNTY_REGION, "name_zh": "", "name_en": "", "level": "county", "parent": parent}]
    ).set_index("region", drop=False)
    return pd.concat([history, rows], ignore_index=True), pd.concat([regions, region])


def project_class(
    card: Scorecard,
    index: Sequence[IndexIndicator],
    figures: pd.DataFrame,
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    year: int,
    parent: str = "",
    settings: TrendSettings | None = None,
    seed: int = 0,
    cache: PosteriorCache | None = None,
) -> ClassProjection:
    """P(each class) and P(next class) in `year` for the county scored in `card` (module docstring)."""
    items, unprojected = projectable(index, figures, history, indicators)
    held = [key for key in card.rows.loc[card.rows["value"].notna(), "indicator"] if key not in {i.key for i in items}]
    candidates = [item.key for item in index if modelled(item, history, indicators)]
    if not items:
        return ClassProjection(year, pd.DataFrame(columns=PROJECTED_COLUMNS), held, unprojected, candidates)
    pooled, region_table = county_history(figures, items, history, regions, parent)
    fits = [
        forecast_indicator(
            pooled,
            item.key,
            [COUNTY_REGION],
            regions=region_table,
            indicators=indicators,
            cutoff=None,
            horizon=year,
            settings=settings,
            seed=seed,
            cache=cache,
        )
        for item in items
    ]
    values = [panel.paths[COUNTY_REGION][..., -1].ravel() for panel in fits]
    points = [points_of(item, v) for item, v in zip(items, values, strict=True)]
    rows = [_projected_row(i, figures, v, p) for i, v, p in zip(items, values, points, strict=True)]
    diagnostics = {item.key: panel.diagnostics[COUNTY_REGION].status for item, panel in zip(items, fits, strict=True)}
    notes = [
        f"{item.key}: {n.replace(COUNTY_REGION, 'the county')}"
        for item, panel in zip(items, fits, strict=True)
        for n in panel.notes[COUNTY_REGION]
    ]
    n = min(p.size for p in points)
    held_points = float(card.rows.loc[card.rows["indicator"].isin(held), "points"].sum())
    scores = held_points + np.sum([p[:n] for p in points], axis=0)
    step = next_class(card.klass, card.cuts)
    p_next = float(np.mean(scores >= step[1])) if step else float("nan")
    return ClassProjection(
        year=year,
        projected=pd.DataFrame(rows, columns=PROJECTED_COLUMNS),
        held=held,
        unprojected=unprojected,
        candidates=candidates,
        draws=n,
        p_class=class_shares(scores, card.cuts),
        next_class=step,
        p_next=p_next,
        mc_error=float(np.sqrt(p_next * (1 - p_next) / n)) if step else float("nan"),
        diagnostics=diagnostics,
        notes=notes,
    )


def class_shares(scores: np.ndarray, cuts: Sequence[tuple[str, float]]) -> dict[str, float]:
    """The share of draws in each class, best class first."""
    classes = np.array([class_of(s, cuts) for s in scores])
    return {name: float(np.mean(classes == name)) for name in [*(name for name, _ in cuts), LOWEST_CLASS]}


def _projected_row(item: IndexIndicator, figures: pd.DataFrame, values: np.ndarray, scored: np.ndarray) -> dict:
    series = figures[(figures["indicator"] == item.key) & (figures["year"] > 0)].sort_values("year")
    low, median, high = np.quantile(values, [0.1, 0.5, 0.9])
    return {
        "indicator": item.key,
        "first_year": int(series["year"].iloc[0]),
        "last_year": int(series["year"].iloc[-1]),
        "latest": float(series["value"].iloc[-1]),
        "median": float(median),
        "low_80": float(low),
        "high_80": float(high),
        "points": float(np.median(scored)),
    }
