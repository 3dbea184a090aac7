"""The growth check beside each target row: rates worked out by hand on SYNTHETIC figures."""

import pandas as pd
import pytest

from forecast.trend.growth import FAR_POINTS, GrowthCheck, RecentGrowth, check_growth, recent_growth, yearly_rate

REGIONS = pd.DataFrame({"region": ["prov", "city"], "parent": ["", "prov"]}).set_index("region")


def history(rows):
    return pd.DataFrame(
        [
            {"region": r, "indicator": "firms", "year": y, "value": v, "series": "main", "flag": f, "row": i}
            for i, (r, y, v, f) in enumerate(rows)
        ]
    )


HISTORY = history(
    [
        ("city", 2015, 100.0, ""),
        ("city", 2019, 400.0, ""),
        ("city", 2021, 484.0, ""),  # 2019-2021: 10% a year
        ("prov", 2016, 1000.0, ""),
        ("prov", 2018, 2000.0, ""),
        ("prov", 2020, 2420.0, "lower_bound"),  # counts at its value
        ("prov", 2021, 2662.0, ""),  # 2018-2021: 2000 -> 2662, 10% a year
    ]
)


def test_yearly_rate_is_the_compound_rate():
    assert yearly_rate(100, 121, 2) == pytest.approx(0.10)
    assert yearly_rate(100, 121, 0) != yearly_rate(100, 121, 0)  # nan: no years


def test_recent_growth_takes_the_earliest_figure_within_three_years_of_the_latest():
    assert recent_growth(HISTORY, "city", "firms", "main", None) == RecentGrowth("city", 2019, 2021, pytest.approx(0.1))
    assert recent_growth(HISTORY, "prov", "firms", "main", None) == RecentGrowth("prov", 2018, 2021, pytest.approx(0.1))
    # cut at 2019: the city's latest is 2019 and nothing lies within three years before: the figure before
    assert recent_growth(HISTORY, "city", "firms", "main", 2019) == RecentGrowth(
        "city", 2015, 2019, pytest.approx(4**0.25 - 1)
    )
    assert recent_growth(HISTORY, "nowhere", "firms", "main", None) is None


def test_a_projection_is_far_only_when_far_from_every_recent_rate():
    recent = (RecentGrowth("city", 2019, 2021, 0.10), RecentGrowth("prov", 2018, 2021, 0.30))
    assert not GrowthCheck(0.10 + FAR_POINTS + 0.05, recent).far  # near the province's
    assert GrowthCheck(0.45, recent).far
    assert GrowthCheck(-0.05, recent).far
    assert not GrowthCheck(0.9, ()).far  # nothing to compare with: no verdict


def test_check_growth_of_a_target_row():
    # median 644.2 in 2024 from 484 in 2021: 10% a year, as both recent rates: not far
    check = check_growth(644.204, 2024, (2021, 484.0), HISTORY, REGIONS, "city", "firms", "main", None)
    assert check.implied == pytest.approx(0.10, abs=1e-4)
    assert [g.region for g in check.recent] == ["city", "prov"]
    assert not check.far
    assert check_growth(2000.0, 2024, (2021, 484.0), HISTORY, REGIONS, "city", "firms", "main", None).far


def test_a_region_without_recent_figures_keeps_its_place_as_none():
    lonely = pd.concat([HISTORY, history([("town", 2021, 50.0, "")])], ignore_index=True)
    regions = pd.concat([REGIONS, pd.DataFrame({"region": ["town"], "parent": ["prov"]}).set_index("region")])
    check = check_growth(60.5, 2023, (2021, 50.0), lonely, regions, "town", "firms", "main", None)
    assert check.recent[0] is None and check.recent[1].region == "prov"


def test_recent_growth_does_not_span_the_gdp_revision():
    # 2017 and 2018 on the earlier GDP basis, 2019-2020 on the current one: the 2018 figure is not the window's start
    revised = history(
        [
            ("prov", 2017, 2.0, "pre_revision_gdp"),
            ("prov", 2018, 2.1, "pre_revision_gdp"),
            ("prov", 2019, 2.4, ""),
            ("prov", 2020, 2.64, ""),
        ]
    )
    assert recent_growth(revised, "prov", "firms", "main", None) == RecentGrowth("prov", 2019, 2020, pytest.approx(0.1))
    # cut at 2018: both figures on the earlier basis
    cut = recent_growth(revised, "prov", "firms", "main", 2018)
    assert cut == RecentGrowth("prov", 2017, 2018, pytest.approx(0.05))
    # cut at 2019: no earlier figure on the current basis
    assert recent_growth(revised, "prov", "firms", "main", 2019) is None
