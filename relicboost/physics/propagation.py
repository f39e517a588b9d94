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

The redshift integrals are exponentially fitted Simpson sums in u = ln(1+z)
(Simpson's rule for small optical depth per panel, exact saturation for large);
attenuation between panels enters through a backward recurrence of
exp(-Delta tau) <= 1 factors, which is stable for any optical depth.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from . import units
from .grids import PropagationGrid
from .printed_attenuation import SERIES as _SERIES
from .printed_attenuation import SERIES_MAX_T, PrintedAttenuation
from .quadrature import cumulative_simpson_uniform
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


class FermiDiracSources:
    """Source tables of :func:`source_table` for Fermi-Dirac spectra, one per temperature, cached.

    Equal (to round-off) to ``source_table(grid, lambda e: fermi_dirac_spectrum(e, T, E_tot))``
    with E_tot = 3e53 erg (:func:`relicboost.physics.sources.fermi_dirac_spectrum`): the
    temperature-independent factor source_weight(z) (E (1+z))^2 is tabulated once, so a new
    temperature costs one exponential and a few in-place operations.  Tables are cached per temperature (a fit that
    moves one temperature reuses the other species' tables).

    Parameters
    ----------
    source_weight : numpy.ndarray
        Weight of each redshift node (shape (n_z,)), as in :func:`source_table`.
    energy_at_source : numpy.ndarray
        E (1+z) in MeV at each (redshift node, energy node), shape (n_z, n_E).
    cache_size : int
        Temperatures kept (least recently used dropped beyond it).
    """

    def __init__(self, source_weight: np.ndarray, energy_at_source: np.ndarray, cache_size: int = 32) -> None:
        from .sources import DEFAULT_E_TOT_ERG

        self._e = energy_at_source
        self._base = source_weight[:, None] * energy_at_source**2
        # fermi_dirac_spectrum's normalisation without the 1/T^4
        self._norm = DEFAULT_E_TOT_ERG * units.ERG_MEV / 6.0 * 120.0 / (7.0 * np.pi**4)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[float, np.ndarray] = OrderedDict()

    @classmethod
    def on_grid(cls, grid: PropagationGrid, cache_size: int = 32) -> FermiDiracSources:
        """Tables on the fine redshift nodes of a paper-convention grid, shape (n_z_fine, n_E)."""
        return cls(grid.source_weight, grid.energy[None, :] * (1.0 + grid.z_fine)[:, None], cache_size)

    def table(self, T_MeV: float) -> np.ndarray:
        """Source table at temperature ``T_MeV`` (> 0), cm^-2 s^-1 MeV^-1; shared, do not modify."""
        T = float(T_MeV)
        out = self._cache.get(T)
        if out is not None:
            self._cache.move_to_end(T)
            return out
        if not (np.isfinite(T) and T > 0):
            raise ValueError(f"T must be in (0, inf), got {T_MeV!r}")
        out = np.multiply(self._e, 1.0 / T)
        np.minimum(out, 700.0, out=out)                     # 1/(e^700 + 1) ~ 1e-304: the tail, without
        np.exp(out, out=out)                                # exp's slow overflow path
        out += 1.0
        np.reciprocal(out, out=out)                         # 1/(exp(E/T) + 1)
        out *= self._base
        out *= self._norm / T**4
        self._cache[T] = out
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def __call__(self, temps: tuple[float, ...], axis: int = 0) -> np.ndarray:
        """Tables of several temperatures stacked along ``axis`` (a new array)."""
        return np.stack([self.table(T) for T in temps], axis=axis)


#: Below this the 5th-order Taylor series replaces the closed forms (see printed_attenuation).
_SERIES_MAX_T = SERIES_MAX_T


def fitted_simpson_weights(t: np.ndarray) -> np.ndarray:
    """Weights of the exponentially fitted Simpson rule on a panel of two unit steps.

    w_j(t) = int_0^2 L_j(s) exp(-t s) ds for j = 0, 1, 2 and t >= 0; for t -> 0 they are
    Simpson's (1/3, 4/3, 1/3), for t -> inf they give the exact saturation 1/t.

    Parameters
    ----------
    t : numpy.ndarray
        Attenuation rate per step (dimensionless, >= 0).

    Returns
    -------
    numpy.ndarray
        Shape (3,) + t.shape.
    """
    t = np.asarray(t, dtype=float)
    powers = np.empty((_SERIES.shape[1], *t.shape))
    powers[0] = 1.0
    for n in range(1, _SERIES.shape[1]):
        np.multiply(powers[n - 1], t, out=powers[n])
    # Taylor series for every t (one small matrix product), replaced below where t is not small
    w = (_SERIES @ powers.reshape(powers.shape[0], -1)).reshape((3, *t.shape))
    small = t < _SERIES_MAX_T
    if small.all():
        return w
    ts = np.maximum(t, _SERIES_MAX_T)
    e2 = np.exp(-2.0 * ts)
    m0 = -np.expm1(-2.0 * ts) / ts
    m1 = (1.0 - e2 * (1.0 + 2.0 * ts)) / ts**2
    m2 = (2.0 - e2 * (2.0 + 4.0 * ts + 4.0 * ts**2)) / ts**3
    closed = (0.5 * (m2 - 3.0 * m1 + 2.0 * m0), -(m2 - 2.0 * m1), 0.5 * (m2 - m1))
    for j in range(3):
        np.copyto(w[j], closed[j], where=~small)
    return w


def _fitted_blocks(src: np.ndarray, rate: np.ndarray, tau1: np.ndarray, tau2: np.ndarray, h: float) -> np.ndarray:
    """Integral over each Simpson panel of src * exp(-tau), tau measured from the panel start.

    On a panel [u_2m, u_2m+2] the optical depth is tau(u) = a (u - u_2m) + d(u) with a the
    rate at the panel start; because the rate grows with redshift, d >= 0 and
    g = src exp(-d) is smooth: g is interpolated quadratically and integrated exactly
    against exp(-a (u - u_2m)).  Exact for any attenuation of a pure exponential and
    equal to Simpson's rule for a -> 0.

    Parameters
    ----------
    src : numpy.ndarray
        Integrand without attenuation, shape (..., n_fine, n_E).
    rate : numpy.ndarray
        a * h at each panel start, shape (n_panels, n_E).
    tau1, tau2 : numpy.ndarray
        Optical depth from the panel start to its middle and end node, shape (n_panels, n_E).
    h : float
        Fine-node spacing.
    """
    w = fitted_simpson_weights(rate) * h
    g1 = np.exp(-(tau1 - rate))
    g2 = np.exp(-(tau2 - 2.0 * rate))
    return w[0] * src[..., 0:-2:2, :] + w[1] * g1 * src[..., 1:-1:2, :] + w[2] * g2 * src[..., 2::2, :]


def attenuated_dsnb(grid: PropagationGrid, src: np.ndarray, lam: float, sigma_energy: str = "printed",
                    sigma: np.ndarray | None = None) -> np.ndarray:
    """Attenuated DSNB Phi_D(E, z) on the coarse redshift nodes (Eq. IV.10).

    The z' integral is a sum of exponentially fitted Simpson panels
    (:func:`_fitted_blocks`): Simpson's rule where the optical depth per panel is
    small, exact saturation where it is large (any lambda).  With ``sigma`` (any cross
    section on the energy nodes, e.g. a light mediator) the optical depth is
    tau = sigma(E) (k(z') - k(z)): the same outer product as lam E, so the same scheme.

    Parameters
    ----------
    grid : PropagationGrid
    src : numpy.ndarray
        Source tables, shape (..., n_z_fine, n_E), from :func:`source_table`.
    lam : float
        lambda = G_X^2 m_nu in MeV^-3 (>= 0).
    sigma_energy : {"printed", "local"}
        Energy at which sigma is evaluated along the path (module docstring).
    sigma : numpy.ndarray, optional
        Cross section per relic state at the energy nodes, MeV^-2, shape (n_E,); replaces
        lam E (``lam`` is then ignored).  Only with ``sigma_energy="printed"``.

    Returns
    -------
    numpy.ndarray
        Shape (..., n_z_coarse, n_E): differential flux at redshift z_m in cm^-2 s^-1 MeV^-1.
    """
    check_choice("sigma_energy", sigma_energy, ("printed", "local"))
    zc = grid.z_coarse
    h = grid.h_u
    e = grid.energy[None, :]
    if sigma is not None:
        if sigma_energy != "printed":
            raise ValueError("sigma_energy must be 'printed' when a general cross section sigma(E) is given")
        lam = 1.0
        e = np.asarray(sigma, dtype=float).reshape(1, -1)  # plays the role of lam E below (lam = 1)
        if e.shape[1] != grid.energy.size or not np.all(np.isfinite(e)) or np.any(e < 0):
            raise ValueError(f"sigma must be finite, >= 0 MeV^-2 and have {grid.energy.size} values")
    if sigma_energy == "printed" or lam == 0.0:
        return PrintedAttenuation(grid, src.shape[:-2])(src, lam * e[0])
    path, dl = grid.l_local, grid.dl_local
    out = np.zeros(src.shape[:-2] + (zc.size, e.size))
    for m in range(zc.size - 1):
        j = 2 * m
        c = lam * e / (1.0 + zc[m])
        rate = c * (dl[j:-2:2] * h)[:, None]
        tau0 = c * (path[j:-2:2] - path[j])[:, None]
        tau1 = c * (path[j + 1:-1:2] - path[j:-2:2])[:, None]
        tau2 = c * (path[j + 2::2] - path[j:-2:2])[:, None]
        blocks = _fitted_blocks(src[..., j:, :], rate, tau1, tau2, h)
        out[..., m, :] = np.sum(np.exp(-tau0) * blocks, axis=-2)
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
    return partner_from_weighted(grid, np.einsum("m,...me->...e", grid.boost_weight, dsnb_z), lam)


def partner_from_weighted(grid: PropagationGrid, z_weighted: np.ndarray, lam: float) -> np.ndarray:
    """Eq. IV.11 from H(E_D) = sum_m boost_weight_m Phi_D(z_m, E_D): psi(E_C) = lam int_{E_C} H dE_D.

    Parameters
    ----------
    grid : PropagationGrid
    z_weighted : numpy.ndarray
        H on the energy nodes, shape (..., n_E), MeV^2 cm^-2 s^-1 MeV^-1.
    lam : float
        lambda in MeV^-3.

    Returns
    -------
    numpy.ndarray
        Shape (..., n_E): psi(E_C) in cm^-2 s^-1 MeV^-1.
    """
    cum = cumulative_simpson_uniform(z_weighted * grid.energy, grid.h_lnE, axis=-1)
    return lam * (cum[..., -1:] - cum)


def flat_kernel(grid: PropagationGrid, sigma: np.ndarray) -> np.ndarray:
    """Kernel matrix of Eq. IV.11 for a flat relic-partner spectrum dsigma/dE_C = sigma(E_D)/E_D.

    psi(E_C) = int_{E_C} dE_D sigma(E_D)/E_D H(E_D) with the cumulative Simpson rule in
    ln E_D of :func:`upscattered_partner` (same weights), so ``sigma = lam E`` reproduces
    that function to round-off through :func:`upscattered_kernel`.

    Parameters
    ----------
    grid : PropagationGrid
    sigma : numpy.ndarray
        Cross section per relic state at the energy nodes, MeV^-2, shape (n_E,).

    Returns
    -------
    numpy.ndarray
        W, shape (n_E, n_E), MeV^-2: psi_c = sum_d W[c, d] H_d (:func:`upscattered_kernel`).
    """
    n = grid.energy.size
    cum = cumulative_simpson_uniform(np.eye(n), grid.h_lnE, axis=-1)  # row d: weights of node d
    return (cum[:, -1:] - cum).T * np.asarray(sigma, dtype=float)[None, :]


def upscattered_kernel(grid: PropagationGrid, dsnb_z: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Upscattered relic-partner flux today for a general differential cross section (Eq. IV.11).

    psi(E_C) = sum_m boost_weight_m int dE_D (dsigma/dE_C)(E_D -> E_C) Phi_D(z_m, E_D), with the
    E_D integral (and dsigma/dE_C) folded into the kernel matrix.

    Parameters
    ----------
    grid : PropagationGrid
    dsnb_z : numpy.ndarray
        Attenuated DSNB on the coarse redshift nodes, shape (..., n_z_coarse, n_E).
    kernel : numpy.ndarray
        W, shape (n_E, n_E), MeV^-2: psi_c = sum_d W[c, d] H_d with
        H_d = sum_m boost_weight_m Phi_D(z_m, E_d) (from :func:`flat_kernel` or
        :func:`relicboost.physics.light_mediator.paper_partner_kernel`).

    Returns
    -------
    numpy.ndarray
        Shape (..., n_E): psi(E_C) in cm^-2 s^-1 MeV^-1.
    """
    z_weighted = np.einsum("m,...me->...e", grid.boost_weight, dsnb_z)
    return z_weighted @ np.asarray(kernel).T
