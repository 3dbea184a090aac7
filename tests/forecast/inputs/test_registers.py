"""The register table: every tech-SME series of the bundled history says which register it counts, and a bad
row is named (the bad row is synthetic)."""

from __future__ import annotations

import pytest

from forecast.errors import InputError
from forecast.inputs.registers import load_registers, register_of
from forecast.inputs.tables import load_history, load_indicators


def test_every_tech_sme_series_of_the_history_names_its_register() -> None:
    registers = load_registers(indicators=load_indicators())
    history = load_history()
    series = history[history["indicator"].isin(["tech_smes", "tech_smes_national_registry"])]
    for indicator, name in set(zip(series["indicator"], series["series"], strict=True)):
        assert register_of(registers, indicator, name) is not None, (indicator, name)
    assert register_of(registers, "tech_smes")["includes_certified"] == "unknown"  # DESIGN.md: not stated
    national = series[series["series"] == "national_registry"]
    assert national["note"].str.contains("国家").all()  # the rows in that series are the national registry's


def test_a_bad_register_is_named(tmp_path) -> None:
    path = tmp_path / "registers.csv"
    path.write_text(
        "indicator,series,register,includes_certified,source,note\ntech_smes,main,provinse,maybe,a source,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_registers(path, indicators=load_indicators())
    text = str(caught.value)
    assert "row 2, column 'register': unknown value 'provinse'" in text and "did you mean 'provincial'" in text
    assert "row 2, column 'includes_certified': unknown value 'maybe'" in text
