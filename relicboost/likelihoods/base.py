"""Likelihood interface, nuisance priors and the :class:`Combined` sum.

A likelihood is a pure function of the :class:`~relicboost.model.Prediction`
it is given: it stores its data and options, never current parameter values.
Calling it returns -2 ln L (chi^2-like; iminuit errordef = 1)::

    chi2 = likelihood(prediction) = data_chi2(prediction) + constraint_chi2(prediction.params)

Nuisance parameters (T_nue, T_nuebar, T_nux [MeV], E_tot [erg], sfr_norm) enter
through ``prediction.params``; a likelihood may carry priors (constraint terms)
on them.  ``a + b`` builds a :class:`Combined` whose data terms add and whose
priors are merged by parameter name: a prior shared by both is counted once, and
two different priors on the same name raise ``ValueError``.

Reference point of -2 ln L: every data term here is 0 at its own best fit
(zero flux for published upper limits, the background-only Asimov point for
forecasts) and grows with the signal.  Limits therefore use the ABSOLUTE value,
-2 ln L(lam) = z_CL^2 (1.2816^2 one-sided at 90%), or Delta relative to the
lam = 0 prediction if a model's standard DSNB should be treated as known
background.  A per-bin limit can already be exceeded at lam = 0 (the SK-IV
21.3-23.3 MeV bin is below the standard DSNB for T_nuebar = 7 MeV), so the
choice matters; the minimum over the model's parameters is NOT the reference.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from relicboost import parameters
from relicboost.physics.validation import check_number

#: Astrophysical nuisance parameters a Prediction carries (names as in Model.predict).
ASTRO_NUISANCES: tuple[str, ...] = parameters.ASTRO_NUISANCES


@dataclass(frozen=True)
class GaussianPrior:
    """Gaussian constraint term: -2 ln p = ((x - mean) / sigma)^2, optionally truncated to [low, high].

    The one prior family of relicboost (with :class:`UniformPrior`): used as a likelihood's
    constraint term on a nuisance and as a :class:`~relicboost.inference.problem.Problem`
    prior on a coordinate (there also called ``Gaussian``).

    Parameters
    ----------
    mean, sigma
        Centre and width, in the parameter's (coordinate's) unit (sigma > 0).
    low, high
        Optional hard bounds (outside: -2 ln p = inf); also offered to minimisers as limits.
    """

    mean: float
    sigma: float
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"GaussianPrior: need finite mean and sigma > 0, got {self.mean}, {self.sigma}")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"GaussianPrior: need low < high, got {self.low}, {self.high}")

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(low, high) limits for a minimiser; None = unbounded."""
        return (self.low, self.high)

    def default_bounds(self) -> tuple[float, float]:
        """Hard bounds: (low, high) where given, else mean -+ 5 sigma."""
        return (self.mean - 5.0 * self.sigma if self.low is None else self.low,
                self.mean + 5.0 * self.sigma if self.high is None else self.high)

    def center(self) -> float:
        """Start value of a fit: the mean."""
        return self.mean

    def chi2(self, x: float) -> float:
        """-2 ln p(x) up to a constant."""
        if (self.low is not None and x < self.low) or (self.high is not None and x > self.high):
            return math.inf
        return ((x - self.mean) / self.sigma) ** 2

    def __str__(self) -> str:
        cut = "" if self.low is None and self.high is None else f", [{self.low}, {self.high}]"
        return f"Gaussian({self.mean:g}, {self.sigma:g}{cut})"


@dataclass(frozen=True)
class UniformPrior:
    """Flat prior on [low, high]: -2 ln p = 0 inside, inf outside (flat in the coordinate,
    i.e. in log10 for lam, g, M).

    Parameters
    ----------
    low, high
        Bounds in the parameter's (coordinate's) unit, low < high.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"UniformPrior: need finite low < high, got {self.low}, {self.high}")

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) limits for a minimiser."""
        return (self.low, self.high)

    def default_bounds(self) -> tuple[float, float]:
        """Hard bounds: (low, high)."""
        return (self.low, self.high)

    def center(self) -> float:
        """Start value of a fit: the middle of the range."""
        return 0.5 * (self.low + self.high)

    def chi2(self, x: float) -> float:
        """0 inside [low, high], inf outside."""
        return 0.0 if self.low <= x <= self.high else math.inf

    def __str__(self) -> str:
        return f"Uniform({self.low:g}, {self.high:g})"


Prior = GaussianPrior | UniformPrior


def default_astro_priors() -> dict[str, Prior]:
    """Analysis-choice priors on the astrophysical nuisances (not published constraints).

    Read from the parameter registry (:data:`relicboost.parameters.PARAMETERS`, ``prior``):
    centred on the paper's inputs (Sec. III; E_tot and SFR from arXiv:2403.15367):
    T_nue = 6.6 +- 1.0 MeV, T_nuebar = 7.0 +- 1.0 MeV, T_nux = 10.0 +- 1.5 MeV (spread of
    supernova simulations and of the paper's two choices), E_tot = (3 +- 1) x 10^53 erg,
    sfr_norm = 1.0 +- 0.3 (typical uncertainty of the cosmic supernova-rate normalisation);
    all truncated to physical values (> 0).
    """
    out: dict[str, Prior] = {}
    for name in ASTRO_NUISANCES:
        mean, sigma, low, high = parameters.get(name).prior  # type: ignore[misc]
        out[name] = GaussianPrior(mean, sigma, low=low, high=high)
    return out


def _check_priors(priors: Mapping[str, Prior] | None) -> dict[str, Prior]:
    out: dict[str, Prior] = {}
    for name, prior in (priors or {}).items():
        if name not in ASTRO_NUISANCES:
            raise ValueError(f"priors: unknown nuisance {name!r}; allowed: {ASTRO_NUISANCES}")
        if not isinstance(prior, (GaussianPrior, UniformPrior)):
            raise ValueError(f"priors[{name!r}] must be a GaussianPrior or UniformPrior, got {prior!r}")
        out[name] = prior
    return out


def check_cl(cl: float, name: str = "cl") -> float:
    """A confidence level as float: a number (not bool/str) in (0, 1), else TypeError/ValueError."""
    x = check_number(name, cl)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {cl!r}")
    return x


def check_grid_covers(prediction: Any, emin: float, emax: float, who: str) -> None:
    """Raise ValueError unless ``prediction.energy`` covers [emin, emax] MeV."""
    e = np.asarray(prediction.energy, dtype=float)
    tol = 1e-9 * float(e[-1])
    if e[0] > emin + tol or e[-1] < emax - tol:
        raise ValueError(
            f"{who}: prediction energy grid [{e[0]:g}, {e[-1]:g}] MeV does not cover the needed "
            f"[{emin:g}, {emax:g}] MeV; build the Model with energy_min <= {emin:g}"
        )


def _finite(x: float, who: str) -> float:
    x = float(x)
    if math.isnan(x):
        raise ValueError(f"{who}: -2 ln L is NaN")
    return x


class Likelihood(ABC):
    """Base class: ``__call__(prediction) -> -2 ln L``.

    Subclasses implement :meth:`data_chi2` and set ``name``, ``label``, ``bib_keys``,
    ``required_energy_range`` and ``is_forecast``.

    Parameters
    ----------
    priors
        Optional constraint terms on astrophysical nuisances, by name
        (see :data:`ASTRO_NUISANCES`, :func:`default_astro_priors`).
    """

    #: Short identifier.
    name: str = "likelihood"
    #: Human-readable description (forecasts say so).
    label: str = ""
    #: True for projected sensitivities (no data).
    is_forecast: bool = False
    #: Minimum of the data term over data space (zero flux / Asimov point): the reference
    #: of the test statistic (module docstring).  0 for every likelihood here.
    neg2lnl_min: float = 0.0
    #: Limit method used by default (relicboost.inference.limits): CLs, as pyhf, for counting
    #: likelihoods; published flux limits use "published" (their own calibrated crossing).
    default_limit_method: str = "cls"
    #: C.L. at which a published limit was calibrated (None: not a published limit).
    published_cl: float | None = None

    def __init__(self, priors: Mapping[str, Prior] | None = None) -> None:
        self.priors: dict[str, Prior] = _check_priors(priors)

    @property
    @abstractmethod
    def required_energy_range(self) -> tuple[float, float]:
        """(emin, emax) in MeV that the prediction's energy grid must cover."""

    @property
    def bib_keys(self) -> list[str]:
        """BibTeX keys of the sources this likelihood uses."""
        return list(getattr(self, "_bib_keys", []))

    @property
    def components(self) -> list[Likelihood]:
        """The individual likelihoods (itself, for a single one)."""
        return [self]

    @property
    def nuisances(self) -> tuple[str, ...]:
        """Names of the nuisance parameters that carry a prior here."""
        return tuple(self.priors)

    @abstractmethod
    def data_chi2(self, prediction: Any) -> float:
        """-2 ln L of the data (or forecast) term alone, for one Prediction."""

    def constraint_chi2(self, params: Mapping[str, float]) -> float:
        """Sum of prior terms -2 ln p evaluated at ``params`` (the prediction's parameters)."""
        total = 0.0
        for name, prior in self.priors.items():
            if name not in params:
                raise ValueError(f"{self.name}: prior on {name!r} but the prediction has no such parameter")
            total += prior.chi2(float(params[name]))
        return total

    def __call__(self, prediction: Any) -> float:
        """-2 ln L = data term + constraint terms (chi^2-like; iminuit errordef = 1)."""
        return _finite(self.data_chi2(prediction) + self.constraint_chi2(prediction.params), self.name)

    def __add__(self, other: Likelihood) -> Combined:
        if not isinstance(other, Likelihood):
            return NotImplemented
        return Combined([self, other])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label or self.name})"


class Combined(Likelihood):
    """Sum of likelihoods with nuisance priors shared by name (each counted once).

    Parameters
    ----------
    likelihoods
        The terms; nested Combined objects are flattened.

    Raises
    ------
    ValueError
        If two terms carry different priors on the same nuisance, or one experiment appears
        twice (e.g. SKIV integrated + SKIV binned: the same data counted twice).
    """

    name = "combined"

    def __init__(self, likelihoods: Iterable[Likelihood]) -> None:
        flat: list[Likelihood] = []
        for lk in likelihoods:
            if not isinstance(lk, Likelihood):
                raise ValueError(f"likelihoods: {lk!r} is not a Likelihood")
            flat.extend(lk.components)
        if not flat:
            raise ValueError("likelihoods: need at least one term")
        names = [lk.name for lk in flat]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"likelihoods: experiment(s) {dup} appear twice (double counting the same data)")
        priors: dict[str, Prior] = {}
        for lk in flat:
            for pname, prior in lk.priors.items():
                if pname in priors and priors[pname] != prior:
                    raise ValueError(f"conflicting priors on {pname!r}: {priors[pname]} vs {prior}")
                priors[pname] = prior
        super().__init__(priors)
        self._terms = flat
        self.label = " + ".join(lk.label or lk.name for lk in flat)
        published = {lk.published_cl for lk in flat}
        if len(published) == 1 and None not in published:  # only published limits, one C.L.
            self.default_limit_method, self.published_cl = "published", published.pop()
        self.is_forecast = any(lk.is_forecast for lk in flat)

    @property
    def components(self) -> list[Likelihood]:
        return list(self._terms)

    @property
    def bib_keys(self) -> list[str]:
        return list(dict.fromkeys(k for lk in self._terms for k in lk.bib_keys))

    @property
    def required_energy_range(self) -> tuple[float, float]:
        lo = min(lk.required_energy_range[0] for lk in self._terms)
        hi = max(lk.required_energy_range[1] for lk in self._terms)
        return (lo, hi)

    def data_chi2(self, prediction: Any) -> float:
        return float(sum(lk.data_chi2(prediction) for lk in self._terms))

    def terms(self, prediction: Any) -> dict[str, float]:
        """Data term (-2 ln L) of each component, by experiment name."""
        return {lk.name: float(lk.data_chi2(prediction)) for lk in self._terms}
