"""Is a projection's growth one the figures support? The median's implied yearly growth
beside the region's and its parent's observed growth over their last years with data.

Rule (stated once, here): growth is the compound yearly rate, (later / earlier)^(1/years) - 1.
Recent growth runs from the earliest figure within `RECENT_YEARS` years before the
latest one to the latest one (when there is none, the figure just before), both on
the same GDP basis (`forecast.inputs.flags.PRE_REVISION`: a rate across the
post-census revision would count the revision as growth). A
projection is "far from the figures" when its implied rate differs by more than
`FAR_POINTS` (10 percentage points a year) from every recent rate available.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.inputs import flags
from forecast.inputs.tables import best_points, select_series

RECENT_YEARS = 3
FAR_POINTS = 0.10


@dataclass(frozen=True)
class RecentGrowth:
    region: str
    start: int
    end: int
    rate: float


@dataclass(frozen=True)
class GrowthCheck:
    """The median's implied yearly growth from the latest figure to the deadline, and the recent rates:
    the region's, then its parent's (None where that region has too few figures)."""

    implied: float
    recent: tuple[RecentGrowth | None, ...]

    @property
    def far(self) -> bool:
        known = [g for g in self.recent if g is not None]
        return bool(known) and all(abs(self.implied - g.rate) > FAR_POINTS for g in known)


def yearly_rate(earlier: float, later: float, years: int) -> float:
    if years <= 0 or earlier <= 0 or later <= 0:
        return float("nan")
    return float((later / earlier) ** (1.0 / years) - 1.0)


def recent_growth(
    history: pd.DataFrame, region: str, indicator: str, series: str, until: int | None
) -> RecentGrowth | None:
    """The region's yearly growth over its last `RECENT_YEARS` years with figures.

    A lower bound ("over 12,000") counts at its value where a year has nothing better:
    such phrases round down to a nearby round number, and the latest provincial
    figures are often given so.
    """
    if region not in set(history["region"]):
        return None
    rows, _ = select_series(history, region, indicator, series, until=until)
    points = best_points(rows).sort_values("year")
    if len(points) < 2:
        return None
    end = points.iloc[-1]
    same_basis = flags.is_pre_revision(points["flag"]) == flags.is_pre_revision([end["flag"]])[0]
    earlier = points[(points["year"] < end["year"]) & same_basis]
    if earlier.empty:
        return None
    window = earlier[earlier["year"] >= end["year"] - RECENT_YEARS]
    start = window.iloc[0] if len(window) else earlier.iloc[-1]
    rate = yearly_rate(float(start["value"]), float(end["value"]), int(end["year"] - start["year"]))
    return RecentGrowth(region, int(start["year"]), int(end["year"]), rate) if np.isfinite(rate) else None


def check_growth(
    median: float,
    deadline: int,
    latest: tuple[int, float],
    history: pd.DataFrame,
    regions: pd.DataFrame,
    region: str,
    indicator: str,
    series: str,
    until: int | None,
) -> GrowthCheck | None:
    """The growth check of one target row (None where the deadline is not after the latest figure)."""
    year, value = latest
    implied = yearly_rate(value, median, deadline - year)
    if not np.isfinite(implied):
        return None
    parent = regions.at[region, "parent"] if region in regions.index else ""
    found = [recent_growth(history, r, indicator, series, until) for r in (region, parent) if isinstance(r, str) and r]
    return GrowthCheck(implied, tuple(found))
