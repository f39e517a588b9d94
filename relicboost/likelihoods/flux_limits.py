"""Likelihoods built from published flux upper limits (integrated or per energy bin).

The experiments behind these classes (Super-Kamiokande, Borexino) published
90% C.L. upper limits only; the per-bin observed events, backgrounds and
efficiencies are not public, so a full Poisson likelihood of their data cannot
be rebuilt.  Each limit Phi_UL is represented by a zero-centred one-sided
Gaussian, sigma = Phi_UL / z_CL (:mod:`relicboost.likelihoods.statistics`), so
that the one-sided limit on a pure flux normalisation returns Phi_UL exactly.

Binned limits are combined in one of two ways:

``"strongest"``
    -2 ln L = max over bins of (Phi_i / sigma_i)^2: the bin that constrains the
    prediction most decides.  A limit on a flux normalisation equals the
    strongest single-bin limit (conservative; what the experiments' per-bin
    plots support).  The max makes -2 ln L only piecewise smooth.
``"independent"``
    -2 ln L = sum over bins: the bins are treated as independent Gaussian
    measurements.  The combined limit is tighter than the strongest bin (by up
    to sqrt(n_bins)); the experiments did not publish such a combination and the
    bins share systematics, so this mode is aggressive.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from relicboost.data import load_table
from relicboost.physics.validation import check_finite, check_number

from .base import Likelihood, Prior, check_cl, check_grid_covers
from .statistics import one_sided_gaussian_chi2

BINNED_MODES: tuple[str, ...] = ("strongest", "independent")


class IntegratedFluxLimit(Likelihood):
    """Upper limit on the flux of one species integrated above ``emin_MeV``.

    Parameters
    ----------
    limit
        Upper limit in cm^-2 s^-1 (> 0).
    emin_MeV
        Lower end of the integration, MeV.
    emax_MeV
        Grid energy the prediction must reach (the integral runs to the grid end), MeV.
    cl
        Confidence level of ``limit``.
    species
        Species passed to ``Prediction.integrated_flux``.
    priors
        Nuisance priors, see :class:`~relicboost.likelihoods.base.Likelihood`.
    """

    def __init__(self, limit: float, emin_MeV: float, emax_MeV: float = 100.0, cl: float = 0.90,
                 species: str = "nuebar", priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        limit, emin_MeV, emax_MeV = (check_number(n, v) for n, v in
                                     (("limit", limit), ("emin_MeV", emin_MeV), ("emax_MeV", emax_MeV)))
        cl = check_cl(cl)
        if not limit > 0:
            raise ValueError(f"limit={limit} must be a finite flux > 0 (cm^-2 s^-1)")
        if not (0 < emin_MeV < emax_MeV):
            raise ValueError(f"emin_MeV={emin_MeV}, emax_MeV={emax_MeV}: need 0 < emin < emax")
        self.limit = float(limit)
        self.emin_MeV = float(emin_MeV)
        self.emax_MeV = float(emax_MeV)
        self.cl = float(cl)
        self.species = species

    @property
    def required_energy_range(self) -> tuple[float, float]:
        return (self.emin_MeV, self.emax_MeV)

    def predicted_flux(self, prediction: Any) -> float:
        """Predicted flux above ``emin_MeV`` (to the grid end), cm^-2 s^-1."""
        check_grid_covers(prediction, self.emin_MeV, self.emax_MeV, self.name)
        return float(prediction.integrated_flux(self.species, emin=self.emin_MeV, component="total"))

    def data_chi2(self, prediction: Any) -> float:
        return float(one_sided_gaussian_chi2(self.predicted_flux(prediction), self.limit, self.cl))


class BinnedFluxLimit(Likelihood):
    """Upper limits on the mean differential flux of one species in energy bins.

    Parameters
    ----------
    edges_MeV
        Bin edges, MeV (contiguous bins; n_bins + 1 values).
    limits
        Upper limits on dPhi/dE per bin, cm^-2 s^-1 MeV^-1 (> 0).
    binned_mode
        ``"strongest"`` or ``"independent"`` (module docstring).
    cl, species, priors
        As for :class:`IntegratedFluxLimit`.
    """

    def __init__(self, edges_MeV: np.ndarray, limits: np.ndarray, binned_mode: str = "strongest",
                 cl: float = 0.90, species: str = "nuebar",
                 priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        if binned_mode not in BINNED_MODES:
            raise ValueError(f"binned_mode={binned_mode!r}; allowed: {BINNED_MODES}")
        edges = check_finite("edges_MeV", edges_MeV)
        lim = check_finite("limits", limits)
        cl = check_cl(cl)
        if edges.ndim != 1 or edges.size != lim.size + 1 or np.any(np.diff(edges) <= 0):
            raise ValueError("edges_MeV must be strictly increasing with len(limits) + 1 entries")
        if not np.all(np.isfinite(lim)) or np.any(lim <= 0):
            raise ValueError("limits must be finite and > 0 (cm^-2 s^-1 MeV^-1)")
        self.edges_MeV = edges
        self.limits = lim
        self.binned_mode = binned_mode
        self.cl = float(cl)
        self.species = species

    @staticmethod
    def _edges_from_table(low: np.ndarray, high: np.ndarray, fname: str) -> np.ndarray:
        if not np.allclose(low[1:], high[:-1], rtol=1e-12, atol=0):
            raise ValueError(f"{fname}: bins must be contiguous for a binned flux likelihood")
        return np.append(low, high[-1])

    @property
    def required_energy_range(self) -> tuple[float, float]:
        return (float(self.edges_MeV[0]), float(self.edges_MeV[-1]))

    def predicted_flux(self, prediction: Any) -> np.ndarray:
        """Predicted mean dPhi/dE in each bin, cm^-2 s^-1 MeV^-1."""
        check_grid_covers(prediction, *self.required_energy_range, self.name)
        return np.asarray(prediction.binned_flux(self.species, self.edges_MeV, component="total"), dtype=float)

    def bin_chi2(self, prediction: Any) -> np.ndarray:
        """-2 ln L of each bin separately."""
        return one_sided_gaussian_chi2(self.predicted_flux(prediction), self.limits, self.cl)

    def data_chi2(self, prediction: Any) -> float:
        per_bin = self.bin_chi2(prediction)
        return float(per_bin.max() if self.binned_mode == "strongest" else per_bin.sum())


class PublishedFluxLimit(Likelihood):
    """Base of the experiment likelihoods that wrap an :class:`IntegratedFluxLimit` or a
    :class:`BinnedFluxLimit` (set as ``self._impl`` by the subclass constructor)."""

    _impl: IntegratedFluxLimit | BinnedFluxLimit
    default_limit_method = "published"

    @property
    def published_cl(self) -> float:  # type: ignore[override]
        """C.L. of the published limit(s) the one-sided Gaussians are calibrated to."""
        return self._impl.cl

    @property
    def required_energy_range(self) -> tuple[float, float]:
        return self._impl.required_energy_range

    def predicted_flux(self, prediction: Any) -> float | np.ndarray:
        """Integrated flux (cm^-2 s^-1) or per-bin mean dPhi/dE (cm^-2 s^-1 MeV^-1)."""
        return self._impl.predicted_flux(prediction)

    def data_chi2(self, prediction: Any) -> float:
        return self._impl.data_chi2(prediction)


def load_binned(table: str) -> tuple[np.ndarray, np.ndarray, float, list[str]]:
    """(edges_MeV, limits, cl, bibkeys) from a binned-limit table in relicboost/data."""
    df = load_table(table, required_columns=("E_low_MeV", "E_high_MeV", "limit_cm-2_s-1_MeV-1"))
    low, high = df["E_low_MeV"].to_numpy(float), df["E_high_MeV"].to_numpy(float)
    edges = BinnedFluxLimit._edges_from_table(low, high, df.attrs["name"])
    return edges, df["limit_cm-2_s-1_MeV-1"].to_numpy(float), float(df.attrs["cl"]), list(df.attrs["bibkeys"])
