"""Paper Fig. 6: total neutrino flux times energy versus momentum.

Das, Perez-Gonzalez, Sen 2022 (arXiv:2204.11885), Fig. 6.  Drawn here: the boosted
CvB for G_X^2 m_nu = 1e-9 ... 1e-12 MeV^-3 (paper preset, the flux counted in CEvNS:
three flavour channels, :func:`relicboost.physics.cevns.cevns_flux`), the standard
CvB (thermal relic Fermi-Dirac spectrum, T = 1.95 K, six species of equal mass
``m_nu_eV``), the solar neutrinos of the B16-GS98 standard solar model (continuous:
8B + hep, pp, CNO = 13N + 15O + 17F; lines: pep, the two 7Be lines), and low-energy
atmospheric neutrinos (FLUKA, full table to 905 MeV), see
:mod:`relicboost.physics.backgrounds`.  The quantity plotted is E dPhi/dE in
cm^-2 s^-1 against the momentum p in MeV; for the relic neutrinos dPhi/dE = c dn/dp.
Solar lines are drawn as vertical segments whose height is the line flux Phi in
cm^-2 s^-1 (the same unit as E dPhi/dE; the usual convention for lines).

Missing compared with the paper's Fig. 6, and said so on the figure: the relic
antineutrinos from BBN (neutron and tritium decays, Ivanchik & Yurchenko 2018,
arXiv:1809.03349; orange dashed and dot-dashed in the paper).  Their spectra are
published only as figure curves, no table or fit we could cite was found, so they are
not drawn rather than digitised.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.special import expit

from relicboost import Model, cevns
from relicboost.data import register_reference
from relicboost.io import atomic_savefig, atomic_write_csv
from relicboost.io.figure_labels import figure_label, label_figure
from relicboost.physics import backgrounds
from relicboost.physics.relic import T_CNB_K
from relicboost.physics.units import C_CM_S, EV_MEV, HBARC_MEV_CM, kelvin_to_mev
from relicboost.results.fig1 import PAPER_COLOURS

LAMS = (1e-9, 1e-10, 1e-11, 1e-12)
#: Curves of the paper's Fig. 6 that are not drawn, with the reason (printed on the figure).
NOT_SHOWN = ("BBN relic antineutrinos (n and 3H decays; Ivanchik & Yurchenko 2018): "
             "published only as a figure, no citable table")
#: Solar continuum curves: (curve name, background name, line style).
SOLAR_CONTINUA = (("solar 8B+hep", "solar", "--"), ("solar pp", "solar-pp", "-."),
                  ("solar CNO (13N+15O+17F)", "solar-CNO", ":"))


def relic_flux_times_energy(p_MeV: np.ndarray, m_nu_eV: float = 0.05, n_species: int = 6,
                            T_K: float = T_CNB_K) -> np.ndarray:
    """Standard CvB: E dPhi/dE in cm^-2 s^-1 at momenta ``p_MeV`` (MeV).

    dn/dp = n_species p^2 / (2 pi^2 (exp(p/T) + 1)) (one helicity state per species), and
    dPhi/dE = v c dn/dp dp/dE = c dn/dp, so E dPhi/dE = c E dn/dp with E = sqrt(p^2 + m^2).
    """
    if not (np.isfinite(m_nu_eV) and m_nu_eV >= 0):
        raise ValueError(f"m_nu_eV must be >= 0, got {m_nu_eV!r}")
    t = float(kelvin_to_mev(T_K))
    p = np.asarray(p_MeV, dtype=float)
    dndp = n_species * p * p / (2 * np.pi**2) * expit(-p / t) / HBARC_MEV_CM**3
    energy = np.sqrt(p * p + (m_nu_eV * EV_MEV) ** 2)
    return C_CM_S * energy * dndp


def make_fig6(outdir: Path, model: Model | None = None, m_nu_eV: float = 0.05) -> list[Path]:
    """Draw Fig. 6 and write fig6.png, fig6.pdf and fig6.csv (long format) into ``outdir``.

    Parameters
    ----------
    outdir : Path
        Output directory (created if needed); files are written atomically.
    model : Model, optional
        Default ``Model(convention="paper")``.
    m_nu_eV : float
        Relic neutrino mass for the standard CvB curve, eV (default 0.05).

    Returns
    -------
    list of Path
        The PNG, PDF and CSV files.  CSV columns: ``curve``, ``momentum_MeV``,
        ``E_dPhi_dE_cm-2_s-1``.
    """
    outdir = Path(outdir)
    model = model or Model(convention="paper")
    rows = []
    for lam in LAMS:
        p = model.predict(lam=lam)
        rows.append((f"boosted CvB lam={lam:.0e} MeV^-3", p.energy, p.energy * cevns.cevns_flux(p, "boosted"),
                     {"color": PAPER_COLOURS[lam],
                          "label": rf"boosted C$\nu$B, $10^{{{round(np.log10(lam))}}}$ MeV$^{{-3}}$"}))
    p_rel = np.geomspace(1e-11, 1e-7, 300)
    rows.append((f"standard CvB m_nu={m_nu_eV:g} eV", p_rel, relic_flux_times_energy(p_rel, m_nu_eV),
                 {"color": PAPER_COLOURS[1e-12], "ls": "--", "label": rf"standard C$\nu$B ($m_\nu$={m_nu_eV:g} eV)"}))
    for curve, bg_name, ls in SOLAR_CONTINUA:
        e_s, f_s = cevns.background_flux(bg_name)
        rows.append((curve, e_s, e_s * f_s, {"color": "tab:blue", "ls": ls, "label": f"{curve} (B16-GS98)"}))
    e_a, f_a = cevns.background_flux("atmospheric", atm_emax_MeV=None)
    rows.append(("atmospheric FLUKA", e_a, e_a * f_a, {"color": "tab:red", "ls": "--", "label": "atmospheric (FLUKA)"}))

    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    frames = []
    for name, x, y, style in rows:
        keep = y > 0
        ax.loglog(x[keep], y[keep], **style)
        frames.append(pd.DataFrame({"curve": name, "momentum_MeV": x[keep], "E_dPhi_dE_cm-2_s-1": y[keep]}))
    ymin = 1e-6
    for i, (name, energy, flux) in enumerate(backgrounds.solar_lines()):
        ax.vlines(energy, ymin, flux, color="tab:blue", lw=1.5,
                  label="solar lines (pep, 7Be): height = line flux" if i == 0 else None)
        frames.append(pd.DataFrame({"curve": f"solar line {name} (line flux, cm^-2 s^-1)",
                                    "momentum_MeV": [energy], "E_dPhi_dE_cm-2_s-1": [flux]}))
    register_reference("Vinyoles2017B16")
    ax.set_xlabel(r"$p_\nu$ [MeV]")
    ax.set_ylabel(r"$E\,d\Phi/dE$ [cm$^{-2}$ s$^{-1}$]; lines: $\Phi$ [cm$^{-2}$ s$^{-1}$]")
    ax.set_ylim(ymin, 1e16)
    ax.set_title("Fig. 6 -- not shown: " + NOT_SHOWN.replace(": ", ":\n", 1), fontsize=7)
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(0.22, 0.45))
    label_figure(fig, figure_label(model.convention, note="fluxes, no limit"))
    files = [atomic_savefig(fig, outdir / f"fig6{s}") for s in (".png", ".pdf")]
    files.append(atomic_write_csv(outdir / "fig6.csv", pd.concat(frames, ignore_index=True), [
        "Das, Perez-Gonzalez, Sen 2022 Fig. 6 reproduction (relicboost): E dPhi/dE vs momentum",
        f"boosted: paper preset, 3 flavour channels; standard CvB: T = {T_CNB_K} K, 6 species, m_nu = {m_nu_eV:g} eV",
        "solar: B16-GS98 (Vinyoles et al. 2017); solar lines: value = line flux in cm^-2 s^-1 at the line energy",
        "not shown: " + NOT_SHOWN]))
    return files
