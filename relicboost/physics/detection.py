"""Integrated and binned fluxes seen by a detector.

Integrals of a differential flux tabulated on a log-spaced grid use the
cumulative third-order rule of :mod:`relicboost.physics.quadrature` in ln E
and a cubic Hermite interpolation of the cumulative integral (whose
derivative, E * flux, is known at the nodes) for limits between nodes.

Both integrals are linear in the flux: :func:`integration_weights` and
:func:`binned_weights` return that linear map for a fixed grid and window
(the same rule applied to the unit vectors), so a caller that integrates many
fluxes on one grid builds it once and then needs one dot product per flux;
:class:`WindowWeights` keeps those maps for one grid (a Model gives one to each
of its predictions, so a likelihood in a fit integrates with a dot product).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.interpolate import CubicHermiteSpline

from .quadrature import cumulative_simpson_uniform

#: Super-Kamiokande DSNB search window lower edge, MeV (SK-IV, arXiv:2109.11174).
SK_THRESHOLD_MEV: float = 17.3


def cumulative_flux(energy_MeV: np.ndarray, flux: np.ndarray) -> CubicHermiteSpline:
    """Cumulative integral of ``flux`` as a function of ln E.

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        Log-spaced energies in MeV.
    flux : numpy.ndarray
        Differential flux at those energies, cm^-2 s^-1 MeV^-1.

    Returns
    -------
    scipy.interpolate.CubicHermiteSpline
        C(ln E) = int_{E_0}^{E} flux dE' in cm^-2 s^-1.
    """
    x = np.log(energy_MeV)
    y = flux * energy_MeV
    c = cumulative_simpson_uniform(y, float(x[1] - x[0]))
    return CubicHermiteSpline(x, c, y)


def check_range(energy_MeV: np.ndarray, lo: float, hi: float, what: str) -> None:
    """Raise ValueError if [lo, hi] is not inside the tabulated energy range."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi <= lo:
        raise ValueError(f"{what}: need 0 <= emin < emax finite, got emin={lo!r}, emax={hi!r}")
    e0, e1 = float(energy_MeV[0]), float(energy_MeV[-1])
    tol = 1e-9 * e1
    if lo < e0 - tol or hi > e1 + tol:
        raise ValueError(
            f"{what}: energy range [{lo}, {hi}] MeV is outside the prediction grid [{e0:g}, {e1:g}] MeV; "
            "build the Model with a smaller energy_min"
        )


def integrated_flux(energy_MeV: np.ndarray, flux: np.ndarray, emin: float, emax: float | None = None) -> float:
    """Flux integrated between ``emin`` and ``emax`` (default: grid end), cm^-2 s^-1."""
    emax = float(energy_MeV[-1]) if emax is None else float(emax)
    check_range(energy_MeV, float(emin), emax, "integrated_flux")
    c = cumulative_flux(energy_MeV, flux)
    lo, hi = np.log(max(emin, energy_MeV[0])), np.log(min(emax, energy_MeV[-1]))
    return float(c(hi) - c(lo))


def binned_flux(energy_MeV: np.ndarray, flux: np.ndarray, edges_MeV: ArrayLike) -> np.ndarray:
    """Mean differential flux in each bin, cm^-2 s^-1 MeV^-1.

    Parameters
    ----------
    energy_MeV, flux : numpy.ndarray
        Tabulated differential flux (MeV, cm^-2 s^-1 MeV^-1).
    edges_MeV : array_like
        Increasing bin edges in MeV, inside the tabulated range.
    """
    edges = np.asarray(edges_MeV, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges_MeV must be a strictly increasing 1-D array of >= 2 edges, got {edges_MeV!r}")
    check_range(energy_MeV, float(edges[0]), float(edges[-1]), "binned_flux")
    c = cumulative_flux(energy_MeV, flux)
    x = np.log(np.clip(edges, energy_MeV[0], energy_MeV[-1]))
    return np.diff(c(x)) / np.diff(edges)


def _cumulative_basis(energy_MeV: np.ndarray) -> CubicHermiteSpline:
    """:func:`cumulative_flux` of every unit vector at once (spline with one column per energy node)."""
    e = np.asarray(energy_MeV, dtype=float)
    x = np.log(e)
    y = np.eye(e.size) * e[:, None]  # column k: E * (unit flux at node k)
    c = cumulative_simpson_uniform(y, float(x[1] - x[0]), axis=0)
    return CubicHermiteSpline(x, c, y, axis=0)


def integration_weights(energy_MeV: np.ndarray, emin: float, emax: float | None = None) -> np.ndarray:
    """Weights w (MeV) with ``integrated_flux(energy_MeV, flux, emin, emax) == w @ flux`` to round-off.

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        Log-spaced energies in MeV.
    emin, emax : float
        Integration window in MeV (emax default: grid end), inside the grid.

    Returns
    -------
    numpy.ndarray
        Shape (n_E,), MeV: the integration rule of :func:`integrated_flux` as a linear map.
    """
    emax = float(energy_MeV[-1]) if emax is None else float(emax)
    check_range(energy_MeV, float(emin), emax, "integration_weights")
    c = _cumulative_basis(energy_MeV)
    lo, hi = np.log(max(emin, energy_MeV[0])), np.log(min(emax, energy_MeV[-1]))
    return np.asarray(c(hi) - c(lo), dtype=float)


def binned_weights(energy_MeV: np.ndarray, edges_MeV: ArrayLike) -> np.ndarray:
    """Matrix W with ``binned_flux(energy_MeV, flux, edges_MeV) == W @ flux`` to round-off.

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        Log-spaced energies in MeV.
    edges_MeV : array_like
        Increasing bin edges in MeV, inside the tabulated range.

    Returns
    -------
    numpy.ndarray
        Shape (n_bins, n_E), dimensionless (mean flux per bin from the flux at the nodes).
    """
    edges = np.asarray(edges_MeV, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges_MeV must be a strictly increasing 1-D array of >= 2 edges, got {edges_MeV!r}")
    check_range(energy_MeV, float(edges[0]), float(edges[-1]), "binned_weights")
    c = _cumulative_basis(energy_MeV)
    x = np.log(np.clip(edges, energy_MeV[0], energy_MeV[-1]))
    return np.diff(c(x), axis=0) / np.diff(edges)[:, None]


class WindowWeights:
    """Integration weights of detector windows on one energy grid, each built once.

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        The grid (log-spaced energies in MeV); not copied, must not be modified.
    max_windows : int
        Bound of the cache: beyond it the least recently used window is dropped.

    Notes
    -----
    A window is validated when its weights are built (same errors as :func:`integrated_flux`
    and :func:`binned_flux`); later calls with the same window skip the checks.
    """

    def __init__(self, energy_MeV: np.ndarray, max_windows: int = 16) -> None:
        self.energy = energy_MeV
        self.max_windows = int(max_windows)
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def _get(self, key: tuple, build: Callable[[], np.ndarray]) -> np.ndarray:
        w = self._cache.get(key)
        if w is None:
            w = self._cache[key] = build()
            if len(self._cache) > self.max_windows:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return w

    def integrated(self, emin: float, emax: float | None = None) -> np.ndarray:
        """Weights of :func:`integrated_flux` over [emin, emax] MeV (emax default: grid end), MeV."""
        key = ("integrated", float(emin), None if emax is None else float(emax))

        def build() -> np.ndarray:
            hi = float(self.energy[-1]) if emax is None else float(emax)
            check_range(self.energy, float(emin), hi, "integrated_flux")
            return integration_weights(self.energy, emin, emax)

        return self._get(key, build)

    def binned(self, edges_MeV: ArrayLike) -> np.ndarray:
        """Matrix of :func:`binned_flux` for the bin edges ``edges_MeV`` (MeV), shape (n_bins, n_E)."""
        edges = np.asarray(edges_MeV, dtype=float)
        key = ("binned", edges.shape, edges.tobytes())

        def build() -> np.ndarray:
            if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
                raise ValueError(f"edges_MeV must be a strictly increasing 1-D array of >= 2 edges, got {edges_MeV!r}")
            check_range(self.energy, float(edges[0]), float(edges[-1]), "binned_flux")
            return binned_weights(self.energy, edges)

        return self._get(key, build)
