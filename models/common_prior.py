"""Priors of the common-growth trend models (`models.common_trend`, `models.joint_trend`), by indicator family.

Kept apart from the models so the pipeline can name a panel's priors (in the fit's
key) without loading PyMC. The families and their reasons are in `models.common_trend`'s
docstring ("Priors").
"""

from __future__ import annotations

from dataclasses import dataclass

from models.panel import PanelData


@dataclass(frozen=True)
class CommonPriors:
    long_mu: float
    long_sd: float
    common_sd: float
    diff_sd: float
    walk_sd: float
    obs_sd: float
    slope_sd: float = 0.0
    """Prior sd of the yearly slope of the log shock scale (`models.trend_terms`); 0: a constant scale."""


PRIORS = {
    "count": CommonPriors(long_mu=0.05, long_sd=0.05, common_sd=0.08, diff_sd=0.10, walk_sd=0.05, obs_sd=0.05),
    "money": CommonPriors(long_mu=0.05, long_sd=0.05, common_sd=0.04, diff_sd=0.10, walk_sd=0.05, obs_sd=0.05),
    "percent": CommonPriors(long_mu=0.02, long_sd=0.03, common_sd=0.02, diff_sd=0.05, walk_sd=0.03, obs_sd=0.03),
}
"""Priors by the indicator's family (`family_of`); the module docstring gives each with its reason.

slope_sd (the shock scale's yearly slope, `models.trend_terms`) is 0 for every family: a constant scale. For
money and percentages it was chosen on the backtest from origin 2017 alone (R&D spending, intensity and GDP),
among 0, 0.05 and 0.10, by the rule used for common_sd (coverage of the 50% and 80% intervals closest to
nominal, ties to the lower CRPS): up to 2017 the provinces' shocks grew rather than shrank (the slope's posterior
mean +0.06 and +0.15 a year under the two priors), widening the intervals (gaps 0.22, 0.30, 0.35; CRPS 0.099,
0.102, 0.107). The calmer years came after 2019, later than an origin-2017 fit can see."""

FAMILIES = ("count", "money", "percent")
MONEY_UNITS = ("100m_yuan", "10k_yuan")
"""Units (prefixes) of sums of money: R&D spending, GDP, turnover (100m yuan); GDP or income per person (10k yuan)."""


def family_of(kind: str, unit: str) -> str:
    """The prior family of an indicator, from its catalogue kind and unit.

    `percent` for percentages (logit scale); `money` for sums of money and money per
    person (units starting with `MONEY_UNITS`: aggregates of a whole economy, whose
    growth moves by a few points a year); `count` for the rest: stocks and flows of
    firms, platforms and people, and densities such as patents per 10,000 people,
    which a policy push can double in a few years.
    """
    if kind == "percent":
        return "percent"
    return "money" if str(unit).startswith(MONEY_UNITS) else "count"


def priors_for(data: PanelData) -> CommonPriors:
    """The priors of a panel's family (`PanelData.family`; a panel without one: `count` on the log scale,
    `percent` on the logit scale)."""
    return PRIORS[data.family or ("percent" if data.scale == "logit" else "count")]


CHILD_SHAPE = 2.0
CHILD_MEAN = 0.4
"""tau_child ~ Gamma(CHILD_SHAPE, CHILD_SHAPE / (CHILD_MEAN diff_sd)): mean 0.4 diff_sd, median about 0.34 diff_sd
(that of the former HalfNormal(diff_sd / 2)), density zero at zero (`models.common_trend` docstring)."""


def child_gamma(diff_sd):
    """(alpha, beta) of tau_child's Gamma prior for a family's (or families') diff_sd."""
    return CHILD_SHAPE, CHILD_SHAPE / (CHILD_MEAN * diff_sd)
