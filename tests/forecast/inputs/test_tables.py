"""The data layer: the bundled files load, and every malformed file is named precisely."""

from pathlib import Path

import pandas as pd
import pytest

from forecast.errors import InputError
from forecast.inputs.catalogue import is_forecastable, load_levers, load_targets
from forecast.inputs.tables import best_points, load_history, select_series
from tests.conftest import HEADER, SYNTHETIC, write


def test_bundled_history_is_valid_and_sourced():
    history = load_history()
    assert len(history) > 400
    assert (history["source"].str.len() > 0).all()
    langfang = history[(history.region == "langfang") & (history.indicator == "high_tech_enterprises")]
    assert {2020: 905, 2022: 1258}.items() <= dict(zip(langfang.year, langfang.value, strict=True)).items()


def test_bundled_catalogue_holds_the_plans_headline_targets():
    targets = load_targets()
    row = targets.loc["langfang-2025-high_tech_enterprises"]
    assert (row.base_value, row.target_value, row.target_year) == (905, 1500, 2025)
    interim = targets.loc["langfang-2023-high_tech_enterprises"]
    assert (interim.target_value, interim.milestone) == (1300, "interim")
    handan = targets.loc["handan-2023-rd_intensity"]
    assert (handan.base_value, handan.target_value) == (1.89, 2.76)
    assert set(targets.seed_file.str[:3]) == {"000", "001", "002", "003", "004"}
    assert is_forecastable(row) and not is_forecastable(targets[targets.region == "county_template"].iloc[0])
    assert len(load_levers()) > 0


def bad_history(tmp_path: Path, row: str, header: str = HEADER) -> Path:
    return write(tmp_path / "bad.csv", header + row + "\n")


GOOD = f"langfang,high_tech_enterprises,2020,905,firms,{SYNTHETIC},,main,"

MALFORMED = [
    (
        "unknown indicator",
        GOOD.replace("high_tech_enterprises", "high_tech_enterprise"),
        "row 2, column 'indicator': unknown indicator 'high_tech_enterprise'",
        "did you mean 'high_tech_enterprises'",
    ),
    (
        "wrong unit",
        GOOD.replace(",firms,", ",万家,"),
        "row 2, column 'unit': unit '万家' does not match",
        "write 'firms' (or '家', '户'",
    ),
    ("year not integer", GOOD.replace("2020", "2020.5"), "row 2, column 'year': '2020.5' is not a year", "whole year"),
    ("negative count", GOOD.replace(",905,", ",-5,"), "row 2, column 'value': -5 is negative", "check the sign"),
    (
        "percent out of range",
        f"langfang,rd_intensity,2020,188,percent,{SYNTHETIC},,main,",
        "188 is not a percentage strictly between 0 and 100",
        "1.89",
    ),
    (
        "value not a number",
        GOOD.replace(",905,", ",905家,"),
        "row 2, column 'value': '905家' is not a number",
        "plain number",
    ),
    ("no source", GOOD.replace(SYNTHETIC, ""), "row 2, column 'source': no source given", "name the bulletin"),
    (
        "unknown flag",
        GOOD + "lowerbound",
        "row 2, column 'flag': unknown flag 'lowerbound'",
        "did you mean 'lower_bound'",
    ),
    (
        "unknown series",
        GOOD.replace(",main,", ",revisd,"),
        "row 2, column 'series': unknown series 'revisd'",
        "did you mean 'revised'",
    ),
    ("bad region key", GOOD.replace("langfang", "Lang Fang"), "'Lang Fang' is not a region key", "lowercase pinyin"),
]


@pytest.mark.parametrize("case,row,message,fix", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_history_row_is_named(tmp_path, case, row, message, fix):
    path = bad_history(tmp_path, row)
    with pytest.raises(InputError) as caught:
        load_history(path)
    text = str(caught.value)
    assert str(path) in text and message in text and fix in text


def test_missing_column_and_unknown_column(tmp_path):
    path = write(tmp_path / "bad.csv", "region,indicator,yaer,value,unit,source\nlangfang,tech_smes,2020,1,firms,x\n")
    with pytest.raises(InputError) as caught:
        load_history(path)
    assert "header: missing column 'year'" in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path):
    rows = GOOD.replace(",905,", ",-5,") + "\n" + GOOD.replace("2020", "twenty")
    with pytest.raises(InputError) as caught:
        load_history(bad_history(tmp_path, rows))
    assert len(caught.value.problems) == 2
    assert "row 2" in str(caught.value) and "row 3" in str(caught.value)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_history(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unknown file type '.json'"):
        load_history(write(tmp_path / "h.json", "{}"))


def test_excel_file_in_the_same_layout(tmp_path, history_file):
    xlsx = tmp_path / "history.xlsx"
    pd.read_csv(history_file, dtype=str, keep_default_na=False).to_excel(xlsx, index=False)
    assert load_history(xlsx).equals(load_history(history_file))


def test_select_series_fills_missing_years_from_another_series_and_says_so():
    history = pd.DataFrame(
        {
            "region": "r",
            "indicator": "rd_intensity",
            "year": [2019, 2020, 2020, 2021],
            "value": [1.0, 1.1, 1.2, 1.3],
            "series": ["main", "main", "revised", "revised"],
            "flag": "",
            "row": [2, 3, 4, 5],
        }
    )
    rows, notes = select_series(history, "r", "rd_intensity", "main")
    assert rows["year"].tolist() == [2019, 2020, 2021]
    assert rows["value"].tolist() == [1.0, 1.1, 1.3]
    assert notes == ["r/rd_intensity 2021: no 'main' value; used series 'revised'"]
    rows, _ = select_series(history, "r", "rd_intensity", "main", until=2020)
    assert rows["year"].max() == 2020


def test_best_points_prefers_fewer_caveats():
    obs = pd.DataFrame(
        {
            "year": [2015, 2015, 2015],
            "value": [2485.0, 4000.0, 3022.0],
            "flag": ["non_year_end", "lower_bound", ""],
            "row": [2, 3, 4],
        }
    )
    assert best_points(obs)["value"].tolist() == [3022.0]
