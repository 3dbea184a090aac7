import numpy as np
import pytest
from pydantic import ValidationError

from forecast.inputs.targets import Target, target_met, threshold_level


def make(comparator, value, **kw):
    return Target(
        target_id="t", region="r", indicator="x", comparator=comparator, target_year=2025, target_value=value, **kw
    )


def test_at_least_and_at_most_include_the_boundary():
    y = np.array([1499.0, 1500.0, 1501.0])
    assert target_met(y, make("at_least", 1500)).tolist() == [False, True, True]
    assert target_met(y, make("at_most", 1500)).tolist() == [True, True, False]


def test_about_is_within_five_percent():
    y = np.array([0.94, 0.96, 1.04, 1.06])
    assert target_met(y, make("about", 1.0)).tolist() == [False, True, True, False]


def test_growth_rate_uses_the_stated_base_value():
    # 100 -> 121 over 2 years is exactly 10% a year; base year 2023 for a 2025 deadline.
    t = make("growth_rate_per_year", 10, base_year=2023, base_value=100)
    assert target_met(np.array([120.0, 121.0, 122.0]), t).tolist() == [False, True, True]


def test_growth_rate_falls_back_to_the_trajectory_base():
    t = make("growth_rate_per_year", 10, base_year=2023)
    assert target_met(np.array([121.0, 121.0]), t, at_base=np.array([100.0, 110.0])).tolist() == [True, False]
    with pytest.raises(ValueError, match="needs the trajectory"):
        target_met(np.array([1.0]), t)


def test_increment_counts_what_is_added():
    t = make("increment", 400, base_year=2020, base_value=1000)
    assert target_met(np.array([1399.0, 1400.0]), t).tolist() == [False, True]
    assert threshold_level(t) == 1400


def test_threshold_level_of_growth_target():
    t = make("growth_rate_per_year", 10, base_year=2023, base_value=100)
    assert threshold_level(t) == pytest.approx(121.0)
    assert threshold_level(make("growth_rate_per_year", 10, base_year=2023)) is None


def test_growth_target_without_base_year_is_rejected():
    with pytest.raises(ValidationError, match="needs a base_year"):
        make("increment", 5)
    with pytest.raises(ValidationError, match="must be before"):
        make("at_least", 5, base_year=2025)
