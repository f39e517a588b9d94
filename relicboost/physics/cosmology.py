"""Flat Lambda-CDM background expansion.

Default parameters follow the inputs printed by the paper's authors
(H0 = 67 km s^-1 Mpc^-1, Omega_m = 0.32, Omega_Lambda = 0.68; Das,
Perez-Gonzalez, Sen, arXiv:2204.11885 Sec. III and JCAP 07 (2024) 045).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import units
from .validation import check_positive


@dataclass(frozen=True)
class Cosmology:
    """Flat Lambda-CDM cosmology (radiation neglected, valid for z <~ 1000).

    Parameters
    ----------
    H0 : float
        Hubble constant in km s^-1 Mpc^-1.
    Omega_m : float
        Matter density parameter today; Omega_Lambda = 1 - Omega_m.
    """

    H0: float = 67.0
    Omega_m: float = 0.32

    def __post_init__(self) -> None:
        check_positive("H0", self.H0)
        if not (0.0 < self.Omega_m <= 1.0):
            raise ValueError(f"Omega_m must be in (0, 1], got {self.Omega_m!r}")

    @property
    def Omega_L(self) -> float:
        """Dark-energy density parameter, 1 - Omega_m (flat universe)."""
        return 1.0 - self.Omega_m

    def E(self, z: np.ndarray | float) -> np.ndarray:
        """Dimensionless expansion rate H(z)/H0."""
        z = np.asarray(z, dtype=float)
        return np.sqrt(self.Omega_L + self.Omega_m * (1.0 + z) ** 3)

    def H(self, z: np.ndarray | float) -> np.ndarray:
        """Hubble rate H(z) in s^-1."""
        return units.hubble_rate_per_s(self.H0) * self.E(z)

    @property
    def hubble_distance_cm(self) -> float:
        """c / H0 in cm."""
        return units.C_CM_S / units.hubble_rate_per_s(self.H0)

    @property
    def hubble_distance_mpc(self) -> float:
        """c / H0 in Mpc."""
        return units.C_KM_S / self.H0
