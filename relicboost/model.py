"""Public entry point: :class:`Model` (parameters -> :class:`Prediction`).

Example
-------
>>> from relicboost import Model
>>> m = Model(convention="paper", sfr="paper", T_nue=6.6, T_nuebar=7.0, T_nux=10.0)
>>> p = m.predict(lam=1e-10)          # lambda = G_X^2 m_nu in MeV^-3
>>> p.integrated_flux("nuebar", emin=17.3)   # cm^-2 s^-1
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from . import parameters
from ._runtime import apply_requested_tuning
from .physics.conventions import make_options
from .physics.cosmology import Cosmology
from .physics.detection import WindowWeights
from .physics.grids import GridSpec, build_grid
from .physics.light_mediator.models import ParticleModel
from .physics.light_mediator.resonant_steps import resonance_edge
from .physics.propagation import attenuated_dsnb, upscattered_kernel
from .physics.propagators import PROPAGATORS, PaperPropagator, make_propagator
from .physics.sources import DEFAULT_E_TOT_ERG, DEFAULT_TEMPERATURES_MEV, SPECIES
from .physics.validation import check_choice, check_scalar_in_range
from .prediction import Prediction

#: Nuisance parameters that predict() accepts per call, with their allowed ranges
#: (temperatures in MeV, E_tot in erg), from the parameter registry (relicboost.parameters).
NUISANCE_RANGES: dict[str, tuple[float, float]] = parameters.ranges(parameters.ASTRO_NUISANCES)
NUISANCES = tuple(NUISANCE_RANGES)
#: Largest lambda accepted, MeV^-3 (far into saturation: every DSNB neutrino scatters at z ~ 0).
LAM_MAX = parameters.get("lam").high
#: Ranges accepted by Model.predict_mediator (coupling, mediator mass in MeV, relic mass in eV).
MEDIATOR_RANGES: dict[str, tuple[float, float]] = parameters.ranges(parameters.MEDIATOR_PARAMETERS)
_COMPUTED = tuple(SPECIES)  # ("nue", "nuebar", "nux")
#: Allowed highest supernova redshift (the star-formation fits are not meant beyond z ~ 10).
Z_MAX_RANGE: tuple[float, float] = (0.1, 10.0)


def _check_count(name: str, value: Any) -> int:
    """An integer grid size (an integral float such as 161.0 is accepted and converted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not np.isfinite(value) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


class Model:
    """Predict DSNB and boosted-CvB fluxes for the heavy-mediator interaction sigma = lam E.

    Parameters
    ----------
    convention : {"paper", "consistent"}
        Propagation convention; ``"paper"`` = Eqs. III.8, IV.10, IV.11 as printed with the
        preset options of docs/conventions.md; ``"consistent"`` = transport equation in
        redshift (relicboost.physics.transport).  Options can be overridden individually.
    sfr : {"paper", "yuksel2008"}
        Star formation fit (paper Table I, or Yuksel et al. 2008).
    T_nue, T_nuebar, T_nux : float
        Supernova spectral temperatures, MeV (defaults 6.6, 7, 10).
    E_tot : float
        Total energy in neutrinos per supernova, erg (default 3e53).
    sfr_norm : float
        Multiplicative normalisation of the supernova rate (default 1).
    cosmology : Cosmology, optional
        Default H0 = 67 km/s/Mpc, Omega_m = 0.32.
    energy_min : float
        Lowest grid energy in MeV (grid ends at 200 MeV); raise it for faster predictions.
    points_per_decade, n_z_fine : int
        Grid resolution (see GridSpec); integral floats such as 161.0 are accepted.
    z_max : float
        Highest supernova redshift, in [0.1, 10] (paper: 6).
    **options :
        Convention options: ``relic_dof``, ``sharing``, ``outgoing``, ``sigma_energy`` (paper);
        ``relic_dof``, ``flavour``, ``theta12``, ``theta13``, ``substeps`` (consistent);
        see :mod:`relicboost.physics.conventions`.

    Attributes
    ----------
    propagator : relicboost.physics.propagators.Propagator
        The convention's propagator (label, CEvNS channel count, options object).

    Notes
    -----
    A Model keeps per-instance work buffers and caches: it is not thread-safe; use one
    Model per thread (or process).  It never changes process-wide settings; the optional
    allocator tuning is opt-in (:func:`relicboost.tune_allocator`, ``RELICBOOST_MALLOPT=1``).
    """

    def __init__(self, convention: str = "paper", sfr: str = "paper", T_nue: float = DEFAULT_TEMPERATURES_MEV["nue"],
                 T_nuebar: float = DEFAULT_TEMPERATURES_MEV["nuebar"], T_nux: float = DEFAULT_TEMPERATURES_MEV["nux"],
                 E_tot: float = DEFAULT_E_TOT_ERG, sfr_norm: float = 1.0, cosmology: Cosmology | None = None,
                 energy_min: float = 0.01, points_per_decade: int = 50, n_z_fine: int = 161, z_max: float = 6.0,
                 **options: Any) -> None:
        check_choice("convention", convention, tuple(PROPAGATORS))
        apply_requested_tuning()  # no-op unless RELICBOOST_MALLOPT=1 (relicboost/_runtime.py)
        self.convention = convention
        option_values = make_options(convention, options)
        self.options = asdict(option_values)
        self.sfr = check_choice("sfr", sfr, ("paper", "yuksel2008"))
        if cosmology is not None and not isinstance(cosmology, Cosmology):
            raise ValueError(f"cosmology must be a relicboost.physics.cosmology.Cosmology or None, got {cosmology!r}")
        self.cosmology = cosmology or Cosmology()
        self.defaults = self._check_nuisances(
            {"T_nue": T_nue, "T_nuebar": T_nuebar, "T_nux": T_nux, "E_tot": E_tot, "sfr_norm": sfr_norm})
        self.grid_spec = GridSpec(energy_min=check_scalar_in_range("energy_min", energy_min, 0.0, np.inf),
                                  points_per_decade=_check_count("points_per_decade", points_per_decade),
                                  n_z_fine=_check_count("n_z_fine", n_z_fine),
                                  z_max=check_scalar_in_range("z_max", z_max, *Z_MAX_RANGE))
        self.grid = build_grid(self.grid_spec, self.cosmology, self.sfr, self.options["relic_dof"])
        self.propagator = make_propagator(convention, self.grid, option_values)
        # handles used by predict_mediator: consistent transport solver, paper source tables
        self._transport: Any = getattr(self.propagator, "solver", None)
        self._sources: Any = getattr(self.propagator, "sources", None)
        self._windows = WindowWeights(self.grid.energy)  # detector-window weights, built once per window

    @property
    def energy(self) -> np.ndarray:
        """Energy grid in MeV."""
        return self.grid.energy

    @staticmethod
    def _check_nuisances(values: dict) -> dict:
        return {k: check_scalar_in_range(k, v, *NUISANCE_RANGES[k]) for k, v in values.items()}

    def predict(self, lam: float = 0.0, **nuisances: float) -> Prediction:
        """Fluxes today for lambda = G_X^2 m_nu.

        Parameters
        ----------
        lam : float
            lambda = G_X^2 m_nu in MeV^-3 (>= 0; 0 is the standard DSNB).
        **nuisances : float
            Per-call overrides of T_nue, T_nuebar, T_nux (MeV), E_tot (erg), sfr_norm.

        Returns
        -------
        Prediction
        """
        lam = check_scalar_in_range("lam", lam, 0.0, LAM_MAX)
        unknown = set(nuisances) - set(NUISANCES)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; allowed: {NUISANCES}")
        par = dict(self.defaults)
        par.update(self._check_nuisances(nuisances))
        return self._predict_heavy(lam, par)

    def _predict_heavy(self, lam: float, par: dict) -> Prediction:
        """Heavy-mediator prediction of the Model's propagator, scaled to E_tot and sfr_norm."""
        temps = tuple(par[f"T_{s}"] for s in _COMPUTED)
        dsnb3, boosted3 = self.propagator.species_fluxes(lam, temps)
        scale = par["E_tot"] / DEFAULT_E_TOT_ERG * par["sfr_norm"]
        dsnb = {s: dsnb3[i] * scale for i, s in enumerate(_COMPUTED)}
        boosted = {s: boosted3[i] * scale for i, s in enumerate(_COMPUTED)}
        return self._finish(lam, par, dsnb, boosted)

    def _paper_components(self, dsnb_z: np.ndarray, psi: np.ndarray, par: dict) -> tuple[dict, dict]:
        """(dsnb, boosted) dicts today from Phi_D(z) and the partner flux, with sharing and scale."""
        scale = par["E_tot"] / DEFAULT_E_TOT_ERG * par["sfr_norm"]
        if not isinstance(self.propagator, PaperPropagator):
            raise TypeError(f"partner sharing needs the paper propagator, not {self.propagator.name!r}")
        shared = self.propagator.share(psi)
        dsnb = {s: dsnb_z[i, 0, :] * scale for i, s in enumerate(_COMPUTED)}
        boosted = {s: shared[i] * scale for i, s in enumerate(_COMPUTED)}
        return dsnb, boosted

    def predict_mediator(self, g: float, M_MeV: float, mediator: str | None = None, m_nu_eV: float = 0.05,
                         normalise: str = "paper", model: str | ParticleModel = "paper", relic: str = "majorana",
                         couplings: str | Sequence[float] = "universal", relic_masses: str = "single",
                         lightest_mass_eV: float | None = None, relic_momenta: str = "rest",
                         kernels: str = "direct", **nuisances: float) -> Prediction:
        """Fluxes today for a scalar or vector mediator of coupling g and mass M (full propagators).

        The tree-level cross sections of :mod:`relicboost.physics.light_mediator` are used
        point by point (no mapping to lam), so the result is valid where M^2 is not >> 2 m_nu E.

        * ``paper`` convention: Eqs. IV.10 / IV.11 as printed with sigma = lam E replaced by
          sigma(E; g, M) and the flat partner spectrum by the mediator's energy-fraction
          distribution of the relic partner (``outgoing="both"``: both outgoing neutrinos);
          :func:`relicboost.physics.light_mediator.paper_partner_kernel`.  Needs
          ``sigma_energy="printed"``.  The paper preset counts relic_dof = 2 states, so with a
          physical ``model`` (sigma per relic state, averaged over the six) the total rate is
          1/3 of that model's rate on six relic states: a schematic, not a physical, result.
        * ``consistent`` convention: light-mediator transport
          (:func:`relicboost.physics.light_mediator.light_mediator_fluxes`), relic_dof = 6.

        With ``normalise="paper"`` the heavy limit is exactly ``predict(lam)`` with
        lam = g^4 m_nu / (8 pi M^4) (paper Eq. II.5), for scalar and vector alike.

        Parameters
        ----------
        g : float
            Coupling, in [0, 4 pi].
        M_MeV : float
            Mediator mass in MeV, in [1e-6, 1e4].
        mediator : {"scalar", "vector"}
        m_nu_eV : float
            Relic neutrino mass in eV, in [1e-4, 1] (default 0.05).
        normalise : {"paper", "tree"}
            Heavy-limit O(1) factors divided out ("paper") or kept ("tree"); see
            :func:`relicboost.physics.light_mediator.sigma`.  "tree" is
            ``model="complex-scalar"`` (scalar) or ``model="vector"`` with Majorana relics.
        model : {"paper", "complex-scalar", "real-scalar", "vector"} or ParticleModel
            Particle model (:mod:`relicboost.physics.light_mediator.models`, docs/conventions.md
            "(g, M) plane"); "paper" (default) is today's normalisation with the ``mediator``
            propagator.  Other models fix the mediator themselves.
        relic : {"majorana", "dirac"}
            Relic neutrino nature (Dirac: chirality factor 1/2); with a model name only.
        couplings : {"universal", "e", "mu", "tau"} or 3 floats
            Flavour-basis couplings relative to g; with a model name only.  Non-universal couplings
            are rotated to the mass basis and use the three-mass transport (coupling-matrix kernels,
            :mod:`relicboost.physics.light_mediator.flavour_routing`).
        relic_masses : {"single", "normal", "inverted"}
            "single" (default, the paper): all relic states have ``m_nu_eV``; "normal"/"inverted":
            three masses from NuFIT 5.2 splittings with ``lightest_mass_eV``, each with its own
            s = 2 m_i E and resonance (consistent convention, flavour "normal"/"inverted";
            :mod:`relicboost.physics.light_mediator.mass_transport`).
        lightest_mass_eV : float, optional
            Lightest relic mass in eV, [0, 1] (default ``m_nu_eV``); only with three masses.
        relic_momenta : {"rest", "thermal"}
            Relics at rest, or with the relic Fermi-Dirac momenta (consistent convention).
        kernels : {"direct", "tabulated"}
            Consistent convention, one relic mass at rest: transport kernels evaluated per point or
            interpolated from per-grid tables (same deposits to ~1e-5, faster; first call builds them).
        **nuisances : float
            Per-call overrides of T_nue, T_nuebar, T_nux (MeV), E_tot (erg), sfr_norm.

        Returns
        -------
        Prediction
            ``params`` holds g, M_MeV, mediator, m_nu_eV, normalise, ``model`` (label) and the
            model's heavy-limit ``lam`` (lam_eff, MeV^-3; paper Eq. II.5 for model="paper"), the relic
            options, ``perturbative`` (g <= sqrt(4 pi)), ``width_over_mass`` (Gamma/M of the model) and
            ``heavy_limit_valid`` (M^2 >= 10 x 2 m_nu,max x 100 MeV,
            :func:`relicboost.physics.interactions.heavy_mediator_valid`).
        """
        from .physics import light_mediator
        from .physics.interactions import heavy_mediator_valid

        g = check_scalar_in_range("g", g, *MEDIATOR_RANGES["g"])
        M_MeV = check_scalar_in_range("M_MeV", M_MeV, *MEDIATOR_RANGES["M_MeV"])
        m_nu_eV = check_scalar_in_range("m_nu_eV", m_nu_eV, *MEDIATOR_RANGES["m_nu_eV"])
        check_choice("normalise", normalise, ("paper", "tree"))
        pm = self._particle_model(model, mediator, normalise, relic, couplings)
        mediator = pm.mediator
        unknown = set(nuisances) - set(NUISANCES)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; allowed: {NUISANCES}")
        par = dict(self.defaults)
        par.update(self._check_nuisances(nuisances))
        lam = pm.lam_eff(g, M_MeV, m_nu_eV)
        masses = self._relic_masses(relic_masses, m_nu_eV, lightest_mass_eV, relic_momenta)
        extra = {"g": g, "M_MeV": M_MeV, "mediator": mediator, "m_nu_eV": m_nu_eV, "normalise": normalise,
                 "model": pm.label, "relic_masses": relic_masses, "relic_masses_eV": tuple(masses),
                 "relic_momenta": relic_momenta, "perturbative": bool(g <= np.sqrt(4.0 * np.pi)),
                 "width_over_mass": pm.width_over_mass(g),
                 "heavy_limit_valid": bool(heavy_mediator_valid(M_MeV, float(max(masses))))}
        temps = tuple(par[f"T_{s}"] for s in _COMPUTED)
        if self.convention == "consistent":
            if g == 0.0:
                pred = self._predict_consistent(0.0, par)
            else:
                if relic_masses == "single" and relic_momenta == "rest" and pm.universal:
                    dsnb3, total3 = light_mediator.light_mediator_fluxes(self._transport, g, M_MeV, mediator, temps,
                                                                         m_nu_eV, normalise, pm, kernels)
                    edge = resonance_edge(self._transport.tgrid, g, M_MeV, pm, m_nu_eV)
                else:
                    from .physics.light_mediator.mass_transport import mass_channel_fluxes
                    if relic_masses != "single" and self.options["flavour"] != relic_masses:
                        raise ValueError(f"relic_masses={relic_masses!r} needs Model(flavour={relic_masses!r}) "
                                         f"(same mass ordering), got flavour={self.options['flavour']!r}")
                    dsnb3, total3 = mass_channel_fluxes(self._transport, g, M_MeV, pm, temps, masses, relic_momenta)
                    edge = None
                scale = par["E_tot"] / DEFAULT_E_TOT_ERG * par["sfr_norm"]
                dsnb = {s: dsnb3[i] * scale for i, s in enumerate(_COMPUTED)}
                boosted = {s: (total3[i] - dsnb3[i]) * scale for i, s in enumerate(_COMPUTED)}
                pred = replace(self._finish(lam, par, dsnb, boosted), resonance_edge=edge)
        else:
            if relic_masses != "single" or relic_momenta != "rest":
                raise ValueError("the paper convention has one relic mass at rest: relic_masses='single', "
                                 "relic_momenta='rest'")
            if self.options["sigma_energy"] != "printed":
                raise ValueError("predict_mediator in the paper convention needs sigma_energy='printed', "
                                 f"got {self.options['sigma_energy']!r}")
            src = self._sources(temps)
            if g == 0.0:
                dsnb_z = attenuated_dsnb(self.grid, src, 0.0)
                psi = np.zeros((len(_COMPUTED), self.grid.energy.size))
            else:
                sig, kernel = light_mediator.paper_partner_kernel(self.grid.energy, g, M_MeV, mediator, m_nu_eV,
                                                                  normalise, self.options["outgoing"], pm)
                dsnb_z = attenuated_dsnb(self.grid, src, 0.0, "printed", sigma=sig)
                psi = upscattered_kernel(self.grid, dsnb_z, kernel)
            pred = self._finish(lam, par, *self._paper_components(dsnb_z, psi, par))
        pred.params.update(extra)
        return pred

    @staticmethod
    def _relic_masses(relic_masses: str, m_nu_eV: float, lightest_mass_eV: float | None, momenta: str) -> np.ndarray:
        """(m_1, m_2, m_3) in eV for predict_mediator's relic-mass options."""
        from .physics.relic_masses import relic_masses_eV

        check_choice("relic_momenta", momenta, ("rest", "thermal"))
        if relic_masses == "single":
            if lightest_mass_eV is not None:
                raise ValueError("lightest_mass_eV is for relic_masses='normal'/'inverted'; use m_nu_eV for 'single'")
            return relic_masses_eV("single", m_nu_eV)
        lightest = m_nu_eV if lightest_mass_eV is None else check_scalar_in_range("lightest_mass_eV",
                                                                                   lightest_mass_eV, 0.0, 1.0)
        return relic_masses_eV(relic_masses, lightest)

    @staticmethod
    def _particle_model(model: Any, mediator: str | None, normalise: str, relic: str, couplings: Any):
        """ParticleModel from predict_mediator's arguments (model name or object, legacy normalise)."""
        from .physics.light_mediator.models import ParticleModel

        if isinstance(model, ParticleModel):
            return model
        if model == "paper":
            check_choice("mediator", "scalar" if mediator is None else mediator, ("scalar", "vector"))
            mediator = mediator or "scalar"
            if normalise == "tree":
                return ParticleModel("complex-scalar" if mediator == "scalar" else "vector", "majorana")
            return ParticleModel("paper", mediator=mediator)
        if normalise != "paper":
            raise ValueError("normalise='tree' is only for model='paper' (it is model='complex-scalar'/'vector')")
        pm = ParticleModel(model, relic, couplings)
        if mediator is not None and mediator != pm.mediator:
            raise ValueError(f"mediator={mediator!r} contradicts model={model!r} (mediator {pm.mediator!r})")
        return pm

    def _predict_consistent(self, lam: float, par: dict) -> Prediction:
        """Transport-equation prediction (docs/conventions.md, convention "consistent")."""
        return self._predict_heavy(lam, par)

    def _finish(self, lam: float, par: dict, dsnb: dict, boosted: dict) -> Prediction:
        for name, arr in list(dsnb.items()) + list(boosted.items()):
            if not np.all(np.isfinite(arr)):
                raise FloatingPointError(f"non-finite flux for {name} at lam={lam!r}, params={par}")
        par["lam"] = lam
        par["sfr"] = self.sfr
        return Prediction(energy=self.grid.energy, dsnb=dsnb, boosted=boosted, params=par,
                          convention=self.convention, options=dict(self.options),
                          boosted_channels=self.propagator.cevns_boosted_channels, windows=self._windows)
