"""Paper Figs. 4 and 5: CEvNS recoil rates and event counts on natural lead.

Das, Perez-Gonzalez, Sen 2022 (arXiv:2204.11885), Sec. V.  Fig. 4: recoil rate
dR/dE_R versus recoil energy; Fig. 5: events above threshold versus threshold.
Curves: the boosted CvB for G_X^2 m_nu = 1e-9, 1e-10, 1e-11, 1e-12 MeV^-3 (paper
preset: three flavour channels, see :mod:`relicboost.physics.cevns`), the standard
DSNB as a band between (T_nuebar, T_nux) = (6, 7) and (7, 10) MeV (T_nue = 6.6 MeV),
and solar (8B + hep) + atmospheric neutrinos (black; atmospheric cut at 200 MeV as
in the paper).  Units: events / (ton yr keV) and events / (ton yr).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from relicboost import Model, cevns
from relicboost.io import atomic_savefig, atomic_write_csv
from relicboost.io.figure_labels import figure_label, label_figure
from relicboost.results.fig1 import PAPER_COLOURS

LAMS = (1e-9, 1e-10, 1e-11, 1e-12)
DSNB_TEMPERATURES = ({"T_nuebar": 6.0, "T_nux": 7.0}, {"T_nuebar": 7.0, "T_nux": 10.0})
DSNB_COLOUR = "#d2691e"


def _curves(x_keV: np.ndarray, kind: str, model: Model) -> pd.DataFrame:
    fn = cevns.recoil_spectrum if kind == "rate" else cevns.counts
    key = "recoil_keV" if kind == "rate" else "threshold_keV"
    unit = "events_ton-1_yr-1_keV-1" if kind == "rate" else "events_ton-1_yr-1"
    cols = {key: x_keV}
    for lam in LAMS:
        cols[f"boosted_lam{lam:.0e}_{unit}"] = fn(model.predict(lam=lam), "boosted", x_keV)
    dsnb = [fn(model.predict(lam=0.0, **t), "dsnb", x_keV) for t in DSNB_TEMPERATURES]
    cols[f"dsnb_low_{unit}"] = np.minimum(*dsnb)
    cols[f"dsnb_high_{unit}"] = np.maximum(*dsnb)
    bkg = cevns.background_recoil_spectrum if kind == "rate" else cevns.background_counts
    cols[f"solar_atmospheric_{unit}"] = bkg("solar+atmospheric", x_keV)
    return pd.DataFrame(cols)


def _plot(df: pd.DataFrame, kind: str, path_stem: Path, convention: str) -> list[Path]:
    x = df.iloc[:, 0].to_numpy()
    fig = Figure(figsize=(5.6, 4.2))
    ax = fig.subplots()
    for lam in LAMS:
        col = next(c for c in df.columns if c.startswith(f"boosted_lam{lam:.0e}"))
        ax.loglog(x, df[col], color=PAPER_COLOURS[lam],
                  label=rf"boosted C$\nu$B, $G_X^2 m_\nu=10^{{{round(np.log10(lam))}}}$ MeV$^{{-3}}$")
    lo = next(c for c in df.columns if c.startswith("dsnb_low"))
    hi = next(c for c in df.columns if c.startswith("dsnb_high"))
    ax.fill_between(x, df[lo], df[hi], color=DSNB_COLOUR, alpha=0.6, lw=0, label="DSNB")
    ax.loglog(x, df[df.columns[-1]], color="k", label="solar + atmospheric")
    ax.set_xlabel(r"$E_R$ [keV]" if kind == "rate" else r"$E_{\rm th}$ [keV]")
    ax.set_ylabel(r"$dR/dE_R$ [events / (ton yr keV)]" if kind == "rate" else r"$N(>E_{\rm th})$ [events / (ton yr)]")
    ax.set_ylim(1e-6, 1e3)
    ax.set_xlim(x[0], x[-1])
    ax.set_title("CEvNS on natural Pb (paper preset)", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    label_figure(fig, figure_label(convention, note="CEvNS spectra, no limit"))
    return [atomic_savefig(fig, path_stem.with_suffix(s)) for s in (".png", ".pdf")]


def make_fig4_5(outdir: Path, model: Model | None = None, n_points: int = 120) -> list[Path]:
    """Draw Figs. 4 and 5 and write PNG, PDF and CSV files into ``outdir`` (atomically).

    Parameters
    ----------
    outdir : Path
        Output directory (created if needed).
    model : Model, optional
        Default ``Model(convention="paper")``.
    n_points : int
        Number of log-spaced recoil energies / thresholds between 0.1 and 10 keV.

    Returns
    -------
    list of Path
        fig4.png, fig4.pdf, fig4.csv, fig5.png, fig5.pdf, fig5.csv.
    """
    if n_points < 2:
        raise ValueError(f"n_points must be >= 2, got {n_points}")
    outdir = Path(outdir)
    model = model or Model(convention="paper")
    x = np.geomspace(0.1, 10.0, n_points)
    files: list[Path] = []
    for name, kind in (("fig4", "rate"), ("fig5", "counts")):
        df = _curves(x, kind, model)
        files += _plot(df, kind, outdir / name, model.convention)
        files.append(atomic_write_csv(outdir / f"{name}.csv", df, [
            f"Das, Perez-Gonzalez, Sen 2022 Fig. {name[-1]} reproduction (relicboost): CEvNS on natural lead",
            "boosted: paper preset, 3 flavour channels; DSNB band: (T_nuebar, T_nux) = (6, 7)-(7, 10) MeV, lam = 0",
            "solar = 8B + hep (B16-GS98); atmospheric = FLUKA with E_nu < 200 MeV"]))
    return files
