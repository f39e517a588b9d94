"""Light-mediator nu-nu cross sections (relicboost.physics.light_mediator): limits, resonance, crossing, kernels."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from relicboost import Model
from relicboost.physics import light_mediator as lm
from relicboost.physics.transport import StepOperator, kernel_balance

M_NU_MEV = 0.05e-6  # 0.05 eV written out by hand


def _lam(g, M):
    return g**4 * M_NU_MEV / (8 * np.pi * M**4)  # paper Eq. II.5


def _sigma_from_amplitudes(E, g, M, mediator):
    """Sum over the six relic states of sigma = int dt |M|^2/(16 pi s^2), straight from |M|^2 (quad in t)."""
    s = 2 * M_NU_MEV * E
    if mediator == "scalar":
        parts = {"nunu_s": 3 * 0.5, "nunubar_t": 3}          # 3 final channels x identical 1/2; 3 targets
    else:
        parts = {"nunu_t": 2, "nunubar_t": 2, "nunu_same": 0.5, "nunubar_same": 1, "nunubar_annihilation": 2}
    tot = 0.0
    for name, mult in parts.items():
        def f(t, name=name):
            return lm.squared_amplitudes(s, t, M, g, mediator)[name] / (16 * np.pi * s**2)
        pts = [-M**2] if 0 < M**2 < s else None
        tot += mult * quad(f, -s, 0, points=pts, epsrel=1e-10, limit=200)[0]
    return tot


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_heavy_limit_is_paper_sigma(mediator):
    E = np.geomspace(0.1, 200, 9)
    g, M = 1e-3, 1.0  # s/M^2 <= 2e-5, Gamma/M ~ 1e-8
    np.testing.assert_allclose(lm.sigma(E, g, M, mediator), _lam(g, M) * E, rtol=1e-4)
    # tree-level relic average in the heavy limit: 5/12 (scalar) and 40/9 (vector) of Eq. II.5 per relic state
    factor = {"scalar": 5 / 12, "vector": 40 / 9}[mediator]
    np.testing.assert_allclose(lm.sigma(E, g, M, mediator, normalise="tree"), factor * _lam(g, M) * E, rtol=1e-4)


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
@pytest.mark.parametrize("E, M", [(10.0, 1.0), (10.0, 3e-3), (50.0, 1e-3), (20.0, 1e-4), (0.3, 1e-4)])
def test_analytic_shape_integral_matches_amplitudes(mediator, E, M):
    g = 1e-3
    sig_tree_all = 6 * lm.sigma(E, g, M, mediator, normalise="tree")  # per relic state x 6 states
    assert sig_tree_all == pytest.approx(_sigma_from_amplitudes(E, g, M, mediator), rel=1e-6)


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_resonance_position_and_narrow_width_area(mediator):
    g, M = 1e-2, 3e-3
    E_res = M**2 / (2 * M_NU_MEV)
    assert lm.resonance_energy_MeV(M) == pytest.approx(E_res)
    gam = lm.width_over_mass(g, mediator)
    E = E_res * (1 + gam * np.linspace(-5, 5, 2001))
    sig = lm.sigma(E, g, M, mediator, normalise="tree")
    assert E[np.argmax(sig)] == pytest.approx(E_res, rel=2 * gam * 10 / 2000 + 1e-12)
    # area under the peak (all six relic states) vs Breit-Wigner with the tree-level width:
    # int sigma ds = 16 pi^2 (2J+1) S Gamma_in / M, Gamma_in = Gamma/3; scalar: identical initial S = 2, J = 0;
    # vector: J = 1, one helicity combination couples (S = 1)
    s_res = M**2
    half = 400 * gam * s_res
    peak = quad(lambda s: 6 * lm.sigma(s / (2 * M_NU_MEV), g, M, mediator, normalise="tree"), s_res - half,
                s_res + half, points=[s_res], epsrel=1e-9, limit=400)[0]
    far = 6 * lm.sigma(np.array([(s_res - half), (s_res + half)]) / (2 * M_NU_MEV), g, M, mediator, normalise="tree")
    background = far.mean() * 2 * half
    gamma_in = gam * M / 3
    expected = 16 * np.pi**2 * (2.0 if mediator == "scalar" else 3.0) * gamma_in / M
    assert peak - background == pytest.approx(expected, rel=2e-2)


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_positivity(mediator):
    E = np.geomspace(1e-3, 1e3, 400)
    for M in (1e-4, 1e-3, 1e-2, 1.0):
        assert np.all(lm.sigma(E, 1e-2, M, mediator) > 0)
    rng = np.random.default_rng(3)
    s = 10 ** rng.uniform(-12, -3, 500)
    t = -s * rng.uniform(0, 1, 500)
    for v in lm.squared_amplitudes(s, t, 1e-4, 0.1, mediator).values():
        assert np.all(v >= 0)


def test_crossing_symmetry():
    rng = np.random.default_rng(4)
    s = 10 ** rng.uniform(-10, -4, 200)
    t = -s * rng.uniform(0, 1, 200)
    u = -s - t
    M, g = 3e-4, 0.05
    sc = lm.squared_amplitudes
    # scalar: nu nubar -> nubar nu (t-channel) is nu nu -> nu nu (s-channel) with s <-> t
    np.testing.assert_allclose(sc(s, t, M, g, "scalar", width=False)["nunubar_t"],
                               sc(t, s, M, g, "scalar", width=False)["nunu_s"], rtol=1e-10)
    # vector: nu nubar amplitudes are the nu nu ones with s <-> u (t fixed)
    a = sc(s, t, M, g, "vector", width=False)
    b = sc(u, t, M, g, "vector", width=False)
    np.testing.assert_allclose(a["nunubar_same"], b["nunu_same"], rtol=1e-10)
    np.testing.assert_allclose(a["nunubar_t"], b["nunu_t"], rtol=1e-10)


def test_scalar_and_vector_separate_only_beyond_heavy_limit():
    E = np.geomspace(1, 100, 20)
    g = 1e-3
    heavy = lm.sigma(E, g, 1.0, "scalar") / lm.sigma(E, g, 1.0, "vector")
    light = lm.sigma(E, g, 1e-3, "scalar") / lm.sigma(E, g, 1e-3, "vector")
    np.testing.assert_allclose(heavy, 1.0, rtol=1e-4)
    assert np.max(np.abs(light - 1)) > 0.3


@pytest.fixture(scope="module")
def solver():
    return Model(convention="consistent", flavour="none", points_per_decade=40, substeps=1)._transport


def _dsigma_dy(y, s, g, M, mediator):
    """Sum over relic states of dsigma/dy (y = energy fraction of the relic-line neutrino), from |M|^2."""
    mult = {"scalar": {"nunu_s": 1.5, "nunubar_t": 3},
            "vector": {"nunu_t": 2, "nunubar_t": 2, "nunu_same": 0.5, "nunubar_same": 1, "nunubar_annihilation": 2}}
    amp = lm.squared_amplitudes(s, -y * s, M, g, mediator)
    return sum(c * amp[k] for k, c in mult[mediator].items()) / (16 * np.pi * s)


@pytest.mark.parametrize("mediator, M", [("scalar", 3e-3), ("vector", 1e-3), ("vector", 1e-4)])
def test_light_kernel_conserves_number_and_energy(solver, mediator, M):
    tg = solver.tgrid
    e, e0 = tg.energy, tg.energy[0]
    g = 1e-3
    for i, st in enumerate(lm.light_channel_steps(tg, g, M, mediator)):
        if i % 7:
            continue
        b = kernel_balance(tg, StepOperator(st.loss, st.gain_both))
        ok = b["scatterings"] > 0
        ok[0] = False
        r = b["products"][ok] / b["scatterings"][ok]
        er = b["energy_out"][ok] / b["energy_in"][ok]
        # two products per scattering, the energy of the parent shared; what is missing fell below the grid
        # (each missing neutrino carried < eps_0)
        assert np.all(r <= 2 + 1e-6)
        assert np.all(er <= 1 + 1e-6) and np.all(er >= 1 - (2 - r) * e0 / e[ok] - 1e-4)
        # the number that fell below the grid, from the amplitudes (quad), at three nodes
        n = tg.n_steps - 1 - i
        zp1 = np.exp(0.5 * (tg.u[n] + tg.u[n + 1]))
        for j in (40, 90, 150):
            s = 2 * M_NU_MEV * e[j] * zp1
            if abs(s / M**2 - 1) < 0.2:
                continue  # resonant step: shapes are step-averaged there
            ycut = e0 / e[j]
            tot = quad(lambda y: _dsigma_dy(y, s, g, M, mediator), 0, 1, points=[min(M**2 / s, 0.5)], limit=400,
                       epsrel=1e-10)[0]
            below = sum(quad(lambda y: _dsigma_dy(y, s, g, M, mediator), a, c, limit=400, epsrel=1e-10)[0]
                        for a, c in ((0, ycut), (1 - ycut, 1)))
            rj = b["products"][j] / b["scatterings"][j]
            assert rj == pytest.approx(2 - below / tot, abs=2e-3)


def test_flat_kernel_reproduces_heavy_solver(solver):
    lam, M = 1e-11, 0.3
    g = (lam * 8 * np.pi * M**4 / M_NU_MEV) ** 0.25
    T = (6.6, 7.0, 10.0)
    raw = solver.transport.solve(solver.sources(T), lm.light_channel_steps(solver.tgrid, g, M, "flat"))
    _, tot_light = solver.transport.species(raw)
    _, tot_heavy = solver.species_fluxes(lam, T)
    e = solver.tgrid.energy
    sel = (e > 0.05) & (e < 80)
    np.testing.assert_allclose(tot_light[:, sel], tot_heavy[:, sel], rtol=2e-3)


def test_bad_input():
    with pytest.raises(ValueError, match="mediator"):
        lm.sigma(1.0, 1e-3, 1e-3, "tensor")
    with pytest.raises(ValueError, match="M_MeV"):
        lm.sigma(1.0, 1e-3, -1.0, "scalar")
    with pytest.raises(ValueError, match="normalise"):
        lm.sigma(1.0, 1e-3, 1e-3, "scalar", normalise="other")
