"""The result of a limit on lam (:class:`LimitResult`) and its JSON form for the command line.

Every result states its method ("cls", "clsb" or "published"), test statistic (q_mu, q~_mu or
the published limit's crossing) and confidence level, in ``str()``, ``to_frame()`` (columns)
and ``to_dict()``; expected-band edges that were clipped carry a note.
"""
from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .limits import Profile

@dataclasses.dataclass
class LimitResult:
    """One-sided upper limit on lam = G_X^2 m_nu.

    Attributes
    ----------
    cl : float
        Confidence level.
    observed : float or None
        Upper limit on lam in MeV^-3 (None for a pure forecast); ``math.inf`` if not
        reached within the scan range, 0.0 if even lam = 0 is excluded (see ``status``).
    expected : dict or None
        Expected limits (MeV^-3) from an Asimov likelihood: keys ``-2sigma``, ``-1sigma``,
        ``median``, ``+1sigma``, ``+2sigma``.
    status : str
        "ok", "not excluded in scan range", "all lam excluded (even lam=0)", "forecast".
    statistic : str
        Test statistic and threshold convention.
    threshold : float
        Delta chi^2 threshold, norm.ppf(cl)^2.
    reference : str
        "data" or "model" (see module docstring).
    chi2_ref, chi2_best : float
        Reference and best-fit chi^2.
    best_fit_lam : float
        Best-fit lam (MeV^-3; 0 if the boundary is preferred).
    nuisances_at_limit : dict
        Profiled nuisance values at the observed limit (coordinate units).
    convention : str
        Propagation convention of the predictions ("paper", ...; "n/a" if unknown).
    scan : Profile or None
        The profile behind the observed limit.
    n_calls : int
        Number of likelihood evaluations.
    method : str
        "cls" (CLs = p_sb / (1 - p_b), Asimov q_A), "clsb" (p_sb) or "published" (crossing of a
        published flux limit, calibrated at its own C.L.).
    test_statistic : str
        "q_mu" (one-sided profile likelihood ratio), "q~_mu" (bounded, used with CLs) or
        "published-limit crossing".
    notes : list of str
        Expected-band edges clipped to the physical range / scan range, extrapolations.
    """

    cl: float
    observed: float | None
    expected: dict[str, float] | None
    status: str
    statistic: str
    threshold: float
    reference: str
    chi2_ref: float
    chi2_best: float
    best_fit_lam: float
    nuisances_at_limit: dict[str, float]
    convention: str
    scan: Profile | None = None
    n_calls: int = 0
    method: str = "clsb"
    test_statistic: str = "q_mu"
    notes: list[str] = dataclasses.field(default_factory=list)

    def to_frame(self):
        """Rows: observed and expected limits; columns with units and the CL."""
        import pandas as pd

        pct = f"{100 * self.cl:g}"
        rows = []
        if self.observed is not None:
            rows.append(("observed", self.observed))
        for k, v in (self.expected or {}).items():
            rows.append((f"expected {k}", v))
        lam = np.array([r[1] for r in rows], dtype=float)
        with np.errstate(divide="ignore"):
            lg = np.where(lam > 0, np.log10(np.where(lam > 0, lam, 1.0)), -np.inf)
        n = len(rows)
        return pd.DataFrame({"limit": [r[0] for r in rows],
                             f"lam_upper_{pct}CL_MeV-3": lam,
                             f"log10_lam_upper_{pct}CL": lg,
                             "method": [self.method] * n, "test_statistic": [self.test_statistic] * n,
                             "CL": [self.cl] * n})

    def __str__(self) -> str:
        head = (f"Upper limit on lam = G_X^2 m_nu at {100 * self.cl:g}% CL, method {self.method} "
                f"({self.test_statistic}: {self.statistic}; reference={self.reference}; "
                f"convention={self.convention}; status: {self.status})")
        body = self.to_frame().iloc[:, :3].to_string(index=False, float_format=lambda v: f"{v:.4g}")
        body += "".join(f"\nnote: {n}" for n in self.notes)
        if self.observed is None:
            return f"{head}\n{body}"
        nuis = ", ".join(f"{k}={v:.4g}" for k, v in self.nuisances_at_limit.items())
        tail = (f"best fit lam = {self.best_fit_lam:.4g} MeV^-3, chi2_best = {self.chi2_best:.4g}, "
                f"chi2_ref = {self.chi2_ref:.4g}" + (f"\nnuisances at limit: {nuis}" if nuis else ""))
        return f"{head}\n{body}\n{tail}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (inf -> None with the status explaining it)."""
        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {"cl": self.cl, "lam_upper_MeV-3": num(self.observed),
                "expected_lam_upper_MeV-3": ({k: num(v) for k, v in self.expected.items()}
                                             if self.expected else None),
                "status": self.status, "statistic": self.statistic, "threshold": self.threshold,
                "reference": self.reference, "chi2_ref": num(self.chi2_ref),
                "chi2_best": num(self.chi2_best), "best_fit_lam_MeV-3": num(self.best_fit_lam),
                "nuisances_at_limit": {k: float(v) for k, v in self.nuisances_at_limit.items()},
                "convention": self.convention, "n_calls": self.n_calls, "method": self.method,
                "test_statistic": self.test_statistic, "notes": list(self.notes)}




def limit_to_json(result: LimitResult, *, mediator: str | None = None, M_MeV: float | None = None,
                  m_nu_eV: float = 0.05) -> dict[str, Any]:
    """JSON-able dict for the CLI: ``cl``, ``method``, ``test_statistic``, ``lam_upper_MeV-3``,
    ``convention`` (+ ``g_upper``).

    Parameters
    ----------
    result : LimitResult
    mediator : {"scalar", "vector"}, optional
        With ``M_MeV``: add ``g_upper`` (heavy-mediator mapping, paper Eq. II.5) and
        ``heavy_mediator_valid``.
    M_MeV : float, optional
        Mediator mass in MeV.
    m_nu_eV : float
        Relic neutrino mass in eV (default 0.05).
    """
    out = result.to_dict()
    if (mediator is None) != (M_MeV is None):
        raise ValueError("give both mediator and M_MeV, or neither")
    if mediator is not None:
        from relicboost.physics.interactions import (
            coupling_from_lam,
            heavy_mediator_valid,
        )

        lam = out["lam_upper_MeV-3"]
        out.update({"mediator": mediator, "M_MeV": float(M_MeV), "m_nu_eV": float(m_nu_eV),
                    "g_upper": None if lam is None else float(
                        coupling_from_lam(lam, M_MeV, m_nu_eV, mediator)),
                    "heavy_mediator_valid": bool(heavy_mediator_valid(M_MeV, m_nu_eV))})
    return out
