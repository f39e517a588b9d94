"""Named conventions: which reading of the paper's equations is used.

Each convention is a preset of explicit options; any option may be
overridden by keyword in :class:`relicboost.Model`.  See docs/conventions.md
for what each option does to the result.

Options
-------
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

Options of the ``consistent`` convention (transport equation,
:mod:`relicboost.physics.transport`)
-------------------------------------------------------------------
relic_dof : float
    Relic degrees of freedom a beam neutrino scatters on, each with sigma = lam E
    (default 6 = 3 mass eigenstates x (nu, nu-bar)).
flavour : {"none", "normal", "inverted"}
    Supernova flavour conversion (:mod:`relicboost.physics.flavour`); "none" as in the paper.
theta12, theta13 : float
    Mixing angles in degrees (NuFIT 5.2: 33.41, 8.58).
substeps : int
    Redshift steps per energy-bin ratio (accuracy control, default 3).
"""
from __future__ import annotations

from typing import Any

from .validation import check_choice, check_positive

PRESETS: dict[str, dict[str, Any]] = {
    "paper": {"relic_dof": 2.0, "sharing": "democratic", "outgoing": "partner", "sigma_energy": "printed"},
    "consistent": {"relic_dof": 6.0, "flavour": "normal", "theta12": 33.41, "theta13": 8.58, "substeps": 3},
}

CHOICES: dict[str, tuple[str, ...]] = {
    "sharing": ("democratic", "same-species"),
    "outgoing": ("partner", "both"),
    "sigma_energy": ("printed", "local"),
    "flavour": ("none", "normal", "inverted"),
}


def resolve_options(convention: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Preset options of ``convention`` updated with validated ``overrides``."""
    check_choice("convention", convention, tuple(PRESETS))
    opts = dict(PRESETS[convention])
    for key, value in overrides.items():
        if key not in opts:
            raise ValueError(f"unknown option {key!r} for convention {convention!r}; allowed: {sorted(opts)}")
        if key == "relic_dof":
            value = float(check_positive("relic_dof", value))
        elif key in ("theta12", "theta13"):
            value = float(check_positive(key, value, allow_zero=True))
            if value > 90.0:
                raise ValueError(f"{key} must be in [0, 90] degrees, got {value!r}")
        elif key == "substeps":
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"substeps must be an integer >= 1, got {value!r}")
            value = int(value)
        else:
            check_choice(key, value, CHOICES[key])
        opts[key] = value
    return opts
