"""log N(r | 0, K) for a residual vector and a dense covariance, as a PyTensor op with a numba kernel.

The gradient is the closed form for a Gaussian: with alpha = K^-1 r,
d/dr = -alpha and d/dK = (alpha alpha' - K^-1) / 2 (entrywise, K symmetric). One numba
kernel computes the density and both gradients from one Cholesky factor (the op's
three outputs; the gradient refers to the same node, so PyTensor computes it once per
step); under PyTensor's NUMBA mode the op runs the kernel directly (no object mode),
elsewhere through `perform`. Used by `models.common_trend`, whose covariances are
small (a few dozen to a few hundred figures) and dense.
"""

from __future__ import annotations

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch import basic as numba_basic
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key


@numba.njit(cache=True)
def triangular_inverse(chol):
    """L^-1 of a lower-triangular L, by forward substitution column by column."""
    n = chol.shape[0]
    inv_chol = np.zeros((n, n))
    for j in range(n):
        inv_chol[j, j] = 1.0 / chol[j, j]
        for i in range(j + 1, n):
            acc = 0.0
            for k in range(j, i):
                acc += chol[i, k] * inv_chol[k, j]
            inv_chol[i, j] = -acc / chol[i, i]
    return inv_chol


@numba.njit(cache=True)
def normal_terms(resid, cov):
    """(log p, d/dresid, d/dcov) from one Cholesky factor L: K^-1 = L^-T L^-1."""
    n = resid.size
    chol = np.linalg.cholesky(cov)
    inv_chol = triangular_inverse(chol)
    white = inv_chol @ resid
    inverse = inv_chol.T @ inv_chol
    alpha = inv_chol.T @ white
    log_p = -0.5 * np.sum(white * white) - 0.5 * n * np.log(2 * np.pi)
    for i in range(n):
        log_p -= np.log(chol[i, i])
    d_cov = 0.5 * (np.outer(alpha, alpha) - inverse)
    return log_p, -alpha, d_cov


class DenseNormal(Op):
    """Outputs log N(resid | 0, cov) and its gradients with respect to resid and cov."""

    __props__ = ()

    def make_node(self, resid, cov):
        inputs = [pt.as_tensor_variable(x).astype("float64") for x in (resid, cov)]
        return Apply(self, inputs, [pt.dscalar(), pt.dvector(), pt.dmatrix()])

    def perform(self, node, inputs, output_storage):
        log_p, d_resid, d_cov = normal_terms(*[np.ascontiguousarray(x, dtype=float) for x in inputs])
        output_storage[0][0] = np.asarray(log_p)
        output_storage[1][0], output_storage[2][0] = d_resid, d_cov

    def grad(self, inputs, output_grads):
        _, d_resid, d_cov = self(*inputs)
        g = output_grads[0]
        return [g * d_resid, g * d_cov]


def dense_normal(resid, cov):
    """log N(resid | 0, cov) as a PyTensor scalar (differentiable in both arguments)."""
    return DenseNormal()(resid, cov)[0]


@register_funcify_default_op_cache_key(DenseNormal)
def _numba_dense_normal(op, node, **kwargs):
    @numba_basic.numba_njit
    def dense_normal_terms(resid, cov):
        log_p, d_resid, d_cov = normal_terms(np.ascontiguousarray(resid), np.ascontiguousarray(cov))
        return np.array(log_p), d_resid, d_cov

    return dense_normal_terms
