"""The parameter registry: every physical parameter of relicboost defined once.

Each :class:`Parameter` states its name, unit, the range the API accepts, its default,
a description, the LaTeX label used in plots, the sampling coordinate (log10 for scale
parameters) and, for the astrophysical nuisances, the analysis-choice Gaussian prior used
when they are profiled or sampled.  Everything else (``Model`` input checks, likelihood
priors, ``Problem`` coordinates, CLI option lists, table column units, corner-plot labels)
reads from here.

This module is the bottom layer of the package: it imports numpy only.

>>> from relicboost.parameters import PARAMETERS, ranges
>>> PARAMETERS["T_nuebar"].unit
'MeV'
>>> ranges(("E_tot",))["E_tot"]
(1e+50, 1e+56)
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Parameter:
    """One physical parameter.

    Attributes
    ----------
    name : str
        Keyword used by the API (``Model.predict``, ``Problem``).
    unit : str
        Unit of the value ("" for dimensionless), e.g. "MeV^-3".
    low, high : float
        Range accepted at the API edge (inclusive), in ``unit``.
    default : float
        Default value in ``unit``.
    description : str
        One line for humans.
    latex : str
        LaTeX symbol without unit, for plot labels (e.g. ``r"T_{\\bar\\nu_e}"``).
    coordinate : str
        Name of the sampling / profiling coordinate (``log10_<name>`` for scale parameters).
    prior : (mean, sigma, low, high) or None
        Analysis-choice truncated Gaussian prior when the parameter is a nuisance (unit as above).
    """

    name: str
    unit: str
    low: float
    high: float
    default: float
    description: str
    latex: str
    coordinate: str
    prior: tuple[float, float, float, float] | None = None

    @property
    def is_log(self) -> bool:
        """True if the coordinate is log10 of the value."""
        return self.coordinate.startswith("log10_")

    @property
    def column(self) -> str:
        """Table column name with its unit, e.g. ``T_nuebar_MeV``, ``lam_MeV-3`` (dimensionless or
        unit already in the name: the name)."""
        unit = self.unit.replace("^", "")
        return self.name if not unit or self.name.endswith(f"_{unit}") else f"{self.name}_{unit}"

    def label(self) -> str:
        """Plot label of the coordinate with its unit (matplotlib mathtext)."""
        unit = _UNIT_TEX.get(self.unit, self.unit)
        if self.is_log:
            return f"$\\log_{{10}}({self.latex}" + (f"\\,/\\,{unit}" if unit else "") + ")$"
        return f"${self.latex}" + (f"\\;[{unit}]" if unit else "") + "$"


#: mathtext spelling of the units used here.
_UNIT_TEX: dict[str, str] = {"MeV^-3": r"\mathrm{MeV}^{-3}", "MeV": r"\mathrm{MeV}", "erg": r"\mathrm{erg}",
                             "eV": r"\mathrm{eV}"}

#: Temperature range accepted (MeV): wide enough for any supernova model, and the energy grids
#: (to 200 MeV) hold the whole DSNB: at T = 20 MeV 9e-5 of its number lies above 200 MeV (3% at 50 MeV).
TEMPERATURE_RANGE_MEV: tuple[float, float] = (0.5, 20.0)
_TEMPERATURE_RANGE = TEMPERATURE_RANGE_MEV

#: Every parameter, by API name.
PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("lam", "MeV^-3", 0.0, 1e3, 0.0,
              "interaction strength lambda = G_X^2 m_nu (heavy mediator); 1e3 is far into saturation",
              r"\lambda", "log10_lam"),
    Parameter("T_nue", "MeV", *_TEMPERATURE_RANGE, 6.6, "nu_e temperature at the supernova (paper Sec. III)",
              r"T_{\nu_e}", "T_nue", (6.6, 1.0, 1.0, 20.0)),
    Parameter("T_nuebar", "MeV", *_TEMPERATURE_RANGE, 7.0,
              "anti-nu_e temperature at the supernova (paper Sec. III)",
              r"T_{\bar\nu_e}", "T_nuebar", (7.0, 1.0, 1.0, 20.0)),
    Parameter("T_nux", "MeV", *_TEMPERATURE_RANGE, 10.0,
              "temperature of each heavy-lepton species (paper Sec. III)",
              r"T_{\nu_x}", "T_nux", (10.0, 1.5, 1.0, 20.0)),
    Parameter("E_tot", "erg", 1e50, 1e56, 3e53,
              "energy in all six neutrino species per supernova (arXiv:2403.15367)",
              r"E_\mathrm{tot}", "E_tot", (3e53, 1e53, 1e52, 1e54)),
    Parameter("sfr_norm", "", 1e-3, 1e3, 1.0, "multiplier of the cosmic star-formation rate",
              r"f_\mathrm{SFR}", "sfr_norm", (1.0, 0.3, 0.05, 5.0)),
    # Failed supernovae: a likelihood-level nuisance of the DSNB detectors (not a Model.predict keyword);
    # prior 0.2 +- 0.1 as in relicboost/data/failed_supernovae.csv (Kochanek 2014; Burrows et al. 2023).
    Parameter("f_failed", "", 0.0, 1.0, 0.0,
              "fraction of core collapses forming a black hole without explosion (failed SNe; hotter spectrum); "
              "0 = off, the paper's DSNB", r"f_\mathrm{BH}", "f_failed", (0.2, 0.1, 0.0, 1.0)),
    Parameter("g", "", 0.0, 4.0 * np.pi, 0.0, "mediator coupling (up to 4 pi)", "g", "log10_g"),
    Parameter("M_MeV", "MeV", 1e-6, 1e4, 1.0, "mediator mass", "M", "log10_M_MeV"),
    Parameter("m_nu_eV", "eV", 1e-4, 1.0, 0.05, "relic neutrino mass", "m_\\nu", "m_nu_eV"),
)}

#: Astrophysical nuisances a Prediction carries (the keywords of Model.predict besides lam).
ASTRO_NUISANCES: tuple[str, ...] = ("T_nue", "T_nuebar", "T_nux", "E_tot", "sfr_norm")
#: Nuisances profiled by default in a limit (the supernova spectrum and energy; the rate normalisation
#: sfr_norm is opt-in because the published-limit likelihoods were calibrated at the paper's rate).
DEFAULT_PROFILED: tuple[str, ...] = ("T_nue", "T_nuebar", "T_nux", "E_tot")
#: Nuisance of the DSNB detector likelihoods (not of Model.predict): the failed-supernova fraction.
FAILED_SN_FRACTION: str = "f_failed"
#: Parameters of the (g, M) plane.
MEDIATOR_PARAMETERS: tuple[str, ...] = ("g", "M_MeV", "m_nu_eV")


def get(name: str) -> Parameter:
    """The :class:`Parameter` called ``name`` (``ValueError`` naming the allowed ones)."""
    try:
        return PARAMETERS[name]
    except KeyError:
        raise ValueError(f"unknown parameter {name!r}; allowed: {sorted(PARAMETERS)}") from None


def ranges(names: Iterable[str]) -> dict[str, tuple[float, float]]:
    """``{name: (low, high)}`` accepted ranges, in each parameter's unit."""
    return {n: (get(n).low, get(n).high) for n in names}


def by_coordinate(coordinate: str) -> Parameter | None:
    """The parameter whose sampling coordinate is ``coordinate`` (e.g. ``log10_lam``), or None."""
    for p in PARAMETERS.values():
        if p.coordinate == coordinate:
            return p
    return None


def coordinate_label(coordinate: str) -> str:
    """Plot label with unit of a sampling coordinate (the coordinate itself if unknown)."""
    p = by_coordinate(coordinate)
    return coordinate if p is None else p.label()


def coordinate_unit(coordinate: str) -> str:
    """Unit of a sampling coordinate ("log10(MeV^-3)" for log10 lam, "" if dimensionless/unknown)."""
    p = by_coordinate(coordinate)
    if p is None:
        return ""
    return f"log10({p.unit})" if p.is_log and p.unit else ("log10" if p.is_log else p.unit)
