"""Lever registry (models.ladder.levers)."""

from __future__ import annotations

import pytest

from models.ladder.levers import LEVERS, LeverSetting, active_levers, lever_table, status_quo


def test_status_quo_super_deduction_schedule():
    sq = {y: status_quo(y) for y in (2016, 2017, 2018, 2020, 2021, 2022, 2023, 2030)}
    assert [sq[y]["rd_super_deduction"] for y in sq] == [0.5, 0.5, 0.75, 0.75, 0.75, 0.75, 1.0, 1.0]
    assert [sq[y]["rd_super_deduction_manufacturing"] for y in sq] == [0.5, 0.5, 0.75, 0.75, 1.0, 1.0, 1.0, 1.0]
    assert [sq[y]["rd_super_deduction_tech_sme"] for y in sq] == [0.5, 0.75, 0.75, 0.75, 0.75, 1.0, 1.0, 1.0]
    assert sq[2020]["income_tax_rate"] == 0.15
    assert sq[2020]["certification_reward"] == 0.0


def test_active_levers_window():
    reward = LeverSetting("certification_reward", 20.0, 2021, 2023)
    assert active_levers([reward], 2020)["certification_reward"] == 0.0
    assert active_levers([reward], 2021)["certification_reward"] == 20.0
    assert active_levers([reward], 2023)["certification_reward"] == 20.0
    assert active_levers([reward], 2024)["certification_reward"] == 0.0
    open_ended = LeverSetting("service_specialists", 1.0, start_year=2022)
    assert active_levers([open_ended], 2040)["service_specialists"] == 1.0
    assert set(active_levers([], 2020)) == set(LEVERS)


def test_successive_windows_of_one_lever():
    settings = [
        LeverSetting("certification_reward", 20.0, 2021, 2022),
        LeverSetting("certification_reward", 30.0, 2023, None),
    ]
    assert [active_levers(settings, y)["certification_reward"] for y in (2020, 2021, 2023, 2030)] == [0, 20, 30, 30]


def test_overlapping_windows_fail():
    settings = [LeverSetting("coaching", 0.5, 2021, 2023), LeverSetting("coaching", 0.8, 2023, 2025)]
    with pytest.raises(ValueError, match="overlapping"):
        active_levers(settings, 2022)


def test_unknown_lever_hints():
    with pytest.raises(ValueError, match="did you mean 'certification_reward'"):
        LeverSetting("certification_rewrd", 20.0)


@pytest.mark.parametrize(("name", "size"), [("coaching", 1.5), ("income_tax_rate", 0.3), ("guidance_fund", -1)])
def test_size_out_of_bounds_fails(name, size):
    with pytest.raises(ValueError, match="outside"):
        LeverSetting(name, size)


def test_start_after_end_fails():
    with pytest.raises(ValueError, match="after end_year"):
        LeverSetting("coaching", 0.5, 2025, 2021)


def test_registry_documents_every_lever():
    for spec in LEVERS.values():
        assert spec.unit and spec.mechanism and spec.meaning
        low, high = spec.bounds
        assert low <= spec.status_quo_at(2020) <= high
    assert len(lever_table()) == len(LEVERS)
