"""``relicboost gm-scan``: flux observables on a (g, M) grid of a light mediator, resumable, MPI-ready.

Example::

    relicboost gm-scan --convention consistent --mediator vector --g-min 1e-6 --g-max 1e-1 --n-g 100 \\
        --M-min-MeV 1e-4 --M-max-MeV 1e-1 --n-M 100 --outdir runs/gm-vector
    mpiexec -n 4 relicboost gm-scan ... --outdir runs/gm-vector      # same table, byte for byte
    relicboost gm-scan ... --outdir runs/gm-vector --resume          # after a kill: finished points kept

Writes ``gm_scan.csv`` (:mod:`relicboost.inference.gm_scan`), ``gm_scan_spec.json`` and the
checkpoint ``gm_scan_checkpoint.jsonl`` into ``--outdir``.  Options of the particle model go to
``Model.predict_mediator`` unchanged (``--model NAME``, ``--option KEY=VALUE``); Model options
(grid, temperatures) with ``--model-option KEY=VALUE``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from relicboost.inference.gm_scan_engine import POOLS

from . import options as o

NAME = "gm-scan"


def _key_values(items: list[str], flag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag}: expected KEY=VALUE, got {item!r}")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        out[key.strip()] = value
    return out


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``gm-scan`` on the ``relicboost`` sub-command parsers; returns its parser."""
    p = subparsers.add_parser(NAME, help="flux observables on a (g, M) grid (resumable; serial, processes or MPI)",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--card", type=Path, default=None, help="TOML or YAML run card (keys = long options)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--convention", default="consistent", choices=("paper", "consistent"),
                   help="propagation convention (default consistent)")
    p.add_argument("--mediator", default="vector", choices=("scalar", "vector"), help="mediator (default vector)")
    p.add_argument("--model", default=None,
                   help="particle model passed to predict_mediator(model=...) (default: the API's default)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="extra predict_mediator keyword (JSON value or string), repeatable")
    p.add_argument("--model-option", dest="model_option", action="append", default=[], metavar="KEY=VALUE",
                   help="Model(...) keyword (grid, temperatures), repeatable; default: the scan grid of the convention")
    p.add_argument("--m-nu-eV", dest="m_nu_eV", type=o.positive_float, default=0.05, help="relic neutrino mass, eV")
    p.add_argument("--g-min", dest="g_min", type=o.positive_float, default=1e-6, help="smallest coupling")
    p.add_argument("--g-max", dest="g_max", type=o.positive_float, default=1e-1, help="largest coupling (<= 4 pi)")
    p.add_argument("--n-g", dest="n_g", type=o.count_ge1, default=20, help="couplings (log-spaced)")
    p.add_argument("--M-min-MeV", dest="M_min_MeV", type=o.positive_float, default=1e-4, help="smallest mediator mass, MeV")
    p.add_argument("--M-max-MeV", dest="M_max_MeV", type=o.positive_float, default=1e-1, help="largest mediator mass, MeV")
    p.add_argument("--n-M", dest="n_M", type=o.count_ge1, default=20, help="masses (log-spaced)")
    p.add_argument("--cevns-thresholds-keV", dest="cevns_thresholds_keV", default="1,3",
                   help="comma-separated CEvNS recoil thresholds on lead, keV")
    p.add_argument("--outdir", required=True, help="output folder (gm_scan.csv, spec, checkpoint)")
    p.add_argument("--pool", default="auto", choices=POOLS,
                   help="auto (mpi under mpiexec, else serial), serial, process or mpi")
    p.add_argument("--processes", type=o.count_ge1, default=None, help="workers of --pool process (default: all cores)")
    ex = p.add_mutually_exclusive_group()
    ex.add_argument("--resume", action="store_true", help="continue the scan in --outdir (finished points kept)")
    ex.add_argument("--force", action="store_true", help="delete the scan in --outdir and start over")
    return p


def spec_from_args(args: argparse.Namespace):
    """The :class:`~relicboost.inference.gm_scan.GMScanSpec` of the command line."""
    from relicboost.inference.gm_scan import GMScanSpec

    options = _key_values(args.option, "--option")
    if args.model is not None:
        options["model"] = args.model
    model_options = _key_values(args.model_option, "--model-option") or None
    try:
        thresholds = tuple(float(t) for t in args.cevns_thresholds_keV.split(",") if t.strip())
    except ValueError as exc:
        raise ValueError(f"--cevns-thresholds-keV: comma-separated numbers expected ({exc})") from exc
    return GMScanSpec.log_grid(args.g_min, args.g_max, args.n_g, args.M_min_MeV, args.M_max_MeV, args.n_M,
                               mediator=args.mediator, convention=args.convention, m_nu_eV=args.m_nu_eV,
                               model_options=model_options, mediator_options=options,
                               cevns_thresholds_keV=thresholds)


def run(args: argparse.Namespace) -> int:
    """Run the scan; one-line error and exit code 2 on bad input or a failed point."""
    from relicboost.inference.gm_scan_engine import mpi_rank_from_environment, run_scan
    from relicboost.io import RunLock

    try:
        spec = spec_from_args(args)
        t0 = time.perf_counter()
        # one scan per directory: rank 0 (or the only process) holds the run lock for the whole scan
        lock = RunLock(args.outdir) if mpi_rank_from_environment() == 0 else contextlib.nullcontext()
        with lock:
            path = run_scan(spec, args.outdir, pool=args.pool, processes=args.processes, resume=args.resume,
                            force=args.force, progress=not args.quiet)
    except (ValueError, TypeError, ImportError, OSError, FloatingPointError, RuntimeError) as exc:
        if mpi_rank_from_environment() == 0:  # under mpiexec every rank sees a bad option: report once
            print(f"relicboost {NAME}: error: {exc}", file=sys.stderr)
        return 2
    if path is not None:
        print(f"wrote {path} ({spec.n_points} points, {spec.mediator}, convention {spec.convention}, "
              f"{time.perf_counter() - t0:.1f} s)")
    return 0
