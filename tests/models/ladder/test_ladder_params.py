"""Behavioural parameters (models.ladder.params)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from models.ladder.params import PARAM_RANGES, PARAM_SOURCES, LadderParams


def test_defaults_lie_in_their_ranges():
    p = LadderParams()
    for name, (low, high) in PARAM_RANGES.items():
        assert low <= getattr(p, name) <= high, name
    assert set(PARAM_SOURCES) == {f.name for f in fields(LadderParams)}


def test_round_trip_and_replace():
    p = replace(LadderParams(), pass_rate=0.8)
    assert LadderParams.from_dict(p.to_dict()) == p
    assert LadderParams.from_dict({"pass_rate": 0.8}) == p


def test_unknown_name_hints():
    with pytest.raises(ValueError, match="did you mean 'pass_rate'"):
        LadderParams.from_dict({"pas_rate": 0.8})


@pytest.mark.parametrize(("name", "value"), [("pass_rate", 1.2), ("exit_rate_sme", -0.1), ("rd_ratio_sd", -1.0)])
def test_domain_is_checked(name, value):
    with pytest.raises(ValueError, match=name):
        LadderParams(**{name: value})
