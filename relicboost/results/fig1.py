"""Paper Fig. 1: isocontours of G_X^2 m_nu in the mediator (g, M) plane.

Das, Perez-Gonzalez, Sen 2022 (arXiv:2204.11885), Fig. 1 shows the lines
lam = G_X^2 m_nu = 1e-9, 1e-10, 1e-11, 1e-12 MeV^-3 in the g_phi - M_phi plane
for a scalar mediator (vector "similar").  Here both mediators are drawn, for a
stated relic neutrino mass, with the region where the heavy-mediator mapping
(paper Eq. II.5) does not hold shaded.

Not reproduced: the other experimental constraints of the paper's Fig. 1
(invisible Z decay, meson decays m -> l nu phi, double-beta decay, all taken by
the paper from its ref. [2]).  They are published only as figure curves; no
tabulated numbers with a citable source were available to type in, so they are
left out rather than digitised.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from relicboost.inference.contours import PAPER_LAM_VALUES, lam_isocontours
from relicboost.io import RunDirectory
from relicboost.physics.interactions import MEDIATORS, heavy_mediator_min_mass_MeV

#: Line colours named in the paper's figure captions (Figs. 2-6) for the four lam values.
PAPER_COLOURS = {1e-9: "#7b3294", 1e-10: "#1b9e77", 1e-11: "#b8860b", 1e-12: "#c8a2c8"}

G_RANGE = (1e-4, 10.0)
M_RANGE_MEV = (1e-3, 1e2)


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
        ax.set_xlim(*M_RANGE_MEV)
        ax.set_ylim(*G_RANGE)
        sym = r"\phi" if med == "scalar" else r"V"
        ax.set_xlabel(rf"$M_{{{sym}}}$ [MeV]")
        ax.set_ylabel(rf"$g_{{{sym}}}$")
        ax.set_title(f"{med} mediator, $m_\\nu$ = {m_nu_eV:g} eV, $E_{{\\max}}$ = {E_nu_max_MeV:g} MeV",
                     fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()

    run = RunDirectory(outdir)
    files = run.save_figure(fig, "fig1")
    files.append(run.write_table("fig1.csv", table, {
        "source": "arXiv:2204.11885 Fig. 1 (isocontours only; Eq. II.5 heavy-mediator mapping)",
    }))
    return files
