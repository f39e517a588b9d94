"""Expected exclusion of the DSNB detectors in the (g, M) plane, from a (g, M) scan table.

For every grid point of a scan table (:mod:`relicboost.inference.gm_scan`, which carries the binned
signal counts of every detector, :mod:`relicboost.inference.gm_detector_counts`) and every detector
case (:data:`CASES`: SK-Gd 10 yr, JUNO 20 yr, Hyper-K with Gd 10 yr, DUNE 20 yr) this computes the
statistic of the lam forecasts (:mod:`relicboost.inference.forecast`): Asimov data from the null
(g = 0 of the same Model: standard DSNB + backgrounds), -2 ln L of the full prediction at (g, M)
(attenuated DSNB + boosted + backgrounds) = the detector's Poisson deviance + constraint terms,
with the core-collapse rate normalisation ``sfr_norm`` profiled under the forecasts' prior
(1 +- 0.4, :data:`relicboost.inference.forecast.RATE_PRIOR_SIGMA`).  The counts are proportional to
sfr_norm, so the profile is a bounded 1-D minimisation of the detector likelihood over the tabulated
counts (no new predictions); q is also given with every nuisance fixed.  A point is excluded
(expected, median) where q >= norm.ppf(CL)^2 (one-sided CLs+b, 1.6424 at 90% C.L.:
:func:`relicboost.inference.limits.threshold`).

Per mass, :func:`lowest_excluded_couplings` gives the smallest excluded g with the one limit engine
(:func:`relicboost.inference.crossing.lowest_crossing`, q interpolated linearly in log10 g between
grid points).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from .crossing import lowest_crossing
from .forecast import NULL_TEXT, _priors, _statistic
from .gm_detector_counts import TabulatedDetector, null_counts, table_counts
from .limits import BANDS, band_z, threshold

#: (detector, years) of the (g, M) exclusion (issue 12 item 5; Hyper-K with gadolinium).
CASES: tuple[tuple[str, float], ...] = (("skgd", 10.0), ("juno", 20.0), ("hyperk_gd", 10.0), ("dune", 20.0))
#: Nuisances profiled by default (the rate normalisation, to which the counts are proportional).
PROFILED: tuple[str, ...] = ("sfr_norm",)
METHOD = "clsb (one-sided Asimov exclusion, CLs+b; median expected)"
PROFILABLE: tuple[str, ...] = ("sfr_norm",)
#: Below this q with nuisances fixed the profile is not computed: q_asimov is then q with nuisances fixed, an
#: upper bound of the profiled q (profiling can only lower q), and far below any exclusion threshold.
PROFILE_ABOVE_Q: float = 1e-3


def detectors_for(attrs: Mapping[str, Any], cases: Sequence[tuple[str, float]] = CASES,
                  profile: Sequence[str] = PROFILED) -> dict[str, TabulatedDetector]:
    """Tabulated detector likelihoods (null = the table's g = 0 counts) of ``cases``, keyed by
    ``"<detector> <years> yr"``; ``profile`` nuisances get the lam forecasts' priors."""
    bad = [n for n in profile if n not in PROFILABLE]
    if bad:
        raise ValueError(f"profile: {bad} cannot be profiled on tabulated counts; allowed: {PROFILABLE}")
    null = null_counts(attrs)
    return {f"{d} {y:g} yr": TabulatedDetector(null, float(y), d, priors=_priors(profile)) for d, y in cases}


def profiled_q(detector: TabulatedDetector, point: Any, at_one: float | None = None) -> tuple[float, float]:
    """(q, sfr_norm at the minimum): -2 ln L of ``detector`` at ``point`` (a RowCounts), minimised over
    sfr_norm within its prior's bounds if the detector has a prior on it, else at the point's value.
    ``at_one``: the value at sfr_norm = 1 if already known."""
    prior = detector.priors.get("sfr_norm")
    if prior is None:
        return float(detector(point)), float(point.params.get("sfr_norm", 1.0))
    lo, hi = prior.bounds
    res = minimize_scalar(lambda a: detector(point.with_sfr_norm(a)), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-4})
    if at_one is None:
        at_one = float(detector(point.with_sfr_norm(1.0)))
    if at_one <= res.fun:  # the bounded search never does worse than the prior centre
        return at_one, 1.0
    return float(res.fun), float(res.x)


def exclusion_frame(table: pd.DataFrame, cases: Sequence[tuple[str, float]] = CASES, cl: float = 0.90,
                    profile: Sequence[str] = PROFILED) -> pd.DataFrame:
    """One row per (grid point, detector case): q_asimov, excluded flag and the point's flags.

    Parameters
    ----------
    table : pandas.DataFrame
        A scan table with its header in ``attrs`` (:func:`relicboost.inference.gm_scan.read_table`
        or :func:`relicboost.inference.gm_scan_engine.scan_frame`).
    cases : sequence of (detector, years)
    cl : float
        Confidence level of the expected exclusion.
    profile : sequence of str
        Profiled nuisances (() = all fixed).

    Returns
    -------
    pandas.DataFrame
        Units in the column names; ``attrs`` hold the header (:func:`exclusion_header`).
    """
    thr = threshold(cl)
    edges = {label: band_z(cl, n, "clsb") for label, n in BANDS if n != 0}
    attrs = table.attrs
    dets = detectors_for(attrs, cases, profile)
    fixed = detectors_for(attrs, cases, ())
    resolved = attrs.get("resolved_options", {})
    relic = _relic_text(attrs)
    rows = []
    at_unit_rate = float(attrs["nuisances"].get("sfr_norm", 1.0)) == 1.0  # then q_fixed is the value at sfr_norm = 1
    flags = table[["g", "M_MeV", "sk_window_flux_ratio", "perturbative", "heavy_limit_valid"]].to_dict("records")
    for point, r in zip(table_counts(table), flags):
        for (name, det), det_fixed in zip(dets.items(), fixed.values()):
            q_fixed = float(det_fixed(point))
            q, a_hat = profiled_q(det, point, q_fixed if at_unit_rate else None) if q_fixed >= PROFILE_ABOVE_Q else (q_fixed, 1.0)
            rows.append({"g": float(r["g"]), "M_MeV": float(r["M_MeV"]), "mediator": attrs["mediator"],
                         "model": str(resolved.get("model", "n/a")), "relic_masses": relic, "case": name,
                         "detector": det.detector, "years": det.years, "q_asimov": q,
                         "excluded": bool(q >= thr), **_band_flags(q, edges), "sfr_norm_profiled": a_hat,
                         "q_asimov_nuisances_fixed": q_fixed,
                         "signal_events": float(det.signal_counts(point).sum()),
                         "null_signal_events": float((det.asimov_data - det.background_counts).sum()),
                         "background_events": float(det.background_counts.sum()),
                         "sk_window_flux_ratio": float(r["sk_window_flux_ratio"]),
                         "perturbative": bool(r["perturbative"]), "heavy_limit_valid": bool(r["heavy_limit_valid"])})
    frame = pd.DataFrame(rows)
    frame.attrs.update(exclusion_header(attrs, cl, profile))
    return frame


def _band_flags(q: float, edges: Mapping[str, float]) -> dict[str, bool]:
    """Expected-exclusion flags at the +-1, +-2 sigma band edges ``edges`` (label -> z = sqrt(q_A) at the
    edge, Cowan et al. 2011, Eq. 89; :func:`relicboost.inference.limits.band_z`, CLs+b); an edge with
    z <= 0 is the physical boundary (a fluctuation that low excludes every point): True."""
    root = math.sqrt(max(q, 0.0))
    return {f"excluded_{label}": bool(z <= 0 or root >= z) for label, z in edges.items()}


def _relic_text(attrs: Mapping[str, Any]) -> str:
    """Relic masses and momenta of a scan table, e.g. "normal (lightest 0 eV), relic momenta thermal"."""
    resolved, options = attrs.get("resolved_options", {}), attrs.get("mediator_options", {})
    masses = str(resolved.get("relic_masses", options.get("relic_masses", "single")))
    lightest = options.get("lightest_mass_eV", attrs["m_nu_eV"])
    mass = f"m_nu = {attrs['m_nu_eV']:g} eV" if masses == "single" else f"lightest {float(lightest):g} eV"
    return f"{masses} ({mass}), relic momenta {resolved.get('relic_momenta', options.get('relic_momenta', 'rest'))}"


def exclusion_header(attrs: Mapping[str, Any], cl: float, profile: Sequence[str]) -> dict[str, Any]:
    """Header of an exclusion table: convention, method, statistic, C.L., null, source scan."""
    return {"table": "expected (median, Asimov) exclusion of DSNB detectors per (g, M) grid point; events = "
                     "events in the visible-energy window over the exposure; M in MeV, g dimensionless",
            "convention": attrs["convention"], "method": METHOD, "statistic": _statistic(cl, profile),
            "CL": cl, "threshold_q": threshold(cl), "null": NULL_TEXT.replace("lam = 0", "g = 0 of the scan Model"),
            "profiled": list(profile), "mediator": attrs["mediator"], "m_nu_eV": attrs["m_nu_eV"],
            "mediator_options": attrs.get("mediator_options", {}), "model_options": attrs.get("model_options", {}),
            "nuisances": attrs["nuisances"], "scan_spec_sha256": attrs.get("spec_sha256"),
            "columns": "excluded: median expected exclusion (q >= threshold_q); excluded_<N>sigma: the same at the "
                       "+-N sigma band edges, sqrt(q) >= norm.ppf(CL) + N (true everywhere where that is <= 0: the "
                       "physical boundary); q_asimov: profiled statistic (where q_asimov_nuisances_fixed < "
                       f"{PROFILE_ABOVE_Q:g}: that value, an upper bound; profiling only lowers q); "
                       "q_asimov_nuisances_fixed: every nuisance at the table's "
                       "value; sfr_norm_profiled: rate normalisation at the minimum; perturbative: g <= sqrt(4 pi); "
                       "heavy_limit_valid: M^2 >= 10 x 2 m_nu x 100 MeV"}


def lowest_excluded_couplings(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (case, M): the smallest expected-excluded g (q interpolated in log10 g between grid points).

    Columns: case, M_MeV, g_lowest_excluded (NaN if nothing excluded on the grid), status (the
    :class:`relicboost.inference.crossing.Crossing` status) and excluded_above (True if every grid
    point above it is excluded too).
    """
    thr = float(frame.attrs["threshold_q"])
    out = []
    for (case, M), sub in frame.groupby(["case", "M_MeV"], sort=False):
        sub = sub.sort_values("g")
        lg = np.log10(sub["g"].to_numpy(float))
        f_vals = sub["q_asimov"].to_numpy(float) - thr

        def f(x: float, lg: np.ndarray = lg, f_vals: np.ndarray = f_vals) -> float:
            return float(np.interp(x, lg, f_vals))

        res = lowest_crossing(f, lg, values=f_vals)
        out.append({"case": case, "M_MeV": float(M), "g_lowest_excluded": 10.0 ** res.x if not math.isnan(res.x)
                    else math.nan, "status": res.status, "excluded_above": res.one_interval})
    return pd.DataFrame(out)
