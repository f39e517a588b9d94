"""CEvNS on a target: detector response, cross section and cached response matrices.

The machinery behind :mod:`relicboost.physics.cevns` (see its docstring for the physics, the
numerics and the units): :class:`DetectorResponse`, the differential and total cross sections,
the power-law reading of a tabulated flux (:func:`power_law_samples` on
:func:`subdivided_grid`), and the cached matrices that turn such samples into recoil spectra
(events / (ton yr keV)) or counts above thresholds (events / (ton yr)).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erfc

from .form_factors import helm_form_factor_sq
from .targets import SIN2_THETA_W_DEFAULT, Isotope, Target, max_recoil_keV
from .units import G_F_MEV2, HBARC2_MEV2_CM2, KEV_MEV, YEAR_S

#: Largest ratio of neighbouring flux values read as a power law (else linear in E).
MAX_POWER_LAW_RATIO: float = 1e3
#: Sub-intervals per flux interval on which the power-law reading of a flux is sampled.
SUBDIVISIONS: int = 8
#: Points per decade of the internal recoil grid used for counts.
RECOIL_POINTS_PER_DECADE: int = 200
#: events/(ton yr keV) per [MeV^-3 cm^-2 s^-1 nuclei/ton] : (hbar c)^2 * keV/MeV * yr/s.
_RATE_UNIT = HBARC2_MEV2_CM2 * KEV_MEV * YEAR_S


@dataclass(frozen=True)
class DetectorResponse:
    """Optional detector response applied to true recoil energies.

    Attributes
    ----------
    efficiency : callable or None
        eps(E_R [keV]) in [0, 1], vectorised; None = 1.
    resolution_keV : float, callable or None
        Gaussian energy resolution sigma(E_R) in keV (constant or function of the true
        recoil energy); None = perfect resolution.  With a resolution, spectra and
        thresholds refer to the reconstructed energy.
    """

    efficiency: Callable | None = None
    resolution_keV: float | Callable | None = None

    def eps(self, er_keV: np.ndarray) -> np.ndarray:
        """Efficiency at true recoil energies (keV)."""
        if self.efficiency is None:
            return np.ones_like(er_keV)
        e = np.broadcast_to(np.asarray(self.efficiency(er_keV), dtype=float), er_keV.shape)
        if np.any(~np.isfinite(e)) or np.any(e < 0) or np.any(e > 1):
            raise ValueError("efficiency must return finite values in [0, 1]")
        return e

    def sigma(self, er_keV: np.ndarray) -> np.ndarray | None:
        """Resolution sigma (keV) at true recoil energies, or None."""
        if self.resolution_keV is None:
            return None
        r = self.resolution_keV
        s = np.broadcast_to(np.asarray(r(er_keV) if callable(r) else r, dtype=float), er_keV.shape)
        if np.any(~np.isfinite(s)) or np.any(s <= 0):
            raise ValueError("resolution_keV must be (or return) finite values > 0 keV")
        return s


# --------------------------------------------------------------------------- kinematics, cross section

def min_neutrino_energy_MeV(recoil_keV: ArrayLike, mass_MeV: float) -> np.ndarray:
    """Smallest neutrino energy (MeV) that can give a recoil of ``recoil_keV`` keV."""
    t = np.asarray(recoil_keV, dtype=float) * KEV_MEV
    return 0.5 * (t + np.sqrt(t * t + 2.0 * mass_MeV * t))


def _prefactor(recoil_keV: np.ndarray, iso: Isotope, sin2_theta_w: float, form_factor: bool) -> np.ndarray:
    """G_F^2 m Q_W^2 F^2 / (4 pi) in MeV^-3 at recoil energies (keV)."""
    m = iso.nuclear_mass_MeV
    k = G_F_MEV2**2 * m * iso.weak_charge(sin2_theta_w) ** 2 / (4.0 * np.pi)
    if not form_factor:
        return np.full(np.shape(recoil_keV), k)
    q = np.sqrt(2.0 * m * np.asarray(recoil_keV) * KEV_MEV)
    return k * helm_form_factor_sq(q, iso.A)


def differential_cross_section(energy_MeV: ArrayLike, recoil_keV: ArrayLike, isotope: Isotope,
                               sin2_theta_w: float = SIN2_THETA_W_DEFAULT, form_factor: bool = True) -> np.ndarray:
    """CEvNS dsigma/dE_R per nucleus, cm^2 keV^-1 (zero beyond the kinematic end point).

    Parameters
    ----------
    energy_MeV, recoil_keV : array_like
        Neutrino energy (MeV) and nuclear recoil energy (keV); broadcast together.
    isotope : Isotope
        Target nucleus.
    sin2_theta_w : float
        Weak mixing angle.
    form_factor : bool
        Include the Helm F^2 (default) or set F = 1.
    """
    e = np.asarray(energy_MeV, dtype=float)
    t = np.asarray(recoil_keV, dtype=float)
    _check_positive_array(e, "energy_MeV")
    _check_positive_array(t, "recoil_keV", allow_zero=True)
    m = isotope.nuclear_mass_MeV
    kin = 1.0 - m * t * KEV_MEV / (2.0 * e * e)
    allowed = t <= max_recoil_keV(e, m)
    ds = _prefactor(t, isotope, sin2_theta_w, form_factor) * np.where(allowed, kin, 0.0)
    return ds * HBARC2_MEV2_CM2 * KEV_MEV


def total_cross_section(energy_MeV: ArrayLike, isotope: Isotope, sin2_theta_w: float = SIN2_THETA_W_DEFAULT,
                        form_factor: bool = True, n_points: int = 96) -> np.ndarray:
    """Total CEvNS cross section per nucleus, cm^2 (Gauss-Legendre over 0 <= E_R <= E_R,max).

    Parameters
    ----------
    energy_MeV : array_like
        Neutrino energies, MeV (> 0).
    isotope, sin2_theta_w, form_factor :
        As in :func:`differential_cross_section`.
    n_points : int
        Gauss-Legendre nodes (the integrand is smooth: exact to machine precision
        without form factor, converged to < 1e-6 with it below 300 MeV).
    """
    e = np.atleast_1d(np.asarray(energy_MeV, dtype=float))
    _check_positive_array(e, "energy_MeV")
    x, w = np.polynomial.legendre.leggauss(n_points)
    tmax = max_recoil_keV(e, isotope.nuclear_mass_MeV)[:, None]
    t = 0.5 * tmax * (x[None, :] + 1.0)
    ds = differential_cross_section(e[:, None], t, isotope, sin2_theta_w, form_factor)
    out = 0.5 * tmax[:, 0] * (ds @ w)
    return out.reshape(np.shape(energy_MeV))


# --------------------------------------------------------------------------- response matrices

def _check_positive_array(x: np.ndarray, name: str, allow_zero: bool = False) -> None:
    bad = ~np.isfinite(x) | ((x < 0) if allow_zero else (x <= 0))
    if np.any(bad):
        rng = "[0, inf)" if allow_zero else "(0, inf)"
        raise ValueError(f"{name} must be finite and in {rng} keV/MeV units; got {np.asarray(x)[bad][:3]}")


def check_grid(energy_MeV, flux=None) -> tuple:
    e = np.ascontiguousarray(energy_MeV, dtype=float)
    if e.ndim != 1 or e.size < 2 or np.any(~np.isfinite(e)) or np.any(e <= 0) or np.any(np.diff(e) <= 0):
        raise ValueError("energy_MeV must be a 1-D strictly increasing array of positive energies (MeV)")
    if flux is None:
        return e, None
    f = np.asarray(flux, dtype=float)
    if f.shape != e.shape:
        raise ValueError(f"flux must have the shape of energy_MeV {e.shape}, got {f.shape}")
    if np.any(~np.isfinite(f)) or np.any(f < 0):
        raise ValueError("flux (cm^-2 s^-1 MeV^-1) must be finite and >= 0")
    return e, f


@lru_cache(maxsize=16)
def subdivided_grid(e_bytes: bytes) -> np.ndarray:
    """SUBDIVISIONS points per interval of the grid, uniform in ln E (the nodes included)."""
    e = np.frombuffer(e_bytes)
    frac = np.arange(SUBDIVISIONS) / SUBDIVISIONS
    le = np.log(e)
    sub = np.exp(le[:-1, None] + frac[None, :] * np.diff(le)[:, None]).ravel()
    out = np.append(sub, e[-1])
    out[::SUBDIVISIONS] = e  # the nodes exactly
    out.setflags(write=False)
    return out


def power_law_samples(e: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Flux on :func:`subdivided_grid`: power law between positive nodes, linear in E elsewhere.

    Where the flux changes by more than ``MAX_POWER_LAW_RATIO`` across one interval (the edge of a
    line drawn as a narrow triangle, a table's cut-off) the grid does not resolve a power law and
    the linear reading is used."""
    frac = np.arange(SUBDIVISIONS) / SUBDIVISIONS
    fa, fb = f[:-1, None], f[1:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = (fa > 0) & (fb > 0) & (np.abs(np.log(fb / fa)) < np.log(MAX_POWER_LAW_RATIO))
    with np.errstate(divide="ignore", invalid="ignore"):
        power = fa * np.exp(frac[None, :] * np.log(np.where(positive, fb / np.where(positive, fa, 1.0), 1.0)))
    ea, eb = e[:-1, None], e[1:, None]
    es = subdivided_grid(e.tobytes())[:-1].reshape(-1, SUBDIVISIONS)
    linear = fa + (fb - fa) * (es - ea) / (eb - ea)
    return np.append(np.where(positive, power, linear).ravel(), f[-1])


def _hat_integrals(energy_MeV: np.ndarray, recoil_keV: np.ndarray, iso: Isotope) -> np.ndarray:
    """W[j, i] = int h_i(E) (1 - m E_R,j / (2 E^2)) Theta(E - E_min,j) dE, MeV (h_i: linear hat)."""
    m = iso.nuclear_mass_MeV
    b = 0.5 * m * recoil_keV[:, None] * KEV_MEV                         # MeV^2
    emin = min_neutrino_energy_MeV(recoil_keV, m)[:, None]
    lo, hi = energy_MeV[None, :-1], energy_MeV[None, 1:]
    a = np.maximum(lo, emin)
    c = np.maximum(hi, a)                                               # empty interval -> c = a
    d = c - a
    i0 = d * (1.0 - b / (a * c))                                        # int (1 - b/E^2) dE
    i1 = 0.5 * d * (a + c) - b * np.log1p(d / a)                        # int E (1 - b/E^2) dE
    width = hi - lo
    w = np.zeros((recoil_keV.size, energy_MeV.size))
    w[:, :-1] += (hi * i0 - i1) / width
    w[:, 1:] += (i1 - lo * i0) / width
    return w


def _spectrum_matrix(energy_MeV: np.ndarray, recoil_keV: np.ndarray, target: Target) -> np.ndarray:
    """R[j, i]: events/(ton yr keV) at recoil j per unit flux hat at node i."""
    n_t = target.nuclei_per_ton()
    r = np.zeros((recoil_keV.size, energy_MeV.size))
    for iso, n in zip(target.isotopes, n_t):
        k = _prefactor(recoil_keV, iso, target.sin2_theta_w, True)
        r += (n * k)[:, None] * _hat_integrals(energy_MeV, recoil_keV, iso)
    return r * _RATE_UNIT


def _sigma_keV(response: DetectorResponse, er_keV: np.ndarray) -> np.ndarray:
    """Resolution sigma (keV) on the smearing path, which runs only when ``response.resolution_keV`` is set."""
    sigma = response.sigma(er_keV)
    assert sigma is not None, "smearing path reached without response.resolution_keV"
    return sigma


def _recoil_grid(lo_keV: float, hi_keV: float) -> np.ndarray:
    n = max(int(np.ceil(np.log10(hi_keV / lo_keV) * RECOIL_POINTS_PER_DECADE)) + 1, 8)
    return np.geomspace(lo_keV, hi_keV, n)


def _smearing_grid(lo_keV: float, hi_keV: float, x_max_keV: float, response: DetectorResponse) -> np.ndarray:
    """Log grid refined with a linear one (step <= sigma/4) where the Gaussian kernel is evaluated."""
    base = _recoil_grid(lo_keV, hi_keV)
    top = min(x_max_keV + 6.0 * float(_sigma_keV(response, np.array([x_max_keV]))[0]), hi_keV)
    if top <= lo_keV:
        return base
    s_min = float(_sigma_keV(response, np.geomspace(lo_keV, top, 64)).min())
    n = min(int(np.ceil((top - lo_keV) / (0.25 * s_min))) + 1, 20000)
    return np.unique(np.concatenate([base, np.linspace(lo_keV, top, n)]))


def _trapezoid_lnweights(grid: np.ndarray) -> np.ndarray:
    """Weights w with sum(w f) = trapezoid in ln E of E f over the whole grid."""
    du = np.diff(np.log(grid))
    w = np.zeros_like(grid)  # non-uniform spacing allowed
    w[:-1] += 0.5 * du
    w[1:] += 0.5 * du
    return w * grid


def _tail_weights(grid: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """T[k, j] with sum_j T[k, j] f(E_j) = int_{th_k}^{grid end} f dE (trapezoid in ln E of E f)."""
    u = np.log(grid)
    out = np.zeros((thresholds.size, grid.size))
    for k, th in enumerate(thresholds):
        if th >= grid[-1]:
            continue
        ut = np.log(max(th, grid[0]))
        m = min(int(np.searchsorted(u, ut, side="right")) - 1, grid.size - 2)
        h = u[m + 1] - u[m]
        alpha = (ut - u[m]) / h
        part = u[m + 1] - ut
        out[k, m] += 0.5 * part * (1.0 - alpha)
        out[k, m + 1] += 0.5 * part * (1.0 + alpha)
        du = np.diff(u[m + 1:])
        out[k, m + 1:-1] += 0.5 * du
        out[k, m + 2:] += 0.5 * du
    return out * grid[None, :]


@lru_cache(maxsize=64)
def spectrum_operator(e_bytes: bytes, x_bytes: bytes, target: Target,
                              response: DetectorResponse) -> np.ndarray:
    e = np.frombuffer(e_bytes)
    x = np.frombuffer(x_bytes)
    hi = max(target.max_recoil_keV(e[-1]), x.max()) * 1.0001
    if response.resolution_keV is None:
        op = _spectrum_matrix(e, x, target) * response.eps(x)[:, None]
    else:
        sx = _sigma_keV(response, x)
        lo = max(float(np.min(x - 6.0 * sx)), 1e-3 * float(x.min()))
        grid = _smearing_grid(lo, hi, float(x.max()), response)
        sg = _sigma_keV(response, grid)
        kern = np.exp(-0.5 * ((x[:, None] - grid[None, :]) / sg[None, :]) ** 2) / (np.sqrt(2 * np.pi) * sg)
        wts = _trapezoid_lnweights(grid) * response.eps(grid)
        op = (kern * wts[None, :]) @ _spectrum_matrix(e, grid, target)
    op.setflags(write=False)
    return op


@lru_cache(maxsize=64)
def counts_operator(e_bytes: bytes, th_bytes: bytes, target: Target,
                            response: DetectorResponse) -> np.ndarray:
    e = np.frombuffer(e_bytes)
    th = np.frombuffer(th_bytes)
    hi = target.max_recoil_keV(e[-1]) * 1.0001
    if response.resolution_keV is None:
        lo = float(th.min())
        if lo >= hi:
            return np.zeros((th.size, e.size))
        grid = _recoil_grid(lo, hi)
        weights = _tail_weights(grid, th) * response.eps(grid)[None, :]
    else:
        s0 = float(_sigma_keV(response, np.array([th.min()]))[0])
        lo = max(float(th.min()) - 6.0 * s0, 1e-3 * float(th.min()))
        if lo >= hi:
            return np.zeros((th.size, e.size))
        grid = _smearing_grid(lo, hi, float(th.max()), response)
        sg = _sigma_keV(response, grid)
        p_above = 0.5 * erfc((th[:, None] - grid[None, :]) / (np.sqrt(2.0) * sg[None, :]))
        weights = p_above * (_trapezoid_lnweights(grid) * response.eps(grid))[None, :]
    op = weights @ _spectrum_matrix(e, grid, target)
    op.setflags(write=False)
    return op


def as_points(x, name: str) -> tuple:
    arr = np.asarray(x, dtype=float)
    flat = np.ascontiguousarray(arr.ravel())
    if flat.size == 0:
        raise ValueError(f"{name} must not be empty")
    _check_positive_array(flat, name)
    return arr.shape, flat
