"""Nested sampling with dynesty: the posterior of a :class:`Problem` and its Bayesian evidence.

Optional (``pip install 'relicboost[nested]'``); dynesty is imported only when a run starts.
dynesty was chosen over UltraNest because it is pure Python on numpy/scipy (no compiled
extension to build), is actively maintained, and its static sampler is fast for the few
(<= 6) coordinates of a relicboost problem.

Evidence convention.  The prior is the Problem's stated prior of each coordinate,
truncated to the Problem's hard bounds and normalised there: a :class:`Uniform` prior is
uniform on ``[max(low, lo), min(high, hi)]``, a :class:`Gaussian` prior is a normal
truncated to ``[lo, hi]`` (both by inverse-CDF prior transforms).  The likelihood is
``L = exp(-chi2_data / 2)`` with ``chi2_data = Problem.chi2 - sum of the prior terms``
(``-2 ln L`` as the likelihood returns it, without the Gaussian constraint terms, which
are the prior here), so::

    Z = integral of exp(-chi2_data(theta) / 2) * prior(theta) d theta

and ln Z differences between two problems with the same likelihood are ln Bayes factors
(e.g. lam free against lam = 0).  ``log_evidence_err`` is dynesty's statistical error
estimate of ln Z.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .problem import GaussianPrior, Problem, UniformPrior

_STANDARD_NORMAL = statistics.NormalDist()


def prior_transform(problem: Problem) -> Callable[[np.ndarray], np.ndarray]:
    """Map of the unit cube onto theta distributed as the Problem's truncated, normalised priors."""
    maps: list[Callable[[float], float]] = []
    for prior, (lo, hi) in zip([spec.prior for spec in problem.free.values()], problem.bounds):
        if isinstance(prior, UniformPrior):
            a, b = max(prior.low, lo), min(prior.high, hi)
            maps.append(lambda u, a=a, b=b: a + (b - a) * u)
        elif isinstance(prior, GaussianPrior):
            ca = _STANDARD_NORMAL.cdf((lo - prior.mean) / prior.sigma)
            cb = _STANDARD_NORMAL.cdf((hi - prior.mean) / prior.sigma)
            maps.append(lambda u, ca=ca, cb=cb, m=prior.mean, s=prior.sigma, lo=lo, hi=hi: min(max(
                m + s * _STANDARD_NORMAL.inv_cdf(min(max(ca + (cb - ca) * u, 1e-300), 1 - 1e-16)), lo), hi))
        else:
            raise ValueError(f"prior {prior!r}: nested sampling needs Uniform or Gaussian priors")

    def transform(u: np.ndarray) -> np.ndarray:
        return np.array([f(float(x)) for f, x in zip(maps, u)])

    return transform


def data_log_likelihood(problem: Problem) -> Callable[[np.ndarray], float]:
    """ln L(theta) = -(Problem.chi2 - prior terms) / 2 (the Gaussian constraints are the prior)."""
    priors = [spec.prior for spec in problem.free.values()]
    floor = -1e300  # dynesty needs finite values; outside the support the prior transform never goes

    def log_like(theta: np.ndarray) -> float:
        c = problem.chi2(theta)
        if not math.isfinite(c):
            return floor
        return -0.5 * (c - sum(p.chi2(float(x)) for p, x in zip(priors, theta)))

    return log_like


@dataclasses.dataclass
class NestedResult:
    """Outcome of :func:`run_nested`.

    Attributes
    ----------
    names : tuple of str
        Coordinates (theta order).
    log_evidence, log_evidence_err : float
        ln Z and dynesty's error estimate on it (module docstring for the convention).
    samples : numpy.ndarray
        Equal-weight posterior samples, shape (n, ndim) (resampled from the dead points).
    ess_kish : float
        Kish effective sample size of the importance weights, (sum w)^2 / sum w^2.
    nlive, niter, ncall : int
        Live points, iterations and likelihood calls.
    seed : int
        Seed of ``numpy.random.default_rng`` used by dynesty and the resampling.
    dlogz : float
        Stopping criterion (remaining evidence, ln units).
    """

    names: tuple[str, ...]
    log_evidence: float
    log_evidence_err: float
    samples: np.ndarray
    ess_kish: float
    nlive: int
    niter: int
    ncall: int
    seed: int
    dlogz: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (no samples)."""
        return {"sampler": "dynesty (static nested sampling)", "names": list(self.names),
                "log_evidence": self.log_evidence, "log_evidence_err": self.log_evidence_err,
                "ess_kish": self.ess_kish, "nlive": self.nlive, "niter": self.niter, "ncall": self.ncall,
                "seed": self.seed, "dlogz": self.dlogz, "n_samples": int(self.samples.shape[0])}


def run_nested(problem: Problem, *, nlive: int = 400, dlogz: float = 0.1, seed: int | None = None,
               progress: bool = False) -> NestedResult:
    """Nested-sample ``problem`` with dynesty: evidence and equal-weight posterior samples.

    Parameters
    ----------
    problem : Problem
        Coordinates, priors (Uniform or Gaussian) and likelihood.
    nlive : int
        Live points (>= 2 x number of coordinates + 1; default 400).
    dlogz : float
        Stop when the estimated remaining evidence is below this (ln units, > 0; default 0.1).
    seed : int, optional
        Seed (default: drawn from the OS and recorded).
    progress : bool
        Print dynesty's progress line.

    Raises
    ------
    ImportError
        If dynesty is not installed (the ``nested`` extra).
    ValueError
        On a bad ``nlive`` or ``dlogz``, or a prior that is neither Uniform nor Gaussian.
    """
    try:
        import dynesty
    except ImportError as exc:
        raise ImportError("nested sampling needs dynesty: pip install 'relicboost[nested]'") from exc
    ndim = len(problem.names)
    if isinstance(nlive, bool) or not isinstance(nlive, (int, np.integer)) or nlive < 2 * ndim + 1:
        raise ValueError(f"nlive must be an integer >= 2 x {ndim} coordinates + 1 = {2 * ndim + 1}, got {nlive!r}")
    if not (isinstance(dlogz, (int, float)) and math.isfinite(dlogz) and dlogz > 0):
        raise ValueError(f"dlogz must be > 0 (ln units), got {dlogz!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    sampler = dynesty.NestedSampler(data_log_likelihood(problem), prior_transform(problem), ndim,
                                    nlive=int(nlive), rstate=rng)
    sampler.run_nested(dlogz=float(dlogz), print_progress=progress)
    res = sampler.results
    weights = np.exp(res.logwt - res.logz[-1])
    weights /= weights.sum()
    samples = rng.permutation(dynesty.utils.resample_equal(res.samples, weights, rng))  # no ordering left
    return NestedResult(names=tuple(problem.names), log_evidence=float(res.logz[-1]),
                        log_evidence_err=float(res.logzerr[-1]), samples=np.asarray(samples),
                        ess_kish=float(1.0 / np.sum(weights**2)), nlive=int(nlive), niter=int(res.niter),
                        ncall=int(np.sum(res.ncall)), seed=int(seed), dlogz=float(dlogz))


def log_evidence_lam0(problem: Problem, *, nlive: int = 400, dlogz: float = 0.1, seed: int | None = None,
                      progress: bool = False) -> tuple[float, float]:
    """(ln Z, error) of the null hypothesis lam = 0 with the same likelihood, priors and fixed values.

    ``ln B = NestedResult.log_evidence - ln Z(lam = 0)`` is the log Bayes factor of lam > 0 (with the
    problem's prior on log10 lam: it depends on that prior's range) against lam = 0.  Without free
    nuisances Z(lam = 0) is the likelihood at lam = 0 (error 0); otherwise it is nested-sampled over
    the nuisances with the same settings.
    """
    if problem.mediator or "lam" not in problem.free:
        raise ValueError("log_evidence_lam0 needs a problem with lam free (no mediator)")
    if problem.names[0] != "log10_lam":
        raise ValueError(f"log10_lam must be the first coordinate, got {problem.names}")
    lik_priors = getattr(problem.likelihood, "priors", None) or {}
    params: dict[str, Any] = {**problem.fixed, "lam": 0.0}
    for name, spec in problem.free.items():
        if name != "lam":  # a prior the likelihood carries is taken from it again (Free(prior=None))
            params[name] = dataclasses.replace(spec, prior=None) if name in lik_priors else spec
    null = Problem(problem.factory, problem.likelihood, params, m_nu_eV=problem.m_nu_eV)
    if not null.names:
        return -0.5 * null.chi2(np.array([])), 0.0
    res = run_nested(null, nlive=nlive, dlogz=dlogz, seed=seed, progress=progress)
    return res.log_evidence, res.log_evidence_err


#: Method line of a nested-sampling posterior (summary.csv header, figure labels).
NESTED_METHOD = "Bayesian posterior, dynesty static nested sampling; limits are posterior quantiles"
#: Chains the equal-weight samples are split into for the ArviZ diagnostics.
PSEUDO_CHAINS = 4


def write_nested(problem: Problem, result: NestedResult, outdir: str | Path, *, cl: float = 0.90,
                 echo: bool = True, lam0: tuple[float, float] | None = None) -> Any:
    """Write ``posterior.nc``, ``summary.csv`` (with ln Z in its header) and ``corner.png/.pdf`` of a
    nested-sampling result into ``outdir``; returns a :class:`~relicboost.inference.posterior.PosteriorSummary`.

    The summary splits the (shuffled) equal-weight samples into ``PSEUDO_CHAINS`` chains of independent
    draws (the last ``n mod 4`` dropped; ``tau_steps`` empty, split R-hat a sanity check only).  Their
    ArviZ ESS counts repeated draws of one dead point as independent, so it (and the quantile MCSE derived
    from it) overstates the information: :attr:`NestedResult.ess_kish`, the effective sample size of the
    weights (in the header), is the number to trust.
    ``lam0``: (ln Z, error) at lam = 0 (:func:`log_evidence_lam0`); the header then also states the
    log Bayes factor ln B of lam > 0 against lam = 0.
    """
    from .posterior import PosteriorSummary, header_metadata, report, write_summary
    from .posterior_figures import draw_posterior_figures

    if not 0.5 < cl < 1.0:
        raise ValueError(f"cl must be in (0.5, 1), got {cl}")
    if tuple(result.names) != tuple(problem.names):
        raise ValueError(f"result coordinates {result.names} do not match the problem's {problem.names}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    meta = {**header_metadata(problem, cl, NESTED_METHOD), "log_evidence": f"{result.log_evidence:.6g}",
            "log_evidence_err": f"{result.log_evidence_err:.3g}", "nlive": result.nlive,
            "ess_kish": f"{result.ess_kish:.1f}", "seed": result.seed}
    if lam0 is not None:
        meta["log_evidence_lam0"] = f"{lam0[0]:.6g}"
        meta["log_bayes_factor"] = f"{result.log_evidence - lam0[0]:.4g}"
        meta["log_bayes_factor_err"] = f"{math.hypot(result.log_evidence_err, lam0[1]):.3g}"
    n = result.samples.shape[0] // PSEUDO_CHAINS * PSEUDO_CHAINS
    chains = result.samples[:n].reshape(PSEUDO_CHAINS, n // PSEUDO_CHAINS, -1).transpose(1, 0, 2)
    table, notes, files = write_summary(
        problem, chains, np.full(len(problem.names), np.nan), outdir, cl=cl, metadata=meta,
        description=(f"posterior summary of {n} equal-weight dynesty samples in {PSEUDO_CHAINS} pseudo-chains "
                     f"(ln Z = {result.log_evidence:.4f} +- {result.log_evidence_err:.4f}; ESS bulk and MCSE "
                     f"count repeated draws as independent: Kish ESS of the weights {result.ess_kish:.0f})"))
    figures = [str(p) for p in draw_posterior_figures(outdir, None)]
    files["corner"] = figures
    report(notes, echo)
    return PosteriorSummary(table, notes, files, cl)
