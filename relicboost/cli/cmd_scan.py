"""``relicboost scan``: profile chi^2 on a log10 lam grid, with the SK-window flux at each point."""
from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from . import options as o
from .figures import draw_run
from .runs import (
    build_likelihood,
    build_problem,
    finish_run,
    fixed_nuisances,
    output_run,
    prepare_outdir,
)

NAME = "scan"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``scan``."""
    p = subparsers.add_parser(NAME, help="profile chi2 and SK-window flux on a log10 lam grid")
    o.add_common(p)
    o.add_model_options(p)
    o.add_likelihood_options(p)
    p.add_argument("--n-scan", dest="n_scan", type=o.count_ge2, default=33, help="scan points")
    o.add_outdir(p, default=None)
    return p


def run(args: argparse.Namespace) -> int:
    """Scan; with ``--outdir`` write scan.csv, the Delta chi^2 figure and result.json."""
    from relicboost.inference import profile_likelihood
    from relicboost.physics.detection import SK_THRESHOLD_MEV

    o.check_lam_range(args)
    prepare_outdir(args)
    with output_run(args) as rd:
        like, free = build_likelihood(args)
        problem = build_problem(args, like, free)
        grid = np.linspace(args.log10_lam_min, args.log10_lam_max, args.n_scan)
        frame = profile_likelihood(problem, grid).to_frame()
        model = problem.model
        fixed = fixed_nuisances(args, free)
        frame[f"nuebar_flux_above_{SK_THRESHOLD_MEV:g}MeV_cm-2_s-1"] = [
            model.predict(lam=10.0**g, **fixed).integrated_flux("nuebar", SK_THRESHOLD_MEV) for g in grid]
        frame.attrs["CL"] = args.cl
        if rd is not None:
            rd.write_table("scan.csv", frame, {"convention": args.convention,
                                               "likelihood": ",".join(args.likelihood)})
            draw_run("scan", rd)
            finish_run(rd, args, {"n_points": len(grid)})
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    return 0
