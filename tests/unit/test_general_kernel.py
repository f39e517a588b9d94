"""Paper convention with a general cross section sigma(E) and relic-partner kernel (Eqs. IV.10, IV.11).

Checks: the general path with the heavy kernel (sigma = lam E, flat dsigma/dE_C = sigma/E_D)
reproduces the fast heavy path to round-off; IV.10 with a toy sigma = a E^2 against an
independent quad; the light-mediator energy-fraction distributions are normalised (quad);
Model.predict_mediator reduces to predict(lam) in the heavy limit and validates its inputs.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from relicboost import Model
from relicboost.physics import units
from relicboost.physics.cosmology import Cosmology
from relicboost.physics.interactions import lam_from_coupling
from relicboost.physics.light_mediator import fraction_distribution
from relicboost.physics.propagation import attenuated_dsnb, flat_kernel, upscattered_kernel, upscattered_partner
from relicboost.physics.relic import relic_number_density
from relicboost.physics.sources import fermi_dirac_spectrum
from relicboost.physics.star_formation import ccsn_rate

COS = Cosmology()
DH = COS.hubble_distance_cm


@pytest.fixture(scope="module")
def model() -> Model:
    return Model()


@pytest.fixture(scope="module")
def sources(model):
    return model._sources((6.6, 7.0, 10.0))


@pytest.mark.parametrize("lam", [1e-12, 1e-10, 1e-8])
def test_heavy_kernel_general_path_equals_fast_path(model, sources, lam):
    e = model.energy
    fast = attenuated_dsnb(model.grid, sources, lam)
    general = attenuated_dsnb(model.grid, sources, 0.0, sigma=lam * e)
    np.testing.assert_allclose(general, fast, rtol=1e-10, atol=0.0)
    psi_fast = upscattered_partner(model.grid, fast, lam)
    psi_general = upscattered_kernel(model.grid, general, flat_kernel(model.grid, lam * e))
    # the fast path's cumulative sum cancels at the top of the grid: compare on the scale of the peak
    np.testing.assert_allclose(psi_general, psi_fast, rtol=1e-10, atol=1e-12 * psi_fast.max())


def test_toy_sigma_E2_attenuation_matches_quad(model, sources):
    """IV.10 at z = 0 with sigma = a E^2: c int dz/H R F(E(1+z)) exp(-a E^2 k(z)) by nested quad."""
    a = 3e-12  # MeV^-4: optical depth ~ 1 at 20 MeV
    i = int(np.argmin(np.abs(model.energy - 20.0)))
    E = model.energy[i]
    n_rel = lambda z: float(relic_number_density(z, 2.0))  # noqa: E731

    def k(z):  # optical depth per unit sigma, MeV^2 (sigma at the un-redshifted E: printed)
        f = lambda x: n_rel(x) / ((1 + x) * float(COS.E(x)))  # noqa: E731
        return units.HBARC2_MEV2_CM2 * DH * integrate.quad(f, 0.0, z, epsrel=1e-11)[0]

    def integrand(z):
        r = float(units.per_mpc3_yr_to_per_cm3_s(ccsn_rate(z, "paper")))
        return r * float(fermi_dirac_spectrum(E * (1 + z), 7.0)) / float(COS.E(z)) * np.exp(-a * E**2 * k(z))

    ref = DH * integrate.quad(integrand, 0.0, 6.0, epsrel=1e-9, limit=200)[0]
    got = attenuated_dsnb(model.grid, sources, 0.0, sigma=a * model.energy**2)[1, 0, i]
    assert got == pytest.approx(ref, rel=1e-3)  # accuracy of the paper path vs quad: <= 0.1% (README)
    plain = attenuated_dsnb(model.grid, sources, 0.0)[1, 0, i]
    assert ref < 0.9 * plain  # the attenuation is actually tested


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
@pytest.mark.parametrize("normalise", ["paper", "tree"])
@pytest.mark.parametrize("x", [1e-4, 0.7, 1.2, 40.0, 3e3])
def test_fraction_distribution_normalised(mediator, normalise, x):
    pts = [1.0 / x, 1.0 - 1.0 / x] if x > 2 else None
    for outgoing, expected in (("partner", 1.0), ("both", 2.0)):
        f = lambda y: float(fraction_distribution(y, x, 1e-4, mediator, outgoing, normalise))  # noqa: E731
        val = integrate.quad(f, 0.0, 1.0, points=pts, limit=400, epsabs=0.0, epsrel=1e-9)[0]
        assert val == pytest.approx(expected, rel=2e-4)


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_fraction_distribution_paper_flat_tree_not_in_heavy_limit(mediator):
    y = np.linspace(0.01, 0.99, 7)
    np.testing.assert_allclose(fraction_distribution(y, 1e-9, 0.0, mediator), 1.0, rtol=1e-6)
    assert np.ptp(fraction_distribution(y, 1e-9, 0.0, mediator, normalise="tree")) > 0.5


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_predict_mediator_heavy_limit_equals_predict_lam(model, mediator):
    g, M = 0.3, 1.0  # M^2 = 1 MeV^2 >> 2 m_nu E <= 2e-5 MeV^2
    lam = lam_from_coupling(g, M)
    p_med, p_lam = model.predict_mediator(g, M, mediator), model.predict(lam)
    assert p_med.params["lam"] == pytest.approx(lam, rel=1e-12)
    assert p_med.params["mediator"] == mediator and p_med.params["M_MeV"] == M
    np.testing.assert_allclose(p_med.flux("all", "dsnb"), p_lam.flux("all", "dsnb"), rtol=1e-4)  # O(s/M^2) <= 2e-5
    sk = lambda p: p.integrated_flux("nuebar", 17.3, component="boosted")  # noqa: E731
    assert sk(p_med) == pytest.approx(sk(p_lam), rel=1e-3)  # product integration vs Simpson in ln E


@pytest.mark.parametrize("kwargs, name", [({"g": -1.0}, "g"), ({"g": 20.0}, "g"), ({"M_MeV": 0.0}, "M_MeV"),
                                          ({"m_nu_eV": 5.0}, "m_nu_eV"), ({"mediator": "tensor"}, "mediator"),
                                          ({"T_nuebar": 0.0}, "T_nuebar"), ({"normalise": "x"}, "normalise")])
def test_predict_mediator_rejects_bad_input(model, kwargs, name):
    args = {"g": 1e-3, "M_MeV": 1e-3, **kwargs}
    with pytest.raises(ValueError, match=name):
        model.predict_mediator(**args)


def test_predict_mediator_local_sigma_energy_refused():
    with pytest.raises(ValueError, match="sigma_energy"):
        Model(sigma_energy="local", energy_min=1.0).predict_mediator(1e-3, 1e-3)
