"""Nuclear form factors for coherent elastic neutrino-nucleus scattering.

Helm form factor with the Lewin & Smith (1996) parametrisation
(Astropart. Phys. 6 (1996) 87, Sec. 4):

    F(q) = 3 j1(q R1) / (q R1) * exp(-q^2 s^2 / 2),
    R1 = sqrt(c^2 + (7/3) pi^2 a^2 - 5 s^2),  c = 1.23 A^(1/3) - 0.60 fm,
    a = 0.52 fm, s = 0.9 fm.

Momentum transfer q in MeV (natural units); the fm -> MeV^-1 conversion uses
:data:`relicboost.physics.units.FM_INV_MEV`.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .units import FM_INV_MEV

#: Lewin-Smith Helm parameters, fm.
HELM_S_FM: float = 0.9
HELM_A_FM: float = 0.52


def helm_radius_fm(A: float) -> float:
    """Helm box radius R1 in fm for mass number ``A`` (Lewin & Smith 1996)."""
    if not (np.isfinite(A) and A >= 1):
        raise ValueError(f"A must be a mass number >= 1, got {A!r}")
    c = 1.23 * A ** (1.0 / 3.0) - 0.60
    return float(np.sqrt(c * c + 7.0 / 3.0 * np.pi**2 * HELM_A_FM**2 - 5.0 * HELM_S_FM**2))


def helm_form_factor(q_MeV: ArrayLike, A: float) -> np.ndarray:
    """Helm form factor F(q) (dimensionless, F(0) = 1).

    Parameters
    ----------
    q_MeV : array_like
        Momentum transfer |q| in MeV (>= 0).
    A : float
        Mass number.

    Returns
    -------
    numpy.ndarray
        F(q), same shape as ``q_MeV``.
    """
    q = np.asarray(q_MeV, dtype=float)
    if np.any(~np.isfinite(q)) or np.any(q < 0):
        raise ValueError("q_MeV must be finite and >= 0")
    x = q * helm_radius_fm(A) * FM_INV_MEV
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    j1_over_x = np.where(small, (1.0 - x * x / 10.0) / 3.0,
                         (np.sin(xs) - xs * np.cos(xs)) / xs**3)
    qs = q * HELM_S_FM * FM_INV_MEV
    return 3.0 * j1_over_x * np.exp(-0.5 * qs * qs)


def helm_form_factor_sq(q_MeV: ArrayLike, A: float) -> np.ndarray:
    """Squared Helm form factor F^2(q) (what enters the CEvNS rate)."""
    f = helm_form_factor(q_MeV, A)
    return f * f
