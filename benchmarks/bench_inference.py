"""Speed of the inference layer: SK-IV profile limit and an emcee run, with peak memory.

Run: ``python benchmarks/bench_inference.py [--quick]``.  Prints a table of

* the full SK-IV 90% C.L. limit on lam with T_nue, T_nuebar, T_nux and E_tot profiled
  (priors: likelihoods.default_astro_priors) -- target <= 1 s -- against a slow,
  obviously-correct reference: brentq on a profile computed by Nelder-Mead from the prior
  centre at every point (no warm start) on the full 0.01-200 MeV energy grid;
* an emcee run, 32 walkers x 2000 steps, four parameters (log10 lam, T_nuebar, T_nux,
  E_tot), pool="multiprocessing" on two cores -- target <= 60 s -- with the CPU time of the main
  process and of the pool workers (a load-independent figure on a shared machine);
* one SK-IV likelihood call on a prediction (cached window weights) against the same call
  integrating with the cubic-Hermite spline of the cumulative flux (the rule the weights encode);
* peak resident memory of this process and of its pool workers -- target <= 1 GB.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, minimize

from relicboost import Model, likelihoods
from relicboost.inference import Free, ModelFactory, Problem, Uniform, problem_for, run, upper_limit
from relicboost.inference.limits import threshold
from relicboost.inference.problem import _MODEL_CACHE

NUIS = ("T_nue", "T_nuebar", "T_nux", "E_tot")


def reference_limit(sk, cl: float = 0.90) -> float:
    """Slow reference: cold Nelder-Mead profile on the full grid, brentq on lam."""
    model = Model(convention="paper")
    priors = sk.priors
    x0 = np.array([priors[n].mean for n in NUIS])
    scale = np.array([priors[n].sigma for n in NUIS])

    def profile(log10_lam: float) -> float:
        def f(u: np.ndarray) -> float:
            x = x0 + u * scale
            if np.any(x <= 0):
                return math.inf
            return sk(model.predict(lam=10.0**log10_lam, **dict(zip(NUIS, x))))

        return minimize(f, np.zeros(len(NUIS)), method="Nelder-Mead",
                        options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000}).fun

    t = threshold(cl)
    return 10.0 ** brentq(lambda lg: profile(lg) - t, -12.0, -9.0, xtol=1e-5)


def bench_limit(repeats: int = 3) -> tuple[float, float, int, float]:
    sk = likelihoods.SKIV(priors=likelihoods.default_astro_priors())
    times, res = [], None
    for _ in range(repeats):
        _MODEL_CACHE.clear()  # include building the Model (narrow grid) in the timing
        t0 = time.perf_counter()
        prob = problem_for(sk, free=NUIS, convention="paper")
        res = upper_limit(prob, 0.90, log10_lam_range=(-14.0, -8.0))
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    ref = reference_limit(sk)
    t_ref = time.perf_counter() - t0
    return min(times), res.observed, res.n_calls, ref, t_ref  # type: ignore[return-value]


def bench_emcee(nsteps: int, processes: int) -> tuple[float, object, float, float]:
    sk = likelihoods.SKIV(priors=likelihoods.default_astro_priors())
    prob = Problem(ModelFactory.for_likelihood(sk, convention="paper"), sk,
                   {"lam": Free(Uniform(-14.0, -8.0)), "T_nuebar": Free(None),
                    "T_nux": Free(None), "E_tot": Free(None)})
    with tempfile.TemporaryDirectory() as tmp:
        t0, cpu0, kids0 = time.perf_counter(), time.process_time(), _children_cpu()
        res = run(prob, Path(tmp) / "chain.h5", nsteps, nwalkers=32, seed=1,
                  pool="multiprocessing" if processes > 1 else "serial", processes=processes,
                  progress=sys.stderr.isatty())
        wall, cpu, kids = time.perf_counter() - t0, time.process_time() - cpu0, _children_cpu() - kids0
        return wall, res, cpu, kids


def _children_cpu() -> float:
    """CPU seconds (user + system) of the terminated child processes (the pool workers)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_likelihood_call(n: int = 2000) -> tuple[float, float, float]:
    """(fast s, spline reference s, relative difference) of one SK-IV call at lam = 3e-11."""
    sk = likelihoods.SKIV(priors=likelihoods.default_astro_priors())
    pred = Model(convention="paper", energy_min=sk.required_energy_range[0]).predict(lam=3e-11)
    spline = dataclasses.replace(pred, windows=None)  # Prediction.integrated_flux without weights
    out = []
    for p in (pred, spline):
        sk(p)
        t0 = time.perf_counter()
        for _ in range(n):
            sk(p)
        out.append((time.perf_counter() - t0) / n)
    return out[0], out[1], sk(pred) / sk(spline) - 1.0


def rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: kB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 emcee steps instead of 2000")
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args()
    nsteps = 200 if args.quick else 2000

    t_call, t_call_ref, call_diff = bench_likelihood_call()
    t_lim, lam, calls, lam_ref, t_ref = bench_limit()
    t_mc, res, cpu_main, cpu_workers = bench_emcee(nsteps, args.processes)
    rows = [
        ("SK-IV likelihood call (window weights)", f"{1e3 * t_call:.3f} ms", "-",
         f"spline-integral reference {1e3 * t_call_ref:.3f} ms; rel. diff {call_diff:+.1e}"),
        ("SK-IV 90% limit, 4 nuisances profiled", f"{t_lim:.3f} s", "<= 1 s",
         f"lam_up = {lam:.5g} MeV^-3, {calls} calls"),
        ("  reference (cold Nelder-Mead, full grid)", f"{t_ref:.1f} s", "-",
         f"lam_up = {lam_ref:.5g}; rel. diff {lam / lam_ref - 1:+.1e}; speed-up {t_ref / t_lim:.0f}x"),
        (f"emcee 32 x {nsteps}, 4 params, {args.processes} proc", f"{t_mc:.1f} s",
         "<= 60 s" if nsteps == 2000 else "(quick)",
         f"acc {res.acceptance_fraction:.2f}, max tau {max(res.tau.values()):.0f}, "
         f"converged {res.converged}, 90% cred. lam_up {res.lam_upper:.3g}"),
        ("  CPU: main / workers (sum)", f"{cpu_main:.1f} / {cpu_workers:.1f} s", "-",
         f"all on {os.cpu_count()} idle cores: wall >= (main + workers) / {os.cpu_count()} = "
         f"{(cpu_main + cpu_workers) / (os.cpu_count() or 1):.1f} s"),
        ("peak RSS main / largest worker", f"{rss_mb(resource.RUSAGE_SELF):.0f} / "
         f"{rss_mb(resource.RUSAGE_CHILDREN):.0f} MB", "<= 1024 MB", ""),
    ]
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("benchmark", "measured", "target", "notes")
    w = [max(wi, len(h)) for wi, h in zip(w, head)]
    print("  ".join(h.ljust(wi) for h, wi in zip(head, w)))
    print("  ".join("-" * wi for wi in w))
    for r in rows:
        print("  ".join(c.ljust(wi) for c, wi in zip(r, w)))
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    met = {"limit": t_lim <= 1.0, "emcee": t_mc <= 60.0}
    print(f"targets: SK-IV limit <= 1 s {'met' if met['limit'] else 'MISSED'}; emcee 32 x 2000 <= 60 s "
          + (("met" if met["emcee"] else "MISSED") if nsteps == 2000 else "not measured (--quick)"))


if __name__ == "__main__":
    main()
