"""Borexino nu_e-bar flux limits (Agostini et al., Astropart. Phys. 125 (2021) 102509, arXiv:1909.02422).

90% C.L. upper limits on the nu_e-bar differential flux in 15 1-MeV bins from
1.8 to 16.8 MeV (Fig. 4; transcription status: to confirm), combined as
``binned_mode="strongest"`` or ``"independent"`` (see
:mod:`relicboost.likelihoods.flux_limits`).  Borexino published limits only:
events and backgrounds per bin are not public, so no full Poisson likelihood.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .base import Prior
from .flux_limits import BinnedFluxLimit, PublishedFluxLimit, load_binned


class Borexino(PublishedFluxLimit):
    """Borexino per-bin upper limits on the nu_e-bar flux, 1.8-16.8 MeV.

    Parameters
    ----------
    binned_mode : {"strongest", "independent"}
        How per-bin limits combine.
    priors : dict, optional
        Constraint terms on astrophysical nuisances.
    """

    name = "borexino"
    _impl: BinnedFluxLimit

    def __init__(self, binned_mode: str = "strongest", priors: Mapping[str, Prior] | None = None) -> None:
        super().__init__(priors)
        edges, limits, cl, keys = load_binned("borexino_binned_limits")
        self._impl = BinnedFluxLimit(edges, limits, binned_mode=binned_mode, cl=cl)
        self._bib_keys = keys
        self.binned_mode = binned_mode
        self.mode = "binned"
        self.label = f"Borexino per-bin nu_e-bar limits {edges[0]:g}-{edges[-1]:g} MeV ({binned_mode})"

    @property
    def limit(self) -> np.ndarray:
        """Per-bin limits, cm^-2 s^-1 MeV^-1."""
        return self._impl.limits

    @property
    def edges_MeV(self) -> np.ndarray:
        """Bin edges, MeV."""
        return self._impl.edges_MeV
