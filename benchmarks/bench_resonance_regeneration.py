"""Regenerated flux just below an opaque narrow resonance: transport against a semi-analytic estimate.

Diagnoses the grid error of the single-mass light-mediator transport at a point whose resonance today,
E_res = M^2/(2 m_nu), lies inside the SK window (issue 11, bench point 1 of ``bench_mediator.py``).  With
relics at rest every neutrino that redshifts through E_res is absorbed (optical depth ~1e6); the products of
the s-channel are born at z E_res (z the energy fraction, density p(z): 3 z^2 + 3 (1 - z)^2 for the vector,
2 for the scalars, both outgoing neutrinos) and only move down, so, ignoring everything else,

    f_R(eps) = int_eps^E_res d eps_c  Delta(eps_c) p(eps / eps_c) / eps_c,    Delta = free - unscattered,

with Delta taken from a fine grid (all species).  What this ignores: the Lorentzian tail of the resonance,
of width c = tau_res gamma / pi in ln E (~1e-3 here), re-absorbs products born just below E_res; the
fraction lost at distance delta = ln(E_res / eps) is about (c / delta) (ln(delta / c) + 1) (printed).  The
table gives the transport's boosted flux (all species) relative to f_R at several delta, per grid.
Run: ``python benchmarks/bench_resonance_regeneration.py [g M model]`` (default 1e-4 1.5e-3 vector).
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy.integrate import quad
from scipy.interpolate import CubicSpline

GRIDS = ((40, 1), (40, 3), (80, 1), (80, 3), (200, 1), (200, 3))
DELTAS = np.array([1.5, 1.0, 0.6, 0.3, 0.1, 0.05, 0.02])
M_NU_EV = 0.05


def main() -> None:
    from relicboost import Model

    g, M, name = (float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]) if len(sys.argv) == 4 else (1e-4, 1.5e-3, "vector")
    e_res = M**2 / (2 * M_NU_EV * 1e-6)
    p_both = (lambda z: 3 * z**2 + 3 * (1 - z) ** 2) if name == "vector" else (lambda z: 2.0 + 0 * z)
    warnings.simplefilter("ignore")
    fine = Model(convention="consistent", energy_min=1.0, points_per_decade=200, substeps=3)
    pred = fine.predict_mediator(g, M, model=name, kernels="tabulated")
    e = pred.energy
    delta = fine.predict(0.0).flux("all", "dsnb") - pred.flux("all", "dsnb")
    below = e < e_res
    spline = CubicSpline(np.log(e[below]), np.log(np.maximum(delta[below], 1e-300)))
    above = (e > e_res) & (e < e_res * 1.02)
    # tail width from the notch of the unscattered flux just above E_res: survival = exp(-c / delta)
    ratio = pred.flux("all", "dsnb")[above] / fine.predict(0.0).flux("all", "dsnb")[above]
    c = float(np.median(-np.log(ratio) * np.log(e[above] / e_res)))
    probe = e_res * np.exp(-DELTAS)

    def regenerated(x: float) -> float:
        return quad(lambda ec: np.exp(spline(np.log(ec))) * p_both(x / ec) / ec, x, e_res * (1 - 1e-12), limit=200)[0]

    ref = np.array([regenerated(x) for x in probe])
    print(f"g = {g:g}, M = {M * 1e3:g} keV, {name}; E_res = {e_res:.2f} MeV; tail width c = {c:.3g} (ln E)")
    print(f"{'grid':>10s} " + " ".join(f"{'d=' + format(d, 'g'):>8s}" for d in DELTAS))
    print(f"{'tail est.':>10s} " + " ".join(f"{-(c / d) * (np.log(d / c) + 1):+8.3f}" for d in DELTAS))
    for ppd, sub in GRIDS:
        p = Model(convention="consistent", energy_min=1.0, points_per_decade=ppd, substeps=sub).predict_mediator(
            g, M, model=name, kernels="tabulated")
        lo = p.energy < e_res
        b = np.interp(np.log(probe), np.log(p.energy[lo]), p.flux("all", "boosted")[lo])
        print(f"{f'{ppd}/dec x{sub}':>10s} " + " ".join(f"{v:+8.3f}" for v in b / ref - 1), flush=True)
    print("entries: boosted (all species) / f_R - 1; 'tail est.': the expected deficit from the tail alone")


if __name__ == "__main__":
    main()
