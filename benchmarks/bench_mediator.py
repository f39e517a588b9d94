"""Benchmark: one light-mediator (g, M) point in the ``consistent`` convention (issue 11 item 6).

For six new (g, M) points (resonance inside, near or below the SK window) prints, per point and per code
version, the time (fastest of ``--repeats`` calls) and the error of the SK-window nu-bar_e flux (> 17.3 MeV) and
of the CEvNS counts on natural lead (> 1 keV) against a CONVERGED reference: the same transport on 200 points
per decade with 3 redshift substeps per bin (E >= 1 MeV; the CEvNS range starts near 10 MeV and products only
move down in energy, so the floor does not change either observable).  Its own convergence is printed: the
difference from 100 points per decade with 6 substeps.  Versions, each on the fast grid (40/dec, 1 substep,
E >= 1 MeV) and the default grid (50/dec, 3 substeps, E >= 10 keV), ``kernels="tabulated"``:

* ``abc5904`` - main before the speed work (loaded from git into a temporary module);
* ``2f30553`` - before the in-step resonance profile (step-averaged resonant loss for the sources);
* ``now``.

``--placement-sweep`` (alone): errors of the fast grid when the grid is shifted so that E_res sits at eight
placements over one node spacing (issue 11 item 6, point 1).  ``--three-masses`` adds the three-mass path
(``relic_masses="normal"``) against its default grid, as before.
BLAS runs single-threaded (``--blas-threads``, set before numpy is imported).  Target (issue 11): <= 20 ms
per point within 1% of the converged result.  Run: ``python benchmarks/bench_mediator.py [--quick]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from git_reference import load_at, sibling

VERSIONS = {"abc5904": "abc5904cdaafc0b6e528252e69156b2958a69749",   # main before the speed work (issue 11)
            "2f30553": "2f305539ea8f72df16764f4449be12104e59b5a8"}   # before the in-step resonance profile
POINTS = ((1e-4, 1.5e-3, "vector"), (3e-4, 1.0e-3, "complex-scalar"), (1e-4, 3e-3, "vector"),
          (2e-4, 2.2e-3, "complex-scalar"), (5e-5, 0.8e-3, "vector"), (1e-3, 1e-2, "real-scalar"))
FAST: dict[str, Any] = {"points_per_decade": 40, "substeps": 1, "energy_min": 1.0}
GRIDS: dict[str, dict[str, Any]] = {"fast (40/dec, substeps 1, E >= 1 MeV)": FAST,
         "default (50/dec, substeps 3, E >= 10 keV)": {}}
REFERENCE: dict[str, Any] = {"points_per_decade": 200, "substeps": 3, "energy_min": 1.0}
CONVERGENCE: dict[str, Any] = {"points_per_decade": 100, "substeps": 6, "energy_min": 1.0}
TARGET_MS, TARGET_ERR = 20.0, 0.01
SPECIES = ("nue", "nuebar", "nux")


def _version(commit: str):
    """(single-mass solve with today's signature, three-mass fluxes) of ``commit``."""
    load_at(commit, "transport_kernels")
    fk = load_at(commit, "fast_kernels", sibling(commit, "transport_kernels"))
    mt = load_at(commit, "mass_transport", sibling(commit, "transport_kernels", "fast_kernels"))

    def solve(solver, g, M_MeV, model, temps, m_nu_eV=0.05, *_):
        if hasattr(fk, "fast_light_mediator_solve"):
            return fk.fast_light_mediator_solve(solver, g, M_MeV, model, temps, m_nu_eV)
        steps = fk.fast_light_channel_steps(solver.tgrid, g, M_MeV, model, m_nu_eV)
        return solver.transport.solve_conservative(solver.sources(temps), steps)

    return solve, mt.mass_channel_fluxes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fast grid only, reference 100/dec x 6 substeps, no "
                                                         "convergence check")
    ap.add_argument("--three-masses", action="store_true", help="also the three-mass path (vs its default grid)")
    ap.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of this process (default 1)")
    ap.add_argument("--repeats", type=int, default=3, help="calls per point, the fastest is kept (default 3)")
    ap.add_argument("--placement-sweep", action="store_true",
                    help="only the E_res placement sweep of the points with E_res in the SK window")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.blas_threads)
    import numpy as np

    from relicboost import Model
    from relicboost.physics.cevns import counts
    from relicboost.physics.light_mediator import fast_kernels, mass_transport

    if args.placement_sweep:
        _placement_sweep()
        return

    def run(model, g, M, name, kw, repeats=1, edge=True):
        dt = np.inf  # fastest of ``repeats`` identical calls (nothing is cached per point): less sensitive to load
        for _ in range(repeats):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = model.predict_mediator(g, M, model=name, **kw)
            dt = min(dt, time.perf_counter() - t0)
        if not edge:  # an older version: its fluxes integrated by the node rules it had (no resonance edge)
            pred = dataclasses.replace(pred, resonance_edge=None)
        return dt, pred.integrated_flux("nuebar", 17.3), float(counts(pred, "total", 1.0))

    now = (fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes)
    impls = {label: _version(commit) for label, commit in VERSIONS.items()} | {"now": now}
    grids = {k: v for k, v in GRIDS.items() if v is FAST} if args.quick else GRIDS
    tab = {"kernels": "tabulated"}
    t0 = time.perf_counter()
    ref_kw = CONVERGENCE if args.quick else REFERENCE
    ref_model = Model(convention="consistent", **ref_kw)
    ref = {p: np.array(run(ref_model, *p, tab)[1:]) for p in POINTS}
    print(f"converged reference: {ref_kw} ({time.perf_counter() - t0:.0f} s)", flush=True)
    if not args.quick:
        conv_model = Model(convention="consistent", **CONVERGENCE)
        conv = {p: np.array(run(conv_model, *p, tab)[1:]) for p in POINTS}
        print(f"its convergence, {CONVERGENCE} minus reference, relative:")
        for p in POINTS:
            d = conv[p] / ref[p] - 1
            print(f"  g={p[0]:.0e} M={p[1] * 1e3:.1f} keV {p[2]:15s} SK {d[0]:+.2%}  CEvNS {d[1]:+.2%}")
    rows, per_point = [], {}
    for label, kw in grids.items():
        model = Model(convention="consistent", **kw)
        for version, impl in impls.items():
            fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes = impl
            try:
                for name in ("vector", "complex-scalar", "real-scalar"):  # tables of this grid (not a new point)
                    run(model, 1.1e-4, 1.4e-3, name, tab)
                res = [run(model, *p, tab, repeats=args.repeats, edge=version == "now") for p in POINTS]
            finally:
                fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes = now
            err = np.array([np.array(r[1:]) / ref[p] - 1 for r, p in zip(res, POINTS)])
            per_point[(version, label)] = [(1e3 * r[0], *e) for r, e in zip(res, err)]
            rows.append((version, label, 1e3 * float(np.median([r[0] for r in res])), *np.abs(err).max(axis=0)))
            print(f"  done: {version}, {label}", file=sys.stderr, flush=True)
    print(f"\n{len(POINTS)} new (g, M) points; time: fastest of {args.repeats} calls; BLAS threads: {args.blas_threads}; "
          f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(f"{'point':38s} " + " ".join(f"{v + ' ms':>12s} {'SK err':>8s} {'CEvNS err':>9s}" for v in impls))
    fast_label = next(iter(grids))
    for i, p in enumerate(POINTS):
        cells = " ".join(f"{per_point[(v, fast_label)][i][0]:12.1f} {per_point[(v, fast_label)][i][1]:+8.2%} "
                         f"{per_point[(v, fast_label)][i][2]:+9.2%}" for v in impls)
        print(f"g={p[0]:.0e} M={p[1] * 1e3:4.1f} keV {p[2]:15s} (fast) {cells}")
    base = {label: ms for version, label, ms, *_ in rows if version == "abc5904"}
    print(f"\n{'version':10s} {'grid':42s} {'ms/point':>9s} {'speed-up':>9s} {'max SK err':>10s} {'max CEvNS err':>13s}")
    for version, label, ms, e_sk, e_ce in rows:
        print(f"{version:10s} {label:42s} {ms:9.1f} {base[label] / ms:9.2f} {e_sk:10.2%} {e_ce:13.2%}")
    print(f"target: <= {TARGET_MS:.0f} ms per point within {TARGET_ERR:.0%} of the converged reference; speed-up: "
          "against abc5904 on the same grid; errors: max over the points")
    if args.three_masses:
        _three_masses(args, run, impls, now)


def _three_masses(args, run, impls, now) -> None:
    """Three-mass path (NO, m0 = 0.01 eV) on the fast grid against its default grid."""
    import numpy as np

    from relicboost import Model
    from relicboost.physics.light_mediator import fast_kernels, mass_transport

    three = {"relic_masses": "normal", "lightest_mass_eV": 0.01}
    ref_model = Model(convention="consistent", flavour="normal")
    ref = {p: np.array(run(ref_model, *p, three)[1:]) for p in POINTS}
    model = Model(convention="consistent", flavour="normal", **FAST)
    print("\nthree masses (NO, m0 = 0.01 eV), fast grid, errors against the default grid of the same path")
    for version, impl in impls.items():
        fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes = impl
        try:
            run(model, 1.1e-4, 1.4e-3, "vector", three)
            res = [run(model, *p, three, repeats=args.repeats) for p in POINTS]
        finally:
            fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes = now
        err = np.abs([np.array(r[1:]) / ref[p] - 1 for r, p in zip(res, POINTS)]).max(axis=0)
        print(f"{version:10s} {1e3 * float(np.median([r[0] for r in res])):9.1f} ms  max SK err {err[0]:.2%}  "
              f"max CEvNS err {err[1]:.2%}")


def _shifted_prediction(model, energy, g: float, M_MeV: float, name: str):
    """Prediction of the fast path (tabulated kernels) on the log grid ``energy`` (same spacing as ``model``'s)."""
    from relicboost.physics.light_mediator import light_mediator_fluxes
    from relicboost.physics.light_mediator.models import ParticleModel
    from relicboost.physics.light_mediator.resonant_steps import resonance_edge
    from relicboost.physics.transport import consistent_solver
    from relicboost.prediction import Prediction

    prop, o = model.propagator, model.propagator.options
    opts = {"relic_dof": o.relic_dof, "flavour": o.flavour, "theta12": o.theta12, "theta13": o.theta13,
            "substeps": o.substeps}
    solver = consistent_solver(energy, prop.grid.cosmology, prop.grid.sfr, opts, prop.grid.spec.z_max)
    pm, par = ParticleModel(name), dict(model.defaults)
    dsnb, total = light_mediator_fluxes(solver, g, M_MeV, pm.mediator, tuple(par[f"T_{s}"] for s in SPECIES), 0.05,
                                        "paper", pm, "tabulated")
    edge = resonance_edge(solver.tgrid, g, M_MeV, pm, 0.05)
    return Prediction(energy=energy, dsnb=dict(zip(SPECIES, dsnb)), boosted=dict(zip(SPECIES, total - dsnb)),
                      params=par, convention="consistent", options=dict(model.options),
                      boosted_channels=prop.cevns_boosted_channels, resonance_edge=edge)


def _trapezoid_sk(energy, flux, emin: float = 17.3) -> float:
    """SK-window flux (> emin MeV) of nodes (MeV, cm^-2 s^-1 MeV^-1) by the trapezoid rule in ln E."""
    import numpy as np

    x, y = np.log(energy), flux * energy
    k = int(np.searchsorted(x, np.log(emin)))
    y_min = np.interp(np.log(emin), x[k - 1:k + 1], y[k - 1:k + 1])
    return float(np.trapezoid(np.concatenate([[y_min], y[k:]]), np.concatenate([[np.log(emin)], x[k:]])))


def _sampled_each_side(energy_fine, flux_fine, energy, edge: float):
    """Fine-grid flux at ``energy``, interpolated (linearly in ln E, extrapolated at the ends) from the fine nodes on
    the same side of ``edge`` only: exact node values for a coarse grid with a jump at ``edge``."""
    import numpy as np

    out = np.empty_like(energy)
    for side, fine in ((energy < edge, energy_fine < edge), (energy >= edge, energy_fine >= edge)):
        xs, ys, xe = np.log(energy_fine[fine]), flux_fine[fine], np.log(energy[side])
        slope_lo, slope_hi = (ys[1] - ys[0]) / (xs[1] - xs[0]), (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        out[side] = np.where(xe < xs[0], ys[0] + (xe - xs[0]) * slope_lo,
                             np.where(xe > xs[-1], ys[-1] + (xe - xs[-1]) * slope_hi, np.interp(xe, xs, ys)))
    return out


def _placement_sweep(n_placements: int = 8) -> None:
    """Errors of the fast grid (40/dec, 1 substep) for E_res = M^2/(2 m_nu) at n_placements fractions f of one node
    spacing above a node (the grid shifted in ln E), for both parities of the Simpson pairs of
    ``integrated_flux`` (grid start shifted by one node); "trapz": the same nodes integrated by the trapezoid rule;
    "exact nodes": the reference flux sampled at the shifted nodes (each side of E_res apart), i.e. the error of
    the quadrature alone.  Reference: 100/dec x 6 substeps (the --quick reference)."""
    import numpy as np

    from relicboost import Model
    from relicboost.physics.cevns import counts
    from relicboost.physics.detection import integrated_flux

    model = Model(convention="consistent", **FAST)
    ref_model = Model(convention="consistent", **CONVERGENCE)
    e0 = model.grid.energy
    h, n = float(np.log(e0[1] / e0[0])), e0.size
    print(f"E_res placement sweep, fast grid; reference {CONVERGENCE}; errors in %")
    for g, M, name in POINTS:
        e_res = M**2 / (2 * 0.05e-6)
        if not 17.3 < e_res < 200.0:
            continue
        pr = ref_model.predict_mediator(g, M, model=name, kernels="tabulated")
        ref_sk, ref_ce = pr.integrated_flux("nuebar", 17.3), float(counts(pr, "total", 1.0))
        print(f"g={g:.0e} M={M * 1e3:.1f} keV {name} (E_res = {e_res:.1f} MeV)\n"
              f"{'f':>6s} {'SK simpson (par 0 / 1)':>24s} {'SK trapz':>9s} {'CEvNS':>7s}   exact nodes: "
              f"{'SK simpson (par 0 / 1)':>24s} {'SK trapz':>9s}")
        for f in np.arange(n_placements) / n_placements:
            cells = []
            for parity in (0, 1):
                lo = np.log(e_res) - (np.floor(np.log(e_res / e0[0]) / h) + f + 1 + parity) * h
                energy = np.exp(lo + h * np.arange(n + 1 + parity))
                pred = _shifted_prediction(model, energy, g, M, name)
                exact = _sampled_each_side(pr.energy, pr.flux("nuebar", "total"), energy, e_res)
                cells.append(np.array([pred.integrated_flux("nuebar", 17.3) / ref_sk,
                                       _trapezoid_sk(energy, pred.flux("nuebar", "total")) / ref_sk,
                                       float(counts(pred, "total", 1.0)) / ref_ce, integrated_flux(energy, exact, 17.3)
                                       / ref_sk, _trapezoid_sk(energy, exact) / ref_sk]) * 100 - 100)
            print(f"{f:6.3f} {cells[0][0]:+11.2f} / {cells[1][0]:+7.2f}% {cells[0][1]:+8.2f}% {cells[0][2]:+6.2f}%"
                  f"{'':16s}{cells[0][3]:+11.2f} / {cells[1][3]:+7.2f}% {cells[0][4]:+8.2f}%", flush=True)


if __name__ == "__main__":
    main()
