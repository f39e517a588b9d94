"""Tree-level nu-nu scattering with a light scalar or vector mediator (full propagators).

* :mod:`.cross_sections`: amplitudes, widths, cross sections and their y-shapes;
* :mod:`.transport_kernels`: per-step loss/redistribution kernels of the ``consistent`` transport;
* :mod:`.paper_kernel`: relic-partner distribution and Eq. IV.11 kernel of the ``paper`` convention;
* :mod:`.models`: particle models (Lagrangians, lam_eff, widths, flavour couplings);
* :mod:`.mass_transport`: three relic masses, thermal relics, resonance crossing;
* :mod:`.flavour_routing`: kernel components and their flavour routing for a coupling matrix;
* :mod:`.mass_solve`: three-mass kernels (table reads, routing) and block step solver;
* :mod:`.fast_kernels`: tabulated transport kernels.
"""
from .cross_sections import (
    F_HEAVY,
    MEDIATORS,
    TREE_OVER_PAPER,
    resonance_energy_MeV,
    shape_integral,
    sigma,
    squared_amplitudes,
    width_over_mass,
)
from .models import MODEL_NAMES, ParticleModel
from .paper_kernel import OUTGOING, fraction_distribution, paper_partner_kernel
from .transport_kernels import light_channel_steps, light_mediator_fluxes

__all__ = [
    "F_HEAVY",
    "MEDIATORS",
    "MODEL_NAMES",
    "OUTGOING",
    "TREE_OVER_PAPER",
    "ParticleModel",
    "fraction_distribution",
    "light_channel_steps",
    "light_mediator_fluxes",
    "paper_partner_kernel",
    "resonance_energy_MeV",
    "shape_integral",
    "sigma",
    "squared_amplitudes",
    "width_over_mass",
]
