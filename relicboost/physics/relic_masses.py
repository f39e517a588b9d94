"""Relic neutrino masses and mixing from oscillation data (NuFIT 5.2) and the relic momentum distribution.

Three mass eigenstates with m_1 < m_2 < m_3 (normal ordering) or m_3 < m_1 < m_2 (inverted):

    normal:   m_1 = m_0, m_2 = sqrt(m_0^2 + dm2_21), m_3 = sqrt(m_0^2 + dm2_31)
    inverted: m_3 = m_0, m_1 = sqrt(m_0^2 + |dm2_32| - dm2_21), m_2 = sqrt(m_0^2 + |dm2_32|)

with the lightest mass m_0 free and the splittings of ``relicboost/data/nufit52.csv``.  Cosmology
bounds sum m_i <= 0.12 eV (Planck 2018); :func:`relic_masses_eV` does not enforce it
(:func:`mass_sum_eV` reports it).  Relic temperature today T_nu = (4/11)^(1/3) T_CMB = 1.68e-4 eV,
scaling as (1+z); the relic momentum distribution is Fermi-Dirac, f(p) = 1/(exp(p/T_nu) + 1), frozen
since decoupling (relativistic at decoupling), so a state with m_i <~ T_nu is not at rest.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Relic temperature today, eV: (4/11)^(1/3) x 2.7255 K x k_B.
T_NU_TODAY_EV: float = (4.0 / 11.0) ** (1.0 / 3.0) * 2.7255 * 8.617333262e-5
ORDERINGS: tuple[str, ...] = ("single", "normal", "inverted")
#: Cosmological bound on the sum of the masses used in the docs, eV (Planck 2018 + BAO, 95%).
SUM_BOUND_EV: float = 0.12


@lru_cache(maxsize=2)
def oscillation_parameters(ordering: str) -> dict[str, float]:
    """NuFIT 5.2 best fit for ``ordering`` ("normal" or "inverted"): angles in degrees, splittings in eV^2."""
    if ordering not in ("normal", "inverted"):
        raise ValueError(f"ordering must be 'normal' or 'inverted', got {ordering!r}")
    from ..data.loader import load_table

    df = load_table("nufit52")
    rows = df[df["ordering"] == ordering]
    return {str(p): float(v) for p, v in zip(rows["parameter"], rows["value"])}


def relic_masses_eV(relic_masses: str, lightest_mass_eV: float) -> np.ndarray:
    """Masses (m_1, m_2, m_3) in eV.

    Parameters
    ----------
    relic_masses : {"single", "normal", "inverted"}
        "single": all three states have ``lightest_mass_eV`` (the paper's one relic mass).
    lightest_mass_eV : float
        Mass of the lightest state (or the common mass), eV, in [0, 1].
    """
    if relic_masses not in ORDERINGS:
        raise ValueError(f"relic_masses must be one of {ORDERINGS}, got {relic_masses!r}")
    m0 = float(lightest_mass_eV)
    if not (np.isfinite(m0) and 0.0 <= m0 <= 1.0):
        raise ValueError(f"lightest_mass_eV must be in [0, 1] eV, got {lightest_mass_eV!r}")
    if relic_masses == "single":
        if m0 <= 0.0:
            raise ValueError("lightest_mass_eV must be > 0 for relic_masses='single'")
        return np.full(3, m0)
    p = oscillation_parameters(relic_masses)
    d21, d3l = p["dm2_21_eV2"], p["dm2_3l_eV2"]
    if relic_masses == "normal":
        return np.sqrt(m0**2 + np.array([0.0, d21, d3l]))
    return np.sqrt(m0**2 + np.array([-d3l - d21, -d3l, 0.0]))


def mass_sum_eV(relic_masses: str, lightest_mass_eV: float) -> float:
    """Sum of the three masses, eV (compare with :data:`SUM_BOUND_EV`)."""
    return float(relic_masses_eV(relic_masses, lightest_mass_eV).sum())


def pmns(ordering: str = "normal") -> np.ndarray:
    """PMNS matrix U[alpha, i] (rows e, mu, tau) from the NuFIT 5.2 angles and Dirac phase (PDG form)."""
    p = oscillation_parameters(ordering)
    t12, t13, t23, d = (np.radians(p[k]) for k in ("theta12_deg", "theta13_deg", "theta23_deg", "delta_cp_deg"))
    s12, c12, s13, c13, s23, c23 = np.sin(t12), np.cos(t12), np.sin(t13), np.cos(t13), np.sin(t23), np.cos(t23)
    ed = np.exp(1j * d)
    return np.array([
        [c12 * c13, s12 * c13, s13 / ed],
        [-s12 * c23 - c12 * s23 * s13 * ed, c12 * c23 - s12 * s23 * s13 * ed, s23 * c13],
        [s12 * s23 - c12 * c23 * s13 * ed, -c12 * s23 - s12 * c23 * s13 * ed, c23 * c13],
    ])


@lru_cache(maxsize=8)
def thermal_nodes(n_p: int = 24, n_c: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature of the relic Fermi-Dirac momentum distribution and the collision angle.

    Returns (q, c, w): q = p / T_nu nodes, c = cos(angle between relic and beam momenta) nodes and
    weights w (sum 1) of the normalised distribution q^2 f(q) dq dc / 2 (Gauss-Legendre in
    ln q on [1e-3, 40] and in c on [-1, 1]).
    """
    t, wt = np.polynomial.legendre.leggauss(n_p)
    a, b = np.log(1e-3), np.log(40.0)
    lnq = 0.5 * (b - a) * t + 0.5 * (b + a)
    q = np.exp(lnq)
    wq = 0.5 * (b - a) * wt * q**3 / (np.exp(q) + 1.0)
    c, wc = np.polynomial.legendre.leggauss(n_c)
    w = (wq[:, None] * wc[None, :] / 2.0).ravel()
    return np.repeat(q, n_c), np.tile(c, n_p), w / w.sum()


def rate_masses_eV(masses_eV, relic_momenta: str, u: np.ndarray) -> np.ndarray:
    """Heavy-mediator rate per relic mass state as an effective mass, eV, shape (len(u), 3).

    In the heavy limit sigma = G^2 s / 2 per state with s = 2 E (E_r - p cos), times the flux factor
    (1 - v cos): the rate on state i is G^2 E mu_i with mu_i = <(E_r - p cos)(1 - p cos / E_r)>
    = <E_r + p^2 / (3 E_r)> over the relic Fermi-Dirac momenta at T_nu (1+z), u = ln(1+z)
    (:func:`thermal_nodes`); ``relic_momenta="rest"``: mu_i = m_i.
    """
    m = np.asarray(masses_eV, dtype=float)
    u = np.atleast_1d(np.asarray(u, dtype=float))
    if relic_momenta == "rest":
        return np.broadcast_to(m, (u.size, m.size)).copy()
    if relic_momenta != "thermal":
        raise ValueError(f"relic_momenta must be 'rest' or 'thermal', got {relic_momenta!r}")
    q, c, w = thermal_nodes()
    p = q[None, :] * T_NU_TODAY_EV * np.exp(u)[:, None]                 # (n_u, nodes)
    out = np.empty((u.size, m.size))
    for i, mi in enumerate(m):
        er = np.sqrt(mi**2 + p**2)
        out[:, i] = ((er - p * c) * (1.0 - p * c / er) * w).sum(axis=1)
    return out
