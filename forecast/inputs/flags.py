"""What the history table's ``flag`` column means: the one home of every caveat's reading.

A figure's ``flag`` cell lists caveats separated by ``;`` (empty: a clean year-end
figure in the indicator's definition):

====================  ================================================================
flag                  meaning, and how the models read it
====================  ================================================================
``plan_base``         a plan's base value (the plan is the source): clean
``non_year_end``      a mid-year count or "as of" a month: a caveated figure
``scope_differs``     a definition or coverage that differs from the series': caveated
``lower_bound``       "over 12,000": only a lower bound on the value
``pre_revision_gdp``  a ratio to GDP (R&D intensity) as first published, before the
                      GDP revision that followed the 2018 economic census: over the
                      GDP of its day, while the bundled GDP figures and the later
                      ratios are over the revised GDP. Clean on its own basis; the
                      trend models read it with an unknown per-region basis shift
                      (`models.common_trend`, "Basis"); never a backtest outcome
====================  ================================================================

Clean figures (no flag, or only ``plan_base`` or ``pre_revision_gdp``) may start a simulation or anchor a
level; caveated ones enter a likelihood with more noise (the model states how much);
lower bounds enter as censored observations and never count as an outcome or a base
value. Where one figure per year must be chosen, the one with the fewest caveats
wins (`rank`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PLAN_BASE, NON_YEAR_END, SCOPE_DIFFERS, LOWER_BOUND = "plan_base", "non_year_end", "scope_differs", "lower_bound"
PRE_REVISION = "pre_revision_gdp"
FLAGS = {PLAN_BASE, NON_YEAR_END, SCOPE_DIFFERS, LOWER_BOUND, PRE_REVISION}
CLEAN = frozenset({PLAN_BASE, PRE_REVISION})
"""Flags a clean figure may carry (a figure on an earlier GDP basis is exact on its own basis)."""
CAVEATS = frozenset({NON_YEAR_END, SCOPE_DIFFERS})
"""Flags that make a point figure noisier."""
RANK = {PLAN_BASE: 0, PRE_REVISION: 1, NON_YEAR_END: 1, SCOPE_DIFFERS: 2, LOWER_BOUND: 3}
"""Fewer caveats first: the worst flag of a figure is its rank (0 for none)."""


def parse(cell: str) -> frozenset[str]:
    """The flags in one ``flag`` cell."""
    return frozenset(part.strip() for part in str(cell).split(";") if part.strip())


def _each(cells: pd.Series | list[str], test) -> np.ndarray:
    return np.array([test(parse(cell)) for cell in cells], dtype=bool)


def is_clean(cells: pd.Series | list[str]) -> np.ndarray:
    """Figures with no caveat (only ``plan_base`` allowed)."""
    return _each(cells, lambda flags: flags <= CLEAN)


def is_caveated(cells: pd.Series | list[str]) -> np.ndarray:
    """Figures with a caveat that widens their noise (a lower bound may carry one too)."""
    return _each(cells, lambda flags: bool(flags & CAVEATS))


def is_lower_bound(cells: pd.Series | list[str]) -> np.ndarray:
    """Figures that give only a lower bound."""
    return _each(cells, lambda flags: LOWER_BOUND in flags)


def is_pre_revision(cells: pd.Series | list[str]) -> np.ndarray:
    """Figures on the GDP basis before the post-census revision (``pre_revision_gdp``)."""
    return _each(cells, lambda flags: PRE_REVISION in flags)


def rank(cells: pd.Series | list[str]) -> np.ndarray:
    """Each figure's worst caveat as a number (0: clean); unknown flags rank last."""
    return np.array([max((RANK.get(f, 9) for f in parse(cell)), default=0) for cell in cells], dtype=int)
