"""Exact in-step time profile of a narrow s-channel resonance for the sources of the single-mass fast transport.

Used by :func:`.fast_kernels.fast_light_mediator_solve` (``split_crossing``): within the redshift step in which a
node crosses x = s/M^2 = 1 the resonant loss is spent like a step in time, so the sources emitted after the crossing
never meet it.
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..etd2 import etd2_weights
from ..transport import TransportGrid
from ..units import EV_MEV
from .models import ParticleModel

#: Coefficient of B = |M^2/D_s|^2 in int f dy (:func:`.cross_sections._step_shape_integral`).
B_COEFFICIENT: dict[str, float] = {"scalar": 1.5, "real_scalar": 3.0, "vector": 4.0}


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
        s, w = np.polynomial.legendre.leggauss(self.N_QUAD)
        s, w = 0.5 * (s + 1.0), 0.5 * w
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
