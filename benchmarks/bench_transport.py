"""Benchmark: transport solution of the ``consistent`` convention (issue 6).

Prints, for a new lam (heavy mediator, sigma = lam E):

* ``Model(convention="consistent").predict(lam)`` wall time, mean over 11 lam from 1e-13 to 1e-8 with
  the adaptive redshift substeps (target <= 50 ms), and the bare solver;
* the same solve one ``flat_step`` at a time (the per-step O(n_E) scheme the blocked solver
  vectorises) and with the slow, obviously correct dense path (generic step operators, a full
  triangular solve per step), each with the largest relative difference of the anti-nu_e total flux;
* the cost of one light-mediator (g, M) point (full scalar / vector cross sections), on the
  default grid and on the scan grid used by relicboost.results.conventions_figs, and the
  SK-window flux difference between the two grids.

Run: ``python benchmarks/bench_transport.py``
"""
from __future__ import annotations

import os
import time

import numpy as np

from relicboost import Model
from relicboost.physics.detection import integrated_flux
from relicboost.physics.light_mediator import light_mediator_fluxes
from relicboost.physics.transport import heavy_channel_steps

TEMPS = (6.6, 7.0, 10.0)
TARGET_MS = 50.0


def _time(fn, repeat: int) -> float:
    fn()  # warm caches (sources per temperature are cached by the Model)
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def main() -> None:
    m = Model(convention="consistent")
    sol = m._transport
    lams = np.logspace(-13, -8, 11)
    rows = []
    t_pred = np.mean([_time(lambda lam=lam: m.predict(lam), 3) for lam in lams])
    t_fast = np.mean([_time(lambda lam=lam: sol.species_fluxes(lam, TEMPS), 3) for lam in lams])
    Q3 = sol.sources(TEMPS)
    worst = {"stepwise": 0.0, "dense": 0.0}
    t_ref: dict[str, list[float]] = {"stepwise": [], "dense": []}
    for lam in lams[::3]:
        _, tot_fast = sol.species_fluxes(lam, TEMPS)
        for name, solve in (("stepwise", lambda lam=lam: sol.transport.solve_heavy_stepwise(Q3, lam)),
                            ("dense", lambda lam=lam: sol.transport.solve(Q3, heavy_channel_steps(sol.tgrid, lam)))):
            t0 = time.perf_counter()
            raw = solve()
            t_ref[name].append(time.perf_counter() - t0)
            _, tot_slow = sol.transport.species(raw)
            sel = tot_slow[1] > 1e-12 * tot_slow[1].max()
            worst[name] = max(worst[name], float(np.max(np.abs(tot_fast[1][sel] / tot_slow[1][sel] - 1))))
    n_e, n_u = sol.tgrid.energy.size, sol.tgrid.u.size
    verdict = "met" if 1e3 * t_pred <= TARGET_MS else "MISSED"
    rows.append(("Model.predict(new lam), consistent, heavy", f"{1e3 * t_pred:8.2f} ms",
                 f"target <= {TARGET_MS:g} ms: {verdict} (mean over lam = 1e-13..1e-8, adaptive substeps)"))
    rows.append(("  bare transport solve, substeps x 1 (blocked O(n_E) steps)", f"{1e3 * t_fast:8.2f} ms",
                 f"grid {n_e} energies x {n_u} redshifts"))
    rows.append(("  reference: one flat_step at a time", f"{1e3 * np.mean(t_ref['stepwise']):8.2f} ms",
                 f"max |fast/ref - 1| = {worst['stepwise']:.1e}"))
    rows.append(("  slow reference (dense triangular solves)", f"{1e3 * np.mean(t_ref['dense']):8.2f} ms",
                 f"max |fast/slow - 1| = {worst['dense']:.1e}"))

    e = m.energy
    scan = Model(convention="consistent", points_per_decade=40, substeps=1)._transport
    for med in ("scalar", "vector"):
        for M in (1e-3, 1e-2):
            g = 3e-4 if M == 1e-3 else 3e-3
            t0 = time.perf_counter()
            _, tot = light_mediator_fluxes(sol, g, M, med, TEMPS)
            t_def = time.perf_counter() - t0
            t0 = time.perf_counter()
            _, tot_s = light_mediator_fluxes(scan, g, M, med, TEMPS)
            t_scan = time.perf_counter() - t0
            f_def = integrated_flux(e, tot[1], 17.3)
            f_scan = integrated_flux(scan.tgrid.energy, tot_s[1], 17.3)
            rows.append((f"light {med}, M = {M * 1e3:g} keV, g = {g:g}: default grid", f"{t_def:8.2f} s",
                         f"scan grid {t_scan:.2f} s; SK-window flux diff {f_scan / f_def - 1:+.1e}"))
    w = max(len(r[0]) for r in rows)
    print(f"{'case':<{w}}  {'time':>11}  notes")
    for a, b, c in rows:
        print(f"{a:<{w}}  {b:>11}  {c}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
