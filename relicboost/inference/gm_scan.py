"""(g, M) grid scans of a light mediator: flux observables per grid point, as a table.

A scan evaluates :meth:`relicboost.Model.predict_mediator` on a grid of couplings g and
mediator masses M (one mediator, one convention) and keeps, per point, the observables any
likelihood of this package needs:

* the anti-nu_e flux above 17.3 MeV (SK window) and its ratio to the no-interaction flux (g = 0);
* the mean anti-nu_e differential flux in the SK-IV bins (9.3-31.3 MeV) and the Borexino bins
  (1.8-16.8 MeV);
* CEvNS events on natural lead above recoil thresholds (total and boosted component);
* signal events per visible-energy bin per year of the IBD / argon DSNB detectors
  (:mod:`relicboost.inference.gm_detector_counts`; the null's counts in the header);
* the heavy-mediator equivalent lam (paper Eq. II.5), the s-channel resonance energy
  M^2/(2 m_nu), a perturbativity flag (g <= sqrt(4 pi)) and the heavy-limit validity flag
  (:func:`relicboost.physics.interactions.heavy_mediator_valid`).

The table (:func:`format_table`) has one row per grid point sorted by the grid index
``index = i_M * n_g + i_g`` (g fastest), units in the column names and ``# key: value``
header lines (JSON values) stating the convention, the mediator, the particle-model options
passed to ``predict_mediator``, m_nu, the Model options and the fixed nuisances.  Its text
depends only on the scan specification, never on the execution order or the pool
(:mod:`relicboost.inference.gm_scan_engine` runs scans serially, on a process pool or with MPI,
resumably).  :func:`evaluate_likelihood` evaluates a likelihood on the rows afterwards.

Units: M in MeV, g dimensionless, m_nu in eV, fluxes in cm^-2 s^-1 (MeV^-1), events per ton yr.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relicboost.physics.detection import SK_THRESHOLD_MEV

from .gm_detector_counts import all_count_columns

#: Grid accuracy of the consistent-convention light-mediator observables (benchmarks/bench_mediator.py).
GRID_ACCURACY = ("default scan grid (40/dec, 1 substep, E >= 1 MeV): within 0.65% of a converged grid in the "
                 "SK-window flux and CEvNS counts, also where resonance_energy_MeV (E_res today, relics at rest) lies "
                 "inside an observable's window (opaque narrow resonance: the flux read on each side of E_res; "
                 "-0.6 ... +0.5% over placements of E_res, docs/conventions.md, 'trough edge')")
#: Largest perturbative coupling, sqrt(4 pi).
G_PERTURBATIVE: float = math.sqrt(4.0 * math.pi)
#: Default CEvNS recoil thresholds on lead, keV (paper Figs. 4-5 quote 1 and 3 keV).
CEVNS_THRESHOLDS_KEV: tuple[float, ...] = (1.0, 3.0)
#: Model options of a scan per convention.  consistent: the coarse light-mediator grid of
#: docs/conventions.md ("Speed"; SK-window flux within 0.3% and CEvNS counts within 1.3% of the default
#: grid over six resonant and non-resonant points, where 30 points per decade would be 9% off) starting
#: at 1 MeV: scattering only moves neutrinos down in energy, and every observable of the table lies
#: above it (Borexino bins from 1.8 MeV, CEvNS on lead above 1 keV needs E_nu >~ 10 MeV).
SCAN_MODEL_OPTIONS: dict[str, dict[str, Any]] = {
    "consistent": {"points_per_decade": 40, "substeps": 1, "energy_min": 1.0}, "paper": {}}
#: predict_mediator options a scan uses unless given: the tabulated transport kernels (same deposits
#: as the direct ones to ~1e-5, 3-4x faster; benchmarks/bench_mediator.py).
SCAN_MEDIATOR_OPTIONS: dict[str, dict[str, Any]] = {"consistent": {"kernels": "tabulated"}, "paper": {}}
_SK_COLUMN = f"nuebar_flux_above_{SK_THRESHOLD_MEV:g}MeV_cm-2_s-1"
_JSON_SCALARS = (str, int, float, bool, type(None))


def _options(name: str, values: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    items = dict(values or {})
    for key, value in items.items():
        if not isinstance(key, str) or not isinstance(value, _JSON_SCALARS):
            raise TypeError(f"{name}: keys must be str and values str/int/float/bool/None, got {key!r}: {value!r}")
    return tuple(sorted(items.items()))


def _grid(name: str, values: Sequence[float], lo: float, hi: float) -> tuple[float, ...]:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty 1-D grid of finite values, got {values!r}")
    if np.any(arr < lo) or np.any(arr > hi):
        raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}], got [{arr.min():g}, {arr.max():g}]")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return tuple(float(x) for x in arr)


@dataclasses.dataclass(frozen=True)
class GMScanSpec:
    """What a (g, M) scan computes; hashable, JSON-serialisable, identical on every rank.

    Parameters
    ----------
    g : sequence of float
        Couplings, strictly increasing, in [0, 4 pi].
    M_MeV : sequence of float
        Mediator masses in MeV, strictly increasing, in [1e-6, 1e4].
    mediator : {"scalar", "vector"}
    convention : {"paper", "consistent"}
    m_nu_eV : float
        Relic neutrino mass in eV passed to ``predict_mediator`` (default 0.05).
    model_options : mapping
        Keyword arguments of ``Model(...)`` besides ``convention`` (grid, temperatures,
        convention options); default :data:`SCAN_MODEL_OPTIONS` of the convention.
    mediator_options : mapping
        Extra keyword arguments of ``Model.predict_mediator`` (particle model, relic masses,
        ``normalise``, ...), passed through unchanged.
    cevns_thresholds_keV : sequence of float
        Recoil thresholds on lead, keV.
    """

    g: Sequence[float]
    M_MeV: Sequence[float]
    mediator: str = "vector"
    convention: str = "consistent"
    m_nu_eV: float = 0.05
    model_options: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    mediator_options: Mapping[str, Any] | Sequence[tuple[str, Any]] = ()
    cevns_thresholds_keV: Sequence[float] = CEVNS_THRESHOLDS_KEV

    def __post_init__(self) -> None:
        from relicboost.model import MEDIATOR_RANGES
        from relicboost.physics.conventions import PRESETS
        from relicboost.physics.interactions import MEDIATORS

        if self.convention not in PRESETS:
            raise ValueError(f"convention must be one of {tuple(PRESETS)}, got {self.convention!r}")
        if self.mediator not in MEDIATORS:
            raise ValueError(f"mediator must be one of {MEDIATORS}, got {self.mediator!r}")
        lo, hi = MEDIATOR_RANGES["m_nu_eV"]
        if not (isinstance(self.m_nu_eV, (int, float)) and lo <= self.m_nu_eV <= hi):
            raise ValueError(f"m_nu_eV must be in [{lo:g}, {hi:g}] eV, got {self.m_nu_eV!r}")
        th = np.asarray(self.cevns_thresholds_keV, dtype=float)
        if th.ndim != 1 or not np.all(np.isfinite(th)) or np.any(th <= 0):
            raise ValueError(f"cevns_thresholds_keV must be > 0 keV, got {self.cevns_thresholds_keV!r}")
        opts = SCAN_MODEL_OPTIONS[self.convention] if self.model_options is None else self.model_options
        if "convention" in dict(opts):
            raise ValueError("model_options must not contain 'convention' (give it as convention=)")
        set_ = object.__setattr__
        set_(self, "g", _grid("g", self.g, *MEDIATOR_RANGES["g"]))
        set_(self, "M_MeV", _grid("M_MeV", self.M_MeV, *MEDIATOR_RANGES["M_MeV"]))
        set_(self, "m_nu_eV", float(self.m_nu_eV))
        set_(self, "model_options", _options("model_options", opts))
        set_(self, "mediator_options", _options("mediator_options", {**SCAN_MEDIATOR_OPTIONS[self.convention],
                                                                     **dict(self.mediator_options)}))
        set_(self, "cevns_thresholds_keV", tuple(float(x) for x in th))

    @classmethod
    def log_grid(cls, g_min: float, g_max: float, n_g: int, M_min_MeV: float, M_max_MeV: float, n_M: int,
                 **kwargs: Any) -> GMScanSpec:
        """Spec on log-spaced grids (``n_g`` couplings in [g_min, g_max], ``n_M`` masses in MeV)."""
        for name, n in (("n_g", n_g), ("n_M", n_M)):
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
        for name, lo, hi in (("g", g_min, g_max), ("M_MeV", M_min_MeV, M_max_MeV)):
            if not (0 < lo <= hi and math.isfinite(hi)) or (lo == hi and (n_g if name == "g" else n_M) > 1):
                raise ValueError(f"{name} range must satisfy 0 < min < max (min = max only for one point), "
                                 f"got [{lo!r}, {hi!r}]")
        return cls(g=tuple(np.geomspace(g_min, g_max, n_g)), M_MeV=tuple(np.geomspace(M_min_MeV, M_max_MeV, n_M)),
                   **kwargs)

    @property
    def n_points(self) -> int:
        return len(self.g) * len(self.M_MeV)

    def point(self, index: int) -> tuple[int, int, float, float]:
        """(i_g, i_M, g, M_MeV) of grid ``index`` (g fastest)."""
        if not 0 <= index < self.n_points:
            raise ValueError(f"index must be in [0, {self.n_points}), got {index!r}")
        i_M, i_g = divmod(int(index), len(self.g))
        return i_g, i_M, self.g[i_g], self.M_MeV[i_M]

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["model_options"] = dict(self.model_options or ())
        d["mediator_options"] = dict(self.mediator_options)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GMScanSpec:
        args: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
        return cls(**args)

    def digest(self) -> str:
        """SHA-256 (hex) of the specification serialised with sorted keys."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


# ----------------------------------------------------------------------------- observables
@functools.lru_cache(maxsize=1)
def _bin_sets() -> dict[str, np.ndarray]:
    from relicboost.likelihoods import SKIV, Borexino

    return {"skiv": np.asarray(SKIV(mode="binned").edges_MeV), "borexino": np.asarray(Borexino().edges_MeV)}


def _bin_columns(prefix: str, edges: np.ndarray) -> list[str]:
    return [f"{prefix}_nuebar_flux_{lo:g}-{hi:g}MeV_cm-2_s-1_MeV-1" for lo, hi in itertools.pairwise(edges)]


def _cevns_column(component: str, threshold_keV: float) -> str:
    return f"cevns_lead_{component}_above_{threshold_keV:g}keV_ton-1_yr-1"


def observable_columns(cevns_thresholds_keV: Sequence[float]) -> list[str]:
    """Observable column names in table order."""
    cols = [_SK_COLUMN, "sk_window_flux_ratio"]
    for prefix, edges in _bin_sets().items():
        cols += _bin_columns(prefix, edges)
    cols += [_cevns_column(c, float(t)) for c in ("total", "boosted") for t in cevns_thresholds_keV]
    return cols + all_count_columns()


def observables(prediction: Any, reference_sk_flux: float, cevns_thresholds_keV: Sequence[float]) -> dict[str, float]:
    """Flux observables of one prediction.

    The SK-window flux and the bin means are ``Prediction.integrated_flux`` / ``binned_flux`` of the nuebar flux
    (the Model's window weights; across an opaque resonance today the edge rule of
    :mod:`relicboost.physics.edge_quadrature`).

    Parameters
    ----------
    prediction : Prediction
    reference_sk_flux : float
        nuebar flux above 17.3 MeV without interaction (same Model, g = 0), cm^-2 s^-1.
    cevns_thresholds_keV : sequence of float
        Recoil thresholds on lead, keV.

    Returns
    -------
    dict
        Column name (with unit) -> value; raises FloatingPointError on a non-finite value.
    """
    from relicboost.physics import cevns
    from relicboost.physics.detection import check_range

    e = np.asarray(prediction.energy, dtype=float)
    check_range(e, SK_THRESHOLD_MEV, float(e[-1]), "SK window")
    sk = float(prediction.integrated_flux("nuebar", SK_THRESHOLD_MEV))
    out: dict[str, float] = {_SK_COLUMN: sk, "sk_window_flux_ratio": sk / reference_sk_flux}
    for prefix, edges in _bin_sets().items():
        check_range(e, float(edges[0]), float(edges[-1]), f"{prefix} bins")
        out.update(zip(_bin_columns(prefix, edges), prediction.binned_flux("nuebar", edges)))
    th = np.asarray(cevns_thresholds_keV, dtype=float)
    for comp in ("total", "boosted"):
        out.update(zip((_cevns_column(comp, t) for t in th), cevns.counts(prediction, comp, th)))
    out = {k: float(v) for k, v in out.items()}
    bad = [k for k, v in out.items() if not math.isfinite(v)]
    if bad:
        raise FloatingPointError(f"non-finite observables {bad} at {prediction.params}")
    return out


def point_row(spec: GMScanSpec, index: int, values: Mapping[str, float]) -> dict[str, Any]:
    """Full table row of grid point ``index``: coordinates, flags and the observables ``values``."""
    from relicboost.physics.interactions import heavy_mediator_valid, lam_from_coupling
    from relicboost.physics.light_mediator import resonance_energy_MeV

    i_g, i_M, g, M = spec.point(index)
    row: dict[str, Any] = {"index": index, "i_g": i_g, "i_M": i_M, "g": g, "M_MeV": M,
                           "lam_heavy_mapping_MeV-3": float(lam_from_coupling(g, M, spec.m_nu_eV, spec.mediator)),
                           "resonance_energy_MeV": float(resonance_energy_MeV(M, spec.m_nu_eV)),
                           "perturbative": bool(g <= G_PERTURBATIVE),
                           "heavy_limit_valid": bool(heavy_mediator_valid(M, spec.m_nu_eV))}
    try:
        row.update((c, float(values[c])) for c in observable_columns(spec.cevns_thresholds_keV))
    except KeyError as exc:
        raise ValueError(f"grid point {index}: observable {exc} missing (checkpoint of another version?)") from exc
    return row


def header(spec: GMScanSpec, model_defaults: Mapping[str, Any], energy_range_MeV: tuple[float, float],
           resolved: Mapping[str, Any] | None = None) -> dict:
    """Header entries of a scan table (JSON-able); ``resolved``: the convention options and the
    particle-model parameters as the Model reports them (defaults included)."""
    from relicboost.model import NUISANCES

    return {"table": "relicboost gm-scan: flux observables per (g, M) grid point, rows sorted by index "
                     "(= i_M * n_g + i_g)",
            "convention": spec.convention, "mediator": spec.mediator, "m_nu_eV": spec.m_nu_eV,
            "mediator_options": dict(spec.mediator_options), "model_options": dict(spec.model_options or ()),
            "resolved_options": {k: v for k, v in sorted((resolved or {}).items()) if isinstance(v, _JSON_SCALARS)},
            "nuisances": {k: model_defaults[k] for k in NUISANCES},
            "energy_grid_MeV": list(energy_range_MeV),
            "reference": "sk_window_flux_ratio = flux / flux at g = 0 (same Model)",
            "flags": "perturbative: g <= sqrt(4 pi); heavy_limit_valid: M^2 >= 10 x 2 m_nu x 100 MeV",
            **({"grid_accuracy": GRID_ACCURACY} if spec.convention == "consistent" else {}),
            "n_g": len(spec.g), "n_M": len(spec.M_MeV), "spec_sha256": spec.digest()}


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


def format_table(head: Mapping[Any, Any], rows: Sequence[Mapping[Any, Any]]) -> str:
    """CSV text of the scan table: ``# key: json`` header lines, then rows sorted by ``index``.

    Floats are written with ``repr`` (shortest exact round trip), so the text depends only on
    the values, never on the order in which the points were computed.
    """
    rows = sorted(rows, key=lambda r: r["index"])
    cols = list(rows[0])
    lines = [f"# {k}: {json.dumps(v, sort_keys=True)}" for k, v in head.items()]
    lines.append(",".join(cols))
    lines += [",".join(_fmt(r[c]) for c in cols) for r in rows]
    return "\n".join(lines) + "\n"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a scan table; the header entries become ``DataFrame.attrs``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"gm-scan table {path} does not exist")
    attrs = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("# "):
                break
            key, _, value = line[2:].partition(": ")
            attrs[key] = json.loads(value)
    frame = pd.read_csv(path, comment="#", true_values=["true"], false_values=["false"])
    frame.attrs.update(attrs)
    return frame


# ----------------------------------------------------------------------------- likelihoods on rows
class RowPrediction:
    """A table row that answers the Prediction calls of the flux-limit likelihoods.

    ``integrated_flux("nuebar", 17.3)`` and ``binned_flux("nuebar", edges)`` for the SK-IV and
    Borexino bins are read from the row (total component only); anything else raises
    ValueError naming what the table holds.  ``params`` are the table's fixed nuisances plus
    g, M_MeV, mediator and lam.
    """

    def __init__(self, row: Any, attrs: Mapping[Any, Any]) -> None:
        self.row = row
        self.energy = np.asarray(attrs["energy_grid_MeV"], dtype=float)
        self.convention = attrs["convention"]
        self.params = {**attrs["nuisances"], "g": float(row["g"]), "M_MeV": float(row["M_MeV"]),
                       "mediator": attrs["mediator"], "lam": float(row["lam_heavy_mapping_MeV-3"])}

    @staticmethod
    def _check(species: str, component: str) -> None:
        if species != "nuebar" or component != "total":
            raise ValueError(f"gm-scan tables hold the total nuebar flux only, asked {species!r}/{component!r}")

    def integrated_flux(self, species: str = "nuebar", emin: float = SK_THRESHOLD_MEV, emax: float | None = None,
                        component: str = "total") -> float:
        self._check(species, component)
        if emax is not None or abs(float(emin) - SK_THRESHOLD_MEV) > 1e-9:
            raise ValueError(f"gm-scan tables hold the flux above {SK_THRESHOLD_MEV:g} MeV only, asked "
                             f"[{emin!r}, {emax!r}] MeV")
        return float(self.row[_SK_COLUMN])

    def binned_flux(self, species: str, edges_MeV: Any, component: str = "total") -> np.ndarray:
        self._check(species, component)
        edges = np.asarray(edges_MeV, dtype=float)
        for prefix, stored in _bin_sets().items():
            if stored.shape == edges.shape and np.allclose(stored, edges, rtol=1e-12, atol=0):
                return np.array([float(self.row[c]) for c in _bin_columns(prefix, stored)])
        raise ValueError(f"gm-scan tables hold the SK-IV and Borexino bins only, asked edges {edges.tolist()}")


def evaluate_likelihood(table: pd.DataFrame, likelihood: Callable[[Any], float]) -> np.ndarray:
    """-2 ln L of ``likelihood`` on every row of a scan table (row order).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_table` (its ``attrs`` carry the header).
    likelihood : callable
        Prediction -> -2 ln L, e.g. :class:`relicboost.likelihoods.SKIV` or
        ``Borexino``, or any function of a :class:`RowPrediction` (which also exposes the
        raw row as ``.row``).
    """
    if "nuisances" not in table.attrs:
        raise ValueError("table has no gm-scan header (read it with relicboost.inference.gm_scan.read_table)")
    return np.array([float(likelihood(RowPrediction(row, table.attrs))) for _, row in table.iterrows()])
