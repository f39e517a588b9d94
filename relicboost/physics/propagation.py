"""DSNB propagation and the upscattered CvB in the ``paper`` convention.

Implements, on the fixed grids of :mod:`relicboost.physics.grids`,

* Eq. III.8 / IV.10 (attenuated DSNB at redshift z, as printed)::

    Phi_D(E, z) = (1+z)^2 int_z^zmax dz'/H(z') R(z') F[E (1+z')] exp(-tau(z, z'; E))

  with tau = int_z^z' dz''/((1+z'')H) n(z'') sigma and sigma = lambda E_sigma.
  ``sigma_energy="printed"``: E_sigma = E (the energy at z, not redshifted along
  the path: the printed equation); ``"local"``: E_sigma = E (1+z'')/(1+z).
* Eq. IV.11 (upscattered relic partner, heavy mediator, flat dsigma/dE_C = sigma/E_D)::

    psi(E_C) = int_{E_C} dE_D int_0^zmax dz/H(z) n(z) (sigma/E_D) Phi_D(E_D, z)

  as printed: the produced neutrino is neither redshifted nor diluted between
  the scattering epoch and today.

The redshift integrals are Simpson sums in u = ln(1+z); attenuation enters
through a backward recurrence of exp(-Delta tau) <= 1 factors, which is stable
for any optical depth.
"""
from __future__ import annotations

import numpy as np

from .grids import PropagationGrid
from .quadrature import cumulative_simpson_uniform, simpson_weights
from .validation import check_choice


def source_table(grid: PropagationGrid, spectrum) -> np.ndarray:
    """Integrand of Eq. III.8 in u on the fine redshift nodes.

    Parameters
    ----------
    grid : PropagationGrid
    spectrum : callable
        E [MeV] -> dN/dE [MeV^-1] of one supernova for one species.

    Returns
    -------
    numpy.ndarray
        Shape (n_z_fine, n_E): source_weight(z_j) F(E_i (1+z_j)), cm^-2 s^-1 MeV^-1.
    """
    zp1 = 1.0 + grid.z_fine
    return grid.source_weight[:, None] * spectrum(grid.energy[None, :] * zp1[:, None])


def attenuated_dsnb(grid: PropagationGrid, src: np.ndarray, lam: float, sigma_energy: str = "printed") -> np.ndarray:
    """Attenuated DSNB Phi_D(E, z) on the coarse redshift nodes (Eq. IV.10).

    Parameters
    ----------
    grid : PropagationGrid
    src : numpy.ndarray
        Source tables, shape (..., n_z_fine, n_E), from :func:`source_table`.
    lam : float
        lambda = G_X^2 m_nu in MeV^-3 (>= 0).
    sigma_energy : {"printed", "local"}
        Energy at which sigma is evaluated along the path (module docstring).

    Returns
    -------
    numpy.ndarray
        Shape (..., n_z_coarse, n_E): differential flux at redshift z_m in cm^-2 s^-1 MeV^-1.
    """
    check_choice("sigma_energy", sigma_energy, ("printed", "local"))
    zc = grid.z_coarse
    h = grid.h_u
    e = grid.energy
    if sigma_energy == "printed" or lam == 0.0:
        k = grid.k_printed
        # exp(-tau) from coarse node m to fine nodes 2m+1 and 2m+2
        r1 = np.exp(-lam * e[None, :] * (k[1:-1:2] - k[0:-2:2])[:, None])
        r2 = np.exp(-lam * e[None, :] * (k[2::2] - k[0:-2:2])[:, None])
        blocks = (h / 3.0) * (src[..., 0:-2:2, :] + 4.0 * r1 * src[..., 1:-1:2, :] + r2 * src[..., 2::2, :])
        out = np.zeros(src.shape[:-2] + (zc.size, e.size))
        acc = np.zeros(src.shape[:-2] + (e.size,))
        for m in range(zc.size - 2, -1, -1):
            acc = blocks[..., m, :] + r2[m] * acc
            out[..., m, :] = acc
    else:
        l = grid.l_local
        out = np.zeros(src.shape[:-2] + (zc.size, e.size))
        n = grid.z_fine.size
        for m in range(zc.size - 1):
            j = 2 * m
            tau = lam * e[None, :] / (1.0 + zc[m]) * (l[j:] - l[j])[:, None]
            w = simpson_weights(n - j, h)[:, None]
            out[..., m, :] = np.sum(w * src[..., j:, :] * np.exp(-tau), axis=-2)
    return out * ((1.0 + zc) ** 2)[:, None]


def upscattered_partner(grid: PropagationGrid, dsnb_z: np.ndarray, lam: float) -> np.ndarray:
    """Upscattered relic-partner flux today, Eq. IV.11 as printed (heavy mediator).

    Parameters
    ----------
    grid : PropagationGrid
    dsnb_z : numpy.ndarray
        Attenuated DSNB on the coarse redshift nodes, shape (..., n_z_coarse, n_E).
    lam : float
        lambda in MeV^-3.

    Returns
    -------
    numpy.ndarray
        Shape (..., n_E): psi(E_C) in cm^-2 s^-1 MeV^-1 (one relic partner per scattering).
    """
    if lam == 0.0:
        return np.zeros(dsnb_z.shape[:-2] + (grid.energy.size,))
    z_weighted = np.einsum("m,...me->...e", grid.boost_weight, dsnb_z)
    cum = cumulative_simpson_uniform(z_weighted * grid.energy, grid.h_lnE, axis=-1)
    return lam * (cum[..., -1:] - cum)
