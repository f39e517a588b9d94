"""Binned-Poisson DSNB detectors in visible energy (FORECASTS): SK-Gd, JUNO, Hyper-K, DUNE.

Expected counts per visible-energy bin i for a Prediction p::

    mu_i(p) = N_targets T eps sum_k w_k sigma(E_k) Phi(E_k; p) P_i(E_k) + B_i

Phi is the FULL flux of the detected species (``p.flux(species, "total")``: attenuated DSNB +
boosted CvB; nu_e-bar for IBD, nu_e for argon), sigma the cross section of
:mod:`relicboost.physics.ibd`, P_i(E) the Gaussian probability that an event of neutrino energy E
is seen in bin i, w_k
trapezoid weights on a 0.05 MeV grid, eps the signal efficiency of bin i, T the live time.  B_i: atmospheric
charged-current events computed from the FLUKA flux tables with the same response, plus the
components of ``dsnb_detector_backgrounds.csv`` (shapes in its header).

Response P_i(E) (``response=``, :data:`RESPONSES`):
* ``"gaussian"`` (default): Gaussian in visible energy with the collaborations' resolutions
  (SK-IV fit for SK-Gd and Hyper-K, JUNO 3%/sqrt(E)) and the mean visible energy of
  :func:`relicboost.physics.ibd.visible_energy_MeV` (``dsnb_detectors.csv``);
* ``"snowglobes"``: the SNOwGLoBES smearing matrix and detection efficiency of the generic
  configuration in the ``snowglobes_config`` column (:mod:`relicboost.physics.detector_response`),
  times the same flat signal efficiency.  The default stays Gaussian because the SNOwGLoBES water
  configuration is a generic 30%-coverage detector (SK and Hyper-K have 40%) and the scintillator one
  has no resolution beyond its 0.5 MeV bins; for DUNE the two differ by the ar40kt matrix's tail
  (measured effects in docs/deficit.md).

Failed supernovae (optional astrophysical nuisance ``f_failed``, off by default): a fraction f of
core collapses forms a black hole with the hotter emission of ``failed_supernovae.csv``; the signal is
(1 - f) x [the prediction] + f x [the same Model at the same lam and sfr_norm with that emission]
(the transport is linear in the source).  ``failed_fraction`` sets f in the null (and the value used
when a call does not pass ``f_failed``); a Problem may pass ``f_failed`` as a free parameter (its
Gaussian prior is the Problem's, :func:`relicboost.inference.forecast.forecast`).

Statistics (stated null, full model): the data are the Asimov counts n_i = mu_i(null) of a stated
null prediction (the standard DSNB, lam = 0, plus backgrounds), and -2 ln L(p) is the Poisson
deviance 2 sum[mu_i - n_i + n_i ln(n_i / mu_i)] of the full prediction p against them: the median
exclusion statistic of p (Cowan et al. 2011).  In the consistent convention lam > 0 lowers the
counts (deficit), in the paper convention it raises them (excess); the statistic sees both.
:meth:`discovery_q0` is the reverse (data = the tested point, hypothesis = the null).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from relicboost.data import load_table, register_reference
from relicboost.physics import detector_response, ibd
from relicboost.physics.sources import failed_sn_emission

from . import statistics as st
from .base import Likelihood, Prior

#: Seconds per (Julian) year.
SECONDS_PER_YEAR: float = 3.15576e7
#: True-energy integration grid, MeV (from the IBD threshold to 100 MeV).
_FINE_STEP_MEV: float = 0.05
_EMAX_MEV: float = 100.0
_MICHEL_EMAX_MEV: float = 52.83
SHAPES: tuple[str, ...] = ("michel", "flat", "falling")
#: Detector responses (module docstring).
RESPONSES: tuple[str, ...] = ("gaussian", "snowglobes")


@lru_cache(maxsize=1)
def detector_table() -> pd.DataFrame:
    """The detector configurations (``relicboost/data/dsnb_detectors.csv``)."""
    return load_table("dsnb_detectors")


def _shape(name: str, e: np.ndarray) -> np.ndarray:
    if name == "michel":
        x = np.clip(e / _MICHEL_EMAX_MEV, 0.0, 1.0)
        return x ** 2 * (3.0 - 2.0 * x)
    if name == "flat":
        return np.ones_like(e)
    if name == "falling":
        return np.exp(-e / 10.0)
    raise ValueError(f"background shape {name!r}; allowed: {SHAPES}")


class DSNBDetector(Likelihood):
    """Binned visible-energy Poisson forecast of one detector (base of SKGd, JUNO, HyperK, DUNE).

    Parameters
    ----------
    null_prediction : Prediction
        The stated null (lam = 0 of the same Model): its counts are the Asimov data.
    years : float
        Live time, years (> 0).
    detector : str
        Row of ``dsnb_detectors.csv``.
    threshold_MeV, emax_MeV : float, optional
        Visible-energy window, MeV (default: the table's window).
    bin_width_MeV : float, optional
        Bin width, MeV (default from the table; the last bin may be narrower).
    efficiency : float or sequence of float, optional
        Signal efficiency in (0, 1], one value or one per visible-energy bin (default: the table's,
        flat in energy).  Applied to the signal and to the FLUKA-computed atmospheric CC events (same
        selection); the tabulated backgrounds are after cuts already.
    background_scale : float
        Multiplier of every background (>= 0; 0 = background free).
    response : {"gaussian", "snowglobes"}
        Energy response (module docstring); default "gaussian".
    failed_fraction : float
        Failed-supernova fraction f in [0, 1] of the null and of calls without ``f_failed`` (default 0).
    failed_sn_model : Model, optional
        The Model that computes the failed-supernova component (needed when f is ever > 0).
    priors : dict, optional
        Constraint terms on astrophysical nuisances.
    """

    is_forecast = True
    detector: str = ""

    def __init__(self, null_prediction: Any, years: float = 10.0, *, detector: str | None = None,
                 threshold_MeV: float | None = None, emax_MeV: float | None = None,
                 bin_width_MeV: float | None = None, efficiency: float | Sequence[float] | None = None,
                 background_scale: float = 1.0, response: str = "gaussian", failed_fraction: float = 0.0,
                 failed_sn_model: Any = None, priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        det = detector or self.detector
        table = detector_table()
        row = table[table["detector"] == det]
        if row.empty:
            raise ValueError(f"detector={det!r}; allowed: {table['detector'].tolist()}")
        cfg = row.iloc[0]
        if not (np.isfinite(years) and years > 0):
            raise ValueError(f"years={years} must be > 0")
        lo = float(cfg["window_low_MeV"] if threshold_MeV is None else threshold_MeV)
        hi = float(cfg["window_high_MeV"] if emax_MeV is None else emax_MeV)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi <= 90.0):
            raise ValueError(f"threshold_MeV={lo}, emax_MeV={hi}: need 0 < threshold < emax <= 90 MeV")
        width = float(cfg["bin_width_MeV"] if bin_width_MeV is None else bin_width_MeV)
        if not (np.isfinite(width) and width > 0):
            raise ValueError(f"bin_width_MeV={width} must be > 0")
        if response not in RESPONSES:
            raise ValueError(f"response={response!r}; allowed: {RESPONSES}")
        if not (np.isfinite(background_scale) and background_scale >= 0):
            raise ValueError(f"background_scale={background_scale} must be >= 0")
        if null_prediction is None or float(null_prediction.params.get("lam", 0.0)) != 0.0:
            raise ValueError("null_prediction: a lam = 0 Prediction (the stated null) is required")
        n = max(1, int(np.ceil((hi - lo) / width - 1e-9)))
        self.edges_MeV = np.minimum(lo + width * np.arange(n + 1), hi)
        eff_in = np.asarray(cfg["efficiency"] if efficiency is None else efficiency, dtype=float)
        eff = np.broadcast_to(eff_in, (n,)) if eff_in.ndim == 0 or len(eff_in) == n else None
        if eff is None or not (np.all(np.isfinite(eff)) and np.all(eff > 0) and np.all(eff <= 1)):
            raise ValueError(f"efficiency={efficiency!r}: one value or {n} per-bin values, each in (0, 1]")
        self.detector, self.channel, self.years = det, str(cfg["channel"]), float(years)
        self.response = response
        #: Signal efficiency per visible-energy bin.
        self.efficiency = np.array(eff)
        self.species = "nuebar" if self.channel == "ibd" else "nue"
        self.fiducial_mass_kt = float(cfg["fiducial_mass_kt"])
        self.name = det
        self._bib_keys = list(table.attrs["bibkeys"]) + ["StrumiaVissani2003IBD", "Cowan2011Asimov"]
        if self.channel == "argon" or response == "snowglobes":
            self._bib_keys.append("SNOwGLoBES")
        register_reference(*self._bib_keys)
        self._fine = np.arange(ibd.IBD_THRESHOLD_MEV if self.channel == "ibd" else 3.1, _EMAX_MEV, _FINE_STEP_MEV)
        self._matrix = self._response(cfg)
        self.backgrounds = {k: v * background_scale for k, v in self._backgrounds().items()}
        self.null_convention = str(getattr(null_prediction, "convention", "n/a"))
        self._failed_model = failed_sn_model
        self._failed_cache: OrderedDict[tuple[float, float], np.ndarray] = OrderedDict()
        self.failed_fraction = self._check_fraction(failed_fraction)
        if failed_sn_model is not None:
            self._bib_keys += ["Kochanek2014FailedSN", "Lunardini2009FailedSN", "KeehnLunardini2012"]
            register_reference(*self._bib_keys)
        self.asimov_data = self.expected(null_prediction)
        self.label = (f"{det} FORECAST: {self.fiducial_mass_kt:g} kt x {self.years:g} yr, {self.species} "
                      f"{self.channel}, E_vis {lo:g}-{hi:g} MeV in {n} bins, eff {np.mean(eff):.3g} (mean), "
                      f"{self._response_text(cfg)} response{self._failed_text()}; Asimov data = "
                      f"null (lam = 0, {self.null_convention} convention) + backgrounds")

    # ---- response --------------------------------------------------------------------
    def _response(self, cfg: Any) -> np.ndarray:
        e = self._fine
        sigma = ibd.cross_section_cm2(e) if self.channel == "ibd" else ibd.nue_argon_cross_section_cm2(e)
        if self.response == "snowglobes":
            probs = detector_response.response_matrix(str(cfg["snowglobes_config"]), e, self.edges_MeV)
        else:
            vis = ibd.visible_energy_MeV(e, self.channel, float(cfg["visible_offset_MeV"]))
            res = ibd.resolution_MeV(vis, float(cfg["res_a_MeV"]), float(cfg["res_b_sqrtMeV"]), float(cfg["res_c"]))
            probs = ibd.bin_probabilities(vis, res, self.edges_MeV)
        w = np.full(e.size, _FINE_STEP_MEV)
        w[0] = w[-1] = 0.5 * _FINE_STEP_MEV
        exposure = self.fiducial_mass_kt * float(cfg["targets_per_kt"]) * self.years * SECONDS_PER_YEAR
        return exposure * self.efficiency[:, None] * probs * (sigma * w)[None, :]

    def _failed_text(self) -> str:
        return f", failed-SN fraction {self.failed_fraction:g} in the null" if self.failed_fraction > 0 else ""

    def _response_text(self, cfg: Any) -> str:
        if self.response == "snowglobes":
            return f"SNOwGLoBES {cfg['snowglobes_config']}"
        return "Gaussian"


    @property
    def required_energy_range(self) -> tuple[float, float]:
        """Neutrino energies (MeV) the prediction must cover."""
        return (float(self._fine[0]), _EMAX_MEV)

    def fold(self, energy_MeV: np.ndarray, flux: np.ndarray) -> np.ndarray:
        """Events per bin from a differential flux (cm^-2 s^-1 MeV^-1) tabulated at ``energy_MeV``
        (linear interpolation in ln E; zero outside the table)."""
        e = np.asarray(energy_MeV, dtype=float)
        f = np.interp(np.log(self._fine), np.log(e), np.asarray(flux, dtype=float), left=0.0, right=0.0)
        return self._matrix @ f

    def _backgrounds(self) -> dict[str, np.ndarray]:
        flavour = "nuebar" if self.channel == "ibd" else "nue"
        atm = load_table(f"atmospheric_fluka_{flavour}")
        out = {f"atmospheric_{flavour}_cc": self.fold(atm["energy_MeV"].to_numpy(float),
                                                       atm["flux_cm-2_s-1_MeV-1"].to_numpy(float))}
        table = load_table("dsnb_detector_backgrounds")
        fine = np.linspace(self.edges_MeV[0], self.edges_MeV[-1], 2001)
        for _, row in table[table["detector"] == self.detector].iterrows():
            dens = _shape(str(row["shape"]), fine)
            cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))])
            frac = np.diff(np.interp(self.edges_MeV, fine, cum)) / cum[-1]
            out[str(row["component"])] = float(row["events_per_yr"]) * self.years * frac
        return out

    # ---- counts ----------------------------------------------------------------------
    def signal_counts(self, prediction: Any, component: str = "total") -> np.ndarray:
        """Events per bin from the prediction's flux (``component``: dsnb, boosted or total)."""
        lo, hi = self.required_energy_range
        e = np.asarray(prediction.energy)
        if e[0] > lo or e[-1] < hi:
            raise ValueError(f"{self.name}: prediction grid [{e[0]:g}, {e[-1]:g}] MeV must cover "
                             f"[{lo:.3g}, {hi:g}] MeV")
        return self.fold(e, prediction.flux(self.species, component))

    @property
    def background_counts(self) -> np.ndarray:
        """Total background events per bin."""
        return sum(self.backgrounds.values(), np.zeros(self.edges_MeV.size - 1))

    def expected(self, prediction: Any, f_failed: float | None = None) -> np.ndarray:
        """Expected events per bin: full signal (attenuated DSNB + boosted; with a failed-SN fraction
        ``f_failed``, default :attr:`failed_fraction`) + backgrounds."""
        f = self.failed_fraction if f_failed is None else self._check_fraction(f_failed)
        signal = self.signal_counts(prediction)
        if f > 0:
            signal = (1.0 - f) * signal + f * self.failed_signal_counts(prediction)
        return signal + self.background_counts

    @staticmethod
    def _check_fraction(f: float) -> float:
        f = float(f)
        if not (math.isfinite(f) and 0.0 <= f <= 1.0):
            raise ValueError(f"f_failed={f} must be in [0, 1] (fraction of failed core collapses)")
        return f

    def failed_signal_counts(self, prediction: Any) -> np.ndarray:
        """Events per bin if every collapse were a failed one, at the prediction's lam and sfr_norm
        (the Model given as ``failed_sn_model``; the last 64 (lam, sfr_norm) are cached)."""
        if self._failed_model is None:
            raise ValueError(f"{self.name}: a failed-SN fraction > 0 needs failed_sn_model (the Model)")
        key = (float(prediction.params.get("lam", 0.0)), float(prediction.params.get("sfr_norm", 1.0)))
        if key not in self._failed_cache:
            bh = self._failed_model.predict(key[0], sfr_norm=key[1], **failed_sn_emission())
            self._failed_cache[key] = self.signal_counts(bh)
            while len(self._failed_cache) > 64:
                self._failed_cache.popitem(last=False)
        self._failed_cache.move_to_end(key)
        return self._failed_cache[key]

    def table(self, prediction: Any) -> pd.DataFrame:
        """Per-bin events by source, with units in the column names."""
        cols: dict[str, np.ndarray] = {"E_vis_low_MeV": self.edges_MeV[:-1], "E_vis_high_MeV": self.edges_MeV[1:]}
        for comp in ("dsnb", "boosted", "total"):
            cols[f"{comp}_events"] = self.signal_counts(prediction, comp)
        for k, v in self.backgrounds.items():
            cols[f"{k}_events"] = v
        cols["asimov_null_events"] = self.asimov_data
        return pd.DataFrame(cols)

    # ---- statistics ------------------------------------------------------------------
    def data_chi2(self, prediction: Any, f_failed: float | None = None) -> float:
        """Median exclusion statistic of the full prediction vs Asimov null data, -2 ln L."""
        return st.poisson_deviance(self.asimov_data, self.expected(prediction, f_failed))

    def __call__(self, prediction: Any, f_failed: float | None = None) -> float:
        """-2 ln L = data term (with the failed-SN fraction ``f_failed``) + constraint terms."""
        value = self.data_chi2(prediction, f_failed) + self.constraint_chi2(prediction.params)
        if math.isnan(value):
            raise ValueError(f"{self.name}: -2 ln L is NaN")
        return value

    def discovery_q0(self, prediction: Any) -> float:
        """Median discovery statistic: data = the tested point, hypothesis = the null."""
        return st.poisson_deviance(self.expected(prediction), self.asimov_data)


class SKGd(DSNBDetector):
    """Super-Kamiokande with gadolinium (22.5 kt fiducial water, neutron tagging), IBD forecast."""

    detector = "skgd"


class JUNO(DSNBDetector):
    """JUNO (20 kt liquid scintillator, PSD against atmospheric NC), IBD forecast."""

    detector = "juno"


class HyperK(DSNBDetector):
    """Hyper-Kamiokande, one 187 kt tank, IBD forecast; ``gadolinium=True`` uses the Gd row."""

    detector = "hyperk"

    def __init__(self, null_prediction: Any, years: float = 10.0, *, gadolinium: bool = False,
                 **kwargs: Any) -> None:
        kwargs.setdefault("detector", "hyperk_gd" if gadolinium else "hyperk")
        super().__init__(null_prediction, years, **kwargs)


class DUNE(DSNBDetector):
    """DUNE far detector (40 kt liquid argon), nu_e charged current on 40Ar, forecast."""

    detector = "dune"


DETECTORS: dict[str, type[DSNBDetector]] = {"skgd": SKGd, "juno": JUNO, "hyperk": HyperK, "dune": DUNE}
