"""Certificate ages at the start from the yearly certification lists (forecast.ladder.start)."""

from __future__ import annotations

import pytest

from forecast.inputs.bundle import load_inputs
from forecast.ladder.start import cert_age_shares
from models.ladder.population import UNIFORM_CERT_AGES


@pytest.fixture(scope="module")
def inputs():
    return load_inputs()


def test_a_city_without_lists_takes_its_provinces(inputs):
    # bundled data: Langfang has no lists; Hebei's 2018-2020 lists are 2,675, 3,619 and 3,425
    ages, note = cert_age_shares(inputs.history, "langfang", 2020, inputs.regions)
    assert ages == pytest.approx((3425 / 9719, 3619 / 9719, 2675 / 9719))
    assert "hebei" in note and "2018-2020" in note


def test_missing_lists_spread_the_ages_evenly_and_say_so(inputs):
    ages, note = cert_age_shares(inputs.history, "hebei", 2017, inputs.regions)
    assert ages == UNIFORM_CERT_AGES and "spread evenly" in note
    # without the regions table a city cannot borrow its province's lists
    assert cert_age_shares(inputs.history, "langfang", 2020)[0] == UNIFORM_CERT_AGES
