"""The R&D figures the firms' R&D trend is fitted to (`forecast.ladder.rd_trend`), on a synthetic history."""

from __future__ import annotations

import pytest

from forecast.inputs.tables import load_history
from forecast.ladder import rd_trend
from tests.conftest import SYNTHETIC

HEADER = "region,indicator,year,value,unit,source,note,series,flag\n"
ROWS = [  # synthetic figures
    ("prov", "rd_expenditure", 2017, 100.0, "100m_yuan"),
    ("prov", "gdp", 2017, 10000.0, "100m_yuan"),
    ("prov", "rd_expenditure", 2018, 110.0, "100m_yuan"),
    ("prov", "gdp", 2018, 10500.0, "100m_yuan"),
    ("prov", "rd_intensity", 2019, 1.2, "percent"),  # with GDP: spending derived
    ("prov", "gdp", 2019, 11000.0, "100m_yuan"),
    ("prov", "rd_expenditure", 2020, 140.0, "100m_yuan"),  # no GDP, no intensity: not a figure
]


@pytest.fixture
def history(tmp_path):
    body = "".join(f"{r},{i},{y},{v},{u},{SYNTHETIC},,main,\n" for r, i, y, v, u in ROWS)
    path = tmp_path / "h.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return load_history(path)


def test_figures_pair_spending_with_gdp_from_the_start(history):
    figures = rd_trend.rd_figures(history, "prov", 2017, None)
    assert figures["year"].tolist() == [2017, 2018, 2019]
    assert figures["rd"].tolist() == pytest.approx([100.0, 110.0, 132.0])
    assert rd_trend.rd_figures(history, "prov", 2017, 2018)["year"].tolist() == [2017, 2018]


def test_no_start_pair_no_figures(history):
    assert rd_trend.rd_figures(history, "prov", 2016, None).empty
