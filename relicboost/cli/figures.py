"""Figures of run directories, drawn from the run's own tables (so ``relicboost plot RUN`` redraws them).

* ``limit``    — limits.csv: the observed upper limit on lam and, when the table has
  expected rows, the Brazil band (median, +-1 sigma, +-2 sigma);
* ``scan``     — scan.csv: Delta chi^2 = chi2 - min chi2 versus lam, with the C.L. threshold;
* ``forecast`` — forecast.csv: signal/background counts and the median discovery
  significance versus lam;
* ``flux``     — flux.csv: the spectra of ``relicboost flux``.

Every figure is a bare :class:`matplotlib.figure.Figure` (no pyplot, no backend
selection) saved as PNG and PDF, drawn from the table as written (with its ``# key: value``
header), and labelled with its convention and, where it shows a limit, the method, test
statistic and C.L. (footnote and file metadata, :mod:`relicboost.io.figure_labels`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import norm

from relicboost.io import RunDirectory, read_table_csv
from relicboost.io.figure_labels import figure_label, label_figure

#: Table and figure stem of each kind of run.
RUN_TABLES: dict[str, tuple[str, str]] = {"limit": ("limits.csv", "limit"), "scan": ("scan.csv", "scan"),
                                          "forecast": ("forecast.csv", "forecast"), "flux": ("flux.csv", "flux")}


def _lam_col(frame: pd.DataFrame, prefix: str) -> str:
    return next(c for c in frame.columns if c.startswith(prefix) and c.endswith("MeV-3"))


def limit_figure(frame: pd.DataFrame) -> Figure:
    """Observed limit on lam and the expected (Brazil) band of a limits.csv table."""
    col = _lam_col(frame, "lam_upper")
    cl = frame.attrs.get("CL", "")
    fig = Figure(figsize=(6.0, 2.6))
    ax = fig.subplots()
    rows = dict(zip(frame["limit"], frame[col].astype(float)))
    exp = {k.replace("expected ", ""): v for k, v in rows.items() if k.startswith("expected")}
    finite = [v for v in rows.values() if np.isfinite(v) and v > 0]
    floor = min(finite, default=1e-14) / 10  # a -n sigma edge at lam = 0 is drawn to the left of every limit
    for n, colour in ((2, "#ffeb3b"), (1, "#4caf50")):
        lo, hi = exp.get(f"-{n}sigma", np.nan), exp.get(f"+{n}sigma", np.nan)
        if np.isfinite(hi) and hi > 0 and not np.isnan(lo):
            ax.axvspan(lo if lo > 0 else floor, hi, color=colour, label=f"expected $\\pm {n}\\sigma$")
    if "median" in exp and np.isfinite(exp["median"]):
        ax.axvline(exp["median"], color="k", ls="--", label="expected median")
    if "observed" in rows and np.isfinite(rows["observed"]) and rows["observed"] > 0:
        ax.axvline(rows["observed"], color="#c62828", lw=2, label="observed")
    ax.set_xscale("log")
    ax.set_yticks([])
    ax.set_xlabel(r"upper limit on $\lambda = G_X^2 m_\nu$ [MeV$^{-3}$]")
    status = "; ".join(sorted({str(s) for s in frame.get("status", []) if str(s) not in ("ok", "nan")}))
    ax.set_title(f"{100 * float(cl):g}% C.L. upper limit" + (f" ({status})" if status else "") if cl != "" else
                 "upper limit", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper right")
    methods = ", ".join(sorted({str(m) for m in frame.get("method", [])})) or "?"
    label_figure(fig, figure_label(str(frame.attrs.get("convention", "?")), method=methods,
                                   statistic=str(frame.attrs.get("statistic", "?")), cl=float(cl or 0.90),
                                   note=f"likelihood: {frame.attrs.get('likelihood', '?')}"))
    return fig


def scan_figure(frame: pd.DataFrame) -> Figure:
    """Delta chi^2 versus lam of a scan.csv table, with the one-sided C.L. threshold."""
    fig = Figure(figsize=(5.5, 4.0))
    ax = fig.subplots()
    dchi2 = frame["chi2"] - frame["chi2"].min()
    ax.plot(frame["lam_MeV-3"], dchi2, "o-", ms=3, color="#1565c0")
    cl = float(frame.attrs.get("CL", 0.90))
    ax.axhline(norm.ppf(cl) ** 2, color="#c62828", ls="--", label=f"{100 * cl:g}% C.L. (one-sided)")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\lambda = G_X^2 m_\nu$ [MeV$^{-3}$]")
    ax.set_ylabel(r"$\Delta\chi^2$ (profiled)")
    ax.legend(fontsize=8)
    label_figure(fig, figure_label(
        str(frame.attrs.get("convention", "?")), method="profile likelihood scan; C.L. line as CLs+b",
        statistic=f"Delta chi2 = chi2 - min chi2, nuisances profiled; line at norm.ppf({cl:g})^2 (one-sided)",
        cl=cl, note=f"likelihood: {frame.attrs.get('likelihood', '?')}"))
    return fig


def forecast_figure(frame: pd.DataFrame) -> Figure:
    """Signal and background counts and the discovery significance versus lam (forecast.csv)."""
    fig = Figure(figsize=(5.5, 5.5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    lam = frame["lam_MeV-3"].to_numpy(dtype=float)
    order = np.argsort(lam)
    top.plot(lam[order], frame["signal_events"].to_numpy()[order], "o-", label="signal")
    top.plot(lam[order], frame["background_events"].to_numpy()[order], "s--", label="background")
    top.set_ylabel("events")
    top.set_yscale("log")
    top.legend(fontsize=8)
    bottom.plot(lam[order], frame["Z_discovery_median"].to_numpy()[order], "o-", color="#6a1b9a")
    bottom.set_ylabel(r"median discovery $Z$ [$\sigma$]")
    bottom.set_xlabel(r"$\lambda = G_X^2 m_\nu$ [MeV$^{-3}$]")
    for ax in (top, bottom):
        ax.set_xscale("symlog", linthresh=max(1e-14, float(np.min(lam[lam > 0], initial=1e-12)) / 10))
    label_figure(fig, figure_label(
        str(frame.attrs.get("convention", "?")),
        note=f"no limit; median discovery Z from Asimov data (q0); exposure {frame.attrs.get('exposure_ton_yr', '?')} "
             f"ton yr, threshold {frame.attrs.get('threshold_keV', '?')} keV"))
    return fig


def flux_figure(frame: pd.DataFrame) -> Figure:
    """Spectra of a flux.csv table (every ``*_cm-2_s-1_MeV-1`` column) versus energy."""
    fig = Figure(figsize=(5.5, 4.0))
    ax = fig.subplots()
    for col in frame.columns:
        if col.endswith("_cm-2_s-1_MeV-1"):
            y = frame[col].to_numpy(dtype=float)
            ax.loglog(frame["E_MeV"], np.where(y > 0, y, np.nan), label=col.removesuffix("_cm-2_s-1_MeV-1"))
    ax.set_xlabel("E [MeV]")
    ax.set_ylabel(r"flux [cm$^{-2}$ s$^{-1}$ MeV$^{-1}$]")
    ax.set_title(f"lam = {frame.attrs.get('lam_MeV-3', '?')} MeV^-3", fontsize=9)
    ax.legend(fontsize=7)
    label_figure(fig, figure_label(str(frame.attrs.get("convention", "?")), note="spectra, no limit"))
    return fig


_FIGURES = {"limit": limit_figure, "scan": scan_figure, "forecast": forecast_figure, "flux": flux_figure}


def draw_run(kind: str, run: RunDirectory) -> list[Path]:
    """Draw the figure of a ``kind`` run into ``run`` (PNG + PDF) from the table the run wrote, so that
    ``relicboost plot`` redraws it byte for byte."""
    table, stem = RUN_TABLES[kind]
    return run.save_figure(_FIGURES[kind](read_table_csv(run.target / table)), stem)


def redraw(path: Path, kind: str) -> Figure:
    """The figure of the run directory ``path`` of the given kind, from its table."""
    return _FIGURES[kind](read_table_csv(Path(path) / RUN_TABLES[kind][0]))
