"""Neutrino fluxes that are backgrounds to a CEvNS search on lead.

Every flux is returned on its own log-spaced energy grid as
``(energy_MeV, flux_cm-2_s-1_MeV-1)``:

``"solar-8B"``
    B16-GS98 normalisation (Vinyoles et al. 2017, ``solar_fluxes.csv``) times the
    Winter et al. (2006) spectral shape (``solar_8B_spectrum.csv``), interpolated
    linearly in ln(shape) and renormalised to unit integral.
    ``b8_normalisation="SNO"`` uses instead the measured total active 8B flux,
    5.25e6 cm^-2 s^-1 (SNO 2013, ``solar_8B_measured_flux.csv``; 3.8% lower).
``"solar-hep"``
    B16-GS98 normalisation times an allowed beta-decay shape with endpoint
    18.77 MeV, dN/dE ∝ E^2 W sqrt(W^2 - m_e^2), W = E_max + m_e - E (positron
    total energy); the Coulomb (Fermi) factor for Z = 2 is neglected.
``"atmospheric"``
    FLUKA low-energy fluxes (Battistoni et al. 2005, ``atmospheric_fluka_*.csv``),
    nu_e + nu_e-bar + nu_mu + nu_mu-bar, linear interpolation between the FLUKA
    nodes, 13.2-905 MeV.  ``atm_emax_MeV`` truncates the spectrum: the paper's
    "≈ 0.03 events/(ton yr) above 3 keV" is reproduced with a cut near 200 MeV
    (:data:`ATM_EMAX_PAPER_MEV`, the upper end of the paper's energy grid), the
    full table gives ≈ 0.05.  ``atm_emax_MeV=None`` uses the full table.
``"solar"``
    solar-8B + solar-hep on a common grid (the paper's "solar" background).
``"solar-pp"``, ``"solar-13N"``, ``"solar-15O"``, ``"solar-17F"``
    B16-GS98 normalisation times an allowed beta+ shape computed from the endpoint
    E0 (``solar_spectral_components.csv``), :func:`beta_plus_shape`::

        dN/dE ∝ E^2 W p F(Z, W),  W = E0 - E + m_e,  p = sqrt(W^2 - m_e^2),
        F(Z, W) = 2 pi eta / (exp(2 pi eta) - 1),  eta = Z alpha W / p,

    the non-relativistic Fermi function for a positron leaving a nucleus of charge Z
    (deuteron Z=1 for pp; 13C, 15N, 17O for the CNO sources); finite-size,
    screening, radiative and recoil corrections and thermal broadening are
    neglected.  The pp shape agrees with Bahcall's (1997) Table IV to 0.1%, the
    CNO shapes with the Bahcall-Ulrich tables to better than 1%.
``"solar-pep"``, ``"solar-7Be"``
    Lines (pep 1.442 MeV; 7Be 0.8613 MeV, 89.56%, and 0.3843 MeV, 10.44%), each
    represented on the grid as a triangle of half-width :data:`LINE_HALF_WIDTH_MEV`
    (1 keV, comparable to the thermal width of the solar lines) carrying the exact
    line flux.  :func:`solar_lines` gives the line energies and fluxes.
``"solar-CNO"`` = 13N + 15O + 17F; ``"solar-low"`` = pp + pep + 7Be + CNO
    Composites on the common low-energy grid (1 keV - 1.75 MeV).

The sub-2-MeV sources end below 1.8 MeV: on lead they give recoils below 0.04 keV
(pp below 2 eV) and no counts above keV thresholds, but their recoil spectra are
computed like any other background (:mod:`relicboost.physics.cevns`).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.integrate import quad

from ..data.cells import cell_float, cell_int, cell_str
from ..data.loader import load_table
from ..data.references import cached_loader
from .units import ELECTRON_MASS_MEV

#: Fine-structure constant (CODATA 2018).
ALPHA_EM: float = 7.2973525693e-3
#: Half-width of the triangle that carries a solar line's flux on the energy grid, MeV.
LINE_HALF_WIDTH_MEV: float = 1.0e-3
#: Energy range of the common grid of the sub-2-MeV solar sources, MeV.
LOW_SOLAR_RANGE_MEV: tuple[float, float] = (1.0e-3, 1.75)

#: Atmospheric upper neutrino-energy cut that reproduces the paper's numbers (MeV).
ATM_EMAX_PAPER_MEV: float = 200.0
#: Choices for the 8B normalisation (see :func:`b8_total_flux`).
B8_NORMALISATIONS: tuple = ("B16-GS98", "SNO")
#: hep neutrino endpoint in MeV.
HEP_ENDPOINT_MEV: float = 18.77
#: Elementary background names.
LOW_SOLAR = ("solar-pp", "solar-pep", "solar-7Be", "solar-13N", "solar-15O", "solar-17F")
ELEMENTARY = ("solar-8B", "solar-hep", "atmospheric", *LOW_SOLAR)
#: All accepted names (composites are sums of elementary ones).
COMPOSITES = {"solar": ("solar-8B", "solar-hep"),
              "solar+atmospheric": ("solar-8B", "solar-hep", "atmospheric"),
              "solar-CNO": ("solar-13N", "solar-15O", "solar-17F"),
              "solar-low": LOW_SOLAR,
              "solar-all": (*LOW_SOLAR, "solar-8B", "solar-hep")}
#: Composites whose components live on different energy grids (only counts/spectra, no single flux).
_MULTI_GRID = ("solar+atmospheric", "solar-all")
NAMES = ELEMENTARY + tuple(COMPOSITES)
_ATM_FLAVOURS = ("nue", "nuebar", "numu", "numubar")
_N_GRID = 400


def check_name(name: str) -> tuple:
    """Elementary components of background ``name``; ValueError if unknown."""
    if name in ELEMENTARY:
        return (name,)
    if name in COMPOSITES:
        return COMPOSITES[name]
    raise ValueError(f"background name {name!r} not in {NAMES}")


def solar_total_flux(source: str) -> float:
    """B16-GS98 total flux of a solar component (e.g. "8B", "hep"), cm^-2 s^-1."""
    df = load_table("solar_fluxes")
    row = df[df["source"] == source]
    if row.empty:
        raise ValueError(f"solar source {source!r} not in {df['source'].tolist()}")
    return float(row["flux_cm-2_s-1"].iloc[0])


def b8_total_flux(normalisation: str = "B16-GS98") -> float:
    """Total 8B neutrino flux, cm^-2 s^-1: the B16-GS98 model value or the SNO 2013 measurement.

    Parameters
    ----------
    normalisation : {"B16-GS98", "SNO"}
        Standard-solar-model prediction (default) or measured total active flux.
    """
    if normalisation == "B16-GS98":
        return solar_total_flux("8B")
    if normalisation == "SNO":
        return float(load_table("solar_8B_measured_flux")["flux_cm-2_s-1"].iloc[0])
    raise ValueError(f"b8_normalisation must be one of {B8_NORMALISATIONS}, got {normalisation!r}")


def _solar_grid() -> np.ndarray:
    return np.geomspace(0.1, HEP_ENDPOINT_MEV, _N_GRID)


def _b8_shape(e: np.ndarray) -> np.ndarray:
    df = load_table("solar_8B_spectrum")
    et, st = df["energy_MeV"].to_numpy(), df["shape_MeV-1"].to_numpy()
    inside = (e >= et[0]) & (e <= et[-1])
    out = np.zeros_like(e)
    out[inside] = np.exp(np.interp(e[inside], et, np.log(st)))
    return out


def _hep_shape(e: np.ndarray) -> np.ndarray:
    w = HEP_ENDPOINT_MEV + ELECTRON_MASS_MEV - e
    p2 = np.clip(w * w - ELECTRON_MASS_MEV**2, 0.0, None)
    return np.where(e < HEP_ENDPOINT_MEV, e * e * w * np.sqrt(p2), 0.0)


def _normalised(e: np.ndarray, shape: np.ndarray) -> np.ndarray:
    return shape / np.trapezoid(shape, e)


@cached_loader(maxsize=16)
def _flux_cached(name: str, atm_emax_MeV: float | None,
                 b8_normalisation: str = "B16-GS98") -> tuple[np.ndarray, np.ndarray]:
    if name == "solar-8B":
        e = _solar_grid()
        f = b8_total_flux(b8_normalisation) * _normalised(e, _b8_shape(e))
    elif name == "solar-hep":
        e = _solar_grid()
        f = solar_total_flux("hep") * _normalised(e, _hep_shape(e))
    elif name == "solar":
        e, f1 = _flux_cached("solar-8B", None, b8_normalisation)
        f = f1 + _flux_cached("solar-hep", None)[1]
    elif name in LOW_SOLAR:
        e = _low_solar_grid()
        f = _low_solar_flux(name.removeprefix("solar-"), e)
    elif name in ("solar-CNO", "solar-low"):
        e = _low_solar_grid()
        f = sum((_flux_cached(n, None)[1] for n in COMPOSITES[name]), start=np.zeros(e.shape))
    else:  # atmospheric
        tables = [load_table(f"atmospheric_fluka_{k}") for k in _ATM_FLAVOURS]
        et = tables[0]["energy_MeV"].to_numpy()
        ft = sum(t["flux_cm-2_s-1_MeV-1"].to_numpy() for t in tables)
        emax = et[-1] if atm_emax_MeV is None else min(float(atm_emax_MeV), et[-1])
        e = np.geomspace(et[0], emax, _N_GRID)
        f = np.interp(e, et, ft)
    e.setflags(write=False)
    f.setflags(write=False)
    return e, f


def background_flux(name: str, atm_emax_MeV: float | None = ATM_EMAX_PAPER_MEV,
                    b8_normalisation: str = "B16-GS98") -> tuple[np.ndarray, np.ndarray]:
    """Differential flux of a background source.

    Parameters
    ----------
    name : str
        Elementary source in :data:`ELEMENTARY` or a single-grid composite ("solar" = 8B + hep,
        "solar-CNO", "solar-low"; see the module docstring).
    atm_emax_MeV : float or None
        Upper neutrino-energy cut for "atmospheric", MeV (default 200, the paper's
        numbers; None = full FLUKA table up to 905 MeV).  Ignored for solar fluxes.
    b8_normalisation : {"B16-GS98", "SNO"}
        8B flux normalisation for "solar-8B" and "solar" (default the B16-GS98 model).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        energy_MeV (log-spaced) and flux in cm^-2 s^-1 MeV^-1 (read-only arrays).
    """
    if name in _MULTI_GRID:
        raise ValueError(f"background_flux: {name!r} lives on several energy grids; ask for its parts "
                         f"{COMPOSITES[name]} separately")
    check_name(name)
    if name == "atmospheric" and atm_emax_MeV is not None:
        if not (np.isfinite(atm_emax_MeV) and atm_emax_MeV > 14.0):
            raise ValueError(f"atm_emax_MeV must be > 14 MeV (FLUKA table starts at 13.2 MeV) or None, "
                             f"got {atm_emax_MeV!r}")
        atm_emax_MeV = float(atm_emax_MeV)
    if b8_normalisation not in B8_NORMALISATIONS:
        raise ValueError(f"b8_normalisation must be one of {B8_NORMALISATIONS}, got {b8_normalisation!r}")
    return _flux_cached(name, atm_emax_MeV if name == "atmospheric" else None,
                        b8_normalisation if name in ("solar-8B", "solar") else "B16-GS98")


# --------------------------------------------------------------------------- sub-2-MeV solar sources

def beta_plus_shape(energy_MeV, endpoint_MeV: float, daughter_Z: int) -> np.ndarray:
    """Allowed beta+ neutrino spectrum normalised to unit integral, MeV^-1.

    dN/dE ∝ E^2 W p F(Z, W) with the positron total energy W = E0 - E + m_e, its
    momentum p and the non-relativistic Fermi function F = 2 pi eta / (exp(2 pi eta) - 1),
    eta = Z alpha W / p (positron repelled by the daughter nucleus of charge Z).
    Normalised by adaptive quadrature; zero outside 0 < E < E0.

    Parameters
    ----------
    energy_MeV : array_like
        Neutrino energies, MeV.
    endpoint_MeV : float
        Maximum neutrino energy E0 (> 0), MeV.
    daughter_Z : int
        Charge of the daughter nucleus (>= 0).
    """
    if not (np.isfinite(endpoint_MeV) and endpoint_MeV > 0):
        raise ValueError(f"endpoint_MeV must be > 0, got {endpoint_MeV!r}")
    if daughter_Z < 0:
        raise ValueError(f"daughter_Z must be >= 0, got {daughter_Z!r}")
    norm = _beta_plus_norm(float(endpoint_MeV), int(daughter_Z))
    return _beta_plus_unnormalised(np.asarray(energy_MeV, dtype=float), endpoint_MeV, daughter_Z) / norm


def _beta_plus_unnormalised(e: np.ndarray, e0: float, z: int) -> np.ndarray:
    w = e0 - e + ELECTRON_MASS_MEV
    p = np.sqrt(np.clip(w * w - ELECTRON_MASS_MEV**2, 0.0, None))
    inside = (e > 0) & (e < e0) & (p > 0)
    x = 2.0 * np.pi * z * ALPHA_EM * w / np.where(inside, p, 1.0)
    fermi = np.ones_like(x) if z == 0 else x / np.expm1(np.where(inside, x, 1.0))
    return np.where(inside, e * e * w * p * fermi, 0.0)


@lru_cache(maxsize=32)
def _beta_plus_norm(e0: float, z: int) -> float:
    val, _ = quad(lambda x: float(_beta_plus_unnormalised(np.array(x), e0, z)), 0.0, e0, limit=200)
    return val


def solar_components() -> list[dict]:
    """Sub-2-MeV solar components: name, parent, kind ("beta+"/"line"), energy_MeV, fraction,
    daughter_Z and flux_cm-2_s-1 (B16-GS98 parent flux times branching)."""
    comp = load_table("solar_spectral_components")
    out = []
    for row in comp.itertuples(index=False):
        out.append({"name": row.component, "parent": row.parent, "kind": row.kind,
                    "energy_MeV": cell_float(row.energy_MeV), "fraction": cell_float(row.branching),
                    "daughter_Z": cell_int(row.daughter_Z),
                    "flux_cm-2_s-1": solar_total_flux(cell_str(row.parent)) * cell_float(row.branching)})
    return out


def solar_lines() -> list[tuple]:
    """Monochromatic solar lines as (name, energy_MeV, flux_cm-2_s-1)."""
    return [(c["name"], c["energy_MeV"], c["flux_cm-2_s-1"]) for c in solar_components() if c["kind"] == "line"]


@cached_loader(maxsize=1)
def _low_solar_grid() -> np.ndarray:
    nodes: list[np.ndarray | list[float]] = [np.geomspace(*LOW_SOLAR_RANGE_MEV, _N_GRID)]
    for c in solar_components():
        e = c["energy_MeV"]
        nodes.append([e] if c["kind"] == "beta+" else [e - LINE_HALF_WIDTH_MEV, e, e + LINE_HALF_WIDTH_MEV])
    grid = np.unique(np.concatenate([np.asarray(n, dtype=float) for n in nodes]))
    grid.setflags(write=False)
    return grid


def _low_solar_flux(parent: str, e: np.ndarray) -> np.ndarray:
    f = np.zeros_like(e)
    for c in solar_components():
        if c["parent"] != parent:
            continue
        if c["kind"] == "beta+":
            f = f + c["flux_cm-2_s-1"] * beta_plus_shape(e, c["energy_MeV"], c["daughter_Z"])
        else:
            tri = np.clip(1.0 - np.abs(e - c["energy_MeV"]) / LINE_HALF_WIDTH_MEV, 0.0, None)
            f = f + c["flux_cm-2_s-1"] * tri / LINE_HALF_WIDTH_MEV
    return f
