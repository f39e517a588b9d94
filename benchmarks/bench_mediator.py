"""Benchmark: one light-mediator (g, M) point in the ``consistent`` convention (issue 11 item 6).

For new (g, M) points (resonance inside, near or below the SK window) prints, per path and grid: the time
per point (median over points of the fastest of ``--repeats`` calls), the largest error of the SK-window
nu-bar_e flux (> 17.3 MeV) and of the CEvNS counts on natural lead (> 1 keV) against the accurate default
grid (50 points per decade, 3 redshift substeps), and the speed-up against today's code measured in the
same run:

* ``predict_mediator(..., kernels="tabulated")`` (:mod:`relicboost.physics.light_mediator.fast_kernels`);
* the three-mass path (``relic_masses="normal"``, :mod:`relicboost.physics.light_mediator.mass_transport`);

each as "today" (the code of commit ``REFERENCE_COMMIT``, loaded from git into temporary modules) and "now".

The reference is the tabulated path on the default grid (it agrees with ``kernels="direct"`` to ~1e-5,
tests/validation/test_resonant_transport.py).  BLAS runs single-threaded (``--blas-threads``, set for this
process before numpy is imported): for these small matrices extra BLAS threads only compete on a shared
machine (we measured 3-6x slower points with the default threading under load).

Target (issue 11): <= 20 ms per point within 1% of the default grid.  Run:
``python benchmarks/bench_mediator.py [--quick] [--blas-threads N]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REFERENCE_COMMIT = "abc5904cdaafc0b6e528252e69156b2958a69749"  # main before the speed work (issue 11)
POINTS = ((1e-4, 1.5e-3, "vector"), (3e-4, 1.0e-3, "complex-scalar"), (1e-4, 3e-3, "vector"),
          (2e-4, 2.2e-3, "complex-scalar"), (5e-5, 0.8e-3, "vector"), (1e-3, 1e-2, "real-scalar"))
GRIDS = {"scan (40/dec, substeps 1)": {"points_per_decade": 40, "substeps": 1},
         "E >= 1 MeV (40/dec, substeps 1)": {"points_per_decade": 40, "substeps": 1, "energy_min": 1.0},
         "E >= 1 MeV (40/dec, substeps 2)": {"points_per_decade": 40, "substeps": 2, "energy_min": 1.0}}
TARGET_MS = 20.0


def _load_today(module: str, replace: tuple[str, str] | None = None):
    """``relicboost.physics.light_mediator.<module>`` at REFERENCE_COMMIT as ``_today_<module>``."""
    root = Path(__file__).resolve().parents[1]
    src = subprocess.run(["git", "show", f"{REFERENCE_COMMIT}:relicboost/physics/light_mediator/{module}.py"],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    if replace:
        src = src.replace(*replace)
    path = Path(tempfile.mkdtemp()) / f"_today_{module}.py"
    path.write_text(src)
    name = f"relicboost.physics.light_mediator._today_{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def _today():
    """Today's tabulated single-mass solve and three-mass fluxes, with the signatures of the current ones."""
    fk = _load_today("fast_kernels")
    mt = _load_today("mass_transport", ("from .fast_kernels import", "from ._today_fast_kernels import"))

    def solve(solver, g, M_MeV, model, temps, m_nu_eV=0.05):
        steps = fk.fast_light_channel_steps(solver.tgrid, g, M_MeV, model, m_nu_eV)
        return solver.transport.solve_conservative(solver.sources(temps), steps)

    return solve, mt.mass_channel_fluxes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three points, scan grid only")
    ap.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of this process (default 1)")
    ap.add_argument("--repeats", type=int, default=3, help="calls per point, the fastest is kept (default 3)")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.blas_threads)
    import numpy as np

    from relicboost import Model
    from relicboost.physics.cevns import cevns_flux, counts_from_flux
    from relicboost.physics.light_mediator import fast_kernels

    def run(model, g, M, name, kw, repeats=1):
        dt = np.inf  # fastest of ``repeats`` identical calls (nothing is cached per point): less sensitive to load
        for _ in range(repeats):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = model.predict_mediator(g, M, model=name, **kw)
            dt = min(dt, time.perf_counter() - t0)
        return dt, pred.integrated_flux("nuebar", 17.3), float(counts_from_flux(pred.energy, cevns_flux(pred), 1.0))

    from relicboost.physics.light_mediator import mass_transport

    now = (fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes)
    today = _today()
    points = POINTS[:3] if args.quick else POINTS
    grids = dict(list(GRIDS.items())[:1]) if args.quick else GRIDS
    tab, three = {"kernels": "tabulated"}, {"relic_masses": "normal", "lightest_mass_eV": 0.01}
    ref_model = Model(convention="consistent")
    ref_three = Model(convention="consistent", flavour="normal")
    ref = {p: run(ref_model, *p, tab)[1:] for p in points}
    ref3 = {p: run(ref_three, *p, three)[1:] for p in points}
    rows = []
    for label, kw in grids.items():
        model = Model(convention="consistent", **kw)
        model3 = Model(convention="consistent", flavour="normal", **kw)
        paths = (("today: tabulated", model, tab, ref, today), ("now: tabulated", model, tab, ref, now),
                 ("today: three masses NO, m0=0.01 eV", model3, three, ref3, today),
                 ("now: three masses NO, m0=0.01 eV", model3, three, ref3, now))
        for path, mdl, opts, reference, impl in paths:
            fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes = impl
            try:
                for name in ("vector", "complex-scalar", "real-scalar"):  # tables of this grid (not a new point)
                    run(mdl, 1.1e-4, 1.4e-3, name, opts)
                res = [run(mdl, *p, opts, args.repeats) for p in points]
            finally:
                fast_kernels.fast_light_mediator_solve, mass_transport.mass_channel_fluxes = now
            err = np.array([[r[1] / reference[p][0] - 1, r[2] / reference[p][1] - 1] for r, p in zip(res, points)])
            rows.append((path, label, 1e3 * float(np.median([r[0] for r in res])), *np.abs(err).max(axis=0)))
            print(f"  done: {path}, {label}", file=sys.stderr, flush=True)
    base = {(path.split(":")[1], label): ms for path, label, ms, *_ in rows if path.startswith("today")}
    print(f"{len(points)} new (g, M) points, time: median over points of the fastest of {args.repeats} calls; "
          "errors: max over points against the default grid "
          f"(50/dec, substeps 3) of the same path; BLAS threads: {args.blas_threads}; load average at the end: "
          f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(f"{'path':36s} {'grid':32s} {'ms/point':>9s} {'speed-up':>9s} {'max SK err':>10s} {'max CEvNS err':>13s}")
    for path, label, ms, e_sk, e_ce in rows:
        print(f"{path:36s} {label:32s} {ms:9.1f} {base[(path.split(':')[1], label)] / ms:9.2f} {e_sk:10.2%} "
              f"{e_ce:13.2%}")
    print(f"target: <= {TARGET_MS:.0f} ms per point within 1% of the default grid; speed-up: against today's "
          "code of the same path on the same grid")


if __name__ == "__main__":
    main()
