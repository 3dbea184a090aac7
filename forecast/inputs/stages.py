"""The ladder's stage figures in the history table: which years can start a simulation,
and which figures follow a calibration's start.

Stage counts published as figures (`STAGE_INDICATORS`)::

    hte      = high_tech_enterprises   (certified firms)
    tech_sme = tech_smes               (registered tech SMEs)

A start needs a *clean* figure (`flags.is_clean`) for both in one year. A run starts
in the latest such year of the scenario's series (`observed_years`); a calibration
window in the earliest one from a given year on, series ``main`` (`stage_window`),
and takes every figure after it, caveats and all, for the likelihood to weigh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from forecast.inputs import flags
from forecast.inputs.tables import best_points, select_series

STAGE_INDICATORS = {"hte": "high_tech_enterprises", "tech_sme": "tech_smes"}
"""Stage -> the indicator whose figure gives its count."""


class StageDataError(ValueError):
    """The history holds too few stage figures for a region (the message says what)."""


def clean_figure(
    history: pd.DataFrame, region: str, indicator: str, year: int, series: str = "main"
) -> pd.Series | None:
    """The region's clean figure for one year (the row), or None."""
    rows, _ = select_series(history, region, indicator, series)
    rows = rows[(rows["year"] == year) & flags.is_clean(rows["flag"])]
    return None if rows.empty else best_points(rows).iloc[0]


def observed_years(history: pd.DataFrame, region: str, series: Mapping[str, str]) -> list[int]:
    """Years with a clean figure for every stage in `STAGE_INDICATORS`, ascending."""
    years = None
    for indicator in STAGE_INDICATORS.values():
        rows, _ = select_series(history, region, indicator, series.get(indicator, "main"))
        found = set(rows.loc[flags.is_clean(rows["flag"]), "year"])
        years = found if years is None else years & found
    return sorted(years or [])


@dataclass(frozen=True)
class StageWindow:
    """A calibration window of one region: the start year's clean stage figures and the figures after it.

    ``start_rows`` and ``figures`` are rows of the history table (series ``main``).
    """

    region: str
    start_year: int
    start_values: dict[str, float]
    start_rows: pd.DataFrame
    figures: pd.DataFrame
    dropped: int
    """Figures before the start year (not used)."""


def stage_rows(history: pd.DataFrame, region: str, indicators: Sequence[str]) -> pd.DataFrame:
    """The region's figures of `indicators` in series ``main``, by indicator, year and row."""
    rows = history[
        (history["region"] == region) & history["indicator"].isin(indicators) & (history["series"] == "main")
    ]
    return rows.sort_values(["indicator", "year", "row"]).reset_index(drop=True)


def stage_window(
    history: pd.DataFrame, region: str, indicators: Sequence[str], *, since: int, allow_empty: bool = False
) -> StageWindow:
    """The region's window from the first year from `since` on with clean figures for every stage.

    `indicators` are every indicator the window's figures may come from (the stages'
    and, for example, the yearly certification lists). `StageDataError` if there is no
    start, or (unless `allow_empty`) no figure after it.
    """
    rows = stage_rows(history, region, indicators)
    if rows.empty:
        raise StageDataError(f"{region}: no figures for {', '.join(indicators)} (series 'main'); nothing to calibrate")
    clean = rows[flags.is_clean(rows["flag"]) & (rows["year"].to_numpy() >= since)]
    stocks = list(STAGE_INDICATORS.values())
    years = set.intersection(*(set(clean.loc[clean["indicator"] == i, "year"]) for i in stocks))
    if not years:
        raise StageDataError(
            f"{region}: no year from {since} on with clean figures for both {' and '.join(stocks)} "
            "(the start state); add them to the data file"
        )
    start = min(years)
    start_rows = clean[(clean["year"] == start) & clean["indicator"].isin(stocks)].drop_duplicates("indicator")
    later = rows[rows["year"] > start]
    if later.empty and not allow_empty:
        raise StageDataError(f"{region}: no stage figures after the start year {start}; nothing to calibrate against")
    values = dict(zip(start_rows["indicator"], start_rows["value"].astype(float), strict=True))
    return StageWindow(
        region,
        int(start),
        values,
        start_rows.reset_index(drop=True),
        later.reset_index(drop=True),
        int((rows["year"] < start).sum()),
    )
