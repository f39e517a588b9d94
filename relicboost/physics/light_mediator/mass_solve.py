"""Kernels and step solver of the three-mass transport (channel-major, energy only goes down).

Kernels are stored as H[a, c, j, k]: products in node k of channel c per scattering in node j of channel a,
times Delta_j / Delta_k (zero for k > j).  Per redshift step:

1. per routed term and relic mass, the node matrices (beam-line product and both products) are read from
   the per-grid tables of :mod:`.fast_kernels` through skewed strided views (row i_0 + 4 j of the term's
   table slots, offset j - k; :func:`node_deposits`);
2. the flavour routing of :mod:`.flavour_routing` combines the terms into the nine (beam channel, receiving
   channel) blocks with one matrix product (:func:`assemble`);
3. the conservative step (:func:`coupled_step`) solves the block upper-triangular system from the highest
   energy down in chunks of nodes: a small dense solve per chunk and one product updating the nodes below
   (:func:`block_solve`), without re-ordering the kernel.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..etd2 import phi_functions
from .fast_kernels import SUBDIVISION, _tables, _upper
from .transport_kernels import _kernel

CHUNK = 16  # nodes per dense block of the back substitution (measured: 16-24 fastest for 90-180 nodes)


@lru_cache(maxsize=4)
def _component_table(energy_bytes: bytes, kind: str, table: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Tables 3, 4, ... of :func:`.mass_transport.shape_parts` (coupling-matrix components), own small cache."""
    return _tables.__wrapped__(energy_bytes, kind, table)


def table(energy_bytes: bytes, kind: str, index: int) -> tuple[float, np.ndarray, np.ndarray]:
    """(ln x_0, all deposits, hi part) of table ``index`` (0-2: universal parts, shared cache of fast_kernels)."""
    return _tables(energy_bytes, kind, index) if index < 3 else _component_table(energy_bytes, kind, index)


def node_deposits(energy_bytes: bytes, width_bytes: bytes, tab: tuple, x0: float, coef: dict[int, np.ndarray],
                  own: np.ndarray, both: np.ndarray) -> None:
    """Write own[j, k], both[j, k]: products in node k per scattering at node j (beam-line product, both
    products) x Delta_j / Delta_k, for the table slots in ``coef`` (slot -> per-node coefficient), interpolated
    linearly in ln x between table rows (x at node 0: ``x0``; end values outside the table).

    Table row i_0 + 4 j holds the deposits of node j per offset d = j - k (column t n + n - 1 - d), so the
    node matrix is read directly through a skewed strided view of the table (zeroed above the diagonal)."""
    lnx0, all_t, hi_t = tab
    K = _kernel(energy_bytes)
    n = K.n
    pos = (np.log(x0) - lnx0) / (K.h / SUBDIVISION)
    i0 = int(np.floor(pos))
    if not (0 <= i0 and i0 + SUBDIVISION * (n - 1) + 1 < all_t.shape[0]):
        node_matrices(_deposits_clipped(tab, n, pos, i0, coef), width_bytes, own, both)
        return
    fr = pos - i0
    jj = np.arange(n)
    s0, s1, s2 = all_t.strides
    if len(coef) == 1:   # rows i0 + 4 j and i0 + 4 j + 1 of one slot
        (slot0, c), = coef.items()
        kk = np.stack([(1 - fr) * c, fr * c], axis=1)
        first, shape, step = (i0, slot0), (n, 2, n), s0
    else:                # both rows, all three slots (unused ones with zero coefficient)
        k3 = np.zeros((n, 3))
        for slot, c in coef.items():
            k3[:, slot] = c
        kk = np.concatenate([(1 - fr) * k3, fr * k3], axis=1)
        first, shape, step = (i0, 0), (n, 6, n), s1
    upper = _upper(width_bytes)
    rows = i0 + np.arange(2)[:, None, None] + SUBDIVISION * jj     # (row, ., j)
    cols = np.arange(2)[None, :, None] * n + n - 1 - jj            # (., t, j): offset d = j
    w = np.array([1.0 - fr, fr])[:, None, None]
    hi = sum(c * (w * hi_t[rows, slot, cols]).sum(0) for slot, c in coef.items())   # (t, j)
    for t, out in ((0, own), (1, both)):
        # view[j, q, k] = all_t[(row, slot)_q + 4 j, t n + n - 1 - j + k]: the deposit of node j into node k
        view = as_strided(all_t[first[0], first[1], t * n + n - 1:], shape=shape,
                          strides=(SUBDIVISION * s0 - s2, step, s2), writeable=False)
        np.matmul(kk[:, None, :], view, out=out[:, None, :])
        out[:, 0] -= hi[t]                                         # d = j: the part from the segment below node 0
        out *= upper                                               # x Delta_j / Delta_k, zero above the diagonal
        out[0] = 0.0                                               # node 0: all of it below the grid


def node_matrices(V: np.ndarray, width_bytes: bytes, own: np.ndarray, both: np.ndarray) -> None:
    """Write own[j, k], both[j, k] = V[j, t n + n - 1 - (j - k)] x Delta_j / Delta_k (zero for k > j)."""
    n = V.shape[0]
    s = V.itemsize
    flat = np.ascontiguousarray(V).reshape(-1)
    upper = _upper(width_bytes)
    for t, out in ((0, own), (1, both)):
        W = as_strided(flat[t * n + n - 1:], shape=(n, n), strides=((2 * n - 1) * s, s), writeable=False)
        np.multiply(W, upper, out=out)


def _deposits_clipped(tab: tuple, n: int, pos: float, i0: int, coef: dict[int, np.ndarray]) -> np.ndarray:
    """V[j, t n + n - 1 - d] (deposits per offset) where part of the grid is outside the table: end values."""
    _, all_t, hi_t = tab
    jj = np.arange(n)
    r0 = np.clip(jj * SUBDIVISION + i0, 0, all_t.shape[0] - 2)
    frj = np.clip(jj * SUBDIVISION + pos - r0, 0.0, 1.0)
    cols = np.stack([n - 1 - jj, 2 * n - 1 - jj])
    V = np.zeros((n, 2 * n))
    for slot, c in coef.items():
        for r, w in ((r0, 1.0 - frj), (r0 + 1, frj)):
            V += (c * w)[:, None] * all_t[r, slot]
            V[jj[None], cols] -= (c * w)[None, :] * hi_t[r[None], slot, cols]
    V[0] = 0.0
    return V


def assemble(S: np.ndarray, w_own: np.ndarray, w_part: np.ndarray) -> np.ndarray:
    """Kernels H (2, 3, 3, n, n) [both products / beam-line product, a, c, j, k] from the node matrices
    S (2, K, n, n) [own, both] of K terms; ``w_own``, ``w_part`` (K, 3, 3) [term, a, c]: weight of the
    beam-line / relic-line product of a term from beam channel a into channel c.  One matrix product."""
    _, K, n, _ = S.shape
    wo, wp = w_own.reshape(K, 9), w_part.reshape(K, 9)
    W = np.block([[wo - wp, wo], [wp, np.zeros_like(wp)]])          # (2K, 18): [own; both] -> [both | own]
    return (W.T @ S.reshape(2 * K, n * n)).reshape(2, 3, 3, n, n)


def coupled_step(y, loss, H, q_old, q_new, du):
    """Conservative step (products of a node = its exact scatterings in the step) of s coupled-channel systems
    at once: vectors (s, 3 n) channel-major, kernels H (s, 3, 3, n, n) [a, c, j, k], ``loss`` (3 n,)."""
    ns, n = H.shape[0], H.shape[-1]
    d = np.einsum("saajj->saj", H).reshape(ns, 3 * n)
    ex, p1, p2, p3 = phi_functions(np.maximum(loss - d, 0.0))
    r = p1 * y + du * ((p2 - p3) * q_old + p3 * q_new)
    ybar = block_solve(H, p2, r)
    return ex * y + du * ((p1 - p2) * q_old + p2 * q_new) + p1 * (products(H, ybar) - d * ybar)


def products(H: np.ndarray, ybar: np.ndarray) -> np.ndarray:
    """Products per node of the scatterings of a step, sum_aj ybar[a, j] H[a, c, j, k] (s systems: (s, 3 n))."""
    ns, n = H.shape[0], H.shape[-1]
    return np.matmul(ybar.reshape(ns, 3, 1, 1, n), H).sum(axis=1).reshape(ns, 3 * n)


def unscattered_step(y: np.ndarray, loss: np.ndarray, q_old: np.ndarray, q_new: np.ndarray,
                     du: float) -> tuple[np.ndarray, np.ndarray]:
    """Exponential step of the unscattered flux (any shape; ``loss``: optical depth of the step, same shape)
    with a source linear over the step: (y at the end, step average of y).  The number scattered in the
    step is exactly loss x average (y_end = y + du (q_old + q_new) / 2 - loss ybar), the same exponential
    model as the step average of :func:`coupled_step`."""
    ex, p1, p2, p3 = phi_functions(loss)
    return (ex * y + du * ((p1 - p2) * q_old + p2 * q_new),
            p1 * y + du * ((p2 - p3) * q_old + p3 * q_new))


def block_solve(H: np.ndarray, p: np.ndarray, r: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """Solve (1 - p (G - diag G)) x = r for s systems, G[(c, k), (a, j)] = H[., a, c, j, k] zero for k > j
    (H (s, 3, 3, n, n); x, r, p (s, 3 n) channel-major).

    Back substitution from the highest energy down in chunks of ``chunk`` nodes: a dense solve of the chunk's
    (3 m x 3 m) systems, then the products of the chunk are added to the right-hand side of the nodes below.
    """
    ns, n = H.shape[0], H.shape[-1]
    x = np.empty((ns, 3, n))
    rhs = r.reshape(ns, 3, n).copy()
    pc = p.reshape(ns, 3, n)
    for k1 in range(n, 0, -chunk):
        k0 = max(k1 - chunk, 0)
        m = k1 - k0
        G = H[..., k0:k1, k0:k1].transpose(0, 2, 4, 1, 3).reshape(ns, 3 * m, 3 * m)
        G[:, np.arange(3 * m), np.arange(3 * m)] = 0.0
        A = np.eye(3 * m) - pc[:, :, k0:k1].reshape(ns, 3 * m, 1) * G
        x[:, :, k0:k1] = np.linalg.solve(A, rhs[:, :, k0:k1].reshape(ns, 3 * m, 1)).reshape(ns, 3, m)
        if k0:
            prod = np.matmul(x[:, :, None, None, k0:k1], H[..., k0:k1, :k0]).sum(axis=1)[:, :, 0]   # (s, c, k)
            rhs[:, :, :k0] += pc[:, :, :k0] * prod
    return x.reshape(ns, 3 * n)
