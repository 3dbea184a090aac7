"""The trend pipeline's records and small helpers, shared by the single-indicator fits
(`forecast.trend.pipeline`) and the joint fits (`forecast.trend.joint`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.inputs import flags
from models.diagnostics import Diagnostics
from models.panel import CAVEATED, EXACT, LOWER_BOUND

# Variables whose convergence is checked (the states' derived paths are functions of these).
CHECKED = (
    "growth",
    "sigma_walk",
    "sigma_obs",
    "state",
    "phi",
    "growth_long_run",
    "sigma_drift",
    "growth_mu",
    "tau_child",
    "tau_root",
    "stock_flow_log_rho",
    "growth_long_run",
    "sigma_common",
    "vol_slope_raw",
    "walk_shock_scale",
)


@dataclass
class TrendFit:
    key: tuple
    years: np.ndarray
    paths: np.ndarray
    diagnostics: Diagnostics
    observations: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    model: str = ""
    group: tuple = ()
    """Fits whose draws are drawn together: targets with the same group share draw positions jointly."""


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
    group: str = ""
    """Names the fit the draws come from (the indicator, or the identity of a joint fit)."""
    basis_shift: dict[str, np.ndarray] = field(default_factory=dict)
    """Per region with figures on an earlier GDP basis (joint fits): its shift b_r (chain, draw), drawn with its
    paths; a figure on that basis reads the path times exp(b_r) (`models.trend_terms`)."""


def region_paths(panel: PanelForecast, region: str, earlier: bool = False) -> tuple[np.ndarray, list[str]]:
    """The region's trajectories and a note: `earlier`, for a target judged by a figure on an earlier GDP basis,
    gives them on that basis where the fit drew the region's basis shift (the paths times exp(b_r)); a fit without
    one (a single-indicator fit) gives them on the current basis, and the note says so."""
    if not earlier:
        return panel.paths[region], []
    judged = (
        f"{region}: the {panel.indicator} figure that judges the target is on the GDP basis before the post-census "
        "revision"
    )
    if region not in panel.basis_shift:
        return panel.paths[region], [
            f"{judged}, but this fit has no basis term, so the trajectories are on the current basis: P(met) does not "
            "allow for the revision (fit R&D spending, GDP and intensity jointly for that)"
        ]
    note = f"{judged}, so the trajectories are drawn on that basis (the region's basis shift drawn with them)"
    return panel.paths[region] * np.exp(panel.basis_shift[region])[..., None], [note]


def observation_kinds(cells: pd.Series) -> np.ndarray:
    """Map data caveats (`forecast.inputs.flags`) to the trend model's observation kinds."""
    return np.where(
        flags.is_lower_bound(cells), LOWER_BOUND, np.where(flags.is_caveated(cells), CAVEATED, EXACT)
    ).astype(int)


def fit_seed(seed: int, key: tuple) -> np.random.SeedSequence:
    digest = hashlib.sha256(repr(key).encode()).digest()
    return np.random.SeedSequence(seed, spawn_key=tuple(int.from_bytes(digest[i : i + 4], "little") for i in (0, 4)))


def parent_of(region: str, regions: pd.DataFrame) -> str:
    """The region's parent in the regions table ("" for a region the table does not hold)."""
    return regions.at[region, "parent"] if region in regions.index else ""


@dataclass(frozen=True)
class FitSummary:
    """One fitted panel as `forecast fit` reports it: which indicators (several where fitted jointly), the figures'
    last year, how many regions, the models and their stacking weights, the sampler check and the fit's notes."""

    indicators: tuple[str, ...]
    end_year: int
    regions: int
    weights: dict[str, float]
    status: str
    notes: tuple[str, ...] = ()
