"""The cosmic neutrino background (paper Eq. III.9).

n(z) = (3/4) (zeta(3)/pi^2) g T_nu^3 (1+z)^3 with T_nu = 1.95 K today.
The number of degrees of freedom ``g`` is an explicit choice: the paper does
not state it. ``g = 1`` is one helicity state of one species (~56.3 cm^-3),
``g = 2`` one neutrino species with its antineutrino (~112.6 cm^-3; the
``paper`` preset, see docs/conventions.md), ``g = 6`` all three flavours of
neutrinos and antineutrinos (~338 cm^-3).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import zeta

from . import units
from .validation import check_positive

#: CvB temperature today in K (paper Sec. III).
T_CNB_K: float = 1.95


def relic_temperature_MeV(T_K: float = T_CNB_K) -> float:
    """Relic neutrino temperature today in MeV."""
    return float(units.kelvin_to_mev(T_K))


def relic_number_density(z: ArrayLike = 0.0, dof: float = 2.0, T_K: float = T_CNB_K) -> np.ndarray:
    """Physical number density of relic neutrinos.

    Parameters
    ----------
    z : array_like
        Redshift (>= 0).
    dof : float
        Degrees of freedom g counted in Eq. III.9 (> 0).
    T_K : float
        Temperature today in K.

    Returns
    -------
    numpy.ndarray
        n(z) in cm^-3.
    """
    check_positive("relic_dof", dof)
    check_positive("T_K", T_K)
    t_cm = units.mev_to_cm_inv(relic_temperature_MeV(T_K))
    n0 = 0.75 * zeta(3.0) / np.pi**2 * dof * t_cm**3
    return n0 * (1.0 + np.asarray(z, dtype=float)) ** 3
