"""log N(r | 0, K) for a residual vector and a dense covariance, as a PyTensor op with a numba kernel.

The gradient is the closed form for a Gaussian: with alpha = K^-1 r,
d/dr = -alpha and d/dK = (alpha alpha' - K^-1) / 2 (entrywise, K symmetric). One numba
kernel computes both; under PyTensor's NUMBA mode the op runs it directly (no object
mode), elsewhere through `perform`. Used by `models.common_trend`, whose covariances
are small (a few dozen to a few hundred figures) and dense.
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
def normal_terms(resid, cov, want_grad):
    """(log p, d/dresid, d/dcov); d/d... are zeros unless `want_grad` (the inverse is formed only then)."""
    n = resid.size
    chol = np.linalg.cholesky(cov)
    white = np.empty(n)  # L^-1 r by forward substitution
    for i in range(n):
        white[i] = (resid[i] - np.dot(chol[i, :i], white[:i])) / chol[i, i]
    log_p = -0.5 * np.sum(white * white) - 0.5 * n * np.log(2 * np.pi)
    for i in range(n):
        log_p -= np.log(chol[i, i])
    d_resid = np.zeros(n)
    d_cov = np.zeros((n, n))
    if want_grad:
        inverse = np.linalg.inv(cov)
        alpha = inverse @ resid
        for i in range(n):
            d_resid[i] = -alpha[i]
            for j in range(n):
                d_cov[i, j] = 0.5 * (alpha[i] * alpha[j] - inverse[i, j])
    return log_p, d_resid, d_cov


class DenseNormal(Op):
    """log N(resid | 0, cov): inputs a vector and a symmetric positive-definite matrix."""

    __props__ = ()

    def make_node(self, resid, cov):
        inputs = [pt.as_tensor_variable(x).astype("float64") for x in (resid, cov)]
        return Apply(self, inputs, [pt.dscalar()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.asarray(normal_terms(*_contiguous(inputs), False)[0])

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        d_resid, d_cov = DenseNormalGrad()(*inputs)
        return [g * d_resid, g * d_cov]


class DenseNormalGrad(Op):
    """The gradient of `DenseNormal` with respect to its two inputs."""

    __props__ = ()

    def make_node(self, resid, cov):
        inputs = [pt.as_tensor_variable(x).astype("float64") for x in (resid, cov)]
        return Apply(self, inputs, [pt.dvector(), pt.dmatrix()])

    def perform(self, node, inputs, output_storage):
        _, d_resid, d_cov = normal_terms(*_contiguous(inputs), True)
        output_storage[0][0], output_storage[1][0] = d_resid, d_cov


def _contiguous(inputs):
    return [np.ascontiguousarray(x, dtype=float) for x in inputs]


dense_normal = DenseNormal()


@register_funcify_default_op_cache_key(DenseNormal)
def _numba_dense_normal(op, node, **kwargs):
    @numba_basic.numba_njit
    def dense_normal_logp(resid, cov):
        return np.array(normal_terms(np.ascontiguousarray(resid), np.ascontiguousarray(cov), False)[0])

    return dense_normal_logp


@register_funcify_default_op_cache_key(DenseNormalGrad)
def _numba_dense_normal_grad(op, node, **kwargs):
    @numba_basic.numba_njit
    def dense_normal_grad(resid, cov):
        _, d_resid, d_cov = normal_terms(np.ascontiguousarray(resid), np.ascontiguousarray(cov), True)
        return d_resid, d_cov

    return dense_normal_grad
