"""Benchmark: (g, M) contour grid, 300 x 300, scalar and vector mediators.

Compares :func:`relicboost.inference.contours.coupling_grid` (vectorised) with a
slow, obviously correct per-point Python loop, and reports peak memory
(tracemalloc, Python + numpy allocations) and the process's maximum RSS.
Target (issue 5): <= 2 s for both mediators, <= 1 GB peak memory.

Run: ``python benchmarks/bench_contours.py [--n 300]``
"""
from __future__ import annotations

import argparse
import math
import resource
import time
import tracemalloc

import numpy as np

from relicboost.inference.contours import coupling_grid, limit_contour

M_NU_EV = 0.05
LAM_UPPER = 1e-11


def slow_reference(g: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lam, excluded and validity point by point with the math module."""
    m_nu = M_NU_EV * 1e-6
    lam = np.empty((g.size, M.size))
    for i, gi in enumerate(g):
        for j, Mj in enumerate(M):
            lam[i, j] = gi**4 * m_nu / (8.0 * math.pi * Mj**4)
    valid = np.array([Mj * Mj >= 10.0 * 2.0 * m_nu * 100.0 for Mj in M])
    return lam, lam > LAM_UPPER, valid


def fast(g: np.ndarray, M: np.ndarray) -> dict:
    out = {}
    for med in ("scalar", "vector"):
        out[med] = coupling_grid(g, M, med, M_NU_EV, lam_upper=LAM_UPPER, cl=0.9)
    out["line"] = limit_contour(LAM_UPPER, M, cl=0.9, m_nu_eV=M_NU_EV)
    return out


def timed(fn, *args, repeat: int = 5) -> tuple[float, object]:
    best, res = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="grid points per axis")
    n = ap.parse_args().n
    g = np.logspace(-6, 0, n)
    M = np.logspace(-3, 3, n)

    t_fast, res = timed(fast, g, M)
    # the heavy-limit mapping is the same for both mediators: one reference pass each
    t_slow, (lam_ref, exc_ref, valid_ref) = timed(slow_reference, g, M, repeat=1)

    tracemalloc.start()
    fast(g, M)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    err = max(np.max(np.abs(res[m].lam / lam_ref - 1.0)) for m in ("scalar", "vector"))
    agree = all(
        np.array_equal(res[m].excluded, exc_ref) and np.array_equal(res[m].heavy_limit_valid, valid_ref)
        for m in ("scalar", "vector")
    )
    rows = [
        ("grid", f"{n} x {n}, scalar + vector"),
        ("vectorised time [s] (best of 5)", f"{t_fast:.4f}"),
        ("slow per-point loop time [s] (both mediators)", f"{2 * t_slow:.3f}"),
        ("speed-up", f"{2 * t_slow / t_fast:.0f}x"),
        ("max relative difference of lam", f"{err:.1e}"),
        ("excluded / validity masks identical", str(agree)),
        ("peak traced memory [MB]", f"{peak / 2**20:.1f}"),
        ("process max RSS [MB]", f"{max_rss_mb:.0f}"),
        ("target", "<= 2 s, <= 1024 MB"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'quantity':<{width}}  value")
    print("-" * (width + 30))
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
