"""Firm records and rate tables: the structured arrays the compiled step (`kernel`) reads and writes.

A firm is one record of `STATE_DTYPE` (the drawn `ATTRIBUTES` plus the step's own
timers), the rates of a run one row of `PARAMS_DTYPE` (`LadderParams` fields), the
levers in force one record (`policy_record`); numba compiles attribute access on
them (``f.revenue``, ``p.pass_rate``, ``policy["coaching"]``) to plain loads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, fields
from functools import lru_cache

import numpy as np

from models.ladder.params import LadderParams

HISTORY_YEARS = 4
"""Revenue history kept per firm: years t-3 .. t, enough for a 3-year CAGR."""
RD_YEARS = 3
"""R&D history kept per firm: years t-2 .. t, the three years the R&D criterion reads."""
ATTRIBUTES = (
    "stage",
    "age",
    "staff",
    "tech_staff_share",
    "revenue",
    "assets",
    "asset_ratio",
    "rd_propensity",
    "rd_spend",
    "ip_count",
    "high_tech_revenue_share",
    "manufacturing",
    "growth_effect",
    "profit_margin",
    "cert_year",
    "revenue_history",
    "ip_class1",
    "ip_class2",
    "tech_level",
    "organisation",
    "conversion_base",
    "conversions",
    "rd_history",
)
"""A firm's drawn attributes: the keys of the dict `population.build_population` returns."""

STATE_DTYPE = np.dtype(
    [
        ("stage", np.int8),
        ("age", np.int16),
        ("staff", np.float64),
        ("tech_staff_share", np.float32),
        ("revenue", np.float64),
        ("assets", np.float64),
        ("asset_ratio", np.float32),
        ("rd_propensity", np.float32),
        ("rd_spend", np.float64),
        ("ip_count", np.int32),
        ("ip_class1", np.int32),
        ("ip_class2", np.int32),
        ("ip_cited", np.int32),
        ("tech_level", np.float32),
        ("organisation", np.float32),
        ("conversion_base", np.float32),
        ("conversions", np.float32),
        ("high_tech_revenue_share", np.float32),
        ("manufacturing", np.bool_),
        ("growth_effect", np.float32),
        ("profit_margin", np.float32),
        ("cert_year", np.float32),
        ("revenue_history", np.float32, (HISTORY_YEARS,)),
        ("rd_history", np.float32, (RD_YEARS,)),
        ("rd_ratio", np.float64),
        ("reserve_years", np.int8),
        ("fund_injection", np.float32),
        ("last_growth", np.float32),
    ]
)
"""A firm's record: `ATTRIBUTES` plus rd_ratio, reserve_years, fund_injection and
last_growth, each in the smallest dtype that holds it (float32 holds shares, effects and calendar
years exactly enough). cert_year is NaN without a certificate; revenue_history holds the last
`HISTORY_YEARS` revenues, oldest first, NaN before birth; rd_history the last `RD_YEARS` R&D spends
(years t-2 .. t), NaN before birth. ip_count counts every core IP item held (the registry score reads
it), ip_class1 the class I items among them, ip_class2 the class II items not yet used in a certification
application; ip_cited the class II items a (re-)certification cited this year, written off at the start
of the next (so a firm's eligibility class at the end of a year is the one its decision saw)."""
STATE = STATE_DTYPE.names
PARAMS_DTYPE = np.dtype([(f.name, np.float64) for f in fields(LadderParams)])
"""One row of rates (`LadderParams` fields), as the compiled step reads them."""


def new_state(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Firm records from `population.build_population` arrays (R&D ratio derived, timers at 0)."""
    state = np.zeros(len(arrays["stage"]), dtype=STATE_DTYPE)
    for name in ATTRIBUTES:
        state[name] = arrays[name]
    state["rd_ratio"] = np.asarray(arrays["rd_spend"]) / np.asarray(arrays["revenue"])
    return state


def params_table(params: LadderParams | Sequence[LadderParams]) -> np.ndarray:
    """Rates as rows of `PARAMS_DTYPE`: one row for a `LadderParams`, one per run for a sequence."""
    if isinstance(params, LadderParams):
        return _one_params_row(params)
    return np.array([astuple(p) for p in params], dtype=PARAMS_DTYPE)


@lru_cache(maxsize=64)
def _one_params_row(params: LadderParams) -> np.ndarray:
    return np.array([astuple(params)], dtype=PARAMS_DTYPE)


def policy_record(policy: Mapping[str, float]) -> np.ndarray:
    """The levers in force as one record (lever name -> size), as the compiled step reads them."""
    return _policy_record(tuple(policy.items()))


@lru_cache(maxsize=256)
def _policy_record(items: tuple[tuple[str, float], ...]) -> np.ndarray:
    return np.array([tuple(v for _, v in items)], dtype=[(k, np.float64) for k, _ in items])
