"""Paper Fig. 1: isocontours of G_X^2 m_nu in the mediator (g, M) plane.

Das, Perez-Gonzalez, Sen 2022 (arXiv:2204.11885), Fig. 1 shows the lines
lam = G_X^2 m_nu = 1e-9, 1e-10, 1e-11, 1e-12 MeV^-3 in the g_phi - M_phi plane
for a scalar mediator (vector "similar").  Here both mediators are drawn, for a
stated relic neutrino mass, with the region where the heavy-mediator mapping
(paper Eq. II.5) does not hold shaded.

Laboratory bounds (paper: invisible Z decay, meson decays m -> l nu phi and
double-beta decay, taken from its ref. [2]).  Drawn on the scalar panel from
``lab_bounds_scalar_mediator.csv``: the neutrinoless double-beta decay limit on
majoron emission, NEMO-3 100Mo, <g_ee> < 1.8e-4 (weakest nuclear matrix element;
Arnold et al. 2006), for M <= 0.1 MeV where the massless-majoron limit applies
(a drawing choice, the mass dependence is not computed; coupling conventions may
differ by O(1)).  Not drawn, and said so on the figure: the invisible-Z-width and
meson-decay bounds, published only as figure curves (e.g. Berryman et al. 2018,
arXiv:1802.00009; Blinov et al. 2019, arXiv:1905.02727) with no table we could cite.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from relicboost.data import load_table
from relicboost.inference.contours import PAPER_LAM_VALUES, lam_isocontours
from relicboost.io import RunDirectory
from relicboost.io.figure_labels import figure_label, label_figure
from relicboost.physics.interactions import MEDIATORS, heavy_mediator_min_mass_MeV

#: Line colours named in the paper's figure captions (Figs. 2-6) for the four lam values.
PAPER_COLOURS = {1e-9: "#7b3294", 1e-10: "#1b9e77", 1e-11: "#b8860b", 1e-12: "#c8a2c8"}

G_RANGE = (1e-4, 10.0)
M_RANGE_MEV = (1e-3, 1e2)
#: Paper's colour for the double-beta-decay region (Fig. 1 caption: green).
DOUBLE_BETA_COLOUR = "tab:green"
#: Laboratory bounds of the paper's Fig. 1 that are not drawn, with the reason (printed on the figure).
NOT_SHOWN = ("invisible Z width and meson decays m -> l nu phi: published only as figure curves "
             "(Berryman et al. 2018; Blinov et al. 2019), no citable table")


def lab_bounds() -> list[dict]:
    """Laboratory limits drawn on the scalar panel (``lab_bounds_scalar_mediator.csv``): dicts with
    ``bound``, ``coupling``, ``g_max`` and the drawn mass range ``M_min_MeV``-``M_max_MeV`` (MeV)."""
    return load_table("lab_bounds_scalar_mediator").drop(columns="status").to_dict("records")


def make_fig1(
    outdir: Path,
    m_nu_eV: float = 0.05,
    E_nu_max_MeV: float = 100.0,
    margin: float = 10.0,
    n_mass: int = 200,
) -> list[Path]:
    """Draw Fig. 1 and write ``fig1.png``, ``fig1.pdf`` and ``fig1.csv`` into ``outdir``.

    Parameters
    ----------
    outdir : Path
        Output directory (created if needed); files are written atomically.
    m_nu_eV : float
        Relic neutrino mass in eV (default 0.05), stated on the figure.
    E_nu_max_MeV, margin : float
        Heavy-mediator validity criterion M^2 >= margin * 2 m_nu E_nu_max.
    n_mass : int
        Number of log-spaced masses between 1e-3 and 1e2 MeV.

    Returns
    -------
    list of Path
        The PNG, PDF and CSV files written.  The CSV has columns ``mediator``,
        ``lam_MeV-3``, ``M_MeV``, ``g``, ``heavy_limit_valid``.
    """
    if n_mass < 2:
        raise ValueError(f"n_mass must be >= 2, got {n_mass}")
    M = np.logspace(np.log10(M_RANGE_MEV[0]), np.log10(M_RANGE_MEV[1]), n_mass)
    table = lam_isocontours(M, PAPER_LAM_VALUES, m_nu_eV, MEDIATORS, E_nu_max_MeV, margin)
    m_min = heavy_mediator_min_mass_MeV(m_nu_eV, E_nu_max_MeV, margin)

    fig = Figure(figsize=(9.0, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, med in zip(axes, MEDIATORS):
        for lam in PAPER_LAM_VALUES:
            sub = table[(table["mediator"] == med) & (table["lam_MeV-3"] == lam)]
            ax.loglog(sub["M_MeV"], sub["g"], color=PAPER_COLOURS[lam],
                      label=rf"$G_X^2 m_\nu = 10^{{{round(np.log10(lam))}}}$ MeV$^{{-3}}$")
        ax.axvspan(M_RANGE_MEV[0], m_min, color="0.85", zorder=0,
                   label=rf"heavy-mediator limit invalid ($M^2 < {margin:g}\cdot 2 m_\nu E_{{\max}}$)")
        if med == "scalar":
            for b in lab_bounds():
                m_lo = max(b["M_min_MeV"], M_RANGE_MEV[0])
                ax.fill_between([m_lo, b["M_max_MeV"]], b["g_max"], G_RANGE[1], color=DOUBLE_BETA_COLOUR,
                                alpha=0.25, lw=0, label=f"{b['bound']}: {b['coupling']} < {b['g_max']:.1e}")
            ax.text(0.98, 0.16, "not shown:\n" + NOT_SHOWN.replace(": ", ":\n", 1).replace(" (", "\n("),
                    transform=ax.transAxes, fontsize=5.5, ha="right", va="bottom")
            ax.legend(handles=ax.collections[-1:], fontsize=6, loc="lower right")
        ax.set_xlim(*M_RANGE_MEV)
        ax.set_ylim(*G_RANGE)
        sym = r"\phi" if med == "scalar" else r"V"
        ax.set_xlabel(rf"$M_{{{sym}}}$ [MeV]")
        ax.set_ylabel(rf"$g_{{{sym}}}$")
        ax.set_title(f"{med} mediator, $m_\\nu$ = {m_nu_eV:g} eV, $E_{{\\max}}$ = {E_nu_max_MeV:g} MeV",
                     fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
    axes[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    label_figure(fig, figure_label(
        "paper (heavy-mediator mapping lam = G_X^2 m_nu, Eq. II.5)", method="published (NEMO-3 limit as published)",
        statistic="none computed here (published limit on <g_ee>, weakest matrix element)", cl=0.90))

    run = RunDirectory(outdir)
    files = run.save_figure(fig, "fig1")
    files.append(run.write_table("fig1.csv", table, {
        "source": "arXiv:2204.11885 Fig. 1 (isocontours; Eq. II.5 heavy-mediator mapping)",
        "lab_bounds_drawn": "; ".join(f"{b['bound']}: {b['coupling']} < {b['g_max']:g} for M <= {b['M_max_MeV']:g} MeV"
                                      for b in lab_bounds()),
        "lab_bounds_not_shown": NOT_SHOWN,
    }))
    return files
