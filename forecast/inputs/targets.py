"""Targets and the tests that decide whether a trajectory meets one (pure functions).

A trajectory value ``y_T`` at the deadline ``T`` meets a target when:

* ``at_least``:  y_T >= v
* ``at_most``:   y_T <= v
* ``about``:     |y_T - v| <= 5% of v      (a point target with no direction)
* ``growth_rate_per_year`` (v in % per year, from base year b):
                 (y_T / y_b) ** (1 / (T - b)) - 1 >= v / 100
* ``increment`` (v added from base year b): y_T - y_b >= v

``y_b`` is the plan's stated base value where it gives one, else the trajectory's own
value in the base year. Every test works on arrays of draws, so P(met) is a mean.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

Comparator = Literal["at_least", "at_most", "about", "growth_rate_per_year", "increment"]
ABOUT_TOLERANCE = 0.05


class Target(BaseModel):
    """One target, from the catalogue or written inline in a scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target_id: str
    region: str
    indicator: str
    comparator: Comparator
    target_year: int
    target_value: float
    base_year: int | None = None
    base_value: float | None = None
    unit: str = ""
    milestone: Literal["final", "interim"] = "final"
    label: str = ""

    @model_validator(mode="after")
    def _base_needed(self) -> Target:
        if self.comparator in {"growth_rate_per_year", "increment"} and self.base_year is None:
            raise ValueError(f"a '{self.comparator}' target needs a base_year")
        if self.base_year is not None and self.base_year >= self.target_year:
            raise ValueError(f"base_year {self.base_year} must be before target_year {self.target_year}")
        return self

    def describe(self) -> str:
        """A short planner-readable statement such as 'high_tech_enterprises >= 1500 by 2025'."""
        value = f"{self.target_value:g}"
        phrase = {
            "at_least": f">= {value}",
            "at_most": f"<= {value}",
            "about": f"about {value}",
            "growth_rate_per_year": f"grows >= {value}%/yr from {self.base_year}",
            "increment": f"+{value} over {self.base_year}",
        }[self.comparator]
        return f"{self.indicator} {phrase} by {self.target_year}"


def target_met(at_deadline: np.ndarray, target: Target, at_base: np.ndarray | None = None) -> np.ndarray:
    """Boolean array: does each draw's deadline value meet the target? (see module doc)"""
    y = np.asarray(at_deadline, dtype=float)
    v = target.target_value
    if target.comparator == "at_least":
        return y >= v
    if target.comparator == "at_most":
        return y <= v
    if target.comparator == "about":
        return np.abs(y - v) <= ABOUT_TOLERANCE * abs(v)
    base = _base_values(target, at_base, y.shape)
    if target.comparator == "increment":
        return y - base >= v
    years = target.target_year - target.base_year
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (y / base) ** (1.0 / years) - 1.0
    return rate >= v / 100.0


def _base_values(target: Target, at_base: np.ndarray | None, shape: tuple) -> np.ndarray:
    if target.base_value is not None:
        return np.full(shape, target.base_value)
    if at_base is None:
        raise ValueError(f"target {target.target_id} needs the trajectory's {target.base_year} value")
    return np.asarray(at_base, dtype=float)


def threshold_level(target: Target) -> float | None:
    """The deadline level that meets the target exactly, where it does not depend on the draw."""
    if target.comparator in {"at_least", "at_most", "about"}:
        return target.target_value
    if target.base_value is None:
        return None
    if target.comparator == "increment":
        return target.base_value + target.target_value
    years = target.target_year - target.base_year
    return target.base_value * (1 + target.target_value / 100.0) ** years
