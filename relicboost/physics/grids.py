"""Fixed energy x redshift grids and the lambda-independent tables built on them.

Energies are log-spaced (uniform in ln E, MeV); redshifts are uniform in
u = ln(1+z) from 0 to ln(1+z_max).  The redshift grid has 4K+1 "fine" nodes:
source integrals (Eq. III.8 / IV.10) use Simpson's rule on the fine nodes and
deliver the DSNB at every other ("coarse") node, on which the boosted-flux
integral (Eq. IV.11) is again a Simpson sum.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..parameters import TEMPERATURE_RANGE_MEV
from . import units
from .cosmology import Cosmology
from .quadrature import cumulative_simpson_uniform, simpson_weights
from .relic import relic_number_density
from .star_formation import ccsn_rate
from .validation import check_choice, check_positive

#: Upper end of every energy grid, MeV.  Fluxes at 200 MeV are < 1e-8 of
#: their peak for T <= 10 MeV, so tail integrals are not truncated.
ENERGY_MAX_MEV: float = 200.0
#: Highest supernova temperature a Model accepts, MeV (parameter registry): at 20 MeV the DSNB
#: number flux above ENERGY_MAX_MEV is 9e-5 of the total (tests/unit/test_model_api.py).
T_MAX_MEV: float = TEMPERATURE_RANGE_MEV[1]


@dataclass(frozen=True)
class GridSpec:
    """Resolution of the fixed grids.

    Parameters
    ----------
    energy_min : float
        Lowest energy in MeV (the grid always ends at 200 MeV).
    points_per_decade : int
        Energy nodes per decade.
    n_z_fine : int
        Number of redshift nodes (must be 4K+1).
    z_max : float
        Highest supernova redshift (paper: 6).
    """

    energy_min: float = 0.01
    points_per_decade: int = 50
    n_z_fine: int = 161
    z_max: float = 6.0

    def __post_init__(self) -> None:
        check_positive("energy_min", self.energy_min)
        if not self.energy_min < ENERGY_MAX_MEV / 2:
            raise ValueError(f"energy_min must be in (0, {ENERGY_MAX_MEV / 2}) MeV, got {self.energy_min!r}")
        if int(self.points_per_decade) < 10:
            raise ValueError(f"points_per_decade must be >= 10, got {self.points_per_decade!r}")
        if self.n_z_fine < 9 or (self.n_z_fine - 1) % 4 != 0:
            raise ValueError(f"n_z_fine must be 4K+1 with K >= 2, got {self.n_z_fine!r}")
        check_positive("z_max", self.z_max)


@dataclass(frozen=True)
class PropagationGrid:
    """Grids plus every lambda-independent weight of the paper-convention integrals.

    Attributes
    ----------
    energy : numpy.ndarray
        Energy nodes in MeV.
    h_lnE : float
        Spacing in ln E.
    z_fine, z_coarse : numpy.ndarray
        Redshift nodes (coarse = every other fine node).
    h_u : float
        Spacing in u = ln(1+z) of the fine nodes.
    source_weight : numpy.ndarray
        c/H0 (1+z)/E(z) R_CCSN(z) on the fine nodes, cm^-2 s^-1 per (supernova MeV^-1);
        multiplying by F(E(1+z)) [MeV^-1] gives the integrand of Eq. III.8 in u.
    k_printed : numpy.ndarray
        Optical depth per unit (lambda E), MeV^2, from z = 0 to each fine node:
        tau(z, z') = lambda E (k(z') - k(z)) with sigma at the un-redshifted E (Eq. IV.10 as printed).
    dk_printed : numpy.ndarray
        d k_printed / du on the fine nodes, MeV^2.
    l_local : numpy.ndarray
        Same with the local energy: tau(z, z') = lambda E/(1+z) (l(z') - l(z)), MeV^2.
    dl_local : numpy.ndarray
        d l_local / du on the fine nodes, MeV^2.
    boost_weight : numpy.ndarray
        Simpson weight x c/H(z) n(z) (1+z) (hbar c)^2 on the coarse nodes, MeV^2:
        Eq. IV.11 is psi(E_C) = lambda int_{E_C} dE_D sum_m boost_weight_m Phi_D(z_m, E_D).
    """

    spec: GridSpec
    cosmology: Cosmology
    sfr: str
    relic_dof: float
    energy: np.ndarray = field(repr=False)
    h_lnE: float
    z_fine: np.ndarray = field(repr=False)
    h_u: float
    source_weight: np.ndarray = field(repr=False)
    k_printed: np.ndarray = field(repr=False)
    dk_printed: np.ndarray = field(repr=False)
    l_local: np.ndarray = field(repr=False)
    dl_local: np.ndarray = field(repr=False)
    boost_weight: np.ndarray = field(repr=False)

    @property
    def z_coarse(self) -> np.ndarray:
        """Redshifts of the coarse nodes (every other fine node)."""
        return self.z_fine[::2]


def build_grid(spec: GridSpec, cosmology: Cosmology, sfr: str, relic_dof: float) -> PropagationGrid:
    """Build the fixed grids and lambda-independent weights (done once per Model)."""
    check_choice("sfr", sfr, ("paper", "yuksel2008"))
    check_positive("relic_dof", relic_dof)
    n_dec = np.log10(ENERGY_MAX_MEV / spec.energy_min)
    n_e = int(np.ceil(n_dec * spec.points_per_decade)) + 1
    energy = np.geomspace(spec.energy_min, ENERGY_MAX_MEV, n_e)
    h_lnE = float(np.log(energy[1] / energy[0]))

    u = np.linspace(0.0, np.log1p(spec.z_max), spec.n_z_fine)
    h_u = float(u[1] - u[0])
    z = np.expm1(u)
    zp1 = 1.0 + z
    ez = cosmology.E(z)
    dh = cosmology.hubble_distance_cm
    rate = units.per_mpc3_yr_to_per_cm3_s(ccsn_rate(z, sfr))  # cm^-3 s^-1
    source_weight = dh * zp1 / ez * rate
    n_rel = relic_number_density(z, relic_dof)  # cm^-3
    # d tau / du per unit lambda E: (hbar c)^2 n c dt/du, dt/du = 1/H (dz/du = 1+z, dt/dz = 1/((1+z)H))
    dk_du = units.HBARC2_MEV2_CM2 * dh * n_rel / ez
    k_printed = cumulative_simpson_uniform(dk_du, h_u)
    l_local = cumulative_simpson_uniform(dk_du * zp1, h_u)
    zc = z[::2]
    w = simpson_weights(zc.size, 2.0 * h_u)
    boost_weight = w * units.HBARC2_MEV2_CM2 * dh * (1.0 + zc) / cosmology.E(zc) * relic_number_density(zc, relic_dof)
    return PropagationGrid(
        spec=spec, cosmology=cosmology, sfr=sfr, relic_dof=float(relic_dof), energy=energy, h_lnE=h_lnE,
        z_fine=z, h_u=h_u, source_weight=source_weight, k_printed=k_printed, dk_printed=dk_du,
        l_local=l_local, dl_local=dk_du * zp1,
        boost_weight=boost_weight,
    )
