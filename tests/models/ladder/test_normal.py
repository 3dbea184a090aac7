"""The compiled normal CDF and quantile (models.ladder.normal) against scipy."""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.special import ndtr as scipy_ndtr
from scipy.special import ndtri as scipy_ndtri

from models.ladder.normal import ndtr, ndtri


@numba.njit
def _compiled_quantiles(p):
    out = np.empty(p.size)
    for i in range(p.size):
        out[i] = ndtri(p[i])
    return out


def test_quantile_matches_scipy_in_python_and_compiled():
    p = np.concatenate(
        [np.logspace(-300, -1, 300), np.random.default_rng(0).random(2_000), 1 - np.logspace(-16, -1, 100)]
    )
    expected = scipy_ndtri(p)
    for got in (np.array([ndtri(x) for x in p]), _compiled_quantiles(p)):
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-300)
    assert ndtri(0.0) == -math.inf and ndtri(1.0) == math.inf and ndtri(0.5) == 0.0
    assert math.isnan(ndtri(1.5))


def test_cdf_matches_scipy():
    x = np.linspace(-30, 30, 1_001)
    np.testing.assert_allclose([ndtr(v) for v in x], scipy_ndtr(x), rtol=1e-12, atol=1e-300)
