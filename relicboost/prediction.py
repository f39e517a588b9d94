"""What a :class:`relicboost.Model` returns: :class:`Prediction`, the fluxes today at one point."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .physics import detection
from .physics.edge_quadrature import edge_integrated_flux
from .physics.sources import SPECIES
from .physics.validation import check_choice

#: Species that can be asked for: the three computed ones and the sum of six.
SPECIES_NAMES = ("nue", "nuebar", "nux", "all")
COMPONENTS = ("dsnb", "boosted", "total")
_COMPUTED = tuple(SPECIES)  # ("nue", "nuebar", "nux")


@dataclass(frozen=True)
class Prediction:
    """Fluxes today for one parameter point.

    Attributes
    ----------
    energy : numpy.ndarray
        Energy nodes, MeV.
    dsnb, boosted : dict[str, numpy.ndarray]
        Per species ("nue", "nuebar", "nux" = one of four heavy-lepton species),
        differential flux in cm^-2 s^-1 MeV^-1.
    params : dict
        Parameters used (lam in MeV^-3, temperatures in MeV, E_tot in erg, ...).
    convention : str
        Propagation convention.
    options : dict
        Resolved convention options (see docs/conventions.md).
    boosted_channels : int
        Boosted flavour channels a flavour-blind (CEvNS) detector counts by default: 3 in the
        paper convention (what the paper's numbers correspond to), 6 otherwise
        (:mod:`relicboost.physics.cevns`).
    windows : relicboost.physics.detection.WindowWeights, optional
        Integration weights on ``energy`` shared by the Model's predictions (the window
        integrals are then one dot product); None: built per call.
    """

    energy: np.ndarray
    dsnb: dict
    boosted: dict
    params: dict
    convention: str
    options: dict = field(default_factory=dict)
    boosted_channels: int = 6
    windows: detection.WindowWeights | None = field(default=None, repr=False, compare=False)
    resonance_edge: tuple[float, float] | None = None

    def flux(self, species: str = "nuebar", component: str = "total") -> np.ndarray:
        """Differential flux today, cm^-2 s^-1 MeV^-1.

        Parameters
        ----------
        species : {"nue", "nuebar", "nux", "all"}
            "nux" is ONE of the four heavy-lepton species; "all" sums all six.
        component : {"dsnb", "boosted", "total"}
            Attenuated DSNB, upscattered CvB, or their sum.
        """
        check_choice("species", species, SPECIES_NAMES)
        check_choice("component", component, COMPONENTS)
        if species == "all":
            return np.sum([SPECIES[s] * self.flux(s, component) for s in _COMPUTED], axis=0)
        if component == "dsnb":
            return self.dsnb[species]
        if component == "boosted":
            return self.boosted[species]
        return self.dsnb[species] + self.boosted[species]

    def integrated_flux(self, species: str = "nuebar", emin: float = detection.SK_THRESHOLD_MEV,
                        emax: float | None = None, component: str = "total") -> float:
        """Flux integrated over [emin, emax] MeV (emax default: grid end, 200 MeV), cm^-2 s^-1."""
        if self._straddles(emin, emax):
            return self._edge_integral(species, component, emin, emax)
        if self.windows is not None and self.windows.energy is self.energy:
            return float(self.windows.integrated(emin, emax) @ self.flux(species, component))
        return detection.integrated_flux(self.energy, self.flux(species, component), emin, emax)

    def binned_flux(self, species: str, edges_MeV, component: str = "total") -> np.ndarray:
        """Mean differential flux in each bin of ``edges_MeV`` (MeV), cm^-2 s^-1 MeV^-1."""
        if self.windows is not None and self.windows.energy is self.energy:
            out = self.windows.binned(edges_MeV) @ self.flux(species, component)
        else:
            out = detection.binned_flux(self.energy, self.flux(species, component), edges_MeV)
        edges = np.asarray(edges_MeV, dtype=float)
        for k in range(edges.size - 1):
            if self._straddles(edges[k], edges[k + 1]):
                out[k] = self._edge_integral(species, component, edges[k], edges[k + 1]) / (edges[k + 1] - edges[k])
        return out

    def _straddles(self, emin: float, emax: float | None) -> bool:
        """Whether the window [emin, emax] MeV contains the resonance edge strictly."""
        if self.resonance_edge is None:
            return False
        hi = float(self.energy[-1]) if emax is None else float(emax)
        return float(emin) < self.resonance_edge[0] < hi

    def _edge_integral(self, species: str, component: str, emin: float, emax: float | None) -> float:
        """:func:`relicboost.physics.edge_quadrature.edge_integrated_flux` of one species and component."""
        if self.resonance_edge is None:
            raise ValueError("no resonance edge on this prediction")
        e_res, c = self.resonance_edge
        zero = np.zeros_like(self.energy)
        unscattered = self.flux(species, "dsnb") if component != "boosted" else zero
        rest = self.flux(species, "boosted") if component != "dsnb" else zero
        return edge_integrated_flux(self.energy, unscattered, rest, emin, emax, e_res, c)

    def to_frame(self):
        """All fluxes as a pandas DataFrame with units in the column names.

        ``frame.attrs`` records the point: ``lam_MeV-3``, the other parameters
        (``params``), ``convention`` and the resolved convention ``options``.
        """
        import pandas as pd

        cols = {"energy_MeV": self.energy}
        for s in SPECIES_NAMES:
            for c in COMPONENTS:
                cols[f"{s}_{c}_flux_cm-2_s-1_MeV-1"] = self.flux(s, c)
        frame = pd.DataFrame(cols)
        frame.attrs.update({"lam_MeV-3": self.params.get("lam"), "params": dict(self.params),
                            "convention": self.convention, "options": dict(self.options)})
        return frame
