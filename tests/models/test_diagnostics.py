"""`models.diagnostics.mcse_mean` against ArviZ's MCSE of the mean, on synthetic chains."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from models.diagnostics import mcse_mean


def _ar1_chains(rng, n_chain: int, n_draw: int, phi: float) -> np.ndarray:
    """SYNTHETIC autocorrelated chains: AR(1) with coefficient phi."""
    x = np.empty((n_chain, n_draw))
    x[:, 0] = rng.standard_normal(n_chain)
    for t in range(1, n_draw):
        x[:, t] = phi * x[:, t - 1] + rng.standard_normal(n_chain)
    return x


@pytest.mark.parametrize(("n_chain", "n_draw", "phi"), [(2, 1000, 0.0), (2, 1000, 0.8), (4, 257, 0.5), (1, 100, 0.95)])
def test_mcse_mean_is_arviz_mcse(n_chain, n_draw, phi):
    values = _ar1_chains(np.random.default_rng(7), n_chain, n_draw, phi)
    expected = float(np.ravel(az.mcse(values))[0])
    assert mcse_mean(values) == pytest.approx(expected, rel=1e-9)


def test_mcse_mean_of_indicators_and_edge_cases():
    rng = np.random.default_rng(3)
    met = (_ar1_chains(rng, 2, 1000, 0.6) > 0.3).astype(float)  # a target-met indicator, as P(met) uses it
    assert mcse_mean(met) == pytest.approx(float(np.ravel(az.mcse(met))[0]), rel=1e-9)
    assert mcse_mean(np.ones((2, 50))) == 0.0
    assert np.isnan(mcse_mean(np.ones((2, 3))))
    assert mcse_mean(met[0]) == pytest.approx(float(np.ravel(az.mcse(met[:1]))[0]), rel=1e-9)
