"""Tabulated light-mediator transport kernels: a new (g, M) point without re-evaluating the y-shapes.

On a log-uniform energy grid the deposit of a scattering at node j into node j - d depends only on
the offset d and on x_j = s/M^2 (the segment geometry of :class:`.transport_kernels._Kernel` is the
same for every j), and the shape is linear in the step-averaged resonant factors,
f = f_A(y; x) + B f_B(y; x) + Re(1/D) f_R(y; x).  The deposits of f_A, f_B, f_R (beam-line and relic-line
product) are tabulated once per grid and amplitude set on a grid in ln x of spacing h/4 (h the
ln E spacing), so that within one redshift step all sources share the interpolation weight and a
step costs a few O(n_E^2) array operations.  Outside the table (x < 1e-6 or x > 1e10) the end values
are used (x < 1e-6 is the heavy limit to 1e-6).  Same ChannelStep output as
:func:`.transport_kernels.light_channel_steps` (tested against it).
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from scipy.linalg.blas import dtrmm
from scipy.linalg.lapack import dtrtrs

from ..etd2 import etd2_weights, phi_functions
from ..transport import ChannelStep, TransportGrid
from ..units import EV_MEV
from .cross_sections import F_HEAVY, _shape, _step_shape_integral
from .models import ParticleModel
from .resonant_steps import B_COEFFICIENT, PresentCrossing, ResonantSteps, cell_averaged_tail, resonance_edge
from .transport_kernels import _kernel, step_resonance

LNX_RANGE: tuple[float, float] = (np.log(1e-6), np.log(1e10))
SUBDIVISION = 4  # table points per energy-grid spacing in ln x


def _shape_of(kind: str, part: int | None):
    """f(y, ybar, x, B, R) of the whole shape (part None) or of one :func:`.mass_transport.shape_parts` part."""
    if part is None:
        return lambda y, yb, x, B, R: _shape(y, yb, x, B, R, kind)
    from .mass_transport import shape_parts

    return lambda y, yb, x, B, R: shape_parts(kind, y, yb, x, B, R)[part]


@lru_cache(maxsize=12)
def _tables(energy_bytes: bytes, kind: str, part: int | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(ln x_0 of the table, all deposits, hi part), both (n_x, 3 components, 2 n): per table row and
    component (1, B, Re 1/D), the deposit per offset d of the beam-line product (at [..., n - 1 - d]) and of both
    products (at [..., 2 n - 1 - d]); the hi part is the deposit from the segment above (dropped at the grid
    floor)."""
    K = _kernel(energy_bytes)
    shape = _shape_of(kind, part)
    step = K.h / SUBDIVISION
    lnx = np.arange(LNX_RANGE[0], LNX_RANGE[1] + step, step)
    ones = np.ones(lnx.size)
    out = []
    for own in (True, False):
        comps = []
        for B, R in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)):
            x3 = np.exp(lnx)[:, None, None]
            x2 = np.exp(lnx)[:, None]
            if own:
                seg = shape(K.one_minus_xi[None], K.xi[None], x3, B, R)
                top = shape(K.ytop[None], K.xitop[None], x2, B, R)
            else:
                seg = shape(K.xi[None], K.one_minus_xi[None], x3, B, R)
                top = shape(K.xitop[None], K.ytop[None], x2, B, R)
            comps.append(_by_offset(K, np.broadcast_to(seg, (lnx.size,) + K.xi.shape),
                                    np.broadcast_to(top, (lnx.size, K.ytop.size)), ones))
        out.append(comps)
    own_t = np.stack(out[0], axis=1)      # (n_x, 3 components, 2, n offsets)
    both_t = own_t + np.stack(out[1], axis=1)
    own_t[:, 1:] -= own_t[:, :1]  # B and R tables hold the shape minus the B = R = 0 part
    both_t[:, 1:] -= both_t[:, :1]
    all_t = np.concatenate([own_t[:, :, 0, ::-1], both_t[:, :, 0, ::-1]], axis=-1)  # offsets stored reversed
    hi_t = np.concatenate([own_t[:, :, 1, ::-1], both_t[:, :, 1, ::-1]], axis=-1)
    return float(lnx[0]), all_t, hi_t


def _by_offset(K, f_seg: np.ndarray, f_top: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Deposit per offset d (into node j - d) of shapes given per row, shape (rows, n)."""
    wseg = f_seg * K.w[None] / F[:, None, None]
    lo = (wseg * (1 - K.frac[None])).sum(-1)                # offset m = 2..n-1
    hi = (wseg * K.frac[None]).sum(-1)                      # offset m - 1
    wt = f_top * K.wtop[None, :] / F[:, None]
    out = np.zeros((f_seg.shape[0], 2, K.n))   # [:, 1]: the hi part alone (dropped at the grid floor)
    out[:, 0, 2:] += lo
    out[:, 0, 1:-1] += hi
    out[:, 1, 1:-1] = hi
    out[:, 0, 1] += (wt * (1 - K.fractop[None, :])).sum(-1)
    out[:, 0, 0] += (wt * K.fractop[None, :]).sum(-1)
    return out


def _offset_deposits(energy: np.ndarray, kind: str, part: int | None, x: np.ndarray, B: np.ndarray,
                     R: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """V[j, t n + n - 1 - d]: deposit into node j - d per scattering at node j, times ``weight[j]``, of the beam-line
    product (t = 0) and of both products (t = 1), interpolated linearly in ln x between table rows."""
    eb = np.ascontiguousarray(energy, dtype=float).tobytes()
    lnx0, all_t, hi_t = _tables(eb, kind, part)
    n = energy.size
    jj = np.arange(n)
    pos = (np.log(x[0]) - lnx0) / (_kernel(eb).h / SUBDIVISION)
    i0 = int(np.floor(pos))
    k = np.stack([np.ones(n), B, R], axis=1) * weight[:, None]                 # (n, 3 components)
    if _in_table(i0, n, all_t):
        fr = pos - i0
        return _strided_deposits(all_t, hi_t, i0, np.concatenate([(1 - fr) * k, fr * k], axis=1))
    # part of the grid outside the table: end values
    rows = np.clip(jj * SUBDIVISION + i0, 0, all_t.shape[0] - 2)
    fr = np.clip(jj * SUBDIVISION + pos - rows, 0.0, 1.0)
    V = (1 - fr[:, None]) * np.einsum("jce,jc->je", all_t[rows], k) \
        + fr[:, None] * np.einsum("jce,jc->je", all_t[rows + 1], k)
    cols = np.stack([n - 1 - jj, 2 * n - 1 - jj])  # offset d = j: node 0 gets nothing from the segment below
    hi = (1 - fr[None, :, None]) * hi_t[rows[None], :, cols] + fr[None, :, None] * hi_t[rows[None] + 1, :, cols]
    V[jj[None], cols] -= np.einsum("tjc,jc->tj", hi, k)
    V[0] = 0.0                                                                 # node 0: all of it below the grid
    return V


def _in_table(i0: int, n: int, all_t: np.ndarray) -> bool:
    """Whether rows i0 + 4 j and the next ones (j < n) are all inside the table."""
    return 0 <= i0 and i0 + SUBDIVISION * (n - 1) + 1 < all_t.shape[0]


def _view(base: np.ndarray, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """Strided view of the C-contiguous ``base`` (offset and strides in bytes; the caller keeps it in bounds)."""
    return np.ndarray(shape, base.dtype, base, offset, strides)


def _strided_deposits(all_t: np.ndarray, hi_t: np.ndarray, i0: int, kk: np.ndarray) -> np.ndarray:
    """V of :func:`_offset_deposits` from table rows i0 + 4 j (weights kk[:, :3]) and i0 + 4 j + 1 (kk[:, 3:]),
    read as strided views (no copies): one batched (n x 6) . (6 x 2 n) product."""
    n = kk.shape[0]
    s0, s1, s2 = all_t.strides
    V = np.matmul(kk[:, None, :], _view(all_t, i0 * s0, (n, 6, 2 * n), (SUBDIVISION * s0, s1, s2)))
    # offset d = j (node 0 gets nothing from the segment below): hi_t[i0 + 4 j + row, c, t n + n - 1 - j]
    h0, h1, h2 = hi_t.strides
    hi = _view(hi_t, i0 * h0 + (n - 1) * h2, (2, n, 6), (n * h2, SUBDIVISION * h0 - h2, h1))   # [t, j, row x 3 + c]
    v = V.itemsize
    diag = _view(V, (n - 1) * v, (2, n), (n * v, (2 * n - 1) * v))              # V[j, 0, t n + n - 1 - j]
    diag -= (hi * kk[None]).sum(-1)
    V[0] = 0.0                                                                 # node 0: all of it below the grid
    return V[:, 0]


def _node_matrices(Vr: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """G[t, k, j] = Vr[j, t n + n - 1 - (j - k)] x multiplier[j, k] for k <= j (``multiplier`` zero above the
    diagonal); G is returned as a transposed view of a C-ordered (2, j, k) array (Fortran order per matrix)."""
    n = Vr.shape[0]
    s = Vr.itemsize
    # W[t, j, k] = Vr[j, t n + n - 1 - j + k]; k > j reads other entries, zeroed by the multiplier
    W = _view(np.ascontiguousarray(Vr), (n - 1) * s, (2, n, n), (n * s, (2 * n - 1) * s, s))
    return np.multiply(W, multiplier, out=np.empty((2, n, n))).transpose(0, 2, 1)


@lru_cache(maxsize=8)
def _upper(width_bytes: bytes) -> np.ndarray:
    """[j, k] = Delta_j / Delta_k for k <= j, zero above the diagonal (node widths Delta)."""
    w = np.frombuffer(width_bytes)
    return np.tril(w[:, None] / w[None, :])


def tabulated_deposits(energy: np.ndarray, kind: str, part: int | None, x: np.ndarray, B: np.ndarray,
                       R: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Deposits [k, j] of the beam-line and relic-line products of unit-normalised shapes times ``weight[j]``.

    Same as ``_Kernel.deposit(f, f_top, 1 / weight)`` of :mod:`.transport_kernels` for the shape f (whole
    shape or one part) at x[j] (log-uniform in j), with step-averaged B[j] and Re(1/D)[j] = R[j].
    """
    G = _node_matrices(_offset_deposits(energy, kind, part, x, B, R, weight), _upper(np.ones(energy.size).tobytes()))
    return G[0], G[1] - G[0]


def _step_scalars(tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel,
                  m_nu_eV: float, cell_tail: bool = True) -> tuple[np.ndarray, ...]:
    """x at the step midpoints, step-averaged B and Re(1/D), loss and loss / F, each (n_steps, n_E); ``cell_tail``:
    B of the nodes next to a narrow resonance from their cells (:func:`.resonant_steps.cell_averaged_tail`)."""
    point, cell = _point_and_cell_scalars(tgrid, g, M_MeV, model, m_nu_eV)
    return cell if cell_tail else point


def _point_and_cell_scalars(tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel,
                            m_nu_eV: float) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """:func:`_step_scalars` without and with the cell-averaged tail, computed once; the second is the first
    (same object) where the cell average changes nothing."""
    if not model.universal:
        raise ValueError(f"the transport needs flavour-universal couplings, got {model.couplings!r}")
    kind = model.kind
    e = tgrid.energy
    m = m_nu_eV * EV_MEV
    lam = g**4 * m / (8 * np.pi * M_MeV**4) * model.strength()
    x0 = 2 * m * e / M_MeV**2
    ulo, uhi = tgrid.u[:-1, None], tgrid.u[1:, None]
    elo, ehi = np.exp(ulo), np.exp(uhi)
    x_mid = x0 * np.exp(0.5 * (ulo + uhi))
    gam = model.width_over_mass(g)
    Bbar, rebar = step_resonance(x0 * elo, x0 * ehi, gam)
    weight = lam * tgrid.kappa_mid[:, None] * e * (ehi - elo) / F_HEAVY[kind]
    point = (x_mid, Bbar, rebar, weight * _step_shape_integral(x_mid, Bbar, rebar, kind), weight)
    if gam >= 0.1 * tgrid.du:
        return point, point
    B_cell = cell_averaged_tail(Bbar, x0 * elo, x0 * ehi, weight * B_COEFFICIENT[kind], tgrid.h_lnE)
    if np.array_equal(B_cell, Bbar):
        return point, point
    return point, (x_mid, B_cell, rebar, weight * _step_shape_integral(x_mid, B_cell, rebar, kind), weight)


class _TabulatedSteps:
    """Per-step deposits of one (g, M) point from the tables of its grid, in the layout of the solver.

    Attributes
    ----------
    diagonals : numpy.ndarray
        (n_steps, 2, n) self-deposits G[t, j, j] of every step (beam-line product, both products), gathered from
        the table rows at once (the net losses of all steps then need one call of the phi functions).
    """

    def __init__(self, tgrid: TransportGrid, model: ParticleModel, scalars: tuple[np.ndarray, ...]) -> None:
        x_mid, Bbar, rebar, _, weight = scalars
        e = tgrid.energy
        n = e.size
        eb = np.ascontiguousarray(e, dtype=float).tobytes()
        self.tables = _tables(eb, model.kind, None)
        lnx0, all_t = self.tables[0], self.tables[1]
        pos = (np.log(x_mid[:, 0]) - lnx0) / (_kernel(eb).h / SUBDIVISION)      # table row of node 0, per step
        self.i0 = np.floor(pos).astype(int)
        fr = (pos - self.i0)[:, None, None]
        k = np.stack([np.ones_like(Bbar), Bbar, rebar], axis=-1) * weight[..., None]
        self.kk = np.concatenate([(1 - fr) * k, fr * k], axis=-1)                 # (n_steps, n, 6)
        self.diagonals = np.zeros((tgrid.n_steps, 2, n))
        self.outside: dict[int, np.ndarray] = {}
        inside = np.array([_in_table(int(i), n, all_t) for i in self.i0], dtype=bool)
        st = np.nonzero(inside)[0]
        rows = self.i0[st, None] + SUBDIVISION * np.arange(n)[None]               # (steps, n): rows of node j
        flat = all_t.reshape(all_t.shape[0] * 3, 2 * n)[:, [n - 1, 2 * n - 1]]     # offset 0 only, (rows x 3, 2)
        idx = 3 * rows[..., None] + np.arange(6)[None, None]                      # rows i0 + 4 j, then the next one
        self.diagonals[st] = np.einsum("sjq,sjqt->stj", self.kk[st], flat[idx])
        # offset d = j from the segment above node 0 is dropped at the grid floor: hi_t[row, c, t n + n - 1 - j]
        cols = np.stack([n - 1 - np.arange(n), 2 * n - 1 - np.arange(n)])                # (2, n)
        hi_flat = self.tables[2].reshape(-1, 2 * n)
        self.floor_loss = np.einsum("sjq,stjq->stj", self.kk[st], hi_flat[idx[:, None], cols[None, :, :, None]])
        self.floor_index = np.full(tgrid.n_steps, -1)
        self.floor_index[st] = np.arange(st.size)
        for s in np.nonzero(~inside)[0]:
            V = _offset_deposits(e, model.kind, None, x_mid[s], Bbar[s], rebar[s], weight[s])
            self.outside[int(s)] = V
            self.diagonals[s] = V[:, [n - 1, 2 * n - 1]].T
        self.diagonals[:, :, 0] = 0.0                                            # node 0: all of it below the grid

    def deposits(self, s: int) -> np.ndarray:
        """V of step s (:func:`_offset_deposits`, (n, 2 n) C order) at the start of a buffer of 2 n^2 + n values (the
        padding lets :func:`_solve_matrix` read every column of both halves as a LAPACK matrix)."""
        n = self.kk.shape[1]
        buf = np.empty(2 * n * n + n)
        V = buf[:2 * n * n].reshape(n, 2 * n)
        if s in self.outside:
            V[...] = self.outside[s]
            return buf
        all_t = self.tables[1]
        s0, s1, s2 = all_t.strides
        np.matmul(self.kk[s][:, None, :], _view(all_t, int(self.i0[s]) * s0, (n, 6, 2 * n), (SUBDIVISION * s0, s1, s2)),
                  out=V[:, None, :])
        v = V.itemsize
        _view(V, (n - 1) * v, (2, n), (n * v, (2 * n - 1) * v))[...] -= self.floor_loss[self.floor_index[s]]
        V[0] = 0.0                                                                 # node 0: all of it below the grid
        return buf


class _DirectSteps:
    """:class:`_TabulatedSteps` from the shapes evaluated per step (:func:`.transport_kernels.light_channel_steps`;
    all steps are kept in memory: a check path for small grids)."""

    def __init__(self, tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel, m_nu_eV: float,
                 cell_tail: bool) -> None:
        from .transport_kernels import light_channel_steps

        steps = list(light_channel_steps(tgrid, g, M_MeV, model.kind, m_nu_eV, model=model,
                                         cell_tail=cell_tail))[::-1]                               # step order
        self.mats = [np.stack([st.gain_own.T, st.gain_both.T]) for st in steps]        # Gt[t, j, k] = G[t, k, j]
        self.diagonals = np.array([np.diagonal(G, axis1=1, axis2=2) for G in self.mats])
        self.upper = _upper(np.ascontiguousarray(tgrid.width, dtype=float).tobytes())

    def deposits(self, s: int) -> np.ndarray:
        """V of step s in the buffer layout of :meth:`_TabulatedSteps.deposits` (G undone: V = Gt / upper)."""
        n = self.upper.shape[0]
        buf = np.zeros(2 * n * n + n)
        low = np.tril_indices(n)
        for t in range(2):
            W = _view(buf, (t * n + n - 1) * buf.itemsize, (n, n), ((2 * n - 1) * buf.itemsize, buf.itemsize))
            W[low] = self.mats[s][t][low] / self.upper[low]                # W[j, k] = V[j, t n + n - 1 - j + k]
        return buf


def _solve_matrix(buf: np.ndarray, n: int, t: int) -> np.ndarray:
    """The deposits of solution t as a LAPACK matrix without a copy: a[k, j] = V[j, t n + n - 1 - (j - k)] (gain
    into node k per scattering at node j >= k, read from the upper triangle), Fortran order with lda = 2 n - 1."""
    return _view(buf, (t * n + n - 1) * buf.itemsize, (2 * n - 1, n), (buf.itemsize, (2 * n - 1) * buf.itemsize))


def fast_light_channel_steps(tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel,
                             m_nu_eV: float = 0.05) -> Iterator[ChannelStep]:
    """Per-step kernels like :func:`.transport_kernels.light_channel_steps` (``model`` given), tabulated."""
    scalars = _step_scalars(tgrid, g, M_MeV, model, m_nu_eV)
    steps = _TabulatedSteps(tgrid, model, scalars)
    upper = _upper(np.ascontiguousarray(tgrid.width, dtype=float).tobytes())
    n = tgrid.energy.size
    for s in range(tgrid.n_steps - 1, -1, -1):
        G = _node_matrices(steps.deposits(s)[:2 * n * n].reshape(n, 2 * n), upper)
        yield ChannelStep(loss=scalars[3][s], gain_own=G[0], gain_both=G[1])


def fast_light_mediator_solve(solver, g: float, M_MeV: float, model: ParticleModel, temps: tuple[float, float, float],
                              m_nu_eV: float = 0.05, kernels: str = "tabulated", split_crossing: bool = True) -> dict:
    """Output of ``solver.transport.solve_conservative`` with :func:`fast_light_channel_steps` (or, with
    ``kernels="direct"``, :func:`.transport_kernels.light_channel_steps`), plus the resonance-crossing split.

    The same schemes (:func:`relicboost.physics.etd2.etd2_step` for the unscattered flux,
    :func:`relicboost.physics.etd2.conservative_step` for the own-channel and total solutions), written out
    for the tabulated kernels: the phi functions and source terms of all steps and both solutions at once, and
    per solution and step one LAPACK triangular solve and one triangular product on the deposits read in place
    (the node widths scaled out, so the deposit table of a step is the matrix; no copies).
    ``split_crossing`` (default): the sources of the step in which a node crosses a narrow s-channel
    resonance are split at the crossing
    (:func:`.mass_transport._split_source`: sources emitted after it never meet the resonance), as in the
    three-mass transport; without it a node just below E_res = M^2/(2 m_nu) loses the sources of its whole
    crossing step (measured: CEvNS counts -1.3%, SK-window flux -1% at 40 points per decade, 1 substep).  With it,
    near an opaque narrow resonance the scattering solutions use the cell-averaged tail loss of the nodes next to it
    (:func:`.resonant_steps.cell_averaged_tail`; the unscattered flux keeps the point loss) and the products of the
    cell crossing today are counted in part (:class:`.resonant_steps.PresentCrossing`).
    """
    tg, tr = solver.tgrid, solver.transport
    n, du = tg.energy.size, tg.du
    Q3 = solver.sources(temps)
    QT = (Q3 @ tr.mult)[..., None]
    point, cell = _point_and_cell_scalars(tg, g, M_MeV, model, m_nu_eV)
    scalars = cell if split_crossing else point
    if kernels == "tabulated":
        steps: _TabulatedSteps | _DirectSteps = _TabulatedSteps(tg, model, scalars)
    elif kernels == "direct":
        steps = _DirectSteps(tg, g, M_MeV, model, m_nu_eV, split_crossing)
    else:
        raise ValueError(f"kernels must be 'direct' or 'tabulated', got {kernels!r}")
    loss = scalars[3]
    A = np.maximum(loss[:, None, :] - steps.diagonals, 0.0)      # (n_steps, 2, n): net loss of both solutions
    resonant = ResonantSteps(tg, g, M_MeV, model, m_nu_eV, scalars) if split_crossing else None
    if resonant is not None:
        src3, srcT = resonant.sources(Q3), resonant.sources(QT)
        A[resonant.steps, :, resonant.nodes] = loss[resonant.steps, resonant.nodes, None]
        near = resonant.near
    else:
        src3, srcT = (Q3[1:], Q3[:-1], np.zeros(tg.n_steps)), (QT[1:], QT[:-1], np.zeros(tg.n_steps))
        near = [np.zeros(0, dtype=int)] * tg.n_steps
    ex, p1, p2, p3 = (x[..., None] for x in phi_functions(A))                # (n_steps, 2, n, 1)
    wid = tg.width[:, None]
    # conservative_step per solution t, with the gain matrix G_t = diag(1/wid) H_t diag(wid) (H_t the deposits per
    # scattering, :func:`_solve_matrix`): (1 - p2 G) ybar = r  <=>  (H_t - diag(1/p2)) z = -(wid / p2) r, ybar = z / wid,
    # and G ybar = (H_t z) / wid, so H_t is used in place (its diagonal set to -1/p2), with no copy per step.
    terms = []
    for t, (q_old, q_new, q_direct) in ((0, src3), (1, srcT)):
        scale = -wid / p2[:, t]
        direct = np.asarray(q_direct)
        direct = direct[:, None, None] if direct.ndim == 1 else direct
        terms.append((scale * p1[:, t], scale * du * ((p2[:, t] - p3[:, t]) * q_old + p3[:, t] * q_new),
                      ex[:, t], du * ((p1[:, t] - p2[:, t]) * q_old + p2[:, t] * q_new) + direct, p1[:, t] / wid,
                      -1.0 / p2[:, t, :, 0]))
    # the unscattered flux is a point value (no deposits): the point tail loss, its own in-step profile
    ex_u, w0_u, w1_u = etd2_weights(point[3])
    src_u = src3 if point is scalars else ResonantSteps(tg, g, M_MeV, model, m_nu_eV, point).sources(Q3)
    u_y, own, tot = np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 1))
    rows = np.arange(n) * 2 * n
    for s in range(tg.n_steps - 1, -1, -1):
        u_y = ex_u[s][:, None] * u_y + du * (w0_u[s][:, None] * src_u[0][s] + w1_u[s][:, None] * src_u[1][s]) + src_u[2][s]
        buf = steps.deposits(s)
        self_gain = steps.diagonals[s][:, near[s]]
        out = []
        for t, y, (c_y, c_r, c_ex, c_src, c_gain, m_diag) in ((0, own, terms[0]), (1, tot, terms[1])):
            buf[rows + t * n + n - 1] = m_diag[s]                                  # diagonal of H_t: -1/p2
            a = _solve_matrix(buf, n, t)
            z, info = dtrtrs(a, c_y[s] * y + c_r[s], lower=0)
            if info != 0:
                raise np.linalg.LinAlgError(f"triangular solve failed (info={info})")
            hz = dtrmm(1.0, a, z) - m_diag[s][:, None] * z                        # H_t z without the diagonal
            y_new = c_ex[s] * y + c_src[s] + c_gain[s] * hz
            y_new[near[s]] += self_gain[t][:, None] * z[near[s]] / wid[near[s]]
            out.append(y_new)
        own, tot = out
    edge = resonance_edge(tg, g, M_MeV, model, m_nu_eV) if split_crossing else None
    if edge is not None:
        present = PresentCrossing(tg, edge)
        j, s = present.node, present.step
        V = steps.deposits(s)[:2 * n * n].reshape(n, 2 * n)
        row = np.zeros((2, n))                      # products into nodes 0..j per scattering at node j, t = own, both
        row[:, :j + 1] = V[j].reshape(2, n)[:, n - 1 - j:]
        own, tot = present.correct(own, row[0], loss[s, j]), present.correct(tot, row[1], loss[s, j])
    return {"unscattered": u_y, "own": own, "total": tot[:, 0]}
