"""Neutrino emission of one core-collapse supernova (paper Eq. III.6).

Each of the six species (nu_e, anti-nu_e and the four heavy-lepton species
nu_x) carries E_tot / 6 with a Fermi-Dirac spectrum of zero chemical
potential and temperature T:

    F(E) = (E_tot / 6) * 120 / (7 pi^4) * E^2 / T^4 / (exp(E/T) + 1)   [MeV^-1]

so that int E F(E) dE = E_tot / 6 and <E> = (7 pi^4 / (180 zeta(3))) T
~= 3.151 T.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from . import units
from .validation import check_choice, check_positive

#: Species with their multiplicity in the total of six.
SPECIES: dict[str, int] = {"nue": 1, "nuebar": 1, "nux": 4}
#: Default temperatures in MeV (paper Sec. III).
DEFAULT_TEMPERATURES_MEV: dict[str, float] = {"nue": 6.6, "nuebar": 7.0, "nux": 10.0}
#: Default total energy in all neutrinos per supernova, erg (arXiv:2403.15367).
DEFAULT_E_TOT_ERG: float = 3e53


def fermi_dirac_spectrum(energy_MeV: ArrayLike, T_MeV: float, E_tot_erg: float = DEFAULT_E_TOT_ERG) -> np.ndarray:
    """Number spectrum of one species emitted by one supernova.

    Parameters
    ----------
    energy_MeV : array_like
        Neutrino energy in MeV (>= 0).
    T_MeV : float
        Spectral temperature in MeV (> 0).
    E_tot_erg : float
        Total energy emitted in all six species, erg (> 0).

    Returns
    -------
    numpy.ndarray
        dN/dE in MeV^-1 (number of neutrinos per MeV, per supernova).
    """
    check_positive("T", T_MeV)
    check_positive("E_tot", E_tot_erg)
    e = np.asarray(energy_MeV, dtype=float)
    x = e / T_MeV
    norm = E_tot_erg * units.ERG_MEV / 6.0 * 120.0 / (7.0 * np.pi**4) / T_MeV**4
    # expit(-x) = 1/(exp(x)+1) without overflow
    return norm * e**2 * expit(-x)


def failed_sn_emission() -> dict[str, float]:
    """Emission of a black-hole-forming (failed) core collapse, as ``Model.predict`` overrides.

    Temperatures T_nue, T_nuebar, T_nux (MeV) and E_tot (erg) of ``relicboost/data/failed_supernovae.csv``
    (hotter than the standard spectra; values to-confirm, sources in the file).  A fraction f of core
    collapses with this emission gives the DSNB (1 - f) x standard + f x failed (the transport is
    linear in the source), see :class:`relicboost.likelihoods.dsnb_detectors.DSNBDetector`.
    """
    from relicboost.data import load_table

    table = load_table("failed_supernovae", required_columns=("parameter", "value"))
    values = dict(zip(table["parameter"], table["value"].astype(float)))
    return {k: float(values[k]) for k in ("T_nue", "T_nuebar", "T_nux", "E_tot")}


def failed_sn_fraction_prior() -> tuple[float, float]:
    """(mean, sigma) of the Gaussian prior on the failed-supernova fraction (``failed_supernovae.csv``)."""
    from relicboost.data import load_table

    table = load_table("failed_supernovae", required_columns=("parameter", "value"))
    values = dict(zip(table["parameter"], table["value"].astype(float)))
    return float(values["fraction_prior_mean"]), float(values["fraction_prior_sigma"])


def species_multiplicity(species: str) -> int:
    """Number of the six species a species name stands for (nux -> 4)."""
    check_choice("species", species, SPECIES)
    return SPECIES[species]
