"""Transport kernels of a light mediator (consistent convention).

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

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from ..transport import ChannelStep, TransportGrid
from ..units import EV_MEV
from .cross_sections import (
    F_HEAVY,
    TREE_OVER_PAPER,
    _check,
    _checked,
    _shape,
    _step_shape_integral,
    width_over_mass,
)
from .models import ParticleModel
from .resonant_steps import B_COEFFICIENT, cell_averaged_tail


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


def step_resonance(x_lo, x_hi, gamma: float) -> tuple:
    """Step averages of B = 1/((x-1)^2 + gamma^2) and R = Re(1/D) = (x-1) B over x in [x_lo, x_hi].

    Exact antiderivatives, written without cancellation: on one side of the pole the arctan difference
    is arctan(gamma dx / (gamma^2 + (x_hi-1)(x_lo-1))) (the plain difference of two arctans ~ pi/2 loses
    all digits once gamma < 1e-16 |x - 1|, giving B = 0 while R stays finite, i.e. R^2 > B: a negative
    s-channel/interference rate), across it the plain difference (no cancellation).  gamma = 0: the
    zero-width limit 1/(1 - x) (steps that do not straddle the pole).
    """
    dx = x_hi - x_lo
    a, b = x_hi - 1.0, x_lo - 1.0
    if gamma > 0:
        den = gamma**2 + a * b
        side = den > 0.0
        Bint = np.where(side, np.arctan(gamma * dx / np.where(side, den, 1.0)),
                        np.arctan(a / gamma) - np.arctan(b / gamma)) / gamma
    else:
        Bint = dx / (a * b)
    Rint = 0.5 * np.log((a**2 + gamma**2) / (b**2 + gamma**2))
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
                        normalise: str = "paper", model: ParticleModel | None = None,
                        cell_tail: bool = True) -> Iterator[ChannelStep]:
    """Per-step loss and redistribution kernels for a light mediator, in time order.

    The relic density in ``tgrid`` must count the six relic states (relic_dof = 6) for the
    relic average of this module.  Each outgoing neutrino is deposited with hat weights
    (number and energy conserving) at Gauss-Legendre points of every energy segment, with a
    log-clustered rule in the top segment.  Cost: O(n_E^2) per step.  ``mediator="flat"``
    gives the four-Fermi flat kernel of the heavy-mediator solver (for checks).  A ``model``
    (:class:`.models.ParticleModel`, universal couplings) replaces ``mediator`` and ``normalise``:
    its amplitudes, heavy-limit strength and width.
    """
    m = float(_checked(m_nu_eV, "m_nu_eV")) * EV_MEV
    M = float(_checked(M_MeV, "M_MeV"))
    g = float(_checked(g, "g", positive=False))
    if model is not None:
        if not model.universal:
            raise ValueError("the light-mediator transport needs flavour-universal couplings; "
                             f"got {model.couplings!r} (use ParticleModel.lam_eff for the heavy limit)")
        mediator, mult, gam = model.kind, model.strength(), model.width_over_mass(g)
    else:
        _check(mediator, allow_flat=True)
        mult = TREE_OVER_PAPER[mediator] if normalise == "tree" else 1.0
        gam = float(width_over_mass(g, "scalar" if mediator == "flat" else mediator))
    lam = g**4 * m / (8 * np.pi * M**4) * mult
    e, wdt = tgrid.energy, tgrid.width
    K = _kernel(np.ascontiguousarray(e, dtype=float).tobytes())
    x0 = 2 * m * e / M**2  # x at z = 0
    scale = wdt[None, :] / wdt[:, None]  # Delta_j / Delta_k
    for n in range(tgrid.n_steps - 1, -1, -1):
        ulo, uhi = tgrid.u[n], tgrid.u[n + 1]
        x_mid = x0 * np.exp(0.5 * (ulo + uhi))
        Bbar, rebar = step_resonance(x0 * np.exp(ulo), x0 * np.exp(uhi), gam)
        if cell_tail and mediator != "flat" and gam < 0.1 * tgrid.du:   # as fast_kernels._step_scalars
            coef = lam * tgrid.kappa_mid[n] * e * (np.exp(uhi) - np.exp(ulo)) / F_HEAVY[mediator] * B_COEFFICIENT[mediator]
            Bbar = cell_averaged_tail(Bbar, x0 * np.exp(ulo), x0 * np.exp(uhi), coef, tgrid.h_lnE)
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


def light_mediator_fluxes(solver, g: float, M_MeV: float, mediator: str, temps: tuple[float, float, float],
                          m_nu_eV: float = 0.05, normalise: str = "paper",
                          model: ParticleModel | None = None, kernels: str = "direct",
                          split_crossing: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(dsnb, total) of (nue, nuebar, nux), shape (3, n_E), cm^-2 s^-1 MeV^-1, for E_tot = 3e53 erg.

    Parameters
    ----------
    solver : relicboost.physics.transport.ConsistentSolver
        Built with relic_dof = 6 (see :func:`relicboost.physics.transport.consistent_solver`).
    g, M_MeV, mediator, m_nu_eV, normalise :
        As in :func:`sigma`.
    model : ParticleModel, optional
        Replaces ``mediator`` and ``normalise`` (:func:`light_channel_steps`).
    kernels : {"direct", "tabulated"}
        "direct": shapes evaluated per step (:func:`light_channel_steps`); "tabulated": the same
        deposits interpolated from per-grid tables (:mod:`.fast_kernels`; agrees to ~1e-5, a new point
        costs a fraction; the first call per grid builds the tables, ~1-8 s).  Both are solved by
        :func:`.fast_kernels.fast_light_mediator_solve`.
    split_crossing : bool
        Split the sources of the step in which a node crosses a narrow resonance at the crossing (default;
        as :func:`.mass_transport.mass_channel_fluxes`); False: the whole step sees the resonant loss.
    temps : tuple of float
        Supernova temperatures of nue, nuebar, nux in MeV.
    """
    if abs(solver.tgrid.relic_dof - 6.0) > 1e-12:
        raise ValueError(f"relic_dof must be 6 for light-mediator transport, got {solver.tgrid.relic_dof!r}")
    if kernels not in ("direct", "tabulated"):
        raise ValueError(f"kernels must be 'direct' or 'tabulated', got {kernels!r}")
    if mediator == "flat" and model is None:  # four-Fermi check kernel: no resonance
        steps = light_channel_steps(solver.tgrid, g, M_MeV, mediator, m_nu_eV, normalise)
        return solver.transport.species(solver.transport.solve_conservative(solver.sources(temps), steps))
    from .fast_kernels import fast_light_mediator_solve

    pm = model or (ParticleModel("paper", mediator=mediator) if normalise == "paper"
                   else ParticleModel("complex-scalar" if mediator == "scalar" else "vector"))
    raw = fast_light_mediator_solve(solver, g, M_MeV, pm, temps, m_nu_eV, kernels, split_crossing)
    return solver.transport.species(raw)
