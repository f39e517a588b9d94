"""Heavy-mediator mapping lam = G_X^2 m_nu <-> (g, M), paper Eq. II.5 (arXiv:2204.11885)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from relicboost.physics.interactions import (
    coupling_from_lam,
    heavy_mediator_valid,
    lam_from_coupling,
    mandelstam_s,
    sigma_heavy,
)

M_NU_EV = 0.05
M_NU_MEV = 0.05e-6  # 0.05 eV written out by hand, independent of units.py


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_round_trip_g_lam_g(mediator):
    rng = np.random.default_rng(1)
    g = 10 ** rng.uniform(-8, 0, 200)
    M = 10 ** rng.uniform(-3, 4, 200)
    lam = lam_from_coupling(g, M, M_NU_EV, mediator)
    np.testing.assert_allclose(coupling_from_lam(lam, M, M_NU_EV, mediator), g, rtol=1e-13)


def test_round_trip_lam_g_lam():
    lam = np.array([1e-9, 1e-10, 1e-11, 1e-12])
    M = np.array([0.1, 1.0, 10.0, 100.0])
    g = coupling_from_lam(lam, M, 0.1)
    np.testing.assert_allclose(lam_from_coupling(g, M, 0.1), lam, rtol=1e-13)


def test_sigma_matches_eq_II5_with_s_equal_2mE():
    """sigma = g^4 s / (16 pi M^4), s = 2 m_nu E_nu, must equal lam * E_nu."""
    g, M = 3e-3, 7.0
    E = np.array([0.5, 5.0, 17.3, 60.0])
    s = 2.0 * M_NU_MEV * E
    sigma_eq = g**4 * s / (16.0 * math.pi * M**4)
    lam = lam_from_coupling(g, M, M_NU_EV)
    np.testing.assert_allclose(sigma_heavy(E, lam), sigma_eq, rtol=1e-12)
    np.testing.assert_allclose(mandelstam_s(E, M_NU_EV), s, rtol=1e-12)


def test_effective_coupling_definition():
    """G_X = sqrt(2/pi) g^2 / (4 M^2) and lam = G_X^2 m_nu (paper, after Eq. II.5)."""
    g, M = 0.02, 35.0
    G_X = math.sqrt(2.0 / math.pi) * g**2 / (4.0 * M**2)
    assert lam_from_coupling(g, M, M_NU_EV) == pytest.approx(G_X**2 * M_NU_MEV, rel=1e-12)


def test_scalar_and_vector_identical_in_heavy_limit():
    g = np.logspace(-6, -1, 7)
    M = np.logspace(-1, 3, 7)
    np.testing.assert_array_equal(
        lam_from_coupling(g, M, mediator="scalar"), lam_from_coupling(g, M, mediator="vector")
    )


@pytest.mark.parametrize("lam", [1e-9, 1e-12])
def test_fixed_lam_is_straight_line_slope_one(lam):
    M = np.logspace(-2, 3, 50)
    g = coupling_from_lam(lam, M)
    slope, _ = np.polyfit(np.log10(M), np.log10(g), 1)
    assert slope == pytest.approx(1.0, abs=1e-12)
    # g scales like m_nu^(-1/4) at fixed lam and M
    assert coupling_from_lam(lam, 1.0, 16 * M_NU_EV) == pytest.approx(
        coupling_from_lam(lam, 1.0, M_NU_EV) / 2.0, rel=1e-12
    )


def test_validity_boundary():
    E_max, margin = 100.0, 10.0
    M_b = math.sqrt(margin * 2.0 * M_NU_MEV * E_max)  # 0.01 MeV for these inputs
    assert M_b == pytest.approx(0.01, rel=1e-12)
    valid = heavy_mediator_valid(np.array([0.5, 0.999, 1.001, 2.0]) * M_b, M_NU_EV, E_max, margin)
    np.testing.assert_array_equal(valid, [False, False, True, True])
    assert valid.dtype == bool
    # a heavier relic neutrino pushes the boundary up as sqrt(m_nu)
    assert not heavy_mediator_valid(1.5 * M_b, 4 * M_NU_EV, E_max, margin)
    assert heavy_mediator_valid(2.001 * M_b, 4 * M_NU_EV, E_max, margin)


def test_broadcasting_shapes():
    g = np.logspace(-5, -1, 4)[:, None]
    M = np.logspace(0, 2, 3)[None, :]
    assert lam_from_coupling(g, M).shape == (4, 3)
    assert isinstance(lam_from_coupling(1e-3, 1.0), float)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: lam_from_coupling(-1e-3, 1.0), "g"),
        (lambda: lam_from_coupling(np.nan, 1.0), "g"),
        (lambda: lam_from_coupling(1e-3, 0.0), "M_MeV"),
        (lambda: lam_from_coupling(1e-3, np.inf), "M_MeV"),
        (lambda: lam_from_coupling(1e-3, 1.0, -0.05), "m_nu_eV"),
        (lambda: lam_from_coupling(1e-3, 1.0, mediator="tensor"), "mediator"),
        (lambda: coupling_from_lam(-1e-10, 1.0), "lam"),
        (lambda: coupling_from_lam(1e-10, -1.0), "M_MeV"),
        (lambda: coupling_from_lam(1e-10, 1.0, mediator="Scalar"), "mediator"),
        (lambda: heavy_mediator_valid(1.0, margin=0.0), "margin"),
        (lambda: heavy_mediator_valid(1.0, E_nu_max_MeV=-1.0), "E_nu_max_MeV"),
        (lambda: sigma_heavy(-1.0, 1e-10), "E_MeV"),
        (lambda: sigma_heavy(1.0, np.nan), "lam"),
    ],
)
def test_bad_input_raises_naming_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
