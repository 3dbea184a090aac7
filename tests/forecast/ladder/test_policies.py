"""The policy history under a scenario's levers (synthetic policy rows; the bundled table where named)."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.errors import InputError
from forecast.inputs.factors import load_factor_names
from forecast.inputs.policies import POLICY_COLUMNS, load_policies
from forecast.inputs.tables import load_history
from forecast.ladder.calibration import gather_observations
from forecast.ladder.policies import history_settings, scenario_with_history
from models.ladder import LeverSetting, active_levers


def _table(*rows: tuple) -> pd.DataFrame:
    """Applied policy rows (region, lever, size, start, end) as the loader hands them out."""
    records = [
        dict.fromkeys(POLICY_COLUMNS, "")
        | {"policy_id": f"p{i}", "region": r, "lever": lv, "kind": "plan", "size": float(size)}
        | {"start_year": start, "end_year": end, "applied": True, "use": "applied"}
        for i, (r, lv, size, start, end) in enumerate(rows)
    ]
    return pd.DataFrame(records)


REWARD = _table(("langfang", "certification_reward", 20, 2021, 2025), ("china", "income_tax_rate", 0.15, 2008, None))


def test_history_holds_where_the_scenario_sets_nothing() -> None:
    levers, notes = scenario_with_history((), REWARD, "langfang", 2020, 2026)
    assert levers == (LeverSetting("certification_reward", 20.0, 2021, 2025),)  # the tax row is the status quo
    assert notes == ["policy in force (data/policies.csv): certification_reward = 20 in 2021-2025"]
    assert active_levers(levers, 2020)["certification_reward"] == 0.0
    assert active_levers(levers, 2026)["certification_reward"] == 0.0


def test_a_scenario_lever_takes_over_from_its_first_start() -> None:
    own = (LeverSetting("certification_reward", 10.0, 2023, 2025),)
    levers, _ = scenario_with_history(own, REWARD, "langfang", 2020, 2026)
    sizes = [active_levers(levers, y)["certification_reward"] for y in range(2020, 2027)]
    assert sizes == [0.0, 20.0, 20.0, 10.0, 10.0, 10.0, 0.0]
    open_ended = (LeverSetting("certification_reward", 5.0),)
    assert scenario_with_history(open_ended, REWARD, "langfang", 2020, 2026)[0] == open_ended


def test_other_regions_and_no_table_keep_the_status_quo() -> None:
    assert scenario_with_history((), REWARD, "handan", 2020, 2026) == ((), [])
    own = (LeverSetting("coaching", 0.5, 2021, None),)
    assert scenario_with_history(own, None, "langfang", 2020, 2026) == (own, [])


def test_changing_sizes_become_separate_windows() -> None:
    table = _table(
        ("hebei", "reserve_pool_intake", 2000, 2017, 2018), ("hebei", "reserve_pool_intake", 500, 2019, 2019)
    )
    assert history_settings(table, "hebei", 2016, 2020) == (
        LeverSetting("reserve_pool_intake", 2000.0, 2017, 2018),
        LeverSetting("reserve_pool_intake", 500.0, 2019, 2019),
    )


def test_a_size_the_lever_refuses_names_the_policy() -> None:
    with pytest.raises(InputError, match="policy 'p0'"):
        history_settings(_table(("langfang", "coaching", 2.0, 2021, 2021)), "langfang", 2020, 2022)


def test_calibration_windows_run_under_the_bundled_history() -> None:
    """Langfang's window (2020-2022) has its rewards and specialists from 2021; Hebei's (2017-2024) its
    2017-18 reserve-pool push; both enter the data hash, so a fit under other policies is another fit."""
    policies = load_policies(factors=load_factor_names())
    history = load_history()
    found, notes = gather_observations("langfang", history, parent="hebei", policies=policies)
    by = {o.region: o for o in found}
    assert LeverSetting("certification_reward", 20.0, 2021, 2022) in by["langfang"].levers
    assert LeverSetting("reserve_pool_intake", 2000.0, 2017, 2018) in by["hebei"].levers
    assert any("certification_reward = 20 in 2021-2022" in n for n in notes)
    plain, _ = gather_observations("langfang", history, parent="hebei")
    assert plain[0].levers == () and plain[0].rows_hash != by["langfang"].rows_hash
