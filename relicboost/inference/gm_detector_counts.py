"""Binned IBD / argon signal counts of the DSNB detectors per (g, M) grid point, and the detector
likelihoods evaluated on them.

A (g, M) scan (:mod:`relicboost.inference.gm_scan`) folds each prediction with the default
configuration of every detector of ``dsnb_detectors.csv`` (:data:`COUNT_DETECTORS`: fiducial mass,
flat efficiency, visible-energy window and bins, Gaussian response;
:class:`relicboost.likelihoods.dsnb_detectors.DSNBDetector`) and stores the **signal** events per
visible-energy bin per year of live time (full flux: attenuated DSNB + boosted CvB, no backgrounds)
as table columns ``<detector>_signal_events_per_yr_Evis_<lo>-<hi>MeV``; the g = 0 counts of the same
Model (the null) go into the table header.  Folding costs ~1 ms per point for the five detectors
(the transport costs ~100 ms and more).

:class:`TabulatedDetector` is the same detector likelihood (same backgrounds, Asimov data, priors,
Poisson deviance and constraint terms: the class only replaces the folding of a flux by the
tabulated counts) evaluated on a :class:`RowCounts` (the counts of one row, scaled by the rate
normalisation ``sfr_norm``, to which the flux is proportional: the transport is linear in the source).
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from relicboost.likelihoods.dsnb_detectors import DSNBDetector, detector_table

#: Detectors whose counts a scan table carries (every row of ``dsnb_detectors.csv``).
COUNT_DETECTORS: tuple[str, ...] = ("skgd", "juno", "hyperk", "hyperk_gd", "dune")
NULL_KEY = "detector_null_signal_events_per_yr"
#: Per-process cache: (the null prediction it was built with, the detectors at 1 yr).
_UNIT_DETECTORS: dict[str, tuple[Any, dict[str, DSNBDetector]]] = {}


def detector_edges_MeV(detector: str) -> np.ndarray:
    """Visible-energy bin edges (MeV) of a detector's default configuration (the rule of DSNBDetector)."""
    return np.array(_edges(detector))


@functools.lru_cache(maxsize=16)
def _edges(detector: str) -> tuple[float, ...]:
    table = detector_table()
    cfg = table[table["detector"] == detector]
    if cfg.empty:
        raise ValueError(f"detector={detector!r}; allowed: {COUNT_DETECTORS}")
    lo, hi, width = (float(cfg[c].iloc[0]) for c in ("window_low_MeV", "window_high_MeV", "bin_width_MeV"))
    n = max(1, int(np.ceil((hi - lo) / width - 1e-9)))
    return tuple(float(x) for x in np.minimum(lo + width * np.arange(n + 1), hi))


def count_columns(detector: str) -> list[str]:
    """Table columns of one detector's signal events per year per visible-energy bin."""
    return list(_count_columns(detector))


@functools.lru_cache(maxsize=16)
def _count_columns(detector: str) -> tuple[str, ...]:
    return tuple(f"{detector}_signal_events_per_yr_Evis_{lo:g}-{hi:g}MeV"
                 for lo, hi in itertools.pairwise(_edges(detector)))


def all_count_columns() -> list[str]:
    """Count columns of every detector of :data:`COUNT_DETECTORS`, table order."""
    return [c for d in COUNT_DETECTORS for c in count_columns(d)]


def _unit_detectors(null_prediction: Any) -> dict[str, DSNBDetector]:
    cached = _UNIT_DETECTORS.get("state")
    if cached is None or cached[0] is not null_prediction:
        dets = {d: DSNBDetector(null_prediction, 1.0, detector=d) for d in COUNT_DETECTORS}
        for d, det in dets.items():
            if not np.allclose(det.edges_MeV, detector_edges_MeV(d), rtol=0, atol=1e-12):
                raise RuntimeError(f"{d}: bin edges of DSNBDetector and of the count columns differ")
        _UNIT_DETECTORS["state"] = cached = (null_prediction, dets)
    return cached[1]


def detector_observables(prediction: Any, null_prediction: Any) -> dict[str, float]:
    """Signal events per year per bin of every detector for ``prediction`` (column -> value).

    Parameters
    ----------
    prediction : Prediction
        Must cover 1.806-100 MeV (IBD) and 3.1-100 MeV (argon).
    null_prediction : Prediction
        The g = 0 prediction of the same Model (builds the detectors once per process).
    """
    out: dict[str, float] = {}
    for d, det in _unit_detectors(null_prediction).items():
        out.update(zip(count_columns(d), (float(x) for x in det.signal_counts(prediction))))
    return out


def detector_header(null_prediction: Any) -> dict[str, Any]:
    """Header entries of a scan table: what the count columns are, and the null's counts per year."""
    dets = _unit_detectors(null_prediction)
    return {"detector_counts": ("<detector>_signal_events_per_yr_Evis_<lo>-<hi>MeV = signal events (full flux: "
                                "attenuated DSNB + boosted, no backgrounds) per visible-energy bin per year of live "
                                "time, default configuration of dsnb_detectors.csv (Gaussian response); evaluate a "
                                "detector likelihood with relicboost.inference.gm_detector_counts.TabulatedDetector"),
            NULL_KEY: {d: [float(x) for x in det.signal_counts(null_prediction)] for d, det in dets.items()}}


class RowCounts:
    """Prediction stand-in holding tabulated signal counts per year, scaled by the rate normalisation.

    Parameters
    ----------
    counts_per_yr : mapping
        Detector name -> signal events per bin per year at the table's ``sfr_norm``.
    params : mapping
        Parameters (the table's nuisances, lam, g, M_MeV ...); ``sfr_norm`` here may differ from
        ``table_sfr_norm``: the counts scale by their ratio.
    table_sfr_norm : float
        sfr_norm at which the counts were tabulated.
    convention : str
    """

    def __init__(self, counts_per_yr: Mapping[str, np.ndarray], params: Mapping[str, Any],
                 table_sfr_norm: float = 1.0, convention: str = "n/a") -> None:
        self.counts_per_yr = counts_per_yr
        self.params = dict(params)
        self.table_sfr_norm = float(table_sfr_norm)
        self.convention = convention

    def with_sfr_norm(self, sfr_norm: float) -> RowCounts:
        """The same row at another rate normalisation."""
        return RowCounts(self.counts_per_yr, {**self.params, "sfr_norm": float(sfr_norm)}, self.table_sfr_norm,
                         self.convention)

    def events_per_yr(self, detector: str) -> np.ndarray:
        """Signal events per bin per year of ``detector`` at this row's sfr_norm."""
        if detector not in self.counts_per_yr:
            raise ValueError(f"the table holds counts of {sorted(self.counts_per_yr)}, not {detector!r}")
        scale = float(self.params.get("sfr_norm", self.table_sfr_norm)) / self.table_sfr_norm
        return scale * np.asarray(self.counts_per_yr[detector], dtype=float)


def table_counts(table: Any, detectors: tuple[str, ...] = COUNT_DETECTORS) -> list[RowCounts]:
    """:class:`RowCounts` of every row of a scan table (``table.attrs``: its header), row order."""
    attrs = table.attrs
    missing = [c for d in detectors for c in count_columns(d) if c not in table.columns]
    if missing:
        raise ValueError(f"scan table lacks detector count columns {missing[:3]}... (made before they existed?)")
    arrays = {d: table[count_columns(d)].to_numpy(float) for d in detectors}
    nuis = dict(attrs["nuisances"])
    coords = table[["g", "M_MeV", "lam_heavy_mapping_MeV-3"]].to_numpy(float)
    return [RowCounts({d: a[i] for d, a in arrays.items()}, {**nuis, "g": g, "M_MeV": M, "lam": lam},
                      float(nuis.get("sfr_norm", 1.0)), str(attrs["convention"]))
            for i, (g, M, lam) in enumerate(coords)]


def null_counts(attrs: Mapping[str, Any]) -> RowCounts:
    """The null (g = 0 of the same Model) as a :class:`RowCounts`, from a scan-table header."""
    if NULL_KEY not in attrs:
        raise ValueError(f"scan table has no {NULL_KEY!r} header entry (made before detector counts existed?)")
    nuis = dict(attrs["nuisances"])
    counts = {d: np.asarray(v, dtype=float) for d, v in attrs[NULL_KEY].items()}
    return RowCounts(counts, {**nuis, "lam": 0.0, "g": 0.0}, float(nuis.get("sfr_norm", 1.0)),
                     str(attrs["convention"]))


class TabulatedDetector(DSNBDetector):
    """A :class:`DSNBDetector` whose signal counts are read from a :class:`RowCounts` (``years`` x the
    counts per year) instead of folded from a flux; everything else (backgrounds, Asimov data from
    the null, priors, -2 ln L) is the detector's own.  Only the default configuration (no
    threshold/bin/efficiency/response options) matches the tabulated counts; failed supernovae are
    not available (f = 0).
    """

    def __init__(self, null: RowCounts, years: float, detector: str, **kwargs: Any) -> None:
        bad = set(kwargs) - {"background_scale", "priors"}
        if bad:
            raise ValueError(f"TabulatedDetector: options {sorted(bad)} change the tabulated counts; "
                             "only background_scale and priors are allowed")
        super().__init__(null, years, detector=detector, **kwargs)
        self._background_total = super().background_counts

    @property
    def background_counts(self) -> np.ndarray:
        """Total background events per bin (the sum of :attr:`backgrounds`, computed once)."""
        cached = self.__dict__.get("_background_total")
        return super().background_counts if cached is None else cached

    def signal_counts(self, prediction: Any, component: str = "total") -> np.ndarray:
        if component != "total":
            raise ValueError(f"tabulated counts are of the total flux only, asked {component!r}")
        if not isinstance(prediction, RowCounts):
            raise TypeError("TabulatedDetector evaluates RowCounts (tabulated counts), not a flux prediction")
        return self.years * prediction.events_per_yr(self.detector)
