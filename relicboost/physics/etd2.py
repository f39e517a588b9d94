"""One redshift step of the transport equation: exponential time differencing (ETD) schemes.

Each function advances y (shape (n_E, n_src)) over one step of length du in u = ln(1+z),
for -dy/du = q(u) - a y + G y with a diagonal loss a (optical depth A = a du over the step), a
source q linear in u, and a strictly upper-triangular gain G (products only flow down in energy):

* :func:`etd2_step` - second-order ETD (ETD2) with the gain implicit at the new level (dense G);
* :func:`flat_step` - the same scheme for the flat heavy-mediator kernel in O(n_E);
* :func:`conservative_step` - gain following the exact scatterings of the step (light mediators).

See :mod:`relicboost.physics.transport` for the equation and the accuracy of each scheme.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular


def etd2_weights(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ETD2 weights for dy/ds = -a y + b(s), b linear on a step with A = a Delta s.

    Returns ``(exp(-A), phi1 - phi2, phi2)`` with phi1 = (1 - e^-A)/A and
    phi2 = (A - 1 + e^-A)/A^2, so y1 = e^-A y0 + Delta s [(phi1 - phi2) b0 + phi2 b1];
    series expansions are used for A < 1e-3.
    """
    A = np.asarray(A, dtype=float)
    small = A < 1e-3
    As = np.where(small, 1.0, A)
    em1 = np.expm1(-As)
    phi1 = np.where(small, 1.0 - A / 2.0 + A**2 / 6.0, -em1 / As)
    phi2 = np.where(small, 0.5 - A / 6.0 + A**2 / 24.0, (As + em1) / As**2)
    return np.exp(-A), phi1 - phi2, phi2


def etd2_step(y: np.ndarray, A: np.ndarray, g_off: np.ndarray | None, q_old: np.ndarray, q_new: np.ndarray,
              du: float) -> np.ndarray:
    """One ETD2 step with implicit upper-triangular gain (see module docstring).

    Parameters
    ----------
    y : numpy.ndarray
        Density at the start of the step, shape (n_E, n_src).
    A : numpy.ndarray
        Net diagonal optical depth over the step, shape (n_E,).
    g_off : numpy.ndarray or None
        Strictly upper-triangular gain per step, shape (n_E, n_E) (None: no gain).
    q_old, q_new : numpy.ndarray
        Source per unit u at the start and end of the step, shape (n_E, n_src).
    du : float
        Step length in u.
    """
    ex, w0, w1 = etd2_weights(A)
    if g_off is None:
        return ex[:, None] * y + du * (w0[:, None] * q_old + w1[:, None] * q_new)
    rhs = ex[:, None] * y + w0[:, None] * (du * q_old + g_off @ y) + w1[:, None] * (du * q_new)
    mat = -w1[:, None] * g_off
    mat[np.diag_indices(y.shape[0])] = 1.0
    return solve_triangular(mat, rhs, lower=False, unit_diagonal=True, check_finite=False)


def sum_above(x: np.ndarray) -> np.ndarray:
    """Sum over nodes strictly above each node: out[k] = sum_{j>k} x[j] (axis 0)."""
    c = np.cumsum(x[::-1], axis=0)[::-1]
    out = np.zeros_like(x)
    out[:-1] = c[1:]
    return out


def flat_step(y: np.ndarray, c: float, m: float, e: np.ndarray, wdt: np.ndarray, d: np.ndarray,
              q_old: np.ndarray, q_new: np.ndarray, du: float) -> np.ndarray:
    """ETD2 step for the flat kernel with ``m`` outgoing neutrinos followed (O(n_E)).

    Solves y_k - w1_k m c S_k = r_k with S_k = sum_{j>k} Delta_j y_j by the
    recurrence S_{k-1} = (1 + Delta_k a_k) S_k + Delta_k r_k, a_k = w1_k m c, written
    with cumulative sums of logarithms (all factors are >= 1 and bounded).
    :func:`flat_transport` runs the same step over all steps with the lam-dependent
    factors of a block of steps formed at once.
    """
    A = c * (e - m * d)
    ex, w0, w1 = etd2_weights(A)
    gain_old = (m * c) * sum_above(wdt[:, None] * y)
    r = ex[:, None] * y + w0[:, None] * (du * q_old + gain_old) + w1[:, None] * (du * q_new)
    if c == 0.0:
        return r
    a = w1 * (m * c)
    logp = np.log1p(wdt * a)
    L = np.cumsum(logp[::-1])[::-1]           # L_i = sum_{l>=i} log p_l
    Lnext = np.append(L[1:], 0.0)              # L_{k+1}
    R = wdt[:, None] * r * np.exp(-L)[:, None]  # q_i exp(-L_i)
    S = np.exp(Lnext)[:, None] * sum_above(R)      # S_k = exp(L_{k+1}) sum_{i>k} R_i
    return r + a[:, None] * S


#: Streams followed by the columns of :func:`flat_transport`: unscattered (3 species, no gain),
#: own channel (3 species, the scattered neutrino) and total over channels (both outgoing).
FLAT_STREAMS: np.ndarray = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0])
#: Redshift steps whose lam-dependent factors :func:`flat_transport` forms at once.
FLAT_BLOCK = 32


def _sum_above_last(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """:func:`sum_above` along the last axis of x into ``out`` (same summation order), whose last
    column must hold 0 (it is never written)."""
    np.cumsum(x[..., :0:-1], axis=-1, out=out[..., -2::-1])  # out[..., k] = sum_{j>k} x[..., j]
    return out


def flat_transport(Q3: np.ndarray, mult: np.ndarray, c_steps: np.ndarray, e: np.ndarray, wdt: np.ndarray,
                   d: np.ndarray, du: float, history: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """All steps of :func:`flat_step` from z_max to today for the seven columns of :data:`FLAT_STREAMS`.

    The lam-dependent factors (ETD2 weights, the recurrence's cumulative logarithms and the
    source terms) of :data:`FLAT_BLOCK` steps are formed at once, so the loop over steps is left
    with the few operations that need the current density.  Same arithmetic as :func:`flat_step`
    up to the order of products and sums (round-off level differences).

    Parameters
    ----------
    Q3 : numpy.ndarray
        Sources (n_u, n_E, 3) at the u nodes, per unit u.
    mult : numpy.ndarray
        Weights of the three sources in the total (1, 1, 4).
    c_steps : numpy.ndarray
        lam x int kappa e^u du of each step n (from u[n+1] to u[n]), shape (n_u - 1,), MeV^-1.
    e, wdt, d : numpy.ndarray
        Energy nodes, trapezoid widths and half left intervals, MeV.
    du : float
        Step in u.
    history : bool
        Also return the total column at every u node (row n_u - 1 is 0).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray or None)
        y today, shape (n_E, 7), and the history (n_u, n_E) or None.
    """
    n_steps, n_e = c_steps.size, e.size
    streams = np.array([0.0, 1.0, 2.0])
    col = np.searchsorted(streams, FLAT_STREAMS)                   # stream of each column
    y = np.zeros((FLAT_STREAMS.size, n_e))                        # columns as rows: contiguous in energy
    hist = np.zeros((n_steps + 1, n_e)) if history else None
    wy, r = np.empty_like(y), np.empty_like(y)
    gain, step = np.zeros_like(y), np.zeros_like(y)               # last columns stay 0 (_sum_above_last)
    for top in range(n_steps, 0, -FLAT_BLOCK):
        ns = np.arange(top - 1, max(top - FLAT_BLOCK, 0) - 1, -1)  # steps of this block in time order
        c = c_steps[ns]
        mc = (c[:, None] * FLAT_STREAMS)[:, :, None]               # m c of each column, (B, 7, 1)
        # A = c (e - m d) for m = 0, 1; for m = 2 it is c e_{k-1} (2 d_k = e_k - e_{k-1} exactly, d_0 = 0),
        # the m = 0 value one node down: its weights are taken from there
        A = c[:, None, None] * (e - streams[:2, None] * d)          # (B, 2, n_E)
        weights = []
        for x in etd2_weights(A):
            x3 = np.concatenate([x, x[:, :1, np.r_[0, 0:n_e - 1]]], axis=1)  # (B, 3, n_E): m = 0, 1, 2
            weights.append(x3[:, col])                              # (B, 7, n_E)
        ex, w0, w1 = weights
        a = w1 * mc
        L = np.log1p(a * wdt)
        L = np.cumsum(L[..., ::-1], axis=-1)[..., ::-1]             # L_i = sum_{l>=i} log p_l
        decay = np.exp(-L)
        decay *= wdt                                                # Delta_i exp(-L_i)
        grow = np.empty_like(L)
        np.exp(L[..., 1:], out=grow[..., :-1])
        grow[..., -1] = 1.0
        grow *= a                                                   # a_k exp(L_{k+1})
        q3 = Q3[ns[0] + 1 - np.arange(ns.size + 1)]                 # u nodes of the block, in time order
        qq = np.concatenate([q3, q3, (q3 @ mult)[..., None]], axis=-1).transpose(0, 2, 1)
        src = du * (w0 * qq[:-1] + w1 * qq[1:])
        w0 *= mc                                                    # gain weight w0 m c
        for b, n in enumerate(ns):
            np.multiply(y, wdt, out=wy)
            _sum_above_last(wy, gain)
            gain *= w0[b]
            np.multiply(ex[b], y, out=r)
            r += gain
            r += src[b]
            np.multiply(r, decay[b], out=wy)
            _sum_above_last(wy, step)
            step *= grow[b]
            np.add(r, step, out=y)
            if hist is not None:
                hist[n] = y[-1]
    return y.T, hist


def phi_functions(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """exp(-A), phi1, phi2, phi3 (phi3 = (A^2/2 - A + 1 - e^-A)/A^3), series for A < 1e-2."""
    A = np.asarray(A, dtype=float)
    small = A < 1e-2
    As = np.where(small, 1.0, A)
    em1 = np.expm1(-As)
    phi1 = np.where(small, 1 - A / 2 + A**2 / 6 - A**3 / 24, -em1 / As)
    phi2 = np.where(small, 0.5 - A / 6 + A**2 / 24 - A**3 / 120, (As + em1) / As**2)
    phi3 = np.where(small, 1 / 6 - A / 24 + A**2 / 120 - A**3 / 720, (As**2 / 2 - As - em1) / As**3)
    return np.exp(-A), phi1, phi2, phi3


def conservative_step(y: np.ndarray, A: np.ndarray, g_off: np.ndarray, q_old: np.ndarray, q_new: np.ndarray,
                      du: float) -> np.ndarray:
    """One step of the conservative scheme of :meth:`relicboost.physics.transport.ConsistentTransport.solve_conservative`."""
    A = np.maximum(A, 0.0)
    ex, p1, p2, p3 = phi_functions(A)
    r = p1[:, None] * y + du * ((p2 - p3)[:, None] * q_old + p3[:, None] * q_new)
    mat = -p2[:, None] * g_off
    mat[np.diag_indices(y.shape[0])] = 1.0
    ybar = solve_triangular(mat, r, lower=False, unit_diagonal=True, check_finite=False)
    gain = g_off @ ybar
    return ex[:, None] * y + du * ((p1 - p2)[:, None] * q_old + p2[:, None] * q_new) + p1[:, None] * gain
