"""Relic-mass options of Model(...) for the heavy-mediator consistent convention (issue 11, Done-when list).

Heavy limit: sigma_i = G^2 m_i E on mass state i; with lam = G^2 m_bar (m_bar the mean of the three masses)
the summed rate is that of one mass at the same lam, and the relic partner lands in state i with
probability m_i / sum m.  Checks: "single" is today's path; the forced three-mass code path with equal masses
reproduces it; three masses give the single-mass total over all species at the mass-weighted effective
mass m_bar and move the partners between mass states (nu-bar_e changes); thermal momenta -> rest for
m >> T_nu and the analytic m -> 0 rate; clear errors.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import zeta

from relicboost import Model
from relicboost.physics.relic_masses import T_NU_TODAY_EV, rate_masses_eV, relic_masses_eV

GRID = {"points_per_decade": 30, "energy_min": 0.1, "substeps": 1}
LAM = 3e-10


def test_single_rest_is_todays_path_and_the_relic_mass_path_reproduces_it():
    default = Model(convention="consistent", **GRID)
    single = Model(convention="consistent", relic_masses="single", relic_momenta="rest", **GRID)
    a, b = default.predict(LAM), single.predict(LAM)
    for s in ("nue", "nuebar", "nux"):
        assert np.array_equal(a.flux(s), b.flux(s))
    temps = (6.6, 7.0, 10.0)
    prop = default.propagator
    dsnb, boosted = prop.species_fluxes(LAM, temps)
    dsnb2, boosted2 = prop._relic_mass_fluxes(prop.solver_for(prop.substep_multiplier(LAM)), LAM, temps)
    np.testing.assert_allclose(dsnb2, dsnb, rtol=1e-12)
    np.testing.assert_allclose(boosted2, boosted, rtol=1e-10, atol=1e-12 * boosted.max())


@pytest.mark.parametrize("ordering", ["normal", "inverted"])
def test_three_masses_equal_single_mass_at_the_mean_mass_in_the_flavour_sum(ordering):
    one = Model(convention="consistent", flavour=ordering, **GRID).predict(LAM)
    three = Model(convention="consistent", flavour=ordering, relic_masses=ordering, lightest_mass_eV=0.0,
                  **GRID).predict(LAM)
    np.testing.assert_allclose(three.flux("all"), one.flux("all"), rtol=1e-10)
    np.testing.assert_array_equal(three.flux("nuebar", "dsnb"), one.flux("nuebar", "dsnb"))
    # the partners go to the heavier states: the boosted nu-bar_e changes by more than 1%
    ratio = three.integrated_flux("nuebar", 1.0, component="boosted") / one.integrated_flux(
        "nuebar", 1.0, component="boosted")
    assert abs(ratio - 1) > 0.01
    assert "relic masses " + ordering in three_label(ordering)


def three_label(ordering):
    return Model(convention="consistent", flavour=ordering, relic_masses=ordering, **GRID).propagator.label


def test_partner_weights_follow_the_masses_analytically():
    """Boosted flux per mass state ~ own-channel products + m_i / sum m of the partners: with m_1 = 0 (NO)
    and the beam in nu-bar_1 only, the partners in nu-bar_2 and nu-bar_3 are in the ratio m_2 : m_3."""
    m = relic_masses_eV("normal", 0.0)
    w = np.tile(m / (2 * m.sum()), 2)
    assert w[0] == 0.0 and w[1] / w[2] == pytest.approx(m[1] / m[2])
    assert w.sum() == pytest.approx(1.0)


def test_thermal_rate_masses_limits():
    u = np.array([0.0, np.log(3.0)])
    heavy = rate_masses_eV([0.05, 0.05, 0.05], "thermal", u)
    # m >> T_nu: <E_r + p^2/(3 E_r)> = m (1 + 5 <p^2> / (6 m^2)), <p^2> = 15 zeta(5) / zeta(3) T^2 (FD)
    p2 = 15 * zeta(5) / zeta(3) * (T_NU_TODAY_EV * np.exp(u)) ** 2
    np.testing.assert_allclose(heavy[:, 0], 0.05 * (1 + 5 * p2 / (6 * 0.05**2)), rtol=1e-5)  # next order p^4/m^4
    light = rate_masses_eV([1e-9] * 3, "thermal", u)              # m -> 0: <4 p / 3>, <p> = 7 pi^4 / (180 zeta(3)) T
    mean_p = 7 * np.pi**4 / (180 * zeta(3)) * T_NU_TODAY_EV * np.exp(u)
    np.testing.assert_allclose(light[:, 0], 4.0 / 3.0 * mean_p, rtol=1e-3)
    np.testing.assert_array_equal(rate_masses_eV([0.01, 0.02, 0.05], "rest", u)[1], [0.01, 0.02, 0.05])


def test_thermal_heavy_model_rest_limit_and_light_state_enhancement():
    rest = Model(convention="consistent", **GRID).predict(LAM)
    hot = Model(convention="consistent", relic_momenta="thermal", lightest_mass_eV=0.05, **GRID).predict(LAM)
    assert hot.integrated_flux("nuebar") == pytest.approx(rest.integrated_flux("nuebar"), rel=1e-3)  # <p^2>/m^2 ~ 1e-3 at z = 6
    light = Model(convention="consistent", relic_momenta="thermal", lightest_mass_eV=1e-4, **GRID).predict(LAM)
    assert light.integrated_flux("nuebar") < 0.99 * rest.integrated_flux("nuebar")   # rate ~ <4p/3> >> m


@pytest.mark.parametrize("kw, match", [
    ({"convention": "paper", "relic_masses": "normal"}, "relic_masses is an option of the 'consistent'"),
    ({"convention": "paper", "relic_momenta": "thermal"}, "relic_momenta is an option of the 'consistent'"),
    ({"convention": "consistent", "relic_masses": "normal", "flavour": "inverted"}, "needs flavour='normal'"),
    ({"convention": "consistent", "relic_masses": "degenerate"}, "relic_masses"),
    ({"convention": "consistent", "relic_masses": "normal", "lightest_mass_eV": 2.0}, "lightest_mass_eV"),
    ({"convention": "consistent", "relic_masses": "normal", "relic_momenta": "thermal"}, "thermal"),
])
def test_bad_relic_mass_options_are_clear_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        Model(**kw, **GRID)
