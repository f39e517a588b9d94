"""Neutrino fluxes that are backgrounds to a CEvNS search on lead.

Every flux is returned on its own log-spaced energy grid as
``(energy_MeV, flux_cm-2_s-1_MeV-1)``:

``"solar-8B"``
    B16-GS98 normalisation (Vinyoles et al. 2017, ``solar_fluxes.csv``) times the
    Winter et al. (2006) spectral shape (``solar_8B_spectrum.csv``), interpolated
    linearly in ln(shape) and renormalised to unit integral.
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
    solar-8B + solar-hep on a common grid.

Other solar lines (pp, 7Be, pep, CNO) end below 1.8 MeV and give lead recoils
below 0.04 keV; they are not included.
"""
from __future__ import annotations


import numpy as np

from ..data.loader import cached_loader, load_table
from .units import ELECTRON_MASS_MEV

#: Atmospheric upper neutrino-energy cut that reproduces the paper's numbers (MeV).
ATM_EMAX_PAPER_MEV: float = 200.0
#: hep neutrino endpoint in MeV.
HEP_ENDPOINT_MEV: float = 18.77
#: Elementary background names.
ELEMENTARY = ("solar-8B", "solar-hep", "atmospheric")
#: All accepted names (composites are sums of elementary ones).
COMPOSITES = {"solar": ("solar-8B", "solar-hep"),
              "solar+atmospheric": ("solar-8B", "solar-hep", "atmospheric")}
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
def _flux_cached(name: str, atm_emax_MeV: float | None) -> tuple:
    if name == "solar-8B":
        e = _solar_grid()
        f = solar_total_flux("8B") * _normalised(e, _b8_shape(e))
    elif name == "solar-hep":
        e = _solar_grid()
        f = solar_total_flux("hep") * _normalised(e, _hep_shape(e))
    elif name == "solar":
        e, f1 = _flux_cached("solar-8B", None)
        f = f1 + _flux_cached("solar-hep", None)[1]
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


def background_flux(name: str, atm_emax_MeV: float | None = ATM_EMAX_PAPER_MEV) -> tuple:
    """Differential flux of a background source.

    Parameters
    ----------
    name : {"solar-8B", "solar-hep", "atmospheric", "solar"}
        Source ("solar" = 8B + hep).
    atm_emax_MeV : float or None
        Upper neutrino-energy cut for "atmospheric", MeV (default 200, the paper's
        numbers; None = full FLUKA table up to 905 MeV).  Ignored for solar fluxes.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        energy_MeV (log-spaced) and flux in cm^-2 s^-1 MeV^-1 (read-only arrays).
    """
    if name == "solar+atmospheric":
        raise ValueError("background_flux: 'solar+atmospheric' lives on two grids; ask for 'solar' and "
                         "'atmospheric' separately")
    check_name(name)
    if name == "atmospheric" and atm_emax_MeV is not None:
        if not (np.isfinite(atm_emax_MeV) and atm_emax_MeV > 14.0):
            raise ValueError(f"atm_emax_MeV must be > 14 MeV (FLUKA table starts at 13.2 MeV) or None, "
                             f"got {atm_emax_MeV!r}")
        atm_emax_MeV = float(atm_emax_MeV)
    return _flux_cached(name, atm_emax_MeV if name == "atmospheric" else None)
