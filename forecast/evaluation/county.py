"""The county scorecard: seed 001's county S&T capacity index applied to a county's figures.

The index (``__区科技创新能力检测评价指标体系``, seed 001 part 4; `data/county_index.csv`)
has 17 indicators in 5 groups whose weights sum to 100. Score of a county:

    S = sum over indicators i of points_i(x_i),   0 <= points_i <= w_i

where x_i is the county's latest figure of indicator i, in the index's unit.

Rules for what the index leaves open or prints inconsistently (also in the README):

1. **Inside a band**, points are interpolated on a straight line between the band's
   ends: "10000-5000万元 (5-4分)" gives 7,500万元 4.5 points. The top band ("≧X")
   gives the full weight for any figure from X up; the bottom band ("X以下 (P-0分)")
   runs from 0 points at 0 to P at X. So points_i is the piecewise-linear curve
   through the knots `forecast.inputs.county` reads from the printed bands.
2. **Ranges the bands skip** are bridged by the same straight line between the
   neighbouring knots. The one case: certified high-tech enterprises, printed
   "≧100家 (10分); 10-5家 (4-3.5分)", so nothing covers 10-100 firms; 55 firms get
   4 + (55 - 10) / (100 - 10) x 6 = 7 points. The scorecard marks such figures.
3. **Overlapping band ends** (a boundary figure printed in two bands, e.g. 1% in
   "2%-1%" and "1%-0.5%") belong to the higher band, as "≧" does for the top; in this
   index both bands give the same points there, so no score depends on it.
4. **The misprinted last patent band** "2件/万人 (3.5-0分)" is read as "below 2".
5. **Units**: figures are converted to the index's unit (亿元 to 万元 x 10,000); a
   share is a percentage (1.5 means 1.5%). The per-1,000-firm indicators are printed
   with the unit 家 and mean firms per 1,000 registered enterprises.
6. **Per-item indicators** (platforms, parks and bases, service bodies, management
   bodies, support and awards, management innovation) are scored by the county from
   the listed points per item; the figure is that points total, capped at the weight
   ("最高不超过8分"). The management-body options (4, 2, 1, 1 points) are added and
   capped at 5 the same way; management innovation has no rule at all, so its points
   are whatever the assessor gives, up to 5.
7. **Classes**: the index does not say how scores become classes A/B/C (the province
   ranks all its counties each year). The scorecard uses stated cut-offs, an
   assumption the user can change (``--cuts``): A from 70 points, B from 50, C below
   (`DEFAULT_CUTS`). The catalogue codes A=1, B=2, C=3 (``county_innovation_class``).
8. **Missing indicators** score nothing; each could add up to its weight, so the
   scorecard gives the range [S, S + sum of missing weights] and the classes at both
   ends.
9. **Trends**: where the figures give several years of an indicator, the latest year
   is scored; the scorecard says whether the trend model knows the indicator (it
   has figures for it in the history it pools with) or not. Projecting the
   scorecard to a later year (the probability of reaching the next class) is
   `forecast.evaluation.county_projection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecast.inputs.county import IndexIndicator

DEFAULT_CUTS: tuple[tuple[str, float], ...] = (("A", 70.0), ("B", 50.0))
"""Lowest score of each class, best class first; below the last cut is class C. An assumption (rule 7)."""
LOWEST_CLASS = "C"


def indicator_points(item: IndexIndicator, value: float) -> float:
    """Points for one figure in the index's unit (rules 1-6 of the module docstring)."""
    return float(points_of(item, np.asarray(value, dtype=float)))


def points_of(item: IndexIndicator, values: np.ndarray) -> np.ndarray:
    """`indicator_points` of every figure in an array (draws of a projection)."""
    if not item.banded:
        return np.clip(values, 0.0, item.weight)
    xs, ps = zip(*item.knots, strict=True)
    return np.interp(values, xs, ps)


class Reading(NamedTuple):
    """How a figure was scored (`forecast.report.labels` puts it in words): `kind` is ``band`` (inside the band
    `low`-`high`), ``skipped`` (in the range `low`-`high` the index skips, rule 2), ``full`` (from the top band's
    `low` up), ``capped`` (a points total above the weight `low`), ``assessed`` (a points total as given) or
    ``missing`` (no figure: it could add up to the weight `low`)."""

    kind: str
    low: float = np.nan
    high: float = np.nan


def reading(item: IndexIndicator, value: float) -> Reading:
    """How a figure was scored: its band, a skipped range, the full weight, or a capped points total."""
    if not item.banded:
        return Reading("capped", item.weight) if value > item.weight else Reading("assessed")
    top = item.knots[-1][0]
    if value >= top:
        return Reading("full", top)
    for low, high in item.gaps:
        if low < value < high:
            return Reading("skipped", low, high)
    low, high = next((a, b) for (a, _), (b, _) in zip(item.knots, item.knots[1:], strict=False) if a <= value < b)
    return Reading("band", low, high)


def class_of(score: float, cuts: Sequence[tuple[str, float]] = DEFAULT_CUTS) -> str:
    """The class of a score: the first class whose cut it reaches (cuts best first), else C."""
    return next((name for name, cut in cuts if score >= cut), LOWEST_CLASS)


def next_class(current: str, cuts: Sequence[tuple[str, float]] = DEFAULT_CUTS) -> tuple[str, float] | None:
    """The class above `current` and the score it needs, or None for the best class."""
    names = [name for name, _ in cuts]
    if current == LOWEST_CLASS:
        return cuts[-1]
    position = names.index(current)
    return cuts[position - 1] if position > 0 else None


@dataclass(frozen=True)
class Scorecard:
    """A county's score on the index: one row per indicator, the total, the classes it can still reach."""

    county: str
    rows: pd.DataFrame
    """``group, indicator, name_zh, name_en, weight, value, unit, year, points``, how the figure was read
    (`Reading`: ``reading, reading_low, reading_high``) and its trend (``trend``: '' for fewer than two years,
    ``known`` where the trend model knows the indicator, else ``unknown``; ``trend_from, trend_to, trend_years``);
    value and points are NaN where the figure is missing."""
    score: float
    missing_weight: float
    cuts: tuple[tuple[str, float], ...]

    @property
    def best_possible(self) -> float:
        return self.score + self.missing_weight

    @property
    def klass(self) -> str:
        return class_of(self.score, self.cuts)

    @property
    def best_class(self) -> str:
        return class_of(self.best_possible, self.cuts)

    @property
    def missing(self) -> list[str]:
        return list(self.rows.loc[self.rows["value"].isna(), "indicator"])


def score_county(
    index: Iterable[IndexIndicator],
    figures: pd.DataFrame,
    trend_indicators: Iterable[str] = (),
    *,
    county: str = "",
    cuts: Sequence[tuple[str, float]] = DEFAULT_CUTS,
) -> Scorecard:
    """Score a county's figures (`forecast.inputs.county.load_county_figures`) on the index.

    `trend_indicators` are the indicators the trend model can project (rule 9).
    """
    known = set(trend_indicators)
    rows = []
    for item in index:
        mine = figures[figures["indicator"] == item.key].sort_values("year")
        latest = mine.iloc[-1] if len(mine) else None
        value = float(latest["value"]) if latest is not None else np.nan
        read = reading(item, value) if latest is not None else Reading("missing", item.weight)
        years = sorted(set(mine["year"]) - {0})
        rows.append(
            {
                "group": item.group,
                "indicator": item.key,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "weight": item.weight,
                "value": value,
                "unit": item.unit,
                "year": int(latest["year"]) if latest is not None and latest["year"] else None,
                "points": indicator_points(item, value) if latest is not None else np.nan,
                "reading": read.kind,
                "reading_low": read.low,
                "reading_high": read.high,
                "trend": ("known" if item.key in known else "unknown") if len(years) >= 2 else "",
                "trend_from": years[0] if len(years) >= 2 else None,
                "trend_to": years[-1] if len(years) >= 2 else None,
                "trend_years": len(years),
            }
        )
    table = pd.DataFrame(rows)
    missing = float(table.loc[table["value"].isna(), "weight"].sum())
    return Scorecard(county, table, float(table["points"].sum()), missing, tuple(cuts))


def check_cuts(cuts: Sequence[tuple[str, float]]) -> str:
    """Why a set of class cut-offs cannot be used, or '' if it can: scores 0-100, falling from A down."""
    values = [cut for _, cut in cuts]
    if any(not 0 < v <= 100 for v in values):
        return "cut-offs must lie between 0 and 100 points"
    if any(b >= a for a, b in zip(values, values[1:], strict=False)):
        return "cut-offs must fall from class A down (A above B)"
    return ""
