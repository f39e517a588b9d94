"""Profile chi^2 in lam = G_X^2 m_nu (MeV^-3): nuisances minimised with iminuit at each lam.

``chi2_p(lam) = min_nu [-2 ln L(lam, nu) + prior terms]`` with ``Minuit.migrad`` on a grid in
log10 lam, each point warm-started from the previous one; lam = 0 (the standard DSNB) is
evaluated explicitly.  Used by :mod:`.limits` (limits and expected bands).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from iminuit import Minuit

from relicboost import parameters

from .problem import Problem


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


class Profiler:
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
    prof = Profiler(problem, strategy)
    return scan_profile(prof, grid)


def scan_profile(prof: Profiler, grid: np.ndarray) -> Profile:
    """Profile at lam = 0 and on ``grid`` (log10 lam), each point warm-started from the previous."""
    c0, x0 = prof(0.0)
    chi2 = np.empty(grid.size)
    nuis = np.empty((grid.size, len(x0)))
    x = x0
    for i, lg in enumerate(grid):
        chi2[i], x = prof(10.0 ** lg, x)
        nuis[i] = x
    return Profile(grid, chi2, nuis, prof.problem.nuisance_names, c0, x0)


def best_fit_on_scan(prof: Profiler, scan: Profile) -> tuple[float, float]:
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
