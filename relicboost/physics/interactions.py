"""Neutrino self-interactions in the heavy-mediator (four-Fermi) limit.

The paper (Das, Perez-Gonzalez, Sen 2022, arXiv:2204.11885, Eq. II.5) writes the
nu-nu scattering cross section of a DSNB neutrino of energy E_nu on a relic
neutrino at rest as

    sigma = g^4 s / (16 pi M^4) = G_X^2 m_nu E_nu,   s = 2 m_nu E_nu,
    G_X = sqrt(2/pi) g^2 / (4 M^2)  =>  G_X^2 = g^4 / (8 pi M^4),

so the only interaction parameter the physics depends on is

    lam = G_X^2 m_nu = g^4 m_nu / (8 pi M^4)     [MeV^-3].

Units: g is dimensionless, M in MeV, m_nu in eV at the interface (converted to
MeV with :data:`relicboost.physics.units.EV_MEV`), lam in MeV^-3, E in MeV,
cross sections in MeV^-2 (use :func:`relicboost.physics.units.cross_section_to_cm2`
for cm^2).

Mediator: the ``mediator`` argument ("scalar" or "vector") is explicit in every
mapping but, in the heavy-mediator limit and in the paper's convention
(Eq. II.5, one G_X for both), scalar and vector map *identically* onto lam.
The two differ only beyond that limit (full propagators, s-channel resonance at
M^2 = 2 m_nu E_nu); light-mediator cross sections are a separate, later task and
are not implemented here.  Use :func:`heavy_mediator_valid` to mark where the
mapping holds.
"""
from __future__ import annotations

import numpy as np

from relicboost.physics.units import EV_MEV

#: Mediators understood by the mappings.
MEDIATORS: tuple[str, ...] = ("scalar", "vector")

ArrayLike = float | np.ndarray


def _check_mediator(mediator: str) -> str:
    if mediator not in MEDIATORS:
        raise ValueError(f"mediator must be one of {MEDIATORS}, got {mediator!r}")
    return mediator


def _checked(x, name: str, *, positive: bool) -> np.ndarray:
    """Return ``x`` as a float array; raise ValueError if non-finite or out of range."""
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got non-finite value(s)")
    if positive and np.any(arr <= 0.0):
        raise ValueError(f"{name} must be > 0, got min {float(arr.min())!r}")
    if not positive and np.any(arr < 0.0):
        raise ValueError(f"{name} must be >= 0, got min {float(arr.min())!r}")
    return arr


def _out(arr: np.ndarray):
    """0-d arrays become Python floats; others are returned as arrays."""
    return float(arr) if arr.ndim == 0 else arr


def lam_from_coupling(
    g: ArrayLike, M_MeV: ArrayLike, m_nu_eV: ArrayLike = 0.05, mediator: str = "scalar"
) -> ArrayLike:
    """Effective interaction strength lam = G_X^2 m_nu from coupling and mass.

    lam = g^4 m_nu / (8 pi M^4)  (paper Eq. II.5), identical for scalar and
    vector mediators in the heavy-mediator limit.

    Parameters
    ----------
    g : float or array
        Mediator coupling (dimensionless), >= 0, finite.
    M_MeV : float or array
        Mediator mass in MeV, > 0, finite.  Broadcast against ``g``.
    m_nu_eV : float or array
        Relic neutrino mass in eV, > 0 (default 0.05 eV).
    mediator : {"scalar", "vector"}
        Nature of the mediator (same mapping in the heavy limit).

    Returns
    -------
    float or ndarray
        lam in MeV^-3 (float for scalar inputs).

    Raises
    ------
    ValueError
        On a negative or non-finite ``g``, non-positive ``M_MeV`` / ``m_nu_eV``
        or an unknown ``mediator``.
    """
    _check_mediator(mediator)
    g = _checked(g, "g", positive=False)
    M = _checked(M_MeV, "M_MeV", positive=True)
    m_nu = _checked(m_nu_eV, "m_nu_eV", positive=True) * EV_MEV
    return _out(g**4 * m_nu / (8.0 * np.pi * M**4))


def coupling_from_lam(
    lam: ArrayLike, M_MeV: ArrayLike, m_nu_eV: ArrayLike = 0.05, mediator: str = "scalar"
) -> ArrayLike:
    """Coupling g giving interaction strength ``lam`` at mediator mass ``M_MeV``.

    Inverse of :func:`lam_from_coupling`: g = (8 pi M^4 lam / m_nu)^(1/4).  At
    fixed lam this is a straight line g proportional to M (log-log slope 1).

    Parameters
    ----------
    lam : float or array
        lam = G_X^2 m_nu in MeV^-3, >= 0, finite.
    M_MeV : float or array
        Mediator mass in MeV, > 0, finite.  Broadcast against ``lam``.
    m_nu_eV : float or array
        Relic neutrino mass in eV, > 0 (default 0.05 eV).
    mediator : {"scalar", "vector"}
        Nature of the mediator (same mapping in the heavy limit).

    Returns
    -------
    float or ndarray
        Coupling g (dimensionless).

    Raises
    ------
    ValueError
        On a negative or non-finite ``lam``, non-positive ``M_MeV`` / ``m_nu_eV``
        or an unknown ``mediator``.
    """
    _check_mediator(mediator)
    lam = _checked(lam, "lam", positive=False)
    M = _checked(M_MeV, "M_MeV", positive=True)
    m_nu = _checked(m_nu_eV, "m_nu_eV", positive=True) * EV_MEV
    return _out(M * (8.0 * np.pi * lam / m_nu) ** 0.25)


def heavy_mediator_valid(
    M_MeV: ArrayLike,
    m_nu_eV: ArrayLike = 0.05,
    E_nu_max_MeV: float = 100.0,
    margin: float = 10.0,
) -> np.ndarray:
    """Where the four-Fermi (heavy-mediator) approximation holds.

    The criterion is M^2 >= margin * s_max with s_max = 2 m_nu E_nu_max, the
    largest centre-of-mass energy squared for a relic neutrino at rest.

    Parameters
    ----------
    M_MeV : float or array
        Mediator mass in MeV, > 0.
    m_nu_eV : float or array
        Relic neutrino mass in eV, > 0 (default 0.05 eV).
    E_nu_max_MeV : float
        Largest DSNB neutrino energy considered, MeV, > 0 (default 100 MeV).
    margin : float
        Required ratio M^2 / s_max, > 0 (default 10).

    Returns
    -------
    ndarray of bool
        True where the heavy-mediator mapping is valid (shape of the
        broadcast inputs; 0-d for scalar inputs).
    """
    M = _checked(M_MeV, "M_MeV", positive=True)
    return np.asarray(M >= heavy_mediator_min_mass_MeV(m_nu_eV, E_nu_max_MeV, margin))


def heavy_mediator_min_mass_MeV(
    m_nu_eV: ArrayLike = 0.05, E_nu_max_MeV: float = 100.0, margin: float = 10.0
) -> ArrayLike:
    """Smallest mediator mass for which the heavy-mediator mapping holds.

    M_min = sqrt(margin * 2 m_nu E_nu_max); see :func:`heavy_mediator_valid`.

    Parameters
    ----------
    m_nu_eV : float or array
        Relic neutrino mass in eV, > 0 (default 0.05 eV).
    E_nu_max_MeV : float
        Largest DSNB neutrino energy considered, MeV, > 0 (default 100 MeV).
    margin : float
        Required ratio M^2 / s_max, > 0 (default 10).

    Returns
    -------
    float or ndarray
        M_min in MeV (0.01 MeV for the defaults).
    """
    m_nu = _checked(m_nu_eV, "m_nu_eV", positive=True) * EV_MEV
    e_max = _checked(E_nu_max_MeV, "E_nu_max_MeV", positive=True)
    k = _checked(margin, "margin", positive=True)
    return _out(np.sqrt(k * 2.0 * m_nu * e_max))


def mandelstam_s(E_MeV: ArrayLike, m_nu_eV: ArrayLike = 0.05) -> ArrayLike:
    """Centre-of-mass energy squared s = 2 m_nu E_nu in MeV^2 (relic neutrino at rest).

    Parameters
    ----------
    E_MeV : float or array
        Incoming neutrino energy in MeV, >= 0.
    m_nu_eV : float or array
        Relic neutrino mass in eV, > 0 (default 0.05 eV).
    """
    E = _checked(E_MeV, "E_MeV", positive=False)
    m_nu = _checked(m_nu_eV, "m_nu_eV", positive=True) * EV_MEV
    return _out(2.0 * m_nu * E)


def sigma_heavy(E_MeV: ArrayLike, lam: ArrayLike) -> ArrayLike:
    """Heavy-mediator nu-nu cross section sigma = lam * E_nu (paper Eq. II.5).

    Parameters
    ----------
    E_MeV : float or array
        Incoming (DSNB) neutrino energy in MeV, >= 0.
    lam : float or array
        lam = G_X^2 m_nu in MeV^-3, >= 0.  Broadcast against ``E_MeV``.

    Returns
    -------
    float or ndarray
        Cross section in MeV^-2.
    """
    E = _checked(E_MeV, "E_MeV", positive=False)
    lam = _checked(lam, "lam", positive=False)
    return _out(lam * E)
