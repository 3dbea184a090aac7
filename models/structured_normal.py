"""log N(r | 0, K) for K = blockdiag(B_1 .. B_m) + V V', as a PyTensor op with a numba kernel.

The trend models' figures have exactly this covariance: the terms private to a
region (its level, its walk, the figures' noise) are a block per region, and the
terms shared across regions (the common growth path, the regions' differences) are
of low rank M (years + regions per component). Woodbury's identity and the matrix
determinant lemma then give the density at O(sum n_b^3 + N M^2) instead of O(N^3):

    K^-1 = B^-1 - B^-1 V C^-1 V' B^-1,  C = I + V' B^-1 V,  log|K| = log|B| + log|C|.

Gradients in closed form, as in `models.dense_normal`, with alpha = K^-1 r:
d/dr = -alpha, d/dB_b = (alpha alpha' - K^-1)_bb / 2 (entrywise), and
d/dV = alpha (alpha' V) - K^-1 V, where K^-1 V = B^-1 V C^-1. Only the diagonal
blocks of K^-1 are formed, never the N x N matrix.

Blocks are passed padded: ``blocks`` (m, n, n) with ``index`` (m, n) naming the
figures of each block (-1 where a block is shorter than n; those rows and columns
are ignored and their gradient is zero).
"""

from __future__ import annotations

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch import basic as numba_basic
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from models.dense_normal import triangular_inverse


@numba.njit(cache=True)
def _block_terms(resid, blocks, index, v, r_solved, v_solved, inverses):
    """Per block: log|B_b|, and B_b^-1, B_b^-1 r_b, B_b^-1 V_b written into the outputs."""
    log_det = 0.0
    for b in range(blocks.shape[0]):
        m = 0
        while m < index.shape[1] and index[b, m] >= 0:
            m += 1
        if m == 0:
            continue
        idx = index[b, :m]
        chol = np.linalg.cholesky(np.ascontiguousarray(blocks[b, :m, :m]))
        for i in range(m):
            log_det += 2.0 * np.log(chol[i, i])
        inv_chol = triangular_inverse(chol)
        inverse = inv_chol.T @ inv_chol
        inverses[b, :m, :m] = inverse
        r_b = np.empty(m)
        v_b = np.empty((m, v.shape[1]))
        for i in range(m):
            r_b[i] = resid[idx[i]]
            v_b[i] = v[idx[i]]
        rs, vs = inverse @ r_b, inverse @ v_b
        for i in range(m):
            r_solved[idx[i]] = rs[i]
            v_solved[idx[i]] = vs[i]
    return log_det


@numba.njit(cache=True)
def structured_terms(resid, blocks, index, v):
    """(log p, d/dresid, d/dblocks, d/dV) of the module docstring."""
    n, m_rank = v.shape
    r_solved, v_solved = np.zeros(n), np.zeros((n, m_rank))
    inverses = np.zeros(blocks.shape)
    log_det = _block_terms(resid, blocks, index, v, r_solved, v_solved, inverses)
    capacitance = np.eye(m_rank) + v.T @ v_solved
    chol = np.linalg.cholesky(capacitance)
    for i in range(m_rank):
        log_det += 2.0 * np.log(chol[i, i])
    inv_chol = triangular_inverse(chol)
    cap_inverse = inv_chol.T @ inv_chol
    alpha = r_solved - v_solved @ (cap_inverse @ (v.T @ r_solved))
    log_p = -0.5 * (resid @ alpha + log_det + n * np.log(2 * np.pi))
    k_inv_v = v_solved @ cap_inverse
    d_v = np.outer(alpha, alpha @ v) - k_inv_v
    d_blocks = np.zeros(blocks.shape)
    for b in range(blocks.shape[0]):
        m = 0
        while m < index.shape[1] and index[b, m] >= 0:
            m += 1
        idx = index[b, :m]
        left, right, a_b = np.empty((m, m_rank)), np.empty((m, m_rank)), np.empty(m)
        for i in range(m):
            left[i], right[i], a_b[i] = k_inv_v[idx[i]], v_solved[idx[i]], alpha[idx[i]]
        k_inv = inverses[b, :m, :m] - left @ right.T
        d_blocks[b, :m, :m] = 0.5 * (np.outer(a_b, a_b) - k_inv)
    return log_p, -alpha, d_blocks, d_v


class StructuredNormal(Op):
    """Outputs log N(resid | 0, blockdiag(blocks) + V V') and its gradients in resid, blocks and V."""

    __props__ = ()

    def make_node(self, resid, blocks, index, v):
        floats = [pt.as_tensor_variable(x).astype("float64") for x in (resid, blocks, v)]
        index = pt.as_tensor_variable(index).astype("int64")
        inputs = [floats[0], floats[1], index, floats[2]]
        return Apply(self, inputs, [pt.dscalar(), pt.dvector(), pt.dtensor3(), pt.dmatrix()])

    def perform(self, node, inputs, output_storage):
        resid, blocks, index, v = inputs
        terms = structured_terms(
            np.ascontiguousarray(resid, dtype=float),
            np.ascontiguousarray(blocks, dtype=float),
            np.ascontiguousarray(index, dtype=np.int64),
            np.ascontiguousarray(v, dtype=float),
        )
        output_storage[0][0] = np.asarray(terms[0])
        for k in range(1, 4):
            output_storage[k][0] = terms[k]

    def grad(self, inputs, output_grads):
        _, d_resid, d_blocks, d_v = self(*inputs)
        g = output_grads[0]
        return [g * d_resid, g * d_blocks, disconnected_type(), g * d_v]

    def connection_pattern(self, node):
        return [[True, True, True, True], [True, True, True, True], [False] * 4, [True, True, True, True]]


def structured_normal(resid, blocks, index, v):
    """log N(resid | 0, blockdiag(blocks) + V V') as a PyTensor scalar (differentiable in resid, blocks, V)."""
    return StructuredNormal()(resid, blocks, index, v)[0]


@register_funcify_default_op_cache_key(StructuredNormal)
def _numba_structured_normal(op, node, **kwargs):
    @numba_basic.numba_njit
    def structured_normal_terms(resid, blocks, index, v):
        resid, blocks = np.ascontiguousarray(resid), np.ascontiguousarray(blocks)
        index, v = np.ascontiguousarray(index), np.ascontiguousarray(v)
        log_p, d_resid, d_blocks, d_v = structured_terms(resid, blocks, index, v)
        return np.array(log_p), d_resid, d_blocks, d_v

    return structured_normal_terms
