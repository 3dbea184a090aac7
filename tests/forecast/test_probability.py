"""Probabilities on trajectories, against answers worked out by hand on tiny SYNTHETIC paths."""

import numpy as np
import pytest

from forecast.inputs.targets import Target
from forecast.probability import first_met, joint_probability, level_with_probability, probability_met

YEARS = np.arange(2021, 2026)
# Four trajectories (one chain): first reach 1500 in 2023, 2025, never, 2022.
PATHS = np.array(
    [
        [
            [1000, 1200, 1500, 1600, 1700],
            [1000, 1100, 1200, 1300, 1500],
            [1000, 1050, 1100, 1150, 1200],
            [1000, 1600, 1400, 1450, 1550],
        ]
    ],
    dtype=float,
)


def target(value=1500, year=2025, comparator="at_least", **kw):
    return Target(
        target_id="t", region="r", indicator="x", comparator=comparator, target_year=year, target_value=value, **kw
    )


def test_first_met_counts_the_first_year_each_path_crosses():
    table = first_met(PATHS, YEARS, target(), after=2021)
    assert table["year"].tolist() == [2022, 2023, 2024, 2025]
    assert table["p_first_met"].tolist() == [0.25, 0.25, 0.0, 0.25]
    # The fourth path dips below again in 2023, but was met by 2022 already.
    assert table["p_met_by"].tolist() == [0.25, 0.5, 0.5, 0.75]


def test_first_met_stops_at_the_deadline_of_an_interim_milestone():
    table = first_met(PATHS, YEARS, target(1300, 2023), after=2021)
    assert table["year"].tolist() == [2022, 2023]
    # Paths 1 (1500 in 2023) and 4 (1600 in 2022); path 2 has only 1200 by 2023.
    assert table["p_met_by"].iloc[-1] == 0.5


def test_first_met_with_a_growth_target_uses_the_threshold_of_each_year():
    growth = target(10, 2025, "growth_rate_per_year", base_year=2021, base_value=1000)
    table = first_met(PATHS, YEARS, growth, after=2021)
    # 10% a year: thresholds 1100, 1210, 1331, 1464.1: path 1 on track from 2022; path 2 from 2022 (1100 >= 1100);
    # path 3 never after 2022 (1050 < 1100); path 4 from 2022.
    assert table["p_first_met"].tolist() == [0.75, 0.0, 0.0, 0.0]


def test_level_with_probability_is_a_lower_quantile_for_at_least_targets():
    values = np.arange(1, 101, dtype=float)
    levels = level_with_probability(values, target())
    # With probability 0.8 the value is at least the 20th percentile.
    assert levels[0.8] == pytest.approx(np.quantile(values, 0.2))
    assert levels[0.95] < levels[0.5]
    assert level_with_probability(values, target(comparator="at_most"))[0.8] == pytest.approx(np.quantile(values, 0.8))


def test_joint_probability_needs_every_target_met_in_the_same_draw():
    a = np.array([[True, True, False, True]])
    b = np.array([[True, False, True, True]])
    p, err = joint_probability([a, b])
    assert p == 0.5
    assert err > 0
    with pytest.raises(ValueError, match="do not align"):
        joint_probability([a, np.array([[True]])])


def test_probability_met_reports_levels():
    result = probability_met(PATHS, YEARS, target())
    assert result.probability == 0.75
    assert set(result.levels) == {0.5, 0.8, 0.9, 0.95}


def test_levels_print_without_e_notation():
    from forecast.report.run import figure_text

    assert figure_text(19160.4) == "19,160" and figure_text(2.1867) == "2.187" and figure_text(float("nan")) == "-"
