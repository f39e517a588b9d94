"""Tree-level nu-nu scattering with a light scalar or vector mediator (full propagators).

Models (flavour-universal, flavour-diagonal couplings g in the mass basis, paper Eqs. II.2, II.4)
-------------------------------------------------------------------------------------------
* scalar: complex phi with lepton number 2, L = (g/2) phi* chi_i chi_i + h.c. (two-component
  Weyl chi), vertex -i g.  The paper's Eq. II.2 writes g nubar nu^C phi* without the 1/2, i.e. a
  vertex 2g: in that normalisation sigma is 16x and Gamma 4x the values below at the same g
  (g_here = 2 g_II.2; see docs/conventions.md, "(g, M) plane");
* vector: L = g nubar_i gamma^mu P_L nu_i V_mu.

A beam neutrino nu_i (energy E) hits a relic state at rest (mass m_nu): s = 2 m_nu E,
t = -y s, u = -(1-y) s, where y = E_4/E is the energy fraction taken by the particle on
the relic's fermion line (the other outgoing neutrino takes 1-y).  All external
states are treated as massless helicity states (s/m_nu^2 ~ E/m_nu ~ 1e8).  Squared
amplitudes (sum over final channels, x = s/M^2, gamma = Gamma/M, D = x - 1 + i gamma):

scalar (per incoming nu_i, summed over the six relic states):
    nu_i nu_i -> phi -> nu_k nu_k (s-channel, k = 1..3, identical final state 1/2):
        |M|^2 = g^4 s^2 / |s - M^2 + i M Gamma|^2                   (flat in y)
    nu_i nubar_j -> nubar_i nu_j (t-channel, j = 1..3):  |M|^2 = g^4 t^2 / (t - M^2)^2
    Gamma_phi = 3 g^2 M / (32 pi).
vector:
    nu_i nu_j (j != i, t):               4 g^4 s^2 / (t - M^2)^2
    nu_i nubar_j (j != i, t):            4 g^4 u^2 / (t - M^2)^2
    nu_i nu_i (t and u, identical 1/2):  4 g^4 s^2 [1/(t - M^2) + 1/(u - M^2)]^2
    nu_i nubar_i -> nu_i nubar_i (s, t): 4 g^4 u^2 |1/(t - M^2) + 1/(s - M^2 + i M Gamma)|^2
    nu_i nubar_i -> nu_k nubar_k (s, k != i): 4 g^4 u^2 / |s - M^2 + i M Gamma|^2
    Gamma_V = 3 g^2 M / (24 pi)  (three left-handed nu nubar pairs).

The nu nubar amplitudes are the crossings of the nu nu ones (scalar: s <-> t; vector: s <-> u),
which the tests check.  The widths are the tree-level widths of the same Lagrangians, and the
narrow-resonance area int sigma ds agrees with the Breit-Wigner formula (tested).

With dsigma/dy = |M|^2 / (16 pi s) and the dimensionless shape
f(y; x, gamma) = (16 pi M^4 / (g^4 s)) dsigma/dy, summed over the six relic states::

    f_S = (3/2) B + 3 y^2 / (1 + x y)^2,                         B = 1/((x-1)^2 + gamma^2)
    f_V = 8/(1+xy)^2 + 8 (1-y)^2/(1+xy)^2 + 2 [1/(1+xy) + 1/(1+x(1-y))]^2
          + 4 (1-y)^2 [1/(1+xy)^2 - 2 Re(1/D)/(1+xy) + B] + 8 (1-y)^2 B

Heavy limit (x -> 0): int f dy -> F_heavy = 5/2 (scalar), 80/3 (vector), i.e. the
relic-averaged tree-level cross section per relic state is (5/12) and (40/9) times the
paper's sigma = g^4 s / (16 pi M^4) (Eq. II.5).  These O(1) factors (and a further factor
1/2 from the random chirality of non-relativistic relics for chiral couplings) are *not*
applied by default: with ``normalise="paper"`` the cross section per relic state is

    sigma(E) = lam E R(x, gamma),   R = int f dy / F_heavy,   lam = g^4 m_nu / (8 pi M^4),

so the heavy limit is exactly the paper's sigma = lam E with the mapping of
:mod:`relicboost.physics.interactions`, and scalar and vector differ only where
M^2 is not >> s.  ``normalise="tree"`` multiplies by the factors above.

Transport kernels: :mod:`.transport_kernels`; paper-convention partner kernel: :mod:`.paper_kernel`.
"""
from __future__ import annotations

import numpy as np

from ..units import EV_MEV

MEDIATORS: tuple[str, ...] = ("scalar", "vector")
#: Amplitude sets: "scalar" = complex scalar with lepton number 2 (the ``mediator="scalar"`` of the paper
#: convention), "real_scalar" = real scalar coupled to nu nu + h.c. (:mod:`.models`), "vector".
KINDS: tuple[str, ...] = ("scalar", "vector", "real_scalar")
#: int f dy in the heavy limit (see module docstring).
F_HEAVY: dict[str, float] = {"scalar": 2.5, "vector": 80.0 / 3.0, "real_scalar": 25.0 / 6.0, "flat": 1.0}
#: Tree-level relic-averaged sigma per relic state / paper Eq. II.5, heavy limit (chirality factor not included).
TREE_OVER_PAPER: dict[str, float] = {k: v / 6.0 for k, v in F_HEAVY.items() if k != "flat"} | {"flat": 1.0}


def _check(mediator: str, allow_flat: bool = False) -> None:
    if allow_flat and mediator == "flat":
        return
    if mediator not in KINDS:
        raise ValueError(f"mediator must be one of {KINDS}, got {mediator!r}")


def _checked(x, name: str, positive: bool = True) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or (np.any(a <= 0) if positive else np.any(a < 0)):
        rng = "(0, inf)" if positive else "[0, inf)"
        raise ValueError(f"{name} must be finite and in {rng}")
    return a


def width_over_mass(g, mediator: str) -> np.ndarray:
    """Tree-level total width / mass: 3 g^2/(32 pi) (complex scalar), 3 g^2/(16 pi) (real scalar), g^2/(8 pi) (vector).

    Vertex factor g (:mod:`.models`): phi -> nu_k nu_k has |M|^2 = g^2 M^2 and Gamma = g^2 M/(32 pi) per k
    (identical final neutrinos); the real scalar decays also to nubar_k nubar_k; V -> nu_k nubar_k has
    Gamma = g^2 M/(24 pi) per k (chiral coupling g gamma^mu P_L).
    """
    _check(mediator)
    g = _checked(g, "g", positive=False)
    per_flavour = {"scalar": 1.0 / (32.0 * np.pi), "real_scalar": 2.0 / (32.0 * np.pi), "vector": 1.0 / (24.0 * np.pi)}
    return 3.0 * g**2 * per_flavour[mediator]


def squared_amplitudes(s, t, M_MeV, g, mediator: str, width: bool = True) -> dict[str, np.ndarray]:
    """Tree-level |M|^2 of each process (dimensionless), massless external neutrinos.

    Parameters
    ----------
    s, t : array_like
        Mandelstam variables in MeV^2 (u = -s - t).  Physical region: s > 0, -s <= t <= 0;
        any real values are accepted (for crossing checks).
    M_MeV : float
        Mediator mass in MeV.
    g : float
        Coupling.
    mediator : {"scalar", "vector"}
    width : bool
        Include the tree-level width in the s-channel propagator.

    Returns
    -------
    dict
        scalar: ``nunu_s`` (per final channel), ``nunubar_t``; real_scalar: ``nunu_s`` (per final
        channel nu_k nu_k or nubar_k nubar_k, k != i for the latter), ``nunu_lnv_same`` (nu_i nu_i ->
        nubar_i nubar_i, s + t + u), ``nunu_t`` (nu_i nu_j -> nubar_i nubar_j, j != i), ``nunubar_t``; vector: ``nunu_t`` (j != i),
        ``nunubar_t`` (j != i), ``nunu_same``, ``nunubar_same``, ``nunubar_annihilation`` (per k != i).
    """
    _check(mediator)
    s = np.asarray(s, dtype=float)
    t = np.asarray(t, dtype=float)
    u = -s - t
    M2 = float(M_MeV) ** 2
    gam = float(width_over_mass(g, mediator)) if width else 0.0
    Ds = s - M2 + 1j * M2 * gam
    g4 = float(g) ** 4
    if mediator == "scalar":
        return {"nunu_s": g4 * s**2 / np.abs(Ds) ** 2, "nunubar_t": g4 * t**2 / (t - M2) ** 2}
    if mediator == "real_scalar":
        return {"nunu_s": g4 * s**2 / np.abs(Ds) ** 2, "nunubar_t": g4 * t**2 / (t - M2) ** 2,
                "nunu_t": g4 * t**2 / (t - M2) ** 2,
                "nunu_lnv_same": g4 * np.abs(s / Ds + t / (t - M2) + u / (u - M2)) ** 2}
    return {
        "nunu_t": 4 * g4 * s**2 / (t - M2) ** 2,
        "nunubar_t": 4 * g4 * u**2 / (t - M2) ** 2,
        "nunu_same": 4 * g4 * s**2 * (1.0 / (t - M2) + 1.0 / (u - M2)) ** 2,
        "nunubar_same": 4 * g4 * u**2 * np.abs(1.0 / (t - M2) + 1.0 / Ds) ** 2,
        "nunubar_annihilation": 4 * g4 * u**2 / np.abs(Ds) ** 2,
    }


def _l1(x):
    """log(1+x)/x, accurate for small x."""
    x = np.asarray(x, dtype=float)
    xs = np.where(x < 1e-8, 1.0, x)
    return np.where(x < 1e-8, 1.0 - x / 2.0, np.log1p(xs) / xs)


def _real_scalar_moments(x):
    """int_0^1 a dy and int_0^1 a abar dy, a = y/(1+xy), abar = (1-y)/(1+x(1-y)) (series for small x)."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    l1 = np.log1p(xs) / xs
    A1 = np.where(small, 0.5 - x / 3 + x**2 / 4, (1.0 - l1) / xs)
    Aab = np.where(small, 1 / 6 - x / 6 + 3 * x**2 / 20, (1.0 - 2.0 * l1 * (1.0 + xs) / (2.0 + xs)) / xs**2)
    return A1, Aab


def _moments(x):
    """Analytic y-integrals on [0, 1]: I_a, I_b, I_c, I_d, I_e (module docstring, series for small x)."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    lg = np.log1p(xs)
    Ia = 1.0 / (1.0 + x)
    Ib = np.where(small, 1 / 3 - x / 6 + x**2 / 10, (xs * (2 + xs) - 2 * (1 + xs) * lg) / xs**3)
    Ic = np.where(small, 1 / 3 - x / 2 + 3 * x**2 / 5, (xs - 2 * lg + xs / (1 + xs)) / xs**3)
    Id = np.where(small, 1 / 3 - x / 12 + x**2 / 30, ((1 + xs) ** 2 * lg - xs - 1.5 * xs**2) / xs**3)
    Ie = 2 * Ia + 4 * _l1(x) / (2 + x)
    return Ia, Ib, Ic, Id, Ie


def shape_integral(x, gamma, mediator: str) -> np.ndarray:
    """F(x, gamma) = int_0^1 f(y; x, gamma) dy (analytic), x = s/M^2, gamma = Gamma/M."""
    _check(mediator)
    x = np.asarray(x, dtype=float)
    B = 1.0 / ((x - 1.0) ** 2 + gamma**2)
    Ia, Ib, Ic, Id, Ie = _moments(x)
    if mediator == "scalar":
        return 1.5 * B + 3.0 * Ic
    reb = (x - 1.0) * B
    if mediator == "real_scalar":
        A1, Aab = _real_scalar_moments(x)
        return 3.0 * B + 6.0 * Ic + 2.0 * reb * A1 + Aab
    return 8 * Ia + 8 * Ib + 2 * Ie + 4 * (Ib - 2 * reb * Id + B / 3) + 8 * B / 3


def sigma(E_MeV, g, M_MeV, mediator: str, m_nu_eV: float = 0.05, normalise: str = "paper") -> np.ndarray:
    """Cross section per relic state of a beam neutrino of energy E on relic neutrinos at rest.

    Parameters
    ----------
    E_MeV : array_like
        Beam neutrino energy, MeV (> 0).
    g : float
        Coupling (>= 0).
    M_MeV : float
        Mediator mass, MeV (> 0).
    mediator : {"scalar", "vector"}
    m_nu_eV : float
        Relic neutrino mass, eV (default 0.05).
    normalise : {"paper", "tree"}
        "paper": heavy limit equals lam E with lam = g^4 m_nu/(8 pi M^4) (Eq. II.5);
        "tree": the tree-level relic average (factors TREE_OVER_PAPER).

    Returns
    -------
    numpy.ndarray
        sigma in MeV^-2 (multiply by units.HBARC2_MEV2_CM2 for cm^2).
    """
    _check(mediator)
    if normalise not in ("paper", "tree"):
        raise ValueError(f"normalise must be 'paper' or 'tree', got {normalise!r}")
    E = _checked(E_MeV, "E_MeV")
    M = float(_checked(M_MeV, "M_MeV"))
    m = float(_checked(m_nu_eV, "m_nu_eV")) * EV_MEV
    g = float(_checked(g, "g", positive=False))
    lam = g**4 * m / (8 * np.pi * M**4)
    x = 2 * m * E / M**2
    r = shape_integral(x, float(width_over_mass(g, mediator)), mediator) / F_HEAVY[mediator]
    return lam * E * r * (TREE_OVER_PAPER[mediator] if normalise == "tree" else 1.0)


def resonance_energy_MeV(M_MeV, m_nu_eV: float = 0.05) -> np.ndarray:
    """Beam energy of the s-channel resonance, E_res = M^2 / (2 m_nu), MeV."""
    M = _checked(M_MeV, "M_MeV")
    return M**2 / (2.0 * float(_checked(m_nu_eV, "m_nu_eV")) * EV_MEV)


def _shape(y, ybar, x, Bbar, rebar, mediator):
    """f(y; x) with the resonant factors replaced by their step averages (broadcasting arrays).

    ``mediator="flat"`` is the paper's four-Fermi kernel (dsigma/dE flat, sigma = lam E), used to
    check the kernel machinery against the heavy-mediator solver.
    """
    if mediator == "flat":
        return np.ones(np.broadcast_shapes(np.shape(y), np.shape(x)))
    a = 1.0 / (1.0 + x * y)
    if mediator == "scalar":
        return 1.5 * Bbar + 3.0 * (y * a) ** 2
    ab = 1.0 / (1.0 + x * ybar)
    if mediator == "real_scalar":
        lnv = y * a + ybar * ab  # t/D_t + u/D_u in units of s/M^2 (the s/D_s part is Re(1/D) and B)
        return 3.0 * Bbar + 5.0 * (y * a) ** 2 + rebar * lnv + 0.5 * lnv**2
    yb2 = ybar**2
    return (8 * a**2 + 8 * yb2 * a**2 + 2 * (a + ab) ** 2
            + 4 * yb2 * (a**2 - 2 * rebar * a + Bbar) + 8 * yb2 * Bbar)


def _step_shape_integral(x, Bbar, rebar, mediator):
    """int f dy with the step-averaged resonant factors (consistent with the kernel shapes)."""
    if mediator == "flat":
        return np.ones_like(x)
    Ia, Ib, Ic, Id, Ie = _moments(x)
    if mediator == "scalar":
        return 1.5 * Bbar + 3.0 * Ic
    if mediator == "real_scalar":
        A1, Aab = _real_scalar_moments(x)
        return 3.0 * Bbar + 6.0 * Ic + 2.0 * rebar * A1 + Aab
    return 8 * Ia + 8 * Ib + 2 * Ie + 4 * (Ib - 2 * rebar * Id + Bbar / 3) + 8 * Bbar / 3
