"""The (g, M) plane in the consistent convention: SK-window flux relative to no interaction.

``gm_consistent.{png,pdf}`` and ``gm_consistent_{scalar,vector}.csv``: for a scalar and a vector
mediator (m_nu = 0.05 eV, T = 6.6 / 7 / 10 MeV, ``consistent`` convention: light-mediator transport
with the full tree-level cross sections, :meth:`relicboost.Model.predict_mediator`), the anti-nu_e
flux above 17.3 MeV divided by its value without interaction, as a colour map over a log grid in
(g, M).  The s-channel resonance E_res = M^2 / (2 m_nu) crosses the SK window (17.3-50 MeV) for
M ~ 1.3-2.2 keV: the absorption trough there is the "resonance band" (dashed lines).  In this
convention the observable is a deficit (ratio <= 1), so flux upper limits exclude nothing.

The tables are :mod:`relicboost.inference.gm_scan` tables (every flux observable, the
perturbativity and heavy-limit validity flags per point); the same table comes out of
``relicboost gm-scan --convention consistent --mediator ...`` with the grid stated in their header.
The same figure draws the expected 90% C.L. exclusion of SK-Gd 10 yr, JUNO 20 yr, Hyper-K-Gd 10 yr
and DUNE 20 yr (:mod:`relicboost.results.fig_gm_detectors`, tables ``gm_detector_exclusion_*.csv``),
computed from the detector counts the scan tables carry: no point is predicted twice.
The grid size is a parameter (``n_g``, ``n_M``): the default fits the reproduce budget at today's
cost per point (0.3-0.9 s CPU on the scan grid below).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from relicboost.inference.gm_scan import SCAN_MODEL_OPTIONS, GMScanSpec, format_table
from relicboost.inference.gm_scan_engine import scan_frame
from relicboost.io import atomic_savefig, atomic_write_text
from relicboost.io.figure_labels import label_figure
from relicboost.physics.detection import SK_THRESHOLD_MEV

from .fig_gm_detectors import draw_exclusion, finish_axes, label_text, write_exclusion_tables

M_NU_EV: float = 0.05
G_RANGE: tuple[float, float] = (1e-6, 1e-2)
M_RANGE_MEV: tuple[float, float] = (5e-4, 2e-2)
#: Scan grid of the consistent convention (SCAN_MODEL_OPTIONS) and the paper's temperatures, MeV.
MODEL_OPTIONS: dict[str, float | int] = {**SCAN_MODEL_OPTIONS["consistent"], "T_nue": 6.6, "T_nuebar": 7.0,
                                         "T_nux": 10.0}
SK_WINDOW_TOP_MEV: float = 50.0
LABEL = ("convention: consistent (light-mediator transport, tree-level sigma, MSW normal ordering, "
         "relic_dof = 6, normalise='paper')")


def spec_for(mediator: str, n_g: int, n_M: int) -> GMScanSpec:
    """Scan specification of one panel."""
    return GMScanSpec.log_grid(*G_RANGE, n_g, *M_RANGE_MEV, n_M, mediator=mediator, convention="consistent",
                               m_nu_eV=M_NU_EV, model_options=MODEL_OPTIONS)


def _edges(x: np.ndarray) -> np.ndarray:
    lx = np.log10(x)
    step = lx[1] - lx[0] if lx.size > 1 else 0.5
    return 10.0 ** np.append(lx - step / 2, lx[-1] + step / 2)


def make_gm_consistent(outdir: Path, progress: bool = True, n_g: int = 20, n_M: int = 20,
                       processes: int | None = None) -> list[Path]:
    """Write ``gm_consistent.{png,pdf}``, ``gm_consistent_{scalar,vector}.csv`` and the detector exclusion
    tables ``gm_detector_exclusion_{scalar,vector,lowest_g}.csv``; returns the files.

    Parameters
    ----------
    outdir : Path
    progress : bool
    n_g, n_M : int
        Grid points in g and M per mediator (log-spaced over G_RANGE, M_RANGE_MEV).
    processes : int, optional
        Worker processes (default: min(2, cores); 1 = serial in this process).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    workers = processes or min(2, os.cpu_count() or 1)
    fig = Figure(figsize=(11.5, 4.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    written = []
    m_lo, m_hi = (math.sqrt(2 * M_NU_EV * 1e-6 * e) for e in (SK_THRESHOLD_MEV, SK_WINDOW_TOP_MEV))
    tables = {}
    for med in ("scalar", "vector"):
        tables[med] = table = scan_frame(spec_for(med, n_g, n_M), pool="serial" if workers == 1 else "process",
                                         processes=workers, progress=progress)
        written.append(atomic_write_text(outdir / f"gm_consistent_{med}.csv",
                                         format_table(table.attrs, table.to_dict("records"))))
    exclusions, files = write_exclusion_tables(outdir, tables)
    written += files
    for ax, (med, table) in zip(axes, tables.items()):
        spec = spec_for(med, n_g, n_M)
        ratio = table["sk_window_flux_ratio"].to_numpy().reshape(n_M, n_g).T
        mesh = ax.pcolormesh(_edges(np.array(spec.M_MeV)), _edges(np.array(spec.g)), ratio, vmin=0.0, vmax=1.0,
                             cmap="viridis", shading="flat")
        fig.colorbar(mesh, ax=ax, label=f"anti-nu_e flux above {SK_THRESHOLD_MEV:g} MeV / no interaction")
        for m, ls in ((m_lo, "--"), (m_hi, ":")):
            ax.axvline(m, color="w", ls=ls, lw=1.0)
        ax.plot([], [], color="k", ls="--", label=f"E_res = M^2/(2 m_nu) = {SK_THRESHOLD_MEV:g} MeV")
        ax.plot([], [], color="k", ls=":", label=f"E_res = {SK_WINDOW_TOP_MEV:g} MeV (resonance band between)")
        draw_exclusion(ax, exclusions[med])
        finish_axes(ax, med, f"{med}, m_nu = {M_NU_EV} eV, T = 6.6/7/10 MeV, {n_g} x {n_M} points")
    fig.suptitle(LABEL + "\nlines: expected exclusion of the DSNB detectors (gm_detector_exclusion_*.csv)", fontsize=8)
    label_figure(fig, label_text("consistent"))
    return [atomic_savefig(fig, outdir / "gm_consistent.png"), atomic_savefig(fig, outdir / "gm_consistent.pdf"),
            *written]
