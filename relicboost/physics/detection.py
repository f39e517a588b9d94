"""Integrated and binned fluxes seen by a detector.

Integrals of a differential flux tabulated on a log-spaced grid use the
cumulative third-order rule of :mod:`relicboost.physics.quadrature` in ln E
and a cubic Hermite interpolation of the cumulative integral (whose
derivative, E * flux, is known at the nodes) for limits between nodes.
"""
from __future__ import annotations

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
