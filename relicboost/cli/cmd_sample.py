"""``relicboost sample``: posterior of log10 lam and the profiled nuisances (emcee, resumable; or dynesty).

``--sampler dynesty`` (extra ``nested``) runs static nested sampling instead
(:mod:`relicboost.inference.nested`): ``posterior.nc``, ``summary.csv`` and the corner plot as for
emcee, plus the log-evidence ln Z and its error (``result.json``, the summary header, the figure
label); no chain file, not resumable.  The rest of this docstring is about emcee runs.

The run directory is locked for the whole run; ``--force`` empties it first (so no
file of the previous run survives beside the new chain), ``--resume`` continues the
chain.  ``result.json`` is removed when sampling starts and written again, listing
``chain.h5`` and the other files with their SHA-256, when it ends.  Ctrl-C writes a
final checkpoint and exits with code 130: while sampling, SIGINT only sets a flag that
the sampler polls between steps (never inside a likelihood call).
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from relicboost.io import RESULT_NAME, RunLock, staged_run

from . import options as o
from .runs import build_likelihood, build_problem, finish_run, output_run, prepare_outdir

NAME = "sample"
CHAIN = "chain.h5"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``sample``."""
    p = subparsers.add_parser(NAME, help="posterior: emcee (resumable HDF5 chain) or dynesty (with ln evidence)")
    o.add_common(p)
    o.add_model_options(p)
    o.add_likelihood_options(p)
    o.add_outdir(p, default="runs/sample", resume=True)
    p.add_argument("--nwalkers", type=o.count_ge2, default=32, help="walkers (>= 2 x sampled coordinates)")
    p.add_argument("--nsteps", type=o.count_ge1, default=2000, help="TOTAL steps the chain should hold")
    p.add_argument("--seed", type=o.seed_int, default=None, help="seed (recorded; same seed = same chain)")
    p.add_argument("--pool", choices=("serial", "multiprocessing", "mpi"), default="serial", help="parallelism")
    p.add_argument("--processes", type=o.count_ge1, default=None,
                   help="processes for --pool multiprocessing (default: all cores)")
    p.add_argument("--sampler", choices=("emcee", "dynesty"), default="emcee",
                   help="emcee (resumable chain) or dynesty nested sampling (posterior and ln evidence; "
                        "extra 'nested')")
    p.add_argument("--nlive", type=o.count_ge2, default=400, help="live points of --sampler dynesty")
    p.add_argument("--dlogz", type=o.positive_float, default=0.1,
                   help="--sampler dynesty: stop when the remaining ln evidence is below this")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return p


def check(args: argparse.Namespace) -> None:
    """Cross-option checks, before any computation."""
    o.check_lam_range(args)
    if args.sampler == "dynesty":
        if args.resume:
            raise o.UsageError("--resume applies to --sampler emcee only (a nested-sampling run is not resumable)")
        if args.pool != "serial" or args.processes is not None:
            raise o.UsageError("--sampler dynesty runs serially: drop --pool/--processes")
        if args.nlive < 2 * (1 + len(args.profile)) + 1:
            raise o.UsageError(f"--nlive {args.nlive} is too small: at least 2 x {1 + len(args.profile)} sampled "
                               f"coordinates + 1 = {3 + 2 * len(args.profile)}")
        o.require_extra(("dynesty",), "nested", "--sampler dynesty")
    if args.resume and args.force:
        raise o.UsageError("--resume and --force are mutually exclusive")
    if args.processes is not None and args.pool != "multiprocessing":
        raise o.UsageError("--processes applies to --pool multiprocessing only")
    if args.pool == "mpi":
        o.require_extra(("mpi4py", "schwimmbad"), "mpi", "--pool mpi")
    ndim = 1 + len(args.profile)
    if args.nwalkers < 2 * ndim:
        raise o.UsageError(f"--nwalkers {args.nwalkers} is too small: at least 2 x {ndim} sampled coordinates "
                           f"= {2 * ndim}")
    chain = Path(args.outdir) / CHAIN
    if args.resume and not chain.is_file():
        raise o.UsageError(f"--resume: no {CHAIN} in {args.outdir}; start the run without --resume")


def run(args: argparse.Namespace) -> int:
    """Sample into ``--outdir``; write the corner plot, config.yaml and result.json."""
    from relicboost.data.references import collect_references
    from relicboost.inference import run as sample
    from relicboost.inference.chain_file import check_resumable
    from relicboost.inference.posterior import write_posterior

    check(args)
    outdir = prepare_outdir(args)
    assert outdir is not None
    if args.sampler == "dynesty":
        return _run_nested(args)
    with collect_references() as refs, RunLock(outdir):
        like, free = build_likelihood(args)
        problem = build_problem(args, like, free)
        if args.resume:  # every refusal happens before a file is touched
            check_resumable(problem, outdir / CHAIN, args.nwalkers, args.seed)
        if args.force:
            for entry in sorted(outdir.iterdir(), key=lambda p: p.name != RESULT_NAME):
                if not entry.name.startswith("."):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        else:
            (outdir / RESULT_NAME).unlink(missing_ok=True)  # the chain is about to change
        interrupted: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
        try:
            res = sample(problem, outdir / CHAIN, args.nsteps, nwalkers=args.nwalkers, seed=args.seed,
                         resume=args.resume, force=args.force, pool=args.pool, processes=args.processes,
                         cl=args.cl, progress=not args.quiet, stop=lambda: bool(interrupted))
        except KeyboardInterrupt:
            print(f"relicboost sample: interrupted; the chain is checkpointed in {outdir / CHAIN}: continue with "
                  "--resume", file=sys.stderr)
            return 130
        finally:
            signal.signal(signal.SIGINT, previous)
        with staged_run(outdir, keep=(CHAIN,)) as rd:
            rd.references = refs
            post = write_posterior(problem, outdir / CHAIN, rd.target, cl=args.cl, echo=not args.json)
            info = {**res.to_dict(), "posterior_warnings": post.warnings}
            finish_run(rd, args, info, seed=res.seed, convergence={
                "tau": res.tau, "acceptance_fraction": res.acceptance_fraction, "converged": res.converged})
    print(json.dumps(info, indent=2, default=str) if args.json else
          f"{res.nsteps} steps x {res.nwalkers} walkers; converged={res.converged}; "
          f"{100 * args.cl:g}% credible upper limit lam < {res.lam_upper:.4g} MeV^-3")
    return 0


def _run_nested(args: argparse.Namespace) -> int:
    """``--sampler dynesty``: nested-sample into a staged run (posterior.nc, summary.csv, corner, ln Z)."""
    import numpy as np

    from relicboost.inference.nested import log_evidence_lam0, run_nested, write_nested
    from relicboost.inference.posterior import lam_samples

    with output_run(args) as rd:
        assert rd is not None
        like, free = build_likelihood(args)
        problem = build_problem(args, like, free)
        res = run_nested(problem, nlive=args.nlive, dlogz=args.dlogz, seed=args.seed, progress=not args.quiet)
        lam0 = log_evidence_lam0(problem, nlive=args.nlive, dlogz=args.dlogz, seed=res.seed, progress=not args.quiet)
        post = write_nested(problem, res, rd.target, cl=args.cl, echo=not args.json, lam0=lam0)
        lam = lam_samples(problem, res.samples)
        lam_upper = None if lam is None else float(np.quantile(lam, args.cl, method="inverted_cdf"))
        info = {**res.to_dict(), "log_evidence_lam0": lam0[0], "log_evidence_lam0_err": lam0[1],
                "log_bayes_factor": res.log_evidence - lam0[0],
                "log_bayes_factor_err": math.hypot(res.log_evidence_err, lam0[1]),
                "cl": args.cl, "lam_upper": lam_upper, "priors": problem.priors_text(), "posterior_warnings": post.warnings}
        finish_run(rd, args, info, seed=res.seed,
                   convergence={"log_evidence_err": res.log_evidence_err, "dlogz": res.dlogz, "ess_kish": res.ess_kish})
    print(json.dumps(info, indent=2, default=str) if args.json else
          f"dynesty: {res.niter} iterations, {res.ncall} likelihood calls; ln Z = {res.log_evidence:.4f} +- "
          f"{res.log_evidence_err:.4f}; ln B(lam > 0 vs lam = 0) = {info['log_bayes_factor']:.3f} +- "
          f"{info['log_bayes_factor_err']:.3f} (log-flat prior on lam); {100 * args.cl:g}% credible upper limit "
          f"lam < {lam_upper:.4g} MeV^-3")
    return 0
