"""``relicboost limit``: profile-likelihood upper limit on lam (and g for a mediator)."""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import numpy as np
import pandas as pd

from . import options as o
from .figures import draw_run
from .runs import (
    build_likelihood,
    build_problem,
    finish_run,
    output_run,
    prepare_outdir,
)

NAME = "limit"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``limit``."""
    p = subparsers.add_parser(NAME, help="profile-likelihood upper limit on lam (and g)")
    o.add_common(p)
    o.add_model_options(p)
    o.add_likelihood_options(p)
    p.add_argument("--n-scan", dest="n_scan", type=o.count_ge2, default=17, help="scan points in log10 lam")
    p.add_argument("--reference", choices=("data", "model"), default="data",
                   help="chi2 reference of the test statistic: the likelihood's own minimum (data; a published "
                        "flux limit is applied as published) or the best fit over lam (model; profile ratio)")
    p.add_argument("--mediator", choices=("scalar", "vector"), default=None, help="report g_upper for this mediator")
    p.add_argument("--M-MeV", dest="M_MeV", type=o.positive_float, default=None, help="mediator mass, MeV")
    p.add_argument("--m-nu-eV", dest="m_nu_eV", type=o.positive_float, default=0.05, help="relic neutrino mass, eV")
    p.add_argument("--M-min-MeV", dest="M_min_MeV", type=o.positive_float, default=1e-2,
                   help="contour mass grid low end, MeV")
    p.add_argument("--M-max-MeV", dest="M_max_MeV", type=o.positive_float, default=1e4,
                   help="contour mass grid high end, MeV")
    p.add_argument("--n-M", dest="n_M", type=o.count_ge2, default=200, help="contour mass grid points")
    p.add_argument("--method", choices=("cls", "clsb", "published"), default=None,
                   help="limit method (default: CLs for counting likelihoods, the published-limit crossing for "
                        "published flux limits, CLs+b otherwise)")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    o.add_outdir(p, default=None)
    p.add_argument("--hepdata", action="store_true", help="also write a HEPData submission (extra 'hepdata')")
    return p


def check(args: argparse.Namespace) -> None:
    """Cross-option checks, before any computation."""
    o.check_lam_range(args)
    if (args.mediator is None) != (args.M_MeV is None):
        raise o.UsageError("--mediator and --M-MeV go together: give both or neither")
    if not args.M_min_MeV < args.M_max_MeV:
        raise o.UsageError(f"--M-min-MeV ({args.M_min_MeV:g}) must be below --M-max-MeV ({args.M_max_MeV:g})")
    if args.hepdata:
        if args.outdir is None:
            raise o.UsageError("--hepdata needs --outdir (the submission is written into the run directory)")
        o.require_extra(("hepdata_lib", "hepdata_validator"), "hepdata", "--hepdata")


def limits_table(res: Any, lam_max: float) -> pd.DataFrame:
    """limits.csv: one row per limit with an explicit ``status``; rows without a finite positive limit are empty.

    Statuses: "ok", "not excluded for lam <= ... (scan range)", "all lam excluded (even lam = 0)"
    and, for an expected-band edge at lam = 0, "band edge at lam = 0".
    """
    frame = res.to_frame()
    frame = frame[[c for c in frame.columns if not c.startswith("log10_")]].copy()
    col = next(c for c in frame.columns if c.startswith("lam_upper"))
    status = []
    for label, v in zip(frame["limit"], frame[col].astype(float)):
        if label == "observed" and res.status.startswith("all"):
            status.append("all lam excluded (even lam = 0)")
        elif math.isinf(v):
            status.append(f"not excluded for lam <= {lam_max:.3g} MeV^-3 (scan range)")
        elif v == 0.0:
            status.append("all lam excluded (even lam = 0)" if label == "observed" else "band edge at lam = 0")
        else:
            status.append("ok")
    frame[col] = [v if s == "ok" else np.nan for v, s in zip(frame[col].astype(float), status)]
    frame["status"] = status
    return frame


def run(args: argparse.Namespace) -> int:
    """Compute the limit; with ``--outdir`` write limits.csv, contours.csv, the figure, result.json."""
    from relicboost.inference import limit_to_json, upper_limit

    check(args)
    prepare_outdir(args)
    with output_run(args) as rd:
        like, free = build_likelihood(args)
        problem = build_problem(args, like, free)
        asimov = None
        if "resnova" in args.likelihood:
            problem, asimov = None, problem  # RES-NOVA data are Asimov (lam = 0): expected limits only
        res = upper_limit(problem, cl=args.cl, asimov=asimov, n_scan=args.n_scan, reference=args.reference, method=args.method,
                          log10_lam_range=(args.log10_lam_min, args.log10_lam_max))
        out = limit_to_json(res, mediator=args.mediator, M_MeV=args.M_MeV, m_nu_eV=args.m_nu_eV)
        out["likelihood"] = ",".join(args.likelihood)
        out["profiled"] = list(free)
        if rd is not None:
            _write(rd, args, res, out)
    if args.json:
        json.dump(out, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")
    else:
        print(res)
        if "g_upper" in out:
            print(f"g_upper ({args.mediator}, M = {args.M_MeV:g} MeV, m_nu = {args.m_nu_eV:g} eV) = "
                  f"{out['g_upper']}")
    return 0


def _write(rd: Any, args: argparse.Namespace, res: Any, out: dict) -> None:
    from relicboost.inference.contours import limit_contour, result_limits

    meta = {"CL": f"{args.cl:.2f}", "convention": args.convention, "likelihood": ",".join(args.likelihood),
            "statistic": res.statistic}
    table = limits_table(res, 10.0**args.log10_lam_max)
    table.attrs["CL"] = args.cl
    rd.write_table("limits.csv", table, meta)
    draw_run("limit", rd)
    try:
        lims = result_limits(res)
    except ValueError:
        lims = {}
    if lims:
        M = np.geomspace(args.M_min_MeV, args.M_max_MeV, args.n_M)
        cont = limit_contour(lims, M, cl=args.cl, m_nu_eV=args.m_nu_eV)
        rd.write_table("contours.csv", cont, {"convention": args.convention})
        if args.hepdata:
            from relicboost.inference.export import (
                contour_hepdata_tables,
                write_hepdata,
            )

            write_hepdata(rd, contour_hepdata_tables(cont), comment="relicboost limit")
    finish_run(rd, args, out)
