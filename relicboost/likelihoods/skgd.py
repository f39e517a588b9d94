"""SK-Gd projected flux sensitivity as a one-sided limit (FORECAST, not data; the paper's Sec. V number).

The binned visible-energy SK-Gd forecast is :class:`relicboost.likelihoods.SKGd`
(:mod:`relicboost.likelihoods.dsnb_detectors`); this class keeps the single projected number
(before issue 12 it was called ``SKGd``).

Super-Kamiokande with gadolinium is expected to reach Phi(nu_e-bar) < ~1 cm^-2 s^-1
above 17.3 MeV after about ten years (Das, Perez-Gonzalez, Sen 2022, Sec. V,
quoting Abe et al. 2021).  Represented like a published 90% C.L. limit (one-sided
Gaussian centred at zero flux, sigma = 1 / 1.2816), i.e. as the median
expected limit of a background-free experiment; it is a forecast.

Caveat: the standard DSNB of the paper inputs (1.6-2.1 cm^-2 s^-1 above 17.3 MeV for
T_nuebar = 6-7 MeV) already exceeds 1 cm^-2 s^-1, so with the absolute reference
(-2 ln L = z^2) even lam = 0 is "excluded": SK-Gd would detect the DSNB.  For the
reach in lam use the Delta relative to lam = 0 (``reference="model"`` in
relicboost.inference.limits); this treats the standard DSNB as known.
"""
from __future__ import annotations

from collections.abc import Mapping

from relicboost.data import load_table
from relicboost.physics.validation import check_number

from .base import Prior
from .flux_limits import IntegratedFluxLimit, PublishedFluxLimit


class SKGdProjectedLimit(PublishedFluxLimit):
    """SK-Gd projected sensitivity on the nu_e-bar flux above 17.3 MeV (forecast).

    Parameters
    ----------
    sensitivity : float, optional
        Override the projected 90% C.L. sensitivity, cm^-2 s^-1 (default from the data table, 1.0).
    priors : dict, optional
        Constraint terms on astrophysical nuisances.
    """

    name = "skgd-projected"
    is_forecast = True
    _impl: IntegratedFluxLimit

    def __init__(self, sensitivity: float | None = None, priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        df = load_table("skgd_projected_sensitivity", required_columns=("E_min_MeV", "sensitivity_cm-2_s-1"))
        value = float(df["sensitivity_cm-2_s-1"].iloc[0]) if sensitivity is None else check_number("sensitivity", sensitivity)
        self._impl = IntegratedFluxLimit(value, float(df["E_min_MeV"].iloc[0]), cl=float(df.attrs["cl"]))
        self._bib_keys = list(df.attrs["bibkeys"])
        self.label = (f"SK-Gd FORECAST: nu_e-bar flux above {self._impl.emin_MeV:g} MeV < {value:g} "
                      f"cm^-2 s^-1 (projected, ~10 yr)")

    @property
    def limit(self) -> float:
        """Projected sensitivity, cm^-2 s^-1."""
        return self._impl.limit
