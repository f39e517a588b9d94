"""One propagator object per convention: the only place that knows how a convention computes fluxes.

A propagator is built once per :class:`relicboost.Model` from the fixed grid and a typed options
object (:mod:`relicboost.physics.conventions`), and answers one question: the fluxes today of
the three computed species for a lam and three supernova temperatures.  Everything a consumer
needs to know about the convention is an attribute, never a name to compare:

* ``label`` - the text every output carries;
* ``cevns_boosted_channels`` - how many boosted flavour channels a coherent (flavour-blind)
  detector counts by default (3 for the paper's numbers, 6 for the consistent convention;
  :mod:`relicboost.physics.cevns`).

Adding a convention: subclass :class:`Propagator`, give it an options dataclass, and register
both in :data:`PROPAGATORS` and :data:`relicboost.physics.conventions.OPTION_TYPES`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from .conventions import ConsistentOptions, PaperOptions, make_options
from .grids import PropagationGrid
from .printed_attenuation import PrintedAttenuation
from .propagation import (
    FermiDiracSources,
    attenuated_dsnb,
    partner_from_weighted,
    upscattered_partner,
)
from .quadrature import simpson_weights
from .sources import SPECIES

#: The computed species (nux = one of the four heavy-lepton species).
COMPUTED_SPECIES: tuple[str, ...] = ("nue", "nuebar", "nux")
#: Cached source tables (per temperature triple) kept by each propagator.
SOURCE_CACHE_SIZE = 32
#: Optical depth to z_max above which the paper propagator takes the scattering density from the
#: flux balance (PaperPropagator._scattering_density); below it the direct redshift sum is exact to 1e-6.
BALANCE_MIN_TAU = 1.0
#: lam (MeV^-3) from which the consistent propagator doubles its redshift steps (x2, x4, x8).
ADAPTIVE_SUBSTEP_EDGES: tuple[float, ...] = (3e-10, 3e-9, 3e-8)


class Propagator(ABC):
    """Fluxes today for sigma = lam E in one convention (E_tot = 3e53 erg, sfr_norm = 1).

    Parameters
    ----------
    grid : PropagationGrid
        Fixed grid of the Model (energy nodes, redshift nodes, cosmology, SFR, relic_dof).
    options : dataclass
        The convention's options object.

    Notes
    -----
    Propagators may keep work buffers: one instance must not be used from two threads at once.
    """

    name: ClassVar[str]
    cevns_boosted_channels: ClassVar[int]

    def __init__(self, grid: PropagationGrid, options: Any) -> None:
        self.grid = grid
        self.options = options

    @property
    @abstractmethod
    def label(self) -> str:
        """Text that labels every output of this convention (with its non-default choices)."""

    @abstractmethod
    def species_fluxes(self, lam: float, temps: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """(dsnb, boosted) of (nue, nuebar, nux), each shape (3, n_E), cm^-2 s^-1 MeV^-1.

        Parameters
        ----------
        lam : float
            lam = G_X^2 m_nu, MeV^-3.
        temps : tuple of float
            Supernova temperatures of nue, nuebar, nux in MeV.
        """


class PaperPropagator(Propagator):
    """Eqs. III.8, IV.10, IV.11 as printed (:mod:`relicboost.physics.propagation`).

    The printed optical depth runs on per-instance work buffers (:class:`PrintedAttenuation`),
    so a new lam allocates no large temporary.
    """

    name = "paper"
    cevns_boosted_channels = 3
    options: PaperOptions

    def __init__(self, grid: PropagationGrid, options: PaperOptions) -> None:
        super().__init__(grid, options)
        self._fermi_dirac = FermiDiracSources.on_grid(grid, SOURCE_CACHE_SIZE)  # per-temperature tables
        self.sources = lru_cache(maxsize=SOURCE_CACHE_SIZE)(self._sources_uncached)
        self._source_moment = lru_cache(maxsize=SOURCE_CACHE_SIZE)(self._source_moment_uncached)
        self._printed = PrintedAttenuation(grid, (len(COMPUTED_SPECIES),))
        zp1 = 1.0 + grid.z_coarse
        # boost weight = Simpson(2h) x dk/du x (1+z); the balance form needs Simpson(2h) x (1+z)
        self._z_weights = np.stack([grid.boost_weight, simpson_weights(zp1.size, 2.0 * grid.h_u) * zp1])

    @property
    def label(self) -> str:
        return "convention: paper (Eqs. III.8, IV.10, IV.11 as printed)"

    def _sources_uncached(self, temps: tuple[float, ...]) -> np.ndarray:
        """Source tables (species, z, E) at the temperatures (MeV) of nue, nuebar, nux."""
        return self._fermi_dirac(temps)  # = source_table(grid, fermi_dirac_spectrum(., T)) per species

    def _source_moment_uncached(self, temps: tuple[float, ...]) -> np.ndarray:
        """int (1+z)^3 src du over the fine redshift nodes (Simpson), shape (3, n_E)."""
        w = simpson_weights(self.grid.z_fine.size, self.grid.h_u) * (1.0 + self.grid.z_fine) ** 3
        return np.einsum("z,sze->se", w, self.sources(temps))

    def _scattering_density(self, src: np.ndarray, lam: float, temps: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Phi_D today and sum_m boost_weight_m Phi_D(z_m, E) = H(E)/(lam E), each (3, n_E).

        Where the optical depth to z_max exceeds BALANCE_MIN_TAU, H is taken from the balance of
        the attenuated flux F = Phi_D/(1+z)^2, dF/du = -src + lam E k' F, integrated by parts:
        H = int (1+z)^3 src du - Phi_D(0) - 3 int (1+z) Phi_D du.  Its redshift sums carry weight 3
        instead of lam E k' (large when every neutrino scatters), so the coarse redshift grid no
        longer limits the boosted flux at lam >= 1e-8 (tests/unit/test_propagation.py).
        """
        c = lam * self.grid.energy
        tau_total = c * self._printed.k_end
        if float(tau_total.max()) < BALANCE_MIN_TAU:
            return self._printed.today_and_weighted(src, c, self.grid.boost_weight)
        today, (weighted, dilute) = self._printed.today_and_weighted(src, c, self._z_weights)
        thick = tau_total >= BALANCE_MIN_TAU
        balance = (self._source_moment(temps)[:, thick] - today[:, thick] - 3.0 * dilute[:, thick]) / c[thick]
        weighted[:, thick] = balance
        return today, weighted

    def share(self, psi: np.ndarray) -> np.ndarray:
        """Boosted flux per computed species from the partner flux psi (3, n_E) of each DSNB species."""
        if self.options.sharing == "democratic":
            shared = sum(SPECIES[s] * psi[i] for i, s in enumerate(COMPUTED_SPECIES)) / 6.0
            return np.broadcast_to(shared, psi.shape).copy()
        return psi

    def species_fluxes(self, lam: float, temps: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        src = self.sources(tuple(temps))
        if self.options.sigma_energy == "printed":
            today, weighted = self._scattering_density(src, lam, tuple(temps))
            psi = partner_from_weighted(self.grid, weighted, lam) if lam > 0.0 else np.zeros_like(today)
        else:
            dsnb_z = attenuated_dsnb(self.grid, src, lam, self.options.sigma_energy)
            today, psi = dsnb_z[:, 0, :], upscattered_partner(self.grid, dsnb_z, lam)
        if self.options.outgoing == "both":
            psi = 2.0 * psi
        return today, self.share(psi)


class ConsistentPropagator(Propagator):
    """Transport equation in redshift (:mod:`relicboost.physics.transport`).

    Attributes
    ----------
    solver : relicboost.physics.transport.ConsistentSolver
        The transport solver (also used for light mediators).
    """

    name = "consistent"
    cevns_boosted_channels = 6
    options: ConsistentOptions

    def __init__(self, grid: PropagationGrid, options: ConsistentOptions) -> None:
        super().__init__(grid, options)
        self._solvers: dict[int, Any] = {}
        self.solver = self.solver_for(1)

    def solver_for(self, multiplier: int):
        """Transport solver with ``substeps x multiplier`` redshift steps per energy-bin ratio (built once)."""
        from .transport import consistent_solver

        if multiplier not in self._solvers:
            o = self.options
            opts = {"relic_dof": o.relic_dof, "flavour": o.flavour, "theta12": o.theta12, "theta13": o.theta13,
                    "substeps": o.substeps * multiplier}
            self._solvers[multiplier] = consistent_solver(self.grid.energy, self.grid.cosmology, self.grid.sfr,
                                                          opts, self.grid.spec.z_max)
        return self._solvers[multiplier]

    def substep_multiplier(self, lam: float) -> int:
        """Refinement of the redshift steps used at ``lam`` (1 without ``adaptive_substeps``)."""
        if not self.options.adaptive_substeps:
            return 1
        return 2 ** sum(lam >= edge for edge in ADAPTIVE_SUBSTEP_EDGES)

    @property
    def label(self) -> str:
        flavour = {"none": "no flavour conversion", "normal": "MSW normal ordering",
                   "inverted": "MSW inverted ordering"}[self.options.flavour]
        o = self.options
        relics = "" if o.relic_masses == "single" and o.relic_momenta == "rest" else (
            f", relic masses {o.relic_masses} (lightest {o.lightest_mass_eV:g} eV, {o.relic_momenta})")
        return f"convention: consistent (transport, {flavour}, relic_dof = {o.relic_dof:g}{relics})"

    def species_fluxes(self, lam: float, temps: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        solver = self.solver_for(self.substep_multiplier(lam))
        o = self.options
        if (o.relic_masses == "single" and o.relic_momenta == "rest") or lam == 0.0:
            dsnb, total = solver.species_fluxes(lam, temps)
            return dsnb, total - dsnb
        return self._relic_mass_fluxes(solver, lam, temps)

    def relic_masses_eV(self) -> np.ndarray:
        """(m_1, m_2, m_3) in eV of the ``relic_masses`` option (all equal for "single")."""
        from .relic_masses import relic_masses_eV

        return relic_masses_eV(self.options.relic_masses, self.options.lightest_mass_eV)

    def _relic_mass_fluxes(self, solver, lam: float, temps: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """(dsnb, boosted) with per-state heavy rates sigma_i = G^2 mu_i E, lam = G^2 m_bar (options docstring).

        Every beam channel scatters with the summed rate lam E sum_i mu_i(z) / (3 m_bar) per relic (nu, nu-bar)
        pair; the relic partner lands in mass state i (nu_i or nu-bar_i) with probability m_i / sum m (rest
        masses, so the channel split of the transport solution stays exact).
        """
        from .relic_masses import rate_masses_eV
        from .transport import FlatStep, flat_step

        tg, tr = solver.tgrid, solver.transport
        masses = self.relic_masses_eV()
        mu = rate_masses_eV(masses, self.options.relic_momenta, 0.5 * (tg.u[:-1] + tg.u[1:]))
        rate = mu.sum(axis=1) / masses.sum()                                        # per step, 1 at rest
        steps = (FlatStep(c=lam * float(tg.kappa_e[n] * rate[n]), loss=lam * float(tg.kappa_e[n] * rate[n]) * tg.energy)
                 for n in range(tg.n_steps - 1, -1, -1))

        def advance(y, st, streams, q_old, q_new, du):
            return flat_step(y, st.c, streams, tg.energy, tg.width, tg.half_left, q_old, q_new, du)

        raw = tr.integrate(solver.sources(temps), steps, advance)
        w = np.tile(masses / (2.0 * masses.sum()), 2)                               # (nu_i, nu-bar_i) channels
        own_T = raw["own"] @ tr.mult
        channels = tr.S @ raw["own"].T + w[:, None] * (raw["total"] - own_T)[None, :]
        dsnb = tr.W @ (tr.S @ raw["unscattered"].T)
        total = tr.W @ channels
        return dsnb, np.maximum(total - dsnb, 0.0)

    def energy_budget(self, lam: float, temps: tuple[float, float, float]) -> dict[str, float]:
        """Comoving energy balance at ``lam`` (:meth:`relicboost.physics.transport.ConsistentSolver.energy_budget`)."""
        return self.solver_for(self.substep_multiplier(lam)).energy_budget(lam, temps)


#: Propagator class of each named convention.
PROPAGATORS: dict[str, type[Propagator]] = {"paper": PaperPropagator, "consistent": ConsistentPropagator}


def make_propagator(convention: str, grid: PropagationGrid, options: Any) -> Propagator:
    """Propagator of ``convention`` on ``grid``; ``options`` is its options object or a dict of overrides."""
    if isinstance(options, dict):
        options = make_options(convention, options)
    return PROPAGATORS[convention](grid, options)
