"""Particle models of the (g, M) plane (relicboost.physics.light_mediator.models).

Checks: the heavy-limit factors per model (5/12, 25/36, 40/9 of the paper's Eq. II.5 sigma per relic
state, arXiv:2204.11885; 1/2 for Dirac relics) from the amplitudes (quad over t) and from the
effective operators (heavy_rates); the real-scalar analytic y-integral against |M|^2; the widths
against the partial widths; basis independence of the operator rates; model="paper" is today's path.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from relicboost import Model
from relicboost.physics import light_mediator as lm
from relicboost.physics.light_mediator.models import ParticleModel, heavy_rates

M_NU_MEV = 0.05e-6
#: process multiplicities per beam state, summed over the six relic states (identical final 1/2)
MULT = {"scalar": {"nunu_s": 1.5, "nunubar_t": 3},
        "real_scalar": {"nunu_s": 2.5, "nunu_lnv_same": 0.5, "nunu_t": 2, "nunubar_t": 3},
        "vector": {"nunu_t": 2, "nunubar_t": 2, "nunu_same": 0.5, "nunubar_same": 1, "nunubar_annihilation": 2}}
EXPECTED = {("complex-scalar", "majorana"): 5 / 12, ("complex-scalar", "dirac"): 5 / 24,
            ("real-scalar", "majorana"): 25 / 36, ("real-scalar", "dirac"): 25 / 72,
            ("vector", "majorana"): 40 / 9, ("vector", "dirac"): 20 / 9, ("paper", "majorana"): 1.0}


def _sigma_quad(E, g, M, kind):
    s = 2 * M_NU_MEV * E
    tot = 0.0
    for name, mult in MULT[kind].items():
        def f(t, name=name):
            return lm.squared_amplitudes(s, t, M, g, kind)[name] / (16 * np.pi * s**2)
        pts = [-M**2] if 0 < M**2 < s else None
        tot += mult * quad(f, -s, 0, points=pts, epsrel=1e-11, limit=400)[0]
    return tot


@pytest.mark.parametrize("name, relic", list(EXPECTED))
def test_heavy_limit_factor_per_model(name, relic):
    pm = ParticleModel(name, relic)
    g, M, E = 1e-3, 1.0, 20.0
    lam_paper = g**4 * M_NU_MEV / (8 * np.pi * M**4)
    assert pm.lam_eff(g, M, 0.05) / lam_paper == pytest.approx(EXPECTED[(name, relic)], rel=1e-12)
    assert pm.sigma(E, g, M, 0.05) == pytest.approx(EXPECTED[(name, relic)] * lam_paper * E, rel=1e-4)
    if name != "paper":  # independent: the amplitudes integrated numerically, six relic states, / 6
        chi = 0.5 if relic == "dirac" else 1.0
        assert chi * _sigma_quad(E, g, M, pm.kind) / 6 == pytest.approx(EXPECTED[(name, relic)] * lam_paper * E,
                                                                           rel=1e-4)


@pytest.mark.parametrize("E, M", [(10.0, 1.0), (10.0, 3e-3), (50.0, 1e-3), (10.0, 1e-3), (0.3, 1e-4), (5.0, 1e-4)])
def test_real_scalar_shape_integral_matches_amplitudes(E, M):
    g = 1e-3
    assert 6 * lm.sigma(E, g, M, "real_scalar", normalise="tree") == pytest.approx(
        _sigma_quad(E, g, M, "real_scalar"), rel=1e-6)


def test_real_scalar_lepton_number_violating_amplitude_vanishes_in_heavy_limit():
    s, M = 1e-12, 1.0
    t = -s * np.linspace(0, 1, 11)
    amp = lm.squared_amplitudes(s, t, M, 1.0, "real_scalar", width=False)
    # s + t + u = 0: the heavy-limit (chi chi)^2 operator of one Weyl field is zero
    assert np.max(amp["nunu_lnv_same"]) < 1e-20 * np.max(amp["nunu_s"])


@pytest.mark.parametrize("name, per_flavour", [("complex-scalar", 1 / (32 * np.pi)),
                                               ("real-scalar", 2 / (32 * np.pi)), ("vector", 1 / (24 * np.pi))])
def test_width_is_sum_of_partial_widths(name, per_flavour):
    # scalar: |M|^2 = g^2 M^2 per nu_k nu_k, Gamma_k = |M|^2/(16 pi M) x 1/2 (identical); real scalar also
    # to nubar_k nubar_k; vector: Gamma_k = g^2 M/(24 pi) (Z -> nu nubar with g_Z/2 -> g)
    g = 0.3
    assert ParticleModel(name).width_over_mass(g) == pytest.approx(3 * g**2 * per_flavour, rel=1e-12)
    kind = ParticleModel(name).kind
    assert ParticleModel(name).width_over_mass(g) == pytest.approx(float(lm.width_over_mass(g, kind)), rel=1e-12)
    # one flavour coupled: a third of the width
    assert ParticleModel(name, couplings="e").width_over_mass(g) == pytest.approx(g**2 * per_flavour, rel=1e-12)


def test_paper_model_width_is_todays_tree_width():
    for med in ("scalar", "vector"):
        assert ParticleModel("paper", mediator=med).width_over_mass(0.2) == pytest.approx(
            float(lm.width_over_mass(0.2, med)), rel=1e-14)


@pytest.mark.parametrize("kind", ["scalar", "real_scalar", "vector"])
def test_operator_rates_universal_and_basis_independent(kind):
    R = heavy_rates(kind, np.eye(3))
    np.testing.assert_allclose(R.sum(axis=1), lm.F_HEAVY[kind], rtol=1e-12)
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)))
    G = np.diag([1.0, 0.4, 0.0]).astype(complex)
    Gm = Q.conj().T @ G @ Q if kind == "vector" else Q.T @ G @ Q
    # the total rate summed over beam and relic states does not depend on the basis
    assert heavy_rates(kind, Gm).sum() == pytest.approx(heavy_rates(kind, G).sum(), rel=1e-10)


def test_single_flavour_real_scalar_equals_complex_scalar():
    pm_r, pm_c = ParticleModel("real-scalar", couplings="mu"), ParticleModel("complex-scalar", couplings="mu")
    assert pm_r.strength() == pytest.approx(pm_c.strength(), rel=1e-12)


@pytest.fixture(scope="module")
def paper_model():
    return Model(convention="paper", points_per_decade=40)


def test_predict_mediator_model_paper_is_todays_normalisation(paper_model):
    g, M = 3e-4, 1.5e-3
    today = paper_model.predict_mediator(g, M, "vector")
    explicit = paper_model.predict_mediator(g, M, "vector", model="paper")
    np.testing.assert_array_equal(today.flux("nuebar"), explicit.flux("nuebar"))
    assert today.params["lam"] == pytest.approx(g**4 * M_NU_MEV / (8 * np.pi * M**4), rel=1e-12)
    tree = paper_model.predict_mediator(g, M, "vector", normalise="tree")
    vec = paper_model.predict_mediator(g, M, model="vector")
    np.testing.assert_allclose(tree.flux("nuebar"), vec.flux("nuebar"), rtol=1e-12)
    assert "vector, majorana" in vec.params["model"]


def test_model_bad_input(paper_model):
    with pytest.raises(ValueError, match="model"):
        ParticleModel("tensor")
    with pytest.raises(ValueError, match="relic"):
        ParticleModel("vector", relic="sterile")
    with pytest.raises(ValueError, match="couplings"):
        ParticleModel("vector", couplings="x")
    with pytest.raises(ValueError, match="contradicts"):
        paper_model.predict_mediator(1e-3, 1e-3, "scalar", model="vector")


def test_predict_mediator_flags_perturbativity_and_heavy_limit(paper_model):
    p = paper_model.predict_mediator(4.0, 10.0, "vector")
    assert p.params["perturbative"] is False and p.params["heavy_limit_valid"] is True
    assert p.params["width_over_mass"] == pytest.approx(16 / (8 * np.pi))
    q = paper_model.predict_mediator(1e-4, 1e-3, "scalar")
    assert q.params["perturbative"] is True and q.params["heavy_limit_valid"] is False
