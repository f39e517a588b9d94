"""Benchmark: the three-mass light-mediator transport (:mod:`relicboost.physics.light_mediator.mass_transport`).

For new (g, M) points with three relic masses (normal ordering, m_0 = 0.01 eV, at rest) prints, per grid and
model, the time per point of the current code and of the code of git ``main`` (loaded from git into temporary
modules and timed in the same run, alternating, fastest of ``--repeats`` calls), the speed-up, and the largest
relative difference of the detected spectra (nue, nuebar, nux, every energy node) and of the SK-window nubar_e
flux between the two (the speed work must leave the results unchanged, <= 1e-6).  A last block times
flavour-specific couplings (``couplings="e"``, coupling-matrix kernels; no counterpart on main).

BLAS runs single-threaded (``--blas-threads``, set before numpy is imported).  Run:
``python benchmarks/bench_mass_transport.py [--quick] [--reference main]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from git_reference import load_at, sibling

POINTS = ((1e-4, 1.5e-3), (3e-4, 1.0e-3), (1e-4, 3e-3), (2e-4, 2.2e-3))
MODELS = ("vector", "complex-scalar", "real-scalar")
GRIDS = {"scan (40/dec, substeps 1)": {"points_per_decade": 40, "substeps": 1},
         "E >= 1 MeV (40/dec, substeps 1)": {"points_per_decade": 40, "substeps": 1, "energy_min": 1.0}}
TEMPS = (6.6, 7.0, 10.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two points, vector, scan grid only")
    ap.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of this process (default 1)")
    ap.add_argument("--repeats", type=int, default=3, help="calls per point, the fastest is kept (default 3)")
    ap.add_argument("--reference", default="main", help="git revision of the reference code (default main)")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.blas_threads)
    import numpy as np

    from relicboost import Model
    from relicboost.physics import detection
    from relicboost.physics.light_mediator import mass_transport
    from relicboost.physics.light_mediator.models import ParticleModel
    from relicboost.physics.relic_masses import relic_masses_eV

    masses = relic_masses_eV("normal", 0.01)

    rev = args.reference
    load_at(rev, "transport_kernels")
    load_at(rev, "fast_kernels", sibling(rev, "transport_kernels", "mass_transport"))
    ref = load_at(rev, "mass_transport", sibling(rev, "transport_kernels", "fast_kernels"))
    points = POINTS[:2] if args.quick else POINTS
    models = MODELS[:1] if args.quick else MODELS
    grids = dict(list(GRIDS.items())[:1]) if args.quick else GRIDS

    def timed(fn, *a, **kw):
        best, out = np.inf, None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn(*a, **kw)
            best = min(best, time.perf_counter() - t0)
        return best, out

    rows = []
    warnings.simplefilter("ignore")
    for label, kw in grids.items():
        solver = Model(convention="consistent", flavour="normal", **kw)._transport
        e = solver.tgrid.energy
        for name in models:
            pm = ParticleModel(name)
            for impl in (ref, mass_transport):      # tables of this grid are built outside the timing
                impl.mass_channel_fluxes(solver, 1.1e-4, 1.4e-3, pm, TEMPS, masses)
            t_ref, t_now, d_spec, d_sk = [], [], 0.0, 0.0
            for g, M in points:
                tr, (_, total_ref) = timed(ref.mass_channel_fluxes, solver, g, M, pm, TEMPS, masses)
                tn, (_, total_now) = timed(mass_transport.mass_channel_fluxes, solver, g, M, pm, TEMPS, masses)
                t_ref.append(tr)
                t_now.append(tn)
                d_spec = max(d_spec, float(np.max(np.abs(total_now - total_ref) / np.maximum(total_ref, 1e-300))))
                sk = [detection.integrated_flux(e, t[1], 17.3) for t in (total_ref, total_now)]
                d_sk = max(d_sk, abs(sk[1] / sk[0] - 1))
            rows.append((label, name, "universal", 1e3 * np.median(t_ref), 1e3 * np.median(t_now), d_spec, d_sk))
            print(f"  done: {label}, {name}", file=sys.stderr, flush=True)
        pm = ParticleModel(models[0], couplings="e")
        mass_transport.mass_channel_fluxes(solver, 1.1e-4, 1.4e-3, pm, TEMPS, masses)
        t_e = [timed(mass_transport.mass_channel_fluxes, solver, g, M, pm, TEMPS, masses)[0] for g, M in points]
        rows.append((label, models[0], "e only", np.nan, 1e3 * np.median(t_e), np.nan, np.nan))
    print(f"{len(points)} new (g, M) points, three relic masses (NO, m_0 = 0.01 eV, at rest); time: median over "
          f"points of the fastest of {args.repeats} calls; reference: git {args.reference} in the same run; "
          f"BLAS threads {args.blas_threads}; load average at the end {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} CPUs)")
    print(f"{'grid':32s} {'model':15s} {'couplings':9s} {'ref ms':>8s} {'now ms':>8s} {'speed-up':>8s} "
          f"{'max spectrum diff':>17s} {'max SK diff':>11s}")
    for label, name, coup, tr, tn, ds, dk in rows:
        print(f"{label:32s} {name:15s} {coup:9s} {tr:8.0f} {tn:8.0f} {tr / tn:8.2f} {ds:17.1e} {dk:11.1e}")


if __name__ == "__main__":
    main()
