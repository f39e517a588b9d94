"""Speed and accuracy of ``Model.predict`` against the nested-quad reference (paper convention).

Prints, for lam = 1e-12, 1e-10, 1e-9 MeV^-3 (paper preset, T = 6.6/7/10 MeV, Table I SFR):

* time per ``predict`` at a new lam (median wall time over many calls with distinct lam; target <= 2 ms;
  ``CPU [ms]``: fastest mean CPU time over bursts of calls, a figure less sensitive to a shared machine) with
  the allocator untouched (default) and, measured in a child process, with the opt-in glibc tuning
  ``RELICBOOST_MALLOPT=1`` (column ``opt-in [ms]``),
* time of the quad reference for the same spectrum and the speed-up (target >= 1000x),
* max relative error of the fast spectrum, dsnb and boosted components, for nuebar and all six
  species, over 0.1-80 MeV at the engine's own energy nodes where the flux is above 1e-6 of its
  peak in that range (target <= 0.3%).

The reference evaluates the same nodes (every ``--stride``-th node of the engine grid in 0.1-80 MeV),
so no interpolation enters the comparison.  Two speed-ups are printed: ``ref/predict`` = wall time of
the reference for the compared nodes (nuebar + all, both components) over one predict, and
``per-node`` = (reference time per node x number of engine nodes) / predict, i.e. what the reference
would need for everything one ``predict`` returns.

Usage::

    python benchmarks/bench_physics.py [--stride 2] [--lams 1e-12 1e-10 1e-9] [--grid-check]

``--grid-check`` also repeats the accuracy measurement for a refined engine grid (double
points_per_decade and redshift nodes), to tell which grid setting limits the accuracy.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_quad import QuadReference

from relicboost import Model

EMIN, EMAX, PEAK_FRACTION = 0.1, 80.0, 1e-6
TARGET_MS, TARGET_SPEEDUP, TARGET_ERR = 2.0, 1000.0, 3e-3


def time_predict(model: Model, lam: float, n: int = 300, clock=time.perf_counter) -> float:
    """Median time of one predict at a new lam (distinct lam each call), seconds of ``clock``."""
    model.predict(lam=lam)  # warm the lambda-independent caches (source tables)
    lams = lam * (1.0 + 1e-6 * np.arange(1, n + 1))
    times = np.empty(n)
    for i, x in enumerate(lams):
        t0 = clock()
        model.predict(lam=float(x))
        times[i] = clock() - t0
    return float(np.median(times))


def time_predict_cpu(model: Model, lam: float, n: int = 30, bursts: int = 20) -> float:
    """Fastest mean CPU time of ``n`` predicts over ``bursts`` bursts, seconds (less sensitive to a
    shared machine's load than the wall-clock median)."""
    model.predict(lam=lam)
    best = np.inf
    for b in range(bursts):
        t0 = time.process_time()
        for i in range(n):
            model.predict(lam=lam * (1.0 + 1e-6 * (1 + i + n * b)))
        best = min(best, (time.process_time() - t0) / n)
    return float(best)


def time_predict_opt_in(lams: list[float]) -> dict[float, float]:
    """Median predict time (s) per lam in a child process with RELICBOOST_MALLOPT=1 (allocator tuned)."""
    here = str(Path(__file__).resolve().parent)
    code = (f"import json, sys; sys.path.insert(0, {here!r}); import bench_physics as b; "
            f"from relicboost import Model; m = Model(); "
            f"print(json.dumps({{repr(x): b.time_predict(m, x) for x in {list(lams)!r}}}))")
    env = dict(os.environ, RELICBOOST_MALLOPT="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return {float(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def max_rel_err(fast: np.ndarray, ref: np.ndarray) -> float:
    """Max |fast/ref - 1| where ref is above PEAK_FRACTION of its maximum."""
    mask = ref > PEAK_FRACTION * ref.max()
    return float(np.max(np.abs(fast[mask] / ref[mask] - 1.0)))


def compare(model: Model, lam: float, stride: int) -> tuple[dict[str, float], float, int]:
    """Relative errors per (species, component), reference wall time, number of nodes compared."""
    e_all = model.energy
    idx = np.flatnonzero((e_all >= EMIN * (1 - 1e-12)) & (e_all <= EMAX))[::stride]
    e = e_all[idx]
    ref = QuadReference(lam=lam, epsrel=1e-8)
    pred = model.predict(lam=lam)
    t0 = time.perf_counter()
    out: dict[str, float] = {}
    boost_shared = ref.boosted(e, "shared", progress=True) if lam > 0 else np.zeros_like(e)
    dsnb_s = {s: np.array([ref.dsnb(x, 0.0, s) for x in tqdm(e, desc=f"dsnb {s} lam={lam:g}", leave=False)])
              for s in ("nue", "nuebar", "nux")}
    t_ref = time.perf_counter() - t0
    refs = {("nuebar", "dsnb"): dsnb_s["nuebar"], ("nuebar", "boosted"): boost_shared,
            ("all", "dsnb"): dsnb_s["nue"] + dsnb_s["nuebar"] + 4 * dsnb_s["nux"], ("all", "boosted"): 6 * boost_shared}
    for (sp, comp), r in refs.items():
        if not np.any(r > 0):
            continue
        out[f"{sp}/{comp}"] = max_rel_err(pred.flux(sp, comp)[idx], r)
    return out, t_ref, e.size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stride", type=int, default=2, help="compare every n-th engine node in 0.1-80 MeV")
    ap.add_argument("--lams", type=float, nargs="+", default=[1e-12, 1e-10, 1e-9])
    ap.add_argument("--grid-check", action="store_true", help="also measure a refined engine grid")
    args = ap.parse_args(argv)

    model = Model()  # paper preset, Table I SFR, T = 6.6/7/10 MeV, E_tot = 3e53 erg
    models = {"default": model}
    if args.grid_check:
        models["refined"] = Model(points_per_decade=120, n_z_fine=321)
    print(f"engine grid: {model.energy.size} energies {model.energy[0]:g}-{model.energy[-1]:g} MeV "
          f"({model.grid_spec.points_per_decade}/decade), {model.grid_spec.n_z_fine} fine redshift nodes")
    rows = []
    t_opt = time_predict_opt_in(args.lams)
    for lam in args.lams:
        t_pred = time_predict(model, lam)
        t_cpu = time_predict_cpu(model, lam)
        errs, t_ref, n_nodes = compare(model, lam, args.stride)
        extra = {}
        for name, m in models.items():
            if name != "default":
                extra[name] = compare(m, lam, args.stride)[0]
        rows.append((lam, t_pred, t_cpu, t_ref, n_nodes, errs, extra))

    hdr = (f"{'lam [MeV^-3]':>12} {'predict [ms]':>12} {'<= 2 ms':>7} {'CPU [ms]':>8} {'opt-in [ms]':>11} "
           f"{'ref [s]':>9} {'nodes':>5} "
           f"{'ref/predict':>11} {'per-node':>9} {'nuebar dsnb':>11} {'nuebar boost':>12} {'all dsnb':>9} {'all boost':>9}")
    print(hdr)
    print("-" * len(hdr))
    ok = True
    for lam, t_pred, t_cpu, t_ref, n_nodes, errs, extra in rows:
        sp1 = t_ref / t_pred
        sp2 = t_ref / n_nodes * model.energy.size / t_pred
        cells = [f"{100 * errs.get(k, float('nan')):10.4f}%" for k in
                 ("nuebar/dsnb", "nuebar/boosted", "all/dsnb", "all/boosted")]
        met = "met" if 1e3 * t_pred <= TARGET_MS else "MISSED"
        print(f"{lam:12.0e} {1e3 * t_pred:12.3f} {met:>7} {1e3 * t_cpu:8.3f} {1e3 * t_opt[lam]:11.3f} "
              f"{t_ref:9.1f} {n_nodes:5d} "
              f"{sp1:10.0f}x {sp2:8.0f}x {cells[0]:>11} {cells[1]:>12} {cells[2]:>9} {cells[3]:>9}")
        for name, e2 in extra.items():
            cells2 = [f"{100 * e2.get(k, float('nan')):10.4f}%" for k in
                      ("nuebar/dsnb", "nuebar/boosted", "all/dsnb", "all/boosted")]
            print(f"{'  ' + name:>12} {'':>12} {'':>7} {'':>8} {'':>11} {'':>9} {'':>5} {'':>11} {'':>9} "
                  f"{cells2[0]:>11} {cells2[1]:>12} {cells2[2]:>9} {cells2[3]:>9}")
        ok &= (1e3 * t_pred <= TARGET_MS) and (sp1 >= TARGET_SPEEDUP) and max(errs.values()) <= TARGET_ERR
    print("predict: allocator untouched (default); opt-in: RELICBOOST_MALLOPT=1 (glibc mmap/trim thresholds)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"targets: predict <= {TARGET_MS} ms, speed-up >= {TARGET_SPEEDUP:.0f}x, "
          f"max rel. error <= {100 * TARGET_ERR}% (0.1-80 MeV, flux > {PEAK_FRACTION:g} x peak): "
          f"{'ALL MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
