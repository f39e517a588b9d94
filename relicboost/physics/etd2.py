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
