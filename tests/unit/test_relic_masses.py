"""Relic masses from NuFIT 5.2 splittings (relicboost.physics.relic_masses).

Values written out by hand: NuFIT 5.2 best fit with SK atmospheric data (www.nu-fit.org; Esteban et al.,
JHEP 09 (2020) 178): dm2_21 = 7.41e-5 eV^2, dm2_31 = 2.507e-3 eV^2 (NO), dm2_32 = -2.486e-3 eV^2 (IO).
"""
from __future__ import annotations

import numpy as np
import pytest

from relicboost import Model
from relicboost.physics import relic_masses as rm

DM21, DM31_NO, DM32_IO = 7.41e-5, 2.507e-3, -2.486e-3


def test_normal_and_inverted_masses_reproduce_splittings():
    m = rm.relic_masses_eV("normal", 0.0)
    assert m[1] ** 2 - m[0] ** 2 == pytest.approx(DM21, rel=1e-12)
    assert m[2] ** 2 - m[0] ** 2 == pytest.approx(DM31_NO, rel=1e-12)
    assert rm.mass_sum_eV("normal", 0.0) == pytest.approx(np.sqrt(DM21) + np.sqrt(DM31_NO), rel=1e-12)  # 0.059 eV
    mi = rm.relic_masses_eV("inverted", 0.0)
    assert mi[2] == 0.0 and mi[1] ** 2 - mi[2] ** 2 == pytest.approx(-DM32_IO, rel=1e-12)
    assert mi[1] ** 2 - mi[0] ** 2 == pytest.approx(DM21, rel=1e-12)
    assert rm.mass_sum_eV("inverted", 0.0) < rm.SUM_BOUND_EV < rm.mass_sum_eV("normal", 0.05)
    np.testing.assert_array_equal(rm.relic_masses_eV("single", 0.05), [0.05] * 3)


def test_pmns_is_unitary_and_matches_flavour_angles():
    for o in ("normal", "inverted"):
        U = rm.pmns(o)
        np.testing.assert_allclose(U @ U.conj().T, np.eye(3), atol=1e-12)
    from relicboost.physics.flavour import ue_squared
    np.testing.assert_allclose(np.abs(rm.pmns("normal")[0]) ** 2, ue_squared(33.41, 8.58), rtol=1e-12)


def test_relic_temperature_and_thermal_nodes():
    assert rm.T_NU_TODAY_EV == pytest.approx(1.68e-4, rel=5e-3)
    q, c, w = rm.thermal_nodes()
    assert w.sum() == pytest.approx(1.0)
    # mean momentum of a relativistic Fermi-Dirac gas: 7 pi^4 / (180 zeta(3)) T = 3.1514 T
    assert np.sum(w * q) == pytest.approx(3.1514, rel=1e-3)
    assert np.sum(w * c) == pytest.approx(0.0, abs=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="relic_masses"):
        rm.relic_masses_eV("degenerate", 0.1)
    with pytest.raises(ValueError, match="lightest_mass_eV"):
        rm.relic_masses_eV("normal", -1.0)
    m = Model(convention="consistent", flavour="inverted", points_per_decade=20, energy_min=1.0)
    with pytest.raises(ValueError, match="flavour"):
        m.predict_mediator(1e-4, 1e-3, model="vector", relic_masses="normal")
    with pytest.raises(ValueError, match="relic_momenta"):
        m.predict_mediator(1e-4, 1e-3, model="vector", relic_momenta="hot")
    with pytest.raises(ValueError, match="paper convention"):
        Model(points_per_decade=20).predict_mediator(1e-4, 1e-3, relic_masses="normal")
