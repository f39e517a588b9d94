"""Turn a model factory, a likelihood and a parameter specification into functions of theta.

A :class:`Problem` is what the minimisers (:mod:`relicboost.inference.limits`) and the
sampler (:mod:`relicboost.inference.sampling`) see: a vector ``theta`` of free
coordinates, ``chi2(theta)`` = -2 ln L - 2 ln(prior constraint terms) and
``log_posterior(theta)``.

Coordinates (the order of ``theta`` is the order in which the free parameters are
given by the user; it is recorded and checked when a chain is resumed):

=============  ===============  ==================================================
parameter      coordinate       unit of the coordinate
=============  ===============  ==================================================
``lam``        ``log10_lam``    log10(lam / MeV^-3), lam = G_X^2 m_nu
``g``          ``log10_g``      log10 of the mediator coupling (``mediator`` set)
``M``          ``log10_M_MeV``  log10(M / MeV) (``mediator`` set)
``T_nue``      ``T_nue``        MeV
``T_nuebar``   ``T_nuebar``     MeV
``T_nux``      ``T_nux``        MeV
``E_tot``      ``E_tot``        erg
``sfr_norm``   ``sfr_norm``     dimensionless multiplier of the star-formation rate
other names    same             passed as keywords to the likelihood call
=============  ===============  ==================================================

Priors are stated per free coordinate: :class:`Uniform` (flat in the coordinate, so
flat in log10 lam for the interaction strength) or :class:`Gaussian` (also used as a
constraint term ``((x - mean) / sigma)^2`` in the profile likelihood).  A plain number
fixes the parameter.

The heavy state (the model precomputation) is never pickled: it is built on first use
in each process from the picklable factory and kept in a module-level cache, so a pool
worker builds it once.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from relicboost import parameters
from relicboost.likelihoods.base import GaussianPrior, Prior, UniformPrior
from relicboost.physics.validation import check_number

from .factory import ModelFactory, describe

#: Parameters that :meth:`relicboost.Model.predict` understands (registry: relicboost.parameters).
MODEL_PARAMETERS: tuple[str, ...] = ("lam", *parameters.ASTRO_NUISANCES)
#: Astrophysical parameters that must be strictly positive.
_POSITIVE: frozenset[str] = frozenset(n for n in parameters.ASTRO_NUISANCES if parameters.get(n).low > 0)
#: Coordinate name of each parameter that is sampled in log10 (``M`` is the registry's ``M_MeV``).
_LOG_COORD: dict[str, str] = {"lam": parameters.get("lam").coordinate, "g": parameters.get("g").coordinate,
                              "M": parameters.get("M_MeV").coordinate}

#: Per-process cache of built models, keyed by the factory's description hash; the least
#: recently used model is dropped beyond ``_MODEL_CACHE_SIZE`` entries.
_MODEL_CACHE: collections.OrderedDict[str, Any] = collections.OrderedDict()
_MODEL_CACHE_SIZE = 4

#: The prior family is that of the likelihoods (one family); short names for use in a Problem.
Gaussian = GaussianPrior
Uniform = UniformPrior


@dataclasses.dataclass(frozen=True)
class Free:
    """A free parameter: its prior, optional hard bounds and start value (coordinate units).

    Parameters
    ----------
    prior : GaussianPrior or UniformPrior or None
        Prior on the coordinate (log10 for ``lam``, ``g``, ``M``).  None: the
        likelihood carries the prior (its ``priors[name]``, a constraint term it adds
        itself; bounds and start are taken from it).  Same classes as the likelihoods'
        priors: a prior is just another -2 ln term, added either here or by the likelihood.
    bounds : (float, float), optional
        Hard limits for the minimiser and the sampler; default: the Uniform range or
        mean +- 5 sigma of a Gaussian (clipped to > 0 for positive parameters).
    start : float, optional
        Start value for the minimiser; default: the prior centre.
    """

    prior: Prior | None = None
    bounds: tuple[float, float] | None = None
    start: float | None = None


class Problem:
    """Free coordinates theta -> -2 ln L, priors and log posterior.

    Parameters
    ----------
    model : callable
        Zero-argument picklable factory returning an object with
        ``predict(**params) -> Prediction`` (e.g. :class:`ModelFactory`).  Built once
        per process and cached.
    likelihood : callable
        ``likelihood(prediction, **extra) -> float`` returning -2 ln L (e.g. an
        experiment or a ``Combined``); ``extra`` holds free or fixed parameters whose
        names are not model parameters.
    parameters : mapping
        name -> float (fixed, physical units: lam in MeV^-3, T in MeV, E_tot in erg;
        g; M in MeV) or :class:`Free`.  The order of the free ones is theta's order.
    mediator : {"scalar", "vector"}, optional
        If given, ``g`` and ``M`` replace ``lam`` (heavy-mediator mapping,
        :func:`relicboost.physics.interactions.lam_from_coupling`).
    m_nu_eV : float
        Relic neutrino mass in eV used by the (g, M) -> lam mapping (default 0.05).

    Raises
    ------
    ValueError
        On missing/unknown interaction parameters, bad bounds or non-physical values.
    """

    def __init__(
        self,
        model: Callable[[], Any],
        likelihood: Callable[..., float],
        parameters: Mapping[str, float | Free],
        *,
        mediator: str | None = None,
        m_nu_eV: float = 0.05,
    ) -> None:
        if not callable(model):
            raise ValueError("model must be a zero-argument factory (e.g. ModelFactory)")
        if not callable(likelihood):
            raise ValueError("likelihood must be callable on a Prediction, returning -2 ln L")
        if mediator is not None and mediator not in ("scalar", "vector"):
            raise ValueError(f"mediator must be 'scalar', 'vector' or None, got {mediator!r}")
        if not (math.isfinite(m_nu_eV) and m_nu_eV > 0):
            raise ValueError(f"m_nu_eV must be > 0 eV, got {m_nu_eV}")
        self.factory = model
        self.likelihood = likelihood
        self.mediator = mediator
        self.m_nu_eV = float(m_nu_eV)
        self._factory_key = hashlib.sha256(
            json.dumps(describe(model), sort_keys=True).encode()).hexdigest()

        params = dict(parameters)
        interaction = ("g", "M") if mediator else ("lam",)
        forbidden = ("lam",) if mediator else ("g", "M")
        for name in interaction:
            if name not in params:
                raise ValueError(f"parameter {name!r} is required "
                                 f"({'mediator set' if mediator else 'no mediator'})")
        for name in forbidden:
            if name in params:
                raise ValueError(f"parameter {name!r} is not allowed "
                                 f"({'use g, M with a mediator' if mediator else 'set mediator to use g, M'})")

        self._external: set[str] = set()  # priors applied by the likelihood itself
        self.fixed: dict[str, float] = {}
        self.free: dict[str, Free] = {}
        names: list[str] = []
        bounds: list[tuple[float, float]] = []
        lik_priors = getattr(likelihood, "priors", None) or {}
        for name, spec in params.items():
            if isinstance(spec, Free):
                coord = _LOG_COORD.get(name, name)
                if spec.prior is None:
                    if name not in lik_priors:
                        raise ValueError(f"{name}: Free(prior=None) needs a prior on {name!r} in "
                                         f"the likelihood's priors (it has {sorted(lik_priors)})")
                    spec = dataclasses.replace(spec, prior=lik_priors[name])
                    self._external.add(name)
                elif name in lik_priors:
                    raise ValueError(f"{name}: prior given twice (Problem and likelihood.priors); "
                                     "use Free(prior=None) to take the likelihood's")
                lo, hi = spec.bounds if spec.bounds is not None else spec.prior.default_bounds()
                if name in _POSITIVE:
                    lo = max(lo, 1e-6 * abs(spec.prior.center()))
                if not lo < hi:
                    raise ValueError(f"bounds of {coord} must satisfy low < high, got ({lo}, {hi})")
                self.free[name] = spec
                names.append(coord)
                bounds.append((float(lo), float(hi)))
            else:
                value = check_number(name, spec)
                if name in _POSITIVE and value <= 0:
                    raise ValueError(f"{name} must be > 0, got {value}")
                if name in ("lam", "g") and value < 0:
                    raise ValueError(f"{name} must be >= 0, got {value}")
                if name == "M" and value <= 0:
                    raise ValueError(f"M (MeV) must be > 0, got {value}")
                self.fixed[name] = value
        if mediator and "M" in self.free:
            from relicboost.physics.interactions import (
                heavy_mediator_min_mass_MeV,
                heavy_mediator_valid,
            )

            m_low = 10.0 ** bounds[names.index("log10_M_MeV")][0]
            if not bool(heavy_mediator_valid(m_low, self.m_nu_eV)):
                m_min = float(heavy_mediator_min_mass_MeV(self.m_nu_eV))
                raise ValueError(f"log10_M_MeV lower bound ({math.log10(m_low):.3g}) is below the "
                                 f"heavy-mediator validity limit: need log10_M_MeV >= {math.log10(m_min):.3g} "
                                 f"(M >= {m_min:.3g} MeV for m_nu = {self.m_nu_eV:g} eV; heavy_mediator_valid)")
        self.names: tuple[str, ...] = tuple(names)
        self.bounds: tuple[tuple[float, float], ...] = tuple(bounds)
        self._priors: tuple[Prior, ...] = tuple(s.prior for s in self.free.values())
        #: Whether this Problem adds the prior term of each coordinate (else the likelihood does).
        self._own_prior: tuple[bool, ...] = tuple(n not in self._external for n in self.free)
        self._free_params: tuple[str, ...] = tuple(self.free)
        self.interaction_names: tuple[str, ...] = tuple(
            _LOG_COORD[n] for n in self._free_params if n in interaction)
        self.nuisance_names: tuple[str, ...] = tuple(
            n for n in self.names if n not in self.interaction_names)

    # ------------------------------------------------------------------ description
    def start(self) -> np.ndarray:
        """Start values of theta (``Free.start`` or the prior centre, clipped to bounds)."""
        out = []
        for spec, (lo, hi) in zip(self.free.values(), self.bounds):
            x = spec.start if spec.start is not None else spec.prior.center()
            out.append(min(max(x, lo), hi))
        return np.array(out)

    def steps(self) -> np.ndarray:
        """Initial step sizes for the minimiser (prior sigma or a tenth of the range)."""
        out = []
        for prior, (lo, hi) in zip(self._priors, self.bounds):
            s = prior.sigma if isinstance(prior, GaussianPrior) else 0.1 * (prior.high - prior.low)
            out.append(min(s, 0.1 * (hi - lo)))
        return np.array(out)

    def config(self) -> dict[str, Any]:
        """JSON-able configuration (what the configuration hash covers)."""
        params: dict[str, Any] = {}
        for name, value in self.fixed.items():
            params[name] = {"fixed": value}
        for (name, spec), coord, bnd in zip(self.free.items(), self.names, self.bounds):
            prior = {"type": type(spec.prior).__name__.removesuffix("Prior"),
                     **{k: v for k, v in dataclasses.asdict(spec.prior).items() if v is not None}}
            params[name] = {"coordinate": coord, "prior": prior, "bounds": list(bnd),
                            "start": spec.start}
        return {"parameters": params, "theta": list(self.names), "mediator": self.mediator,
                "m_nu_eV": self.m_nu_eV, "model": describe(self.factory),
                "likelihood": describe(self.likelihood)}

    def config_hash(self) -> str:
        """SHA-256 (hex) of :meth:`config` serialised with sorted keys."""
        return hashlib.sha256(json.dumps(self.config(), sort_keys=True).encode()).hexdigest()

    def priors_text(self) -> dict[str, str]:
        """Human-readable prior per coordinate, e.g. ``{'log10_lam': 'Uniform(-14, -6)'}``."""
        return {c: str(p) + ("" if own else " [likelihood]")
                for c, p, own in zip(self.names, self._priors, self._own_prior)}

    # ------------------------------------------------------------------ evaluation
    @property
    def model(self) -> Any:
        """The built model (once per process, module-level cache)."""
        m = _MODEL_CACHE.get(self._factory_key)
        if m is None:
            m = _MODEL_CACHE[self._factory_key] = self.factory()
            while len(_MODEL_CACHE) > _MODEL_CACHE_SIZE:
                _MODEL_CACHE.popitem(last=False)
        _MODEL_CACHE.move_to_end(self._factory_key)
        return m

    def physical(self, theta: np.ndarray) -> dict[str, float]:
        """Physical parameters (lam in MeV^-3, T in MeV, E_tot in erg, ...) at theta."""
        values = dict(self.fixed)
        for name, x in zip(self._free_params, theta):
            values[name] = 10.0 ** float(x) if name in _LOG_COORD else float(x)
        if self.mediator:
            from relicboost.physics.interactions import lam_from_coupling

            values["lam"] = lam_from_coupling(values.pop("g"), values.pop("M"),
                                              self.m_nu_eV, self.mediator)
        return values

    def in_bounds(self, theta: np.ndarray) -> bool:
        return all(lo <= x <= hi for x, (lo, hi) in zip(theta, self.bounds))

    def predict(self, values: Mapping[str, float]) -> Any:
        """Model prediction for physical parameter values (see :meth:`physical`)."""
        return self.model.predict(**{k: v for k, v in values.items() if k in MODEL_PARAMETERS})

    def _likelihood_chi2(self, values: Mapping[str, float]) -> float:
        extra = {k: v for k, v in values.items() if k not in MODEL_PARAMETERS}
        val = float(self.likelihood(self.predict(values), **extra))
        if math.isnan(val):
            raise ValueError(f"likelihood returned NaN at {dict(values)}")
        return val

    def prior_chi2(self, theta: np.ndarray) -> float:
        """Sum of -2 ln prior terms this Problem adds (Gaussian constraints; +inf outside a
        Uniform); priors carried by the likelihood are added by the likelihood call."""
        return float(sum(p.chi2(float(x)) for p, x, own in zip(self._priors, theta, self._own_prior)
                         if own))

    def chi2(self, theta: np.ndarray) -> float:
        """-2 ln L(theta) + Gaussian constraint terms; +inf outside the bounds."""
        theta = np.asarray(theta, dtype=float)
        if not self.in_bounds(theta):
            return math.inf
        return self._likelihood_chi2(self.physical(theta)) + self.prior_chi2(theta)

    def nll(self, theta: np.ndarray) -> float:
        """Negative log-likelihood including constraint terms, chi2(theta) / 2."""
        return 0.5 * self.chi2(theta)

    def log_posterior(self, theta: np.ndarray) -> float:
        """ln posterior up to a constant: -chi2/2 (flat priors add constants); -inf outside."""
        c = self.chi2(theta)
        return -0.5 * c if math.isfinite(c) else -math.inf

    def chi2_at_lam(self, lam: float, nuisances: np.ndarray) -> float:
        """-2 ln L + constraints at fixed lam (MeV^-3, may be 0) and nuisance coordinates.

        ``nuisances`` follow :attr:`nuisance_names`.  Only for problems parametrised
        by ``lam`` (no mediator).
        """
        if self.mediator:
            raise ValueError("chi2_at_lam needs a lam-parametrised problem (mediator=None)")
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"lam must be finite and >= 0 MeV^-3, got {lam}")
        theta = self.theta_from(lam, nuisances)
        nuis_bounds = [b for n, b in zip(self.names, self.bounds) if n in self.nuisance_names]
        if not all(lo <= x <= hi for x, (lo, hi) in zip(nuisances, nuis_bounds)):
            return math.inf
        values = self.physical(theta)
        values["lam"] = float(lam)
        priors = [(p, own) for n, p, own in zip(self.names, self._priors, self._own_prior)
                  if n in self.nuisance_names]
        return self._likelihood_chi2(values) + float(
            sum(p.chi2(float(x)) for (p, own), x in zip(priors, nuisances) if own))

    def theta_from(self, lam: float, nuisances: np.ndarray) -> np.ndarray:
        """Theta vector from lam (MeV^-3) and nuisance coordinates (lam = 0 -> -inf)."""
        nuis = iter(np.asarray(nuisances, dtype=float))
        out = []
        for n in self.names:
            if n == "log10_lam":
                out.append(math.log10(lam) if lam > 0 else -math.inf)
            else:
                out.append(next(nuis))
        return np.array(out)


def problem_for(likelihood: Any, *, free: tuple[str, ...] = parameters.DEFAULT_PROFILED,
                log10_lam_range: tuple[float, float] = (-14.0, -6.0),
                fixed: Mapping[str, float] | None = None, **model_kwargs: Any) -> Problem:
    """Problem with log10 lam free (flat prior) and the nuisances in ``free`` profiled/sampled
    under the likelihood's own priors (``likelihood.priors``).

    Parameters
    ----------
    likelihood : Likelihood
        Must carry a prior for every name in ``free`` (e.g. ``SKIV(priors=default_astro_priors())``).
    free : tuple of str
        Free nuisances, in theta order after ``log10_lam``.
    log10_lam_range : (float, float)
        Flat prior range of log10(lam / MeV^-3).
    fixed : mapping, optional
        Fixed parameter values (physical units); others take the Model's defaults.
    **model_kwargs
        ``Model`` keyword arguments (convention, sfr, grid); the energy grid starts at the
        likelihood's ``required_energy_range``.
    """
    params = problem_parameters(Uniform(*log10_lam_range), free, fixed)
    return Problem(ModelFactory.for_likelihood(likelihood, **model_kwargs), likelihood, params)


def problem_parameters(lam_prior: Prior, free: tuple[str, ...], fixed: dict[str, float] | None
                       ) -> dict[str, float | Free]:
    """Parameters of a :class:`Problem`: lam with ``lam_prior`` (log10 lam coordinate), the ``free``
    nuisances with the likelihood's priors, and the ``fixed`` values (a name may not be both)."""
    params: dict[str, float | Free] = {"lam": Free(lam_prior)}
    for name in free:
        params[name] = Free(None)
    for name, value in (fixed or {}).items():
        if name in params:
            raise ValueError(f"{name} is both free and fixed")
        params[name] = value
    return params
