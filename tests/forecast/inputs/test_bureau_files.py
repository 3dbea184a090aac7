"""Files as bureaus write them: unit aliases, encodings, Excel, new regions. All tables here are SYNTHETIC."""

import codecs

import pandas as pd
import pytest

from forecast.errors import InputError
from forecast.inputs import units
from forecast.inputs.bundle import load_inputs
from forecast.inputs.reading import decode_table_text
from forecast.inputs.tables import load_indicators, read_history
from tests.conftest import HEADER, SYNTHETIC


def test_every_alias_names_a_unit_key_of_the_indicator_table():
    keys = set(load_indicators()["unit"])
    assert {row.key for row in units.ALIASES} <= keys
    assert all(row.factor > 0 for row in units.ALIASES)


@pytest.mark.parametrize(
    "indicator,unit,value,expected",
    [
        ("rd_intensity", "%", "2.5", 2.5),
        ("rd_intensity", "％", "2.5", 2.5),  # full-width, as Chinese input methods type it
        ("high_tech_enterprises", "家", "905", 905.0),
        ("high_tech_certifications", "家/年", "120", 120.0),
        ("rd_expenditure", "亿元", "12.5", 12.5),
        ("rd_expenditure", "万元", "125000", 12.5),  # 125,000 x 10,000 yuan = 12.5 x 100 million yuan
        ("resident_population", "万人", "546.1", 546.1),
        ("resident_population", "人", "5461000", 546.1),
        ("sci_tech_commissioners", "万人", "0.12", 1200.0),
    ],
)
def test_unit_alias_is_converted_to_the_key_and_noted(tmp_path, indicator, unit, value, expected):
    path = tmp_path / "h.csv"
    path.write_text(HEADER + f"wuxi,{indicator},2020,{value},{unit},{SYNTHETIC},,main,\n", encoding="utf-8")
    history, notes = read_history(path)
    row = history.iloc[0]
    assert row["value"] == pytest.approx(expected)
    assert row["unit"] == load_indicators().at[indicator, "unit"]
    assert row["note"] == f"as written: {value} {unit}"
    assert any(f"unit '{unit}'" in n and f"'{row['unit']}'" in n for n in notes)


def test_alias_for_another_key_is_refused_with_the_accepted_spellings(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(HEADER + f"wuxi,rd_intensity,2020,2.5,家,{SYNTHETIC},,main,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_history(path)
    assert "unit '家' does not match indicator 'rd_intensity'" in str(caught.value)
    assert "write 'percent' (or '%'" in str(caught.value)


def test_converted_value_is_checked_in_the_key_unit(tmp_path):
    # 150 percent is impossible whatever it was written as
    path = tmp_path / "h.csv"
    path.write_text(HEADER + f"wuxi,rd_intensity,2020,150,%,{SYNTHETIC},,main,\n", encoding="utf-8")
    with pytest.raises(InputError, match="150 is not a percentage"):
        read_history(path)


BUREAU_ROWS = [
    ("wuxi", "high_tech_enterprises", 2018, "2100", "家", "年末数"),
    ("wuxi", "high_tech_enterprises", 2019, "2600", "家", "年末数"),
    ("wuxi", "high_tech_enterprises", 2020, "3100", "家", "年末数"),
    ("wuxi", "rd_intensity", 2020, "3.1", "%", "研发投入强度"),
]


def bureau_csv(rows=BUREAU_ROWS) -> str:
    return HEADER + "".join(f"{r},{i},{y},{v},{u},{SYNTHETIC},{n},main,\n" for r, i, y, v, u, n in rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_each_encoding_reads_the_same(tmp_path, encoding):
    path = tmp_path / "h.csv"
    path.write_bytes(bureau_csv().encode(encoding))
    history, notes = read_history(path)
    assert history["note"].str.contains("年末数").sum() == 3
    assert history.loc[history.indicator == "rd_intensity", "value"].tolist() == [3.1]
    read_note = [n for n in notes if "read as" in n and "text" in n]
    assert bool(read_note) == (encoding not in {"utf-8", "utf-8-sig"})


def test_gbk_is_detected_as_gb18030_which_contains_it():
    text, used = decode_table_text(bureau_csv().encode("gbk"), "h.csv")
    assert used == "gb18030" and "年末数" in text


def test_named_encoding_is_used_and_a_wrong_one_is_reported(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(bureau_csv().encode("gbk"))
    history, notes = read_history(path, encoding="gbk")
    assert len(history) == 4 and not [n for n in notes if "detected" in n]
    with pytest.raises(InputError) as caught:
        read_history(path, encoding="utf-8")
    assert "is not utf-8 text" in str(caught.value) and "leave out --encoding" in str(caught.value)
    with pytest.raises(InputError, match="unknown encoding 'gbk2'"):
        read_history(path, encoding="gbk2")


def test_excel_file_with_aliases(tmp_path):
    xlsx = tmp_path / "h.xlsx"
    pd.DataFrame(
        [
            dict(zip(HEADER.strip().split(","), [r, i, y, v, u, SYNTHETIC, n, "main", ""], strict=True))
            for r, i, y, v, u, n in BUREAU_ROWS
        ]
    ).to_excel(xlsx, index=False)
    history, notes = read_history(xlsx)
    assert history["unit"].tolist() == ["firms"] * 3 + ["percent"]


def test_binary_and_old_excel_files_are_refused(tmp_path):
    binary = tmp_path / "h.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="h.csv, file: is not a text table"):
        read_history(binary)
    xls = tmp_path / "h.xls"
    xls.write_bytes(codecs.BOM_UTF8)
    with pytest.raises(InputError, match="save it as .xlsx"):
        read_history(xls)
    broken = tmp_path / "h.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="cannot be read as an Excel workbook"):
        read_history(broken)


def test_region_outside_the_table_is_inferred_as_top_level_with_a_note(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(bureau_csv().encode("gbk"))
    inputs = load_inputs(path)
    assert inputs.regions.loc["wuxi", ["level", "parent"]].tolist() == ["province", ""]
    assert any("wuxi not in the regions table" in n and "--regions" in n for n in inputs.notes)


def test_regions_file_adds_a_region_and_its_parent(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(bureau_csv().encode("gbk"))
    regions = tmp_path / "regions.csv"
    regions.write_bytes(
        "region,name_zh,name_en,level,parent\njiangsu,江苏省,Jiangsu,province,china\nwuxi,无锡市,Wuxi,city,jiangsu\n".encode(
            "gbk"
        )
    )
    inputs = load_inputs(path, regions=regions)
    assert inputs.regions.loc["wuxi", ["name_zh", "level", "parent"]].tolist() == ["无锡市", "city", "jiangsu"]
    assert not any("not in the regions table" in n for n in inputs.notes)
    assert len(inputs.hashes["regions_file"]) == 64


def test_bad_regions_file_is_named(tmp_path):
    regions = tmp_path / "regions.csv"
    regions.write_text("region,name_zh,name_en,level,parent\nWuxi,无锡市,Wuxi,town,jiangsu\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_inputs(None, regions=regions)
    text = str(caught.value)
    assert "row 2, column 'region': 'Wuxi' is not a region key" in text
    assert "row 2, column 'level': unknown level 'town'" in text
    regions.write_text("region,name_zh,name_en,level,parent\nwuxi,无锡市,Wuxi,city,jiangsu\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown parent region 'jiangsu'"):
        load_inputs(None, regions=regions)


def test_bundled_inputs_carry_no_notes():
    # the bundled figures are written in unit keys: nothing converted, nothing inferred
    assert load_inputs().notes == ()
