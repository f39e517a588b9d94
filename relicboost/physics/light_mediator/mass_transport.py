"""Light-mediator transport with three relic mass eigenstates (``consistent`` convention).

Each beam mass channel a (nu_a and nubar_a, CP-symmetric kernels) scatters on the relic mass states b
with its own s = 2 m_b E, so the s-channel resonance of channel a sits at E_res = M^2 / (2 m_a)
(couplings diagonal and universal in the mass basis: the s-channel needs b = a).  The per-beam shape
f of :mod:`.cross_sections` splits into

* ``res``   - the terms in B = |M^2/D_s|^2 (s-channel squared), b = a: products nu_k nu_k (or nu_k nubar_k)
  spread democratically over the three mass states k;
* ``same``  - the other terms on the relic b = a (t/u channels, s-t interference): both products in a;
* ``other`` - relic b != a (t-channel): the beam-line product stays in a, the relic-line one lands in b.

The narrow resonance is integrated exactly over each redshift step (:func:`.transport_kernels._step_resonance`:
the step average of B over the x swept by the node, i.e. the narrow-width integral when Gamma is below the
sweep and the full Breit-Wigner otherwise).  Both outgoing neutrinos are followed; the relic-line product
is nu or nubar with equal probability (relic background CP symmetric), so with T_a = nu_a + nubar_a (both
products) and D_a = nu_a - nubar_a (beam-line product only) the six channels reduce to two coupled
three-channel systems, each solved with the conservative step of
:meth:`relicboost.physics.transport.ConsistentTransport.solve_conservative` (dense solve, the channels
couple at the same energy node).  Approximation kept from the single-mass transport: the nu <-> nubar flip
of the beam line in the scalar t-channel is neglected in D (it does not change T).

``relic_momenta="thermal"``: relic momenta from the Fermi-Dirac distribution at T_nu (1+z)
(:func:`relicboost.physics.relic_masses.thermal_nodes`), s = 2 E (E_r - p cos), flux factor (1 - v cos);
the resonant factors (B, Re 1/D) are averaged exactly over the momentum nodes, the non-resonant
propagators are taken at the mean s.  ``"rest"`` is its m >> T_nu limit.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ..transport import etd2_step
from ..units import EV_MEV
from .cross_sections import F_HEAVY, _moments, _real_scalar_moments
from .fast_kernels import tabulated_deposits
from .models import ParticleModel
from .transport_kernels import _kernel, _step_resonance

RELIC_MOMENTA: tuple[str, ...] = ("rest", "thermal")


def shape_parts(kind: str, y, ybar, x, B, re) -> tuple:
    """(res, same, other) parts of f(y; x) (module docstring); res + same + 2 other = f (single mass)."""
    a = 1.0 / (1.0 + x * y)
    if kind == "scalar":
        t = (y * a) ** 2
        return 1.5 * B + 0.0 * t, t, t
    ab = 1.0 / (1.0 + x * ybar)
    if kind == "real_scalar":
        t = (y * a) ** 2
        lnv = y * a + ybar * ab
        return 3.0 * B + 0.0 * t, t + re * lnv + 0.5 * lnv**2, 2.0 * t
    yb2 = ybar**2
    return 12.0 * yb2 * B + 0.0 * a, 2 * (a + ab) ** 2 + 4 * yb2 * (a**2 - 2 * re * a), 4 * a**2 + 4 * yb2 * a**2


def parts_integral(kind: str, x, B, re) -> tuple:
    """int_0^1 dy of the three :func:`shape_parts` (analytic)."""
    Ia, Ib, Ic, Id, Ie = _moments(x)
    if kind == "scalar":
        return 1.5 * B, Ic, Ic
    if kind == "real_scalar":
        A1, Aab = _real_scalar_moments(x)
        return 3.0 * B, 2.0 * Ic + 2.0 * re * A1 + Aab, 2.0 * Ic
    return 4.0 * B, 2 * Ie + 4 * (Ib - 2 * re * Id), 4 * Ia + 4 * Ib


def _relic_states(masses_eV: np.ndarray, momenta: str, u_mid: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per mass state: (mu, omega) with s = 2 mu E (mu in eV) and rate weights omega (sum 1 at rest)."""
    if momenta == "rest":
        return [(np.array([m]), np.array([1.0])) for m in masses_eV]
    from ..relic_masses import T_NU_TODAY_EV, thermal_nodes

    q, c, w = thermal_nodes()
    p = q * T_NU_TODAY_EV * np.exp(u_mid)
    out = []
    for m in masses_eV:
        Er = np.sqrt(m**2 + p**2)
        out.append((Er - p * c, w * (1.0 - p / Er * c)))
    return out


def mass_channel_steps(tgrid, g: float, M_MeV: float, model: ParticleModel, masses_eV, momenta: str = "rest"):
    """Per-step (loss (3, n), gain_both (3n, 3n), gain_own (3n, 3n), crossing (3, n), loss_nonres (3, n)) in
    time order, channel-major index a n + k.  ``crossing``: time fraction of the step at which node k of channel
    a crosses a narrow s-channel resonance (Gamma/M below a tenth of the step's sweep; relics at rest), NaN
    where it does not; ``loss_nonres``: the loss without the resonant B terms."""
    kind = model.kind
    gam = model.width_over_mass(g)
    lam_ref = g**4 * EV_MEV / (8 * np.pi * M_MeV**4) * model.strength() / F_HEAVY[kind]  # per eV of mu
    e, wdt = tgrid.energy, tgrid.width
    n = e.size
    scale = wdt[None, :] / wdt[:, None]
    for step in range(tgrid.n_steps - 1, -1, -1):
        ulo, uhi = tgrid.u[step], tgrid.u[step + 1]
        base = lam_ref * tgrid.kappa_mid[step] * e * (np.exp(uhi) - np.exp(ulo))
        umid = 0.5 * (ulo + uhi)
        loss_parts: list[tuple[np.ndarray, ...]] = []
        deps: list[tuple[list[np.ndarray], list[np.ndarray]] | None] = []
        for mu, om in _relic_states(np.asarray(masses_eV, dtype=float), momenta, umid):
            keep = mu > 0
            mu, om = mu[keep], om[keep]
            wsum = float(np.sum(om * mu))
            if wsum == 0.0:
                loss_parts.append((np.zeros(n),) * 3)
                deps.append(None)
                continue
            x0 = 2 * EV_MEV * mu[:, None] * e[None, :] / M_MeV**2
            Bn, Rn = _step_resonance(x0 * np.exp(ulo), x0 * np.exp(uhi), gam)
            wr = (om * mu / wsum)[:, None]
            B, R = (wr * Bn).sum(0), (wr * Rn).sum(0)
            x = 2 * EV_MEV * wsum / om.sum() * e * np.exp(umid) / M_MeV**2
            loss_parts.append(tuple(wsum * P for P in parts_integral(kind, x, B, R)))
            w = base * wsum
            pairs = [tabulated_deposits(e, kind, p, x, B, R, w) for p in range(3)]
            deps.append(([o * scale for o, _ in pairs], [q * scale for _, q in pairs]))
        loss = np.zeros((3, n))
        crossing = np.full((3, n), np.nan)
        if momenta == "rest" and gam < 0.1 * (uhi - ulo):
            for a, m_a in enumerate(masses_eV):
                if m_a > 0:
                    u_c = -np.log(2 * EV_MEV * m_a * e / M_MeV**2)
                    inside = (u_c > ulo) & (u_c < uhi)
                    crossing[a, inside] = (uhi - u_c[inside]) / (uhi - ulo)
        Gb = np.zeros((3 * n, 3 * n))
        Go = np.zeros((3 * n, 3 * n))
        for a in range(3):
            loss[a] = base * (loss_parts[a][0] + loss_parts[a][1]
                              + sum(loss_parts[b][2] for b in range(3) if b != a))
            sa = slice(a * n, (a + 1) * n)
            dep_a = deps[a]
            if dep_a is not None:
                (r_own, s_own, _), (r_part, s_part, _) = dep_a
                Gb[sa, sa] += s_own + s_part
                Go[sa, sa] += s_own
                for c in range(3):
                    sc = slice(c * n, (c + 1) * n)
                    Gb[sc, sa] += (r_own + r_part) / 3.0
                    Go[sc, sa] += r_own / 3.0
            for b in range(3):
                dep_b = deps[b]
                if b == a or dep_b is None:
                    continue
                (_, _, o_own), (_, _, o_part) = dep_b
                sb = slice(b * n, (b + 1) * n)
                Gb[sa, sa] += o_own
                Go[sa, sa] += o_own
                Gb[sb, sa] += o_part
        loss_nonres = loss - base * np.array([lp[0] for lp in loss_parts])
        yield loss, Gb, Go, crossing, loss_nonres


def _phi(A: np.ndarray) -> tuple:
    """exp(-A) and the ETD functions phi1, phi2, phi3 (series below 1e-2)."""
    small = A < 1e-2
    As = np.where(small, 1.0, A)
    em1 = np.expm1(-As)
    p1 = np.where(small, 1 - A / 2 + A**2 / 6 - A**3 / 24, -em1 / As)
    p2 = np.where(small, 0.5 - A / 6 + A**2 / 24 - A**3 / 120, (As + em1) / As**2)
    p3 = np.where(small, 1 / 6 - A / 24 + A**2 / 120 - A**3 / 720, (As**2 / 2 - As - em1) / As**3)
    return np.exp(-A), p1, p2, p3


def _coupled_step(y, loss, G, q_old, q_new, du):
    """Conservative step (products of a node = its exact scatterings in the step) for coupled channels."""
    d = np.diag(G).copy()
    A = np.maximum(loss - d, 0.0)
    g_off = G.copy()
    np.fill_diagonal(g_off, 0.0)
    ex, p1, p2, p3 = _phi(A)
    r = p1 * y + du * ((p2 - p3) * q_old + p3 * q_new)
    ybar = _block_back_substitution(p2[:, None] * g_off, r)
    return ex * y + du * ((p1 - p2) * q_old + p2 * q_new) + p1 * (g_off @ ybar)


def _block_back_substitution(P: np.ndarray, r: np.ndarray, n_ch: int = 3) -> np.ndarray:
    """Solve (1 - P) x = r for channel-major P whose channel blocks are upper triangular in energy.

    Energy node k couples only to nodes >= k: in energy-major order (index k n_ch + c) 1 - P is block upper
    triangular with (n_ch x n_ch) diagonal blocks D_k.  Multiplying each block row by D_k^-1 leaves a unit
    upper-triangular system, solved by back substitution (one LAPACK call).
    """
    n = r.size // n_ch
    Pe = P.reshape(n_ch, n, n_ch, n).transpose(1, 0, 3, 2).reshape(n, n_ch, n * n_ch)  # [k, c, (j, a)]
    nodes = np.arange(n)
    Dinv = np.linalg.inv(np.eye(n_ch) - Pe.reshape(n, n_ch, n, n_ch)[nodes, :, nodes, :])
    U = np.matmul(Dinv, Pe).reshape(n, n_ch, n, n_ch)
    U[nodes, :, nodes, :] = 0.0
    rhs = np.matmul(Dinv, r.reshape(n_ch, n).T[:, :, None]).ravel()
    x = solve_triangular(-U.reshape(n * n_ch, n * n_ch), rhs, lower=False, unit_diagonal=True, check_finite=False)
    return x.reshape(n, n_ch).T.ravel()


def mass_channel_fluxes(solver, g: float, M_MeV: float, model: ParticleModel, temps: tuple[float, float, float],
                        masses_eV, momenta: str = "rest", split_crossing: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(dsnb, total) of detected (nue, nuebar, nux), each (3, n_E), cm^-2 s^-1 MeV^-1, E_tot = 3e53 erg.

    Parameters
    ----------
    solver : relicboost.physics.transport.ConsistentSolver
        relic_dof = 6; flavour "normal" or "inverted" (channels = mass states) unless all masses are equal.
    g, M_MeV : float
        Coupling and mediator mass (MeV).
    model : ParticleModel
        Universal couplings.
    temps : tuple of float
        Supernova temperatures of nue, nuebar, nux, MeV.
    masses_eV : array_like
        (m_1, m_2, m_3) in eV (:func:`relicboost.physics.relic_masses.relic_masses_eV`).
    momenta : {"rest", "thermal"}
    split_crossing : bool
        Split the sources of the step in which a node crosses a narrow resonance at the crossing
        (:func:`_split_source`; default).  False: the step-averaged treatment of the single-mass transport.
    """
    tg, tr = solver.tgrid, solver.transport
    masses = np.asarray(masses_eV, dtype=float)
    if abs(tg.relic_dof - 6.0) > 1e-12:
        raise ValueError(f"relic_dof must be 6 for light-mediator transport, got {tg.relic_dof!r}")
    if tr.flavour == "none" and np.ptp(masses) > 0:
        raise ValueError("three different relic masses need flavour='normal' or 'inverted' (mass-state channels)")
    if momenta not in RELIC_MOMENTA:
        raise ValueError(f"relic_momenta must be one of {RELIC_MOMENTA}, got {momenta!r}")
    if not model.universal:
        raise ValueError(f"the transport needs flavour-universal couplings, got {model.couplings!r}")
    Qc = solver.sources(temps) @ tr.S.T                         # (n_u, n, 6) per channel
    QT = (Qc[..., :3] + Qc[..., 3:]).transpose(0, 2, 1).reshape(Qc.shape[0], -1)
    QD = (Qc[..., :3] - Qc[..., 3:]).transpose(0, 2, 1).reshape(Qc.shape[0], -1)
    n = tg.energy.size
    T = np.zeros(3 * n)
    D = np.zeros(3 * n)
    unsc = np.zeros((n, 6))
    for step, (loss, Gb, Go, phi, a_nr) in zip(range(tg.n_steps - 1, -1, -1),
                                               mass_channel_steps(tg, g, M_MeV, model, masses, momenta)):
        if not split_crossing:
            phi = np.full_like(phi, np.nan)
        phi_c, anr_c = phi.ravel(), a_nr.ravel()
        q = [_split_source(QT[step + 1], QT[step], phi_c, anr_c, tg.du),
             _split_source(QD[step + 1], QD[step], phi_c, anr_c, tg.du),
             _split_source(Qc[step + 1], Qc[step], np.vstack([phi, phi]).T, np.vstack([a_nr, a_nr]).T, tg.du)]
        T = _coupled_step(T, loss.ravel(), Gb, *q[0][:2], tg.du) + q[0][2]
        D = _coupled_step(D, loss.ravel(), Go, *q[1][:2], tg.du) + q[1][2]
        unsc = _unscattered_step(unsc, loss, *q[2][:2], tg.du) + q[2][2]
    T, D = T.reshape(3, n), D.reshape(3, n)
    channels = np.concatenate([(T + D) / 2.0, (T - D) / 2.0])
    return tr.W @ unsc.T, tr.W @ channels


def _split_source(q_old: np.ndarray, q_new: np.ndarray, phi: np.ndarray, a_nr: np.ndarray,
                  du: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
    """Sources of a step for nodes that cross a narrow resonance at time fraction ``phi`` (NaN: none).

    Neutrinos emitted after the crossing never meet the resonance: they are added at the end of the
    step directly, attenuated by the non-resonant loss ``a_nr`` over half the rest of the step; the
    sources emitted before the crossing (and the non-resonantly scattered part of the later ones) go
    through the step scheme, whose source is scaled accordingly.  Returns (q_old', q_new', direct).
    """
    cross = np.isfinite(phi)
    if not np.any(cross):
        return q_old, q_new, 0.0
    f = np.where(cross, phi, 1.0)
    before = q_old * (f - f**2 / 2) + q_new * f**2 / 2
    after = q_old * (1 - f) ** 2 / 2 + q_new * (1 - f**2) / 2
    total = (q_old + q_new) / 2
    att = np.exp(-np.where(cross, a_nr, 0.0) * (1 - f) / 2)
    ok = np.abs(total) > 1e-300
    alpha = np.where(ok, (before + after * (1 - att)) / np.where(ok, total, 1.0), 1.0)
    return q_old * alpha, q_new * alpha, du * after * att


def _unscattered_step(y, loss, q_old, q_new, du):
    """ETD2 step of the unscattered flux per channel (loss of channel a for nu_a and nubar_a)."""
    out = np.empty_like(y)
    for c in range(6):
        out[:, c] = etd2_step(y[:, c:c + 1], loss[c % 3], None, q_old[:, c:c + 1], q_new[:, c:c + 1], du)[:, 0]
    return out


def heavy_tree_channel_steps(tgrid, lam: float, kind: str):
    """Heavy-mediator channel steps (sigma = lam E per relic state) with the four-Fermi *tree* angular kernel.

    The x -> 0 limit of f(y; x) of ``kind`` ("scalar", "real_scalar", "vector") instead of the flat kernel of
    :func:`relicboost.physics.transport.heavy_channel_steps`; for
    :meth:`relicboost.physics.transport.ConsistentTransport.solve` (the heavy-mediator solver), e.g. to
    compare a light mediator at large M with the heavy convention using the same angular distribution.
    """
    from ..transport import ChannelStep
    from .cross_sections import _shape

    e, wdt = tgrid.energy, tgrid.width
    K = _kernel(np.ascontiguousarray(e, dtype=float).tobytes())
    args = (0.0, 1.0, -1.0, kind)  # x = 0, B = 1, Re(1/D) = -1
    own = K.deposit(_shape(K.one_minus_xi[None], K.xi[None], *args), _shape(K.ytop[None], K.xitop[None], *args),
                    np.full(e.size, F_HEAVY[kind]))
    part = K.deposit(_shape(K.xi[None], K.one_minus_xi[None], *args), _shape(K.xitop[None], K.ytop[None], *args),
                     np.full(e.size, F_HEAVY[kind]))
    scale = wdt[None, :] / wdt[:, None]
    for n in range(tgrid.n_steps - 1, -1, -1):
        loss = lam * tgrid.kappa_e[n] * e
        yield ChannelStep(loss=loss, gain_own=own * scale * loss[None, :],
                          gain_both=(own + part) * scale * loss[None, :])
