"""The ``paper`` and ``consistent`` conventions side by side (docs/conventions.md).

Figures (PNG + PDF, data as CSV with units in the column names, all written atomically):

* ``conventions_spectrum``: anti-nu_e spectra today (attenuated DSNB, boosted, total) for
  lam = 1e-11, 1e-10, 1e-9 MeV^-3; left panel ``paper`` preset, right panel ``consistent``
  preset (transport equation, MSW normal ordering, relic_dof = 6).
* ``conventions_sk_window``: anti-nu_e flux above 17.3 MeV vs lam in both conventions for
  (T_nuebar, T_nux) = (7, 10) and (6, 7) MeV, with the SK-IV 90% C.L. limit.
* ``conventions_gM``: the (g, M) plane for scalar and vector mediators, m_nu = 0.05 eV.  The
  paper convention's SK-IV exclusion (lam above the crossing, mapped with Eq. II.5) is a straight
  line; in the consistent convention the SK-window flux only decreases with the coupling, so the
  plane shows where the anti-nu_e flux above 17.3 MeV is reduced to 90% and 50% of the
  no-interaction value, computed point by point with the full scalar / vector cross sections
  (light-mediator transport, :mod:`relicboost.physics.light_mediator`) below M = 0.1 MeV, where
  the heavy-mediator mapping fails (s = 2 m_nu E up to ~ (10 keV)^2 at E = 1 GeV), and mapped from
  lam above.  Light-mediator points use a coarser grid (40 points per decade, one redshift step
  per energy bin; SK-window flux within 0.5% of the default grid).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from relicboost import Model
from relicboost.inference.crossing import AT_START, lowest_crossing, sk_crossing_lam, sk_integrated_limit
from relicboost.io import atomic_savefig, atomic_write_csv
from relicboost.io.figure_labels import figure_label, label_figure
from relicboost.physics.detection import SK_THRESHOLD_MEV
from relicboost.physics.interactions import (
    coupling_from_lam,
    heavy_mediator_min_mass_MeV,
)

SPECTRUM_LAMS: tuple[float, ...] = (1e-11, 1e-10, 1e-9)
COLORS: dict[float, str] = {1e-11: "#b8860b", 1e-10: "#00897b", 1e-9: "#6a1b9a"}
TEMPERATURE_SETS: tuple[tuple[float, float], ...] = ((7.0, 10.0), (6.0, 7.0))
LAM_SCAN: np.ndarray = np.logspace(-13, -8, 41)
#: Axis ranges of the (g, M) panels: mediator mass in MeV, coupling g.
M_AXIS_MEV: tuple[float, float] = (1e-4, 1e2)
G_AXIS: tuple[float, float] = (1e-6, 1.0)
DEFICIT_LEVELS: tuple[float, ...] = (0.9, 0.5)
M_NU_EV: float = 0.05
#: Figure-label entries of a limit read off the published SK-IV flux limit.
SK_PUBLISHED_LABEL: dict = {"method": "published (crossing of the published SK-IV flux limit)",
                            "statistic": "the flux above 17.3 MeV reaching the published limit (no fit)", "cl": 0.90}


def _figure(ncols: int, width: float = 11.0, height: float = 4.2):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _save(fig, outdir: Path, stem: str) -> list[Path]:
    return [atomic_savefig(fig, outdir / f"{stem}.png"), atomic_savefig(fig, outdir / f"{stem}.pdf")]


def spectrum_figure(outdir: Path) -> list[Path]:
    """Boosted anti-nu_e spectra in both conventions (PNG, PDF, CSV)."""
    models = {"paper": Model(convention="paper"), "consistent": Model(convention="consistent")}
    fig, axes = _figure(2)
    cols = {}
    for ax, (name, m) in zip(axes, models.items()):
        e = m.energy
        cols["energy_MeV"] = e
        p0 = m.predict(0.0)
        ax.loglog(e, p0.flux("nuebar", "dsnb"), color="#e65100", lw=2, label="standard DSNB (lam = 0)")
        cols[f"{name}_lam0_dsnb_flux_cm-2_s-1_MeV-1"] = p0.flux("nuebar", "dsnb")
        for lam in SPECTRUM_LAMS:
            p = m.predict(lam)
            ax.loglog(e, p.flux("nuebar", "boosted"), color=COLORS[lam], ls="--", label=f"boosted, lam = {lam:.0e}")
            ax.loglog(e, p.flux("nuebar", "total"), color=COLORS[lam], label=f"total, lam = {lam:.0e}")
            for c in ("dsnb", "boosted", "total"):
                cols[f"{name}_lam{lam:.0e}_{c}_flux_cm-2_s-1_MeV-1"] = p.flux("nuebar", c)
        ax.set_xlim(0.1, 100)
        ax.set_ylim(1e-3, 1e3)
        ax.set_xlabel("anti-nu_e energy E [MeV]")
        ax.set_ylabel("flux [cm^-2 s^-1 MeV^-1]")
        ax.set_title(m.propagator.label, fontsize=8)
        ax.axvline(SK_THRESHOLD_MEV, color="0.5", lw=0.8, ls=":")
    axes[0].legend(fontsize=7)
    fig.suptitle("anti-nu_e flux today, lam = G_X^2 m_nu in MeV^-3, T = (6.6, 7, 10) MeV", fontsize=9)
    label_figure(fig, figure_label("paper and consistent (one panel each)", note="spectra, no limit"))
    header = ["anti-nu_e spectra today in the paper and consistent conventions (docs/conventions.md)",
              "paper: Model(convention='paper'); consistent: Model(convention='consistent'), defaults",
              "columns <convention>_lam<lam in MeV^-3>_<component>"]
    csv = atomic_write_csv(outdir / "conventions_spectrum.csv", pd.DataFrame(cols), header)
    return _save(fig, outdir, "conventions_spectrum") + [csv]


def _crossing(lams: np.ndarray, flux: np.ndarray, limit: float, falling: bool = False) -> float:
    """Lowest lam (MeV^-3) where the tabulated flux reaches ``limit`` (falls to it if ``falling``),
    read log-linearly between the scan points with the one crossing engine
    (:func:`relicboost.inference.crossing.lowest_crossing`); NaN if never, 0 if already at the first lam."""
    x = np.log10(lams)
    gap = (np.asarray(limit) - flux) if falling else (flux - limit)
    res = lowest_crossing(lambda v: float(np.interp(v, x, gap)), x, values=gap)
    if res.status == AT_START:
        return 0.0
    return float(10.0 ** res.x) if res.found else float("nan")


def sk_window_figure(outdir: Path) -> list[Path]:
    """SK-window anti-nu_e flux vs lam in both conventions (PNG, PDF, CSV)."""
    limit = sk_integrated_limit()
    fig, axes = _figure(2)
    rows = []
    for ax, conv in zip(axes, ("paper", "consistent")):
        m = Model(convention=conv)
        for (tb, tx), color in zip(TEMPERATURE_SETS, ("#2e7d32", "#4fc3f7")):
            tot, bst = [], []
            for lam in LAM_SCAN:
                p = m.predict(lam, T_nuebar=tb, T_nux=tx)
                tot.append(p.integrated_flux("nuebar", SK_THRESHOLD_MEV))
                bst.append(p.integrated_flux("nuebar", SK_THRESHOLD_MEV, component="boosted"))
            tot, bst = np.array(tot), np.array(bst)
            cross = _crossing(LAM_SCAN, tot, limit)
            lbl = f"T = {tb:g}/{tx:g} MeV" + (f", SK-IV crossing lam = {cross:.2g}" if cross > 0 else
                                               (", excluded at lam = 0" if cross == 0 else ", no crossing"))
            ax.loglog(LAM_SCAN, tot, color=color, label=lbl + " (total)")
            ax.loglog(LAM_SCAN, bst, color=color, ls="--", label="boosted")
            for lam, a, b in zip(LAM_SCAN, tot, bst):
                rows.append({"convention": conv, "T_nuebar_MeV": tb, "T_nux_MeV": tx, "lam_MeV-3": lam,
                             "total_flux_above_17.3MeV_cm-2_s-1": a, "boosted_flux_above_17.3MeV_cm-2_s-1": b})
        ax.axhspan(limit, 1e3, color="#7e57c2", alpha=0.25, label=f"SK-IV 90% C.L. ({limit:g} cm^-2 s^-1)")
        ax.set_ylim(1e-2, 20)
        ax.set_xlabel("lam = G_X^2 m_nu [MeV^-3]")
        ax.set_ylabel("anti-nu_e flux above 17.3 MeV [cm^-2 s^-1]")
        ax.set_title(m.propagator.label, fontsize=8)
        ax.legend(fontsize=7)
    label_figure(fig, figure_label("paper and consistent (one panel each)", **SK_PUBLISHED_LABEL))
    header = ["anti-nu_e flux above 17.3 MeV vs lam in the paper and consistent conventions",
              f"SK-IV 90% C.L. limit {limit:g} cm^-2 s^-1 (relicboost.data sk4_integrated_limit)"]
    csv = atomic_write_csv(outdir / "conventions_sk_window.csv", pd.DataFrame(rows), header)
    return _save(fig, outdir, "conventions_sk_window") + [csv]


def _paper_sk_crossing(T: tuple[float, float]) -> float:
    return sk_crossing_lam(Model(convention="paper"), lam_range=(1e-14, 1e-7), T_nuebar=T[0], T_nux=T[1])


def gm_plane_figure(outdir: Path, progress: bool = True) -> list[Path]:
    """(g, M) plane for scalar and vector mediators in both conventions (PNG, PDF, CSV).

    The light-mediator points are those of the consistent (g, M) scan written by the reproduce
    step before this one (``gm_consistent_{scalar,vector}.csv``, relicboost.results.fig_gm_consistent):
    one computation, two figures.
    """
    from relicboost.inference.gm_scan import read_table

    model = Model(convention="consistent", points_per_decade=40, substeps=1)
    temps = (model.defaults["T_nue"], model.defaults["T_nuebar"], model.defaults["T_nux"])

    def sk_window(pred) -> float:
        return pred.integrated_flux("nuebar", SK_THRESHOLD_MEV)

    ref = sk_window(model.predict(0.0))
    rows = []
    grids: dict[str, pd.DataFrame] = {}
    for med in ("scalar", "vector"):
        path = outdir / f"gm_consistent_{med}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run the '(g, M) consistent' reproduce step first")
        table = read_table(path)
        grids[med] = table.pivot(index="g", columns="M_MeV", values="sk_window_flux_ratio").sort_index()
        rows += [{"mediator": med, "M_MeV": r.M_MeV, "g": r.g, "computed": f"light-mediator transport ({path.name})",
                  "sk_window_flux_ratio": r.sk_window_flux_ratio} for r in table.itertuples()]
    # heavy-mediator mapping above M = 0.1 MeV: lam where the flux ratio reaches each level
    lams = LAM_SCAN
    heavy = np.array([sk_window(model.predict(lam)) / ref for lam in lams])
    lam_level = {lv: _crossing(lams, heavy, lv, falling=True) for lv in DEFICIT_LEVELS}
    M_heavy = np.geomspace(max(float(g.columns.max()) for g in grids.values()), M_AXIS_MEV[1], 20)
    lam_paper = _paper_sk_crossing(TEMPERATURE_SETS[0])

    fig, axes = _figure(2, width=11.5, height=4.8)
    styles = {0.9: ":", 0.5: "-"}
    for ax, med in zip(axes, ("scalar", "vector")):
        grid = grids[med]
        cs = ax.contour(grid.columns.to_numpy(float), grid.index.to_numpy(float), grid.to_numpy(float),
                        levels=sorted(DEFICIT_LEVELS),
                        colors=["#c62828", "#1565c0"], linestyles=["-", ":"])
        ax.clabel(cs, fmt={lv: f"{lv:g}" for lv in DEFICIT_LEVELS}, fontsize=7)
        for lv in DEFICIT_LEVELS:
            ax.loglog(M_heavy, coupling_from_lam(lam_level[lv], M_heavy, M_NU_EV, med), color="0.3", ls=styles[lv],
                      label=f"consistent, heavy mapping: flux ratio {lv:g} (lam = {lam_level[lv]:.2g})")
        M_all = np.geomspace(*M_AXIS_MEV, 50)
        ax.loglog(M_all, coupling_from_lam(lam_paper, M_all, M_NU_EV, med), color="#ef6c00", lw=2,
                  label=f"paper convention: SK-IV excludes above (lam = {lam_paper:.2g})")
        ax.axvspan(M_AXIS_MEV[0], heavy_mediator_min_mass_MeV(M_NU_EV, 100.0, 10.0), color="0.85", alpha=0.6,
                   label="heavy-mediator mapping invalid (M^2 < 10 x 2 m_nu 100 MeV)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*M_AXIS_MEV)
        ax.set_ylim(*G_AXIS)
        ax.set_xlabel(f"{med} mediator mass M [MeV]")
        ax.set_ylabel("coupling g")
        ax.set_title(f"{med}: anti-nu_e flux above 17.3 MeV / no-interaction value\n"
                     f"{model.propagator.label}; m_nu = {M_NU_EV} eV", fontsize=7)
        ax.legend(fontsize=6, loc="lower right")
    label_figure(fig, figure_label("consistent (contours, heavy mapping) and paper (orange SK-IV line)",
                                   **SK_PUBLISHED_LABEL))
    for lv, lam in lam_level.items():
        rows.append({"mediator": "both", "M_MeV": float("nan"), "g": float("nan"),
                     "computed": f"heavy mapping: lam_MeV-3 = {lam:.4g} for ratio {lv:g}", "sk_window_flux_ratio": lv})
    rows.append({"mediator": "both", "M_MeV": float("nan"), "g": float("nan"),
                 "computed": f"paper convention SK-IV crossing lam_MeV-3 = {lam_paper:.4g} (T = 7/10 MeV)",
                 "sk_window_flux_ratio": float("nan")})
    header = ["(g, M) plane, consistent convention: anti-nu_e flux above 17.3 MeV divided by its lam = 0 value",
              (f"m_nu = {M_NU_EV} eV; T = {temps} MeV; light-mediator points computed with the full tree-level "
              "cross sections (relicboost.physics.light_mediator, normalise='paper')")]
    csv = atomic_write_csv(outdir / "conventions_gM.csv", pd.DataFrame(rows), header)
    return _save(fig, outdir, "conventions_gM") + [csv]


def make_convention_figs(outdir: Path, progress: bool = True) -> list[Path]:
    """Write every conventions figure and table into ``outdir``; returns the files written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    return spectrum_figure(outdir) + sk_window_figure(outdir) + gm_plane_figure(outdir, progress=progress)
