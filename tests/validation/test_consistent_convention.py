"""Validation of the ``consistent`` convention (transport equation) against independent integrals.

* optically thin limit: transport minus the unscattered DSNB equals the correctly redshifted
  single-scattering integral, written here with scipy.integrate.quad (independent of the solver);
* conservation: comoving number grows by one neutrino per scattering, comoving energy is conserved
  (book-keeping the flat-spectrum tail below the lowest grid node);
* lam = 0 gives the standard DSNB (paper path and quad), including the cross-check values of
  docs/reference-values.md (nu-bar_e above 17.3 MeV: 2.14 for T = 7 MeV, 1.64 for T = 6 MeV; Table I SFR,
  no oscillations, E_tot = 3e53 erg, H0 = 67, Omega_m = 0.32, z_max = 6; independently computed);
* grid refinement converges at second order.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from relicboost import Model
from relicboost.physics import units
from relicboost.physics.cosmology import Cosmology
from relicboost.physics.relic import relic_number_density
from relicboost.physics.star_formation import ccsn_rate

COSMO = Cosmology()
Z_MAX = 6.0
U_MAX = np.log1p(Z_MAX)
TEMPS = {"nue": 6.6, "nuebar": 7.0, "nux": 10.0}


def _rate(u):
    """c/H(z) (1+z) R(z) dz/du ... : supernovae per cm^2 s per unit u (Eq. III.8 integrand without F)."""
    z = np.expm1(u)
    return COSMO.hubble_distance_cm / COSMO.E(z) * (1 + z) * units.per_mpc3_yr_to_per_cm3_s(ccsn_rate(z, "paper"))


def _fermi_dirac(E, T, E_tot_erg=3e53):
    """dN/dE (MeV^-1) per supernova and species: E_tot/6 in a Fermi-Dirac spectrum of temperature T (MeV),
    as in paper Eq. III.6, written out here in plain floats (independent of the package, fast inside quad)."""
    norm = E_tot_erg * units.ERG_MEV / 6.0 * 120.0 / (7.0 * math.pi**4) / T**4
    return norm * E * E / (math.exp(E / T) + 1.0)


def _n_above(E, T):
    """Number of neutrinos above E (MeV) per supernova for one species at temperature T."""
    return quad(_fermi_dirac, E, 20 * T + E, args=(T,), epsabs=0, epsrel=1e-11)[0]


def _dsnb_quad(E, T):
    return quad(lambda u: _rate(u) * _fermi_dirac(E * math.exp(u), T), 0, U_MAX, epsrel=1e-10, limit=200)[0]


def _single_scattering_quad(E, species, lam, dof):
    """Boosted flux today at E (MeV) to first order in lam, flavour "none".

    A neutrino emitted at u' = ln(1+z') with comoving energy eps' > E (physical eps'(1+z')) scatters at
    u < u' with rate n(z) sigma(eps'(1+z)) c = n lam eps' (1+z) c per unit time, i.e.
    (hbar c)^2 c/H0 n(z)/E(z) e^u lam eps' per unit u.  Each scattering adds two neutrinos flat in comoving
    energy on [0, eps'] (so their density at E is 1/eps' each), and removes the parent (that part is the
    attenuation of the unscattered DSNB).  The scattered beam neutrino stays in its channel; the relic partner
    lands in any of the six relic states.  Integrating over eps' gives the number above E e^{u'} at emission:
        boosted_a(E) = lam int_0^umax du' rate(u') e^{-u'} K(u') [N_a(E e^{u'}) + N_tot(E e^{u'}) / 6],
        K(u') = int_0^u' du (hbar c)^2 (c/H0) n(z)/E(z) e^u.
    """
    def kern(u):
        z = np.expm1(u)
        return units.HBARC2_MEV2_CM2 * COSMO.hubble_distance_cm * relic_number_density(z, dof) / COSMO.E(z) * np.exp(u)

    def K(up):
        return quad(kern, 0, up, epsrel=1e-11)[0]

    def integrand(up):
        Ee = E * np.exp(up)
        n = {s: _n_above(Ee, T) for s, T in TEMPS.items()}
        tot = n["nue"] + n["nuebar"] + 4 * n["nux"]
        return _rate(up) * np.exp(-up) * K(up) * (n[species] + tot / 6.0)

    return lam * quad(integrand, 0, U_MAX, epsrel=1e-8, limit=200)[0]


@pytest.fixture(scope="module")
def thin():
    lam = 1e-15  # second-order terms are ~1e-4 of the first-order ones here
    m = Model(convention="consistent", flavour="none", relic_dof=6.0)
    return m, m.predict(lam), lam


@pytest.mark.parametrize("E", [0.05, 1.0, 5.0, 12.0, 20.0, 30.0, 40.0])
@pytest.mark.parametrize("species", ["nuebar", "nux"])
def test_optically_thin_limit_matches_single_scattering_quad(thin, E, species):
    m, p, lam = thin
    i = int(np.argmin(abs(m.energy - E)))  # compare at a grid node
    boosted = p.flux(species, "boosted")[i]
    ref = _single_scattering_quad(m.energy[i], species, lam, 6.0)
    assert boosted == pytest.approx(ref, rel=5e-3)


def test_thin_limit_far_tail_converges_with_energy_grid():
    # at 50 MeV (flux falling as exp(-E/T)) the error is dominated by the energy grid (trapezoid of the
    # flat kernel): it must fall below 0.2% at 100 points per decade
    lam = 1e-15
    m = Model(convention="consistent", flavour="none", points_per_decade=100)
    i = int(np.argmin(abs(m.energy - 50.0)))
    ref = _single_scattering_quad(m.energy[i], "nuebar", lam, 6.0)
    assert m.predict(lam).flux("nuebar", "boosted")[i] == pytest.approx(ref, rel=2e-3)


def test_thin_limit_is_linear_in_lam():
    m = Model(convention="consistent", flavour="none")
    b1 = m.predict(1e-16).flux("nuebar", "boosted")
    b2 = m.predict(1e-15).flux("nuebar", "boosted")
    np.testing.assert_allclose(b2, 10 * b1, rtol=3e-4)


def _balance(substeps, lam):
    m = Model(convention="consistent", flavour="none", substeps=substeps)
    solver = m._transport
    tg = solver.tgrid
    Q3 = solver.sources((6.6, 7.0, 10.0))
    hist = solver.transport.solve_heavy(Q3, lam, history=True)["total_history"]  # six channels, every u node
    QT = Q3 @ np.array([1.0, 1.0, 4.0])
    e, w, e0 = tg.energy, tg.width, tg.energy[0]
    rate_u = lam * tg.kappa * np.exp(tg.u)  # scatterings per unit u per (neutrino MeV^-1)
    scat = np.trapezoid((hist * e * w).sum(axis=1) * rate_u, tg.u)
    lost_n = np.trapezoid((hist * 2 * e0 * w).sum(axis=1) * rate_u, tg.u)  # 2 eps0/eps per scattering
    lost_e = np.trapezoid((hist * e0**2 * w).sum(axis=1) * rate_u, tg.u)   # eps0^2/eps per scattering
    injected_n = np.trapezoid((QT * w).sum(axis=1), tg.u)
    injected_e = np.trapezoid((QT * e * w).sum(axis=1), tg.u)
    n_today = (hist[0] * w).sum()
    e_today = (hist[0] * e * w).sum()
    return dict(scat=scat, injected=injected_n, dn=(n_today - injected_n) / (scat - lost_n) - 1,
                de=e_today / (injected_e - lost_e) - 1)


@pytest.mark.parametrize("lam", [1e-11, 1e-10])
def test_number_grows_by_one_per_scattering_and_energy_is_conserved(lam):
    b2, b4 = _balance(2, lam), _balance(4, lam)
    assert b2["scat"] > 0.5 * b2["injected"]  # multiple scattering is exercised
    # one extra neutrino per scattering, comoving energy (= energy today; redshift losses are the (1+z)
    # factor) conserved, both to time-step accuracy ...
    assert abs(b2["dn"]) < 1.5e-3 and abs(b2["de"]) < 1.5e-3
    # ... and the residual is a discretisation error: it falls ~4x when the step is halved
    assert abs(b4["dn"]) < 0.35 * abs(b2["dn"]) and abs(b4["de"]) < 0.35 * abs(b2["de"])


def test_paper_convention_does_not_conserve_energy():
    # Eq. IV.11 as printed: the energy in the boosted component is not the energy removed from the DSNB
    lam = 1e-10
    m = Model(convention="paper")
    e = m.energy
    p, p0 = m.predict(lam), m.predict(0.0)
    removed = np.trapezoid(e * (p0.flux("all", "dsnb") - p.flux("all", "dsnb")), e)
    added = np.trapezoid(e * p.flux("all", "boosted"), e)
    assert abs(added / removed - 1) > 0.05


@pytest.mark.parametrize("species", ["nue", "nuebar", "nux"])
def test_lam_zero_equals_paper_path_and_quad(species):
    e_sel = np.array([0.1, 1.0, 5.0, 10.0, 17.3, 25.0, 40.0, 60.0])
    pc = Model(convention="consistent", flavour="none").predict(0.0)
    pp = Model(convention="paper").predict(0.0)
    fc = np.interp(np.log(e_sel), np.log(pc.energy), pc.flux(species, "total"))
    fp = np.interp(np.log(e_sel), np.log(pp.energy), pp.flux(species, "total"))
    np.testing.assert_allclose(fc, fp, rtol=2e-3)
    for E in (1.0, 20.0):
        i = np.argmin(abs(pc.energy - E))
        assert pc.flux(species, "total")[i] == pytest.approx(_dsnb_quad(pc.energy[i], TEMPS[species]), rel=1e-3)


@pytest.mark.parametrize("T, expected", [(7.0, 2.14), (6.0, 1.64)])
def test_standard_dsnb_cross_check_above_sk_threshold(T, expected):
    # docs/reference-values.md, "Standard DSNB cross-check" (independently computed; +-1 in the last digit)
    p = Model(convention="consistent", flavour="none").predict(0.0, T_nuebar=T)
    assert p.integrated_flux("nuebar", 17.3) == pytest.approx(expected, abs=0.01)


def test_grid_refinement_converges_second_order():
    vals = []
    for ppd, sub in ((30, 1), (60, 2), (120, 4)):
        p = Model(convention="consistent", points_per_decade=ppd, substeps=sub).predict(1e-10)
        vals.append(np.array([p.integrated_flux("nuebar", 17.3), p.integrated_flux("all", 10.0),
                              p.integrated_flux("nuebar", 1.0, 10.0, component="boosted")]))
    d1 = np.abs(vals[0] - vals[1])
    d2 = np.abs(vals[1] - vals[2])
    assert np.all(d2 < 0.4 * d1 + 1e-12)          # second order would give 0.25
    assert np.all(d2 / np.abs(vals[2]) < 2e-3)    # default-grid (60, 1)-class accuracy is well below 1%
