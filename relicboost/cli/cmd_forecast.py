"""``relicboost forecast``: expected exclusions on lam for DSNB detectors, and the RES-NOVA counts table.

Modes
-----
``--mode limits`` (default for every detector but RES-NOVA)
    Expected one-sided exclusion on lam (MeV^-3) at ``--cl`` with +-1, +-2 sigma bands for each
    convention of ``--conventions`` (default both: paper = excess, consistent = deficit), from
    :func:`relicboost.inference.forecast.forecast`; the output names the null and the test statistic.
``--mode table`` (default for ``--likelihood resnova``)
    RES-NOVA counts, median discovery significance, S/sqrt(B) and exposure needed at ``--lam``.

Examples::

    relicboost forecast --likelihood hyperk --years 10 --json
    relicboost forecast --likelihood resnova --mode limits --years 10 --conventions paper
    relicboost forecast --exposure-ton-yr 465 --lam 1e-11,1e-10        # RES-NOVA table
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from . import options as o
from .figures import draw_run
from .runs import finish_run, fixed_nuisances, model_kwargs, output_run, prepare_outdir

NAME = "forecast"
#: ``--likelihood`` choices (``hyperk-gd`` = Hyper-K with gadolinium).
DETECTORS: tuple[str, ...] = ("skgd", "juno", "hyperk", "hyperk-gd", "dune", "resnova")
efficiency = o._typed(float, lambda v: 0 < v <= 1, "a number in (0, 1]")
fraction = o._typed(float, lambda v: 0 <= v <= 1, "a number in [0, 1]")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``forecast``."""
    p = subparsers.add_parser(NAME, help="expected exclusion on lam for SK-Gd/JUNO/Hyper-K/DUNE/RES-NOVA "
                                         "(full model vs a lam = 0 null); RES-NOVA counts table")
    o.add_common(p)
    o.add_model_options(p)
    p.add_argument("--likelihood", default="resnova", choices=DETECTORS, help="detector")
    p.add_argument("--mode", default="auto", choices=("auto", "limits", "table"),
                   help="limits = expected exclusion on lam; table = RES-NOVA counts (auto: table for resnova)")
    g = p.add_argument_group("limits mode")
    g.add_argument("--years", type=o.positive_float, default=10.0, help="live time, years")
    g.add_argument("--cl", type=o.probability, default=0.90, help="confidence level")
    g.add_argument("--conventions", type=o.name_list(("paper", "consistent"), empty_ok=False),
                   default="paper,consistent", help="conventions to forecast (overrides --convention)")
    g.add_argument("--profile", type=o.name_list((*o.NUISANCES, "f_failed"), empty_ok=True), default="",
                   help=f"nuisances profiled under the default priors, from {[*o.NUISANCES, 'f_failed']} "
                        "(f_failed = failed-supernova fraction, prior 0.2 +- 0.1, null at 0.2; not for resnova)")
    g.add_argument("--failed-fraction", dest="failed_fraction", type=fraction, default=0.0,
                   help="failed-supernova fraction in the null and the tested points when not profiled "
                        "(default 0 = off, the paper's DSNB)")
    g.add_argument("--threshold-MeV", dest="threshold_MeV", type=o.positive_float, default=None,
                   help="lower edge of the visible-energy window, MeV (default: the detector table's)")
    g.add_argument("--emax-MeV", dest="emax_MeV", type=o.positive_float, default=None, help="upper window edge, MeV")
    g.add_argument("--efficiency", type=efficiency, default=None, help="signal efficiency (default: table's)")
    g.add_argument("--response", default="gaussian", choices=("gaussian", "snowglobes"),
                   help="energy response: Gaussian with the collaborations' resolutions (default) or the "
                        "SNOwGLoBES smearing matrices and efficiencies (not for resnova)")
    g.add_argument("--background-scale", dest="background_scale", type=o.nonneg_float, default=1.0,
                   help="multiplier of all backgrounds")
    g.add_argument("--log10-lam-min", dest="log10_lam_min", type=o.log10_lam, default=-14.0,
                   help="scan range low end, log10(lam / MeV^-3)")
    g.add_argument("--log10-lam-max", dest="log10_lam_max", type=o.log10_lam, default=-6.0,
                   help="scan range high end, log10(lam / MeV^-3)")
    g.add_argument("--n-scan", dest="n_scan", type=o.count_ge2, default=17, help="scan points in log10 lam")
    g.add_argument("--json", action="store_true", help="print JSON")
    t = p.add_argument_group("table mode (RES-NOVA)")
    o.add_resnova_options(p, t)
    t.add_argument("--flat-background", dest="flat_background", type=o.nonneg_float, default=0.0,
                   help="flat detector background, counts/(ton yr keV)")
    t.add_argument("--lam", type=o.lam_list, default="1e-12,1e-11,1e-10,1e-9",
                   help="comma-separated lam values, MeV^-3")
    t.add_argument("--target-z", dest="target_z", type=o.positive_float, default=1.0, help="target significance")
    o.add_outdir(p, default=None)
    return p


def run(args: argparse.Namespace) -> int:
    """Forecast limits or the RES-NOVA table; with ``--outdir`` (table mode) write a run directory."""
    mode = args.mode if args.mode != "auto" else ("table" if args.likelihood == "resnova" else "limits")
    if mode == "table" and args.likelihood != "resnova":
        raise o.UsageError("--mode table is the RES-NOVA counts table: use --likelihood resnova")
    if mode == "limits":
        o.check_lam_range(args)
        if args.outdir is not None:
            raise o.UsageError("--outdir goes with --mode table; limits mode prints its result (use --json)")
        return _limits(args)
    return _table(args)


def _limits(args: argparse.Namespace) -> int:
    from relicboost.inference.forecast import forecast

    detector = args.likelihood.replace("-", "_")
    det_kwargs = {k: getattr(args, k) for k in ("threshold_MeV", "emax_MeV", "efficiency")
                  if getattr(args, k) is not None}
    if detector != "resnova":
        det_kwargs["background_scale"] = args.background_scale
        det_kwargs["response"] = args.response
        if args.failed_fraction > 0:
            det_kwargs["failed_fraction"] = args.failed_fraction
    elif args.failed_fraction > 0 or "f_failed" in args.profile:
        raise o.UsageError("--failed-fraction / --profile f_failed: IBD and argon detectors only, not resnova")
    elif args.response != "gaussian":
        raise o.UsageError("--response snowglobes: RES-NOVA (CEvNS on lead) has no SNOwGLoBES response here")
    model_options = {"sfr": args.sfr, **fixed_nuisances(args, ())}
    results = [forecast(detector, args.years, conv, args.cl, profile=tuple(args.profile),
                        log10_lam_range=(args.log10_lam_min, args.log10_lam_max), n_scan=args.n_scan,
                        model_options=model_options, **det_kwargs)
               for conv in args.conventions]
    if args.json:
        print(json.dumps({"likelihood": args.likelihood, "years": args.years, "cl": args.cl,
                          "forecasts": [r.to_dict() for r in results]}, indent=2))
        return 0
    print(f"{args.likelihood}, {args.years:g} yr: expected {100 * args.cl:g}% C.L. exclusion on lam (MeV^-3)")
    print(f"null: {results[0].null}")
    print(f"test: {results[0].statistic}")
    for r in results:
        e = {k: (f"{v:.3g}" if r.band_status.get(k, "ok") == "ok" else f"{v:.3g}*") for k, v in r.expected.items()}
        print(f"  {r.convention:10s} ({r.effect}): median {e['median']}  "
              f"-1s {e['-1sigma']}  +1s {e['+1sigma']}  -2s {e['-2sigma']}  +2s {e['+2sigma']}  "
              f"[null DSNB {r.null_signal_events:.4g} ev, background {r.background_events:.4g} ev]")
        for k, status in r.band_status.items():
            if status != "ok":
                print(f"    * {k}: {status}")
    return 0


def _table(args: argparse.Namespace) -> int:
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
            draw_run("forecast", rd)
            finish_run(rd, args, {"rows": len(rows)})
    if args.json:
        print(json.dumps({"label": rn.label, "convention": args.convention,
                          "rows": frame.to_dict(orient="records")}, indent=2))
        return 0
    print(rn.label)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0
