"""Super-Kamiokande IV nu_e-bar DSNB search (Abe et al., PRD 104 (2021) 122002, arXiv:2109.11174).

Two representations of the published results, both as one-sided Gaussians
(:mod:`relicboost.likelihoods.flux_limits`):

``mode="integrated"`` (default)
    The 90% C.L. limit on the nu_e-bar flux above 17.3 MeV, 2.7 cm^-2 s^-1
    (status: to confirm; an older value 2.9 also circulates: ``limit=2.9``).
    It is the combined SK-I-IV result (22.5 x 5823 kton day), not SK-IV alone.
    The prediction is integrated from 17.3 MeV to the end of its grid (the
    grid must reach 100 MeV; the flux above is negligible for T <= 10 MeV).
``mode="binned"``
    The 11 per-bin 90% C.L. limits on dPhi/dE, 2-MeV bins 9.3-31.3 MeV
    (Fig. 25), combined as ``binned_mode="strongest"`` or ``"independent"``.

SK published limits only: per-bin events, backgrounds and efficiencies are
not public, so a full Poisson likelihood of the SK data cannot be rebuilt.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from relicboost.data import load_table
from relicboost.physics.validation import check_number

from .base import Prior
from .flux_limits import BinnedFluxLimit, IntegratedFluxLimit, PublishedFluxLimit, load_binned

MODES: tuple[str, ...] = ("integrated", "binned")


class SKIV(PublishedFluxLimit):
    """Super-Kamiokande IV upper limits on the nu_e-bar flux.

    Parameters
    ----------
    mode : {"integrated", "binned"}
        Integrated limit above 17.3 MeV, or the 11 per-bin limits.
    binned_mode : {"strongest", "independent"}
        How per-bin limits combine (binned mode only); see
        :mod:`relicboost.likelihoods.flux_limits`.
    limit : float, optional
        Override the integrated limit, cm^-2 s^-1 (integrated mode only; e.g. 2.9).
    priors : dict, optional
        Constraint terms on astrophysical nuisances.
    """

    name = "skiv"

    def __init__(self, mode: str = "integrated", binned_mode: str = "strongest", limit: float | None = None,
                 priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}; allowed: {MODES}")
        self.mode = mode
        self._impl: IntegratedFluxLimit | BinnedFluxLimit
        if mode == "integrated":
            df = load_table("sk4_integrated_limit", required_columns=("E_min_MeV", "limit_cm-2_s-1"))
            published = float(df["limit_cm-2_s-1"].iloc[0])
            value = published if limit is None else check_number("limit", limit)
            self._impl = IntegratedFluxLimit(value, float(df["E_min_MeV"].iloc[0]), cl=float(df.attrs["cl"]))
            self._bib_keys = list(df.attrs["bibkeys"])
            tag = "" if limit is None else " (user-set)"
            self.label = (f"SK-IV nu_e-bar flux above {self._impl.emin_MeV:g} MeV < {value:g} cm^-2 s^-1"
                          f"{tag} ({df.attrs['cl']:.0%} C.L.)")
        else:
            if limit is not None:
                raise ValueError("limit: only for mode='integrated'")
            edges, limits, cl, keys = load_binned("sk4_binned_limits")
            self._impl = BinnedFluxLimit(edges, limits, binned_mode=binned_mode, cl=cl)
            self._bib_keys = keys
            self.label = f"SK-IV per-bin nu_e-bar limits {edges[0]:g}-{edges[-1]:g} MeV ({binned_mode})"
        self.binned_mode = binned_mode if mode == "binned" else None

    @property
    def limit(self) -> float | np.ndarray:
        """Integrated limit (cm^-2 s^-1) or per-bin limits (cm^-2 s^-1 MeV^-1)."""
        # mode "integrated" holds an IntegratedFluxLimit, mode "binned" a BinnedFluxLimit
        return self._impl.limit if isinstance(self._impl, IntegratedFluxLimit) else self._impl.limits

    @property
    def edges_MeV(self) -> np.ndarray | None:
        """Bin edges in MeV (binned mode), None in integrated mode."""
        return self._impl.edges_MeV if isinstance(self._impl, BinnedFluxLimit) else None
