"""Upper limits on a signal strength mu for a binned counting experiment (checkable against pyhf).

Model: the counts of bin i are Poisson with mean ``mu s_i + b_i`` (no nuisance parameters).

Test statistics (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554, arXiv:1007.1727):

* ``q~_mu`` (Eq. 16), used with ``method="cls"`` (as pyhf's ``test_stat="qtilde"``):
  -2 ln [L(mu) / L(max(mu_hat, 0))] for mu_hat <= mu, 0 above;
* ``q_mu`` (Eq. 14), used with ``method="clsb"``: the same with mu_hat unrestricted
  (down to the value where a bin's mean vanishes).

p-values:

* asymptotic (``toys=0``): Asimov background-only data give ``q_A(mu)``; for q~_mu
  p_sb = 1 - Phi(sqrt q) if q <= q_A, else 1 - Phi((q + q_A) / (2 sqrt q_A)) (Eq. 66) and
  1 - p_b = Phi(sqrt q_A - sqrt q) resp. Phi((q_A - q) / (2 sqrt q_A)); for q_mu
  p_sb = 1 - Phi(sqrt q) (Eq. 59).  Expected limits: the band edge N solves the p-value of
  the background-only quantile test statistic (sqrt q = sqrt q_A - N in the Gaussian
  limit, as pyhf's ``expected_pvalues``);
* toys (``toys=N``): N Poisson pseudo-experiments under s+b and under b at each mu,
  drawn from ``numpy.random.default_rng(seed)``: the background-only toys once, the s+b toys
  from one derived seed re-used at every mu (common random numbers: the p-values are then a
  deterministic, monotonic-in-practice function of mu).
  Serial and vectorised over toys (fast enough for the low-count cases toys are meant for;
  no process pool).

CLs = p_sb / (1 - p_b) (method "cls", pyhf's default) or CLs+b = p_sb (method "clsb");
the limit is the lowest mu with p <= 1 - cl, found with the one limit engine
:func:`relicboost.inference.crossing.lowest_crossing` on a log10 mu grid.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from relicboost.physics.validation import check_finite, check_integer

from .crossing import NONE, OK, lowest_crossing

#: Methods and the test statistic each uses.
METHODS: dict[str, str] = {"cls": "q~_mu", "clsb": "q_mu"}
#: Expected-band labels and their N (N = +2 is the most signal-like background fluctuation: the
#: strongest, "-2 sigma" limit).
BAND_LABELS: tuple[str, ...] = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
_BAND_N: tuple[float, ...] = (2.0, 1.0, 0.0, -1.0, -2.0)
#: Decades of mu scanned on each side of the mu where q_A = 1, and scan points per decade.
_DECADES, _PER_DECADE = 4.0, 4


@dataclasses.dataclass(frozen=True)
class CountingLimit:
    """Upper limit on the signal strength mu (counts = mu s + b).

    Attributes
    ----------
    observed : float
        Limit for the observed counts (Asimov background-only counts if none were given).
    expected : numpy.ndarray
        Five expected limits: -2 sigma, -1 sigma, median, +1 sigma, +2 sigma.
    cl : float
        Confidence level.
    method : str
        "cls" (CLs = p_sb / (1 - p_b)) or "clsb" (p_sb).
    test_statistic : str
        "q~_mu" or "q_mu".
    calculator : str
        "asymptotic" or "toys (N, seed S)".
    notes : tuple of str
        Band edges clipped to the physical range or the scan range, and why.
    """

    observed: float
    expected: np.ndarray
    cl: float
    method: str
    test_statistic: str
    calculator: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-able record (limits as floats; method, test statistic, C.L. and notes stated)."""
        return {"mu_upper": float(self.observed),
                "mu_upper_expected": dict(zip(BAND_LABELS, map(float, self.expected))),
                "cl": self.cl, "method": self.method, "test_statistic": self.test_statistic,
                "calculator": self.calculator, "notes": list(self.notes)}

    def __repr__(self) -> str:
        exp = ", ".join(f"{k} {v:.4g}" for k, v in zip(BAND_LABELS, self.expected))
        head = (f"CountingLimit: mu < {self.observed:.4g} at {100 * self.cl:g}% C.L. "
                f"({self.method.upper().replace('CLSB', 'CLs+b').replace('CLS', 'CLs')}, "
                f"{self.test_statistic}, {self.calculator})")
        tail = "".join(f"\n  note: {n}" for n in self.notes)
        return f"{head}\n  expected: {exp}{tail}"


def _mu_hat(n: np.ndarray, s: np.ndarray, b: np.ndarray, low: float) -> np.ndarray:
    """Maximum-likelihood mu >= low for each row of counts ``n`` (vectorised bisection)."""
    n = np.atleast_2d(n)
    hi = np.full(n.shape[0], max(n.sum(axis=1).max() / s.sum(), 0.0) + 1.0)
    lo = np.full(n.shape[0], low)

    def score(mu: np.ndarray) -> np.ndarray:  # d ln L / d mu, decreasing in mu
        return (s * n / (mu[:, None] * s + b)).sum(axis=1) - s.sum()

    for _ in range(56):  # bracket shrinks 2^56-fold: mu_hat to ~1e-16 of its range
        mid = 0.5 * (lo + hi)
        up = score(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return 0.5 * (lo + hi)


def _neg2lnl(n: np.ndarray, mu: np.ndarray | float, s: np.ndarray, b: np.ndarray) -> np.ndarray:
    """-2 ln L up to a constant (Poisson, terms with n = 0 handled)."""
    lam = np.asarray(mu)[..., None] * s + b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.where(n > 0, n * np.log(lam), 0.0)
    return 2.0 * (lam - log_term).sum(axis=-1)


class _Counting:
    """Test statistic and p-values of one counting problem."""

    def __init__(self, s: np.ndarray, b: np.ndarray, method: str) -> None:
        self.s, self.b, self.method = s, b, method
        # q~: mu_hat >= 0; q: mu_hat down to where a bin's mean vanishes
        self.mu_low = 0.0 if method == "cls" else -float(np.min(b[s > 0] / s[s > 0])) * (1.0 - 1e-9)

    def mu_hat(self, n: np.ndarray) -> np.ndarray:
        """Best-fit mu (>= the method's lower bound) of each row of counts."""
        return _mu_hat(np.atleast_2d(n), self.s, self.b, self.mu_low)

    def q(self, n: np.ndarray, mu: float, mu_hat: np.ndarray | None = None) -> np.ndarray:
        """Test statistic for rows of counts ``n`` at ``mu`` (0 where mu_hat > mu)."""
        n = np.atleast_2d(n)
        mh = self.mu_hat(n) if mu_hat is None else mu_hat
        mh_c = np.minimum(mh, mu)
        q = _neg2lnl(n, mu, self.s, self.b) - _neg2lnl(n, mh_c, self.s, self.b)
        return np.where(mh >= mu, 0.0, np.maximum(q, 0.0))

    def q_asimov(self, mu: float) -> float:
        """q(mu) of the Asimov background-only data (mu_hat = 0 exactly): 2 sum[mu s - b ln(1 + mu s / b)]."""
        x = mu * self.s
        return float(2.0 * np.sum(x - self.b * np.log1p(x / self.b)))

    def p_asymptotic(self, q: float, mu: float) -> tuple[float, float]:
        """(p_sb, 1 - p_b) from the asymptotic formulas (module docstring)."""
        qa = max(self.q_asimov(mu), 1e-300)
        sq, sqa = math.sqrt(max(q, 0.0)), math.sqrt(qa)
        if self.method == "clsb" or q <= qa:
            p_sb = norm.sf(sq)
            clb = norm.cdf(sqa - sq)
        else:
            p_sb = norm.sf((q + qa) / (2.0 * sqa))
            clb = norm.cdf((qa - q) / (2.0 * sqa))
        return float(p_sb), float(clb)

    def expected_p(self, mu: float, n_sigma: float) -> float:
        """Asymptotic expected p (CLs or CLs+b) for background-only data fluctuated by n_sigma."""
        sqa = math.sqrt(max(self.q_asimov(mu), 1e-300))
        p_sb = norm.sf(n_sigma + sqa)
        return float(p_sb / norm.sf(n_sigma)) if self.method == "cls" else float(p_sb)


def counting_upper_limit(signal: ArrayLike, background: ArrayLike, observed: ArrayLike | None = None,
                         cl: float = 0.90, method: str = "cls", toys: int = 0,
                         seed: int | None = None) -> CountingLimit:
    """Upper limit on the signal strength mu for per-bin counts ``mu * signal + background``.

    Parameters
    ----------
    signal, background : array_like
        Expected counts per bin for mu = 1 (signal >= 0, not all 0) and background (> 0).
    observed : array_like, optional
        Observed counts per bin (>= 0); None: the Asimov background-only data (counts = background).
    cl : float
        Confidence level, 0.5 < cl < 1 (default 0.90).
    method : {"cls", "clsb"}
        CLs with q~_mu (default, as pyhf) or CLs+b with q_mu (module docstring).
    toys : int
        0: asymptotic formulas; N > 0: N pseudo-experiments per hypothesis and mu.
    seed : int, optional
        Seed of the toys (default 0 when toys > 0, so that results are reproducible).

    Returns
    -------
    CountingLimit

    Examples
    --------
    >>> from relicboost.inference import counting_upper_limit
    >>> counting_upper_limit([3.0, 1.0], [10.0, 4.0]).observed  # doctest: +ELLIPSIS
    1.7...
    """
    s = np.atleast_1d(check_finite("signal", signal)).astype(float)
    b = np.atleast_1d(check_finite("background", background)).astype(float)
    if s.ndim != 1 or s.shape != b.shape:
        raise ValueError(f"signal and background must be 1-D of the same length, got {s.shape}, {b.shape}")
    if np.any(s < 0) or not np.any(s > 0):
        raise ValueError("signal must be >= 0 in every bin and > 0 in at least one (counts for mu = 1)")
    if np.any(b <= 0):
        raise ValueError("background must be > 0 in every bin (expected counts)")
    n_obs = b.copy() if observed is None else np.atleast_1d(check_finite("observed", observed)).astype(float)
    if n_obs.shape != s.shape or np.any(n_obs < 0):
        raise ValueError(f"observed must be >= 0 with the shape of signal {s.shape}")
    cl = float(check_finite("cl", cl))
    if not 0.5 < cl < 1.0:
        raise ValueError(f"cl must be in (0.5, 1), got {cl}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {tuple(METHODS)}, got {method!r}")
    toys = check_integer("toys", toys, low=0)
    if seed is not None:
        seed = check_integer("seed", seed, low=0)
    alpha = 1.0 - cl
    cp = _Counting(s, b, method)
    grid = _mu_grid(cp)
    if toys == 0:
        mh_obs = cp.mu_hat(n_obs)

        def p_obs(mu: float) -> float:
            p_sb, clb = cp.p_asymptotic(float(cp.q(n_obs, mu, mh_obs)[0]), mu)
            return p_sb / clb if method == "cls" else p_sb

        exp_p = [lambda mu, n=n: cp.expected_p(mu, n) for n in _BAND_N]
        calc = "asymptotic"
    else:
        seed = 0 if seed is None else seed
        p_obs, exp_p = _toy_pvalues(cp, n_obs, toys, seed)
        calc = f"toys ({toys} per hypothesis and mu, seed {seed})"
    notes: list[str] = []
    obs = _limit(p_obs, grid, alpha, "observed", notes)
    expected = np.empty(len(BAND_LABELS))
    for k, (p, lab, n) in enumerate(zip(exp_p, BAND_LABELS, _BAND_N)):
        if method == "clsb" and toys == 0 and norm.ppf(cl) - n <= 0:
            expected[k] = 0.0
            notes.append(f"{lab}: at the physical boundary mu = 0 (CLs+b: a background-only fluctuation "
                         f"of {-n:+g} sigma excludes every mu > 0)")
        else:
            expected[k] = _limit(p, grid, alpha, lab, notes)
    return CountingLimit(obs, expected, cl, method, METHODS[method], calc, tuple(notes))


def _mu_grid(cp: _Counting) -> np.ndarray:
    """log10 mu grid around the mu where q_A(mu) = 1 (the expected 1-sigma scale)."""
    from scipy.optimize import brentq

    hi = 1.0
    while cp.q_asimov(hi) < 1.0:
        hi *= 10.0
    mu1 = brentq(lambda m: cp.q_asimov(m) - 1.0, 0.0, hi, xtol=1e-9 * hi)
    return np.arange(-_DECADES, _DECADES + 1e-9, 1.0 / _PER_DECADE) + math.log10(mu1)


def _limit(p_of_mu, grid: np.ndarray, alpha: float, label: str, notes: list[str]) -> float:
    """Lowest mu with p(mu) <= alpha; clipped to the scan range with a note."""
    res = lowest_crossing(lambda lg: alpha - p_of_mu(10.0**lg), grid, xtol=1e-7)
    if res.status == OK:
        return float(10.0**res.x)
    if res.status == NONE:
        notes.append(f"{label}: p > {alpha:g} up to mu = {10**grid[-1]:.3g} (scan end); limit clipped there")
        return float(10.0**grid[-1])
    notes.append(f"{label}: excluded already at mu = {10**grid[0]:.3g} (scan start; the physical "
                 "boundary mu = 0 is approached); limit clipped there")
    return float(10.0**grid[0])


def _toy_pvalues(cp: _Counting, n_obs: np.ndarray, toys: int, seed: int):
    """Observed and expected p-value functions of mu from pseudo-experiments (common random numbers)."""
    method = cp.method
    rng = np.random.default_rng(seed)
    n_b = rng.poisson(cp.b, size=(toys, cp.s.size))  # background-only toys: the same for every mu
    mh_b, mh_obs = cp.mu_hat(n_b), cp.mu_hat(n_obs)
    sb_seed = int(rng.integers(2**63))

    @functools.lru_cache(maxsize=1024)
    def dists(mu: float) -> tuple[np.ndarray, np.ndarray]:
        n_sb = np.random.default_rng(sb_seed).poisson(mu * cp.s + cp.b, size=(toys, cp.s.size))
        return np.sort(cp.q(n_sb, mu)), np.sort(cp.q(n_b, mu, mh_b))

    def p_at(q_value: float, mu: float) -> float:
        q_sb, q_b = dists(mu)
        tol = 1e-9 * max(1.0, q_value)
        p_sb = (toys - np.searchsorted(q_sb, q_value - tol)) / toys
        if method == "clsb":
            return float(p_sb)
        clb = (toys - np.searchsorted(q_b, q_value - tol)) / toys
        return float(p_sb / clb) if clb > 0 else 1.0

    def p_obs(mu: float) -> float:
        return p_at(float(cp.q(n_obs, mu, mh_obs)[0]), mu)

    def expected(n_sigma: float):
        def p(mu: float) -> float:
            q_b = dists(mu)[1]
            return p_at(float(np.quantile(q_b, norm.cdf(n_sigma), method="inverted_cdf")), mu)
        return p

    return p_obs, [expected(n) for n in _BAND_N]
