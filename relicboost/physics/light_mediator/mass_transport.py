"""Light-mediator transport with three relic mass eigenstates (``consistent`` convention).

Each beam mass channel a (nu_a and nubar_a, CP-symmetric kernels) scatters on the relic mass states b
with its own s = 2 m_b E.  With universal couplings (diagonal in every basis) the s-channel needs b = a,
so the resonance of channel a sits at E_res = M^2 / (2 m_a), and the per-beam shape f of
:mod:`.cross_sections` splits into

* ``res``   - the terms in B = |M^2/D_s|^2 (s-channel squared), b = a: products nu_k nu_k (or nu_k nubar_k)
  spread democratically over the three mass states k;
* ``same``  - the other terms on the relic b = a (t/u channels, s-t interference): both products in a;
* ``other`` - relic b != a (t-channel): the beam-line product stays in a, the relic-line one lands in b.

Flavour-specific couplings give a coupling matrix G in the mass basis (``coupling_matrix``; the model's
flavour couplings rotated with the PMNS matrix): beam a then resonates on every relic b with G_ab != 0
at M^2 / (2 m_b), and the kernels are sums of components with routing tensors built from G
(:mod:`.flavour_routing`, where the weights are derived; G = 1 reproduces the three parts above).
Kernels and the step solver: :mod:`.mass_solve`.

The narrow resonance is integrated exactly over each redshift step (:func:`.mass_solve.step_resonance`:
the step average of B over the x swept by the node, i.e. the narrow-width integral when Gamma is below the
sweep and the full Breit-Wigner otherwise; accurate off the pole for any Gamma).  Both outgoing neutrinos are
followed; the relic-line product is nu or nubar with equal probability (relic background CP symmetric), so
with T_a = nu_a + nubar_a (both products) and D_a = nu_a - nubar_a (beam-line product only) the six channels
reduce to two coupled three-channel systems.  The unscattered flux of each channel (exponential step,
:func:`.mass_solve.unscattered_step`) and the scattered flux are advanced separately: the products of the
unscattered scatterings of a step (exactly loss x step average) are the source of the scattered T and D
systems, each solved with the conservative step of
:meth:`relicboost.physics.transport.ConsistentTransport.solve_conservative` (block back substitution,
the channels couple at the same energy node; :func:`.mass_solve.coupled_step`).  So the boosted flux is
computed, not taken as the difference total - unscattered (which is pure rounding, of either sign, where
nothing scatters), and it is >= 0 wherever the kernels are.  Approximation kept from the single-mass
transport: the nu <-> nubar flip of the beam line in the scalar t-channel is neglected in D (it does not
change T).

``relic_momenta="thermal"``: relic momenta from the Fermi-Dirac distribution at T_nu (1+z)
(:func:`relicboost.physics.relic_masses.thermal_nodes`, :data:`THERMAL_QUADRATURE`), s = 2 E (E_r - p cos), flux factor (1 - v cos);
the resonant factors (B, Re 1/D) are averaged exactly over the momentum nodes, the non-resonant
propagators are taken at the mean s.  A node sweeps x = 2 mu(u) E e^u / M^2 with mu = E_r - p cos taken at
the step's two ends (for m << T_nu, x ~ e^(2u)): with mu frozen at mid-step the sweeps of consecutive steps
left gaps, resonances falling in them were missed and the m_1 = 0 deficit jumped by +-30% with the grid
(docs/deficit.md).  ``"rest"`` is its m >> T_nu limit.
"""
from __future__ import annotations

import numpy as np

from ..units import EV_MEV
from .cross_sections import F_HEAVY, _moments, _real_scalar_moments
from .flavour_routing import component_shapes, moments, routed_terms
from .mass_solve import assemble, coupled_step, node_deposits, products, table, unscattered_step
from .models import ParticleModel
from .transport_kernels import _kernel, step_resonance

RELIC_MOMENTA: tuple[str, ...] = ("rest", "thermal")
#: Relic momentum quadrature of the thermal transport, (nodes in ln p, nodes in cos): the SK-window deficit at
#: m_1 = 0 is within 0.6% of (96, 32) with it, 3% off with the (24, 8) of the heavy-limit rates (docs/deficit.md).
THERMAL_QUADRATURE: tuple[int, int] = (48, 16)


def shape_parts(kind: str, y, ybar, x, B, re) -> _ShapeTables:
    """Tables of the kernel shapes, evaluated on indexing: 0-2 the (res, same, other) parts of f(y; x) (module
    docstring; res + same + 2 other = f for one mass), 3... the coupling-matrix components
    (:func:`.flavour_routing.component_shapes`)."""
    return _ShapeTables((kind, y, ybar, x, B, re))


class _ShapeTables:
    """Lazy sequence of the tables of :func:`shape_parts` (only the indexed one is evaluated)."""

    def __init__(self, args: tuple) -> None:
        self.args = args

    def __getitem__(self, index: int):
        kind, y, ybar, x, B, re = self.args
        if index < 3:
            return _universal_parts(kind, y, ybar, x, B, re)[index]
        return component_shapes(kind, y, ybar, x, B, re, table=index - 3)


def _universal_parts(kind: str, y, ybar, x, B, re) -> tuple:
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


def parts_integral(kind: str, x, B, re, mom: tuple | None = None) -> tuple:
    """int_0^1 dy of the three :func:`shape_parts` (analytic; ``mom``: :func:`.flavour_routing.moments` at x)."""
    Ia, Ib, Ic, Id, Ie, A1, Aab = _moments(x) + _real_scalar_moments(x) if mom is None else mom
    if kind == "scalar":
        return 1.5 * B, Ic, Ic
    if kind == "real_scalar":
        return 3.0 * B, 2.0 * Ic + 2.0 * re * A1 + Aab, 2.0 * Ic
    return 4.0 * B, 2 * Ie + 4 * (Ib - 2 * re * Id), 4 * Ia + 4 * Ib


def _relic_states(masses_eV: np.ndarray, momenta: str, u_mid: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per mass state: (mu, omega) with s = 2 mu E (mu in eV) and rate weights omega (sum 1 at rest)."""
    if momenta == "rest":
        return [(np.array([m]), np.array([1.0])) for m in masses_eV]
    from ..relic_masses import T_NU_TODAY_EV, thermal_nodes

    q, c, w = thermal_nodes(*THERMAL_QUADRATURE)
    p = q * T_NU_TODAY_EV * np.exp(u_mid)
    out = []
    for m in masses_eV:
        Er = np.sqrt(m**2 + p**2)
        out.append((Er - p * c, w * (1.0 - p / Er * c)))
    return out


def _normalisation(model: ParticleModel, G: np.ndarray | None) -> float:
    """Heavy-limit factor of the shapes: sigma per relic state = g^4 m E / (8 pi M^4) x this x int f dy."""
    if G is None:
        return model.strength() / F_HEAVY[model.kind]
    if model.name == "paper":
        raise ValueError("model='paper' is defined for universal couplings only; use a particle model name")
    return model.chirality_factor / 6.0


def checked_coupling_matrix(G, kind: str) -> np.ndarray:
    """A (3, 3) mass-basis coupling matrix relative to g: finite, not zero, symmetric (scalars) or Hermitian."""
    G = np.asarray(G, dtype=complex)
    if G.shape != (3, 3) or not np.all(np.isfinite(G)) or np.all(G == 0):
        raise ValueError(f"coupling_matrix must be a finite, non-zero (3, 3) matrix, got shape {G.shape}")
    ref = G.conj().T if kind == "vector" else G.T
    if not np.allclose(G, ref, rtol=1e-10, atol=1e-12 * np.abs(G).max()):
        raise ValueError("coupling_matrix must be Hermitian (vector) or symmetric (scalars)")
    return G


def mass_channel_steps(tgrid, g: float, M_MeV: float, model: ParticleModel, masses_eV, momenta: str = "rest",
                       coupling_matrix: np.ndarray | None = None):
    """Per-step (loss (3, n), gains (2, 3, 3, n, n) [both products / beam-line product, a, c, j, k], crossing
    (3, n), loss_nonres (3, n)) in time order.

    ``gains[., a, c, j, k]``: products in node k of channel c per scattering in node j of channel a, times
    Delta_j / Delta_k.  ``coupling_matrix``: mass-basis G relative to g (:mod:`.flavour_routing`); None:
    universal couplings (the parts of :func:`shape_parts`).  ``crossing``: time fraction of the step at which
    node k of channel a crosses a narrow s-channel resonance (Gamma/M below a tenth of the step's sweep; relics
    at rest; of several, the one of the largest resonant rate), NaN where it does not; ``loss_nonres``: the loss
    without the resonant (B) terms.
    """
    if not (np.isfinite(g) and g > 0.0):
        raise ValueError(f"g must be finite and > 0 for the light-mediator transport, got {g!r}")
    kind = model.kind
    G = None if coupling_matrix is None else checked_coupling_matrix(coupling_matrix, kind)
    terms = routed_terms(kind, G)
    gam = model.width_over_mass(g, G)
    lam_ref = g**4 * EV_MEV / (8 * np.pi * M_MeV**4) * _normalisation(model, G)  # per eV of mu
    masses = np.asarray(masses_eV, dtype=float)
    e, n = tgrid.energy, tgrid.energy.size
    eb = np.ascontiguousarray(e, dtype=float).tobytes()
    wb = np.ascontiguousarray(tgrid.width, dtype=float).tobytes()
    tabs = [table(eb, kind, t.table) for t in terms]
    resonant = [all(f == "B" for _, f in t.slots) for t in terms]
    res_rate = sum((t.rate for t, r in zip(terms, resonant) if r), np.zeros((3, 3)))          # [b, a]
    used = [(i, b) for i, t in enumerate(terms) for b in range(3) if np.any(t.own[b]) or np.any(t.part[b])]
    w_own = np.array([terms[i].own[b] for i, b in used])                                     # (K, a, c)
    w_part = np.array([terms[i].part[b] for i, b in used])
    for step in range(tgrid.n_steps - 1, -1, -1):
        ulo, uhi = tgrid.u[step], tgrid.u[step + 1]
        base = lam_ref * tgrid.kappa_mid[step] * e * (np.exp(uhi) - np.exp(ulo))
        umid = 0.5 * (ulo + uhi)
        loss = np.zeros((3, n))
        loss_nonres = np.zeros((3, n))  # summed apart (not loss - resonant part: it cancels where opaque)
        S = np.empty((2, len(used), n, n))
        states = _relic_states(masses, momenta, umid)
        # the x swept by a node: E and the relic momentum both redshift (mu at the step's ends)
        ends = zip(_relic_states(masses, momenta, ulo), _relic_states(masses, momenta, uhi))
        per_mass = {}
        for b, ((mu, om), (mu_lo, _), (mu_hi, _)) in enumerate(zip(states, *zip(*ends))):
            keep = mu > 0
            mu, om = mu[keep], om[keep]
            wsum = float(np.sum(om * mu))
            if wsum > 0.0:
                x_e = 2 * EV_MEV * e[None, :] / M_MeV**2
                Bn, Rn = step_resonance(x_e * (mu_lo[keep] * np.exp(ulo))[:, None],
                                        x_e * (mu_hi[keep] * np.exp(uhi))[:, None], gam)
                wr = (om * mu / wsum)[:, None]
                x = 2 * EV_MEV * wsum / om.sum() * e * np.exp(umid) / M_MeV**2
                per_mass[b] = (x, (wr * Bn).sum(0), (wr * Rn).sum(0), wsum, moments(x))
        for k, (i, b) in enumerate(used):
            if b not in per_mass:
                S[:, k] = 0.0
                continue
            t, (x, B, R, wsum, mom) = terms[i], per_mass[b]
            w = base * wsum
            factors = {"1": w, "B": w * B, "R": w * R}
            node_deposits(eb, wb, tabs[i], float(x[0]), {slot: factors[f] for slot, f in t.slots}, S[0, k], S[1, k])
            rate = w * t.integral(x, B, R, mom)
            loss += t.rate[b][:, None] * rate[None, :]
            if not resonant[i]:
                loss_nonres += t.rate[b][:, None] * rate[None, :]
        yield loss, assemble(S, w_own, w_part), _crossing(e, masses, M_MeV, res_rate, gam, ulo, uhi, momenta), loss_nonres


def _crossing(e, masses, M_MeV, res_rate, gam, ulo, uhi, momenta) -> np.ndarray:
    """Time fraction of the step at which node k of channel a crosses its strongest narrow resonance, else NaN."""
    crossing = np.full((3, e.size), np.nan)
    if momenta != "rest" or gam >= 0.1 * (uhi - ulo):
        return crossing
    strength = np.zeros((3, e.size))
    for b, m_b in enumerate(masses):
        if m_b <= 0:
            continue
        u_c = -np.log(2 * EV_MEV * m_b * e / M_MeV**2)
        inside = (u_c > ulo) & (u_c < uhi)
        for a in range(3):
            take = inside & (res_rate[b, a] * m_b > strength[a])
            crossing[a, take] = (uhi - u_c[take]) / (uhi - ulo)
            strength[a, take] = res_rate[b, a] * m_b
    return crossing


def mass_channel_fluxes(solver, g: float, M_MeV: float, model: ParticleModel, temps: tuple[float, float, float],
                        masses_eV, momenta: str = "rest", split_crossing: bool = True,
                        coupling_matrix: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(dsnb, total) of detected (nue, nuebar, nux), each (3, n_E), cm^-2 s^-1 MeV^-1, E_tot = 3e53 erg.

    Parameters
    ----------
    solver : relicboost.physics.transport.ConsistentSolver
        relic_dof = 6; flavour "normal" or "inverted" (channels = mass states) unless all masses are equal.
    g, M_MeV : float
        Coupling and mediator mass (MeV).
    model : ParticleModel
        Its flavour-basis couplings are rotated to the mass basis with the PMNS matrix of the solver's
        ordering (:meth:`.models.ParticleModel.mass_basis_couplings`; flavour "none": channels are flavours).
    temps : tuple of float
        Supernova temperatures of nue, nuebar, nux, MeV.
    masses_eV : array_like
        (m_1, m_2, m_3) in eV (:func:`relicboost.physics.relic_masses.relic_masses_eV`).
    momenta : {"rest", "thermal"}
    split_crossing : bool
        Split the sources of the step in which a node crosses a narrow resonance at the crossing
        (:func:`_split_source`; default).  False: the step-averaged treatment of the single-mass transport.
    coupling_matrix : numpy.ndarray, optional
        Mass-basis coupling matrix relative to g (3, 3), overriding the model's couplings (e.g. couplings
        diagonal in the mass basis); the model still fixes the amplitudes and the relic nature.
    """
    tg, tr = solver.tgrid, solver.transport
    masses = np.asarray(masses_eV, dtype=float)
    if abs(tg.relic_dof - 6.0) > 1e-12:
        raise ValueError(f"relic_dof must be 6 for light-mediator transport, got {tg.relic_dof!r}")
    if tr.flavour == "none" and np.ptp(masses) > 0:
        raise ValueError("three different relic masses need flavour='normal' or 'inverted' (mass-state channels)")
    if momenta not in RELIC_MOMENTA:
        raise ValueError(f"relic_momenta must be one of {RELIC_MOMENTA}, got {momenta!r}")
    G = coupling_matrix
    if G is None and not model.universal:
        from ..relic_masses import pmns

        G = model.mass_basis_couplings(pmns(tr.flavour) if tr.flavour != "none" else None)
    Qc = solver.sources(temps) @ tr.S.T                         # (n_u, n, 6) per channel
    n = tg.energy.size
    unsc = np.zeros((6, n))                                     # unscattered nu_a, nubar_a
    scat = np.zeros((2, 3 * n))                                 # scattered T and D, channel-major
    for step, (loss, H, phi, a_nr) in zip(range(tg.n_steps - 1, -1, -1),
                                          mass_channel_steps(tg, g, M_MeV, model, masses, momenta, G)):
        if not split_crossing:
            phi = np.full_like(phi, np.nan)
        qu = _split_source(Qc[step + 1].T, Qc[step].T, np.vstack([phi, phi]), np.vstack([a_nr, a_nr]), tg.du)
        unsc_end, unsc_bar = unscattered_step(unsc, np.vstack([loss, loss]), *qu[:2], tg.du)
        # products of the unscattered scatterings (exactly loss x step average) feed the scattered flux
        fed = products(H, np.stack([unsc_bar[:3] + unsc_bar[3:], unsc_bar[:3] - unsc_bar[3:]]).reshape(2, -1))
        scat = coupled_step(scat, loss.ravel(), H, fed / tg.du, fed / tg.du, tg.du)
        unsc = unsc_end + qu[2]
    T, D = scat.reshape(2, 3, n)
    dsnb = tr.W @ unsc
    # total = dsnb + boosted with boosted >= 0, so total - dsnb >= 0 exactly in floating point too
    return dsnb, dsnb + tr.W @ np.concatenate([(T + D) / 2.0, (T - D) / 2.0])


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
