"""Fixed-grid quadrature helpers used by the propagation code.

All rules assume a uniform grid in the integration variable (log-energy or
log(1+z)), which is how every grid in :mod:`relicboost.physics` is built.
"""
from __future__ import annotations

import numpy as np


def simpson_weights(n: int, h: float) -> np.ndarray:
    """Composite Simpson weights for ``n`` (odd, >= 3) equally spaced nodes of spacing ``h``."""
    if n < 3 or n % 2 == 0:
        raise ValueError(f"simpson_weights needs an odd number of nodes >= 3, got n={n}")
    w = np.full(n, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return w * h / 3.0


def cumulative_simpson_uniform(y: np.ndarray, h: float, axis: int = -1) -> np.ndarray:
    """Integral from the first node to every node, third-order accurate.

    Even nodes get composite Simpson sums; odd nodes add the one-interval
    three-point rule h/12 (5 y0 + 8 y1 - y2).  With an even number of nodes
    the last interval uses the mirrored rule h/12 (-y0 + 8 y1 + 5 y2).

    Parameters
    ----------
    y : numpy.ndarray
        Integrand on equally spaced nodes (at least 3) along ``axis``.
    h : float
        Node spacing.
    axis : int
        Integration axis.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y``; 0 at the first node.
    """
    y = np.moveaxis(np.asarray(y, dtype=float), axis, 0)
    n = y.shape[0]
    if n < 3:
        raise ValueError(f"need at least 3 nodes along the axis, got {n}")
    out = np.zeros_like(y)
    n_odd_end = n if n % 2 == 1 else n - 1  # nodes 0..n_odd_end-1 form full Simpson pairs
    blocks = (h / 3.0) * (y[0 : n_odd_end - 2 : 2] + 4.0 * y[1 : n_odd_end - 1 : 2] + y[2:n_odd_end:2])
    out[2:n_odd_end:2] = np.cumsum(blocks, axis=0)
    out[1 : n_odd_end - 1 : 2] = out[0 : n_odd_end - 2 : 2] + (h / 12.0) * (
        5.0 * y[0 : n_odd_end - 2 : 2] + 8.0 * y[1 : n_odd_end - 1 : 2] - y[2:n_odd_end:2]
    )
    if n % 2 == 0:
        out[-1] = out[-2] + (h / 12.0) * (-y[-3] + 8.0 * y[-2] + 5.0 * y[-1])
    return np.moveaxis(out, 0, axis)
