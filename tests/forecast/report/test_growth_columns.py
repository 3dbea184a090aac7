"""The growth check in the results table and the warning line, in the planner's words (SYNTHETIC rows)."""

import numpy as np
import pandas as pd

from forecast.report.labels import make_labels
from forecast.report.run import growth_columns, growth_text, growth_warnings
from forecast.trend.growth import GrowthCheck, RecentGrowth

INDICATORS = pd.DataFrame({"indicator": ["firms"], "name_zh": ["企业"], "name_en": ["firms"]})
REGIONS = pd.DataFrame({"region": ["city", "prov"], "name_zh": ["某市", "某省"], "name_en": ["City", "Province"]})


def table(check):
    return pd.DataFrame([{"target_id": "t", "target": "city: firms >= 10 by 2025", **growth_columns(check)}])


def test_columns_and_cell_of_a_checked_row():
    check = GrowthCheck(0.35, (RecentGrowth("city", 2020, 2022, 0.18), RecentGrowth("prov", 2021, 2024, 0.12)))
    row = next(table(check).itertuples())
    assert (row.implied_growth, row.region_recent_growth, row.parent_recent_years) == (0.35, 0.18, "2021-2024")
    assert growth_text(row) == "+35% | +18%, +12%"
    assert growth_text(next(table(None).itertuples())) == "-"


def test_warning_names_regions_in_the_planners_language_not_keys():
    far = GrowthCheck(0.35, (RecentGrowth("city", 2020, 2022, 0.18), RecentGrowth("prov", 2021, 2024, 0.12)))
    zh = growth_warnings(table(far), make_labels("zh", INDICATORS, REGIONS))
    assert len(zh) == 1 and "某市 2020-2022 +18%" in zh[0] and "某省" in zh[0]
    assert "city" not in zh[0].replace("city:", "") and "prov" not in zh[0]
    assert "City 2020-2022 +18%" in growth_warnings(table(far), make_labels("en", INDICATORS, REGIONS))[0]
    near = GrowthCheck(0.20, far.recent)
    assert growth_warnings(table(near), make_labels("zh", INDICATORS, REGIONS)) == []
    assert np.isnan(growth_columns(None)["implied_growth"])


def test_a_parent_rate_stays_in_the_parent_columns_when_the_region_has_none():
    check = GrowthCheck(0.35, (None, RecentGrowth("prov", 2021, 2024, 0.12)))
    row = next(table(check).itertuples())
    assert np.isnan(row.region_recent_growth) and row.parent_recent_growth == 0.12
    assert growth_text(row) == "+35% | +12%"
    assert check.far
