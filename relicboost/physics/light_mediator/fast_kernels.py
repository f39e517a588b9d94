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

from ..transport import ChannelStep, TransportGrid
from ..units import EV_MEV
from .cross_sections import F_HEAVY, _shape, _step_shape_integral
from .models import ParticleModel
from .transport_kernels import _kernel, _step_resonance

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
    """(ln x_0 of the table, tables own/part (n_x, 3 components, 2, n offsets)): [:, :, 0] all deposits
    per offset, [:, :, 1] the part from the segment above (dropped where that segment leaves the grid)."""
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
    part_t = np.stack(out[1], axis=1)
    own_t[:, 1:] -= own_t[:, :1]  # B and R tables hold the shape minus the B = R = 0 part
    part_t[:, 1:] -= part_t[:, :1]
    return float(lnx[0]), own_t, part_t


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


@lru_cache(maxsize=8)
def _scatter_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices k n + j of (j, d) with k = j - d >= 0, and the mask of valid (j, d)."""
    j = np.arange(n)[:, None]
    d = np.arange(n)[None, :]
    valid = d <= j
    return ((j - d) * n + j)[valid], valid


def tabulated_deposits(energy: np.ndarray, kind: str, part: int | None, x: np.ndarray, B: np.ndarray,
                       R: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Deposits [k, j] of the beam-line and relic-line products of unit-normalised shapes times ``weight[j]``.

    Same as ``_Kernel.deposit(f, f_top, 1 / weight)`` of :mod:`.transport_kernels` for the shape f (whole
    shape or one part) at x[j] (log-uniform in j), with step-averaged B[j] and Re(1/D)[j] = R[j].
    """
    eb = np.ascontiguousarray(energy, dtype=float).tobytes()
    lnx0, own_t, part_t = _tables(eb, kind, part)
    K = _kernel(eb)
    n = energy.size
    idx, valid = _scatter_index(n)
    jj = np.arange(n)
    step = K.h / SUBDIVISION
    pos = (np.log(x[0]) - lnx0) / step
    i0 = int(np.floor(pos))
    rows = np.clip(jj * SUBDIVISION + i0, 0, own_t.shape[0] - 2)
    fr = np.clip(jj * SUBDIVISION + pos - rows, 0.0, 1.0)[:, None]
    k = np.stack([np.ones(n), B, R], axis=1) * weight[:, None]
    out = []
    for tab in (own_t, part_t):
        lo_row, hi_row = tab[rows], tab[rows + 1]                              # (n, 3, 2, n)
        V = (1 - fr) * np.einsum("jcd,jc->jd", lo_row[:, :, 0], k) + fr * np.einsum("jcd,jc->jd",
                                                                                    hi_row[:, :, 0], k)
        V[jj, jj] -= (1 - fr[:, 0]) * np.einsum("jc,jc->j", lo_row[jj, :, 1, jj], k) \
            + fr[:, 0] * np.einsum("jc,jc->j", hi_row[jj, :, 1, jj], k)        # node 0: segment below the grid
        V[0] = 0.0                                                             # node 0: all of it below the grid
        G = np.zeros(n * n)
        G[idx] = V[valid]
        out.append(G.reshape(n, n))
    return out[0], out[1]


def fast_light_channel_steps(tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel,
                             m_nu_eV: float = 0.05) -> Iterator[ChannelStep]:
    """Per-step kernels like :func:`.transport_kernels.light_channel_steps` (``model`` given), tabulated."""
    if not model.universal:
        raise ValueError(f"the transport needs flavour-universal couplings, got {model.couplings!r}")
    kind = model.kind
    e, wdt = tgrid.energy, tgrid.width
    gam = model.width_over_mass(g)
    m = m_nu_eV * EV_MEV
    lam = g**4 * m / (8 * np.pi * M_MeV**4) * model.strength()
    x0 = 2 * m * e / M_MeV**2
    scale = wdt[None, :] / wdt[:, None]
    for s in range(tgrid.n_steps - 1, -1, -1):
        ulo, uhi = tgrid.u[s], tgrid.u[s + 1]
        x_mid = x0 * np.exp(0.5 * (ulo + uhi))
        Bbar, rebar = _step_resonance(x0 * np.exp(ulo), x0 * np.exp(uhi), gam)
        F = _step_shape_integral(x_mid, Bbar, rebar, kind)
        loss = lam * tgrid.kappa_mid[s] * e * (np.exp(uhi) - np.exp(ulo)) * F / F_HEAVY[kind]
        own, part = tabulated_deposits(e, kind, None, x_mid, Bbar, rebar, loss / F)
        own *= scale
        part *= scale
        yield ChannelStep(loss=loss, gain_own=own, gain_both=own + part)
