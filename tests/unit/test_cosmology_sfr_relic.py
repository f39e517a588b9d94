"""Cosmology H(z), star formation / CCSN rate (paper Eq. III.7, Table I) and relic density (Eq. III.9).

Expected values are computed here from textbook constants typed independently of
relicboost.physics.units, or from exact properties of the broken power law.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relicboost.physics.cosmology import Cosmology
from relicboost.physics.relic import relic_number_density, relic_temperature_MeV
from relicboost.physics.star_formation import MSUN_PER_CCSN, SFR_MODELS, ccsn_rate

ZETA3 = 1.2020569031595942
K_B_EV_PER_K = 8.617333262e-5  # CODATA 2018, exact-ish
HBARC_EV_CM = 1.973269804e-5  # CODATA 2018


# ----------------------------------------------------------------- relic neutrinos, Eq. III.9
def test_relic_temperature_is_0p168_meV():
    """T = 1.95 K = 0.168 meV (paper Sec. III quotes ~0.17 meV)."""
    assert relic_temperature_MeV() * 1e9 == pytest.approx(1.95 * K_B_EV_PER_K * 1e3, rel=1e-9)
    assert relic_temperature_MeV() * 1e9 == pytest.approx(0.168, abs=0.001)


def test_relic_density_per_dof_56_and_112():
    """n = (3/4) zeta(3)/pi^2 g T^3: 56.4 cm^-3 per degree of freedom at T = 1.95 K, 112.8 for g = 2."""
    t_cm = 1.95 * K_B_EV_PER_K / HBARC_EV_CM
    n1 = 0.75 * ZETA3 / math.pi**2 * t_cm**3
    assert n1 == pytest.approx(56.4, abs=0.05)
    assert float(relic_number_density(0.0, dof=1.0)) == pytest.approx(n1, rel=1e-8)
    assert float(relic_number_density(0.0, dof=2.0)) == pytest.approx(112.8, abs=0.1)
    assert float(relic_number_density(0.0, dof=6.0)) == pytest.approx(6 * n1, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(z=st.floats(0.0, 1000.0))
def test_relic_density_dilutes_as_a_cubed(z):
    """n(z) = n0 (1+z)^3 (free streaming, number conserved per comoving volume)."""
    assert float(relic_number_density(z)) == pytest.approx(float(relic_number_density(0.0)) * (1 + z) ** 3, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -2.0, float("nan")])
def test_relic_bad_dof(bad):
    with pytest.raises(ValueError, match="relic_dof"):
        relic_number_density(0.0, dof=bad)


# ----------------------------------------------------------------- cosmology
def test_hubble_rate_today():
    """H0 = 67 km/s/Mpc = 2.1713e-18 s^-1; c/H0 = 4474.5 Mpc (paper Sec. III, Planck 2018)."""
    c = Cosmology()
    mpc_km = 3.0856775814913673e19
    assert float(c.H(0.0)) == pytest.approx(67.0 / mpc_km, rel=1e-12)
    assert c.hubble_distance_mpc == pytest.approx(299792.458 / 67.0, rel=1e-12)
    assert c.hubble_distance_cm == pytest.approx(299792.458 / 67.0 * mpc_km * 1e5, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(z=st.floats(0.0, 20.0), om=st.floats(0.05, 1.0))
def test_flat_lcdm_expansion(z, om):
    """H(z)/H0 = sqrt(Omega_L + Omega_m (1+z)^3) with Omega_L = 1 - Omega_m (flat)."""
    c = Cosmology(Omega_m=om)
    assert float(c.E(z)) == pytest.approx(math.sqrt(1 - om + om * (1 + z) ** 3), rel=1e-12)
    assert c.Omega_L == pytest.approx(1 - om)


def test_matter_dominated_age():
    """Omega_m = 1: int_0^inf dz/((1+z)H) = 2/(3 H0) (Einstein-de Sitter age) - checks H(z) units."""
    from scipy import integrate

    c = Cosmology(H0=70.0, Omega_m=1.0)
    age = integrate.quad(lambda z: 1.0 / ((1 + z) * float(c.H(z))), 0, np.inf)[0]
    assert age == pytest.approx(2.0 / (3.0 * float(c.H(0.0))), rel=1e-8)


@pytest.mark.parametrize("kw,name", [({"H0": -1.0}, "H0"), ({"H0": float("nan")}, "H0"),
                                     ({"Omega_m": 0.0}, "Omega_m"), ({"Omega_m": 1.5}, "Omega_m")])
def test_cosmology_bad_input(kw, name):
    with pytest.raises(ValueError, match=name):
        Cosmology(**kw)


# ----------------------------------------------------------------- CCSN rate, Eq. III.7, Table I
@pytest.mark.parametrize("sfr,rho", [("paper", 0.02), ("yuksel2008", 0.0178)])
def test_rate_today_is_rho_over_143(sfr, rho):
    """At z = 0 the first term dominates: R(0) = rho_*/(143 M_sun) (Table I / Yuksel 2008)."""
    assert float(ccsn_rate(0.0, sfr)) == pytest.approx(rho / 143.0, rel=1e-6)
    assert MSUN_PER_CCSN == 143.0


@pytest.mark.parametrize("sfr", ["paper", "yuksel2008"])
def test_rate_at_break_z1(sfr):
    """At z1 the first two power laws are equal (defines B): R = rho/143 (1+z1)^a 2^(1/zeta)."""
    p = SFR_MODELS[sfr]
    expect = p.rho_star / 143.0 * (1 + p.z1) ** p.a * 2.0 ** (1.0 / p.zeta)
    assert float(ccsn_rate(p.z1, sfr)) == pytest.approx(expect, rel=1e-5)


@pytest.mark.parametrize("sfr", ["paper", "yuksel2008"])
def test_rate_at_break_z2_uses_one_plus_z2(sfr):
    """At z2 the last two power laws are equal only with C = (1+z1)^((b-a)/c) (1+z2)^(1-b/c):
    the paper's printed (1 - z2) is a typo (it would make C complex for z2 = 4)."""
    p = SFR_MODELS[sfr]
    B = (1 + p.z1) ** (1 - p.a / p.b)
    expect = p.rho_star / 143.0 * ((1 + p.z2) / B) ** p.b * 2.0 ** (1.0 / p.zeta)
    assert float(ccsn_rate(p.z2, sfr)) == pytest.approx(expect, rel=1e-5)


@pytest.mark.parametrize("sfr", ["paper", "yuksel2008"])
def test_rate_power_law_slopes(sfr):
    """d ln R / d ln(1+z) = a, b, c well inside each segment (smooth break, zeta = -10)."""
    p = SFR_MODELS[sfr]

    def slope(z):
        h = 1e-4
        return (np.log(ccsn_rate(z + h, sfr)) - np.log(ccsn_rate(z - h, sfr))) / (np.log1p(z + h) - np.log1p(z - h))

    assert slope(0.2) == pytest.approx(p.a, rel=1e-3)
    assert slope(2.2) == pytest.approx(p.b, abs=0.02)
    assert slope(12.0) == pytest.approx(p.c, rel=0.01)


def test_sfr_models_table_I_and_yuksel():
    """Parameters typed from paper Table I and Yuksel et al. 2008 (docs/reference-values.md)."""
    p, y = SFR_MODELS["paper"], SFR_MODELS["yuksel2008"]
    assert (p.rho_star, p.a, p.b, p.c, p.z1, p.z2, p.zeta) == (0.02, 3.4, -0.3, -2.5, 1.0, 4.0, -10.0)
    assert (y.rho_star, y.a, y.b, y.c, y.z1, y.z2, y.zeta) == (0.0178, 3.4, -0.3, -3.5, 1.0, 4.0, -10.0)


def test_unknown_sfr():
    with pytest.raises(ValueError, match="sfr"):
        ccsn_rate(1.0, "hopkins2006")
