"""The policies in force in each year, as lever settings: the policy history under a scenario's own levers.

History (`forecast.inputs.policies`): the applied rows of ``data/policies.csv`` in force in
the region in a year (its own rows over national ones). A row whose size is the lever's
status quo (the national super-deduction steps, the 15% income tax) changes nothing, so
only the others become settings, one a year, merged into windows.

A scenario's levers write the future: for each lever L the scenario sets, its settings
replace the history of L from the first year any of them starts (all years when one has
no start); before that year, and for every lever the scenario does not set, the history
holds. So a run's past years and a calibration's fitted years use the policies then in
force (Langfang's 200,000-yuan rewards from 2021, Hebei's 2,000 reserve-pool entries in
2017 and 2018), not today's levers in every year, and a scenario that sets a lever only
from 2023 keeps the recorded policy of 2021-22.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from forecast.errors import InputError, Problem
from forecast.inputs.policies import in_force
from models.ladder import LEVERS, LeverSetting

POLICY_FILE = "data/policies.csv"


def history_settings(policies: pd.DataFrame, region: str, first: int, last: int) -> tuple[LeverSetting, ...]:
    """The recorded policies of `region` in force in years first..last that differ from the status quo."""
    yearly: dict[str, list[tuple[int, float, str]]] = {}
    for year in range(first, last + 1):
        for lever, (size, policy_id) in in_force(policies, region, year).items():
            if size != LEVERS[lever].status_quo_at(year):
                yearly.setdefault(lever, []).append((year, size, policy_id))
    settings = []
    for lever, years in yearly.items():
        start = previous = None
        for year, size, policy_id in years + [(None, None, None)]:
            if start is not None and (year != previous[0] + 1 or size != previous[1]):
                settings.append(_setting(lever, previous[1], start, previous[0], previous[2]))
                start = None
            if year is not None and start is None:
                start = year
            previous = (year, size, policy_id)
    return tuple(settings)


def _setting(lever: str, size: float, start: int, end: int, policy_id: str) -> LeverSetting:
    try:
        return LeverSetting(lever, size, start, end)
    except ValueError as exc:
        raise InputError(
            [Problem(POLICY_FILE, f"policy '{policy_id}'", str(exc), "give a size the lever allows")]
        ) from None


def scenario_with_history(
    levers: Sequence[LeverSetting], policies: pd.DataFrame | None, region: str, first: int, last: int
) -> tuple[tuple[LeverSetting, ...], list[str]]:
    """The scenario's levers plus the history it leaves in force over years first..last (module
    docstring), and one note per recorded policy kept."""
    if policies is None:
        return tuple(levers), []
    takes_over: dict[str, float] = {}
    for s in levers:
        start = float("-inf") if s.start_year is None else s.start_year
        takes_over[s.name] = min(takes_over.get(s.name, float("inf")), start)
    kept = []
    for s in history_settings(policies, region, first, last):
        cut = takes_over.get(s.name, float("inf"))
        if s.start_year >= cut:
            continue
        end = s.end_year if cut > s.end_year else int(cut) - 1
        kept.append(LeverSetting(s.name, s.size, s.start_year, end))
    notes = [f"policy in force (data/policies.csv): {s.name} = {s.size:g} in {_years(s)}" for s in kept]
    return (*kept, *levers), notes


def _years(s: LeverSetting) -> str:
    return str(s.start_year) if s.start_year == s.end_year else f"{s.start_year}-{s.end_year}"
