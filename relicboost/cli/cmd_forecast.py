"""``relicboost forecast``: RES-NOVA counts, significances and exposure needed at given lam values."""
from __future__ import annotations

import argparse
from typing import Any

from . import options as o
from .figures import draw_run
from .runs import finish_run, fixed_nuisances, model_kwargs, output_run, prepare_outdir

NAME = "forecast"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``forecast``."""
    p = subparsers.add_parser(NAME, help="RES-NOVA counts, significance and exposure needed")
    o.add_common(p)
    o.add_model_options(p)
    o.add_resnova_options(p)
    p.add_argument("--flat-background", dest="flat_background", type=o.nonneg_float, default=0.0,
                   help="flat detector background, counts/(ton yr keV)")
    p.add_argument("--lam", type=o.lam_list, default="1e-12,1e-11,1e-10,1e-9",
                   help="comma-separated lam values, MeV^-3")
    p.add_argument("--target-z", dest="target_z", type=o.positive_float, default=1.0, help="target significance")
    o.add_outdir(p, default=None)
    return p


def run(args: argparse.Namespace) -> int:
    """Forecast table; with ``--outdir`` write forecast.csv, its figure and result.json."""
    import numpy as np
    import pandas as pd

    from relicboost import Model, likelihoods

    prepare_outdir(args)
    with output_run(args) as rd:
        rn = likelihoods.RESNOVA(exposure_ton_yr=args.exposure_ton_yr, threshold_keV=args.threshold_keV,
                                 flat_background_per_ton_yr_keV=args.flat_background)
        model = Model(**model_kwargs(args))
        rows = []
        for lam in args.lam:
            p = model.predict(lam=lam, **fixed_nuisances(args, ()))
            s, b = rn.signal_background(p)
            rows.append({"lam_MeV-3": lam, "signal_events": float(s.sum()), "background_events": float(b.sum()),
                         "Z_discovery_median": rn.discovery_significance(p),
                         "S_over_sqrtB_naive": rn.naive_significance(p),
                         f"exposure_for_Z{args.target_z:g}_ton_yr": rn.exposure_for_significance(p, args.target_z)})
        frame = pd.DataFrame(rows)
        finite = frame.drop(columns="lam_MeV-3").map(lambda v: bool(np.isfinite(v))).all(axis=1)
        frame["status"] = ["ok" if ok else f"Z = {args.target_z:g} not reachable at any exposure" for ok in finite]
        if rd is not None:
            rd.write_table("forecast.csv", frame, {"convention": args.convention,
                                                   "exposure_ton_yr": args.exposure_ton_yr,
                                                   "threshold_keV": args.threshold_keV})
            draw_run("forecast", frame, rd)
            finish_run(rd, args, {"rows": len(rows)})
    print(rn.label)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0
