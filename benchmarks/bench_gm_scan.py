"""Benchmark of ``relicboost gm-scan``: time per point, serial vs process pool vs MPI, 100 x 100 extrapolation.

Every parallel run is checked against the serial run of the same grid (the slow, obviously-correct
reference): the tables must be byte-identical.  Usage::

    python benchmarks/bench_gm_scan.py [--n 20] [--mediator vector] [--ranks 2,3] [--fast]

``--fast`` uses a coarse Model grid (20 points per decade) to check the machinery quickly; without
it the scan grid of the consistent convention is used (``SCAN_MODEL_OPTIONS``).  MPI runs need
``mpiexec`` (``pip install 'relicboost[mpi]'``); with ``mpiexec -n N`` rank 0 schedules and N - 1
ranks compute.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from relicboost.inference.gm_scan_engine import find_mpiexec


def per_point_seconds(mediator: str, options: dict, n: int = 4) -> tuple[float, float]:
    """(wall, CPU) seconds per new (g, M) point of Model.predict_mediator + observables, this process."""
    from relicboost import Model
    from relicboost.inference.gm_scan import observables

    model = Model(convention="consistent", **options)
    ref = model.predict_mediator(0.0, 1e-3, mediator).integrated_flux("nuebar", 17.3)
    pts = list(zip(np.geomspace(1e-5, 1e-2, n), np.geomspace(5e-4, 5e-2, n)))
    t, c = time.perf_counter(), time.process_time()
    for g, M in pts:
        observables(model.predict_mediator(g, M, mediator), ref, (1.0, 3.0))
    return (time.perf_counter() - t) / n, (time.process_time() - c) / n


def run_cli(prefix: list[str], args: list[str], outdir: Path, env: dict) -> tuple[float, bytes]:
    t = time.perf_counter()
    proc = subprocess.run([*prefix, sys.executable, "-m", "relicboost.cli", *args, "--outdir", str(outdir)],
                          env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({' '.join(prefix) or 'serial'}): {proc.stderr[-500:]}")
    return wall, (outdir / "gm_scan.csv").read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="grid is n x n (default 20)")
    ap.add_argument("--mediator", default="vector", choices=("scalar", "vector"))
    ap.add_argument("--ranks", default="2,3", help="comma-separated mpiexec -n values")
    ap.add_argument("--fast", action="store_true", help="coarse Model grid (machinery check)")
    a = ap.parse_args()
    from relicboost.inference.gm_scan import SCAN_MODEL_OPTIONS

    options = {"points_per_decade": 20, "substeps": 1, "energy_min": 0.1} if a.fast else \
        SCAN_MODEL_OPTIONS["consistent"]
    wall_pt, cpu_pt = per_point_seconds(a.mediator, options)
    args = ["gm-scan", "--quiet", "--mediator", a.mediator, "--n-g", str(a.n), "--n-M", str(a.n),
            "--g-min", "1e-6", "--g-max", "1e-2", "--M-min-MeV", "3e-4", "--M-max-MeV", "3e-2"]
    args += [x for k, v in options.items() for x in ("--model-option", f"{k}={v}")]
    env = dict(os.environ)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        serial_wall, ref = run_cli([], [*args, "--pool", "serial"], Path(tmp, "serial"), env)
        rows.append(("serial", 1, serial_wall, True))
        wall, out = run_cli([], [*args, "--pool", "process", "--processes", "2"], Path(tmp, "proc"), env)
        rows.append(("process pool, 2 workers", 2, wall, out == ref))
        mpiexec = find_mpiexec()
        if mpiexec:
            lib = str(Path(mpiexec).resolve().parent.parent / "lib")  # libmpi of the mpich wheel
            env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (lib, env.get("LD_LIBRARY_PATH")) if p)
            for n in (int(x) for x in a.ranks.split(",")):
                wall, out = run_cli([mpiexec, "-n", str(n)], args, Path(tmp, f"mpi{n}"), env)
                rows.append((f"mpiexec -n {n} ({n - 1} computing ranks)", n - 1, wall, out == ref))
    n_pts = a.n * a.n
    print(f"gm-scan benchmark: consistent convention, {a.mediator}, Model options {options}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"time per new point in-process: {1e3 * wall_pt:.0f} ms wall, {1e3 * cpu_pt:.0f} ms CPU "
          "(predict_mediator + observables)")
    print(f"\n| run | workers | {a.n}x{a.n} wall [s] | per point [ms] | speed-up | byte-identical to serial "
          "| 100x100 extrapolated [min] |")
    print("|---|---|---|---|---|---|---|")
    for name, workers, wall, same in rows:
        print(f"| {name} | {workers} | {wall:.1f} | {1e3 * wall / n_pts:.0f} | {serial_wall / wall:.2f} | "
              f"{'yes' if same else 'NO'} | {wall / n_pts * 1e4 / 60:.1f} |")
    if not all(r[3] for r in rows):
        raise SystemExit("a parallel table differs from the serial one")


if __name__ == "__main__":
    main()
