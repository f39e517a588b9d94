"""SK-IV exclusion in the (g, M) plane computed point by point with light-mediator cross sections.

``mediator_exclusion.{png,pdf,csv}``: SK-IV 90% C.L. upper limit on the coupling g of a scalar
and a vector mediator, m_nu = 0.05 eV, T = 6.6 / 7 / 10 MeV, ``paper`` convention (Eqs. IV.10,
IV.11 as printed, with sigma = lam E replaced by the tree-level cross section with full
propagator and the flat partner spectrum by the mediator's relic-partner energy distribution,
both normalised to the paper's heavy limit: :meth:`relicboost.Model.predict_mediator`).  The
point-by-point curve is drawn against the heavy-limit line (the lam limit mapped with Eq. II.5);
the region where the heavy-limit mapping is not valid (M^2 < 10 x 2 m_nu x 100 MeV) is shaded.
Above M ~ 44 MeV the mapped coupling exceeds 4 pi, where no perturbative point-by-point limit
is computed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from relicboost.inference.contours import mediator_exclusion
from relicboost.io import atomic_savefig, atomic_write_csv
from relicboost.likelihoods import SKIV
from relicboost.physics.interactions import (
    coupling_from_lam,
    heavy_mediator_min_mass_MeV,
)

#: Mediator masses, MeV: 0.1 keV to 100 MeV, denser around the s-channel resonance in the SK window.
M_GRID_MEV: np.ndarray = np.sort(np.concatenate([np.geomspace(1e-4, 1e2, 25), np.geomspace(1.06e-3, 2.9e-3, 9)]))
M_NU_EV: float = 0.05
TEMPERATURES: dict[str, float] = {"T_nue": 6.6, "T_nuebar": 7.0, "T_nux": 10.0}
LABEL = "convention: paper (Eqs. IV.10, IV.11 as printed, tree-level sigma and partner spectrum, normalise='paper')"


def make_mediator_exclusion(outdir: Path, progress: bool = True) -> list[Path]:
    """Write ``mediator_exclusion.{png,pdf,csv}`` into ``outdir``; returns the files written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    sk = SKIV()
    df = mediator_exclusion(sk, M_GRID_MEV, m_nu_eV=M_NU_EV, cl=0.90, convention="paper", progress=progress,
                            **TEMPERATURES)
    lam_up = df.attrs["lam_upper_heavy_MeV-3"]
    m_min = heavy_mediator_min_mass_MeV(M_NU_EV, 100.0, 10.0)
    fig = Figure(figsize=(11.5, 4.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    M_line = np.geomspace(M_GRID_MEV[0], M_GRID_MEV[-1], 200)
    for ax, med in zip(axes, ("scalar", "vector")):
        d = df[df["mediator"] == med]
        ax.loglog(M_line, coupling_from_lam(lam_up, M_line, M_NU_EV, med), color="0.3", ls="--",
                  label=f"heavy-limit mapping (lam = {lam_up:.3g} MeV^-3, Eq. II.5)")
        ax.loglog(d["M_MeV"], d["g_upper"], color="#c62828" if med == "scalar" else "#1565c0", marker="o", ms=3,
                  label=f"{med}: point by point (full propagator)")
        nan = d[d["g_upper"].isna()]
        if len(nan):
            ax.scatter(nan["M_MeV"], coupling_from_lam(lam_up, nan["M_MeV"].to_numpy(), M_NU_EV, med), marker="x",
                       color="k", zorder=5, label="not excluded in the scan (up to 100 x mapped g, g <= 4 pi)")
        ax.axvspan(M_GRID_MEV[0], m_min, color="0.85", alpha=0.6, label="heavy-limit mapping invalid")
        ax.axhline(4 * np.pi, color="0.5", lw=0.8, ls=":")
        ax.set_xlim(M_GRID_MEV[0], M_GRID_MEV[-1])
        ax.set_ylim(1e-6, 30.0)
        ax.set_xlabel(f"{med} mediator mass M [MeV]")
        ax.set_ylabel("coupling g (excluded above the curve)")
        ax.set_title(f"SK-IV 90% C.L., {med} mediator, m_nu = {M_NU_EV} eV, T = 6.6/7/10 MeV", fontsize=8)
        ax.legend(fontsize=6, loc="upper left")
    fig.suptitle(LABEL, fontsize=8)
    header = ["SK-IV 90% C.L. upper limit on the mediator coupling g, computed point by point "
              "(relicboost.inference.contours.mediator_exclusion)",
              f"{LABEL}; m_nu = {M_NU_EV} eV; T_nue/T_nuebar/T_nux = 6.6/7/10 MeV; E_tot = 3e53 erg",
              f"likelihood: {sk.label}; heavy-limit lam limit {lam_up:.4g} MeV^-3",
              "g_upper: lowest coupling where -2lnL reaches norm.ppf(0.9)^2 (NaN: not excluded in the scan); "
              "heavy_limit_valid: M^2 >= 10 x 2 m_nu x 100 MeV"]
    csv = atomic_write_csv(outdir / "mediator_exclusion.csv", df, header)
    return [atomic_savefig(fig, outdir / "mediator_exclusion.png"), atomic_savefig(fig, outdir / "mediator_exclusion.pdf"),
            csv]
