"""Window integrals of a flux cut by an opaque narrow resonance today (relics at rest).

With relics at rest a neutrino redshifting through E_res = M^2 / (2 m_nu) is absorbed, so the flux today jumps
at E_res: above it the unabsorbed flux times the notch exp(-c / delta) of the resonance's Lorentzian tail
(delta = ln(E / E_res), c = tau_res Gamma / (pi M), :func:`.light_mediator.resonant_steps.resonance_edge`),
below it the unscattered flux of the sources emitted after E_res was passed and the products of the neutrinos
absorbed since, both vanishing linearly in |delta|.  A rule through the nodes on both sides
(:func:`.detection.integrated_flux`) errs by up to half the jump times a node spacing (a few % of the SK-window
flux on 40 points per decade).  :func:`edge_integrated_flux` integrates each side from its own nodes (nodes
within half a spacing of E_res skipped) by the rule of :func:`.detection.integrated_flux`, and the gap to E_res
analytically in shape: below, the flux as delta times a quadratic extrapolation of y / delta (y = E phi);
above, a quadratic extrapolation of y exp(c / delta) from nodes where the notch is mild, times the notch.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .detection import check_range, cumulative_flux

#: Nodes above E_res whose notch c / delta exceeds this are not extrapolated from (their values divided by the
#: notch would amplify errors).
NOTCH_MAX = 0.2
#: Nodes closer to E_res than this many node spacings are not used (their values carry the sub-grid structure).
GAP_MIN = 0.5
_T, _W = np.polynomial.legendre.leggauss(16)
_T, _W = 0.5 * (_T + 1.0), 0.5 * _W


def _gauss(f: Callable[[np.ndarray], np.ndarray], a: float, b: float) -> float:
    """int_a^b f(x) dx, 16-point Gauss-Legendre (a <= b)."""
    return float(np.sum((b - a) * _W * f(a + (b - a) * _T)))


def _notch_integral(f: Callable[[np.ndarray], np.ndarray], xr: float, a: float, b: float, c: float) -> float:
    """int_a^b f(x) exp(-c / (x - xr)) dx for xr <= a <= b, in s = sqrt(x - xr) (the notch rises over ~c)."""
    sa, sb = np.sqrt(a - xr), np.sqrt(b - xr)
    s = sa + (sb - sa) * _T
    x = xr + s**2
    return float(np.sum((sb - sa) * _W * 2 * s * f(x) * np.exp(-c / np.maximum(s**2, 1e-300))))


def _parabola(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The parabola through three points (x[k], y[k])."""
    coef = np.polyfit(x - x[-1], y, 2)
    return lambda t: np.polyval(coef, t - x[-1])


def _cumulative_between(energy: np.ndarray, flux: np.ndarray, lo: float, hi: float) -> float:
    """int flux dE over ln E in [lo, hi] inside the nodes ``energy`` (:func:`.detection.cumulative_flux`)."""
    if hi <= lo:
        return 0.0
    c = cumulative_flux(energy, flux)
    return float(c(hi) - c(lo))


class EdgeModel:
    """The flux of the nodes of each side of E_res, extrapolated into the gap around it (see the module).

    Attributes
    ----------
    ib, ia : int
        Last node used below E_res and first node used above it (nodes within half a spacing of E_res and nodes
        with a strong notch, c / delta > :data:`NOTCH_MAX`, are skipped).
    """

    def __init__(self, energy_MeV: np.ndarray, unscattered: np.ndarray, rest: np.ndarray, e_res_MeV: float,
                 c: float) -> None:
        e = np.asarray(energy_MeV, dtype=float)
        x, self.xr, self.c = np.log(e), float(np.log(e_res_MeV)), float(c)
        delta = x - self.xr
        h = float(x[1] - x[0])
        below = np.nonzero(delta < -GAP_MIN * h)[0]
        above = np.nonzero((delta > GAP_MIN * h) & (c < NOTCH_MAX * np.maximum(delta, 1e-300)))[0]
        if below.size < 3 or above.size < 3:
            raise ValueError(f"e_res_MeV={e_res_MeV!r} needs 3 nodes below and 3 nodes with a mild notch above it")
        self.ib, self.ia = int(below[-1]), int(above[0])
        y = (unscattered + rest) * e
        last, first = slice(self.ib - 2, self.ib + 1), slice(self.ia, self.ia + 3)
        # below: all of the flux vanishes linearly at E_res (emitted or born after E_res passed)
        self.below_over_delta = _parabola(x[last], y[last] / -delta[last])
        self.above_smooth = _parabola(x[first], y[first] * np.exp(c / delta[first]))

    def y_below(self, x: np.ndarray) -> np.ndarray:
        """E phi at ln E = x < ln E_res, cm^-2 s^-1."""
        return (self.xr - x) * self.below_over_delta(x)

    def y_above(self, x: np.ndarray) -> np.ndarray:
        """E phi at ln E = x > ln E_res, cm^-2 s^-1 (the notch included)."""
        return self.above_smooth(x) * np.exp(-self.c / np.maximum(x - self.xr, 1e-300))

    def flux(self, energy_MeV: np.ndarray) -> np.ndarray:
        """Differential flux at energies between the nodes ib and ia, cm^-2 s^-1 MeV^-1."""
        x = np.log(energy_MeV)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(x < self.xr, self.y_below(x), self.y_above(x)) / energy_MeV


def edge_integrated_flux(energy_MeV: np.ndarray, unscattered: np.ndarray, rest: np.ndarray, emin: float,
                         emax: float | None, e_res_MeV: float, c: float) -> float:
    """Flux integrated over [emin, emax] MeV, cm^-2 s^-1, with the jump at ``e_res_MeV`` resolved.

    Parameters
    ----------
    energy_MeV : numpy.ndarray
        Log-spaced energy nodes, MeV; E_res must have 3 nodes below and 3 above it (half a spacing away).
    unscattered, rest : numpy.ndarray
        Unscattered flux (zero at E_res from below) and the rest (boosted), cm^-2 s^-1 MeV^-1.
    emin, emax : float
        Window in MeV (emax None: grid end), inside the grid.
    e_res_MeV : float
        Resonance energy today, MeV.
    c : float
        Tail width in ln E (notch exp(-c / delta) above E_res), >= 0.
    """
    e = np.asarray(energy_MeV, dtype=float)
    emax = float(e[-1]) if emax is None else float(emax)
    check_range(e, float(emin), emax, "edge_integrated_flux")
    model = EdgeModel(e, unscattered, rest, e_res_MeV, c)
    x, xr, ib, ia = np.log(e), model.xr, model.ib, model.ia
    lo, hi = float(np.log(emin)), float(np.log(emax))
    total = _cumulative_between(e[:ib + 1], (unscattered + rest)[:ib + 1], max(lo, x[0]), min(hi, x[ib]))
    a, b = max(lo, x[ib]), min(hi, xr)
    if b > a:
        total += _gauss(model.y_below, a, b)
    a, b = max(lo, xr), min(hi, x[ia])
    if b > a:
        total += _notch_integral(model.above_smooth, xr, a, b, c)
    return total + _cumulative_between(e[ia:], (unscattered + rest)[ia:], max(lo, x[ia]), hi)
