"""SCHEMATIC paper-convention SK-IV exclusion in the (g, M) plane, computed point by point.

``mediator_exclusion.{png,pdf,csv}`` and ``mediator_exclusion_grid.csv``: scalar and vector mediator,
m_nu = 0.05 eV, T = 6.6 / 7 / 10 MeV, ``paper`` convention (Eqs. IV.10, IV.11 as printed, with
sigma = lam E replaced by the tree-level cross section with full propagator and the flat partner
spectrum by the mediator's relic-partner energy distribution, both normalised to the paper's heavy
limit: :meth:`relicboost.Model.predict_mediator`).

This is a statement about the paper's printed equations, not a physical bound: they add relic
partners without removing energy, and in the ``consistent`` convention the SK-window flux only
decreases with g (docs/conventions.md, "Paper-convention mediator exclusion: mechanism").

What is drawn, true at every point:

* squares: the grid points (g, M) where SK-IV excludes at 90% C.L. (-2 ln L >= norm.ppf(0.9)^2),
  evaluated at each point of a log grid in g up to 4 pi (:mod:`relicboost.inference.gm_scan`; grey
  dots: allowed grid points);
  the excluded set at fixed M need not be one interval, and near the resonance (vector, M ~ 1.3-2
  keV) nothing is excluded;
* markers: g_upper, the *lowest* excluded coupling (:func:`relicboost.inference.contours.mediator_exclusion`);
* dashed: the heavy-limit line (the lam limit mapped with Eq. II.5); grey band: where that mapping
  is not valid (M^2 < 10 x 2 m_nu x 100 MeV); dotted: g = sqrt(4 pi) (perturbativity).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from relicboost.inference.contours import mediator_exclusion
from relicboost.inference.gm_scan import G_PERTURBATIVE, GMScanSpec, evaluate_likelihood
from relicboost.inference.gm_scan_engine import scan_frame
from relicboost.inference.limits import statistic_text, threshold
from relicboost.io import atomic_savefig, atomic_write_csv
from relicboost.io.figure_labels import figure_label, label_figure
from relicboost.likelihoods import SKIV
from relicboost.physics.interactions import (
    coupling_from_lam,
    heavy_mediator_min_mass_MeV,
)

#: Mediator masses, MeV: 0.1 keV to 100 MeV, denser around the s-channel resonance in the SK window.
M_GRID_MEV: np.ndarray = np.sort(np.concatenate([np.geomspace(1e-4, 1e2, 25), np.geomspace(1.06e-3, 2.9e-3, 9)]))
#: Couplings of the per-point exclusion grid: 1e-6 to 4 pi, 0.5 dex apart.
G_GRID: np.ndarray = np.append(10.0 ** np.arange(-6.0, 1.1, 0.5), 4.0 * np.pi)
M_NU_EV: float = 0.05
CL: float = 0.90
TEMPERATURES: dict[str, float] = {"T_nue": 6.6, "T_nuebar": 7.0, "T_nux": 10.0}
LABEL = ("SCHEMATIC (paper convention: Eqs. IV.10, IV.11 as printed, tree-level sigma and partner spectrum, "
         "normalise='paper') - not a physical bound, see docs/conventions.md")


def paper_scan(mediator: str, progress: bool = False, processes: int | None = None) -> pd.DataFrame:
    """Scan table (:func:`relicboost.inference.gm_scan_engine.scan_frame`) of the G_GRID x M_GRID_MEV grid in the
    paper convention; ``processes``: worker processes (default min(2, cores); 1 = in this process)."""
    workers = processes or min(2, os.cpu_count() or 1)
    spec = GMScanSpec(g=tuple(G_GRID), M_MeV=tuple(M_GRID_MEV), mediator=mediator, convention="paper",
                      m_nu_eV=M_NU_EV, model_options=TEMPERATURES)
    return scan_frame(spec, pool="serial" if workers == 1 else "process", processes=workers, progress=progress)


def excluded_grid(mediator: str, progress: bool = False, processes: int | None = None,
                  table: pd.DataFrame | None = None) -> pd.DataFrame:
    """SK-IV -2 ln L and the exclusion flag on the G_GRID x M_GRID_MEV grid (paper convention), from ``table``
    (default: :func:`paper_scan`)."""
    table = paper_scan(mediator, progress, processes) if table is None else table
    chi2 = evaluate_likelihood(table, SKIV())
    return pd.DataFrame({"mediator": mediator, "M_MeV": table["M_MeV"], "g": table["g"],
                         "nuebar_flux_above_17.3MeV_cm-2_s-1": table["nuebar_flux_above_17.3MeV_cm-2_s-1"],
                         "skiv_neg2lnL": chi2, f"excluded_{CL:.0%}CL": chi2 >= threshold(CL),
                         "perturbative": table["perturbative"], "heavy_limit_valid": table["heavy_limit_valid"]})


def make_mediator_exclusion(outdir: Path, progress: bool = True) -> list[Path]:
    """Write ``mediator_exclusion.{png,pdf,csv}`` and ``mediator_exclusion_grid.csv``; returns the files."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    sk = SKIV()
    df = mediator_exclusion(sk, M_GRID_MEV, m_nu_eV=M_NU_EV, cl=CL, convention="paper", progress=progress,
                            **TEMPERATURES)
    tables = {med: paper_scan(med, progress) for med in ("scalar", "vector")}
    grid = pd.concat([excluded_grid(med, table=tables[med]) for med in tables], ignore_index=True)
    lam_up = df.attrs["lam_upper_heavy_MeV-3"]
    m_min = heavy_mediator_min_mass_MeV(M_NU_EV, 100.0, 10.0)
    fig = Figure(figsize=(11.5, 5.0))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    M_line = np.geomspace(M_GRID_MEV[0], M_GRID_MEV[-1], 200)
    color = {"scalar": "#c62828", "vector": "#1565c0"}
    for ax, med in zip(axes, ("scalar", "vector")):
        d, gd = df[df["mediator"] == med], grid[grid["mediator"] == med]
        mask = gd[f"excluded_{CL:.0%}CL"].to_numpy()
        ax.scatter(gd["M_MeV"][mask], gd["g"][mask], marker="s", s=16, color=color[med], alpha=0.6, lw=0,
                   label=f"excluded at this grid point (SK-IV {CL:.0%} C.L.)")
        ax.scatter(gd["M_MeV"][~mask], gd["g"][~mask], marker=".", s=4, color="0.6", label="allowed grid point")
        ax.loglog(M_line, coupling_from_lam(lam_up, M_line, M_NU_EV, med), color="0.3", ls="--",
                  label=f"heavy-limit mapping (lam = {lam_up:.3g} MeV^-3, Eq. II.5)")
        ax.loglog(d["M_MeV"], d["g_upper"], ls="none", color=color[med], marker="o", ms=3,
                  label="g_upper: lowest excluded g at this M")
        ax.axvspan(M_GRID_MEV[0], m_min, color="0.85", alpha=0.5, label="heavy-limit mapping invalid")
        ax.axhline(G_PERTURBATIVE, color="0.5", lw=0.8, ls=":", label="g = sqrt(4 pi)")
        ax.set_xlim(M_GRID_MEV[0], M_GRID_MEV[-1])
        ax.set_ylim(0.5 * G_GRID[0], 1.5 * G_GRID[-1])
        ax.set_xlabel(f"{med} mediator mass M [MeV]")
        ax.set_ylabel("coupling g (squares: excluded at that point)")
        ax.set_title(f"SCHEMATIC (paper convention), {med}: SK-IV 90% C.L., m_nu = {M_NU_EV} eV", fontsize=8)
        ax.legend(fontsize=6, loc="upper left")
    fig.suptitle(LABEL, fontsize=8)
    label_figure(fig, figure_label("paper (schematic)", method="published (crossing of the published SK-IV flux limit)",
                                   statistic=statistic_text(CL, "published") + " (in log10 g at fixed M)", cl=CL))
    header = [("SCHEMATIC: SK-IV 90% C.L. exclusion of the mediator coupling in the paper convention "
              "(not a physical bound; docs/conventions.md)"),
              f"{LABEL}; m_nu = {M_NU_EV} eV; T_nue/T_nuebar/T_nux = 6.6/7/10 MeV; E_tot = 3e53 erg",
              f"likelihood: {sk.label}; heavy-limit lam limit {lam_up:.4g} MeV^-3",
              f"method: published; CL: 0.90; test statistic: {statistic_text(0.90, 'published')} (in log10 g at fixed M)"]
    csv = atomic_write_csv(outdir / "mediator_exclusion.csv", df, header + [
        ("g_upper: LOWEST coupling where -2lnL reaches norm.ppf(0.9)^2 (relicboost.inference.contours."
        "mediator_exclusion; NaN: not excluded in the scan); the excluded set above it is in "
        "mediator_exclusion_grid.csv; heavy_limit_valid: M^2 >= 10 x 2 m_nu x 100 MeV")])
    grid_csv = atomic_write_csv(outdir / "mediator_exclusion_grid.csv", grid, header + [
        "per grid point: SK-IV -2lnL and whether it is >= norm.ppf(0.9)^2 (excluded); perturbative: g <= sqrt(4 pi)"])
    return [atomic_savefig(fig, outdir / "mediator_exclusion.png"), atomic_savefig(fig, outdir / "mediator_exclusion.pdf"),
            csv, grid_csv, *detector_exclusion_paper(outdir, tables)]


def detector_exclusion_paper(outdir: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Expected exclusion of the DSNB detectors in the paper-convention (g, M) plane, from the scan tables already
    computed (:func:`relicboost.results.fig_gm_detectors.write_exclusion_tables`; there the detectors see an
    EXCESS): ``gm_detector_exclusion_paper_{scalar,vector,lowest_g}.csv`` and ``gm_detectors_paper.{png,pdf}``
    (the excluded regions over the SK-window flux ratio to no interaction)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    from .fig_gm_detectors import draw_exclusion, finish_axes, label_text, write_exclusion_tables

    frames, written = write_exclusion_tables(outdir, tables, stem="gm_detector_exclusion_paper")
    fig = Figure(figsize=(11.5, 4.8))
    FigureCanvasAgg(fig)
    for ax, (med, table) in zip(fig.subplots(1, 2), tables.items()):
        g, M = np.unique(table["g"].to_numpy(float)), np.unique(table["M_MeV"].to_numpy(float))
        ratio = table.sort_values(["M_MeV", "g"])["sk_window_flux_ratio"].to_numpy(float).reshape(M.size, g.size).T
        mesh = ax.pcolormesh(M, g, ratio, norm=LogNorm(vmin=1.0, vmax=max(10.0, float(np.nanmax(ratio)))),
                             cmap="magma", shading="nearest")
        fig.colorbar(mesh, ax=ax, label="SK-window flux / no interaction (excess)")
        draw_exclusion(ax, frames[med])
        ax.axhline(G_PERTURBATIVE, color="0.5", lw=0.8, ls=":", label="g = sqrt(4 pi)")
        finish_axes(ax, med, f"SCHEMATIC (paper convention), {med}: DSNB detectors, m_nu = {M_NU_EV} eV")
    fig.suptitle(LABEL + "\nlines: expected exclusion of the DSNB detectors (gm_detector_exclusion_paper_*.csv)",
                 fontsize=8)
    label_figure(fig, label_text("paper (schematic)"))
    return [atomic_savefig(fig, outdir / "gm_detectors_paper.png"), atomic_savefig(fig, outdir / "gm_detectors_paper.pdf"),
            *written]
