"""Map limits on lam = G_X^2 m_nu into the mediator (g, M) plane.

In the heavy-mediator limit (paper arXiv:2204.11885, Eq. II.5) a value of lam is
the straight line g = M (8 pi lam / m_nu)^(1/4) in the (g, M) plane, identical for
scalar and vector mediators.  The mapping only holds where M^2 >> s = 2 m_nu E_nu;
every table here carries a ``heavy_limit_valid`` column (criterion of
:func:`relicboost.physics.interactions.heavy_mediator_valid`) so that the region
where the two mediators must be computed with full propagators is never shown as
a mapped result.  The relic neutrino mass ``m_nu_eV`` is an argument and is
stored, with the validity criterion and the confidence level, in
``DataFrame.attrs`` (written as header comments by
:mod:`relicboost.inference.export`).

:func:`mediator_exclusion` instead computes the exclusion point by point with the
full scalar / vector cross sections (:meth:`relicboost.Model.predict_mediator`), which is
what holds where the heavy-mediator mapping fails.

Units: M in MeV, g dimensionless, lam in MeV^-3, m_nu in eV.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relicboost.physics.interactions import (
    MEDIATORS,
    coupling_from_lam,
    heavy_mediator_min_mass_MeV,
    heavy_mediator_valid,
    lam_from_coupling,
)

from .crossing import AT_START, NONE, OK, lowest_crossing

#: Values of G_X^2 m_nu (MeV^-3) drawn in the paper's Fig. 1 and used throughout it.
PAPER_LAM_VALUES: tuple[float, ...] = (1e-9, 1e-10, 1e-11, 1e-12)


def _mediators(mediators: str | Sequence[str]) -> tuple[str, ...]:
    meds = (mediators,) if isinstance(mediators, str) else tuple(mediators)
    bad = [m for m in meds if m not in MEDIATORS]
    if bad or not meds:
        raise ValueError(f"mediators must be a non-empty selection of {MEDIATORS}, got {mediators!r}")
    return meds


def _mass_grid(M_MeV: ArrayLike) -> np.ndarray:
    M = np.asarray(M_MeV, dtype=float)
    if M.ndim != 1 or M.size == 0:
        raise ValueError(f"M_MeV must be a non-empty 1-D grid of masses in MeV, got shape {M.shape}")
    return M


def _validity_attrs(m_nu_eV: float, E_nu_max_MeV: float, margin: float) -> dict:
    return {
        "m_nu_eV": float(m_nu_eV),
        "heavy_limit_criterion": f"M^2 >= {margin:g} * 2 m_nu E_nu_max, E_nu_max = {E_nu_max_MeV:g} MeV",
        "heavy_limit_M_min_MeV": float(heavy_mediator_min_mass_MeV(m_nu_eV, E_nu_max_MeV, margin)),
    }


def lam_isocontours(
    M_MeV: ArrayLike,
    lam_values: Sequence[float] = PAPER_LAM_VALUES,
    m_nu_eV: float = 0.05,
    mediators: str | Sequence[str] = MEDIATORS,
    E_nu_max_MeV: float = 100.0,
    margin: float = 10.0,
) -> pd.DataFrame:
    """Isocontours of lam in the (g, M) plane (paper Fig. 1).

    Parameters
    ----------
    M_MeV : 1-D array
        Mediator masses in MeV (> 0).
    lam_values : sequence of float
        Values of lam = G_X^2 m_nu in MeV^-3 (>= 0); default the paper's four.
    m_nu_eV : float
        Relic neutrino mass in eV (default 0.05).
    mediators : str or sequence of str
        "scalar", "vector" or both (default both).
    E_nu_max_MeV, margin : float
        Heavy-mediator validity criterion, see
        :func:`relicboost.physics.interactions.heavy_mediator_valid`.

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``mediator``, ``lam_MeV-3``, ``M_MeV``, ``g``,
        ``heavy_limit_valid``; ``attrs`` hold ``m_nu_eV`` and the criterion.
    """
    M = _mass_grid(M_MeV)
    lam = np.asarray(lam_values, dtype=float).reshape(-1)
    valid = heavy_mediator_valid(M, m_nu_eV, E_nu_max_MeV, margin)
    frames = []
    for med in _mediators(mediators):
        g = coupling_from_lam(lam[:, None], M[None, :], m_nu_eV, med)
        frames.append(
            pd.DataFrame(
                {
                    "mediator": med,
                    "lam_MeV-3": np.repeat(lam, M.size),
                    "M_MeV": np.tile(M, lam.size),
                    "g": g.reshape(-1),
                    "heavy_limit_valid": np.tile(valid, lam.size),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(_validity_attrs(m_nu_eV, E_nu_max_MeV, margin))
    return out


def limit_contour(
    lam_upper: float | Mapping[str, float],
    M_MeV: ArrayLike,
    cl: float,
    m_nu_eV: float = 0.05,
    mediators: str | Sequence[str] = MEDIATORS,
    E_nu_max_MeV: float = 100.0,
    margin: float = 10.0,
) -> pd.DataFrame:
    """Upper limits on the coupling g(M) from upper limits on lam.

    Parameters
    ----------
    lam_upper : float or mapping of label -> float
        Upper limit(s) on lam in MeV^-3 (> 0), e.g. ``{"observed": 1e-11,
        "expected": 2e-11}``; a float is labelled ``"observed"``.
    M_MeV : 1-D array
        Mediator masses in MeV (> 0).
    cl : float
        Confidence level of the lam limits, in (0, 1); stored in ``attrs["CL"]``.
    m_nu_eV, mediators, E_nu_max_MeV, margin
        As in :func:`lam_isocontours`.

    Returns
    -------
    pandas.DataFrame
        Columns ``mediator``, ``limit``, ``M_MeV``, ``lam_upper_MeV-3``,
        ``g_upper``, ``heavy_limit_valid``.  Where ``heavy_limit_valid`` is
        False the value of ``g_upper`` is the heavy-limit extrapolation only.
    """
    if not (0.0 < cl < 1.0):
        raise ValueError(f"cl must be in (0, 1), got {cl!r}")
    limits = {"observed": lam_upper} if not isinstance(lam_upper, Mapping) else dict(lam_upper)
    for label, value in limits.items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"lam_upper[{label!r}] must be finite and > 0 MeV^-3, got {value!r}")
    table = lam_isocontours(M_MeV, list(limits.values()), m_nu_eV, mediators, E_nu_max_MeV, margin)
    n_M = _mass_grid(M_MeV).size
    labels = np.repeat(list(limits), n_M)
    table.insert(1, "limit", np.tile(labels, len(table) // labels.size))
    table = table.rename(columns={"lam_MeV-3": "lam_upper_MeV-3", "g": "g_upper"})[
        ["mediator", "limit", "M_MeV", "lam_upper_MeV-3", "g_upper", "heavy_limit_valid"]
    ]
    table.attrs["CL"] = float(cl)
    return table


def result_limits(result) -> dict[str, float]:
    """Label -> lam limit (MeV^-3) from a limit result, for :func:`limit_contour`.

    Accepts any object with ``observed`` (float or None) and ``expected``
    (mapping or None) attributes, such as
    :class:`relicboost.inference.limits.LimitResult`.  Entries that are None,
    non-finite or <= 0 (no limit reached) are left out; use ``result.cl`` as
    the ``cl`` of the contour.

    Raises
    ------
    ValueError
        If no finite positive limit remains.
    """
    items = [("observed", result.observed)]
    items += [(f"expected {k}", v) for k, v in (result.expected or {}).items()]
    out = {k: float(v) for k, v in items if v is not None and np.isfinite(v) and v > 0}
    if not out:
        raise ValueError("result holds no finite positive lam limit (observed or expected)")
    return out


@dataclass(frozen=True)
class CouplingGrid:
    """lam and exclusion evaluated on a g x M grid for one mediator.

    Attributes
    ----------
    mediator : str
        "scalar" or "vector".
    g : ndarray, shape (n_g,)
        Couplings (dimensionless).
    M_MeV : ndarray, shape (n_M,)
        Mediator masses in MeV.
    lam : ndarray, shape (n_g, n_M)
        lam = G_X^2 m_nu in MeV^-3 (heavy-mediator mapping).
    heavy_limit_valid : ndarray of bool, shape (n_M,)
        Where the heavy-mediator mapping holds.
    excluded : ndarray of bool, shape (n_g, n_M), or None
        ``lam > lam_upper`` (None when no limit was given).  Meaningful only
        where ``heavy_limit_valid``.
    lam_upper : float or None
        Upper limit on lam in MeV^-3.
    cl : float or None
        Confidence level of ``lam_upper``.
    m_nu_eV : float
        Relic neutrino mass in eV.
    """

    mediator: str
    g: np.ndarray
    M_MeV: np.ndarray
    lam: np.ndarray
    heavy_limit_valid: np.ndarray
    excluded: np.ndarray | None
    lam_upper: float | None
    cl: float | None
    m_nu_eV: float

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per grid point (g fastest), units in column names."""
        n_g, n_M = self.lam.shape
        cols = {
            "mediator": self.mediator,
            "M_MeV": np.repeat(self.M_MeV, n_g),
            "g": np.tile(self.g, n_M),
            "lam_MeV-3": self.lam.T.reshape(-1),
            "heavy_limit_valid": np.repeat(self.heavy_limit_valid, n_g),
        }
        if self.excluded is not None:
            cols["excluded"] = self.excluded.T.reshape(-1)
        out = pd.DataFrame(cols)
        out.attrs["m_nu_eV"] = self.m_nu_eV
        if self.lam_upper is not None:
            out.attrs["lam_upper_MeV-3"] = self.lam_upper
            out.attrs["CL"] = self.cl
        return out


def coupling_grid(
    g: ArrayLike,
    M_MeV: ArrayLike,
    mediator: str = "scalar",
    m_nu_eV: float = 0.05,
    lam_upper: float | None = None,
    cl: float | None = None,
    E_nu_max_MeV: float = 100.0,
    margin: float = 10.0,
) -> CouplingGrid:
    """Evaluate lam (and exclusion by ``lam_upper``) on a g x M grid, vectorised.

    Parameters
    ----------
    g : 1-D array
        Couplings (>= 0).
    M_MeV : 1-D array
        Mediator masses in MeV (> 0).
    mediator : {"scalar", "vector"}
    m_nu_eV : float
        Relic neutrino mass in eV (default 0.05).
    lam_upper : float, optional
        Upper limit on lam in MeV^-3 (> 0); requires ``cl``.
    cl : float, optional
        Confidence level of ``lam_upper``, in (0, 1).
    E_nu_max_MeV, margin : float
        Heavy-mediator validity criterion.

    Returns
    -------
    CouplingGrid
    """
    g = np.asarray(g, dtype=float)
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"g must be a non-empty 1-D grid, got shape {g.shape}")
    M = _mass_grid(M_MeV)
    if (lam_upper is None) != (cl is None):
        raise ValueError("lam_upper and cl must be given together")
    if lam_upper is not None:
        if not (np.isfinite(lam_upper) and lam_upper > 0):
            raise ValueError(f"lam_upper must be finite and > 0 MeV^-3, got {lam_upper!r}")
        if not (0.0 < cl < 1.0):
            raise ValueError(f"cl must be in (0, 1), got {cl!r}")
    lam = lam_from_coupling(g[:, None], M[None, :], m_nu_eV, mediator)
    return CouplingGrid(
        mediator=mediator,
        g=g,
        M_MeV=M,
        lam=lam,
        heavy_limit_valid=heavy_mediator_valid(M, m_nu_eV, E_nu_max_MeV, margin),
        excluded=None if lam_upper is None else lam > lam_upper,
        lam_upper=None if lam_upper is None else float(lam_upper),
        cl=None if cl is None else float(cl),
        m_nu_eV=float(m_nu_eV),
    )


#: Coarse scan of log10 g around the heavy-limit value: offsets below and above, step.
_G_SCAN_BELOW, _G_SCAN_ABOVE, _G_SCAN_STEP = 4.0, 2.0, 0.25


def _heavy_lam_limit(chi2_of_lam, target: float) -> float:
    """lam (MeV^-3) where chi2_of_lam crosses target (lowest crossing on a 1e-16..1e-4 scan); NaN if none,
    0 if excluded already at 1e-16."""
    res = lowest_crossing(lambda lg: chi2_of_lam(10.0**lg) - target, np.linspace(-16.0, -4.0, 49), xtol=1e-6)
    return {OK: 10.0**res.x, NONE: math.nan, AT_START: 0.0}[res.status]


def mediator_exclusion(likelihood, M_MeV: ArrayLike, mediators: str | Sequence[str] = MEDIATORS,
                       m_nu_eV: float = 0.05, cl: float = 0.90, convention: str = "paper",
                       progress: bool = True, **model_kwargs) -> pd.DataFrame:
    """Upper limit on the coupling g(M) computed point by point with the full mediator cross sections.

    For each mediator and mass, -2 ln L of ``likelihood`` for
    :meth:`relicboost.Model.predict_mediator` is compared with its own minimum (the
    likelihood's ``neg2lnl_min``, 0 for published flux limits: ``reference="data"`` of
    :mod:`relicboost.inference.limits`) plus the one-sided threshold norm.ppf(cl)^2
    (:func:`relicboost.inference.limits.threshold`); nuisances are fixed at the Model's values.

    Method: -2 ln L is scanned on a coarse grid in log10 g (step 0.25) from 4 decades below to
    2 decades above the heavy-limit mapped coupling (capped at g = 4 pi); the *lowest* crossing is
    refined with brentq in log10 g.  Near the s-channel resonance (M^2 ~ 2 m_nu E for DSNB
    energies) the flux need not be monotonic in g, so the excluded set at fixed M need not be
    one interval (e.g. vector, M ~ 1.5-2 keV for SK-IV: absorption at the resonance inside the SK
    window lowers the flux again): ``status`` says when the coarse scan found allowed points above
    the lowest crossing (g_upper is then the lowest crossing).

    Parameters
    ----------
    likelihood : callable
        Prediction -> -2 ln L (e.g. :class:`relicboost.likelihoods.SKIV`).
    M_MeV : 1-D array
        Mediator masses in MeV.
    mediators : str or sequence of str
        "scalar", "vector" or both.
    m_nu_eV : float
        Relic neutrino mass in eV (default 0.05).
    cl : float
        Confidence level (default 0.90).
    convention : {"paper", "consistent"}
        Propagation convention of the Model (``consistent``: ~0.1-2 s per point).
    progress : bool
        tqdm progress bar.
    **model_kwargs
        Passed to :class:`relicboost.Model` (temperatures, grid, convention options).

    Returns
    -------
    pandas.DataFrame
        Columns ``mediator``, ``M_MeV``, ``g_upper`` (NaN where no crossing), ``g_upper_heavy_mapping``
        (the lam limit mapped with Eq. II.5), ``heavy_limit_valid``, ``status``; ``attrs`` hold
        ``CL``, ``m_nu_eV``, ``convention``, ``lam_upper_heavy_MeV-3`` and the heavy-limit criterion.
    """
    from tqdm import tqdm

    from relicboost import Model
    from relicboost.model import MEDIATOR_RANGES

    from .limits import threshold

    M = _mass_grid(M_MeV)
    meds = _mediators(mediators)
    target = float(getattr(likelihood, "neg2lnl_min", 0.0)) + threshold(cl)
    model = Model(convention=convention, **model_kwargs)
    lam_up = _heavy_lam_limit(lambda lam: likelihood(model.predict(lam)), target)
    g_max = MEDIATOR_RANGES["g"][1]
    rows = []
    jobs = [(med, float(mass)) for med in meds for mass in M]
    for med, mass in tqdm(jobs, desc="(g, M) point by point", disable=not progress):
        g_heavy = float(coupling_from_lam(lam_up, mass, m_nu_eV, med)) if np.isfinite(lam_up) else math.nan

        def f(lg: float, mass: float = mass, med: str = med) -> float:
            return likelihood(model.predict_mediator(10.0**lg, mass, med, m_nu_eV)) - target

        centre = math.log10(g_heavy) if np.isfinite(g_heavy) and g_heavy > 0 else math.log10(g_max) - 2.0
        top = min(centre + _G_SCAN_ABOVE, math.log10(g_max))
        grid = np.arange(centre - _G_SCAN_BELOW, top, _G_SCAN_STEP)
        grid = np.append(grid[grid < top], top)
        res = lowest_crossing(f, grid, xtol=1e-5)
        if res.status == NONE:
            g_up, status = math.nan, f"not excluded for g <= {10**grid[-1]:.3g}"
        elif res.status == AT_START:
            g_up, status = 10.0 ** grid[0], f"excluded already at the lowest g scanned ({10**grid[0]:.3g})"
        else:
            g_up = 10.0 ** res.x
            status = "ok" if res.one_interval else "ok (excluded g not one interval in the scan: lowest crossing)"
        rows.append({"mediator": med, "M_MeV": mass, "g_upper": g_up, "g_upper_heavy_mapping": g_heavy,
                     "heavy_limit_valid": bool(heavy_mediator_valid(mass, m_nu_eV)), "status": status})
    out = pd.DataFrame(rows)
    out.attrs.update(_validity_attrs(m_nu_eV, 100.0, 10.0))
    out.attrs.update({"CL": float(cl), "convention": convention, "lam_upper_heavy_MeV-3": lam_up,
                      "method": "clsb (published-limit crossing for published flux limits)",
                      "test_statistic": "-2 ln L - min >= norm.ppf(CL)^2, nuisances fixed",
                      "likelihood": getattr(likelihood, "label", type(likelihood).__name__)})
    return out
