"""Registers in the ladder: which register a tech-SME count stands for, the switchable inclusion of certified
firms, and targets refused when they name another register (SYNTHETIC history; the bundled register table)."""

from __future__ import annotations

import pytest

from forecast.inputs.registers import load_registers
from forecast.inputs.tables import load_indicators
from forecast.ladder import pipeline as lf
from forecast.ladder.registers import read_register, register_problem
from tests.forecast.ladder.test_pipeline import history, scenario, target  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def registers():
    return load_registers(indicators=load_indicators())


def test_the_provincial_register_is_read_without_certified_firms_as_a_stated_assumption(registers) -> None:
    reading = read_register(registers, "main", calibrated=True, setting=None)
    assert (reading.register, reading.includes_certified, reading.assumed) == ("provincial", False, True)
    assert any(n.startswith("assumed: the register's figures count tech SMEs without certified") for n in reading.notes)
    switched = read_register(registers, "main", calibrated=True, setting=True)
    assert switched.includes_certified and not switched.assumed
    assert any("the calibration reads the register without certified firms" in n for n in switched.notes)


def test_a_start_on_another_register_than_the_calibration_is_flagged(registers) -> None:
    reading = read_register(registers, "national_registry", calibrated=True, setting=None)
    assert reading.register == "national" and reading.includes_certified  # the data state it
    assert any(n.startswith("warning: the ladder starts from the national evaluation") for n in reading.notes)
    assert not any("warning" in n for n in read_register(registers, "national_registry", False, None).notes)


def test_targets_are_judged_against_their_own_register(registers) -> None:
    provincial = read_register(registers, "main", calibrated=False, setting=None)
    assert register_problem(provincial, registers, "tech_smes") == ""
    assert register_problem(provincial, registers, "high_tech_enterprises") == ""
    assert register_problem(provincial, registers, "tech_smes_national_registry") == (
        "the target counts the national evaluation registry (评价入库), the ladder's tech-SME figures the "
        "provincial recognition (省级): not the same register"
    )


def test_including_certified_firms_moves_the_start_and_the_counted_column(history, registers) -> None:  # noqa: F811
    def plan(include):
        ladder = {"runs": 4, "firm_scale": 50, "register_includes_certified": include}
        spec = scenario(models={"trend": None, "ladder": ladder})
        return lf.plan_ladder(spec, history, None, None, need_gdp=False, workers=1, registers=registers)

    without, with_certified = plan(False), plan(True)
    assert without.start.counts["tech_sme"] == 2000
    assert with_certified.start.counts["tech_sme"] == 2000 - 800
    assert "less the 800 certified firms the register counts" in with_certified.start.sources["tech_sme"]
    run = lf.simulate(with_certified)
    counted = run.paths["tech_smes"][0]
    assert (counted == run.ensemble["tech_sme_incl_hte"].values).all()
    assert (counted >= run.ensemble["tech_sme_registered"].values).all()
    judged = lf.ladder_probabilities(run, [target("tech_smes_national_registry", value=10.0)])[0]
    assert judged.result is None and "not the same register" in judged.reason
