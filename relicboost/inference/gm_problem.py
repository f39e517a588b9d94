"""Light-mediator points for the inference :class:`~relicboost.inference.problem.Problem`, nuisances profiled.

A (g, M) exclusion is a limit on g at each fixed mass M.  :class:`MediatorPointFactory` is a
picklable model factory for one (mediator, M): the model it builds answers
``predict(lam=..., **nuisances)`` with :meth:`relicboost.Model.predict_mediator` at the coupling
g = coupling_from_lam(lam, M) (the heavy-limit map of paper Eq. II.5, used here only as a monotonic
coordinate for g at fixed M: the prediction itself is the full light-mediator one).  So every tool
built for lam works unchanged: :func:`mediator_point_problem` gives a Problem whose nuisances are
profiled (or sampled) exactly as for the lam limit, and :func:`coupling_upper_limit` turns the
profile-likelihood limit into g_upper(M).

The Model (the heavy precomputation) is shared by all masses in one process (cache of one entry,
keyed by the Model options), so scanning many masses does not build many Models.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from relicboost import parameters

from .problem import Problem, Uniform, problem_parameters

_SHARED_MODEL: dict[tuple, Any] = {}


def _shared_model(model_options: tuple[tuple[str, Any], ...]) -> Any:
    if model_options not in _SHARED_MODEL:
        from relicboost import Model

        _SHARED_MODEL.clear()
        _SHARED_MODEL[model_options] = Model(**dict(model_options))
    return _SHARED_MODEL[model_options]


class MediatorPointModel:
    """``predict(lam, **nuisances)`` -> light-mediator Prediction at g = coupling_from_lam(lam, M)."""

    def __init__(self, model: Any, factory: MediatorPointFactory) -> None:
        self.model = model
        self.factory = factory

    @property
    def energy(self):
        return self.model.energy

    def coupling(self, lam: float) -> float:
        """g at the heavy-limit equivalent lam (MeV^-3) of this mass."""
        from relicboost.physics.interactions import coupling_from_lam

        f = self.factory
        return float(coupling_from_lam(lam, f.M_MeV, f.m_nu_eV, f.mediator))

    def predict(self, lam: float = 0.0, **nuisances: float) -> Any:
        f = self.factory
        return self.model.predict_mediator(self.coupling(lam), f.M_MeV, f.mediator, m_nu_eV=f.m_nu_eV,
                                           **dict(f.mediator_options), **nuisances)


@dataclasses.dataclass(frozen=True)
class MediatorPointFactory:
    """Picklable zero-argument factory of a :class:`MediatorPointModel` for one (mediator, M).

    Parameters
    ----------
    mediator : {"scalar", "vector"}
    M_MeV : float
        Mediator mass in MeV.
    m_nu_eV : float
        Relic neutrino mass in eV (default 0.05).
    model_options : tuple of (name, value)
        ``Model(...)`` keyword arguments (convention, grid, ...).
    mediator_options : tuple of (name, value)
        Extra ``predict_mediator`` keyword arguments (particle model, relic masses, ...).
    """

    mediator: str
    M_MeV: float
    m_nu_eV: float = 0.05
    model_options: tuple[tuple[str, Any], ...] = ()
    mediator_options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.mediator not in ("scalar", "vector"):
            raise ValueError(f"mediator must be 'scalar' or 'vector', got {self.mediator!r}")
        if not (math.isfinite(self.M_MeV) and self.M_MeV > 0):
            raise ValueError(f"M_MeV must be > 0 MeV, got {self.M_MeV!r}")
        if not (math.isfinite(self.m_nu_eV) and self.m_nu_eV > 0):
            raise ValueError(f"m_nu_eV must be > 0 eV, got {self.m_nu_eV!r}")

    def __call__(self) -> MediatorPointModel:
        return MediatorPointModel(_shared_model(tuple(sorted(self.model_options))), self)

    def config(self) -> dict[str, Any]:
        """JSON-able description (for the Problem's configuration hash)."""
        d = dataclasses.asdict(self)
        d["model_options"], d["mediator_options"] = dict(self.model_options), dict(self.mediator_options)
        return {"light_mediator_point": d}


def lam_range_for(mediator: str, M_MeV: float, m_nu_eV: float, log10_g_range: tuple[float, float]) -> tuple[float, float]:
    """log10 lam range (MeV^-3) equivalent to a log10 g range at fixed M (g capped at 4 pi)."""
    from relicboost.physics.interactions import lam_from_coupling

    lo, hi = log10_g_range
    if not lo < hi:
        raise ValueError(f"log10_g_range must satisfy low < high, got {log10_g_range!r}")
    def log10_lam(g: float) -> float:
        return math.log10(float(lam_from_coupling(g, M_MeV, m_nu_eV, mediator)))

    return log10_lam(10.0**lo), log10_lam(min(10.0**hi, 4.0 * math.pi))


def mediator_point_problem(likelihood: Any, mediator: str, M_MeV: float, *, m_nu_eV: float = 0.05,
                           free: tuple[str, ...] = parameters.DEFAULT_PROFILED,
                           log10_g_range: tuple[float, float] = (-7.0, 0.5),
                           fixed: Mapping[str, float] | None = None,
                           mediator_options: Mapping[str, Any] | None = None, **model_options: Any) -> Problem:
    """Problem for a limit on g at fixed (mediator, M), nuisances in ``free`` profiled under the
    likelihood's priors (as :func:`relicboost.inference.problem.problem_for` for lam).

    The interaction coordinate is ``log10_lam`` = log10 of the heavy-limit equivalent of g at this M
    (flat in log10 g); convert results with :func:`coupling_upper_limit` or
    ``problem.model.coupling(lam)``.

    Parameters
    ----------
    likelihood : Likelihood
        Must carry a prior for every name in ``free``.
    mediator, M_MeV, m_nu_eV :
        The light-mediator point (M in MeV, m_nu in eV).
    free : tuple of str
        Profiled nuisances.
    log10_g_range : (float, float)
        Range of log10 g (capped at g = 4 pi).
    fixed : mapping, optional
        Fixed nuisance values (physical units).
    mediator_options : mapping, optional
        Extra ``predict_mediator`` keywords (particle model, ...).
    **model_options
        ``Model`` keywords (convention, grid); the energy grid starts at the likelihood's
        ``required_energy_range`` unless ``energy_min`` is given.
    """
    rng = getattr(likelihood, "required_energy_range", None)
    if rng is not None and "energy_min" not in model_options:
        model_options["energy_min"] = float(rng[0])
    factory = MediatorPointFactory(mediator, float(M_MeV), float(m_nu_eV), tuple(sorted(model_options.items())),
                                   tuple(sorted((mediator_options or {}).items())))
    lam_prior = Uniform(*lam_range_for(mediator, M_MeV, m_nu_eV, log10_g_range))
    return Problem(factory, likelihood, problem_parameters(lam_prior, free, fixed))


def coupling_upper_limit(problem: Problem, cl: float = 0.90, n_scan: int = 17, **kwargs: Any) -> dict[str, Any]:
    """Profile-likelihood upper limit on g at the problem's (mediator, M).

    Returns
    -------
    dict
        ``g_upper`` (None where no crossing), ``lam_equivalent_upper_MeV-3``, ``mediator``, ``M_MeV``,
        ``m_nu_eV``, ``cl``, ``status``, ``nuisances_at_limit``, ``profiled``.
    """
    from .limits import upper_limit

    factory = problem.factory
    if not isinstance(factory, MediatorPointFactory):
        raise TypeError("problem must come from mediator_point_problem (a MediatorPointFactory model)")
    lo, hi = problem.bounds[problem.names.index("log10_lam")]
    res = upper_limit(problem, cl, log10_lam_range=(lo, hi), n_scan=n_scan, **kwargs)
    lam = res.observed
    ok = lam is not None and math.isfinite(lam) and lam > 0
    return {"g_upper": problem.model.coupling(lam) if ok else None, "lam_equivalent_upper_MeV-3": lam if ok else None,
            "mediator": factory.mediator, "M_MeV": factory.M_MeV, "m_nu_eV": factory.m_nu_eV, "cl": cl,
            "status": res.status, "nuisances_at_limit": res.nuisances_at_limit,
            "profiled": list(problem.nuisance_names)}
