"""The county index's bands as numbers, and a county's figures file checked row by row.

Expected knots are transcribed by hand from seed 001 part 4 (the annex table)."""

from pathlib import Path

import pytest

from forecast.errors import InputError
from forecast.inputs.county import _knots, load_county_figures, load_county_index

SYNTHETIC = Path(__file__).parents[1] / "data" / "county_figures_synthetic.csv"


@pytest.fixture(scope="module")
def index():
    return {item.key: item for item in load_county_index()}


def test_the_index_has_17_indicators_in_5_groups_weighing_100(index):
    assert len(index) == 17
    assert {i.group for i in index.values()} == {"创新投入", "创新主体", "创新条件", "创新产出", "创新管理"}
    assert sum(i.weight for i in index.values()) == 100


def test_printed_bands_become_knots_as_the_seed_prints_them(index):
    # ≧10000万元(5分); 10000-5000万元(5-4分); 5000-1000万元(4-3分); 1000万元以下(3-0)
    assert index["local_fiscal_expenditure"].knots == ((0, 0), (1000, 3), (5000, 4), (10000, 5))
    # ≧100家(10分); 10-5家(4-3.5分); 5-2家(3.5-2.5分); 2家以下(2.5-0分): nothing covers 10-100
    assert index["high_tech_enterprises"].knots == ((0, 0), (2, 2.5), (5, 3.5), (10, 4), (100, 10))
    assert index["high_tech_enterprises"].gaps == ((10, 100),)
    # the misprinted last band '2件/万人(3.5-0分)' is read as below 2
    assert index["invention_patents_per_10k"].knots == ((0, 0), (2, 3.5), (4, 4.5), (12, 6))
    # '10%-0(3.5-0分)': a range printed down to 0
    assert index["firms_with_rd_institution_share"].knots == ((0, 0), (10, 3.5), (50, 4.5), (80, 5))
    assert all(i.gaps == () for k, i in index.items() if k != "high_tech_enterprises")
    assert not index["innovation_platforms_points"].banded


def test_a_band_printed_low_to_high_reads_the_same_and_a_boundary_takes_the_higher_points():
    knots, gaps = _knots("≧10(4分); 5-10家(3-4分); 5家以下(2-0分)", 4)
    assert knots == ((0, 0), (5, 3), (10, 4)) and gaps == ()  # at 5 the bands give 3 and 2: the higher counts


def test_bands_that_cannot_be_read_or_fall_are_refused(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        _knots("很多(5分)", 5)
    with pytest.raises(ValueError, match="points fall"):
        _knots("≧10(4分); 8-5(1-0.5分); 5以下(3-0分)", 4)
    with pytest.raises(ValueError, match="not the weight"):
        _knots("≧10(4分)", 5)


def test_figures_accept_keys_chinese_names_and_chinese_units(index):
    figures = load_county_figures(SYNTHETIC, tuple(index.values()))
    fiscal = figures[figures["indicator"] == "local_fiscal_expenditure"].iloc[0]
    assert fiscal["value"] == 7500 and fiscal["unit"] == "10k_yuan"  # 0.75 亿元 = 7,500 万元
    assert "converted" in fiscal["note"] and "SYNTHETIC" in fiscal["note"]
    hte = figures[figures["indicator"] == "high_tech_enterprises"]  # given as 高新技术企业数量(家)
    assert list(hte["year"]) == [2020, 2021, 2022] and list(hte["value"]) == [30, 42, 55]
    assert "tech_smes" in set(figures["indicator"])  # given as 科技型中小企业, without its bracketed unit
    assert list(figures.columns) == ["county", "indicator", "value", "unit", "year", "row", "note"]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "figures.csv"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, index, county=None) -> list:
    with pytest.raises(InputError) as caught:
        load_county_figures(path, tuple(index.values()), county)
    return caught.value.problems


def test_every_bad_row_is_named_with_its_file_row_column_and_fix(tmp_path, index):
    path = write(
        tmp_path,
        "indicator,value,unit\n"
        "high_tech_enterprize,38,firms\n"
        "tech_smes,many,家\n"
        "fiscal_sci_tech_share,120,%\n"
        "high_tech_industry_va_share,12,家\n"
        "invention_patents_per_10k,-1,件/万人\n",
    )
    found = problems(path, index)
    assert [(p.file, p.where) for p in found] == [
        (str(path), "row 2, column 'indicator'"),
        (str(path), "row 3, column 'value'"),
        (str(path), "row 4, column 'value'"),
        (str(path), "row 5, column 'unit'"),
        (str(path), "row 6, column 'value'"),
    ]
    assert "did you mean 'high_tech_enterprises'" in found[0].fix
    assert "%" in found[3].fix


def test_a_figure_given_twice_a_missing_column_and_a_bad_year_are_refused(tmp_path, index):
    twice = problems(write(tmp_path, "indicator,value,unit\ntech_smes,300,家\n科技型中小企业,310,firms\n"), index)
    assert twice[0].where == "rows 2, 3" and "year" in twice[0].fix
    header = problems(write(tmp_path, "indicator,value\ntech_smes,300\n"), index)
    assert header[0].what == "missing column 'unit'"
    year = problems(write(tmp_path, "indicator,value,unit,year\ntech_smes,300,家,20.5\n"), index)
    assert year[0].where == "row 2, column 'year'"


def test_a_file_with_several_counties_needs_county(tmp_path, index):
    path = write(tmp_path, "county,indicator,value,unit\n甲县,tech_smes,300,家\n乙县,tech_smes,80,家\n")
    assert "--county" in problems(path, index)[0].fix
    assert list(load_county_figures(path, tuple(index.values()), "乙县")["value"]) == [80]
    assert "did you mean '甲县'" in problems(path, index, county="甲")[0].fix
