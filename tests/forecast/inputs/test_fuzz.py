"""Inputs that cannot hurt: random and mutated files fed to every loader and to `forecast check`/`forecast data`.

Each loader must either accept a file or refuse it with an `InputError` (the CLI: exit
code 0 or 2), never raise anything else and never hang. The examples are SYNTHETIC:
valid files made up here, then broken (truncated, bytes flipped, re-encoded, numbers
made huge or not finite, YAML nested deep or tagged), and plain random bytes.
Runtime is bounded by `max_examples` and a per-example `deadline`.
"""

from __future__ import annotations

import codecs
import io
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecast.cli import app
from forecast.errors import InputError
from forecast.inputs import reading
from forecast.inputs.catalogue import load_targets
from forecast.inputs.tables import load_history, load_indicators, load_regions
from forecast.scenario import load_scenario
from tests.conftest import HEADER, SYNTHETIC

FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
runner = CliRunner()

HISTORY = HEADER + "".join(
    f"wuxi,{i},{y},{v},{u},{SYNTHETIC},统计公报,main,\n"
    for i, y, v, u in [
        ("high_tech_enterprises", 2019, "2600", "家"),
        ("high_tech_enterprises", 2020, "3100", "firms"),
        ("rd_intensity", 2020, "3.1", "%"),
        ("rd_expenditure", 2020, "125000", "万元"),
    ]
)
INDICATORS = "indicator,unit,kind,name_en,name_zh\nhigh_tech_enterprises,firms,stock,High-tech firms,高新技术企业\n"
REGIONS = "region,name_zh,name_en,level,parent\nwuxi,无锡市,Wuxi,city,jiangsu\njiangsu,江苏省,Jiangsu,province,china\n"
TARGETS_HEADER = (
    "target_id,region,indicator,unit,comparator,base_year,base_value,target_year,target_value,milestone,"
    "seed_file,original_phrase\n"
)
SCENARIO = """name: 无锡 synthetic
region: langfang
horizon: 2025
targets:
  - ref: langfang-2025-high_tech_enterprises
  - {indicator: tech_smes, comparator: at_least, target_year: 2025, target_value: 10000}
models:
  trend: {draws: 100, tune: 100}
seed: 1
"""

NASTY_VALUES = ["nan", "NaN", "inf", "-inf", "1e309", "-1e309", "9" * 400, "1e-320", "", " ", "0x10", "١٢", "∞"]
NASTY_YAML = [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    ".inf",
    ".nan",
    "9" * 5000,
    "[" * 3000 + "]" * 3000,
    "{a: " * 500 + "1" + "}" * 500,
    "&a [*a]",
    "~",
    "2025-01-01",
    "'\x00'",
]


@st.composite
def mutated(draw, base: str) -> bytes:
    """A valid file, encoded somehow, then broken in one or more ways."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-32", "big5", "latin-1"]))
    data = base.encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["truncate", "flip", "insert", "duplicate", "value", "nul", "quote"]))
        if how == "truncate" and data:
            data = data[: draw(st.integers(0, len(data)))]
        elif how == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif how == "insert":
            i = draw(st.integers(0, len(data)))
            data = data[:i] + draw(st.binary(max_size=40)) + data[i:]
        elif how == "duplicate":
            data = data * draw(st.integers(2, 50))
        elif how == "value":
            nasty = draw(st.sampled_from(NASTY_VALUES + NASTY_YAML)).encode("utf-8")
            for old in (b"2600", b"3.1", b"2025", b"10000", b"100"):
                data = data.replace(old, nasty, 1)
        elif how == "nul":
            data = data.replace(b",", b"\x00", draw(st.integers(1, 3)))
        elif how == "quote":
            data = data.replace(b",", b',"', 1)
    return data


def any_file(base: str):
    return st.one_of(mutated(base), st.binary(max_size=2000), st.text(max_size=500).map(lambda t: t.encode("utf-8")))


def accepted_or_refused(load, path: Path) -> None:
    try:
        load(path)
    except InputError as exc:
        assert exc.problems and all(p.file and p.what for p in exc.problems)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def put(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(data=any_file(HISTORY))
def test_history_loader_accepts_or_refuses(folder, data):
    accepted_or_refused(load_history, put(folder, "history.csv", data))


@FUZZ
@given(data=any_file(INDICATORS), name=st.sampled_from(["indicators.csv", "regions.csv", "targets.csv"]))
def test_table_loaders_accept_or_refuse(folder, data, name):
    loaders = {"indicators.csv": load_indicators, "regions.csv": load_regions, "targets.csv": load_targets}
    base = {"indicators.csv": INDICATORS, "regions.csv": REGIONS, "targets.csv": TARGETS_HEADER}[name]
    path = put(folder, name, data.replace(INDICATORS.encode(), base.encode()))
    accepted_or_refused(loaders[name], path)


@FUZZ
@given(data=any_file(SCENARIO) | st.sampled_from(NASTY_YAML).map(lambda y: f"name: {y}\nseed: {y}\n".encode()))
def test_scenario_loader_accepts_or_refuses(folder, data):
    accepted_or_refused(load_scenario, put(folder, "scenario.yaml", data))


@settings(FUZZ, max_examples=25)
@given(history=any_file(HISTORY), scenario=any_file(SCENARIO))
def test_check_and_data_commands_exit_0_or_2(folder, history, scenario):
    data, spec = put(folder, "h.csv", history), put(folder, "s.yaml", scenario)
    for args in (["data", "--data", str(data)], ["check", str(spec), "--data", str(data)], ["check", str(spec)]):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 2), (args, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_files_over_the_size_limits_are_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with big.open("wb") as f:  # sparse: quick to make, and as large as it says
        f.truncate(reading.MAX_TABLE_BYTES + 1)
    with pytest.raises(InputError, match="MB, more than the 20 MB this tool reads"):
        load_history(big)
    scenario = tmp_path / "big.yaml"
    scenario.write_bytes(b"# " + b"x" * reading.MAX_SCENARIO_BYTES)
    with pytest.raises(InputError, match="more than the 1 MB"):
        load_scenario(scenario)
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    rows = tmp_path / "rows.csv"
    rows.write_text(HISTORY, encoding="utf-8")
    with pytest.raises(InputError, match="has more than 3 rows"):
        load_history(rows)


def test_utf16_and_gbk_files_decode_and_a_bom_is_honoured():
    text, used = reading.decode_table_text(codecs.BOM_UTF8 + HISTORY.encode(), Path("h.csv"))
    assert used == "utf-8-sig" and text == HISTORY
    assert reading.decode_table_text(HISTORY.encode("utf-16"), Path("h.csv")) == (HISTORY, "utf-16")


@pytest.fixture(scope="module")
def workbook(folder) -> bytes:
    """A valid .xlsx of the history, as bytes to break."""
    import pandas as pd

    path = folder / "good.xlsx"
    pd.read_csv(io.StringIO(HISTORY), dtype=str, keep_default_na=False).to_excel(path, index=False)
    return path.read_bytes()


@settings(FUZZ, max_examples=30)
@given(cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=4), keep=st.integers(0, 10_000))
def test_broken_workbooks_are_accepted_or_refused(folder, workbook, cuts, keep):
    data = workbook[: max(keep, len(workbook) // 2)] if keep < len(workbook) else workbook
    for at, junk in cuts:
        at %= max(len(data), 1)
        data = data[:at] + junk + data[at + len(junk) :]
    accepted_or_refused(load_history, put(folder, "history.xlsx", data))
