"""RES-NOVA forecast: CEvNS on archaeological lead (FORECAST, no data).

Detector: Pattavina, Ferreiro Iachellini, Tamborra, PRD 102 (2020) 063001
(arXiv:2004.06936); phases in ``relicboost/data/resnova_phases.csv``.

Statistics (binned Poisson, Asimov data, Cowan et al. 2011; see
:mod:`relicboost.likelihoods.statistics`): in each nuclear-recoil bin the
expected counts are signal s and background b, both proportional to the
exposure (ton yr).  Two signal definitions:

``signal="boosted"`` (paper, Sec. V)
    s = CEvNS counts of the upscattered CvB; b = DSNB counts + solar 8B +
    solar hep + atmospheric + optional flat detector background.  The DSNB in b
    is that of ``null_prediction`` (the standard, unattenuated DSNB, as in the
    paper's "including the standard DSNB contribution as background") if one is
    given, else the attenuated DSNB of the prediction itself.
``signal="excess"``
    the change of the total counts relative to a fixed null prediction (lam = 0,
    passed as ``null_prediction``): s = total(pred) - total(null),
    b = total(null) + the other backgrounds.  This is what an experiment would
    test.  In the paper convention scattering also removes DSNB neutrinos and the
    boosted ones have lower energies, so s is smaller than the boosted counts and
    can be negative (a deficit above threshold); the formulas below hold for
    s > -b (they are Poisson deviances).  The null's astrophysical parameters are
    fixed at the values it was built with.

Calling the likelihood returns the median exclusion statistic
q = 2 sum[s - b ln(1 + s/b)] (the Poisson deviance of the hypothesis given
background-only Asimov data), so the one-sided limit machinery on it returns the
median expected exclusion.  Also: median discovery significance
Z = sqrt(2 sum[(s+b) ln(1+s/b) - s]), the paper's S/sqrt(B) with S, B summed
over all bins, and the exposure needed for a target significance (all three
scale as sqrt(exposure)).

CEvNS rates come from :mod:`relicboost.physics.cevns` (``counts`` and
``background_counts``, events / (ton yr) above each recoil threshold); bin
counts are differences of those at the bin edges.  Backgrounds may also be given
directly as per-bin rates (``background_rates_per_ton_yr``), which bypasses the
CEvNS background functions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from relicboost.data import load_table, register_reference
from relicboost.physics import cevns
from relicboost.physics.targets import natural_lead
from relicboost.physics.validation import check_integer, check_number

from . import statistics as st
from .base import Likelihood, Prior

#: CEvNS background names understood by relicboost.physics.cevns.background_counts.
CEVNS_BACKGROUNDS: tuple[str, ...] = ("solar-8B", "solar-hep", "atmospheric")
SIGNALS: tuple[str, ...] = ("boosted", "excess")
KINDS: tuple[str, ...] = ("discovery", "exclusion", "naive")
#: Neutrino energy above which the DSNB and boosted fluxes are negligible, MeV.
_EMAX_MEV: float = 100.0


class RESNOVA(Likelihood):
    """Binned-Poisson Asimov forecast for a lead CEvNS detector.

    Parameters
    ----------
    exposure_ton_yr : float
        Lead mass times live time, ton yr (> 0); 465 = RES-NOVA-3 for one year.
    threshold_keV : float
        Nuclear-recoil threshold, keV (> 0).
    recoil_edges_keV : array_like, optional
        Recoil bin edges in keV (increasing, first edge = threshold).  Default:
        ``n_bins`` log-spaced bins from the threshold to ``recoil_max_keV``.
    n_bins : int
        Number of default bins.
    recoil_max_keV : float
        Upper edge of the default binning, keV (100 keV: the largest recoil a
        100 MeV neutrino gives on lead is 103 keV).
    backgrounds : sequence of str
        CEvNS backgrounds from :mod:`relicboost.physics.cevns` (subset of
        ``CEVNS_BACKGROUNDS``).  The DSNB is always a background in "boosted" mode.
    flat_background_per_ton_yr_keV : float
        Flat detector background, events / (ton yr keV) (>= 0).
    atm_emax_MeV : float or None
        Upper neutrino-energy cut of the atmospheric flux, MeV (default 200: reproduces the
        paper's ~0.03 events/(ton yr) above 3 keV; None = full FLUKA table to 905 MeV).
    boosted_channels : {3, 6, None}
        Species counted for the boosted flux, see :mod:`relicboost.physics.cevns`
        (None: 3 in the paper convention, as the paper's numbers; 6 otherwise).
    signal : {"boosted", "excess"}
        Signal definition (module docstring).
    null_prediction : Prediction, optional
        lam = 0 prediction: required for ``signal="excess"``; in ``"boosted"`` mode its DSNB is
        the (fixed) DSNB background.
    background_rates_per_ton_yr : mapping of name -> array, optional
        Per-bin background rates in events / (ton yr) replacing ``backgrounds``.
    priors : dict, optional
        Constraint terms on astrophysical nuisances.
    """

    name = "resnova"
    is_forecast = True

    def __init__(self, exposure_ton_yr: float = 465.0, threshold_keV: float = 1.0,
                 recoil_edges_keV: Sequence[float] | None = None, n_bins: int = 10,
                 recoil_max_keV: float = 100.0, backgrounds: Sequence[str] = CEVNS_BACKGROUNDS,
                 flat_background_per_ton_yr_keV: float = 0.0, atm_emax_MeV: float | None = 200.0,
                 boosted_channels: int | None = None,
                 signal: str = "boosted", null_prediction: Any = None,
                 background_rates_per_ton_yr: Mapping[str, Sequence[float]] | None = None,
                 priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        exposure_ton_yr = check_number("exposure_ton_yr", exposure_ton_yr)
        threshold_keV = check_number("threshold_keV", threshold_keV)
        if not (np.isfinite(exposure_ton_yr) and exposure_ton_yr > 0):
            raise ValueError(f"exposure_ton_yr={exposure_ton_yr} must be > 0 (ton yr)")
        if not (np.isfinite(threshold_keV) and 0 < threshold_keV < recoil_max_keV):
            raise ValueError(f"threshold_keV={threshold_keV} must be in (0, recoil_max_keV={recoil_max_keV})")
        if not (np.isfinite(flat_background_per_ton_yr_keV) and flat_background_per_ton_yr_keV >= 0):
            raise ValueError(f"flat_background_per_ton_yr_keV={flat_background_per_ton_yr_keV} must be >= 0")
        if signal not in SIGNALS:
            raise ValueError(f"signal={signal!r}; allowed: {SIGNALS}")
        if signal == "excess" and null_prediction is None:
            raise ValueError("null_prediction: required for signal='excess' (a lam = 0 Prediction)")
        if recoil_edges_keV is None:
            n_bins = check_integer("n_bins", n_bins, low=1)
            edges = np.geomspace(threshold_keV, recoil_max_keV, n_bins + 1)
        else:
            edges = np.asarray(recoil_edges_keV, dtype=float)
            if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
                raise ValueError("recoil_edges_keV must be a finite, strictly increasing 1-D array (keV)")
            if not np.isclose(edges[0], threshold_keV, rtol=1e-9):
                raise ValueError(f"recoil_edges_keV[0]={edges[0]} must equal threshold_keV={threshold_keV}")
        self.exposure_ton_yr = float(exposure_ton_yr)
        self.threshold_keV = float(threshold_keV)
        self.edges_keV = edges
        self.flat_background_per_ton_yr_keV = float(flat_background_per_ton_yr_keV)
        self.atm_emax_MeV = atm_emax_MeV
        self.boosted_channels = boosted_channels
        self.signal = signal
        self._null_rates: np.ndarray | None = None
        register_reference("Pattavina2020RESNOVA", "Cowan2011Asimov")
        self._bib_keys = ["Pattavina2020RESNOVA", "Cowan2011Asimov"]

        if background_rates_per_ton_yr is not None:
            rates = {k: np.asarray(v, dtype=float) for k, v in background_rates_per_ton_yr.items()}
            for k, v in rates.items():
                if v.shape != (edges.size - 1,) or not np.all(np.isfinite(v)) or np.any(v < 0):
                    raise ValueError(f"background_rates_per_ton_yr[{k!r}] must be {edges.size - 1} finite "
                                     "values >= 0 (events / (ton yr) per bin)")
        else:
            unknown = set(backgrounds) - set(CEVNS_BACKGROUNDS)
            if unknown:
                raise ValueError(f"backgrounds: unknown {sorted(unknown)}; allowed: {CEVNS_BACKGROUNDS}")
            rates = {name: self._cevns_background(name) for name in backgrounds}
        if self.flat_background_per_ton_yr_keV > 0:
            rates["flat"] = self.flat_background_per_ton_yr_keV * np.diff(edges)
        self.background_rates = rates
        if null_prediction is not None:
            if float(null_prediction.params.get("lam", 0.0)) != 0.0:
                raise ValueError("null_prediction must have lam = 0")
            self._null_rates = self._component_rates(null_prediction, "total")
        null = ("Asimov data = stated null (lam = 0 DSNB) + backgrounds, full prediction tested"
                if signal == "excess" else
                "DSNB background of the stated null (lam = 0)" if null_prediction is not None else
                "DSNB background of the tested point itself (no stated null)")
        self.label = (f"RES-NOVA FORECAST: {self.exposure_ton_yr:g} ton yr, E_th = {self.threshold_keV:g} keV, "
                      f"{edges.size - 1} recoil bins, signal = {signal}; {null}")

    @classmethod
    def from_phase(cls, phase: str = "RES-NOVA-3", years: float = 1.0, **kwargs: Any) -> RESNOVA:
        """Build from a phase of ``resnova_phases.csv`` (lead mass x ``years``, its threshold)."""
        df = load_table("resnova_phases", required_columns=("phase", "lead_mass_t", "threshold_keV"))
        row = df[df["phase"] == phase]
        if row.empty:
            raise ValueError(f"phase={phase!r}; allowed: {df['phase'].tolist()}")
        if not (np.isfinite(years) and years > 0):
            raise ValueError(f"years={years} must be > 0")
        kwargs.setdefault("threshold_keV", float(row["threshold_keV"].iloc[0]))
        return cls(exposure_ton_yr=float(row["lead_mass_t"].iloc[0]) * years, **kwargs)

    # ---- thin layer over relicboost.physics.cevns -------------------------------------
    def _diff(self, above: np.ndarray) -> np.ndarray:
        above = np.asarray(above, dtype=float)
        if above.shape != self.edges_keV.shape or not np.all(np.isfinite(above)):
            raise ValueError(f"{self.name}: CEvNS counts above thresholds are not finite / wrong shape")
        rates = above[:-1] - above[1:]
        scale = max(float(np.max(np.abs(above))), 1e-300)
        if np.any(rates < -1e-9 * scale):
            raise ValueError(f"{self.name}: counts above threshold increase with threshold: {above}")
        return np.clip(rates, 0.0, None)

    def _cevns_background(self, name: str) -> np.ndarray:
        return self._diff(cevns.background_counts(name, threshold_keV=self.edges_keV,
                                                  atm_emax_MeV=self.atm_emax_MeV))

    def _component_rates(self, prediction: Any, component: str) -> np.ndarray:
        lo, hi = self.required_energy_range
        e = np.asarray(prediction.energy)
        if e[0] > lo or e[-1] < hi:
            raise ValueError(f"{self.name}: prediction grid [{e[0]:g}, {e[-1]:g}] MeV does not cover "
                             f"[{lo:.3g}, {hi:g}] MeV needed above {self.threshold_keV:g} keV")
        return self._diff(cevns.counts(prediction, component, threshold_keV=self.edges_keV,
                                          boosted_channels=self.boosted_channels))

    @property
    def required_energy_range(self) -> tuple[float, float]:
        """Neutrino energies (MeV) the forecast needs: from just below the lowest energy that can
        give a recoil at threshold on the lightest lead isotope, to 100 MeV."""
        m_light = min(i.nuclear_mass_MeV for i in natural_lead().isotopes)
        return (0.99 * float(cevns.min_neutrino_energy_MeV(self.threshold_keV, m_light)), _EMAX_MEV)

    # ---- expected counts ----------------------------------------------------------------
    def binned_counts(self, prediction: Any) -> dict[str, np.ndarray]:
        """Expected events per recoil bin at this exposure, by source (events, not rates)."""
        out = {"boosted": self._component_rates(prediction, "boosted"),
               "dsnb": self._component_rates(prediction, "dsnb")}
        out.update(self.background_rates)
        return {k: v * self.exposure_ton_yr for k, v in out.items()}

    def signal_background(self, prediction: Any) -> tuple[np.ndarray, np.ndarray]:
        """(s, b): expected signal and background events per recoil bin at this exposure."""
        other = sum(self.background_rates.values(), np.zeros(self.edges_keV.size - 1))
        if self.signal == "boosted":
            s = self._component_rates(prediction, "boosted") * self.exposure_ton_yr
            dsnb = self._null_rates if self._null_rates is not None else self._component_rates(prediction, "dsnb")
            b = (dsnb + other) * self.exposure_ton_yr
        else:
            null = self._null_rates
            assert null is not None, "signal='excess' requires null_prediction (checked in __init__)"
            total = self._component_rates(prediction, "total")
            s = (total - null) * self.exposure_ton_yr
            b = (null + other) * self.exposure_ton_yr
        return s, b

    def table(self, prediction: Any) -> pd.DataFrame:
        """Per-bin expected events by source, with units in the column names."""
        cols: dict[str, np.ndarray] = {"recoil_low_keV": self.edges_keV[:-1], "recoil_high_keV": self.edges_keV[1:]}
        for k, v in self.binned_counts(prediction).items():
            cols[f"{k}_events"] = v
        s, b = self.signal_background(prediction)
        cols["signal_events"], cols["background_events"] = s, b
        df = pd.DataFrame(cols)
        df.attrs.update(exposure_ton_yr=self.exposure_ton_yr, signal=self.signal, forecast=True)
        return df

    # ---- statistics ---------------------------------------------------------------------
    def data_chi2(self, prediction: Any) -> float:
        """Median exclusion statistic q (background-only Asimov data), -2 ln L."""
        return st.asimov_exclusion_q(*self.signal_background(prediction))

    def discovery_significance(self, prediction: Any) -> float:
        """Median discovery significance Z (Asimov, all bins)."""
        return st.discovery_significance(*self.signal_background(prediction))

    def exclusion_significance(self, prediction: Any) -> float:
        """Median significance with which this prediction is excluded by background-only data."""
        return st.exclusion_significance(*self.signal_background(prediction))

    def naive_significance(self, prediction: Any) -> float:
        """The paper's S / sqrt(B), counts summed over all bins."""
        return st.naive_significance(*self.signal_background(prediction))

    def median_upper_limit_strength(self, prediction: Any, cl: float = 0.90) -> float:
        """Median expected upper limit on a multiplier mu of this prediction's signal (asymptotic)."""
        return st.median_upper_limit_strength(*self.signal_background(prediction), cl=cl)

    def exposure_for_significance(self, prediction: Any, z_target: float = 1.0, kind: str = "discovery") -> float:
        """Exposure in ton yr at which ``kind`` significance reaches ``z_target``.

        Parameters
        ----------
        kind : {"discovery", "exclusion", "naive"}
            Asimov discovery Z, Asimov exclusion Z, or the paper's S/sqrt(B).
        """
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r}; allowed: {KINDS}")
        z = {"discovery": self.discovery_significance, "exclusion": self.exclusion_significance,
             "naive": self.naive_significance}[kind](prediction)
        return st.exposure_for_significance(z, self.exposure_ton_yr, z_target)
