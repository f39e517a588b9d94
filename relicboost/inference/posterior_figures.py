"""Figures of a posterior run, drawn only from the run's own files (so ``relicboost plot RUN`` redraws them).

* ``corner.png/.pdf`` — corner plot (``corner``) of the thinned sample of ``chain.h5``
  (the sample of ``summary.csv``); one-sided coordinates show their credible upper limit,
  the others median and central interval, all read from ``summary.csv``;
* ``trace.png/.pdf``  — every walker's full chain per coordinate, with the burn-in and,
  for one-sided coordinates, the credible upper limit (emcee runs only).

A nested-sampling run (:mod:`relicboost.inference.nested`) has no chain: its corner plot is drawn
from the equal-weight samples in ``posterior.nc``.

Inputs: ``chain.h5`` (emcee HDF5) and ``summary.csv`` (written by
:func:`relicboost.inference.posterior.write_posterior`, whose ``# key: value`` header lines
give the convention, method, credibility and likelihood).  Both figures carry the label
(convention, method, posterior quantity, credibility, priors) as a footnote and in the file
metadata (:mod:`relicboost.io.figure_labels`).
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from relicboost.io import atomic_savefig
from relicboost.io.figure_labels import figure_label, label_figure

SUMMARY_NAME, NETCDF_NAME = "summary.csv", "posterior.nc"
#: Resolution of the posterior figures' PNG files.
DPI = 120


def read_summary(path: str | Path) -> pd.DataFrame:
    """``summary.csv`` as a DataFrame; its ``# key: value`` header lines go into ``attrs``."""
    from relicboost.io.tables import read_table_header

    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    n_head = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    frame = pd.read_csv(io.StringIO("".join(lines[n_head:])), dtype={"warning": str})  # free text may hold "#"
    frame.attrs.update(read_table_header(path))
    frame["warning"] = frame["warning"].fillna("").astype(str)
    frame["one_sided"] = frame["one_sided"].astype(str) == "True"
    return frame


def posterior_label(table: pd.DataFrame) -> str:
    """Figure label of a posterior summary: convention, method, quantity, credibility, priors, likelihood."""
    attrs = table.attrs
    cl = float(attrs.get("CL", 0.90))
    priors = ", ".join(f"{c} ~ {p}" for c, p in zip(table["coordinate"], table["prior"]))
    note = f"priors: {priors}; likelihood: {attrs.get('likelihood', '?')}"
    if "log_evidence" in attrs:
        note += f"; ln Z = {attrs['log_evidence']} +- {attrs.get('log_evidence_err', '?')}"
    if "log_bayes_factor" in attrs:
        note += (f"; ln B(lam > 0 vs lam = 0) = {attrs['log_bayes_factor']} +- "
                 f"{attrs.get('log_bayes_factor_err', '?')} (depends on the log10 lam prior range)")
    return figure_label(str(attrs.get("convention", "?")), method=str(attrs.get("method", "Bayesian (emcee)")),
                        statistic=f"posterior {100 * cl:g}% quantile (credible upper limit) of the one-sided "
                                  "coordinates", cl=f"{100 * cl:g}% (credible)",
                        note=note.encode("ascii", "replace").decode())


def corner_figure(thinned: np.ndarray, table: pd.DataFrame) -> Figure:
    """Corner plot of the thinned sample (steps, walkers, ndim): labels with units; one-sided coordinates
    show the credible upper limit from ``table`` (same sample) instead of a median +- error."""
    import corner

    ndim = thinned.shape[2]
    cl = float(table.attrs.get("CL", 0.90))
    fig = Figure(figsize=(2.6 * ndim + 1, 2.6 * ndim + 1))
    fig = corner.corner(thinned.reshape(-1, ndim), labels=list(table["label"]), fig=fig,
                        quantiles=None, show_titles=False)
    axes = np.array(fig.axes).reshape(ndim, ndim)
    pct = f"{100 * cl:g}"
    for i, row in table.iterrows():
        ax = axes[i, i]
        if row["one_sided"]:
            ax.axvline(row[f"upper_{pct}"], color="C3", ls="--")
            title = f"< {row[f'upper_{pct}']:.3g} ({pct}% cred.)"
        else:
            ax.axvline(row["median"], color="k", ls=":")
            title = (f"{row['median']:.3g} [{row[f'lower_{pct}']:.3g}, {row[f'upper_{pct}']:.3g}] "
                     f"({100 * (2 * cl - 1):g}%)")
        flags = [flag for key, flag in (("prior-dominated", "prior-dominated"), ("R-hat", "not converged"))
                 if key in row["warning"]]
        ax.set_title(title + "".join(f" !{flag}" for flag in flags), fontsize=8)
    label_figure(fig, posterior_label(table))
    return fig


def trace_figure(chain: np.ndarray, burn: int, thin: int, table: pd.DataFrame) -> Figure:
    """Trace of every walker (chain of shape (steps, walkers, ndim)) with the burn-in marked."""
    nsteps, nwalkers, ndim = chain.shape
    cl = float(table.attrs.get("CL", 0.90))
    pct = f"{100 * cl:g}"
    fig = Figure(figsize=(7.0, 1.8 * ndim + 0.8))
    axes = np.atleast_1d(fig.subplots(ndim, 1, sharex=True))
    steps = np.arange(nsteps)
    for i, (ax, row) in enumerate(zip(axes, table.itertuples(index=False))):
        ax.plot(steps, chain[:, :, i], color="k", alpha=max(0.05, min(0.5, 4.0 / nwalkers)), lw=0.5,
                rasterized=True)
        ax.axvline(burn, color="C0", ls="--", lw=1, label=f"burn-in {burn} steps (2 max tau)")
        if row.one_sided:
            ax.axhline(table.iloc[i][f"upper_{pct}"], color="C3", ls="--", lw=1,
                       label=f"{pct}% credible upper limit")
        ax.set_ylabel(row.label, fontsize=8)
        ax.legend(fontsize=6, loc="upper right")
    axes[-1].set_xlabel("step")
    axes[0].set_title(f"emcee trace: {nwalkers} walkers x {nsteps} steps; summary from every {thin}-th step "
                      f"after the burn-in", fontsize=8)
    label_figure(fig, posterior_label(table))
    return fig


def posterior_samples(outdir: str | Path, names: list[str]) -> np.ndarray:
    """Samples of ``outdir/posterior.nc`` as (draws, chains, ndim) in the order of ``names``."""
    import arviz as az

    post = az.from_netcdf(str(Path(outdir) / NETCDF_NAME)).posterior
    return np.stack([np.asarray(post[n].values).T for n in names], axis=-1)


def draw_posterior_figures(outdir: str | Path, chain_path: str | Path | None) -> list[Path]:
    """Draw the figures of a posterior run into ``outdir`` from ``outdir/summary.csv`` and
    ``chain_path`` (emcee: ``corner`` and ``trace``, PNG + PDF) or, when ``chain_path`` is None
    (nested sampling), from ``outdir/posterior.nc`` (``corner`` only)."""
    outdir = Path(outdir)
    table = read_summary(outdir / SUMMARY_NAME)
    figures: list[tuple[str, Figure]]
    if chain_path is None:
        figures = [("corner", corner_figure(posterior_samples(outdir, list(table["coordinate"])), table))]
    else:
        import emcee

        from .posterior import thinned_samples

        thinned, burn, thin, _ = thinned_samples(chain_path)
        chain = emcee.backends.HDFBackend(str(chain_path), read_only=True).get_chain()
        figures = [("corner", corner_figure(thinned, table)), ("trace", trace_figure(chain, burn, thin, table))]
    return [atomic_savefig(fig, outdir / f"{stem}.{fmt}", dpi=DPI) for stem, fig in figures for fmt in ("png", "pdf")]
