"""Profile-likelihood upper limits on lam = G_X^2 m_nu (MeV^-3) with iminuit.

Method
------
* The profile ``chi2_p(lam) = min_nu [-2 ln L(lam, nu) + sum_i ((nu_i - m_i)/s_i)^2]`` is
  computed with ``Minuit.migrad`` on a grid in log10 lam, each point warm-started from
  the previous one; lam = 0 (the standard DSNB) is evaluated explicitly.
* Test statistic (one-sided): ``q(lam) = chi2_p(lam) - chi2_ref`` for lam above the best
  fit, 0 below it.  ``reference="model"`` takes ``chi2_ref`` = the global minimum over
  lam >= 0 (the usual profile-likelihood ratio).  ``reference="data"`` (default) takes the
  likelihood's own minimum over data space (``likelihood.neg2lnl_min`` if the likelihood
  defines it, else 0: published-limit likelihoods are 0 at zero flux, Poisson deviances
  at the data): a point is then excluded when its prediction is, which is how a
  published flux limit is applied (paper Fig. 3: crossing of the flux with the limit).
  For Asimov forecasts whose data equal the lam = 0 prediction both choices coincide.
* Threshold: one-sided, ``q = norm.ppf(CL)^2 = chi2.ppf(2 CL - 1, 1)`` (1.6424 at 90%,
  2.7055 at 95%), the Wilks / Chernoff boundary result for one parameter of interest.
* Methods (``method=``): ``"clsb"`` excludes where p_sb = 1 - Phi(sqrt q) <= 1 - CL, i.e. the
  threshold above; ``"published"`` is the same crossing for a published flux limit, whose
  one-sided Gaussian is calibrated at the published C.L. (another ``cl`` is an extrapolation and
  warns, :class:`PublishedLimitExtrapolationWarning`); ``"cls"`` (pyhf's default) excludes where
  CLs = p_sb / (1 - p_b) <= 1 - CL with the asymptotic q~_mu formulas (Cowan et al. 2011,
  Eqs. 65-66): p_sb = 1 - Phi(sqrt q), 1 - p_b = Phi(sqrt q_A - sqrt q), q_A from the Asimov
  problem at the same lam (needed for an observed CLs limit).  Default: the likelihood's
  ``default_limit_method`` ("cls" for counting likelihoods, "published" for published flux
  limits), "clsb" for other callables.
* Expected limits (Asimov likelihood, Cowan et al. 2011, Eq. 89): the +-N sigma band edge
  solves ``sqrt(q_A(lam)) = z_N`` with z_N = norm.ppf(CL) + N (CLs+b) or
  norm.ppf(1 - (1 - CL) Phi(N)) + N (CLs).  A CLs+b edge with z_N <= 0 is the physical
  boundary lam = 0; an edge not reached in the scan is clipped to the scan end; both carry a
  note in :attr:`LimitResult.notes`.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.stats import norm

from relicboost.physics.validation import check_integer

from .crossing import AT_START, NONE, Crossing, lowest_crossing
from .limit_result import LimitResult, limit_to_json
from .problem import Problem
from .profile import (
    Profile,
    Profiler,
    best_fit_on_scan,
    profile_likelihood,
    scan_profile,
)

__all__ = ["BANDS", "METHODS", "LimitResult", "Profile", "PublishedLimitExtrapolationWarning",
           "expected_bands", "limit_to_json", "profile_likelihood", "statistic_text", "threshold", "upper_limit"]

#: Limit methods and the test statistic each uses.
METHODS: dict[str, str] = {"cls": "q~_mu", "clsb": "q_mu", "published": "published-limit crossing"}


class PublishedLimitExtrapolationWarning(UserWarning):
    """A published flux limit is used at a C.L. other than the published one (extrapolation)."""

#: Band labels and their offsets N in units of sigma.
BANDS: tuple[tuple[str, float], ...] = (("-2sigma", -2.0), ("-1sigma", -1.0), ("median", 0.0),
                                        ("+1sigma", 1.0), ("+2sigma", 2.0))
#: Tolerance on log10 lam of the root finding.
_XTOL = 1e-5


def threshold(cl: float) -> float:
    """One-sided Delta chi^2 threshold at confidence level ``cl``: norm.ppf(cl)^2.

    Parameters
    ----------
    cl : float
        Confidence level, 0.5 < cl < 1.
    """
    if not (0.5 < cl < 1.0):
        raise ValueError(f"cl must be in (0.5, 1), got {cl}")
    return float(norm.ppf(cl) ** 2)


def statistic_text(cl: float, method: str = "clsb") -> str:
    """One line naming the test statistic and the exclusion criterion of ``method`` at ``cl``."""
    base = "one-sided profile likelihood ratio in log10 lam, nuisances profiled (iminuit); "
    if method == "cls":
        return base + f"CLs = p_sb / (1 - p_b) <= {1 - cl:.3g} with asymptotic q~_mu and Asimov q_A"
    return base + f"q = Delta chi2 >= norm.ppf({cl:g})^2 = chi2.ppf({2 * cl - 1:g}, 1)" + (
        " (published-limit crossing)" if method == "published" else " (CLs+b)")


def _chi2_reference(problem: Problem, reference: str, chi2_best: float) -> float:
    if reference == "model":
        return chi2_best
    if reference != "data":
        raise ValueError(f"reference must be 'data' or 'model', got {reference!r}")
    ref = float(getattr(problem.likelihood, "neg2lnl_min", 0.0))
    if chi2_best < ref - 1e-6 * max(1.0, abs(ref)):
        raise ValueError(f"reference='data' needs -2 ln L >= its data-space minimum ({ref:g}); "
                         f"found {chi2_best:g}: give the likelihood a neg2lnl_min attribute "
                         "or use reference='model'")
    return ref


def _limit_from(res: Crossing, scan: Profile, last: dict, criterion: str) -> tuple[float, np.ndarray, str]:
    """(lam_upper in MeV^-3, nuisances there, status) of a crossing; ``last["x"]`` holds the nuisances
    of the root finder's last evaluation; ``criterion`` names the test for the error raised when the
    limit lies below the scan range."""
    if res.status == NONE:
        return math.inf, scan.nuisances[-1], "not excluded in scan range"
    if res.status == AT_START:
        raise ValueError(f"the limit lies below the scan range: {criterion} already at "
                         f"log10_lam = {scan.log10_lam[0]:g}; lower log10_lam_range")
    return 10.0 ** res.x, last["x"], "ok"


def _crossing(prof: Profiler, scan: Profile, lam_best: float, chi2_best: float, target: float
              ) -> tuple[float, np.ndarray, str]:
    """lam (MeV^-3) above lam_best where the profile chi^2 reaches ``target`` (:func:`lowest_crossing`
    on the scan points above the best fit, bracketed from below by the best fit if needed).

    Returns (lam, nuisances there, status).
    """
    if chi2_best >= target:
        x = scan.nuisances_null if lam_best == 0.0 else scan.nuisances[int(np.argmin(scan.chi2))]
        return 0.0, x, "all lam excluded (even lam=0)"
    first = int(np.searchsorted(scan.log10_lam, math.log10(lam_best), "right")) if lam_best > 0 else 0
    grid = scan.log10_lam[first:]
    last: dict[str, np.ndarray] = {}

    def f(lg: float) -> float:
        # every evaluation warm-starts from the scan point at or below the bracket's lower end
        # (the root finder's first call is at that end)
        if "x0" not in last:
            last["x0"] = scan.nuisances[max(int(np.searchsorted(scan.log10_lam, lg, "right")) - 1, 0)]
        c, last["x"] = prof(10.0 ** lg, last["x0"])
        return c - target

    res = lowest_crossing(f, grid, values=scan.chi2[first:] - target,
                          lower=math.log10(lam_best) if lam_best > 0 else None, xtol=_XTOL, rtol=1e-12)
    return _limit_from(res, scan, last, "q >= threshold")


def _convention(problem: Problem, lam: float, nuis: np.ndarray) -> str:
    try:
        values = problem.physical(problem.theta_from(max(lam, 0.0), nuis))
        values["lam"] = max(lam, 0.0) if math.isfinite(lam) else 0.0
        return str(getattr(problem.predict(values), "convention", "n/a"))
    except Exception:  # convention is informative only
        return "n/a"


def _grid(log10_lam_range: tuple[float, float], n_scan: int) -> np.ndarray:
    lo, hi = log10_lam_range
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"log10_lam_range must be finite with low < high, got {log10_lam_range}")
    check_integer("n_scan", n_scan, low=2)
    return np.linspace(lo, hi, n_scan)


def band_z(cl: float, n_sigma: float, method: str) -> float:
    """sqrt(q_A) at the expected band edge ``n_sigma`` (Cowan et al. 2011, Eq. 89 and its CLs form)."""
    if method == "cls":
        return float(norm.isf((1.0 - cl) * norm.cdf(n_sigma)) + n_sigma)
    return float(norm.ppf(cl) + n_sigma)


def expected_bands(asimov: Problem, cl: float = 0.90, *,
                   log10_lam_range: tuple[float, float] = (-14.0, -6.0), n_scan: int = 17,
                   reference: str = "data", strategy: int = 0, method: str = "clsb",
                   notes: list[str] | None = None) -> tuple[dict[str, float], int]:
    """Median expected limit and +-1, +-2 sigma band edges (MeV^-3) from an Asimov problem.

    ``method`` as in :func:`upper_limit` ("published" = "clsb").  Edges at the physical
    boundary (0) or clipped to the scan end are explained in ``notes`` (appended to).
    Returns the dict of band edges and the number of likelihood calls.
    """
    threshold(cl)
    _check_method(method)
    prof = Profiler(asimov, strategy)
    grid = _grid(log10_lam_range, n_scan)
    scan = scan_profile(prof, grid)
    lam_best, chi2_best = best_fit_on_scan(prof, scan)
    ref = _chi2_reference(asimov, reference, chi2_best)
    bands: dict[str, float] = {}
    notes = [] if notes is None else notes
    for label, n in BANDS:
        z = band_z(cl, n, method)
        if z <= 0:
            bands[label] = 0.0
            notes.append(f"expected {label}: at the physical boundary lam = 0 ({method}: a background-only "
                         f"fluctuation of {n:+g} sigma excludes every lam > 0)")
            continue
        bands[label] = _crossing(prof, scan, lam_best, chi2_best, ref + z**2)[0]
        if math.isinf(bands[label]):
            bands[label] = float(10.0 ** grid[-1])
            notes.append(f"expected {label}: not reached for lam <= {bands[label]:.3g} MeV^-3 "
                         "(scan end); clipped there, a lower bound on the edge")
    return bands, prof.calls


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {tuple(METHODS)}, got {method!r}")
    return method


def resolve_method(likelihood: Any, method: str | None, cl: float) -> str:
    """The limit method: ``method`` or the likelihood's default; warns when a published limit is
    used at another C.L. than its own (an extrapolation of the one-sided Gaussian)."""
    if method is None:
        method = str(getattr(likelihood, "default_limit_method", "clsb"))
    _check_method(method)
    published = getattr(likelihood, "published_cl", None)
    if method == "published" and published is not None and not math.isclose(cl, published):
        warnings.warn(f"cl = {cl:g} differs from the published {published:g} C.L. of {likelihood!r}: the "
                      "limit extrapolates the published one with a one-sided Gaussian",
                      PublishedLimitExtrapolationWarning, stacklevel=3)
    return method


def _cls_crossing(prof: Profiler, scan: Profile, ref: float, prof_a: Profiler, scan_a: Profile,
                  ref_a: float, lam_best: float, alpha: float) -> tuple[float, np.ndarray, str]:
    """Observed CLs limit: lowest lam above the best fit with CLs(lam) <= alpha (asymptotic q~_mu)."""
    def cls(q: float, qa: float) -> float:
        q, qa = max(q, 0.0), max(qa, 1e-300)
        if q <= qa:
            return float(norm.sf(math.sqrt(q)) / norm.cdf(math.sqrt(qa) - math.sqrt(q)))
        return float(norm.sf((q + qa) / (2 * math.sqrt(qa))) / norm.cdf((qa - q) / (2 * math.sqrt(qa))))

    if lam_best == 0.0 and cls(scan.chi2_null - ref, scan_a.chi2_null - ref_a) <= alpha:
        return 0.0, scan.nuisances_null, "all lam excluded (even lam=0)"
    first = int(np.searchsorted(scan.log10_lam, math.log10(lam_best), "right")) if lam_best > 0 else 0
    values = np.array([alpha - cls(c - ref, ca - ref_a) for c, ca in
                       zip(scan.chi2[first:], scan_a.chi2[first:])])
    last: dict[str, np.ndarray] = {}

    def f(lg: float) -> float:
        if "x0" not in last:
            j = max(int(np.searchsorted(scan.log10_lam, lg, "right")) - 1, 0)
            last["x0"], last["xa"] = scan.nuisances[j], scan_a.nuisances[j]
        c, last["x"] = prof(10.0 ** lg, last["x0"])
        ca, _ = prof_a(10.0 ** lg, last["xa"])
        return alpha - cls(c - ref, ca - ref_a)

    res = lowest_crossing(f, scan.log10_lam[first:], values=values,
                          lower=math.log10(lam_best) if lam_best > 0 else None, xtol=_XTOL, rtol=1e-12)
    return _limit_from(res, scan, last, f"CLs <= {alpha:g}")


def upper_limit(problem: Problem | None, cl: float = 0.90, *,
                log10_lam_range: tuple[float, float] = (-14.0, -6.0), n_scan: int = 17,
                reference: str = "data", asimov: Problem | None = None,
                strategy: int = 0, method: str | None = None) -> LimitResult:
    """One-sided profile-likelihood upper limit on lam (MeV^-3) at confidence level ``cl``.

    Parameters
    ----------
    problem : Problem or None
        The observed-data problem (lam-parametrised); None for a pure forecast.
    cl : float
        Confidence level, 0.5 < cl < 1 (default 0.90; 0.95 also common).
    log10_lam_range : (float, float)
        Scan range in log10(lam / MeV^-3).
    n_scan : int
        Number of scan points (the crossing is then found with brentq to 1e-5 in log10).
    reference : {"data", "model"}
        chi^2 reference of the test statistic (module docstring).
    asimov : Problem, optional
        Problem with Asimov (background-only, lam = 0) data: gives expected bands.
    strategy : int
        Minuit strategy for the per-point migrad.
    method : {"cls", "clsb", "published"}, optional
        Module docstring; default: the likelihood's ``default_limit_method`` ("cls" for counting
        likelihoods, "published" for published flux limits; "clsb" for other callables).  An
        observed CLs limit needs ``asimov``.

    Returns
    -------
    LimitResult
    """
    t = threshold(cl)
    if problem is None and asimov is None:
        raise ValueError("give problem (observed) and/or asimov (expected)")
    method = resolve_method((problem or asimov).likelihood, method, cl)  # type: ignore[union-attr]
    if method == "cls" and problem is not None and asimov is None:
        raise ValueError("method='cls' needs the Asimov problem (asimov=) for the observed limit's q_A; "
                         "or use method='clsb'")
    notes: list[str] = []
    expected, calls = (expected_bands(asimov, cl, log10_lam_range=log10_lam_range, n_scan=n_scan,
                                      reference=reference, strategy=strategy, method=method, notes=notes)
                       if asimov is not None else (None, 0))
    stat = statistic_text(cl, method)
    if problem is None:
        conv = _convention(asimov, 0.0, Profiler(asimov).start)  # type: ignore[arg-type]
        return LimitResult(cl, None, expected, "forecast", stat, t, reference, math.nan, math.nan,
                           math.nan, {}, conv, None, calls, method, METHODS[method], notes)
    prof = Profiler(problem, strategy)
    grid = _grid(log10_lam_range, n_scan)
    scan = scan_profile(prof, grid)
    lam_best, chi2_best = best_fit_on_scan(prof, scan)
    ref = _chi2_reference(problem, reference, chi2_best)
    if method == "cls":
        prof_a = Profiler(asimov, strategy)  # type: ignore[arg-type]
        scan_a = scan_profile(prof_a, grid)
        ref_a = _chi2_reference(asimov, reference, best_fit_on_scan(prof_a, scan_a)[1])  # type: ignore[arg-type]
        lam_up, x, status = _cls_crossing(prof, scan, ref, prof_a, scan_a, ref_a, lam_best, 1.0 - cl)
        calls += prof_a.calls
    else:
        lam_up, x, status = _crossing(prof, scan, lam_best, chi2_best, ref + t)
    return LimitResult(
        cl=cl, observed=lam_up, expected=expected, status=status, statistic=stat,
        threshold=t, reference=reference, chi2_ref=ref, chi2_best=chi2_best, best_fit_lam=lam_best,
        nuisances_at_limit=dict(zip(problem.nuisance_names, map(float, x))),
        convention=_convention(problem, lam_up, x), scan=scan, n_calls=prof.calls + calls,
        method=method, test_statistic=METHODS[method], notes=notes)


