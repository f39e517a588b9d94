"""Detector response from the SNOwGLoBES smearing matrices and efficiencies (our own reader).

SNOwGLoBES (K. Scholberg et al., https://github.com/SNOwGLoBES/snowglobes, the tables snewpy ships)
describes a detector channel on a grid of 200 bins of 0.4975 MeV from 0.5 to 100 MeV, in neutrino
energy (true bin k) and in detected energy (bin r):

* a smearing matrix S[r, k], the probability that an interaction in true bin k is detected in bin r
  (each column sums to 1 up to losses at the grid edges);
* a post-smearing detection efficiency eps[r] per detected-energy bin.

The extracts shipped in ``relicboost/data/snowglobes_<config>.csv`` (provenance in their headers)
keep the detected-energy bins below 40.3 MeV.  :func:`response_matrix` turns a configuration into
the probability P[i, n] that an interaction of a neutrino of energy E_n is counted in analysis bin
i of arbitrary visible-energy edges::

    P[i, n] = sum_r A[i, r] eps[r] S[r, k(E_n)],

with k(E) the true bin containing E (the response is piecewise constant in neutrino energy, as in
SNOwGLoBES, which folds the flux times cross section integrated over each true bin) and A[i, r]
the fraction of detected bin r inside analysis bin i (events uniform within a detected bin).

Units: energies in MeV; probabilities and efficiencies dimensionless.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

#: SNOwGLoBES configurations shipped, with their channel.
SNOWGLOBES_CONFIGS: dict[str, str] = {"wc100kt30prct": "ibd", "scint20kt": "ibd", "ar40kt": "nue_Ar40"}
#: The SNOwGLoBES energy grid (true and detected energy): 200 bins from 0.5 to 100 MeV.
GRID_EDGES_MEV: np.ndarray = np.linspace(0.5, 100.0, 201)
#: Detected-energy bins kept in the shipped extracts (r < 80: below 40.3 MeV).
N_RECO_KEPT: int = 80


@dataclass(frozen=True)
class SmearingTable:
    """One SNOwGLoBES channel on its grid.

    Attributes
    ----------
    config, channel : str
        SNOwGLoBES detector configuration and channel names.
    matrix : numpy.ndarray, shape (N_RECO_KEPT, 200)
        S[r, k]: probability of detection in bin r for an interaction in true bin k.
    efficiency : numpy.ndarray, shape (N_RECO_KEPT,)
        Post-smearing detection efficiency per detected-energy bin.
    """

    config: str
    channel: str
    matrix: np.ndarray
    efficiency: np.ndarray

    @property
    def reco_edges_MeV(self) -> np.ndarray:
        """Detected-energy bin edges of the kept bins, MeV."""
        return GRID_EDGES_MEV[: N_RECO_KEPT + 1]


@lru_cache(maxsize=len(SNOWGLOBES_CONFIGS))
def smearing_table(config: str) -> SmearingTable:
    """Read ``relicboost/data/snowglobes_<config>.csv`` into a :class:`SmearingTable`.

    Parameters
    ----------
    config : str
        One of :data:`SNOWGLOBES_CONFIGS`.
    """
    if config not in SNOWGLOBES_CONFIGS:
        raise ValueError(f"config={config!r}; allowed: {tuple(SNOWGLOBES_CONFIGS)}")
    from relicboost.data import load_table

    df = load_table(f"snowglobes_{config}")
    reco = df["reco_bin"].to_numpy(int)
    true = df["true_bin"].to_numpy(int)
    if reco.max() >= N_RECO_KEPT or true.max() >= GRID_EDGES_MEV.size - 1:
        raise ValueError(f"snowglobes_{config}.csv: bin index outside the {N_RECO_KEPT} x 200 grid")
    matrix = np.zeros((N_RECO_KEPT, GRID_EDGES_MEV.size - 1))
    matrix[reco, true] = df["probability"].to_numpy(float)
    efficiency = np.zeros(N_RECO_KEPT)
    efficiency[reco] = df["efficiency"].to_numpy(float)
    return SmearingTable(config, SNOWGLOBES_CONFIGS[config], matrix, efficiency)


def rebin_fractions(edges_MeV: ArrayLike, fine_edges_MeV: ArrayLike) -> np.ndarray:
    """A[i, r]: fraction of fine bin r inside bin i (uniform within a fine bin).

    Parameters
    ----------
    edges_MeV : array_like, shape (m + 1,)
        Strictly increasing analysis bin edges, MeV.
    fine_edges_MeV : array_like, shape (n + 1,)
        Strictly increasing fine bin edges, MeV.

    Returns
    -------
    numpy.ndarray, shape (m, n)
    """
    edges = np.asarray(edges_MeV, dtype=float)
    fine = np.asarray(fine_edges_MeV, dtype=float)
    for name, e in (("edges_MeV", edges), ("fine_edges_MeV", fine)):
        if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
            raise ValueError(f"{name} must be a strictly increasing 1-D array of >= 2 edges (MeV)")
    lo = np.maximum(edges[:-1, None], fine[None, :-1])
    hi = np.minimum(edges[1:, None], fine[None, 1:])
    return np.clip(hi - lo, 0.0, None) / np.diff(fine)[None, :]


def response_matrix(config: str, energy_MeV: ArrayLike, edges_MeV: ArrayLike) -> np.ndarray:
    """Probability that an interaction at neutrino energy E_n is counted in analysis bin i.

    Includes the SNOwGLoBES smearing and detection efficiency (module docstring); 0 for energies
    outside the 0.5-100 MeV grid.

    Parameters
    ----------
    config : str
        SNOwGLoBES configuration (:data:`SNOWGLOBES_CONFIGS`).
    energy_MeV : array_like, shape (n,)
        Neutrino energies, MeV.
    edges_MeV : array_like, shape (m + 1,)
        Visible-energy analysis bin edges, MeV, within the kept detected-energy range (0.5-40.3 MeV).

    Returns
    -------
    numpy.ndarray, shape (m, n)
    """
    table = smearing_table(config)
    edges = np.asarray(edges_MeV, dtype=float)
    reco_edges = table.reco_edges_MeV
    if edges.size and (edges[0] < reco_edges[0] or edges[-1] > reco_edges[-1] + 1e-9):
        raise ValueError(f"edges_MeV: the SNOwGLoBES response ({config}) is shipped for visible energies "
                         f"{reco_edges[0]:g}-{reco_edges[-1]:.4g} MeV")
    e = np.asarray(energy_MeV, dtype=float)
    if e.ndim != 1 or not np.all(np.isfinite(e)):
        raise ValueError("energy_MeV must be a finite 1-D array (MeV)")
    k = np.searchsorted(GRID_EDGES_MEV, e, side="right") - 1
    inside = (k >= 0) & (k < GRID_EDGES_MEV.size - 1)
    reco_prob = np.zeros((N_RECO_KEPT, e.size))
    reco_prob[:, inside] = table.matrix[:, k[inside]] * table.efficiency[:, None]
    return rebin_fractions(edges, reco_edges) @ reco_prob
