"""Supernova spectrum per species, paper Eq. III.6 (arXiv:2204.11885, Sec. III)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from relicboost.physics.sources import SPECIES, fermi_dirac_spectrum, species_multiplicity

ERG_IN_MEV = 1.0 / 1.602176634e-6  # 1 erg / (1 MeV = 1.602176634e-13 J = 1.602176634e-6 erg), typed independently
ZETA3 = 1.2020569031595942
MEAN_OVER_T = 7.0 * math.pi**4 / (180.0 * ZETA3)  # <E>/T of a zero-potential Fermi-Dirac spectrum, 3.1514


def _moment(k: int, T: float, E_tot: float) -> float:
    """int_0^inf E^k F(E) dE by adaptive quadrature (MeV^k)."""
    f = lambda e: e**k * float(fermi_dirac_spectrum(e, T, E_tot))  # noqa: E731
    return integrate.quad(f, 0.0, 80.0 * T, epsabs=0.0, epsrel=1e-11, limit=200)[0]


def test_mean_energy_constant_value():
    """7 pi^4/(180 zeta(3)) = 3.1514 (textbook value for a Fermi-Dirac spectrum with zero chemical potential)."""
    assert MEAN_OVER_T == pytest.approx(3.15137, abs=1e-5)


@pytest.mark.parametrize("T", [3.0, 6.6, 7.0, 10.0])
def test_energy_per_species_is_one_sixth_of_E_tot(T):
    """int E F(E) dE = E_tot / 6 (each of the six species carries a sixth)."""
    E_tot = 3e53
    assert _moment(1, T, E_tot) == pytest.approx(E_tot * ERG_IN_MEV / 6.0, rel=1e-8)


@pytest.mark.parametrize("T", [4.0, 7.0, 10.0])
def test_mean_energy_fermi_dirac(T):
    """<E> = int E F / int F = 7 pi^4 T / (180 zeta(3))."""
    assert _moment(1, T, 3e53) / _moment(0, T, 3e53) == pytest.approx(MEAN_OVER_T * T, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(T=st.floats(0.5, 50.0), log_e_tot=st.floats(50.0, 56.0))
def test_energy_normalisation_property(T, log_e_tot):
    """Normalisation holds for any temperature and total energy (hypothesis)."""
    E_tot = 10.0**log_e_tot
    assert _moment(1, T, E_tot) == pytest.approx(E_tot * ERG_IN_MEV / 6.0, rel=1e-7)


def test_shape_low_and_high_energy_limits():
    """F ~ E^2/2 at E << T, F ~ E^2 exp(-E/T) at E >> T; no overflow far in the tail."""
    T, E_tot = 7.0, 3e53
    norm = E_tot * ERG_IN_MEV / 6.0 * 120.0 / (7.0 * math.pi**4) / T**4
    e = np.array([1e-6, 1e-4])
    np.testing.assert_allclose(fermi_dirac_spectrum(e, T, E_tot), norm * e**2 / 2.0, rtol=1e-4)
    e = np.array([300.0, 700.0])
    np.testing.assert_allclose(fermi_dirac_spectrum(e, T, E_tot), norm * e**2 * np.exp(-e / T), rtol=1e-9)
    far = fermi_dirac_spectrum(np.array([0.0, 1e4, 1e7]), T, E_tot)
    assert np.all(np.isfinite(far)) and far[0] == 0.0 and far[-1] == 0.0


def test_scales_linearly_with_E_tot():
    e = np.geomspace(0.1, 100, 7)
    np.testing.assert_allclose(fermi_dirac_spectrum(e, 6.0, 6e53), 2.0 * fermi_dirac_spectrum(e, 6.0, 3e53), rtol=1e-14)


def test_species_count_is_six():
    """nu_e, anti-nu_e and four heavy-lepton species nu_x (paper Sec. III)."""
    assert sum(species_multiplicity(s) for s in SPECIES) == 6
    assert species_multiplicity("nux") == 4


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_temperature(bad):
    with pytest.raises(ValueError, match="T"):
        fermi_dirac_spectrum(1.0, bad)


@pytest.mark.parametrize("bad", [0.0, -3e53, float("nan"), float("inf")])
def test_bad_E_tot(bad):
    with pytest.raises(ValueError, match="E_tot"):
        fermi_dirac_spectrum(1.0, 7.0, bad)


def test_unknown_species():
    with pytest.raises(ValueError, match="species"):
        species_multiplicity("numu")
