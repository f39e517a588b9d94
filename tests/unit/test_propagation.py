"""Propagation in the ``paper`` convention: Eqs. III.8, IV.10, IV.11 of arXiv:2204.11885 as printed.

Checks against independent quadrature (scipy.integrate.quad, closed forms), exact limits
(lam -> 0, linear response), conservation-type identities of the options, and convergence
under grid refinement.

Claimed accuracy of the default grid (60 energies/decade, 161 fine redshift nodes), from the
refinement test below: spectrum changes by < 0.1% (0.1-80 MeV, flux > 1e-6 of peak) and the SK-window
flux by < 0.05% when both steps are halved, for lam <= 1e-10 MeV^-3.  At lam = 1e-9 MeV^-3 the
boosted spectrum above ~5 MeV changes by ~2% and the SK-window flux by 1.8% (optical depth per redshift
step is O(1) there); that case is marked xfail(strict) until the redshift rule is improved (see
benchmarks/bench_physics.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate
from scipy.interpolate import CubicSpline

from relicboost import Model
from relicboost.physics import units
from relicboost.physics.cosmology import Cosmology
from relicboost.physics.relic import relic_number_density
from relicboost.physics.sources import fermi_dirac_spectrum
from relicboost.physics.star_formation import ccsn_rate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from reference_quad import QuadReference

COS = Cosmology()
N0 = float(relic_number_density(0.0, 2.0))  # cm^-3, g = 2 (paper preset)
DH = COS.hubble_distance_cm
R_CM3_S = lambda z: float(units.per_mpc3_yr_to_per_cm3_s(ccsn_rate(z, "paper")))  # noqa: E731


@pytest.fixture(scope="module")
def model() -> Model:
    return Model()


def dsnb_quad(E: float, T: float = 7.0) -> float:
    """Eq. III.8 at z = 0: c int_0^6 dz/H R(z) F(E(1+z)), cm^-2 s^-1 MeV^-1."""
    f = lambda z: R_CM3_S(z) * float(fermi_dirac_spectrum(E * (1 + z), T)) / float(COS.E(z))  # noqa: E731
    return DH * integrate.quad(f, 0.0, 6.0, epsabs=0.0, epsrel=1e-11, limit=200)[0]


def tau_per_lamE(z: float, local: bool = False) -> float:
    """Optical depth from z back to 0 per unit lam E (MeV^2); local=True puts sigma at E(1+z'')."""
    p = 1 if local else 0
    f = lambda x: N0 * (1 + x) ** (2 + p) / float(COS.E(x))  # noqa: E731
    return units.HBARC2_MEV2_CM2 * DH * integrate.quad(f, 0.0, z, epsabs=0.0, epsrel=1e-12)[0]


def nodes(model: Model, energies) -> np.ndarray:
    return np.array([int(np.argmin(np.abs(model.energy - e))) for e in energies])


# ----------------------------------------------------------------- lambda-independent tables
def test_optical_depth_kernel_closed_form(model):
    """int_0^z dz'' n(z'')/((1+z'')H) = n0 (c/H0) 2/(3 Omega_m) [E(z) - 1] (Eq. IV.10 exponent)."""
    g = model.grid
    exact = units.HBARC2_MEV2_CM2 * DH * N0 * 2.0 / (3.0 * COS.Omega_m) * (COS.E(g.z_fine) - 1.0)
    np.testing.assert_allclose(g.k_printed[1:], exact[1:], rtol=1e-6)  # odd nodes: 3rd-order one-step rule
    assert g.k_printed[0] == 0.0


def test_boost_weight_integrates_c_n_over_H(model):
    """sum_m boost_weight_m = (hbar c)^2 c int_0^zmax n(z)/H(z) dz (redshift measure of Eq. IV.11)."""
    ref = units.HBARC2_MEV2_CM2 * DH * integrate.quad(lambda z: N0 * (1 + z) ** 3 / float(COS.E(z)), 0, 6,
                                                       epsrel=1e-12)[0]
    assert model.grid.boost_weight.sum() == pytest.approx(ref, rel=1e-7)


# ----------------------------------------------------------------- lam = 0 and lam -> 0
@pytest.mark.parametrize("E", [0.1, 1.0, 10.0, 30.0, 60.0])
def test_standard_dsnb_matches_quad(model, E):
    """lam = 0: the grid reproduces Eq. III.8 by quad at the grid node nearest E."""
    i = nodes(model, [E])[0]
    p = model.predict(lam=0.0)
    assert p.flux("nuebar", "dsnb")[i] == pytest.approx(dsnb_quad(model.energy[i]), rel=1e-6)
    assert np.all(p.flux("all", "boosted") == 0.0)


def test_lam_to_zero_is_continuous_and_exact(model):
    p0, p = model.predict(lam=0.0), model.predict(lam=1e-300)
    for s in ("nue", "nuebar", "nux", "all"):
        np.testing.assert_array_equal(p.flux(s, "dsnb"), p0.flux(s, "dsnb"))
        np.testing.assert_array_equal(p.flux(s, "total"), p0.flux(s, "dsnb"))
        assert np.all(p.flux(s, "boosted") < 1e-250)


def test_linear_response_boosted(model):
    """At tiny lam the upscattered flux is exactly linear in lam (attenuation is O(lam^2))."""
    b1 = model.predict(lam=1e-21).flux("all", "boosted")
    b2 = model.predict(lam=1e-20).flux("all", "boosted")
    np.testing.assert_allclose(b2, 10.0 * b1, rtol=1e-6)


@pytest.mark.parametrize("sigma_energy", ["printed", "local"])
@pytest.mark.parametrize("E", [2.0, 20.0])
def test_linear_response_attenuation_matches_first_order_quad(E, sigma_energy):
    """d Phi/d lam at 0 = -c int dz/H R F(E(1+z)) E tau1(z): quad of the first-order term of Eq. IV.10."""
    m = Model(sigma_energy=sigma_energy)
    i = nodes(m, [E])[0]
    e = m.energy[i]
    lam = 1e-15
    slope = (m.predict(lam=0.0).flux("nuebar", "dsnb")[i] - m.predict(lam=lam).flux("nuebar", "dsnb")[i]) / lam
    local = sigma_energy == "local"
    def f(z):
        return R_CM3_S(z) * float(fermi_dirac_spectrum(e * (1 + z), 7.0)) / float(COS.E(z)) * e * tau_per_lamE(z, local)
    ref = DH * integrate.quad(f, 0.0, 6.0, epsrel=1e-9, limit=200)[0]
    assert slope == pytest.approx(ref, rel=1e-4)


# ------------------------------------------------------------ nested-quad reference (cheap version of the benchmark)
@pytest.mark.slow  # ~9 s on an idle core, > 10 s on the shared machine (nested quad in benchmarks/reference_quad.py)
def test_agrees_with_nested_quad_reference(model):
    """Fast engine vs benchmarks/reference_quad.py at lam = 1e-10 MeV^-3, a few energies: <= 0.3%."""
    lam = 1e-10
    idx = nodes(model, [0.3, 5.0, 25.0])  # flat part, peak, SK window
    e = model.energy[idx]
    ref = QuadReference(lam=lam, epsrel=1e-5)
    p = model.predict(lam=lam)
    np.testing.assert_allclose(p.flux("nuebar", "boosted")[idx], ref.boosted(e, "shared"), rtol=3e-3)
    for s in ("nuebar", "nux"):
        np.testing.assert_allclose(p.flux(s, "dsnb")[idx], [ref.dsnb(x, 0.0, s) for x in e], rtol=3e-3)


def test_reference_closed_form_optical_depth():
    """The reference's closed-form tau equals its own quad of the printed exponent."""
    ref = QuadReference(lam=1e-10)
    for E, z, zp in [(1.0, 0.0, 6.0), (30.0, 1.3, 4.2)]:
        assert ref.tau(E, z, zp) == pytest.approx(ref.tau_quad(E, z, zp), rel=1e-10)


# ----------------------------------------------------------------- bounds and option identities
def test_attenuation_bounds_and_monotonicity(model):
    lams = [0.0, 1e-12, 1e-11, 1e-10, 1e-9, 1e-6]
    d = np.array([model.predict(lam=x).flux("all", "dsnb") for x in lams])
    assert np.all(d >= 0.0)
    assert np.all(np.diff(d, axis=0) <= 1e-300)


@pytest.mark.parametrize("lam", [1e-12, 1e-9])
def test_boosted_nonnegative_and_nonincreasing_in_energy(model, lam):
    """psi(E_C) = int_{E_C} (positive) dE_D: non-negative and non-increasing in E_C."""
    b = model.predict(lam=lam).flux("nuebar", "boosted")
    assert np.all(b >= 0.0)
    assert np.all(np.diff(b) <= 1e-12 * b.max())


def test_species_all_is_sum_of_six(model):
    p = model.predict(lam=1e-10)
    for c in ("dsnb", "boosted", "total"):
        np.testing.assert_allclose(p.flux("all", c), p.flux("nue", c) + p.flux("nuebar", c) + 4 * p.flux("nux", c),
                                   rtol=1e-14)
    np.testing.assert_allclose(p.flux("nuebar", "total"), p.flux("nuebar", "dsnb") + p.flux("nuebar", "boosted"),
                               rtol=1e-14)


def test_outgoing_both_doubles_boosted():
    a = Model().predict(lam=1e-10)
    b = Model(outgoing="both").predict(lam=1e-10)
    np.testing.assert_allclose(b.flux("all", "boosted"), 2 * a.flux("all", "boosted"), rtol=1e-14)
    np.testing.assert_array_equal(b.flux("all", "dsnb"), a.flux("all", "dsnb"))


def test_sharing_conserves_summed_boosted_flux():
    """Democratic sharing only redistributes: the six-species sum equals that of same-species."""
    a = Model().predict(lam=1e-10)
    b = Model(sharing="same-species").predict(lam=1e-10)
    np.testing.assert_allclose(a.flux("all", "boosted"), b.flux("all", "boosted"), rtol=1e-12)
    np.testing.assert_allclose(a.flux("nue", "boosted"), a.flux("nux", "boosted"), rtol=1e-14)
    assert not np.allclose(b.flux("nue", "boosted"), b.flux("nux", "boosted"), rtol=1e-3)


def test_local_sigma_attenuates_more():
    """sigma at the blue-shifted energy E(1+z'')/(1+z) >= E: more attenuation than the printed choice."""
    a = Model().predict(lam=1e-10).flux("all", "dsnb")
    b = Model(sigma_energy="local").predict(lam=1e-10).flux("all", "dsnb")
    assert np.all(b <= a * (1 + 1e-12)) and np.any(b < 0.99 * a)
    np.testing.assert_allclose(Model(sigma_energy="local").predict(lam=0.0).flux("all", "dsnb"),
                               Model().predict(lam=0.0).flux("all", "dsnb"), rtol=1e-14)


# ----------------------------------------------------------------- convergence under grid refinement
def _max_change(coarse: Model, fine: Model, lam: float) -> tuple[float, float]:
    pc, pf = coarse.predict(lam=lam), fine.predict(lam=lam)
    sel = (coarse.energy >= 0.1) & (coarse.energy <= 80.0)
    worst = 0.0
    for s in ("nuebar", "all"):
        for c in ("dsnb", "boosted"):
            yc = pc.flux(s, c)
            if not np.any(yc > 0):
                continue
            spl = CubicSpline(np.log(fine.energy), np.log(np.maximum(pf.flux(s, c), 1e-300)))
            yf = np.exp(spl(np.log(coarse.energy)))
            m = sel & (yc > 1e-6 * yc[sel].max())
            worst = max(worst, float(np.max(np.abs(yc[m] / yf[m] - 1))))
    sk = abs(pc.integrated_flux("nuebar", 17.3) / pf.integrated_flux("nuebar", 17.3) - 1)
    return worst, sk


@pytest.fixture(scope="module")
def refined() -> Model:
    return Model(points_per_decade=120, n_z_fine=321)


@pytest.mark.parametrize("lam", [0.0, 1e-12, 1e-11, 1e-10])
def test_convergence_halving_steps(model, refined, lam):
    """Halving the ln E and ln(1+z) steps changes the spectrum by < 0.1% and the SK-window flux by < 0.05%."""
    worst, sk = _max_change(model, refined, lam)
    assert worst < 1e-3
    assert sk < 5e-4


def test_convergence_halving_steps_lam_1e9(model, refined):
    worst, _ = _max_change(model, refined, 1e-9)
    assert worst < 3e-3


def test_sk_window_converged_at_lam_1e9(model, refined):
    """At lam = 1e-9 (top of Fig. 3) the SK-window flux changes by < 2.5% under refinement (measured 1.8%):
    the stated accuracy of Fig. 3's right end with the default grid."""
    assert _max_change(model, refined, 1e-9)[1] < 2.5e-2


@pytest.fixture(scope="module")
def z_refined() -> Model:
    return Model(n_z_fine=641)


@pytest.mark.parametrize("lam", [1e-9, 1e-8, 1e-7, 1e-6])
def test_sk_window_redshift_converged_at_large_lam(model, z_refined, lam):
    """Issue 11 item 8: at lam >= 1e-8 the 161-node redshift grid was 0.26-0.78% low in the SK window
    (4.740, 4.728, 4.757 at 1e-8, 1e-7, 1e-6 against 4.752, 4.765, 4.765 with 2561 nodes).  The balance
    form of the scattering density makes the default grid agree with 4x finer redshift steps to 3e-4."""
    a = model.predict(lam).integrated_flux("nuebar", 17.3)
    b = z_refined.predict(lam).integrated_flux("nuebar", 17.3)
    assert a == pytest.approx(b, rel=3e-4)


def test_sk_window_monotone_in_lam_at_saturation(model):
    """Eq. IV.10/IV.11 as printed: the SK-window flux rises monotonically to its saturation value."""
    sk = [model.predict(lam).integrated_flux("nuebar", 17.3) for lam in (1e-9, 1e-8, 1e-7, 1e-6, 1e-5)]
    assert np.all(np.diff(sk) > 0)


def test_boosted_saturates_at_large_lam(model):
    """Eq. IV.10/IV.11 as printed: at large lam Phi_D ~ 1/lam, so psi = lam int n Phi_D tends to a
    lam-independent limit (nested-quad reference: psi(0.1 MeV) = 74.40 at lam = 1e-8 MeV^-3)."""
    i = nodes(model, [0.1])[0]
    b = [model.predict(lam=x).flux("nuebar", "boosted")[i] for x in (1e-8, 1e-6, 1e-3)]
    assert b[0] == pytest.approx(74.40, rel=0.02)
    assert b[2] / b[1] < 1.05


# ----------------------------------------------------------------- exponentially fitted Simpson weights
@pytest.mark.parametrize("t", [0.0, 1e-6, 0.05, 0.0999, 0.1, 0.5, 3.0, 40.0])
def test_fitted_simpson_weights_integrate_exp_times_quadratics_exactly(t):
    """w_j(t) = int_0^2 L_j(s) e^{-ts} ds: check against scipy quad for each Lagrange basis polynomial,
    on both sides of the series/closed-form switch at t = 0.1; t = 0 gives Simpson's 1/3, 4/3, 1/3."""
    from scipy.integrate import quad

    from relicboost.physics.propagation import fitted_simpson_weights

    basis = (lambda s: 0.5 * (s - 1) * (s - 2), lambda s: -s * (s - 2), lambda s: 0.5 * s * (s - 1))
    w = fitted_simpson_weights(np.array([t]))[:, 0]
    for j, L in enumerate(basis):
        ref = quad(lambda s: L(s) * np.exp(-t * s), 0.0, 2.0, epsabs=1e-14, epsrel=1e-13)[0]
        assert w[j] == pytest.approx(ref, rel=1e-9, abs=1e-13)
    if t == 0.0:
        np.testing.assert_allclose(w, [1 / 3, 4 / 3, 1 / 3], rtol=1e-14)
