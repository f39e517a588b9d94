"""Transport solver of the ``consistent`` convention (relicboost.physics.transport) and flavour bookkeeping."""
from __future__ import annotations

import numpy as np
import pytest

from relicboost import Model
from relicboost.physics import flavour
from relicboost.physics.cosmology import Cosmology
from relicboost.physics.sources import fermi_dirac_spectrum
from relicboost.physics.transport import (
    ConsistentTransport,
    StepOperator,
    build_transport_grid,
    etd2_weights,
    heavy_channel_steps,
    kernel_balance,
    source_table,
)

ENERGY = np.geomspace(0.01, 200.0, 200)


@pytest.fixture(scope="module")
def tgrid():
    return build_transport_grid(ENERGY, Cosmology(), "paper", 6.0)


@pytest.fixture(scope="module")
def q3(tgrid):
    return np.stack([source_table(tgrid, lambda e, T=T: fermi_dirac_spectrum(e, T)) for T in (6.6, 7.0, 10.0)], axis=-1)


def test_etd2_weights_limits():
    # A -> 0: trapezoid (1, 1/2, 1/2); continuity across the series switch; large A: 1/A each
    ex, w0, w1 = etd2_weights(np.array([0.0, 1e-3 * (1 - 1e-9), 1e-3 * (1 + 1e-9), 1e4]))
    assert ex[0] == 1.0 and w0[0] == pytest.approx(0.5) and w1[0] == pytest.approx(0.5)
    assert w0[1] == pytest.approx(w0[2], rel=1e-9) and w1[1] == pytest.approx(w1[2], rel=1e-9)
    assert w1[3] == pytest.approx(1e-4, rel=1e-3) and abs(w0[3]) < 1e-7


def test_flat_kernel_conserves_number_and_energy_exactly(tgrid):
    # One scattering of a neutrino of energy eps_j adds two neutrinos flat on [0, eps_j]; the part below the
    # lowest node (number 2 eps_0/eps_j, energy eps_0^2/eps_j per scattering) leaves the grid.
    st = next(iter(heavy_channel_steps(tgrid, 1e-10)))
    op = StepOperator(loss=st.loss, gain=st.gain_both)
    b = kernel_balance(tgrid, op)
    e, e0 = tgrid.energy, tgrid.energy[0]
    scat = b["scatterings"]
    np.testing.assert_allclose(b["products"][1:], (2.0 - 2.0 * e0 / e[1:]) * scat[1:], rtol=1e-12)
    np.testing.assert_allclose(b["energy_out"][1:], b["energy_in"][1:] - e0**2 / e[1:] * scat[1:], rtol=1e-12)


def test_fast_heavy_path_equals_dense_triangular_solve(tgrid, q3):
    ct = ConsistentTransport(tgrid, "normal")
    for lam in (1e-12, 1e-9, 1e-7):
        dense = ct.solve(q3, heavy_channel_steps(tgrid, lam))
        fast = ct.solve_heavy(q3, lam)
        for k in dense:
            np.testing.assert_allclose(fast[k], dense[k], rtol=1e-10, atol=0)


def test_lam_zero_has_no_boosted_component(tgrid, q3):
    ct = ConsistentTransport(tgrid, "none")
    d, tot = ct.species(ct.solve_heavy(q3, 0.0))
    np.testing.assert_allclose(tot, d, rtol=1e-10)


@pytest.mark.parametrize("lam", [1e-8, 1e-6])
def test_positive_and_finite_at_huge_optical_depth(lam):
    p = Model(convention="consistent", points_per_decade=30).predict(lam)
    for s in ("nue", "nuebar", "nux"):
        for c in ("dsnb", "total"):
            f = p.flux(s, c)
            assert np.all(np.isfinite(f)) and np.all(f >= 0.0)


def test_energy_above_any_threshold_cannot_grow_with_lam():
    # Energy conservation per scattering + redshifting: the comoving energy carried above any E
    # cannot exceed the unscattered energy injected above E (products have less energy than the parent).
    m = Model(convention="consistent", flavour="none")
    e = m.energy
    ref = m.predict(0.0)
    for lam in (1e-11, 1e-10, 1e-9):
        p = m.predict(lam)
        for emin in (1.0, 10.0, 17.3):
            sel = e >= emin
            w = np.trapezoid(e[sel] * p.flux("all")[sel], e[sel])
            w0 = np.trapezoid(e[sel] * ref.flux("all")[sel], e[sel])
            assert w <= w0 * (1 + 1e-9)


def test_flavour_matrices():
    pe = flavour.ue_squared(33.41, 8.58)
    assert pe.sum() == pytest.approx(1.0, abs=1e-14)
    assert pe[2] == pytest.approx(np.sin(np.radians(8.58)) ** 2)
    F = np.array([1.0, 2.0, 5.0])  # emitted nue, nuebar, nux (one species)
    for fl, pbar in (("none", 1.0), ("normal", pe[0]), ("inverted", pe[2])):
        det = flavour.no_scattering_fluxes(fl, F)[:, 0]
        # nuebar at Earth = P(nuebar_e survives) F_ebar + (1 - P) F_x   (Dighe & Smirnov 2000)
        assert det[1] == pytest.approx(pbar * 2.0 + (1 - pbar) * 5.0)
        # number is conserved: nue + nuebar + 4 nux at Earth = emitted total
        assert det[0] + det[1] + 4 * det[2] == pytest.approx(1.0 + 2.0 + 4 * 5.0)
    pnu = flavour.no_scattering_fluxes("normal", F)[0, 0]
    assert pnu == pytest.approx(pe[2] * 1.0 + (1 - pe[2]) * 5.0)


@pytest.mark.parametrize("kw, name", [(dict(flavour="maybe"), "flavour"), (dict(substeps=0), "substeps"),
                                      (dict(theta12=95.0), "theta12"), (dict(relic_dof=-1.0), "relic_dof"),
                                      (dict(sharing="democratic"), "sharing")])
def test_bad_options_are_value_errors(kw, name):
    with pytest.raises(ValueError, match=name):
        Model(convention="consistent", **kw)


def test_bad_grid_arguments():
    with pytest.raises(ValueError, match="substeps"):
        build_transport_grid(ENERGY, Cosmology(), "paper", 6.0, substeps=1.5)
    with pytest.raises(ValueError, match="energy_MeV"):
        build_transport_grid(ENERGY[::-1], Cosmology(), "paper", 6.0)
