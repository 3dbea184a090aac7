"""The firms' R&D trend fit (`models.ladder.rd_trend`) on synthetic series (made up here, not data)."""

from __future__ import annotations

import numpy as np
import pytest

from models.ladder import rd_trend as rt


def _series(region: str, trend: float, years=(2018, 2019, 2020, 2021, 2022), noise=0.0, seed=0) -> rt.RdSeries:
    """Synthetic: the ladder's firms grow 5% a year, GDP 6%, firms spend half of R&D at the 2017 start."""
    t = np.asarray(years) - 2017
    firm_growth, gdp_growth = 1.05**t, 1.06**t
    truth = 100.0 * (0.5 * firm_growth * np.exp(trend * t) + 0.5 * gdp_growth)
    figures = truth * np.exp(np.random.default_rng(seed).normal(0.0, noise, t.size))
    return rt.RdSeries(region, 2017, 100.0, 0.5, tuple(years), tuple(figures), tuple(firm_growth), tuple(gdp_growth))


@pytest.fixture(scope="module")
def fitted():
    series = [_series("prov", 0.06, noise=0.01, seed=1)]
    return rt.fit(series, "prov", "city", seed=3, draws=500, tune=500)


def test_recovers_the_province_trend_and_widens_a_city_without_figures(fitted):
    province = fitted.posterior["province_trend"].values.ravel()
    city = fitted.posterior["trend"].values.ravel()
    assert np.quantile(province, 0.05) < 0.06 < np.quantile(province, 0.95)
    assert abs(np.median(province) - 0.06) < 0.02
    # the city's trend is the province's plus the spread of cities no figure measures: wider, same centre
    assert np.std(city) > 1.5 * np.std(province)
    assert abs(np.median(city) - np.median(province)) < 0.02


def test_a_city_with_figures_gets_its_own_trend():
    series = [_series("prov", 0.02, noise=0.01, seed=1), _series("city", 0.10, noise=0.01, seed=2)]
    idata = rt.fit(series, "prov", "city", seed=4, draws=500, tune=500)
    city = idata.posterior["trend"].values.ravel()
    assert np.median(city) > np.median(idata.posterior["province_trend"].values) + 0.03


def test_trend_draws_are_seeded(fitted):
    a, b = rt.trend_draws(fitted, 50, 7), rt.trend_draws(fitted, 50, 7)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50,)


def test_series_checks_its_shape_and_share():
    with pytest.raises(ValueError, match="differ in length"):
        rt.RdSeries("x", 2017, 1.0, 0.5, (2018,), (1.0, 2.0), (1.0,), (1.0,))
    with pytest.raises(ValueError, match="firm_share"):
        rt.RdSeries("x", 2017, 1.0, 1.2, (2018,), (1.0,), (1.0,), (1.0,))
    with pytest.raises(ValueError, match="after the start"):
        rt.RdSeries("x", 2017, 1.0, 0.5, (2017,), (1.0,), (1.0,), (1.0,))
