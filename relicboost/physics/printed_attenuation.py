"""Eq. IV.10 as printed (sigma at the un-redshifted energy) on preallocated work buffers.

The attenuated DSNB Phi_D(E, z_m) of :func:`relicboost.physics.propagation.attenuated_dsnb`
with ``sigma_energy="printed"`` is a sum of exponentially fitted Simpson panels
(:func:`relicboost.physics.propagation.fitted_simpson_weights`).  Its optical depth is an
outer product, tau = c(E) (k(z') - k(z)) with c = lam E (or any sigma(E)), so every
(panel x energy) table is an outer product of a lam-independent redshift vector and c(E):

* the Taylor-series weights w_j = h sum_n S[j, n] (a_p c_e)^n are one small matrix
  product (3 n_panels x 6) @ (6 x n_E), written into a work buffer;
* the closed-form weights (a c >= 0.5) are evaluated on those elements only (few below
  saturation: 1.5k of 17k at lam = 1e-10, so their temporaries stay small);
* exponentials and the panel sums use ``out=`` ufuncs on the same buffers.

One :class:`PrintedAttenuation` owns its buffers (~2 MB for the default grid and three
species): a new lam allocates no large temporary, so a prediction costs the same with any
memory allocator setting.  The buffers make an instance (and the Model that holds it)
**not thread-safe**: use one instance per thread.
"""
from __future__ import annotations

import itertools

import numpy as np

from .grids import PropagationGrid

#: Largest lambda E k for which exp(+lambda E k) is formed directly (cumulative-sum path).
MAX_EXPONENT = 600.0
#: Attenuation factors exp(-x) are formed as exp(-min(x, EXP_FLOOR)) >= 1e-304: below that they only
#: enter fluxes at the 1e-300 level, and exp's slow path for subnormal or zero results costs 10-80x.
EXP_FLOOR = 700.0


def moment_series(order: int = 5) -> np.ndarray:
    """Taylor coefficients c[j, n] of w_j(t) = int_0^2 L_j(s) exp(-t s) ds = sum_n c[j, n] t^n.

    L_0, L_1, L_2 are the quadratic Lagrange polynomials on the nodes s = 0, 1, 2.
    """
    n = np.arange(order + 3)
    mu = 2.0 ** (n + 1) / (n + 1)  # int_0^2 s^n ds
    c = np.empty((3, order + 1))
    fact = np.cumprod(np.concatenate([[1.0], np.arange(1.0, order + 1)]))
    sign_fact = (-1.0) ** np.arange(order + 1) / fact
    k = np.arange(order + 1)
    c[0] = 0.5 * (mu[k + 2] - 3.0 * mu[k + 1] + 2.0 * mu[k]) * sign_fact
    c[1] = -(mu[k + 2] - 2.0 * mu[k + 1]) * sign_fact
    c[2] = 0.5 * (mu[k + 2] - mu[k + 1]) * sign_fact
    return c


SERIES = moment_series(5)
#: Below this the 5th-order Taylor series (truncation < 1e-11 relative) replaces the closed forms
#: (whose cancellation error, ~1e-16 / t^3, is < 1e-10 above it).
SERIES_MAX_T = 0.02
#: The work-buffer path uses a 14th-order series up to t = 0.5 (truncation < 4e-11 relative),
#: so the closed forms (cancellation error < 1e-15 there) are needed on fewer elements.
LONG_SERIES = moment_series(14)
LONG_SERIES_MAX_T = 0.5
#: Up to this many closed-form elements (64 kB per temporary, below glibc's mmap threshold) are
#: computed on compressed copies; more (far into saturation) in place on the work buffers.
COMPRESSED_MAX = 8192


class PrintedAttenuation:
    """Phi_D(E, z_m) of Eq. IV.10 as printed, for sources of one leading shape.

    Parameters
    ----------
    grid : PropagationGrid
    lead_shape : tuple of int
        Leading shape of the source tables (e.g. ``(3,)`` for nue, nuebar, nux).
    """

    def __init__(self, grid: PropagationGrid, lead_shape: tuple[int, ...] = ()) -> None:
        k, dk, h = grid.k_printed, grid.dk_printed, grid.h_u
        n_e = grid.energy.size
        self.n_e = n_e
        self.lead_shape = tuple(lead_shape)
        self.h = h
        self.rate_z = dk[0:-2:2] * h                                   # a_p: rate per unit c at each panel start
        self.d1 = (k[1:-1:2] - k[0:-2:2]) - self.rate_z                 # curvature part of tau, middle node
        self.d2 = (k[2::2] - k[0:-2:2]) - 2.0 * self.rate_z             # and end node
        self.panel_tau = k[2::2] - k[0:-2:2]                            # tau over a panel per unit c
        self.k_start = k[0:-2:2]                                        # k at each panel start
        self.k_end = float(k[-1])
        n_p = self.rate_z.size
        self.n_panels = n_p
        powers = self.rate_z[None, :] ** np.arange(LONG_SERIES.shape[1])[:, None]  # (order + 1, n_p)
        self.series_matrix = (h * LONG_SERIES[:, None, :] * powers.T[None, :, :]).reshape(3 * n_p, -1)
        self.z_factor = ((1.0 + grid.z_coarse) ** 2)[:, None]
        tab = (n_p, n_e)
        self._cpow = np.empty((LONG_SERIES.shape[1], n_e))
        self._exponents = np.arange(LONG_SERIES.shape[1])[:, None]
        self._w = np.empty((3,) + tab)
        self._minus_d = -np.stack([self.d1, self.d2])
        self._g = np.empty((2,) + tab)
        self._x = np.empty(tab)
        #: (c, z_weight, (weights, decay, histories)) of the last today_and_weighted call
        self._lam_tables: tuple | None = None
        self._t = np.empty(tab)
        self._b = [np.empty(tab) for _ in range(6)]
        self._mask = np.empty(tab, dtype=bool)
        self._blocks = np.empty(self.lead_shape + tab)
        self._tmp = np.empty(self.lead_shape + tab)
        self._out = np.empty(self.lead_shape + (n_p + 1, n_e))

    def _weights(self, c: np.ndarray) -> np.ndarray:
        """Fitted Simpson weights x h for t = a_p c_e, shape (3, n_panels, n_E), in the work buffer."""
        w, t = self._w, self._t
        np.power(c[None, :], self._exponents, out=self._cpow)
        with np.errstate(over="ignore", invalid="ignore"):
            np.matmul(self.series_matrix, self._cpow, out=w.reshape(3 * self.n_panels, self.n_e))
        np.multiply(self.rate_z[:, None], c[None, :], out=t)
        large = np.flatnonzero(t >= LONG_SERIES_MAX_T)
        if large.size == 0:
            return w
        if large.size > COMPRESSED_MAX:
            self._closed_forms_in_place(w, t)
            return w
        # closed forms on the large elements only (few below saturation: small temporaries)
        ts = t.ravel()[large]
        e2 = np.exp(np.maximum(-2.0 * ts, -EXP_FLOOR))
        m0 = -np.expm1(-2.0 * ts) / ts
        m1 = (1.0 - e2 * (1.0 + 2.0 * ts)) / ts**2
        m2 = (2.0 - e2 * (2.0 + 4.0 * ts * (1.0 + ts))) / ts**3
        flat = w.reshape(3, -1)
        flat[0, large] = (0.5 * self.h) * (m2 - 3.0 * m1 + 2.0 * m0)
        flat[1, large] = self.h * (2.0 * m1 - m2)
        flat[2, large] = (0.5 * self.h) * (m2 - m1)
        return w

    def _closed_forms_in_place(self, w: np.ndarray, t: np.ndarray) -> None:
        """Closed-form weights where t >= LONG_SERIES_MAX_T, on the work buffers (no temporaries)."""
        ts, e2, m0, m1, m2, acc = self._b
        mask = self._mask
        np.greater_equal(t, LONG_SERIES_MAX_T, out=mask)
        np.maximum(t, LONG_SERIES_MAX_T, out=ts)
        np.multiply(ts, -2.0, out=e2)
        np.expm1(e2, out=m0)
        np.maximum(e2, -EXP_FLOOR, out=e2)
        np.exp(e2, out=e2)                                  # e2 = exp(-2t)
        m0 /= ts
        np.negative(m0, out=m0)                             # m0 = (1 - e2)/t
        np.multiply(ts, 2.0, out=m1)                        # m1 = (1 - e2 (1 + 2t))/t^2
        m1 += 1.0
        m1 *= e2
        np.subtract(1.0, m1, out=m1)
        m1 /= ts
        m1 /= ts
        np.add(ts, 1.0, out=m2)                             # m2 = (2 - e2 (2 + 4t (1 + t)))/t^3
        m2 *= ts
        m2 *= 4.0
        m2 += 2.0
        m2 *= e2
        np.subtract(2.0, m2, out=m2)
        m2 /= ts
        m2 /= ts
        m2 /= ts
        np.multiply(m1, -3.0, out=acc)                      # w0 = h/2 (m2 - 3 m1 + 2 m0)
        acc += m2
        m0 *= 2.0
        acc += m0
        acc *= 0.5 * self.h
        np.copyto(w[0], acc, where=mask)
        np.multiply(m1, 2.0, out=acc)                       # w1 = h (2 m1 - m2)
        acc -= m2
        acc *= self.h
        np.copyto(w[1], acc, where=mask)
        np.subtract(m2, m1, out=acc)                        # w2 = h/2 (m2 - m1)
        acc *= 0.5 * self.h
        np.copyto(w[2], acc, where=mask)

    def _fitted_weights(self, c: np.ndarray) -> np.ndarray:
        """Weights of the three nodes of each panel with the attenuation inside the panel (work buffer)."""
        self._lam_tables = None                             # the work buffer is overwritten
        w = self._weights(c)
        g = self._g
        np.multiply(self._minus_d[:, :, None], c, out=g)    # w_j *= exp(-(tau_j - j a)) = exp(-d_j c), j = 1, 2
        np.maximum(g, -EXP_FLOOR, out=g)
        np.exp(g, out=g)
        w[1:] *= g
        return w

    def _panel_blocks(self, src: np.ndarray, c: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Integral of src exp(-tau) over each Simpson panel, tau from the panel start (work buffer);
        ``w`` = :meth:`_fitted_weights` of ``c`` if already formed."""
        w = self._fitted_weights(c) if w is None else w
        blocks, tmp = self._blocks, self._tmp
        np.multiply(src[..., 0:-2:2, :], w[0], out=blocks)
        np.multiply(src[..., 1:-1:2, :], w[1], out=tmp)
        blocks += tmp
        np.multiply(src[..., 2::2, :], w[2], out=tmp)
        blocks += tmp
        return blocks

    def _decay_to_start(self, c: np.ndarray) -> np.ndarray:
        """exp(-c k_p) at each panel start (work buffer), shape (n_panels, n_E)."""
        x = self._b[1]
        np.multiply(self.k_start[:, None], c[None, :], out=x)
        np.negative(x, out=x)
        np.maximum(x, -EXP_FLOOR, out=x)
        np.exp(x, out=x)
        return x

    def _panel_decay(self, c: np.ndarray) -> np.ndarray:
        """exp(-Delta tau) over each panel (work buffer), shape (n_panels, n_E)."""
        r2 = self._b[2]
        np.multiply(self.panel_tau[:, None], c[None, :], out=r2)
        np.negative(r2, out=r2)
        np.maximum(r2, -EXP_FLOOR, out=r2)
        np.exp(r2, out=r2)
        return r2

    def __call__(self, src: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Phi_D on the coarse redshift nodes for optical-depth coefficients ``c`` (MeV^-2).

        Parameters
        ----------
        src : numpy.ndarray
            Source tables, shape lead_shape + (n_z_fine, n_E) (:func:`propagation.source_table`).
        c : numpy.ndarray
            lam E or sigma(E) per relic state at the energy nodes, MeV^-2, shape (n_E,), >= 0.

        Returns
        -------
        numpy.ndarray
            Shape lead_shape + (n_z_coarse, n_E), cm^-2 s^-1 MeV^-1.  This is the instance's
            work buffer: it is overwritten by the next call (copy what you keep).
        """
        blocks, out = self._panel_blocks(src, c), self._out
        out[..., -1, :] = 0.0
        if float(c.max()) * self.k_end < MAX_EXPONENT:
            # sum over panels >= m of blocks exp(-(tau to the panel)): one reverse cumulative sum
            x = self._decay_to_start(c)
            blocks *= x
            np.cumsum(blocks[..., ::-1, :], axis=-2, out=out[..., -2::-1, :])
            out[..., :-1, :] /= x
        else:  # the same sum as a backward recurrence of exp(-Delta tau) <= 1 factors (no overflow)
            r2 = self._panel_decay(c)
            for m in range(self.n_panels - 1, -1, -1):
                np.multiply(out[..., m + 1, :], r2[m], out=out[..., m, :])
                out[..., m, :] += blocks[..., m, :]
        out *= self.z_factor
        return out

    def today_and_weighted(self, src: np.ndarray, c: np.ndarray,
                           z_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Phi_D today and sum_m z_weight_m Phi_D(z_m), without forming the redshift table.

        Both are linear in the panel blocks B_p:  Phi_D(0) = sum_p B_p X_p with
        X_p = exp(-c k_p), and sum_m z_weight_m Phi_D(z_m) = sum_p B_p V_p with
        V_p = sum_{m <= p} z_weight_m (1+z_m)^2 exp(-c (k_p - k_m))  (a recurrence
        V_p = z'_p + exp(-Delta tau_{p-1}) V_{p-1}, or a cumulative sum when no exponent overflows).

        Parameters
        ----------
        src, c :
            As in :meth:`__call__`.
        z_weight : numpy.ndarray
            Weights on the coarse redshift nodes, shape (n_z_coarse,) (e.g. ``grid.boost_weight``)
            or (K, n_z_coarse) for K weighted sums at once (returned stacked on a first axis).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Each lead_shape + (n_E,): Phi_D at z = 0 [cm^-2 s^-1 MeV^-1] and the weighted sum
            [cm^-2 s^-1 MeV^-1 x unit of z_weight]; new arrays.
        """
        w, x, v = self._tables(c, z_weight)
        blocks = self._panel_blocks(src, c, w)
        today = np.einsum("...pe,pe->...e", blocks, x)
        weighted = np.einsum("...pe,kpe->k...e", blocks, v)
        if np.ndim(z_weight) == 1:
            return today, weighted[0]
        return today, weighted

    def _tables(self, c: np.ndarray, z_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fitted weights, exp(-c k_p) and the weighted histories V for ``c``: everything that does not
        depend on the sources.  The tables of the last (c, z_weight) are kept, so calls that change
        only the sources (a fit of the temperatures at fixed lam) reuse them."""
        last = self._lam_tables
        if last is not None and last[1] is z_weight and np.array_equal(last[0], c):
            return last[2]
        w = self._fitted_weights(c)
        x = self._x
        np.copyto(x, self._decay_to_start(c))              # kept: the _b buffers are reused by _weights
        zws = np.atleast_2d(np.asarray(z_weight, dtype=float)) * self.z_factor[:, 0]
        v = self._history(c, zws[:, :-1], x)
        self._lam_tables = (c.copy(), z_weight, (w, x, v))
        return w, x, v

    def _history(self, c: np.ndarray, zw: np.ndarray, x: np.ndarray) -> np.ndarray:
        """V_p = sum_{m <= p} zw_m exp(-c (k_p - k_m)) for each row of ``zw`` (K, n_panels): (K, n_panels, n_E).

        One cumulative sum of zw_m exp(+c k_m) where no exponent exceeds MAX_EXPONENT; otherwise the
        same sum restarted on runs of panels whose spread of c k stays below it (the earlier runs enter
        through one carried term exp(-Delta tau) <= 1), or, when runs would hold few panels, the
        recurrence V_p = zw_p + exp(-Delta tau_{p-1}) V_{p-1}.
        """
        c_max = float(c.max())
        if c_max * self.k_end < MAX_EXPONENT:
            v = np.divide(zw[:, :, None], x)
            np.cumsum(v, axis=1, out=v)
            v *= x
            return v
        zw = zw.T                                                      # (n_panels, K)
        k = self.k_start
        starts = [0]
        while True:  # runs [a, b) with c_max (k_{b-1} - k_a) < MAX_EXPONENT, at least one panel each
            a = starts[-1]
            b = max(int(np.searchsorted(k, k[a] + MAX_EXPONENT / c_max, side="left")), a + 1)
            if b >= self.n_panels:
                break
            starts.append(b)
        v = np.empty((self.n_panels, zw.shape[1], self.n_e))
        if 4 * len(starts) > self.n_panels:
            # same-shape contiguous rows: the loop's ufuncs do not broadcast
            r2 = np.repeat(self._panel_decay(c)[:, None, :], zw.shape[1], axis=1)
            v[...] = zw[:, :, None]
            step = np.empty(v.shape[1:])
            for p in range(1, self.n_panels):
                np.multiply(v[p - 1], r2[p - 1], out=step)
                v[p] += step
            return v.transpose(1, 0, 2)
        bounds = [*starts, self.n_panels]
        for a, b in itertools.pairwise(bounds):
            grow = np.exp(np.multiply.outer(k[a:b] - k[a], c))[:, None, :]   # exp(+c (k_m - k_a)) <= e^600
            run = v[a:b]
            np.multiply(zw[a:b, :, None], grow, out=run)
            np.cumsum(run, axis=0, out=run)
            if a > 0:
                run += v[a - 1] * np.exp(np.maximum(-c * (k[a] - k[a - 1]), -EXP_FLOOR))
            run /= grow
        return v.transpose(1, 0, 2)
