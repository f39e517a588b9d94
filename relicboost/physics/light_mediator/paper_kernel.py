"""Light-mediator cross sections in the ``paper`` convention (Eq. IV.11 with a general dsigma/dy).

The relic-partner energy-fraction distribution (:func:`fraction_distribution`) and the kernel
matrix of the printed Eq. IV.11 (:func:`paper_partner_kernel`).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..units import EV_MEV
from .cross_sections import _check, _shape, shape_integral, sigma, width_over_mass
from .models import ParticleModel
from .transport_kernels import _segment_rule

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
                         normalise: str = "paper", outgoing: str = "partner",
                         model: ParticleModel | None = None) -> tuple[np.ndarray, np.ndarray]:
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
    model : ParticleModel, optional
        Replaces ``mediator`` and ``normalise``: the model's cross section, width and (for a model
        other than "paper") tree-level shapes (:mod:`.models`).

    Returns
    -------
    (sigma, W) : tuple of numpy.ndarray
        sigma at the nodes, MeV^-2, shape (n_E,); W, shape (n_E, n_E), MeV^-2, with
        psi_c = sum_d W[c, d] H_d (:func:`relicboost.physics.propagation.upscattered_kernel`).
    """
    e = np.asarray(energy_MeV, dtype=float)
    if model is not None:
        mediator, normalise = model.kind, ("paper" if model.name == "paper" else "tree")
        sig = model.sigma(e, g, M_MeV, m_nu_eV)
        gam = model.width_over_mass(g)
    else:
        _check(mediator)
        sig = sigma(e, g, M_MeV, mediator, m_nu_eV, normalise)
        gam = float(width_over_mass(g, mediator))
    _check_paper_options(outgoing, normalise)
    n = e.size
    h = float(np.log(e[1] / e[0]))
    if n < 3 or np.max(np.abs(np.diff(np.log(e)) - h)) > 1e-9:
        raise ValueError("energy_MeV must be a log-uniform grid of >= 3 nodes")
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
