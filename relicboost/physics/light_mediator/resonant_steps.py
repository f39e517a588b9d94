"""Exact in-step time profile of a narrow s-channel resonance for the sources of the single-mass fast transport.

Used by :func:`.fast_kernels.fast_light_mediator_solve` (``split_crossing``): within the redshift step in which a
node crosses x = s/M^2 = 1 the resonant loss is spent like a step in time, so the sources emitted after the crossing
never meet it.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import numpy as np

from ..etd2 import etd2_weights
from ..transport import TransportGrid
from ..units import EV_MEV
from .cross_sections import F_HEAVY
from .models import ParticleModel

#: Coefficient of B = |M^2/D_s|^2 in int f dy (:func:`.cross_sections._step_shape_integral`).
B_COEFFICIENT: dict[str, float] = {"scalar": 1.5, "real_scalar": 3.0, "vector": 4.0}


@lru_cache(maxsize=4)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights of order n on [0, 1]."""
    t, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (t + 1.0), 0.5 * w


def _atan_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """arctan(a) - arctan(b) without cancellation when a and b are large and of the same sign."""
    with np.errstate(divide="ignore", invalid="ignore"):
        same = a * b > -1.0
        return np.where(same, np.arctan((a - b) / np.where(same, 1.0 + a * b, 1.0)), np.arctan(a) - np.arctan(b))


class ResonantSteps:
    """Exact in-step time profile of the resonant (B) loss, for the source terms of the steps near a resonance.

    Within a step the node's x = s/M^2 sweeps x_hi -> x_lo and the B part of the loss, loss_B (the step total),
    is spent in proportion to int B dx (arctan antiderivative), so a source emitted at time t in [0, 1] of the step
    survives exp(-A_rest (1 - t) - loss_B P(t)), P(t) = int_{x_lo}^{x(t)} B dx / int_{x_lo}^{x_hi} B dx, with the
    rest of the loss A_rest spent uniformly.  Where loss_B > ``LOSS_B_MIN`` and B > ``B_MIN`` (the node is near the
    resonance) the sources of the step are fed to the step schemes scaled (per old and new source node) so that
    the scheme absorbs exactly what the exact profile absorbs, and the exact survivors are added directly
    (:meth:`sources`): number conservation is kept and the survivors are exact to the quadrature (Gauss-Legendre,
    split and clustered at a narrow crossing, where the resonance turns a node off like a step in time).  There
    the schemes use the full loss and the node's own products (self-deposit) are added after the step, not
    absorbed again: they are born at lower x, i.e. (below the resonance) away from it.
    """

    LOSS_B_MIN = 1e-3
    B_MIN = 100.0  # near the resonance only (|x - 1| < 0.1 in the step); the heavy limit has B = 1
    N_QUAD = 12

    def __init__(self, tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel, m_nu_eV: float,
                 scalars: tuple[np.ndarray, ...]) -> None:
        Bbar, loss, weight = scalars[1], scalars[3], scalars[4]
        loss_B = weight * B_COEFFICIENT[model.kind] * Bbar
        gam = model.width_over_mass(g)
        x0 = 2 * m_nu_eV * EV_MEV * tgrid.energy / M_MeV**2
        steps, nodes = np.nonzero((loss_B > self.LOSS_B_MIN) & (Bbar > self.B_MIN))
        ulo, uhi = tgrid.u[steps], tgrid.u[steps + 1]
        u_c = -np.log(x0[nodes])                                    # x0 e^u = 1
        f = np.where((u_c > ulo) & (u_c < uhi) & (gam < 0.1 * tgrid.du), (uhi - u_c) / (uhi - ulo), 0.0)
        s, w = _gauss_legendre(self.N_QUAD)
        t = np.concatenate([f[:, None] * s[None], f[:, None] + (1 - f[:, None]) * s[None] ** 2], axis=1)
        wt = np.concatenate([f[:, None] * w[None], (1 - f[:, None]) * 2 * s[None] * w[None]], axis=1)
        xt = x0[nodes, None] * np.exp(uhi[:, None] - t * tgrid.du)
        xl = (x0[nodes] * np.exp(ulo) - 1.0)[:, None] / gam
        P = _atan_difference((xt - 1.0) / gam, xl) / _atan_difference((x0[nodes, None] * np.exp(uhi[:, None]) - 1.0)
                                                                      / gam, xl)
        lb = loss_B[steps, nodes]
        a_rest = np.maximum(loss[steps, nodes] - lb, 0.0)[:, None]
        surv = wt * np.exp(-a_rest * (1 - t) - lb[:, None] * P)
        s0, s1 = (surv * (1 - t)).sum(1), (surv * t).sum(1)
        _, w0, w1 = etd2_weights(loss[steps, nodes])                 # the schemes' source weights at the full loss
        with np.errstate(divide="ignore", invalid="ignore"):
            self.c0 = np.where(0.5 - w0 > 1e-12, (0.5 - s0) / (0.5 - w0), 1.0)
            self.c1 = np.where(0.5 - w1 > 1e-12, (0.5 - s1) / (0.5 - w1), 1.0)
        self.d0, self.d1 = tgrid.du * (s0 - self.c0 * w0), tgrid.du * (s1 - self.c1 * w1)
        self.steps, self.nodes = steps, nodes
        bounds = np.searchsorted(steps, np.arange(tgrid.n_steps + 1))          # np.nonzero sorts by step
        #: per step, the nodes near the resonance
        self.near = [nodes[a:b] for a, b in pairwise(bounds)]

    def sources(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(q_old, q_new, direct), each (n_steps, n, k): the sources of step s (Q[s + 1], Q[s]) fed to its scheme and
        the exact survivors added after it, from sources Q (n_u, n, k) per unit u."""
        st, j = self.steps, self.nodes
        q_old, q_new = Q[1:].copy(), Q[:-1].copy()
        q_old[st, j] *= self.c0[:, None]
        q_new[st, j] *= self.c1[:, None]
        direct = np.zeros_like(q_old)
        direct[st, j] = self.d0[:, None] * Q[st + 1, j] + self.d1[:, None] * Q[st, j]
        return q_old, q_new, direct


#: Optical depth of the crossing above which a resonance is treated as opaque (:func:`resonance_edge`).
TAU_OPAQUE = 30.0
#: Largest tail width c, in node spacings, of a sub-grid tail (:func:`resonance_edge`, :func:`cell_averaged_tail`).
TAIL_MAX = 0.2


def resonance_edge(tgrid: TransportGrid, g: float, M_MeV: float, model: ParticleModel,
                   m_nu_eV: float) -> tuple[float, float] | None:
    """(E_res today in MeV, tail width c) of an opaque narrow resonance of relics at rest, or None.

    A flux crossing E_res = M^2 / (2 m_nu) is absorbed with optical depth tau_res = pi c / gamma (gamma = Gamma/M);
    at delta = |ln(E / E_res)| >> gamma the B part of the loss per unit ln E is c / delta^2 with
    c = lam kappa(z=0) K M^2 / (2 m_nu F_heavy) (K: :data:`B_COEFFICIENT`), so a flux that ends today at delta above
    E_res carries the notch exp(-c / delta).  None unless the resonance is narrow (gamma < du / 10, as
    :class:`ResonantSteps`), opaque (tau_res > :data:`TAU_OPAQUE`), its tail sub-grid (c < :data:`TAIL_MAX` h) and
    E_res three nodes inside the grid.
    """
    e = tgrid.energy
    gam = model.width_over_mass(g)
    m = m_nu_eV * EV_MEV
    e_res = M_MeV**2 / (2 * m)
    lam = g**4 * m / (8 * np.pi * M_MeV**4) * model.strength()
    c = lam * float(tgrid.kappa[0]) * B_COEFFICIENT[model.kind] * M_MeV**2 / (2 * m * F_HEAVY[model.kind])
    if not (0 < gam < 0.1 * tgrid.du and np.pi * c / gam > TAU_OPAQUE and c < TAIL_MAX * tgrid.h_lnE
            and e[3] < e_res < e[-4]):
        return None
    return e_res, c


class PresentCrossing:
    """The crossing under way today: the products of the node cell that straddles E_res (opaque narrow resonance).

    The step schemes absorb a node's whole cell (width h in ln E) when the node centre crosses the resonance,
    whereas the flux of the cell crosses during a time h in u around it.  For the cells that crossed in the past
    this only smears the birth times of their products; the cell crossing today is absorbed in part.  With the last
    node below E_res at ln E_res - f h (0 <= f < 1), the grid has absorbed its cell whole and the cell above not at
    all, the flux the comoving interval up to E_res: (f - 1/2) h y(E_res) more (y = E phi, the unabsorbed flux just
    above E_res, from the nodes at least h above with the notch exp(-c / delta) divided out).  :meth:`correct` adds
    the products of that number (negative for f < 1/2): the crossing node's product pattern moved up by the shift
    of each absorbed part of the cell (phi h, phi from 1/2 to f; linear between nodes, never above the node).
    Measured at bench point 1 (40/dec x 1, with :func:`cell_averaged_tail` and the edge rule of
    :mod:`relicboost.physics.edge_quadrature`): the SK-window error over ten placements of E_res is -0.4 ... +0.7%
    with this correction, -3.9 ... +3.6% without it.

    Attributes
    ----------
    node, step : int
        Last node below E_res today and the redshift step in which it crossed.
    f : float
        ln(E_res / E_node) / h.
    c : float
        Tail width (:func:`resonance_edge`).
    """

    def __init__(self, tgrid: TransportGrid, edge: tuple[float, float]) -> None:
        e_res, self.c = edge
        self.h = tgrid.h_lnE
        self.node = int(np.searchsorted(tgrid.energy, e_res, side="right")) - 1
        self.f = float(np.log(e_res / tgrid.energy[self.node]) / self.h)
        self.step = min(int(self.f * self.h / tgrid.du), tgrid.n_steps - 1)
        self.energy, self.width = tgrid.energy, tgrid.width

    def correct(self, y: np.ndarray, deposits: np.ndarray, loss: float) -> np.ndarray:
        """``y`` plus the products of the (f - 1/2) h y(E_res) absorbed beyond the grid's count.

        Parameters
        ----------
        y : numpy.ndarray
            (n, k) flux today of k solutions, cm^-2 s^-1 MeV^-1.
        deposits : numpy.ndarray
            (n,) products into each node per scattering at the crossing node, in its crossing step (one solution's
            deposits, times the step's weight: ``deposits / loss`` are the products per absorbed neutrino).
        loss : float
            The crossing node's loss in that step.
        """
        j, e = self.node, self.energy
        above = np.arange(j + 2, j + 4)                                # at least h above E_res: notch >= exp(-c/h)
        delta = np.log(e[above] / e[j]) - self.f * self.h
        ya = y[above] * (e[above] * np.exp(self.c / delta))[:, None]
        number = self.h * (ya[0] - delta[0] * (ya[1] - ya[0]) / (delta[1] - delta[0]))   # h y(E_res), per solution
        pattern = deposits / loss
        shifted = np.zeros_like(pattern)                               # moved up by one node, kept at the node
        shifted[1:j + 1] = pattern[:j]
        shifted[j] += pattern[j]
        f = self.f
        a, b = (f - 0.5) - (f**2 - 0.25) / 2, (f**2 - 0.25) / 2      # int_{1/2}^{f} (1 - phi, phi) dphi
        return y + ((a * pattern + b * shifted) / self.width)[:, None] * number[None, :]



def _cell_survival(D: np.ndarray, c: np.ndarray, h: float) -> np.ndarray:
    """<exp(-c / (D + eps))> over a node cell: eps with the hat weight 1 - |eps| / h on (-h, h), restricted to the
    side of the resonance of the node, D + eps > 0 (D > 0: the node's distance from it in ln x)."""
    t, w = _gauss_legendre(24)
    num, den = np.zeros(D.shape), np.zeros(D.shape)
    for a, b in ((np.maximum(-h, -D), np.zeros(D.shape)), (np.zeros(D.shape), np.full(D.shape, h))):
        eps = a[:, None] + (b - a)[:, None] * t[None]
        ww = (b - a)[:, None] * w[None] * (1.0 - np.abs(eps) / h)
        num += (ww * np.exp(-c[:, None] / np.maximum(D[:, None] + eps, 1e-300))).sum(-1)
        den += ww.sum(-1)
    return num / den


def cell_averaged_tail(Bbar: np.ndarray, x_lo: np.ndarray, x_hi: np.ndarray, coef: np.ndarray, h: float,
                       reach: float = 3.0) -> np.ndarray:
    """Step averages of B for the nodes within ``reach`` node spacings of a narrow resonance, without crossing it:
    the Lorentzian tail's loss of the node's cell, not of its centre.

    The tail loss of a flux at distance delta (ln x) from the resonance is c / delta per unit delta travelled
    (c = coef / (x_hi - x_lo), coef the factor of B in the step's loss), so a node whose centre passes close to
    x = 1 (just before or just after its own crossing) loses at its centre up to exp(-c / delta) -> everything,
    while its cell, spread over one spacing h (hat weight), loses the average.  Here the step's B loss is
    ln S(delta_start) - ln S(delta_end) (with the sign that makes it positive), S the cell-averaged survival
    <exp(-c / (delta + eps))> over the cell's part on the node's side of the resonance (the part on the other side
    crosses with the neighbour node), so the loss over all steps on one side is -ln S(delta at the crossing): finite,
    and equal to the point loss exp(-c / delta) up to O(c h^2 / delta^3) far away.  Above the resonance (the nodes
    approaching it carry the unscattered flux, a point value: exact with the point loss) it is used only where it
    is below the point value, i.e. where it regularises the singular point loss, so that the unscattered part of a
    scattering solution never loses more than the unscattered flux (the boosted flux stays >= 0); below it (the
    nodes carry the products of the crossings, deposited over their cells) everywhere.  Measured at bench point 1
    (40/dec x 1, placement sweep of ``benchmarks/bench_mediator.py``): with the point loss of the nodes next to
    E_res the SK-window flux moved by -2 ... +5.5% with the placement of E_res.  Limitation: the re-absorption of
    products born within ~c of E_res is underestimated (200/dec x 3: boosted flux -5.1% below the regeneration
    without tail at delta = 0.02, the tail estimate -22%; ~0.1% of the SK-window flux at bench point 1).

    Parameters
    ----------
    Bbar : numpy.ndarray
        Step averages of B (:func:`.transport_kernels.step_resonance`), any shape.
    x_lo, x_hi : numpy.ndarray
        x = s / M^2 of each node at the end and at the start of its step (same shape).
    coef : numpy.ndarray
        The step's loss per unit of Bbar (same shape).
    h : float
        Node spacing in ln E.
    reach : float
        Nodes whose closest distance in the step is below reach * h are treated, where the tail is sub-grid
        (c < :data:`TAIL_MAX` h).
    """
    out = Bbar.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sides = ((-np.log(x_hi), -np.log(x_lo), x_hi < 1.0, False), (np.log(x_lo), np.log(x_hi), x_lo > 1.0, True))
        for d_start, d_end, side, capped in sides:
            near = side & (np.minimum(d_start, d_end) < reach * h) & (coef < TAIL_MAX * h * (x_hi - x_lo))
            if near.any():
                c = coef[near] / (x_hi - x_lo)[near]
                loss = np.log(_cell_survival(d_end[near], c, h) / _cell_survival(d_start[near], c, h))
                out[near] = np.abs(loss) / coef[near]
                if capped:
                    out[near] = np.minimum(out[near], Bbar[near])
    return out
