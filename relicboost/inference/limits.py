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

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from iminuit import Minuit
from scipy.stats import norm

from relicboost import parameters
from relicboost.physics.validation import check_integer

from .crossing import AT_START, NONE, lowest_crossing
from .limit_result import LimitResult, limit_to_json
from .problem import Problem

__all__ = ["BANDS", "METHODS", "LimitResult", "Profile", "PublishedLimitExtrapolationWarning",
           "expected_bands", "limit_to_json", "profile_likelihood", "threshold", "upper_limit"]

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


@dataclasses.dataclass
class Profile:
    """Profile chi^2 on a grid of log10 lam.

    Attributes
    ----------
    log10_lam : ndarray
        log10(lam / MeV^-3) of the scan points.
    chi2 : ndarray
        Profiled -2 ln L (+ constraint terms) at each point.
    nuisances : ndarray, shape (n, k)
        Best nuisance coordinates at each point (order: ``names``).
    names : tuple of str
        Nuisance coordinate names.
    chi2_null : float
        Profiled chi^2 at lam = 0.
    nuisances_null : ndarray
        Nuisances at lam = 0.
    """

    log10_lam: np.ndarray
    chi2: np.ndarray
    nuisances: np.ndarray
    names: tuple[str, ...]
    chi2_null: float
    nuisances_null: np.ndarray

    def to_frame(self, chi2_ref: float = 0.0):
        """Scan as a DataFrame (columns with units; ``q`` = chi2 - chi2_ref)."""
        import pandas as pd

        cols: dict[str, Any] = {"log10_lam_MeV-3": self.log10_lam,
                                "lam_MeV-3": 10.0 ** self.log10_lam,
                                "chi2": self.chi2, "q": self.chi2 - chi2_ref}
        for j, n in enumerate(self.names):
            cols[_with_unit(n)] = self.nuisances[:, j]
        return pd.DataFrame(cols)


def _with_unit(name: str) -> str:
    p = parameters.by_coordinate(name)
    return name if p is None or p.is_log else p.column


class _Profiler:
    """Profile chi^2 at fixed lam with warm-started Minuit; counts function calls."""

    def __init__(self, problem: Problem, strategy: int = 0) -> None:
        if problem.mediator:
            raise ValueError("limits are profiled in lam: build the Problem without a mediator "
                             "and map the result with limit_to_json(..., mediator=, M_MeV=)")
        self.problem = problem
        self.strategy = strategy
        idx = [problem.names.index(n) for n in problem.nuisance_names]
        self.bounds = [problem.bounds[i] for i in idx]
        self.steps = problem.steps()[idx]
        self.start = problem.start()[idx]
        self.calls = 0

    def __call__(self, lam: float, start: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        x0 = self.start if start is None else np.asarray(start, dtype=float)
        if len(x0) == 0:
            self.calls += 1
            return self.problem.chi2_at_lam(lam, x0), x0

        def fcn(x: np.ndarray) -> float:
            self.calls += 1
            return self.problem.chi2_at_lam(lam, x)

        m = Minuit(fcn, x0, name=self.problem.nuisance_names)
        m.errordef = Minuit.LEAST_SQUARES
        m.strategy = self.strategy
        m.errors = self.steps
        m.limits = self.bounds
        m.migrad()
        if not m.valid:  # one retry from the prior centre with the stricter strategy
            m2 = Minuit(fcn, self.start, name=self.problem.nuisance_names)
            m2.errordef, m2.strategy, m2.errors, m2.limits = 1.0, 1, self.steps, self.bounds
            m2.migrad()
            if m2.fval < m.fval:
                m = m2
        x = np.array(m.values)
        return float(m.fval), x


def profile_likelihood(problem: Problem, log10_lam: np.ndarray, *, strategy: int = 0) -> Profile:
    """Profile chi^2 over the nuisances on a grid of log10 lam (MeV^-3), warm-started.

    Parameters
    ----------
    problem : Problem
        lam-parametrised problem; its free coordinates other than ``log10_lam`` are
        profiled (a fixed ``lam`` in it is ignored here).
    log10_lam : array
        Increasing grid of log10(lam / MeV^-3).
    strategy : int
        Minuit strategy (0 = fast, 2 = careful).
    """
    grid = np.asarray(log10_lam, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.diff(grid) > 0) or not np.all(np.isfinite(grid)):
        raise ValueError("log10_lam must be a finite, strictly increasing 1-D grid of >= 2 points")
    prof = _Profiler(problem, strategy)
    return _scan(prof, grid)


def _scan(prof: _Profiler, grid: np.ndarray) -> Profile:
    c0, x0 = prof(0.0)
    chi2 = np.empty(grid.size)
    nuis = np.empty((grid.size, len(x0)))
    x = x0
    for i, lg in enumerate(grid):
        chi2[i], x = prof(10.0 ** lg, x)
        nuis[i] = x
    return Profile(grid, chi2, nuis, prof.problem.nuisance_names, c0, x0)


def _statistic_text(cl: float, method: str = "clsb") -> str:
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


def _crossing(prof: _Profiler, scan: Profile, lam_best: float, chi2_best: float, target: float
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
    if res.status == NONE:
        return math.inf, scan.nuisances[-1], "not excluded in scan range"
    if res.status == AT_START:
        raise ValueError(f"the limit lies below the scan range: q >= threshold already at "
                         f"log10_lam = {scan.log10_lam[0]:g}; lower log10_lam_range")
    return 10.0 ** res.x, last["x"], "ok"


def _best_fit(prof: _Profiler, scan: Profile) -> tuple[float, float]:
    """(lam_best MeV^-3, chi2_best): the null or the refined best grid point."""
    i = int(np.argmin(scan.chi2))
    if scan.chi2_null <= scan.chi2[i]:
        return 0.0, scan.chi2_null
    lo = scan.log10_lam[max(i - 1, 0)]
    hi = scan.log10_lam[min(i + 1, scan.log10_lam.size - 1)]
    x = scan.nuisances[i]
    res = {"c": scan.chi2[i], "lg": scan.log10_lam[i]}

    def f(lg: float) -> float:
        c, _ = prof(10.0 ** lg, x)
        if c < res["c"]:
            res["c"], res["lg"] = c, lg
        return c

    from scipy.optimize import minimize_scalar

    minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-3})
    return 10.0 ** res["lg"], res["c"]


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
    prof = _Profiler(asimov, strategy)
    grid = _grid(log10_lam_range, n_scan)
    scan = _scan(prof, grid)
    lam_best, chi2_best = _best_fit(prof, scan)
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


def _cls_crossing(prof: _Profiler, scan: Profile, ref: float, prof_a: _Profiler, scan_a: Profile,
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
    if res.status == NONE:
        return math.inf, scan.nuisances[-1], "not excluded in scan range"
    if res.status == AT_START:
        raise ValueError(f"the limit lies below the scan range: CLs <= {alpha:g} already at "
                         f"log10_lam = {scan.log10_lam[0]:g}; lower log10_lam_range")
    return 10.0 ** res.x, last["x"], "ok"


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
    stat = _statistic_text(cl, method)
    if problem is None:
        conv = _convention(asimov, 0.0, _Profiler(asimov).start)  # type: ignore[arg-type]
        return LimitResult(cl, None, expected, "forecast", stat, t, reference, math.nan, math.nan,
                           math.nan, {}, conv, None, calls, method, METHODS[method], notes)
    prof = _Profiler(problem, strategy)
    grid = _grid(log10_lam_range, n_scan)
    scan = _scan(prof, grid)
    lam_best, chi2_best = _best_fit(prof, scan)
    ref = _chi2_reference(problem, reference, chi2_best)
    if method == "cls":
        prof_a = _Profiler(asimov, strategy)  # type: ignore[arg-type]
        scan_a = _scan(prof_a, grid)
        ref_a = _chi2_reference(asimov, reference, _best_fit(prof_a, scan_a)[1])  # type: ignore[arg-type]
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


