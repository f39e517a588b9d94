"""Full-model forecasts on lam = G_X^2 m_nu (MeV^-3): stated null, full prediction, named statistic.

Every forecast here
* builds the **null**: the standard DSNB (lam = 0) of the same Model (convention, SFR, nuisance
  defaults), plus the detector's backgrounds; its expected counts are the Asimov data;
* compares the **full prediction** at each tested lam (attenuated DSNB + boosted CvB +
  backgrounds) with those data (Poisson deviance, :mod:`relicboost.likelihoods.dsnb_detectors`;
  for RES-NOVA ``signal="excess"``: s = total(lam) - total(null), b = total(null) + backgrounds);
* returns the expected one-sided exclusion on lam with the +-1, +-2 sigma bands of
  :func:`relicboost.inference.limits.expected_bands` (Asimov, Cowan et al. 2011 Eq. 89: the band edge
  solves sqrt(q_A(lam)) = z_CL + N), astrophysical nuisances in ``profile`` profiled with iminuit
  under Gaussian priors: sfr_norm (core-collapse rate normalisation) 1 +- 0.4 (:data:`RATE_PRIOR_SIGMA`,
  cited), E_tot and the temperatures from :func:`relicboost.likelihoods.default_astro_priors`
  (names as in Model.predict); and, optionally, the failed-supernova fraction ``f_failed`` (a
  likelihood-level nuisance, :data:`relicboost.parameters.FAILED_SN_FRACTION`): profiled under its cited
  prior 0.2 +- 0.1 (``failed_supernovae.csv``), with the null then at f = 0.2 (the prior mean) so that
  data and prior agree; off (f = 0) otherwise.

The consistent convention removes DSNB neutrinos from the window (a **deficit**), the paper
convention adds boosted ones (an **excess**); the same deviance sees both.

Discovery (:func:`discovery_reach`): data = the tested point, hypothesis = the null; the smallest
lam whose median discovery significance sqrt(q0) reaches ``z_target`` (nuisances fixed).
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from relicboost import parameters
from relicboost.likelihoods import RESNOVA, GaussianPrior, default_astro_priors
from relicboost.likelihoods.dsnb_detectors import (
    DETECTORS,
    DSNBDetector,
    detector_table,
)
from relicboost.physics.ibd import IBD_THRESHOLD_MEV
from relicboost.physics.sources import failed_sn_fraction_prior

from .factory import ModelFactory
from .limits import expected_bands
from .problem import Free, Problem, Uniform, problem_parameters

#: Detectors understood by :func:`forecast` (plus "resnova").
FORECASTS: tuple[str, ...] = (*DETECTORS, "hyperk_gd", "resnova")
CONVENTIONS: tuple[str, ...] = ("paper", "consistent")
#: Lowest grid energy (MeV) of the Models built here, per channel (IBD threshold; argon table start).
_EMIN: dict[str, float] = {"ibd": IBD_THRESHOLD_MEV, "argon": 3.1}
_NUISANCES: tuple[str, ...] = parameters.ASTRO_NUISANCES
#: The failed-supernova fraction (likelihood-level nuisance of the DSNB detectors).
FAILED: str = parameters.FAILED_SN_FRACTION
#: Status of a band edge at the physical boundary (CLs+b: z_CL + N <= 0, e.g. -2 sigma at 90% C.L.).
AT_BOUNDARY: str = "at the physical boundary lam = 0 (a background-only fluctuation this low excludes every lam > 0)"
NULL_TEXT = "standard DSNB (lam = 0, same convention, nuisances at their defaults) + backgrounds; Asimov data"


@dataclasses.dataclass
class ForecastResult:
    """Expected exclusion on lam for one detector, exposure and convention.

    Attributes
    ----------
    detector, convention : str
    years : float
        Live time, years.
    cl : float
        Confidence level.
    expected : dict
        lam (MeV^-3) at ``-2sigma`` ... ``+2sigma`` and ``median`` (inf = not reached in range).
    null, statistic, effect : str
        The null hypothesis, the test statistic, and "net excess" / "net deficit" of the window
        counts at the median limit (summed over bins).
    profiled : tuple of str
        Nuisances profiled under their priors.
    null_signal_events, background_events : float
        Events in the window for the null DSNB and for all backgrounds.
    n_calls : int
        Likelihood evaluations.
    seconds : float
        Wall time.
    band_status : dict
        Per band edge (keys of ``expected``): "ok" (a crossing of the scan), :data:`AT_BOUNDARY`
        (the edge is the physical boundary lam = 0: the value 0 in ``expected`` is not a crossing) or
        "not reached ..." (clipped at the scan end: a lower bound).
    """

    detector: str
    convention: str
    years: float
    cl: float
    expected: dict[str, float]
    null: str
    statistic: str
    effect: str
    profiled: tuple[str, ...]
    null_signal_events: float
    background_events: float
    n_calls: int
    seconds: float
    band_status: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (inf -> None)."""
        out = dataclasses.asdict(self)
        out["expected"] = {k: (float(v) if math.isfinite(v) else None) for k, v in self.expected.items()}
        out["lam_upper_median_MeV-3"] = out["expected"]["median"]
        out["profiled"] = list(self.profiled)
        return out


def _statistic(cl: float, profiled: Sequence[str]) -> str:
    prof = ", ".join(profiled) if profiled else "none (fixed at defaults)"
    return (f"q(lam) = Poisson deviance of the full prediction (attenuated DSNB + boosted + backgrounds) "
            f"given the null Asimov data, one-sided; excluded where q >= norm.ppf({cl:g})^2 = "
            f"{norm.ppf(cl) ** 2:.4f}; bands: sqrt(q_A) = z + N (Cowan et al. 2011); nuisances profiled: {prof}")


def build_detector(detector: str, years: float, convention: str, profile: Sequence[str] = (),
                   model_options: Mapping[str, Any] | None = None, **det_kwargs: Any) -> tuple[Any, DSNBDetector]:
    """(Model, likelihood) for ``detector`` with its null built from the same Model.

    Parameters
    ----------
    detector : str
        "skgd", "juno", "hyperk", "hyperk_gd" or "dune".
    years : float
        Live time, years.
    convention : {"paper", "consistent"}
    profile : sequence of str
        Nuisances that get their default prior (to be profiled).
    model_options : mapping, optional
        Further ``Model`` keywords (sfr, T_nue, T_nuebar, T_nux, E_tot, sfr_norm, ...).
    **det_kwargs
        Passed to :class:`~relicboost.likelihoods.dsnb_detectors.DSNBDetector`.
    """

    if convention not in CONVENTIONS:
        raise ValueError(f"convention={convention!r}; allowed: {CONVENTIONS}")
    table = detector_table()
    if detector not in set(table["detector"]):
        raise ValueError(f"detector={detector!r}; allowed: {table['detector'].tolist()}")
    channel = str(table.loc[table["detector"] == detector, "channel"].iloc[0])
    model = _model(convention, _EMIN[channel], model_options)
    priors = _priors(profile)
    if FAILED in profile:
        det_kwargs.setdefault("failed_fraction", failed_sn_fraction_prior()[0])
    if FAILED in profile or det_kwargs.get("failed_fraction", 0.0) > 0:
        det_kwargs["failed_sn_model"] = model
    det = DSNBDetector(model.predict(0.0), years, detector=detector, priors=priors, **det_kwargs)
    return model, det


@lru_cache(maxsize=8)
def _cached_model(convention: str, energy_min: float, options: tuple[tuple[str, Any], ...]) -> Any:
    """Model of the null and of the tested points, shared by forecasts in one process (bounded cache)."""
    from relicboost import Model

    return Model(convention=convention, energy_min=energy_min, **dict(options))


def _model(convention: str, energy_min: float, model_options: Mapping[str, Any] | None) -> Any:
    return _cached_model(convention, float(energy_min), tuple(sorted((model_options or {}).items())))


#: Width of the Gaussian prior on the core-collapse rate normalisation ``sfr_norm`` used here: the
#: rate uncertainty "translates into a variation of +-40% in the DSNB event spectrum" (Horiuchi,
#: Beacom & Dwek, PRD 79 (2009) 083013, arXiv:0812.3157, abstract).  The other nuisances keep
#: :func:`relicboost.likelihoods.default_astro_priors`.
RATE_PRIOR_SIGMA: float = 0.4


def _priors(profile: Sequence[str]) -> dict[str, Any]:
    allp = default_astro_priors()
    allp["sfr_norm"] = GaussianPrior(1.0, RATE_PRIOR_SIGMA, low=0.05, high=5.0)
    bad = [n for n in profile if n not in allp and n != FAILED]
    if bad:
        raise ValueError(f"profile: unknown nuisance(s) {bad}; allowed: {[*allp, FAILED]}")
    return {n: allp[n] for n in profile if n != FAILED}


def _effect(model: Any, lk: Any, lam: float) -> str:
    if not (math.isfinite(lam) and lam > 0):
        return "n/a"
    pred = model.predict(lam)
    if isinstance(lk, DSNBDetector):
        diff = float(lk.expected(pred).sum() - lk.asimov_data.sum())
    else:
        diff = float(lk.signal_background(pred)[0].sum())
    return "net excess" if diff > 0 else "net deficit"


def forecast(detector: str, years: float = 10.0, convention: str = "consistent", cl: float = 0.90, *,
             profile: Sequence[str] = (), log10_lam_range: tuple[float, float] = (-14.0, -6.0),
             n_scan: int = 17, resnova_phase: str = "RES-NOVA-3", model_options: Mapping[str, Any] | None = None,
             **det_kwargs: Any) -> ForecastResult:
    """Expected exclusion on lam (median and +-1, +-2 sigma) with the full-model statistic.

    Parameters
    ----------
    detector : str
        One of :data:`FORECASTS`.
    years : float
        Live time in years (> 0).
    convention : {"paper", "consistent"}
    cl : float
        Confidence level (0.5 < cl < 1).
    profile : sequence of str
        Nuisances profiled under :func:`default_astro_priors` (e.g. ("sfr_norm",)), and "f_failed"
        (failed-supernova fraction, detectors only; module docstring).
    log10_lam_range, n_scan
        Scan of log10(lam / MeV^-3) (then refined with brentq).
    resnova_phase : str
        Phase of ``resnova_phases.csv`` for ``detector="resnova"``.
    model_options : mapping, optional
        Further ``Model`` keywords (sfr, temperatures, E_tot, sfr_norm): the null and the tested points.
    **det_kwargs
        Detector options (threshold_MeV, emax_MeV, efficiency, background_scale, bin_width_MeV,
        response = "gaussian" or "snowglobes").
    """
    if detector not in FORECASTS:
        raise ValueError(f"detector={detector!r}; allowed: {FORECASTS}")
    if not (np.isfinite(years) and years > 0):
        raise ValueError(f"years={years} must be > 0")
    t0 = time.perf_counter()
    lk: Any
    if detector == "resnova" and FAILED in profile:
        raise ValueError("profile: f_failed is implemented for the IBD / argon detectors, not for resnova")
    if detector == "resnova":
        model, lk = _resnova(years, convention, profile, resnova_phase, model_options, **det_kwargs)
        b0 = lk.signal_background(model.predict(0.0))[1]
        null_sig = float(lk.binned_counts(model.predict(0.0))["dsnb"].sum())
        bkg = float(b0.sum()) - null_sig
    else:
        model, lk = build_detector(detector, years, convention, profile, model_options, **det_kwargs)
        null_sig = float(lk.asimov_data.sum() - lk.background_counts.sum())
        bkg = float(lk.background_counts.sum())
    opts = dict(model_options or {})
    fixed = {k: opts.pop(k) for k in list(opts) if k in _NUISANCES and k not in profile}
    params = problem_parameters(Uniform(*log10_lam_range), tuple(n for n in profile if n != FAILED), fixed)
    if FAILED in profile:
        mean, sigma = failed_sn_fraction_prior()
        params[FAILED] = Free(GaussianPrior(mean, sigma, low=0.0, high=1.0))
    prob = Problem(ModelFactory.for_likelihood(lk, energy_min=float(model.grid_spec.energy_min),
                                               convention=convention,
                                               **{k: v for k, v in opts.items() if k not in _NUISANCES}),
                   lk, params)
    notes: list[str] = []
    bands, calls = expected_bands(prob, cl, log10_lam_range=log10_lam_range, n_scan=n_scan, notes=notes)
    f_null = float(getattr(lk, "failed_fraction", 0.0))
    null_text = NULL_TEXT + (f"; failed-supernova fraction {f_null:g} in the null" if f_null > 0 else "")
    return ForecastResult(detector, convention, float(years), float(cl), bands, null_text,
                          _statistic(cl, profile), _effect(model, lk, bands["median"]), tuple(profile),
                          null_sig, bkg, calls, time.perf_counter() - t0, _band_status(bands, notes))


def _band_status(bands: Mapping[str, float], notes: Sequence[str]) -> dict[str, str]:
    """Status of every band edge from the notes of :func:`expected_bands`."""
    status = {}
    for label in bands:
        note = next((n for n in notes if n.startswith(f"expected {label}:")), "")
        if "physical boundary" in note:
            status[label] = AT_BOUNDARY
        elif "not reached" in note:
            status[label] = note.split(": ", 1)[1]
        else:
            status[label] = "ok"
    return status


def _resnova(years: float, convention: str, profile: Sequence[str], phase: str,
             model_options: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[Any, RESNOVA]:

    if convention not in CONVENTIONS:
        raise ValueError(f"convention={convention!r}; allowed: {CONVENTIONS}")
    probe = RESNOVA.from_phase(phase, years)
    model = _model(convention, float(probe.required_energy_range[0]), model_options)
    lk = RESNOVA.from_phase(phase, years, signal="excess", null_prediction=model.predict(0.0),
                            priors=_priors(profile), **kwargs)
    return model, lk


def discovery_reach(detector: str, years: float = 10.0, convention: str = "consistent",
                    z_target: float = 3.0, log10_lam_range: tuple[float, float] = (-14.0, -6.0),
                    n_scan: int = 17, model_options: Mapping[str, Any] | None = None, **det_kwargs: Any) -> float:
    """Smallest lam (MeV^-3) whose median discovery significance against the null reaches ``z_target``.

    Data = expected counts at the tested lam; hypothesis = the null (lam = 0); nuisances fixed.
    Returns inf if not reached in the range.
    """
    if not (np.isfinite(z_target) and z_target > 0):
        raise ValueError(f"z_target={z_target} must be > 0")
    model, lk = build_detector(detector, years, convention, (), model_options, **det_kwargs)
    grid = np.linspace(*log10_lam_range, n_scan)

    def z(lg: float) -> float:
        return math.sqrt(max(lk.discovery_q0(model.predict(10.0 ** lg)), 0.0)) - z_target

    vals = [z(g) for g in grid]
    for i, v in enumerate(vals):
        if v >= 0:
            if i == 0:
                raise ValueError("discovery already reached at the lowest lam of log10_lam_range")
            return 10.0 ** brentq(z, grid[i - 1], grid[i], xtol=1e-5)
    return math.inf
