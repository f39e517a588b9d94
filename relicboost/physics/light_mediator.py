"""Tree-level nu-nu scattering with a light scalar or vector mediator (full propagators).

Models (flavour-universal, flavour-diagonal couplings g in the mass basis, paper Eqs. II.2, II.4)
-------------------------------------------------------------------------------------------
* scalar: complex phi with lepton number 2, L = g phi* nu_i nu_i + h.c.;
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

Transport with a light mediator: :func:`light_channel_steps` builds the per-step loss and
redistribution kernels (products deposited with number- and energy-conserving hat
weights at log-clustered quadrature points in y and 1-y; the narrow s-channel resonance
is integrated analytically over each step, since the physical energy of a node sweeps
a factor exp(Delta u) per step).  Approximations: one outgoing neutrino keeps the incoming
channel (the one on the beam fermion line), the other is shared democratically over the
relic states; the nu <-> nubar relabelling of the scalar t-channel is neglected for the
flavour split (it does not change the summed spectrum).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterator

import numpy as np

from .transport import ChannelStep, TransportGrid
from .units import EV_MEV

MEDIATORS: tuple[str, ...] = ("scalar", "vector")
#: int f dy in the heavy limit (see module docstring).
F_HEAVY: dict[str, float] = {"scalar": 2.5, "vector": 80.0 / 3.0, "flat": 1.0}
#: Tree-level relic-averaged sigma per relic state / paper Eq. II.5, heavy limit (chirality factor not included).
TREE_OVER_PAPER: dict[str, float] = {"scalar": 2.5 / 6.0, "vector": 80.0 / 18.0, "flat": 1.0}


def _check(mediator: str, allow_flat: bool = False) -> None:
    if allow_flat and mediator == "flat":
        return
    if mediator not in MEDIATORS:
        raise ValueError(f"mediator must be one of {MEDIATORS}, got {mediator!r}")


def _checked(x, name: str, positive: bool = True) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or (np.any(a <= 0) if positive else np.any(a < 0)):
        rng = "(0, inf)" if positive else "[0, inf)"
        raise ValueError(f"{name} must be finite and in {rng}")
    return a


def width_over_mass(g, mediator: str) -> np.ndarray:
    """Tree-level total width / mass of the mediator: 3 g^2/(32 pi) (scalar), g^2/(8 pi) (vector)."""
    _check(mediator)
    g = _checked(g, "g", positive=False)
    return 3.0 * g**2 / (32.0 * np.pi) if mediator == "scalar" else g**2 / (8.0 * np.pi)


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
        scalar: ``nunu_s`` (per final channel), ``nunubar_t``; vector: ``nunu_t`` (j != i),
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


# --------------------------------------------------------------------------- transport kernels


@lru_cache(maxsize=4)
def _segment_rule(n_gl: int = 4, n_top: int = 48, y_min: float = 1e-14, h: float = 0.0) -> tuple:
    """Quadrature of one energy segment (Gauss-Legendre in ln E) and of the top segment.

    The top segment (between the incoming node and the node below) is integrated in
    y_top = 1 - xi with nodes clustered logarithmically down to ``y_min``, because the
    forward peak of a light t-channel mediator (width 1/x in y) can be much narrower.
    """
    t, w = np.polynomial.legendre.leggauss(n_gl)
    t, w = 0.5 * (t + 1.0), 0.5 * w
    tt, wt = np.polynomial.legendre.leggauss(n_top)
    a, b = np.log(y_min), np.log(-np.expm1(-h))
    lny = 0.5 * (b - a) * tt + 0.5 * (b + a)
    ytop = np.exp(lny)
    wtop = 0.5 * (b - a) * wt * ytop
    return t, w, ytop, wtop


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
    yb2 = ybar**2
    return (8 * a**2 + 8 * yb2 * a**2 + 2 * (a + ab) ** 2
            + 4 * yb2 * (a**2 - 2 * rebar * a + Bbar) + 8 * yb2 * Bbar)


def _step_resonance(x_lo, x_hi, gamma):
    """Averages of B = 1/((x-1)^2 + gamma^2) and Re(1/D) over x in [x_lo, x_hi] (exact antiderivatives)."""
    dx = x_hi - x_lo
    if gamma > 0:
        Bint = (np.arctan((x_hi - 1) / gamma) - np.arctan((x_lo - 1) / gamma)) / gamma
    else:
        Bint = 1 / (1 - x_hi) - 1 / (1 - x_lo)
    Rint = 0.5 * (np.log((x_hi - 1) ** 2 + gamma**2) - np.log((x_lo - 1) ** 2 + gamma**2))
    return Bint / dx, Rint / dx


class _Kernel:
    """Deposit pattern of the two outgoing neutrinos on a uniform ln-E grid (geometry only)."""

    def __init__(self, energy: np.ndarray) -> None:
        n = energy.size
        h = float(np.log(energy[1] / energy[0]))
        if np.max(np.abs(np.diff(np.log(energy)) - h)) > 1e-9:
            raise ValueError("light-mediator kernels need a log-uniform energy grid")
        t, w, ytop, wtop = _segment_rule(h=round(h, 12))
        self.n, self.h = n, h
        m = np.arange(2, n)[:, None]                 # segments below the top one: nodes (j-m, j-m+1)
        xi = np.exp((t[None, :] - m) * h)            # (n-2, n_gl): E_product / E_in
        self.xi = xi
        self.one_minus_xi = -np.expm1((t[None, :] - m) * h)
        self.w = xi * h * w[None, :]                 # d xi weights
        self.frac = np.broadcast_to((np.expm1(t * h) / np.expm1(h))[None, :], xi.shape)
        self.m = m
        self.ytop, self.xitop = ytop, 1.0 - ytop
        self.wtop = wtop
        self.fractop = (self.xitop - np.exp(-h)) / (-np.expm1(-h))
        jj = np.arange(n)[:, None]
        lo = jj - m[:, 0][None, :]                   # (n, n-2) receiving lower node (may be < 0)
        self.valid = lo >= 0
        self.idx_lo = np.where(self.valid, lo * n + jj, 0)
        self.idx_hi = np.where(self.valid, (lo + 1) * n + jj, 0)

    def deposit(self, f_seg: np.ndarray, f_top: np.ndarray, F: np.ndarray) -> np.ndarray:
        """Number deposited at node k per scattering at node j -> (n, n).

        f_seg : (n, n-2, n_gl) shape values at the segment points; f_top : (n, n_top) at the top segment.
        """
        n = self.n
        wseg = f_seg * self.w[None] / F[:, None, None]
        lo = (wseg * (1 - self.frac[None])).sum(-1)
        hi = (wseg * self.frac[None]).sum(-1)
        lo = np.where(self.valid, lo, 0.0)
        hi = np.where(self.valid, hi, 0.0)
        out = np.bincount(self.idx_lo.ravel(), lo.ravel(), minlength=n * n)
        out += np.bincount(self.idx_hi.ravel(), hi.ravel(), minlength=n * n)
        out = out.reshape(n, n)
        wt = f_top * self.wtop[None, :] / F[:, None]
        j = np.arange(1, n)
        out[j - 1, j] += (wt[1:] * (1 - self.fractop[None, :])).sum(-1)
        out[j, j] += (wt[1:] * self.fractop[None, :]).sum(-1)
        return out


@lru_cache(maxsize=8)
def _kernel(energy_bytes: bytes) -> _Kernel:
    return _Kernel(np.frombuffer(energy_bytes))


def light_channel_steps(tgrid: TransportGrid, g: float, M_MeV: float, mediator: str, m_nu_eV: float = 0.05,
                        normalise: str = "paper") -> Iterator[ChannelStep]:
    """Per-step loss and redistribution kernels for a light mediator, in time order.

    The relic density in ``tgrid`` must count the six relic states (relic_dof = 6) for the
    relic average of this module.  Each outgoing neutrino is deposited with hat weights
    (number and energy conserving) at Gauss-Legendre points of every energy segment, with a
    log-clustered rule in the top segment.  Cost: O(n_E^2) per step.  ``mediator="flat"``
    gives the four-Fermi flat kernel of the heavy-mediator solver (for checks).
    """
    _check(mediator, allow_flat=True)
    m = float(_checked(m_nu_eV, "m_nu_eV")) * EV_MEV
    M = float(_checked(M_MeV, "M_MeV"))
    g = float(_checked(g, "g", positive=False))
    lam = g**4 * m / (8 * np.pi * M**4) * (TREE_OVER_PAPER[mediator] if normalise == "tree" else 1.0)
    gam = float(width_over_mass(g, "scalar" if mediator == "flat" else mediator))
    e, wdt = tgrid.energy, tgrid.width
    K = _kernel(np.ascontiguousarray(e, dtype=float).tobytes())
    x0 = 2 * m * e / M**2  # x at z = 0
    scale = wdt[None, :] / wdt[:, None]  # Delta_j / Delta_k
    for n in range(tgrid.n_steps - 1, -1, -1):
        ulo, uhi = tgrid.u[n], tgrid.u[n + 1]
        x_mid = x0 * np.exp(0.5 * (ulo + uhi))
        Bbar, rebar = _step_resonance(x0 * np.exp(ulo), x0 * np.exp(uhi), gam)
        xs, Bs, Rs = x_mid[:, None, None], Bbar[:, None, None], rebar[:, None, None]
        F = _step_shape_integral(x_mid, Bbar, rebar, mediator)
        # partner (relic line) has energy fraction y = xi, the beam-line neutrino 1 - y = xi
        part = _shape(K.xi[None], K.one_minus_xi[None], xs, Bs, Rs, mediator)
        own = _shape(K.one_minus_xi[None], K.xi[None], xs, Bs, Rs, mediator)
        xt, Bt, Rt = x_mid[:, None], Bbar[:, None], rebar[:, None]
        part_top = _shape(K.xitop[None], K.ytop[None], xt, Bt, Rt, mediator)
        own_top = _shape(K.ytop[None], K.xitop[None], xt, Bt, Rt, mediator)
        loss = lam * tgrid.kappa_mid[n] * e * (np.exp(uhi) - np.exp(ulo)) * F / F_HEAVY[mediator]
        d_own = K.deposit(own, own_top, F) * (loss[None, :] * scale)
        d_part = K.deposit(part, part_top, F) * (loss[None, :] * scale)
        yield ChannelStep(loss=loss, gain_own=d_own, gain_both=d_own + d_part)


def _step_shape_integral(x, Bbar, rebar, mediator):
    """int f dy with the step-averaged resonant factors (consistent with the kernel shapes)."""
    if mediator == "flat":
        return np.ones_like(x)
    Ia, Ib, Ic, Id, Ie = _moments(x)
    if mediator == "scalar":
        return 1.5 * Bbar + 3.0 * Ic
    return 8 * Ia + 8 * Ib + 2 * Ie + 4 * (Ib - 2 * rebar * Id + Bbar / 3) + 8 * Bbar / 3


def light_mediator_fluxes(solver, g: float, M_MeV: float, mediator: str, temps: tuple[float, float, float],
                          m_nu_eV: float = 0.05, normalise: str = "paper") -> tuple[np.ndarray, np.ndarray]:
    """(dsnb, total) of (nue, nuebar, nux), shape (3, n_E), cm^-2 s^-1 MeV^-1, for E_tot = 3e53 erg.

    Parameters
    ----------
    solver : relicboost.physics.transport.ConsistentSolver
        Built with relic_dof = 6 (see :func:`relicboost.physics.transport.consistent_solver`).
    g, M_MeV, mediator, m_nu_eV, normalise :
        As in :func:`sigma`.
    temps : tuple of float
        Supernova temperatures of nue, nuebar, nux in MeV.
    """
    if abs(solver.tgrid.relic_dof - 6.0) > 1e-12:
        raise ValueError(f"relic_dof must be 6 for light-mediator transport, got {solver.tgrid.relic_dof!r}")
    steps = light_channel_steps(solver.tgrid, g, M_MeV, mediator, m_nu_eV, normalise)
    raw = solver.transport.solve_conservative(solver.sources(temps), steps)
    return solver.transport.species(raw)


# --------------------------------------------------------------------------- paper convention (Eq. IV.11)

#: Outgoing neutrinos counted in the paper convention (``Model`` option ``outgoing``).
OUTGOING: tuple[str, ...] = ("partner", "both")


def fraction_distribution(y, x, gamma, mediator: str, outgoing: str = "partner",
                          normalise: str = "paper") -> np.ndarray:
    """Normalised energy-fraction distribution (1/sigma) dsigma/dy of the counted outgoing neutrino(s).

    The *relic partner* is the outgoing neutrino on the relic's fermion line, with energy
    fraction y = E_C/E_D (t = -y s; the convention of :func:`light_channel_steps`): for the
    scalar it is the nu_j of nu_i nubar_j -> nubar_i nu_j (t-channel) and either nu_k of
    phi -> nu_k nu_k (s-channel, flat in y); for the vector it is the neutrino that exchanges
    the mediator with the relic in the t-channel graphs (nu_j in nu_i nu_j and nu_i nubar_j,
    the neutrino of momentum fraction y in the identical-particle and s-channel graphs).  One
    partner per scattering, as the paper counts it.  ``outgoing="both"`` adds the beam-line
    neutrino (fraction 1 - y), so the distribution integrates to 2.

    ``normalise="tree"``: the tree-level shape f(y; x) / int f dy (module docstring).
    ``normalise="paper"``: the shape relative to its own heavy limit,
    p = [f(y; x) / f(y; 0)] / int [f(y; x) / f(y; 0)] dy, which is *flat* (the paper's
    dsigma/dE_C = sigma/E_D, Eq. IV.11) in the heavy limit and carries the propagator
    effects (forward peaks, resonance) beyond it, just as ``sigma(..., normalise="paper")``
    divides the heavy-limit O(1) factors out of the total cross section.

    Parameters
    ----------
    y : array_like
        Energy fraction in [0, 1].
    x : array_like
        s / M^2 = 2 m_nu E_D / M^2 (broadcast against ``y``).
    gamma : float
        Width / mass of the mediator (:func:`width_over_mass`).
    mediator : {"scalar", "vector"}
    outgoing : {"partner", "both"}
    normalise : {"paper", "tree"}

    Returns
    -------
    numpy.ndarray
        Distribution in y (dimensionless), integral 1 ("partner") or 2 ("both").
    """
    _check(mediator)
    _check_paper_options(outgoing, normalise)
    y = np.asarray(y, dtype=float)
    return _fraction(y, 1.0 - y, np.asarray(x, dtype=float), float(gamma), mediator, outgoing, normalise)


def _check_paper_options(outgoing: str, normalise: str) -> None:
    if outgoing not in OUTGOING:
        raise ValueError(f"outgoing must be one of {OUTGOING}, got {outgoing!r}")
    if normalise not in ("paper", "tree"):
        raise ValueError(f"normalise must be 'paper' or 'tree', got {normalise!r}")


def _counted(y, ybar, x, B, re, mediator, outgoing):
    f = _shape(y, ybar, x, B, re, mediator)
    return f + _shape(ybar, y, x, B, re, mediator) if outgoing == "both" else f


#: log10 x range of the tabulated normalisation of the "paper" shape (x clipped to it).
_LOGX_TABLE = (-8.0, 8.0, 1601)


@lru_cache(maxsize=8)
def _paper_norm_table(mediator: str, outgoing: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """int f_k(y; x)/f(y; 0) dy for f = f_A + B f_B + Re(1/D) f_R (f is linear in B and Re(1/D)).

    Composite Gauss-Legendre in ln y and ln(1 - y) down to 1e-15 (peaks of width 1/x in y).
    Returns (ln x nodes, I_A, I_B, I_R).
    """
    t, w = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(np.log(1e-15), np.log(0.5), 17)
    a, b = edges[:-1, None], edges[1:, None]
    ln_s = (0.5 * (b - a) * t + 0.5 * (b + a)).ravel()
    ws = (0.5 * (b - a) * w).ravel() * np.exp(ln_s)        # d s, s in (0, 1/2]
    s_ = np.exp(ln_s)
    y = np.concatenate([s_, 1.0 - s_])[None, :]
    ybar = np.concatenate([1.0 - s_, s_])[None, :]
    wy = np.concatenate([ws, ws])[None, :]
    lnx = np.linspace(*_LOGX_TABLE[:2], _LOGX_TABLE[2]) * np.log(10.0)
    x = np.exp(lnx)[:, None]
    f0 = _counted(y, ybar, 0.0, 1.0, -1.0, mediator, outgoing)
    fa = _counted(y, ybar, x, 0.0, 0.0, mediator, outgoing)
    fb = _counted(y, ybar, x, 1.0, 0.0, mediator, outgoing) - fa
    fr = _counted(y, ybar, x, 0.0, 1.0, mediator, outgoing) - fa
    return lnx, (fa / f0 * wy).sum(-1), (fb / f0 * wy).sum(-1), (fr / f0 * wy).sum(-1)


def _fraction(y, ybar, x, gamma, mediator, outgoing, normalise):
    """fraction_distribution with y and 1 - y given separately (no cancellation near y = 1)."""
    B = 1.0 / ((x - 1.0) ** 2 + gamma**2)
    re = (x - 1.0) * B
    f = _counted(y, ybar, x, B, re, mediator, outgoing)
    if normalise == "tree":
        return f / shape_integral(x, gamma, mediator)
    lnx, ia, ib, ir = _paper_norm_table(mediator, outgoing)
    lx = np.clip(np.log(np.maximum(x, 1e-300)), lnx[0], lnx[-1])
    norm = np.interp(lx, lnx, ia) + B * np.interp(lx, lnx, ib) + re * np.interp(lx, lnx, ir)
    f0 = _counted(y, ybar, 0.0, 1.0, -1.0, mediator, outgoing)
    return (2.0 if outgoing == "both" else 1.0) * f / (f0 * norm)


def paper_partner_kernel(energy_MeV: np.ndarray, g: float, M_MeV: float, mediator: str, m_nu_eV: float = 0.05,
                         normalise: str = "paper", outgoing: str = "partner") -> tuple[np.ndarray, np.ndarray]:
    """Cross section and Eq. IV.11 kernel matrix of a light mediator for the ``paper`` convention.

    Eq. IV.11 with a general differential cross section reads
    psi(E_C) = int dln E_D sigma(E_D) p(E_C/E_D; x(E_D)) H(E_D), p = :func:`fraction_distribution`
    (flat, p = 1, in the heavy limit with ``normalise="paper"``),
    H = sum_m boost_weight_m Phi_D(z_m, E_D).  G = sigma H is interpolated quadratically in ln E
    (three-node Lagrange stencil per energy cell) and p is integrated against that interpolant
    (product integration: 4-point Gauss-Legendre per energy cell, and in the cell E_D -> E_C, where
    the forward t-/u-channel peaks of width 1/x in 1 - y sit, a rule clustered
    logarithmically down to 1 - y = 1e-14).  sigma is taken at the nodes, consistently with
    the attenuation of :func:`relicboost.physics.propagation.attenuated_dsnb`, so that a
    node at the s-channel resonance saturates instead of producing partners without limit;
    the resonance is resolved only as well as the energy grid resolves it.

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        Log-uniform energy nodes, MeV.
    g, M_MeV, mediator, m_nu_eV, normalise :
        As in :func:`sigma`.
    outgoing : {"partner", "both"}
        Outgoing neutrinos counted (see :func:`fraction_distribution`).

    Returns
    -------
    (sigma, W) : tuple of numpy.ndarray
        sigma at the nodes, MeV^-2, shape (n_E,); W, shape (n_E, n_E), MeV^-2, with
        psi_c = sum_d W[c, d] H_d (:func:`relicboost.physics.propagation.upscattered_kernel`).
    """
    _check(mediator)
    _check_paper_options(outgoing, normalise)
    e = np.asarray(energy_MeV, dtype=float)
    sig = sigma(e, g, M_MeV, mediator, m_nu_eV, normalise)
    n = e.size
    h = float(np.log(e[1] / e[0]))
    if n < 3 or np.max(np.abs(np.diff(np.log(e)) - h)) > 1e-9:
        raise ValueError("energy_MeV must be a log-uniform grid of >= 3 nodes")
    gam = float(width_over_mass(g, mediator))
    c_x = 2.0 * float(m_nu_eV) * EV_MEV / float(M_MeV) ** 2   # x = c_x E
    t, w, ytop, wtop = _segment_rule(h=round(h, 12))
    Q = np.zeros((n, n))

    def deposit(rows, cells, tau_in_cell, values):
        """Add int p L_k over the cells to Q[rows, stencil + k] (quadratic Lagrange basis in ln E)."""
        start = np.minimum(cells, n - 3)
        tau = tau_in_cell + (cells - start)[:, None]
        basis = (0.5 * (tau - 1.0) * (tau - 2.0), -tau * (tau - 2.0), 0.5 * tau * (tau - 1.0))
        for k, L in enumerate(basis):
            np.add.at(Q, (rows, start + k), (values * L).sum(-1))

    # cells j > c: points E = e_j exp(t h), fraction y = e_c / E = exp((c - j - t) h)
    c_idx, j_idx = np.triu_indices(n - 1, k=1)          # c < j <= n - 2
    lny = (c_idx - j_idx)[:, None] * h - t[None, :] * h
    y = np.exp(lny)
    x = c_x * e[j_idx][:, None] * np.exp(t * h)[None, :]
    p = _fraction(y, -np.expm1(lny), x, gam, mediator, outgoing, normalise) * (h * w)[None, :]
    deposit(c_idx, j_idx, np.broadcast_to(t, p.shape), p)
    # top cell j = c: E = e_c / (1 - ytop), y = 1 - ytop
    c_top = np.arange(n - 1)
    xi = 1.0 - ytop
    xt = c_x * e[c_top][:, None] / xi[None, :]
    pt = _fraction(np.broadcast_to(xi, xt.shape), np.broadcast_to(ytop, xt.shape), xt, gam, mediator, outgoing,
                   normalise)
    deposit(c_top, c_top, np.broadcast_to(-np.log(xi) / h, pt.shape), pt * (wtop / xi)[None, :])
    return sig, Q * sig[None, :]
