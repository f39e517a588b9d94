"""Per-beam shape components and their flavour routing for a coupling matrix G in the mass basis.

A beam mass state a (nu_a, or nubar_a: the kernels are CP-averaged) scatters on the relic mass state b
(nu_b + nubar_b, s = 2 m_b E) into the products c (beam line, energy fraction 1 - y) and d (relic line,
energy fraction y).  Every process is a sum of *components* k: a y-shape f_k(y; x) (linear in the
step-averaged resonant factors B = |1/D|^2, R = Re(1/D), D = x - 1 + i gamma) times a routing tensor
W_k[a, b, c, d] built from G (relative to g; symmetric for the scalars, U^T diag(g_e, g_mu, g_tau) U;
Hermitian for the vector, U^+ diag U).  The rate of a on b is sum_k sum_cd W_k int f_k dy; the
beam-line product lands in c with sum_d W_k, the relic-line product in d with sum_c W_k.

Derivation (amplitudes of the Lagrangians of :mod:`.models`; shapes in the units of
:mod:`.cross_sections`, T = y a, U = (1-y) abar for the scalars' t/D_t, u/D_u, a = 1/(1+xy),
abar = 1/(1+x(1-y)), S = 1/D; ordered final pairs (c, d) carry 1/2, c = d the identical-particle 1/2):

complex scalar (vertex G_ij on nu_i nu_j):
  * nu_a nu_b -> phi -> nu_c nu_d: |G_ab G_cd|^2 B / 2 (flat in y)             [s]
  * nu_a nubar_b -> nubar_c nu_d (t only): |G_ac|^2 |G_bd|^2 T^2               [t]
real scalar (adds Delta L = 4, amplitude S G_ab G_cd + T G_ac G_bd + U G_ad G_bc into nubar_c nubar_d):
  * s-channel squared of both: |G_ab G_cd|^2 B                                 [s]
  * t-channel nu nubar plus, for c != d, the T^2 and (mirrored, y -> 1-y) U^2 terms:
    |G_ac|^2 |G_bd|^2 (1 + [c != d]) T^2                                       [t]
  * c = d: |G_ac G_bc|^2 (T + U)^2 / 2 and Re(G_ab G_cc (G_ac G_bc)^*) R (T + U)  [lnv2, rlnv]
  * c != d: Re(beta delta^*) T U, Re(alpha beta^*) R T, Re(alpha delta^*) R U with alpha = G_ab G_cd,
    beta = G_ac G_bd, delta = G_ad G_bc                                        [tu, st, su]
vector (vertex G_ij nubar_i gamma^mu P_L nu_j, A = G^+ G; shapes carry the factor 4 of |M|^2):
  * nu_a nu_b -> nu_c nu_d, t (G_ca G_db) and u (G_da G_cb) exchange, identical products:
    c = d: |G_ca G_cb|^2 2 (a + abar)^2;  c != d: |G_ca|^2 |G_db|^2 4 a^2 (t^2 and mirrored u^2) and
    Re(G_ca G_db (G_da G_cb)^*) 4 a abar                                       [nn_same, nn_t2, nn_tu]
  * nu_a nubar_b -> nu_c nubar_d, t (G_ca G_bd) and s (G_ba G_cd): |G_ca|^2 |G_bd|^2 4 (1-y)^2 a^2,
    |G_ba G_cd|^2 4 (1-y)^2 B, Re(G_ca G_bd (G_ba G_cd)^*) (-8) (1-y)^2 a R     [nb_t2, nb_s2, nb_int]

Conventions and approximations: for distinct final flavours the u-channel square is mirrored onto the
t-channel form (its beam-line product by fermion flow is the one at 1 - y), so universal couplings give
exactly the parts of :func:`.mass_transport.shape_parts` (res, same, other); interference terms keep the
product at 1 - y as the beam-line one.  The CP-odd parts Im(z) Im(1/D) = -Im(z) gamma B of complex
coupling products z are dropped (they flip sign between nu and nubar beams; their step average is
O(gamma) of the B terms): the kernels are the CP average.  Heavy limit (x -> 0, B = 1, R = -1): the
rates equal :func:`.models.heavy_rates` for any G (tested).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .cross_sections import _moments, _real_scalar_moments

#: Component names per amplitude set, in the order of their table slots (3 per table, see :func:`component_shapes`).
COMPONENTS: dict[str, tuple[str, ...]] = {
    "scalar": ("t", "s"),
    "real_scalar": ("t", "s", "rlnv", "lnv2", "tu", "st", "su"),
    "vector": ("nn_t2", "nb_s2", "nb_int", "nn_same", "nn_tu", "nb_t2"),
}
#: Which resonant factor multiplies each component: "1" (none), "B" or "R".
FACTOR: dict[str, str] = {"t": "1", "s": "B", "rlnv": "R", "lnv2": "1", "tu": "1", "st": "R", "su": "R",
                          "nn_t2": "1", "nb_s2": "B", "nb_int": "R", "nn_same": "1", "nn_tu": "1", "nb_t2": "1"}


def _shape(name: str, y, ybar, x):
    """y-shape of one component without its resonant factor (B or R)."""
    a = 1.0 / (1.0 + x * y)
    ab = 1.0 / (1.0 + x * ybar)
    ya, yab = y * a, ybar * ab
    return {
        "t": ya**2, "s": 1.0 + 0.0 * a, "rlnv": ya + yab, "lnv2": 0.5 * (ya + yab) ** 2, "tu": ya * yab,
        "st": ya, "su": yab, "nn_t2": 4.0 * a**2, "nb_s2": 4.0 * ybar**2 + 0.0 * a, "nb_int": -8.0 * ybar**2 * a,
        "nn_same": 2.0 * (a + ab) ** 2, "nn_tu": 4.0 * a * ab, "nb_t2": 4.0 * ybar**2 * a**2,
    }[name]


def component_shapes(kind: str, y, ybar, x, B, R, table: int):
    """Table ``table`` of the components of ``kind``, packed three per table: slot 0 + B slot 1 + R slot 2.

    For :mod:`.fast_kernels` (which evaluates a table at (B, R) = (0, 0), (1, 0), (0, 1)); the slots are read
    separately (:func:`slots`), so "B" and "R" here only label the slots (zeros pad the last table).
    """
    names = COMPONENTS[kind][3 * table:3 * table + 3]
    zero = 0.0 * _shape("t", y, ybar, x)
    group = [_shape(nm, y, ybar, x) for nm in names] + [zero] * (3 - len(names))
    return group[0] + B * group[1] + R * group[2]


def slots(kind: str) -> dict[str, tuple[int, int]]:
    """Component name -> (table index within :func:`component_shapes`, slot)."""
    return {nm: divmod(i, 3) for i, nm in enumerate(COMPONENTS[kind])}


def moments(x) -> tuple:
    """The analytic y-integrals the component integrals need, (I_a, I_b, I_c, I_d, I_e, A_1, A_ab) at x."""
    return _moments(x) + _real_scalar_moments(x)


def integral(name: str, x, B, R, mom: tuple | None = None) -> np.ndarray:
    """int_0^1 dy of a component including its resonant factor (analytic; ``mom``: :func:`moments` at x)."""
    Ia, Ib, Ic, Id, Ie, A1, Aab = moments(x) if mom is None else mom
    base = {"t": Ic, "s": 1.0, "rlnv": 2.0 * A1, "lnv2": Ic + Aab, "tu": Aab, "st": A1, "su": A1,
            "nn_t2": 4.0 * Ia, "nb_s2": 4.0 / 3.0, "nb_int": -8.0 * Id, "nn_same": 2.0 * Ie,
            "nn_tu": 2.0 * (Ie - 2.0 * Ia), "nb_t2": 4.0 * Ib}[name]
    return base * {"1": 1.0, "B": B, "R": R}[FACTOR[name]] + 0.0 * np.asarray(x)


def routing(kind: str, G: np.ndarray) -> dict[str, np.ndarray]:
    """W_k[a, b, c, d] (real) of every component of ``kind`` for the mass-basis coupling matrix G (relative to g)."""
    G = np.asarray(G, dtype=complex)
    P = np.abs(G) ** 2
    eye = np.eye(3)
    same = eye[None, None]                                       # [c == d]
    diff = 1.0 - same
    if kind == "vector":
        nn_t = np.einsum("ca,db->abcd", P, P)
        nn_u = np.einsum("ca,db,da,cb->abcd", G, G, G.conj(), G.conj())
        return {"nn_same": np.einsum("ca,cb,cd->abcd", P, P, eye), "nn_t2": nn_t * diff, "nn_tu": nn_u.real * diff,
                "nb_t2": np.einsum("ca,bd->abcd", P, P), "nb_s2": np.einsum("ba,cd->abcd", P, P),
                "nb_int": np.einsum("ca,bd,ba,cd->abcd", G, G, G.conj(), G.conj()).real}
    alpha = np.einsum("ab,cd->abcd", G, G)
    beta = np.einsum("ac,bd->abcd", G, G)
    delta = np.einsum("ad,bc->abcd", G, G)
    t = np.einsum("ac,bd->abcd", P, P)
    s = np.abs(alpha) ** 2
    if kind == "scalar":
        return {"t": t, "s": s / 2.0}
    if kind != "real_scalar":
        raise ValueError(f"kind must be 'scalar', 'real_scalar' or 'vector', got {kind!r}")
    return {"t": t * (1.0 + diff), "s": s, "lnv2": np.abs(beta) ** 2 * same,
            "rlnv": (alpha * beta.conj()).real * same, "tu": (beta * delta.conj()).real * diff,
            "st": (alpha * beta.conj()).real * diff, "su": (alpha * delta.conj()).real * diff}


#: Routing of the universal parts (res, same, other) of :func:`.mass_transport.shape_parts` (G = 1).
def universal_routing() -> dict[str, np.ndarray]:
    """W[a, b, c, d] of the parts res (democratic products), same (b = a, all in a), other (b != a)."""
    eye = np.eye(3)
    return {"res": np.einsum("ab,cd->abcd", eye, np.ones((3, 3))) / 9.0,
            "same": np.einsum("ab,ac,ad->abcd", eye, eye, eye),
            "other": np.einsum("ab,ac,bd->abcd", 1.0 - eye, eye, eye)}


@dataclass(frozen=True)
class Routed:
    """One routed kernel term: table index, the slots it reads with their resonant factors, routing."""

    table: int
    slots: tuple[tuple[int, str], ...]
    own: np.ndarray       # [b, a, c] = sum_d W  (beam-line product into c)
    part: np.ndarray      # [b, a, d] = sum_c W  (relic-line product into d)
    rate: np.ndarray      # [b, a]    = sum_cd W
    integral: Callable[..., np.ndarray]   # (x, B, R, moments) -> int f dy


def routed_terms(kind: str, G: np.ndarray | None) -> list[Routed]:
    """Kernel terms for :func:`.mass_transport.mass_channel_steps`: the universal parts (G None; tables 0-2 of
    :func:`.mass_transport.shape_parts`) or the components of a coupling matrix (tables 3, 4, ...)."""
    from .mass_transport import parts_integral

    out = []
    if G is None:
        # slots of the parts that are not identically zero (res: B only; same: also R for real scalar and vector)
        used = {"res": ((1, "B"),), "same": ((0, "1"),) if kind == "scalar" else ((0, "1"), (2, "R")),
                "other": ((0, "1"),)}
        for p, (name, W) in enumerate(universal_routing().items()):
            out.append(Routed(p, used[name], *_marginals(W),
                              lambda x, B, R, mom=None, p=p: parts_integral(kind, x, B, R, mom)[p]))
        return out
    sl = slots(kind)
    for name, W in routing(kind, G).items():
        if np.all(W == 0.0):
            continue
        table, slot = sl[name]
        out.append(Routed(3 + table, ((slot, FACTOR[name]),), *_marginals(W),
                          lambda x, B, R, mom=None, name=name: integral(name, x, B, R, mom)))
    return out


def _marginals(W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return W.sum(3).transpose(1, 0, 2), W.sum(2).transpose(1, 0, 2), W.sum((2, 3)).T
