"""Physical constants and the only place where unit conversions happen.

Inside :mod:`relicboost.physics` energies are in MeV (natural units,
hbar = c = k_B = 1).  Quantities that leave the physics layer are converted
here into laboratory units: cm^-2 s^-1 MeV^-1 for differential fluxes,
cm^-2 s^-1 for integrated fluxes, events / (ton yr) for CEvNS rates.

Sources: CODATA 2018 (hbar c, k_B), PDG 2022 (G_F, parsec, Julian year).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: hbar * c in MeV cm (CODATA 2018).
HBARC_MEV_CM: float = 1.973269804e-11
#: (hbar c)^2 in MeV^2 cm^2: converts a cross section in MeV^-2 to cm^2.
HBARC2_MEV2_CM2: float = HBARC_MEV_CM**2
#: hbar in MeV s.
HBAR_MEV_S: float = 6.582119569e-22
#: speed of light in km/s and cm/s.
C_KM_S: float = 299792.458
C_CM_S: float = 2.99792458e10
#: Boltzmann constant in MeV/K.
K_B_MEV_PER_K: float = 8.617333262e-11
#: megaparsec in cm.
MPC_CM: float = 3.0856775814913673e24
#: Julian year in s.
YEAR_S: float = 3.15576e7
#: 1 erg in MeV.
ERG_MEV: float = 6.241509074e5
#: Fermi constant in MeV^-2 (PDG: 1.1663787e-5 GeV^-2).
G_F_MEV2: float = 1.1663787e-11
#: electron-volt and keV in MeV.
EV_MEV: float = 1e-6
KEV_MEV: float = 1e-3
#: electron mass in MeV (CODATA 2018).
ELECTRON_MASS_MEV: float = 0.51099895
#: atomic mass unit in MeV.
AMU_MEV: float = 931.49410242
#: metric ton in atomic mass units (1e6 g / (1.66053906660e-24 g)).
TON_IN_AMU: float = 1e6 / 1.66053906660e-24
#: femtometre in MeV^-1.
FM_INV_MEV: float = 1e-13 / HBARC_MEV_CM


def per_mpc3_yr_to_per_cm3_s(x: ArrayLike) -> np.ndarray:
    """Convert a rate density from Mpc^-3 yr^-1 to cm^-3 s^-1."""
    return np.asarray(x) / (MPC_CM**3 * YEAR_S)


def cross_section_to_cm2(sigma_mev2: ArrayLike) -> np.ndarray:
    """Convert a cross section from MeV^-2 to cm^2."""
    return np.asarray(sigma_mev2) * HBARC2_MEV2_CM2


def kelvin_to_mev(t_kelvin: ArrayLike) -> np.ndarray:
    """Convert a temperature in K to MeV."""
    return np.asarray(t_kelvin) * K_B_MEV_PER_K


def mev_to_cm_inv(e_mev: ArrayLike) -> np.ndarray:
    """Convert an energy (or inverse length) in MeV to cm^-1."""
    return np.asarray(e_mev) / HBARC_MEV_CM


def hubble_rate_per_s(h0_km_s_mpc: float) -> float:
    """Hubble constant in s^-1 from km s^-1 Mpc^-1."""
    return h0_km_s_mpc * 1e5 / MPC_CM
