"""Supernova flavour conversion and the flavour content of the transported channels.

The transport (:mod:`relicboost.physics.transport`) follows six channels: three
neutrino and three antineutrino states.  With flavour-universal, flavour-diagonal
couplings (paper Sec. II: g_ee = g_mumu = g_tautau, off-diagonal zero) the
couplings are the same in the flavour and mass bases, and the relic background
is an equal incoherent mixture of all states, so the transport equation is the
same in either basis.  What differs between the options below is only (i) which
emitted spectrum feeds each channel and (ii) how a detected species is built from
the channels.

Options
-------
``"none"`` (the paper): the channels are the flavour states (e, mu, tau, e-bar,
mu-bar, tau-bar); what leaves the supernova as nu_e arrives as nu_e.

``"normal"`` / ``"inverted"``: adiabatic MSW conversion in the supernova
envelope (Dighe & Smirnov, PRD 62 (2000) 033007), no collective effects, no Earth
matter.  Channels are the mass eigenstates (nu_1, nu_2, nu_3, nu-bar_1, ...),
which decohere on the way and are the states that scatter on the relic background.

* normal ordering:   nu_e -> nu_3, nu-bar_e -> nu-bar_1, the rest from nu_x;
* inverted ordering: nu_e -> nu_2, nu-bar_e -> nu-bar_3, the rest from nu_x.

At Earth, F(nu_e) = sum_i |U_ei|^2 F(nu_i) and likewise for antineutrinos, with
|U_e1|^2 = c12^2 c13^2, |U_e2|^2 = s12^2 c13^2, |U_e3|^2 = s13^2.  The heavy-lepton
output "nux" is the mean of the four heavy-lepton species, so that
"all" = nue + nuebar + 4 nux is the total of the six.

Default angles: theta12 = 33.41 deg, theta13 = 8.58 deg (NuFIT 5.2, normal
ordering; Esteban et al., JHEP 09 (2020) 178, www.nu-fit.org).
"""
from __future__ import annotations

import numpy as np

from .validation import check_choice

FLAVOUR_OPTIONS: tuple[str, ...] = ("none", "normal", "inverted")
#: Emitted spectra, in this order, in the matrices below.
EMITTED: tuple[str, ...] = ("nue", "nuebar", "nux")
#: Detected species, in this order (nux = one of the four heavy-lepton species).
DETECTED: tuple[str, ...] = ("nue", "nuebar", "nux")
#: Default mixing angles in degrees (NuFIT 5.2).
THETA12_DEG: float = 33.41
THETA13_DEG: float = 8.58


def ue_squared(theta12_deg: float = THETA12_DEG, theta13_deg: float = THETA13_DEG) -> np.ndarray:
    """(|U_e1|^2, |U_e2|^2, |U_e3|^2) for mixing angles in degrees (each in [0, 90])."""
    for name, v in (("theta12", theta12_deg), ("theta13", theta13_deg)):
        if not (np.isfinite(v) and 0.0 <= v <= 90.0):
            raise ValueError(f"{name} must be in [0, 90] degrees, got {v!r}")
    t12, t13 = np.radians(theta12_deg), np.radians(theta13_deg)
    c13 = np.cos(t13) ** 2
    return np.array([np.cos(t12) ** 2 * c13, np.sin(t12) ** 2 * c13, np.sin(t13) ** 2])


def source_matrix(flavour: str) -> np.ndarray:
    """Which emitted spectrum feeds each of the six channels.

    Returns
    -------
    numpy.ndarray
        Shape (6, 3): channel x emitted spectrum (nue, nuebar, nux), entries 0/1.
        Channels: ``none``: (e, mu, tau, e-bar, mu-bar, tau-bar); otherwise
        (nu_1, nu_2, nu_3, nu-bar_1, nu-bar_2, nu-bar_3).
    """
    check_choice("flavour", flavour, FLAVOUR_OPTIONS)
    nu_e_channel, nubar_e_channel = {"none": (0, 3), "normal": (2, 3), "inverted": (1, 5)}[flavour]
    m = np.zeros((6, 3))
    m[:, 2] = 1.0
    m[nu_e_channel] = (1.0, 0.0, 0.0)
    m[nubar_e_channel] = (0.0, 1.0, 0.0)
    return m


def detection_matrix(flavour: str, theta12_deg: float = THETA12_DEG, theta13_deg: float = THETA13_DEG) -> np.ndarray:
    """How each detected species is built from the six channels at Earth.

    Returns
    -------
    numpy.ndarray
        Shape (3, 6): (nue, nuebar, nux) x channel; nux is one of the four
        heavy-lepton species (their mean).
    """
    check_choice("flavour", flavour, FLAVOUR_OPTIONS)
    pe = np.array([1.0, 0.0, 0.0]) if flavour == "none" else ue_squared(theta12_deg, theta13_deg)
    w = np.zeros((3, 6))
    w[0, :3] = pe
    w[1, 3:] = pe
    w[2, :3] = (1.0 - pe) / 4.0
    w[2, 3:] = (1.0 - pe) / 4.0
    return w


def no_scattering_fluxes(flavour: str, emitted: np.ndarray, theta12_deg: float = THETA12_DEG,
                         theta13_deg: float = THETA13_DEG) -> np.ndarray:
    """Detected (nue, nuebar, nux) fluxes from emitted (nue, nuebar, nux) fluxes without scattering.

    Parameters
    ----------
    emitted : numpy.ndarray
        Shape (3, ...): fluxes of nue, nuebar and one nux species (any unit).
    """
    return detection_matrix(flavour, theta12_deg, theta13_deg) @ (source_matrix(flavour) @ np.asarray(emitted).reshape(3, -1))
