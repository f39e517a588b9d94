"""Target nuclei for CEvNS, described by data (isotopes, abundances, masses).

A :class:`Target` is a frozen (hashable) list of :class:`Isotope` objects plus
the weak mixing angle, so it can key response-matrix caches.  Natural lead is
read from ``relicboost/data/lead_isotopes.csv`` (IUPAC 2013 abundances,
AME2020 masses); another nucleus is added by shipping a table with the same
columns (A, Z, mass_amu, abundance) and calling :meth:`Target.from_table`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..data.cells import cell_float, cell_int
from ..data.loader import load_table
from ..data.references import cached_loader
from .units import AMU_MEV, ELECTRON_MASS_MEV, KEV_MEV, TON_IN_AMU

#: Default weak mixing angle sin^2(theta_W) for CEvNS (common low-energy choice; PDG 0.23857).
SIN2_THETA_W_DEFAULT: float = 0.2387


def max_recoil_keV(energy_MeV: ArrayLike, mass_MeV: float) -> np.ndarray:
    """Kinematic end point 2 E^2 / (m_N + 2 E) in keV for neutrino energy ``energy_MeV`` (MeV).

    Parameters
    ----------
    energy_MeV : array_like
        Neutrino energy, MeV.
    mass_MeV : float
        Nuclear mass m_N, MeV.

    Returns
    -------
    numpy.ndarray
        Largest nuclear recoil energy, keV.
    """
    e = np.asarray(energy_MeV, dtype=float)
    return 2.0 * e * e / (mass_MeV + 2.0 * e) / KEV_MEV


@dataclass(frozen=True)
class Isotope:
    """One isotope of a target.

    Attributes
    ----------
    A, Z : int
        Mass and proton numbers.
    mass_amu : float
        Neutral-atom mass in u.
    abundance : float
        Atom fraction in the target (0..1).
    """

    A: int
    Z: int
    mass_amu: float
    abundance: float

    @property
    def N(self) -> int:
        """Neutron number."""
        return self.A - self.Z

    @property
    def nuclear_mass_MeV(self) -> float:
        """Nuclear mass m_N in MeV (atomic mass minus Z electron masses)."""
        return self.mass_amu * AMU_MEV - self.Z * ELECTRON_MASS_MEV

    def weak_charge(self, sin2_theta_w: float) -> float:
        """Q_W = N - Z (1 - 4 sin^2 theta_W) (paper Eq. V.13, Z = protons)."""
        return self.N - self.Z * (1.0 - 4.0 * sin2_theta_w)


@dataclass(frozen=True)
class Target:
    """A detector material: isotopes with abundances and the weak mixing angle.

    Attributes
    ----------
    name : str
    isotopes : tuple of Isotope
    sin2_theta_w : float
        Weak mixing angle used in Q_W (default 0.2387).
    """

    name: str
    isotopes: tuple
    sin2_theta_w: float = SIN2_THETA_W_DEFAULT

    def __post_init__(self) -> None:
        if not self.isotopes:
            raise ValueError("isotopes: need at least one isotope")
        ab = np.array([i.abundance for i in self.isotopes])
        if np.any(ab < 0) or abs(ab.sum() - 1.0) > 1e-3:
            raise ValueError(f"isotopes: abundances must be >= 0 and sum to 1 (within 1e-3), got {ab.sum():.6f}")
        if not (0.0 < self.sin2_theta_w < 0.5):
            raise ValueError(f"sin2_theta_w must be in (0, 0.5), got {self.sin2_theta_w!r}")

    @classmethod
    def from_table(cls, table: str, name: str | None = None,
                   sin2_theta_w: float = SIN2_THETA_W_DEFAULT) -> Target:
        """Build a target from a shipped isotope table (columns A, Z, mass_amu, abundance)."""
        df = load_table(table, required_columns=("A", "Z", "mass_amu", "abundance"))
        iso = tuple(Isotope(cell_int(r.A), cell_int(r.Z), cell_float(r.mass_amu), cell_float(r.abundance))
                    for r in df.itertuples(index=False))
        return cls(name or table, iso, float(sin2_theta_w))

    @property
    def mean_atomic_mass_amu(self) -> float:
        """Abundance-weighted atomic mass in u (207.2 for natural lead)."""
        return float(sum(i.abundance * i.mass_amu for i in self.isotopes))

    def nuclei_per_ton(self) -> np.ndarray:
        """Number of nuclei of each isotope in one metric ton of target material."""
        n_tot = TON_IN_AMU / self.mean_atomic_mass_amu
        return np.array([i.abundance * n_tot for i in self.isotopes])

    def max_recoil_keV(self, energy_MeV: float) -> float:
        """Largest recoil energy (keV) any isotope can receive from a neutrino of ``energy_MeV``."""
        m = min(i.nuclear_mass_MeV for i in self.isotopes)
        return float(max_recoil_keV(energy_MeV, m))


@cached_loader(maxsize=8)
def natural_lead(sin2_theta_w: float = SIN2_THETA_W_DEFAULT) -> Target:
    """Natural lead (204/206/207/208Pb) from ``lead_isotopes.csv``."""
    return Target.from_table("lead_isotopes", name="natural lead", sin2_theta_w=sin2_theta_w)
