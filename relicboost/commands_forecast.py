"""``relicboost forecast``: expected exclusions on lam for DSNB detectors (and the RES-NOVA counts table).

Register with ``commands_forecast.add_parser(subparsers)``; the parser's ``func`` is :func:`run`.

Modes
-----
``--mode limits`` (default for every detector but RES-NOVA)
    Expected one-sided exclusion on lam (MeV^-3) at ``--cl`` with +-1, +-2 sigma bands, for each
    convention in ``--convention`` (default both: paper = excess, consistent = deficit), from
    :func:`relicboost.inference.forecast.forecast`; the output names the null and the statistic.
``--mode table`` (default for ``--likelihood resnova``: the pre-issue-12 ``relicboost forecast``)
    RES-NOVA counts, median discovery significance, S/sqrt(B) and exposure needed at ``--lam``.

Examples::

    relicboost forecast --likelihood hyperk --years 10 --json
    relicboost forecast --likelihood resnova --mode limits --years 10 --convention paper
    relicboost forecast --exposure-ton-yr 465 --lam 1e-11,1e-10        # RES-NOVA table (as before)

Errors: one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

#: ``--likelihood`` choices (``hyperk-gd`` = Hyper-K with gadolinium).
LIKELIHOODS: tuple[str, ...] = ("skgd", "juno", "hyperk", "hyperk-gd", "dune", "resnova")
_NUISANCES: tuple[str, ...] = ("T_nue", "T_nuebar", "T_nux", "E_tot", "sfr_norm")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``forecast`` sub-command to an argparse ``subparsers`` object and return it."""
    p = subparsers.add_parser("forecast", help="expected exclusion on lam for SK-Gd/JUNO/Hyper-K/DUNE/RES-NOVA "
                                               "(full model vs a lam = 0 null); RES-NOVA counts table")
    p.add_argument("--card", type=Path, default=None, help="TOML or YAML run card (keys = long options)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--likelihood", default="resnova", choices=LIKELIHOODS, help="detector (default resnova)")
    p.add_argument("--mode", default="auto", choices=("auto", "limits", "table"),
                   help="limits = expected exclusion on lam; table = RES-NOVA counts (auto: table for resnova)")
    p.add_argument("--years", type=float, default=10.0, help="live time, years (limits mode)")
    p.add_argument("--cl", type=float, default=0.90, help="confidence level (default 0.90)")
    p.add_argument("--profile", default="", help=f"comma-separated nuisances profiled under the default priors, "
                                                 f"from {list(_NUISANCES)} (default: none)")
    p.add_argument("--threshold-MeV", dest="threshold_MeV", type=float, default=None,
                   help="lower edge of the visible-energy window, MeV (default: the detector table's)")
    p.add_argument("--emax-MeV", dest="emax_MeV", type=float, default=None, help="upper window edge, MeV")
    p.add_argument("--efficiency", type=float, default=None, help="signal efficiency in (0, 1]")
    p.add_argument("--background-scale", dest="background_scale", type=float, default=1.0,
                   help="multiplier of all non-computed and computed backgrounds (>= 0)")
    p.add_argument("--log10-lam-range", dest="log10_lam_range", default="-14,-6",
                   help="scan range of log10(lam / MeV^-3), 'low,high'")
    p.add_argument("--n-scan", dest="n_scan", type=int, default=17, help="scan points in log10 lam")
    p.add_argument("--json", action="store_true", help="print JSON")
    g = p.add_argument_group("model")
    g.add_argument("--convention", default=None, choices=("paper", "consistent", "both"),
                   help="propagation convention (limits default: both; table default: paper)")
    g.add_argument("--sfr", default="paper", choices=("paper", "yuksel2008"), help="star formation fit")
    g.add_argument("--T-nue", dest="T_nue", type=float, default=6.6, help="nu_e temperature, MeV")
    g.add_argument("--T-nuebar", dest="T_nuebar", type=float, default=7.0, help="anti-nu_e temperature, MeV")
    g.add_argument("--T-nux", dest="T_nux", type=float, default=10.0, help="nu_x temperature, MeV")
    g.add_argument("--E-tot", dest="E_tot", type=float, default=3e53, help="total energy per supernova, erg")
    g.add_argument("--sfr-norm", dest="sfr_norm", type=float, default=1.0, help="supernova-rate normalisation")
    r = p.add_argument_group("RES-NOVA table mode (the pre-issue-12 options)")
    r.add_argument("--exposure-ton-yr", dest="exposure_ton_yr", type=float, default=465.0, help="exposure, ton yr")
    r.add_argument("--threshold-keV", dest="threshold_keV", type=float, default=1.0, help="threshold, keV")
    r.add_argument("--flat-background", dest="flat_background", type=float, default=0.0,
                   help="flat detector background, counts/(ton yr keV)")
    r.add_argument("--lam", default="1e-12,1e-11,1e-10,1e-9", help="comma-separated lam values, MeV^-3")
    r.add_argument("--target-z", dest="target_z", type=float, default=1.0, help="target significance")
    r.add_argument("--outdir", default=None, help="write a run directory with forecast.csv (table mode)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``relicboost forecast``; returns the exit status (2 with a one-line error on bad input)."""
    try:
        mode = args.mode if args.mode != "auto" else ("table" if args.likelihood == "resnova" else "limits")
        if mode == "table":
            if args.likelihood != "resnova":
                raise ValueError("--mode table is the RES-NOVA counts table: use --likelihood resnova")
            return _table(args)
        return _limits(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"relicboost forecast: error: {exc}", file=sys.stderr)
        return 2


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"{what}: expected comma-separated numbers, got {text!r}") from None


def _model_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"sfr": args.sfr, **{n: float(getattr(args, n)) for n in _NUISANCES}}


def _limits(args: argparse.Namespace) -> int:
    from relicboost.inference.forecast import forecast

    lo_hi = _floats(args.log10_lam_range, "--log10-lam-range")
    if len(lo_hi) != 2:
        raise ValueError(f"--log10-lam-range: need 'low,high', got {args.log10_lam_range!r}")
    profile = tuple(t.strip() for t in args.profile.split(",") if t.strip())
    conventions = ("paper", "consistent") if args.convention in (None, "both") else (args.convention,)
    detector = args.likelihood.replace("-", "_")
    det_kwargs = {k: getattr(args, k) for k in ("threshold_MeV", "emax_MeV", "efficiency")
                  if getattr(args, k) is not None}
    if detector != "resnova":
        det_kwargs["background_scale"] = args.background_scale
    results = [forecast(detector, args.years, conv, args.cl, profile=profile, log10_lam_range=tuple(lo_hi),
                        n_scan=args.n_scan, model_options=_model_options(args), **det_kwargs)
               for conv in conventions]
    if args.json:
        print(json.dumps({"likelihood": args.likelihood, "years": args.years, "cl": args.cl,
                          "forecasts": [r.to_dict() for r in results]}, indent=2))
        return 0
    print(f"{args.likelihood}, {args.years:g} yr: expected {100 * args.cl:g}% C.L. exclusion on lam (MeV^-3)")
    print(f"null: {results[0].null}")
    print(f"test: {results[0].statistic}")
    for r in results:
        e = r.expected
        print(f"  {r.convention:10s} ({r.effect}): median {e['median']:.3g}  "
              f"-1s {e['-1sigma']:.3g}  +1s {e['+1sigma']:.3g}  -2s {e['-2sigma']:.3g}  +2s {e['+2sigma']:.3g}  "
              f"[null DSNB {r.null_signal_events:.4g} ev, background {r.background_events:.4g} ev]")
    return 0


def _table(args: argparse.Namespace) -> int:
    import pandas as pd

    from relicboost import Model, likelihoods

    rn = likelihoods.RESNOVA(exposure_ton_yr=args.exposure_ton_yr, threshold_keV=args.threshold_keV,
                             flat_background_per_ton_yr_keV=args.flat_background)
    convention = "paper" if args.convention in (None, "both") else args.convention
    model = Model(convention=convention, **_model_options(args))
    rows = []
    for lam in _floats(args.lam, "--lam"):
        p = model.predict(lam=lam)
        s, b = rn.signal_background(p)
        rows.append({"lam_MeV-3": lam, "signal_events": float(s.sum()), "background_events": float(b.sum()),
                     "Z_discovery_median": rn.discovery_significance(p),
                     "S_over_sqrtB_naive": rn.naive_significance(p),
                     f"exposure_for_Z{args.target_z:g}_ton_yr": rn.exposure_for_significance(p, args.target_z)})
    frame = pd.DataFrame(rows)
    if args.outdir:
        from relicboost.inference.export import RunDirectory

        rd = RunDirectory(Path(args.outdir))
        rd.write_config({k: v for k, v in sorted(vars(args).items()) if k not in ("func", "card")})
        rd.write_table("forecast.csv", frame, {"convention": convention, "exposure_ton_yr": args.exposure_ton_yr,
                                               "threshold_keV": args.threshold_keV})
        rd.write_result({"rows": len(rows)}, seed=None, convergence=None, argv=sys.argv)
    if args.json:
        print(json.dumps({"label": rn.label, "convention": convention, "rows": rows}, indent=2))
        return 0
    print(rn.label)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0
