"""Two terms of the common-growth trend models (`models.common_trend`, `models.joint_trend`).

**A shock scale that changes over time.** The yearly shocks to a component's common
growth and to each region's walk are scaled by

    vol(y) = exp(beta min(y - T, 0)),      beta = slope_sd b,  b ~ Normal(0, 1)

T the panel's last year (the cut-off): sigma_common and sigma_walk are the scales of
the last year with data, earlier years' shocks are larger (beta < 0) or smaller
(beta > 0) by a factor exp(beta) a year, and forecasts keep the last year's scale
(the trend in the scale is not extrapolated). One slope per component, shared by
every region and by the common and walk shocks, so a panel of twenty short series
identifies it. The AR(1) common growth becomes dev(y) = phi dev(y-1) + sigma_c vol(y)
nu(y) (its first year at the stationary sd of that year's scale), the walk
x_r(y) = x_r(y-1) + ... + s_r vol(y) e_r(y); with beta = 0 both are the constant-scale
processes. Its covariance terms:

    S[y, y'] = sum_s L[y, s] L[y', s],        L = ar1_cholesky(phi, sigma_c) diag(vol)
    walk:      s_r^2 sum_y B_i[y] B_j[y] vol(y)^2

(B_i[y] = 1 for the years f_r < y <= t_i a figure's walk has run, f_r its region's
first year; with vol = 1 the sum is min(k_i, k_j), the constant-scale walk's).

**Heavy-tailed walk shocks.** Where a joint panel asks for them (`JointPanel.walk_df`
= nu > 0, `models.joint_trend`), each region's yearly walk shock is Student-t with nu
degrees of freedom, as a scale mixture: the shock of component k, region r, year y is
s_r vol(y) sqrt(lambda) e, e ~ Normal(0, 1), lambda ~ InverseGamma(nu / 2, nu / 2), one
lambda per (component, region, year), sampled. Given the lambdas everything stays
Gaussian and is integrated out as before: a walk's covariance term becomes
s_r^2 sum_y B_i[y] B_j[y] vol(y)^2 lambda_r(y). A few big one-year moves (a province's
spending revised down by a sixth after a statistics audit) take large lambdas of their
own instead of inflating s_r for every year, so the ordinary years' intervals are set
by the ordinary years. The years after the fit have lambdas drawn afresh from the prior,
draw by draw: forecasts keep the heavy tails, a narrow core with room for the rare big
move.

**The first year's growth at its own sd.** The AR(1) of a component's common growth
starts, in the panel's first year, at its stationary sd sigma_c / sqrt(1 - phi^2) by
default. Where a joint panel gives `first_growth_sd` > 0, that first departure dev(0)
~ Normal(0, first_growth_sd) instead (column 0 of `ar1_cholesky`: first_growth_sd
phi^t), the later shocks unchanged. The bundled R&D panels begin in 2010-2011, at the
end of the post-2008 boom (seven of eight provinces' spending grew by 25-34% in 2011,
two to three times its later rate): read as a stationary state, that start inflated sigma_c, the scale of
every later year's shock to the common growth, and with it the forecasts' width.

**Figures on an earlier basis.** A figure flagged as published on an earlier basis
(an R&D intensity over the GDP of its day, before the revision that followed the
2018 economic census: `forecast.inputs.flags`) reads its path plus an unknown shift
b_r of its region, b_r = -log(old GDP / revised GDP) ~ Normal(0, BASIS_SD), the same
for all of the region's such figures and independent across regions. Being Gaussian
it is integrated out like the other latents: it adds BASIS_SD^2 to the covariance of
every pair of the region's earlier-basis figures. BASIS_SD = 0.2: the revision moved
provinces' GDP by amounts of either sign and up to about a third (in the bundled
data, log(revised / first-published intensity) for 2018 runs from -0.09 for Beijing
to +0.34 for Tianjin, and to +0.45 in earlier years), which the prior covers within
about two sd without preferring a sign. One shift per region is a
simplification: a province that had corrected its GDP earlier (Liaoning, Inner
Mongolia) has older figures on a third basis, whose jump the walk still absorbs. Nor
did the revision move a region's GDP by the same share every year: where a joint panel
gives `basis_noise` > 0 (`models.joint_trend`), each earlier-basis figure also departs
from b_r by its own Normal(0, basis_noise), independent across figures (it adds
basis_noise^2 to the figure's noise variance).
Forecasts are of the current basis; the joint model's draws (`models.joint_draws.joint_paths`) also give
the region's shift, drawn with its paths, for a target judged by a figure on the earlier basis (Hebei's
2018 intensity target of 1.43%, set and published over the GDP before the revision: 1.39%, 1.54% on the
revised GDP), whose trajectories are then the paths times exp(b_r).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

BASIS_SD = 0.2


def ar1_cholesky(phi, sigma_c, size: int, first_sd=None):
    """Cholesky factor of the AR(1) covariance over `size` years: L[t, s] = sigma phi^(t-s) for s <= t, column 0
    (the first year's state) over sqrt(1 - phi^2), the stationary sd, or `first_sd` phi^t where given (the first
    year's own sd, module docstring). PyTensor or NumPy parameters (NumPy batched as (..., 1, 1))."""
    steps = np.subtract.outer(np.arange(size), np.arange(size))
    first = np.zeros((size, size))
    first[:, 0] = 1.0
    powers = phi ** np.clip(steps, 0, None) * (steps >= 0)
    if first_sd is not None:
        return powers * (sigma_c * (1.0 - first) + first_sd * first)
    return sigma_c * powers * (1.0 + first * ((1.0 - phi**2) ** -0.5 - 1.0))


def years_before_end(size: int, end: int) -> np.ndarray:
    """min(y - end, 0) over a grid of `size` years: how many years before the last year with data."""
    return np.minimum(np.arange(size) - end, 0).astype(float)


def volatility(slope, size: int, end: int):
    """vol(y) over a grid of `size` years whose last year with data is `end` (module docstring): slopes (...,),
    PyTensor or NumPy -> (..., size)."""
    before = years_before_end(size, end)
    if isinstance(slope, pt.TensorVariable):
        return pt.exp(pt.shape_padright(slope) * before)
    return np.exp(np.asarray(slope, dtype=float)[..., None] * before)


def basis_covariance(basis: np.ndarray, members: np.ndarray) -> np.ndarray:
    """BASIS_SD^2 for each pair of earlier-basis figures of one region (`basis`: (N,) 0/1, `members`: (N, R))."""
    b = np.asarray(basis, dtype=float)
    return BASIS_SD**2 * np.outer(b, b) * (members @ members.T)
