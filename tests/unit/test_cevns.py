"""Unit tests of relicboost.physics.cevns, form factors and targets (analytic limits, consistency)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad, simpson

from relicboost.physics import cevns
from relicboost.physics.form_factors import HELM_S_FM, helm_form_factor, helm_form_factor_sq, helm_radius_fm
from relicboost.physics.targets import Isotope, Target, natural_lead
from relicboost.physics.units import AMU_MEV, FM_INV_MEV, G_F_MEV2, HBARC2_MEV2_CM2, KEV_MEV

PB208 = natural_lead().isotopes[-1]


def _fd_flux(e):
    """Smooth test flux (Fermi-Dirac, T = 8 MeV), cm^-2 s^-1 MeV^-1."""
    return 1e3 * e**2 / (1.0 + np.exp(e / 8.0))


@pytest.mark.parametrize("er_keV, expected", [(1.0, 0.9030), (3.0, 0.7334), (10.0, 0.3373)])
def test_helm_check_values_A208(er_keV, expected):
    # Helm (Lewin & Smith 1996) check values from two independent codes, docs/reference-values.md
    # "CEvNS on lead"; q = sqrt(2 m E_R), m = A u.
    q = np.sqrt(2.0 * 208 * AMU_MEV * er_keV * KEV_MEV)
    assert helm_form_factor_sq(q, 208) == pytest.approx(expected, abs=1.5e-4)


def test_helm_small_q_limit():
    # F -> 1 and 1 - F = q^2 <r^2> / 6 with <r^2> = 3/5 R1^2 + 3 s^2 (Helm = box (x) Gaussian).
    assert helm_form_factor(0.0, 208) == 1.0
    q = np.array([1e-2, 1e-1])
    r2 = (0.6 * helm_radius_fm(208) ** 2 + 3 * HELM_S_FM**2) * FM_INV_MEV**2
    np.testing.assert_allclose((1 - helm_form_factor(q, 208)) / q**2, r2 / 6, rtol=1e-4)


def test_helm_bad_input():
    with pytest.raises(ValueError, match="q_MeV"):
        helm_form_factor(-1.0, 208)


def test_natural_lead_composition():
    t = natural_lead()
    assert [i.A for i in t.isotopes] == [204, 206, 207, 208]
    assert t.mean_atomic_mass_amu == pytest.approx(207.2, abs=0.02)   # IUPAC standard atomic weight
    assert PB208.weak_charge(0.25) == 126   # Q_W = N when sin^2 = 1/4
    with pytest.raises(ValueError, match="abundances"):
        Target("bad", (Isotope(208, 82, 208.0, 0.5),))


@pytest.mark.parametrize("e_mev", [5.0, 30.0, 150.0])
def test_total_cross_section_no_form_factor_analytic(e_mev):
    # sigma = int_0^T (G^2 m Q^2/4pi)(1 - m T'/(2E^2)) dT' = (G^2 m Q^2/4pi) (T - m T^2/(4 E^2)),
    # T = 2E^2/(m + 2E): derived here independently of the code's quadrature and kinematics.
    m, qw = PB208.nuclear_mass_MeV, PB208.weak_charge(0.2387)
    tmax = 2 * e_mev**2 / (m + 2 * e_mev)
    sigma = G_F_MEV2**2 * m * qw**2 / (4 * np.pi) * (tmax - m * tmax**2 / (4 * e_mev**2)) * HBARC2_MEV2_CM2
    got = cevns.total_cross_section(e_mev, PB208, form_factor=False)
    assert got == pytest.approx(sigma, rel=1e-10)
    # low-energy limit sigma -> G^2 Q^2 E^2 / (4 pi)
    if e_mev == 5.0:
        assert got == pytest.approx(G_F_MEV2**2 * qw**2 * e_mev**2 / (4 * np.pi) * HBARC2_MEV2_CM2, rel=1e-3)
    assert cevns.total_cross_section(e_mev, PB208) < got


def test_cross_section_zero_beyond_endpoint():
    tmax = cevns.max_recoil_keV(20.0, PB208.nuclear_mass_MeV)
    assert cevns.differential_cross_section(20.0, tmax * 1.001, PB208) == 0.0
    assert cevns.differential_cross_section(20.0, tmax * 0.999, PB208) > 0.0
    assert cevns.min_neutrino_energy_MeV(tmax, PB208.nuclear_mass_MeV) == pytest.approx(20.0, rel=1e-10)


def test_spectrum_matches_direct_quadrature():
    # Response-matrix spectrum vs an obviously-correct double sum: quad over E of dsigma/dE_R * flux.
    e = np.geomspace(0.5, 200.0, 800)
    er = np.array([0.3, 1.0, 3.0, 10.0])
    got = cevns.recoil_spectrum_from_flux(e, _fd_flux(e), er)
    t = natural_lead()
    ref = np.zeros_like(er)
    for iso, n in zip(t.isotopes, t.nuclei_per_ton()):
        for j, x in enumerate(er):
            emin = cevns.min_neutrino_energy_MeV(x, iso.nuclear_mass_MeV)
            val, _ = quad(lambda ev: float(cevns.differential_cross_section(ev, x, iso)) * _fd_flux(ev),
                          emin, 200.0, limit=200, epsrel=1e-9)
            ref[j] += n * val * 3.15576e7
    np.testing.assert_allclose(got, ref, rtol=2e-4)


def test_counts_are_integral_of_spectrum_monotone_and_zero_above_endpoint():
    e = np.geomspace(0.5, 200.0, 300)
    f = _fd_flux(e)
    th = np.geomspace(0.05, 600.0, 60)
    n = cevns.counts_from_flux(e, f, th)
    assert np.all(np.diff(n) <= 0) and np.all(n >= 0)
    end = natural_lead().max_recoil_keV(200.0)
    assert np.all(n[th > end] == 0.0) and np.all(n[th < 0.9 * end] > 0)
    a, b = 1.0, 5.0
    ref, _ = quad(lambda x: float(cevns.recoil_spectrum_from_flux(e, f, x)), a, b, epsrel=1e-8)
    got = cevns.counts_from_flux(e, f, a) - cevns.counts_from_flux(e, f, b)
    assert got == pytest.approx(ref, rel=2e-4)


def test_detector_response():
    e = np.geomspace(0.5, 200.0, 300)
    f = _fd_flux(e)
    th = np.array([1.0, 2.0, 4.0])
    half = cevns.DetectorResponse(efficiency=lambda x: 0.5 * np.ones_like(x))
    np.testing.assert_allclose(cevns.counts_from_flux(e, f, th, response=half),
                               0.5 * cevns.counts_from_flux(e, f, th), rtol=1e-12)
    # Gaussian smearing conserves the number of events and, for a resolution much smaller than the
    # scale of the spectrum, shifts counts above threshold by O(sigma^2): check both.
    res = cevns.DetectorResponse(resolution_keV=0.1)
    smeared = cevns.counts_from_flux(e, f, th, response=res)
    np.testing.assert_allclose(smeared, cevns.counts_from_flux(e, f, th), rtol=3e-3)
    a, b = 2.0, 4.0
    x = np.linspace(a, b, 1001)
    ref = simpson(cevns.recoil_spectrum_from_flux(e, f, x, response=res), x=x)
    assert smeared[1] - smeared[2] == pytest.approx(ref, rel=1e-3)
    with pytest.raises(ValueError, match="efficiency"):
        cevns.counts_from_flux(e, f, 1.0, response=cevns.DetectorResponse(efficiency=lambda x: 2 + 0 * x))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_thresholds(bad):
    e = np.geomspace(0.5, 200.0, 50)
    with pytest.raises(ValueError, match="threshold_keV"):
        cevns.counts_from_flux(e, _fd_flux(e), [1.0, bad])


def test_bad_flux_and_grid():
    e = np.geomspace(0.5, 200.0, 50)
    with pytest.raises(ValueError, match="flux"):
        cevns.counts_from_flux(e, -_fd_flux(e), 1.0)
    with pytest.raises(ValueError, match="energy_MeV"):
        cevns.counts_from_flux(e[::-1], _fd_flux(e), 1.0)


def test_background_names_and_cut():
    with pytest.raises(ValueError, match="background name"):
        cevns.background_counts("reactor", 1.0)
    with pytest.raises(ValueError, match="atm_emax_MeV"):
        cevns.background_flux("atmospheric", atm_emax_MeV=5.0)
    full = cevns.background_counts("atmospheric", 3.0, atm_emax_MeV=None)
    cut = cevns.background_counts("atmospheric", 3.0)
    assert 0 < cut < full
    # 8B end point: 2 E^2/(m + 2E) at 16.36 MeV is 2.8 keV on 204Pb -> nothing above 3 keV
    assert cevns.background_counts("solar-8B", 3.0) == 0.0


def test_prediction_level_api_channels():
    from relicboost import Model
    p = Model().predict(lam=1e-10)
    th = [1.0, 2.0, 3.0]
    three = cevns.counts(p, "boosted", th)            # paper default: 3 channels
    six = cevns.counts(p, "boosted", th, boosted_channels=6)
    if p.options.get("sharing") == "democratic":
        np.testing.assert_allclose(six, 2 * three, rtol=1e-12)
    tot = cevns.counts(p, "total", th, boosted_channels=6)
    # the power-law reading between nodes is not exactly additive in the flux (measured 1e-4)
    np.testing.assert_allclose(tot, six + cevns.counts(p, "dsnb", th), rtol=1e-3)
    with pytest.raises(ValueError, match="boosted_channels"):
        cevns.counts(p, "boosted", th, boosted_channels=4)
    with pytest.raises(ValueError, match="component"):
        cevns.counts(p, "cvb", th)


def test_fig6_relic_spectrum_number_density():
    # n = (3/4)(zeta(3)/pi^2) T^3 per species ~ 56 cm^-3 at T = 1.95 K (docs/reference-values.md, Constants):
    # integrate dn/dp = (E dPhi/dE) / (c E) over p.
    from relicboost.physics.units import C_CM_S, EV_MEV
    from relicboost.results.fig6 import relic_flux_times_energy
    p = np.geomspace(1e-12, 1e-7, 20000)
    e = np.sqrt(p**2 + (0.05 * EV_MEV) ** 2)
    n = np.trapezoid(relic_flux_times_energy(p, 0.05, n_species=1) / (C_CM_S * e), p)
    assert n == pytest.approx(56.3, rel=0.01)


# --------------------------------------------------------------------------- issue 11 item 8: flux reading

def test_counts_and_spectrum_converged_in_flux_grid():
    """Reading the flux as piecewise linear in E biased counts(3 keV) by +0.4% and dR/dE_R(30 keV) by
    +0.9..2.4% on 50 nodes per decade; the power-law reading agrees with an 8x finer flux grid to 0.3%."""
    from relicboost import Model

    coarse, fine = Model().predict(1e-10), Model(points_per_decade=400).predict(1e-10)
    for comp in ("dsnb", "boosted", "total"):
        np.testing.assert_allclose(cevns.counts(coarse, comp, [1.0, 3.0, 10.0]), cevns.counts(fine, comp, [1.0, 3.0, 10.0]),
                                   rtol=3e-3)
        np.testing.assert_allclose(cevns.recoil_spectrum(coarse, comp, [3.0, 10.0, 30.0]),
                                   cevns.recoil_spectrum(fine, comp, [3.0, 10.0, 30.0]), rtol=3e-3)


def test_power_law_flux_read_exactly_between_nodes():
    """A power-law flux gives the same counts on 20 nodes per decade as on 200 to 1e-3 (the power law is
    sampled exactly; only the linear reading on its 8 sub-intervals remains; a reading linear in E
    between the 20-per-decade nodes is 1.5% off)."""
    e_coarse, e_fine = np.geomspace(0.5, 200.0, 53), np.geomspace(0.5, 200.0, 521)
    a = cevns.counts_from_flux(e_coarse, e_coarse**-2.5, [0.3, 1.0, 3.0])
    b = cevns.counts_from_flux(e_fine, e_fine**-2.5, [0.3, 1.0, 3.0])
    np.testing.assert_allclose(a, b, rtol=1e-3)
