"""Comoving-energy x redshift grid of the transport solver (``consistent`` convention).

The grid and every lam-independent weight of :mod:`relicboost.physics.transport`: comoving
energy nodes (= energy today) with their trapezoid widths, uniform steps in u = ln(1+z), the
supernova source weight and the relic-density rate kappa (see the transport module docstring
for the equation these enter).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import units
from .cosmology import Cosmology
from .relic import relic_number_density
from .star_formation import ccsn_rate
from .validation import check_choice, check_positive


@dataclass(frozen=True)
class TransportGrid:
    """Comoving-energy x redshift grid of the transport solver and its lam-independent weights.

    Attributes
    ----------
    energy : numpy.ndarray
        Comoving energy nodes (= energy today), MeV, log-spaced.
    width : numpy.ndarray
        Nodal trapezoid widths Delta_k, MeV (sum = energy[-1] - energy[0]).
    half_left : numpy.ndarray
        d_k = (eps_k - eps_{k-1}) / 2, MeV (d_0 = 0): weight of node k in int_{eps_0}^{eps_k}.
    u : numpy.ndarray
        u = ln(1+z) nodes, ascending from 0 to ln(1+z_max).
    du : float
        Step in u.
    source_weight : numpy.ndarray
        c/H0 (1+z)/E(z) R_CCSN(z) at the u nodes, cm^-2 s^-1 per (supernova MeV^-1) per unit u.
    kappa : numpy.ndarray
        (hbar c)^2 (c/H0) n_relic(z)/E(z) at the u nodes, MeV^2.
    kappa_mid : numpy.ndarray
        kappa at the step midpoints, MeV^2 (length n_steps; step n spans u[n]..u[n+1]).
    kappa_e : numpy.ndarray
        int kappa e^u du over each step, MeV^2: heavy-mediator optical depth per (lam eps).
    relic_dof : float
        Relic degrees of freedom in n_relic (all states a beam neutrino scatters on).
    """

    energy: np.ndarray = field(repr=False)
    width: np.ndarray = field(repr=False)
    half_left: np.ndarray = field(repr=False)
    u: np.ndarray = field(repr=False)
    du: float
    source_weight: np.ndarray = field(repr=False)
    kappa: np.ndarray = field(repr=False)
    kappa_mid: np.ndarray = field(repr=False)
    kappa_e: np.ndarray = field(repr=False)
    relic_dof: float
    z_max: float

    @property
    def n_steps(self) -> int:
        """Number of redshift steps."""
        return self.u.size - 1

    @property
    def h_lnE(self) -> float:
        """Spacing of the energy grid in ln E."""
        return float(np.log(self.energy[1] / self.energy[0]))


def build_transport_grid(energy_MeV: np.ndarray, cosmology: Cosmology, sfr: str, relic_dof: float,
                         z_max: float = 6.0, substeps: int = 1) -> TransportGrid:
    """Build the transport grid (done once per Model).

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        Log-spaced comoving energy nodes, MeV (>= 3 nodes).
    cosmology : Cosmology
    sfr : {"paper", "yuksel2008"}
    relic_dof : float
        Relic degrees of freedom seen by a beam neutrino (consistent preset: 6 = 3 mass
        eigenstates x (nu, nu-bar)).
    z_max : float
        Highest supernova redshift.
    substeps : int
        Redshift steps per energy-bin ratio (>= 1): Delta u <= h_lnE / substeps.
    """
    check_choice("sfr", sfr, ("paper", "yuksel2008"))
    check_positive("relic_dof", relic_dof)
    check_positive("z_max", z_max)
    if int(substeps) != substeps or substeps < 1:
        raise ValueError(f"substeps must be an integer >= 1, got {substeps!r}")
    e = np.asarray(energy_MeV, dtype=float)
    if e.ndim != 1 or e.size < 3 or np.any(np.diff(e) <= 0):
        raise ValueError("energy_MeV must be an increasing 1-D array of >= 3 energies")
    h = float(np.log(e[1] / e[0]))
    seg = np.diff(e)
    width = np.zeros_like(e)
    width[:-1] += seg / 2.0
    width[1:] += seg / 2.0
    half_left = np.concatenate([[0.0], seg / 2.0])

    u_max = float(np.log1p(z_max))
    n_steps = max(2, int(np.ceil(u_max / (h / substeps) - 1e-9)))
    u = np.linspace(0.0, u_max, n_steps + 1)
    du = float(u[1] - u[0])

    def kap(uu):
        z = np.expm1(uu)
        return units.HBARC2_MEV2_CM2 * cosmology.hubble_distance_cm * relic_number_density(z, relic_dof) / cosmology.E(z)

    z = np.expm1(u)
    rate = units.per_mpc3_yr_to_per_cm3_s(ccsn_rate(z, sfr))
    source_weight = cosmology.hubble_distance_cm * (1.0 + z) / cosmology.E(z) * rate
    kappa = kap(u)
    um = 0.5 * (u[1:] + u[:-1])
    kappa_mid = kap(um)
    kappa_e = du / 6.0 * (kappa[:-1] * np.exp(u[:-1]) + 4.0 * kappa_mid * np.exp(um) + kappa[1:] * np.exp(u[1:]))
    return TransportGrid(energy=e, width=width, half_left=half_left, u=u, du=du, source_weight=source_weight,
                         kappa=kappa, kappa_mid=kappa_mid, kappa_e=kappa_e, relic_dof=float(relic_dof),
                         z_max=float(z_max))


def source_table(tgrid: TransportGrid, spectrum: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Source term Q(eps_k, u_n) for one supernova spectrum.

    Parameters
    ----------
    tgrid : TransportGrid
    spectrum : callable
        E [MeV] -> dN/dE [MeV^-1] of one supernova.

    Returns
    -------
    numpy.ndarray
        Shape (n_u, n_E), cm^-2 s^-1 MeV^-1 per unit u.
    """
    zp1 = np.exp(tgrid.u)
    return tgrid.source_weight[:, None] * spectrum(tgrid.energy[None, :] * zp1[:, None])
