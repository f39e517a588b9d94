"""Kernels and step solver of the three-mass transport in energy-major layout (index k * 3 + channel).

Products only move down in energy, so with the energy node as the outer index the coupled
three-channel kernel is block upper triangular with 3 x 3 blocks.  Per redshift step:

1. per routed term and relic mass, the deposits per offset (beam-line product and both products) are read
   from the per-grid tables of :mod:`.fast_kernels` (rows i_0 + 4 j of one table slot, a strided view) and
   scaled by the per-node coefficient (:func:`slot_deposits`);
2. the flavour routing of :mod:`.flavour_routing` combines them into the nine (receiving channel, beam
   channel) blocks with one matrix product (:func:`assemble`), still per offset;
3. the offsets are re-indexed to nodes directly into the energy-major (n, 3, n, 3) kernel;
4. the conservative step (:func:`coupled_step`) scales each 3 x 3 block row by the inverse of its diagonal
   block (batched) and solves one unit upper-triangular system (LAPACK).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy.linalg import solve_triangular

from .fast_kernels import SUBDIVISION, _tables, _upper
from .transport_kernels import _kernel


@lru_cache(maxsize=4)
def _component_table(energy_bytes: bytes, kind: str, table: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Tables 3, 4, ... of :func:`.mass_transport.shape_parts` (coupling-matrix components), own small cache."""
    return _tables.__wrapped__(energy_bytes, kind, table)


def table(energy_bytes: bytes, kind: str, index: int) -> tuple[float, np.ndarray, np.ndarray]:
    """(ln x_0, all deposits, hi part) of table ``index`` (0-2: universal parts, shared cache of fast_kernels)."""
    return _tables(energy_bytes, kind, index) if index < 3 else _component_table(energy_bytes, kind, index)


def slot_deposits(energy_bytes: bytes, tab: tuple, x0: float, coef: dict[int, np.ndarray], out: np.ndarray) -> None:
    """Write into ``out`` (2, n, n; a view of the (2, K, n, n) stack) the deposits per offset of a scattering at
    node j (``out[t, j, n - 1 - d]`` into node j - d; t = 0 beam-line product, t = 1 both products) of the table
    slots in ``coef`` (slot -> per-node coefficient), interpolated linearly in ln x (x at node 0: ``x0``)."""
    lnx0, all_t, hi_t = tab
    K = _kernel(energy_bytes)
    n = K.n
    pos = (np.log(x0) - lnx0) / (K.h / SUBDIVISION)
    i0 = int(np.floor(pos))
    view = out.transpose(1, 0, 2)                                  # [j, t, e]
    view[...] = 0.0
    jj = np.arange(n)
    cols = np.stack([n - 1 - jj, 2 * n - 1 - jj])                  # offset d = j of both halves
    inside = 0 <= i0 and i0 + SUBDIVISION * (n - 1) + 1 < all_t.shape[0]
    if inside:
        fr = pos - i0
        rows = [(i0, 1.0 - fr), (i0 + 1, fr)]
    else:  # part of the grid outside the table: end values
        r0 = np.clip(jj * SUBDIVISION + i0, 0, all_t.shape[0] - 2)
        frj = np.clip(jj * SUBDIVISION + pos - r0, 0.0, 1.0)
    for slot, c in coef.items():
        if inside:
            for r, w in rows:
                s0, s2 = all_t.strides[0], all_t.strides[2]
                block = as_strided(all_t[r:, slot], shape=(n, 2, n), strides=(SUBDIVISION * s0, n * s2, s2),
                                   writeable=False)
                view += (c * w)[:, None, None] * block
                out[:, jj, n - 1 - jj] -= (c * w)[None, :] * hi_t[r + SUBDIVISION * jj[None], slot, cols]
        else:
            for r, w in ((r0, 1.0 - frj), (r0 + 1, frj)):
                view += (c * w)[:, None, None] * all_t[r, slot].reshape(n, 2, n)
                out[:, jj, n - 1 - jj] -= (c * w)[None, :] * hi_t[r[None], slot, cols]
    out[:, 0] = 0.0                                                # node 0: all of it below the grid


def assemble(X: np.ndarray, w_own: np.ndarray, w_part: np.ndarray, width_bytes: bytes,
             G_both: np.ndarray, G_own: np.ndarray) -> None:
    """Route the deposits X (2, K, n, n) into the energy-major kernels G_both, G_own (n, 3, n, 3) [k, c, j, a].

    ``w_own``, ``w_part`` (K, 3, 3) [term, a, c]: weight of the beam-line / relic-line product of term K from
    beam channel a into channel c.  G[k, c, j, a] = (deposit of node j, channel a into node k, channel c)
    x Delta_j / Delta_k.
    """
    _, K, n, _ = X.shape
    wo, wp = w_own.reshape(K, 9), w_part.reshape(K, 9)
    own = wo.T @ X[0].reshape(K, n * n)                             # (9, n^2)
    both = np.concatenate([(wo - wp).T, wp.T], axis=1) @ X.reshape(2 * K, n * n)
    upper = _upper(width_bytes)
    s = own.itemsize
    for src, dst in ((own, G_own), (both, G_both)):
        for ac in range(9):
            a, c = divmod(ac, 3)
            W = as_strided(src[ac, n - 1:], shape=(n, n), strides=((n - 1) * s, s), writeable=False)   # [j, k]
            np.multiply(W, upper, out=dst[:, c, :, a].T)


def phi(A: np.ndarray) -> tuple:
    """exp(-A) and the ETD functions phi1, phi2, phi3 (series below 1e-2)."""
    small = A < 1e-2
    As = np.where(small, 1.0, A)
    em1 = np.expm1(-As)
    p1 = np.where(small, 1 - A / 2 + A**2 / 6 - A**3 / 24, -em1 / As)
    p2 = np.where(small, 0.5 - A / 6 + A**2 / 24 - A**3 / 120, (As + em1) / As**2)
    p3 = np.where(small, 1 / 6 - A / 24 + A**2 / 120 - A**3 / 720, (As**2 / 2 - As - em1) / As**3)
    return np.exp(-A), p1, p2, p3


def coupled_step(y, loss, G, q_old, q_new, du):
    """Conservative step (products of a node = its exact scatterings in the step), energy-major vectors (3n,)
    and kernel G (n, 3, n, 3); ``loss`` energy-major (3n,)."""
    n = G.shape[0]
    M = G.reshape(3 * n, 3 * n)
    d = np.diagonal(M)
    ex, p1, p2, p3 = phi(np.maximum(loss - d, 0.0))
    r = p1 * y + du * ((p2 - p3) * q_old + p3 * q_new)
    ybar = block_solve(G, p2, r)
    return ex * y + du * ((p1 - p2) * q_old + p2 * q_new) + p1 * (M @ ybar - d * ybar)


def block_solve(G: np.ndarray, p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Solve (1 - p (G - diag G)) x = r for an energy-major kernel G (n, 3, n, 3), zero for j < k.

    Each block row k is multiplied by D_k^-1, D_k = 1 - p_k (G_kk - diag): a unit upper-triangular system.
    """
    n = G.shape[0]
    nodes = np.arange(n)
    pk = p.reshape(n, 3)
    Bk = G[nodes, :, nodes, :].copy()                              # (n, 3, 3) [c, a]
    Bk[:, [0, 1, 2], [0, 1, 2]] = 0.0
    Dinv = np.linalg.inv(np.eye(3) - pk[:, :, None] * Bk)
    U = np.matmul(-Dinv * pk[:, None, :], G.reshape(n, 3, 3 * n))  # -(D^-1 p) G, rows of node k
    U.reshape(n, 3, n, 3)[nodes, :, nodes, :] = 0.0
    rhs = np.matmul(Dinv, r.reshape(n, 3, 1)).ravel()
    return solve_triangular(U.reshape(3 * n, 3 * n), rhs, lower=False, unit_diagonal=True, check_finite=False)
