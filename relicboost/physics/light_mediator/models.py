"""Particle models of the nu-nu interaction behind a (g, M) point, written out.

Conventions: two-component (Weyl) left-handed neutrino fields chi_i of the mass eigenstates,
massless external states (s / m_nu^2 ~ 1e8), metric (+,-,-,-).  Every model is normalised
so that its Feynman rule is -i g (times the spinor structure); writing the scalar Lagrangians
without the 1/2 below (``g phi* nu nu``) doubles the vertex (two identical fields contract in two
ways), i.e. g -> 2 g, sigma x 16, Gamma x 4.

``"complex-scalar"`` (lepton number L(phi) = 2; the ``mediator="scalar"`` amplitudes of
:mod:`.cross_sections`)::

    L = (1/2) G_ij phi* chi_i chi_j + h.c.,              vertex  -i G_ij  (G = g 1 universal)
    processes: nu_i nu_i -> phi -> nu_k nu_k (s), nu_i nubar_j -> nubar_i nu_j (t)
    Gamma = Tr(G^+ G) M / (32 pi) = 3 g^2 M / (32 pi)

``"real-scalar"``::

    L = (1/2) G_ij phi (chi_i chi_j + h.c.)               vertex  -i G_ij
    adds the Delta L = 4 processes nu nu -> nubar nubar (s, t, u); Gamma = 3 g^2 M / (16 pi)

``"vector"``::

    L = G_ij chi_i^+ sigmabar^mu chi_j V_mu  (= G_ij nubar_i gamma^mu P_L nu_j V_mu)
    vertex  -i G_ij gamma^mu P_L;   Gamma = Tr(G^+ G) M / (24 pi) = g^2 M / (8 pi)

Heavy limit, per relic state (six states: 3 mass states x nu / nubar, relic_dof = 6), in units of
the paper's sigma_paper = g^4 s / (16 pi M^4) (arXiv:2204.11885 Eq. II.5, i.e. lam = g^4 m / (8 pi M^4)):

=================  =========  ======  =================================================
model              Majorana   Dirac   sum over the six states (per beam state, universal)
=================  =========  ======  =================================================
paper              1          1       6 (the paper's map, by definition)
complex-scalar     5/12       5/24    3/2 (s) + 3 x 1/3 (t)           = 5/2
real-scalar        25/36      25/72   5/2 + 2 x 1/2 (s, nubar nubar) + 2 x 1/3 (t) = 25/6
vector             40/9       20/9    8 + 2 x 4 + 2 x 4/3 + 16/3 + 2 x 4/3 = 80/3
=================  =========  ======  =================================================

Dirac relics: a non-relativistic relic of either helicity has a left-chiral component of weight
1/2, and only that couples (chiral couplings), so six Dirac relic states act as three: factor 1/2.
Majorana relics: each of the two helicity states of a mass eigenstate is half "nu", half "nubar"
for the chiral vertex; the six states act as the six massless states of the table.  The second,
independent derivation of the factors (effective four-fermion operators, Fierz/Schouten
identities, SM nu-nu cross sections with G_F -> g^2/(sqrt(2) M^2)) is in docs/conventions.md,
"(g, M) plane"; :func:`heavy_rates` evaluates the operators for any coupling matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..units import EV_MEV
from .cross_sections import F_HEAVY, _checked, shape_integral

MODEL_NAMES: tuple[str, ...] = ("paper", "complex-scalar", "real-scalar", "vector")
RELICS: tuple[str, ...] = ("majorana", "dirac")
#: Flavour-basis couplings relative to g (diagonal): universal or one flavour only.
COUPLING_PRESETS: dict[str, tuple[float, float, float]] = {
    "universal": (1.0, 1.0, 1.0), "e": (1.0, 0.0, 0.0), "mu": (0.0, 1.0, 0.0), "tau": (0.0, 0.0, 1.0)}
_KIND = {"complex-scalar": "scalar", "real-scalar": "real_scalar", "vector": "vector"}
_LAGRANGIAN = {
    "complex-scalar": "(1/2) G_ij phi* nu_i nu_j + h.c. (Weyl nu, L(phi) = 2), vertex -i G_ij",
    "real-scalar": "(1/2) G_ij phi (nu_i nu_j + h.c.) (Weyl nu), vertex -i G_ij",
    "vector": "G_ij nubar_i gamma^mu P_L nu_j V_mu, vertex -i G_ij gamma^mu P_L",
}


@dataclass(frozen=True)
class ParticleModel:
    """Mediator, relic nature and flavour couplings of a (g, M) point.

    Parameters
    ----------
    name : {"paper", "complex-scalar", "real-scalar", "vector"}
        "paper": sigma = g^4 s/(16 pi M^4) per relic state in the heavy limit (Eq. II.5) with the
        propagator shapes and tree-level width of ``mediator`` (today's ``normalise="paper"``).
    relic : {"majorana", "dirac"}
        Nature of the relic neutrinos (Dirac: chirality factor 1/2); ignored by "paper".
    couplings : {"universal", "e", "mu", "tau"} or tuple of 3 floats
        Diagonal flavour-basis couplings relative to g.  The transport needs "universal";
        the others give heavy-limit rates (:func:`heavy_rates`, :meth:`lam_eff`).
    mediator : {"scalar", "vector"}
        Propagator shapes for ``name="paper"``; derived from ``name`` otherwise.
    """

    name: str = "paper"
    relic: str = "majorana"
    couplings: str | tuple[float, float, float] = "universal"
    mediator: str = "scalar"

    def __post_init__(self) -> None:
        if self.name not in MODEL_NAMES:
            raise ValueError(f"model must be one of {MODEL_NAMES}, got {self.name!r}")
        if self.relic not in RELICS:
            raise ValueError(f"relic must be one of {RELICS}, got {self.relic!r}")
        if self.name == "paper":
            if self.mediator not in ("scalar", "vector"):
                raise ValueError(f"mediator must be 'scalar' or 'vector', got {self.mediator!r}")
        else:
            object.__setattr__(self, "mediator", "vector" if self.name == "vector" else "scalar")
        c = COUPLING_PRESETS.get(self.couplings) if isinstance(self.couplings, str) else self.couplings
        if c is None or np.shape(c) != (3,) or not np.all(np.isfinite(c)) or np.all(np.asarray(c) == 0):
            raise ValueError(f"couplings must be one of {tuple(COUPLING_PRESETS)} or 3 finite numbers "
                             f"(not all zero), got {self.couplings!r}")

    @property
    def kind(self) -> str:
        """Amplitude set of :mod:`.cross_sections` ("scalar" = complex scalar, "real_scalar", "vector")."""
        return self.mediator if self.name == "paper" else _KIND[self.name]

    @property
    def flavour_couplings(self) -> np.ndarray:
        """Diagonal flavour-basis couplings (e, mu, tau) relative to g."""
        c = COUPLING_PRESETS[self.couplings] if isinstance(self.couplings, str) else self.couplings
        return np.asarray(c, dtype=float)

    @property
    def universal(self) -> bool:
        """True for flavour-universal couplings (the same in every basis for real mixing)."""
        return bool(np.all(self.flavour_couplings == 1.0))

    @property
    def chirality_factor(self) -> float:
        """1 for Majorana relics (and "paper"), 1/2 for Dirac relics with chiral couplings."""
        return 0.5 if (self.relic == "dirac" and self.name != "paper") else 1.0

    @property
    def lagrangian(self) -> str:
        """Interaction Lagrangian and vertex factor (text)."""
        if self.name == "paper":
            return "paper Eq. II.5: sigma = g^4 s/(16 pi M^4) per relic state (no Lagrangian)"
        return _LAGRANGIAN[self.name]

    @property
    def label(self) -> str:
        """Short label for outputs, e.g. ``"vector, Dirac relics, universal"``."""
        if self.name == "paper":
            return f"paper normalisation (Eq. II.5), {self.mediator} propagator"
        c = self.couplings if isinstance(self.couplings, str) else "couplings " + ",".join(map(str, self.couplings))
        return f"{self.name}, {self.relic} relics, {c}"

    def mass_basis_couplings(self, U: np.ndarray | None = None) -> np.ndarray:
        """Coupling matrix in the mass basis relative to g: U^T G U (scalars), U^+ G U (vector).

        ``U`` is the PMNS matrix (:func:`relicboost.physics.relic_masses.pmns`); identity if omitted.
        """
        U = np.eye(3) if U is None else np.asarray(U, dtype=complex)
        G = np.diag(self.flavour_couplings).astype(complex)
        return U.conj().T @ G @ U if self.kind == "vector" else U.T @ G @ U

    def strength(self, U: np.ndarray | None = None) -> float:
        """Heavy-limit sigma per relic state / sigma_paper, averaged with EQUAL weight over the beam mass states.

        For flavour-specific couplings a beam dominated by one flavour sees a different factor
        (e-only vector: 1.23 with |U_e1|^2 weights for a nu_e-bar beam vs 0.741 equal-weight).
        ``chirality_factor`` (1/2 for Dirac) assumes non-relativistic relics; for relativistic
        relics (lightest mass below a few T_nu ~ 5e-4 eV) the factor tends to (1 + <beta>)/2 -> 1.
        """
        if self.name == "paper":
            return 1.0
        return float(heavy_rates(self.kind, self.mass_basis_couplings(U)).sum(axis=1).mean()) / 6.0 \
            * self.chirality_factor

    def width_over_mass(self, g: float, G: np.ndarray | None = None) -> float:
        """Total tree-level width / mass, Tr(G^+ G) g^2 / (32 pi, 16 pi, 24 pi) (complex, real scalar, vector).

        ``G``: a coupling matrix (relative to g) replacing the model's couplings (the trace is basis independent).
        For "paper", the tree-level width of ``mediator`` with universal couplings (today's choice).
        """
        if self.name == "paper" and G is None:
            trace = 3.0
        else:
            G = self.mass_basis_couplings() if G is None else np.asarray(G, dtype=complex)
            trace = float(np.real(np.trace(G.conj().T @ G)))
        per_trace = {"scalar": 32.0, "real_scalar": 16.0, "vector": 24.0}[self.kind]
        return trace * float(g) ** 2 / (per_trace * np.pi)

    def lam_eff(self, g: float, M_MeV: float, m_nu_eV: float = 0.05, U: np.ndarray | None = None) -> float:
        """Heavy-limit lam_eff = sigma / E per relic state, MeV^-3 (paper: g^4 m_nu/(8 pi M^4))."""
        for name, v in (("g", g), ("M_MeV", M_MeV), ("m_nu_eV", m_nu_eV)):
            if not (np.isfinite(v) and (v >= 0 if name == "g" else v > 0)):
                raise ValueError(f"{name} must be finite and {'>= 0' if name == 'g' else '> 0'}, got {v!r}")
        return self.strength(U) * g**4 * m_nu_eV * EV_MEV / (8.0 * np.pi * M_MeV**4)

    def sigma(self, E_MeV, g: float, M_MeV: float, m_nu_eV: float = 0.05) -> np.ndarray:
        """Cross section per relic state at rest (relic_dof = 6), MeV^-2, full propagators.

        sigma = lam_eff E F(x, Gamma/M) / F_heavy, x = 2 m_nu E / M^2, F = int f dy of the model's
        amplitudes (:func:`.cross_sections.shape_integral`); "paper" is ``sigma(..., normalise="paper")``.
        """
        E = _checked(E_MeV, "E_MeV")
        M = float(_checked(M_MeV, "M_MeV"))
        m = float(_checked(m_nu_eV, "m_nu_eV"))
        g = float(_checked(g, "g", positive=False))
        x = 2.0 * m * EV_MEV * E / M**2
        return self.lam_eff(g, M, m) * E * shape_integral(x, self.width_over_mass(g), self.kind) / F_HEAVY[self.kind]


def heavy_rates(kind: str, G: np.ndarray) -> np.ndarray:
    """Heavy-limit cross sections R[a, b] of a beam state a on relic mass state b (nu_b plus nubar_b).

    In units of sigma_paper (g = 1), from the effective four-fermion operators of the Lagrangians of
    the module docstring for a mass-basis coupling matrix ``G`` (symmetric for scalars, Hermitian for
    the vector).  Universal couplings (G = 1) give row sums 5/2, 25/6, 80/3.

    Parameters
    ----------
    kind : {"scalar", "real_scalar", "vector"}
    G : numpy.ndarray
        (3, 3) coupling matrix relative to g.
    """
    G = np.asarray(G, dtype=complex)
    GGd = G @ G.conj().T
    trace = float(np.real(np.trace(GGd)))
    diag = np.real(np.diag(GGd))
    if kind in ("scalar", "real_scalar"):
        # s: |G_ab|^2 Tr(G^+G)/2 (relic nu_b); t: (GG^+)_aa (GG^+)_bb / 3 (relic nubar_b)
        R = np.abs(G) ** 2 * trace / 2.0 + np.outer(diag, diag) / 3.0
        if kind == "real_scalar":
            # Delta L = 4: nu_a nu_b -> nubar_c nubar_d, |G_ab G_cd - y G_ac G_bd - (1-y) G_ad G_bc|^2, 1/2 sum_cd
            v = np.einsum("ab,cd->abcd", G, G) - np.einsum("ad,bc->abcd", G, G)
            w = np.einsum("ad,bc->abcd", G, G) - np.einsum("ac,bd->abcd", G, G)
            R = R + 0.5 * np.sum(np.abs(v) ** 2 + np.real(v * w.conj()) + np.abs(w) ** 2 / 3.0, axis=(2, 3))
        return R
    if kind != "vector":
        raise ValueError(f"kind must be 'scalar', 'real_scalar' or 'vector', got {kind!r}")
    A = G.conj().T @ G
    a = np.real(np.diag(A))
    nunu = 4.0 * (np.outer(a, a) + np.abs(A) ** 2)                       # relic nu_b, 1/2 sum over c, d
    GGdG = G @ G.conj().T @ G
    nunubar = 4.0 / 3.0 * (np.outer(a, diag) + np.abs(G.T) ** 2 * trace + 2.0 * np.real(G.T.conj() * GGdG.T))
    return nunu + nunubar


def heavy_limit_table() -> list[dict]:
    """lam_eff / lam_paper per model and relic nature (universal couplings), for docs and outputs."""
    rows = []
    for name in MODEL_NAMES:
        for relic in RELICS:
            m = ParticleModel(name, relic)
            rows.append({"model": name, "relic": relic, "lam_eff_over_lam_paper": m.strength(),
                         "sum_over_six_states": 6.0 * m.strength() / m.chirality_factor if name != "paper"
                         else 6.0, "F_heavy": F_HEAVY.get(m.kind, 1.0)})
    return rows
