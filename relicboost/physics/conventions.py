"""Named conventions: which reading of the paper's equations is used, as typed option objects.

Each convention is a frozen dataclass of explicit options with documented defaults; any option
may be overridden by keyword in :class:`relicboost.Model`.  The propagator that implements a
convention (:mod:`relicboost.physics.propagators`) carries its options object, so no code
downstream tests a convention name.  See docs/conventions.md for what each option does.

Options of ``paper`` (:class:`PaperOptions`)
--------------------------------------------
relic_dof : float
    Relic degrees of freedom g in Eq. III.9 (n ~ 56.4 g cm^-3 today).
sharing : {"democratic", "same-species"}
    "democratic": the upscattered flux of all six DSNB species is summed and
    each detected species gets one sixth; "same-species": a DSNB species
    boosts relic neutrinos of its own species only.
outgoing : {"partner", "both"}
    Count only the relic partner (Eq. IV.11 as printed) or both outgoing
    neutrinos (the scattered DSNB neutrino too; doubles the flat spectrum).
sigma_energy : {"printed", "local"}
    Energy at which sigma is evaluated in the optical depth of Eq. IV.10.

Options of ``consistent`` (:class:`ConsistentOptions`, :mod:`relicboost.physics.transport`)
--------------------------------------------------------------------------------------------
relic_dof : float
    Relic degrees of freedom a beam neutrino scatters on, each with sigma = lam E
    (default 6 = 3 mass eigenstates x (nu, nu-bar)).
flavour : {"none", "normal", "inverted"}
    Supernova flavour conversion (:mod:`relicboost.physics.flavour`); "none" as in the paper.
theta12, theta13 : float
    Mixing angles in degrees (NuFIT 5.2: 33.41, 8.58).
substeps : int
    Redshift steps per energy-bin ratio (accuracy control, default 3).
adaptive_substeps : bool
    Multiply ``substeps`` by 2, 4, 8 at lam >= 3e-10, 3e-9, 3e-8 MeV^-3 (default True), where the
    optical depth per step is large: keeps the SK-window flux and CEvNS-range flux within 0.3% of
    the converged solution (with 3 fixed substeps they were 0.5% low at lam = 1e-9, 2% at 1e-8).
relic_masses : {"single", "normal", "inverted"}
    Relic mass states of the heavy-mediator rate (:mod:`relicboost.physics.relic_masses`).  "single" (default,
    the paper's one m_nu): every state scatters with sigma = lam E, the relic partner lands democratically.
    "normal"/"inverted" (NuFIT 5.2 splittings, needs ``flavour`` of the same ordering): sigma_i = G^2 m_i E on
    state i, with lam = G^2 m_bar, m_bar the mean of the three masses, so the summed rate is that of "single" at
    the same lam and the relic partner lands in state i with probability m_i / sum m.
lightest_mass_eV : float
    Lightest relic mass in eV, [0, 1] (default 0.05); for "single" the common mass (only used with thermal momenta).
relic_momenta : {"rest", "thermal"}
    Relics at rest (default) or with Fermi-Dirac momenta at T_nu (1+z): the rate on a state scales with
    <E_r + p^2/(3 E_r)> instead of m (:func:`relicboost.physics.relic_masses.rate_masses_eV`); with "single" only.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .validation import check_choice, check_positive


def _check_relic_dof(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(f"relic_dof must be a number, got {value!r}")
    return float(check_positive("relic_dof", value))


def _check_angle(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number in [0, 90] degrees, got {value!r}")
    x = float(check_positive(name, value, allow_zero=True))
    if x > 90.0:
        raise ValueError(f"{name} must be in [0, 90] degrees, got {value!r}")
    return x


@dataclass(frozen=True)
class PaperOptions:
    """Options of the ``paper`` convention (Eqs. III.8, IV.10, IV.11 as printed); see module docstring."""

    relic_dof: float = 2.0
    sharing: str = "democratic"
    outgoing: str = "partner"
    sigma_energy: str = "printed"

    def __post_init__(self) -> None:
        object.__setattr__(self, "relic_dof", _check_relic_dof(self.relic_dof))
        check_choice("sharing", self.sharing, ("democratic", "same-species"))
        check_choice("outgoing", self.outgoing, ("partner", "both"))
        check_choice("sigma_energy", self.sigma_energy, ("printed", "local"))


@dataclass(frozen=True)
class ConsistentOptions:
    """Options of the ``consistent`` convention (transport equation); see module docstring."""

    relic_dof: float = 6.0
    flavour: str = "normal"
    theta12: float = 33.41
    theta13: float = 8.58
    substeps: int = 3
    adaptive_substeps: bool = True
    relic_masses: str = "single"
    lightest_mass_eV: float = 0.05
    relic_momenta: str = "rest"

    def __post_init__(self) -> None:
        check_choice("relic_masses", self.relic_masses, ("single", "normal", "inverted"))
        check_choice("relic_momenta", self.relic_momenta, ("rest", "thermal"))
        m0 = self.lightest_mass_eV
        if isinstance(m0, bool) or not isinstance(m0, (int, float, np.integer, np.floating)) \
                or not (np.isfinite(m0) and 0.0 <= m0 <= 1.0):
            raise ValueError(f"lightest_mass_eV must be a number in [0, 1] eV, got {m0!r}")
        object.__setattr__(self, "lightest_mass_eV", float(m0))
        if self.relic_masses != "single" and self.flavour != self.relic_masses:
            raise ValueError(f"relic_masses={self.relic_masses!r} needs flavour={self.relic_masses!r} (channels = "
                             f"mass states of the same ordering), got flavour={self.flavour!r}")
        if self.relic_momenta == "thermal" and self.relic_masses != "single":
            raise ValueError("relic_momenta='thermal' is implemented for relic_masses='single' in the heavy-mediator "
                             "transport (three thermal masses: Model.predict_mediator)")
        if self.relic_momenta == "thermal" and self.lightest_mass_eV <= 0.0:
            raise ValueError("lightest_mass_eV must be > 0 for relic_masses='single' with relic_momenta='thermal'")
        if not isinstance(self.adaptive_substeps, (bool, np.bool_)):
            raise TypeError(f"adaptive_substeps must be True or False, got {self.adaptive_substeps!r}")
        object.__setattr__(self, "relic_dof", _check_relic_dof(self.relic_dof))
        check_choice("flavour", self.flavour, ("none", "normal", "inverted"))
        object.__setattr__(self, "theta12", _check_angle("theta12", self.theta12))
        object.__setattr__(self, "theta13", _check_angle("theta13", self.theta13))
        s = self.substeps
        if isinstance(s, bool) or not isinstance(s, (int, float)) or int(s) != s or s < 1:
            raise ValueError(f"substeps must be an integer >= 1, got {s!r}")
        object.__setattr__(self, "substeps", int(s))


#: Relic-mass options of the heavy-mediator ``consistent`` convention.
RELIC_MASS_OPTIONS: tuple[str, ...] = ("relic_masses", "lightest_mass_eV", "relic_momenta")
#: Option type of each named convention.
OPTION_TYPES: dict[str, type] = {"paper": PaperOptions, "consistent": ConsistentOptions}
#: Preset option values of each convention (the dataclass defaults), as plain dicts.
PRESETS: dict[str, dict[str, Any]] = {name: asdict(cls()) for name, cls in OPTION_TYPES.items()}


def make_options(convention: str, overrides: dict[str, Any]) -> PaperOptions | ConsistentOptions:
    """Validated options object of ``convention`` with keyword ``overrides``."""
    check_choice("convention", convention, tuple(OPTION_TYPES))
    cls = OPTION_TYPES[convention]
    allowed = sorted(f.name for f in fields(cls))
    unknown = sorted(set(overrides) - set(allowed))
    if unknown and convention == "paper" and unknown[0] in RELIC_MASS_OPTIONS:
        raise ValueError(f"{unknown[0]} is an option of the 'consistent' convention: the paper convention has one "
                         "relic mass m_nu, absorbed in lam = G_X^2 m_nu (use convention='consistent')")
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} for convention {convention!r}; allowed: {allowed}")
    return cls(**overrides)


def resolve_options(convention: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Preset options of ``convention`` updated with validated ``overrides``, as a dict."""
    return asdict(make_options(convention, overrides))
