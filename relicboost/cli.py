"""The ``relicboost`` command.

Sub-commands: ``reproduce`` (the paper's figures, numbers, SK-IV limits and
RES-NOVA forecasts), ``limit``, ``scan``, ``sample``, ``forecast``, ``export``
and ``bib``.  Every sub-command accepts ``--card FILE`` (TOML or YAML): its keys
are the sub-command's long options with ``-`` written as ``_`` (for example
``T_nuebar = 6.0``); an unknown key or a value of the wrong type is an error
naming the key.  Options given on the command line override the card.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

LIKELIHOODS = ("skiv", "skiv-binned", "skgd", "borexino", "resnova")
NUISANCES = ("T_nue", "T_nuebar", "T_nux", "E_tot", "sfr_norm")


class CardError(ValueError):
    """A run card has an unknown key or a value of the wrong type."""


# ----------------------------------------------------------------------------- run cards
def read_card(path: Path) -> dict[str, Any]:
    """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) run card into a flat dict."""
    path = Path(path)
    if not path.is_file():
        raise CardError(f"run card {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        data = tomllib.loads(text)
    elif path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or {}
    else:
        raise CardError(f"run card {path}: suffix must be .toml, .yaml or .yml")
    if not isinstance(data, dict):
        raise CardError(f"run card {path}: top level must be a table of key = value")
    return data


def _card_defaults(parser: argparse.ArgumentParser, card: dict[str, Any]) -> dict[str, Any]:
    """Validate ``card`` against the options of ``parser``; return argparse defaults."""
    actions = {a.dest: a for a in parser._actions if a.dest not in ("help", "card")}
    out: dict[str, Any] = {}
    for key, value in card.items():
        if key not in actions:
            raise CardError(f"run card: unknown key {key!r}; allowed: {sorted(actions)}")
        act = actions[key]
        if isinstance(act, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            if not isinstance(value, bool):
                raise CardError(f"run card: key {key!r} must be true or false, got {value!r}")
            out[key] = value
            continue
        typ = act.type or str
        if typ is float and isinstance(value, bool) or typ is int and isinstance(value, bool):
            raise CardError(f"run card: key {key!r} must be a number, got {value!r}")
        try:
            if typ is float and not isinstance(value, (int, float)):
                raise TypeError
            if typ is int and not isinstance(value, int):
                raise TypeError
            if typ is str and not isinstance(value, str):
                raise TypeError
            conv = typ(value)
        except (TypeError, ValueError) as exc:
            raise CardError(f"run card: key {key!r} has the wrong type ({type(value).__name__}: "
                            f"{value!r}); expected {getattr(typ, '__name__', typ)}") from exc
        if act.choices is not None and conv not in act.choices:
            raise CardError(f"run card: key {key!r} must be one of {list(act.choices)}, got {value!r}")
        out[key] = conv
    return out


# ----------------------------------------------------------------------------- helpers
def _name_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _progress(args: argparse.Namespace) -> bool:
    return not getattr(args, "quiet", False)


def _model_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"convention": args.convention, "sfr": args.sfr}


def _fixed(args: argparse.Namespace, free: Sequence[str]) -> dict[str, float]:
    return {n: getattr(args, n) for n in NUISANCES if n not in free}


def build_likelihood(args: argparse.Namespace):
    """Combined likelihood from ``--likelihood`` (comma-separated) and its options."""
    from relicboost import likelihoods

    names = _name_list(args.likelihood)
    free = _name_list(args.profile) if getattr(args, "profile", "") else []
    bad = [n for n in free if n not in NUISANCES]
    if bad:
        raise ValueError(f"--profile: unknown nuisance(s) {bad}; allowed: {list(NUISANCES)}")
    priors = {k: v for k, v in likelihoods.default_astro_priors().items() if k in free}
    parts = []
    for i, name in enumerate(names):
        kw = {"priors": priors if i == 0 else None}
        if name == "skiv":
            parts.append(likelihoods.SKIV(**kw))
        elif name == "skiv-binned":
            parts.append(likelihoods.SKIV(mode="binned", binned_mode=args.binned_mode, **kw))
        elif name == "skgd":
            parts.append(likelihoods.SKGd(**kw))
        elif name == "borexino":
            parts.append(likelihoods.Borexino(binned_mode=args.binned_mode, **kw))
        elif name == "resnova":
            parts.append(likelihoods.RESNOVA(exposure_ton_yr=args.exposure_ton_yr,
                                             threshold_keV=args.threshold_keV, **kw))
        else:
            raise ValueError(f"--likelihood: unknown {name!r}; allowed: {list(LIKELIHOODS)}")
    like = parts[0]
    for p in parts[1:]:
        like = like + p
    return like, tuple(free)


def _problem(args: argparse.Namespace, like, free: tuple[str, ...]):
    from relicboost.inference import problem_for

    return problem_for(like, free=free, fixed=_fixed(args, free),
                       log10_lam_range=(args.log10_lam_min, args.log10_lam_max), **_model_kwargs(args))


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in sorted(vars(args).items()) if k not in ("func", "card")}


# ----------------------------------------------------------------------------- commands
def cmd_limit(args: argparse.Namespace) -> int:
    """Profile-likelihood upper limit on lam (and g for a mediator)."""
    from relicboost.inference import limit_to_json, upper_limit

    like, free = build_likelihood(args)
    problem = _problem(args, like, free)
    asimov = None
    if "resnova" in _name_list(args.likelihood):
        problem, asimov = None, problem  # RES-NOVA data are Asimov (lam = 0): expected limits only
    res = upper_limit(problem, cl=args.cl, asimov=asimov, n_scan=args.n_scan, reference=args.reference,
                      log10_lam_range=(args.log10_lam_min, args.log10_lam_max))
    if (args.mediator is None) != (args.M_MeV is None):
        raise ValueError("--mediator and --M-MeV go together")
    out = limit_to_json(res, mediator=args.mediator, M_MeV=args.M_MeV, m_nu_eV=args.m_nu_eV)
    out["likelihood"] = args.likelihood
    out["profiled"] = list(free)
    if args.outdir:
        _write_limit_run(Path(args.outdir), args, res, out)
    if args.json:
        json.dump(out, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")
    else:
        print(res)
        if "g_upper" in out:
            print(f"g_upper ({args.mediator}, M = {args.M_MeV:g} MeV, m_nu = {args.m_nu_eV:g} eV) = "
                  f"{out['g_upper']}")
    return 0


def _write_limit_run(outdir: Path, args: argparse.Namespace, res, out: dict) -> None:
    import numpy as np

    from relicboost.inference.contours import limit_contour, result_limits
    from relicboost.inference.export import RunDirectory

    run = RunDirectory(outdir)
    run.write_config(_config(args))
    frame = res.to_frame()
    frame = frame[[c for c in frame.columns if not c.startswith("log10_")]]
    run.write_table("limits.csv", frame, {"CL": f"{args.cl:.2f}", "convention": args.convention,
                                          "likelihood": args.likelihood})
    lims = result_limits(res)
    if lims:
        M = np.geomspace(args.M_min_MeV, args.M_max_MeV, args.n_M)
        cont = limit_contour(lims, M, cl=args.cl, m_nu_eV=args.m_nu_eV)
        run.write_table("contours.csv", cont, {"convention": args.convention})
        if args.hepdata:
            from relicboost.inference.export import contour_hepdata_tables

            run.write_hepdata(contour_hepdata_tables(cont), comment="relicboost limit")
    run.write_result(out, seed=None, convergence=None, argv=sys.argv)


def cmd_scan(args: argparse.Namespace) -> int:
    """Profile chi^2 on a log10 lam grid, with the SK-window flux at each point."""
    import numpy as np

    from relicboost.inference import profile_likelihood
    from relicboost.inference.export import RunDirectory
    from relicboost.physics.detection import SK_THRESHOLD_MEV

    like, free = build_likelihood(args)
    problem = _problem(args, like, free)
    grid = np.linspace(args.log10_lam_min, args.log10_lam_max, args.n_scan)
    prof = profile_likelihood(problem, grid)
    frame = prof.to_frame()
    model = problem.model
    frame[f"nuebar_flux_above_{SK_THRESHOLD_MEV:g}MeV_cm-2_s-1"] = [
        model.predict(lam=10.0**g, **_fixed(args, free)).integrated_flux("nuebar", SK_THRESHOLD_MEV) for g in grid]
    if args.outdir:
        run = RunDirectory(Path(args.outdir))
        run.write_config(_config(args))
        run.write_table("scan.csv", frame, {"convention": args.convention, "likelihood": args.likelihood})
        run.write_result({"n_points": len(grid)}, seed=None, convergence=None, argv=sys.argv)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """emcee posterior of log10 lam and the profiled nuisances, resumable."""
    from relicboost.inference import run
    from relicboost.inference.export import RunDirectory

    if args.resume and args.force:
        raise ValueError("--resume and --force are mutually exclusive")
    like, free = build_likelihood(args)
    problem = _problem(args, like, free)
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    res = run(problem, outdir / "chain.h5", args.nsteps, nwalkers=args.nwalkers, seed=args.seed,
              resume=args.resume, force=args.force, pool=args.pool, processes=args.processes,
              cl=args.cl, progress=_progress(args))
    rd = RunDirectory(outdir)
    rd.write_config(_config(args))
    fig = res.corner()
    rd.save_figure(fig, "corner")
    info = res.to_dict()
    rd.write_result(info, seed=res.seed, convergence={"tau": res.tau, "acceptance_fraction":
                                                       res.acceptance_fraction, "converged": res.converged},
                    argv=sys.argv)
    print(json.dumps(info, indent=2, default=str) if args.json else
          f"{res.nsteps} steps x {res.nwalkers} walkers; converged={res.converged}; "
          f"{100 * args.cl:g}% credible upper limit lam < {res.lam_upper:.4g} MeV^-3")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """RES-NOVA forecast: counts, significances and exposure needed at given lam values."""
    import pandas as pd

    from relicboost import Model, likelihoods

    rn = likelihoods.RESNOVA(exposure_ton_yr=args.exposure_ton_yr, threshold_keV=args.threshold_keV,
                             flat_background_per_ton_yr_keV=args.flat_background)
    model = Model(**_model_kwargs(args))
    rows = []
    for lam in (float(x) for x in _name_list(args.lam)):
        p = model.predict(lam=lam, **_fixed(args, ()))
        s, b = rn.signal_background(p)
        rows.append({"lam_MeV-3": lam, "signal_events": float(s.sum()), "background_events": float(b.sum()),
                     "Z_discovery_median": rn.discovery_significance(p),
                     "S_over_sqrtB_naive": rn.naive_significance(p),
                     f"exposure_for_Z{args.target_z:g}_ton_yr": rn.exposure_for_significance(p, args.target_z)})
    frame = pd.DataFrame(rows)
    if args.outdir:
        from relicboost.inference.export import RunDirectory

        rd = RunDirectory(Path(args.outdir))
        rd.write_config(_config(args))
        rd.write_table("forecast.csv", frame, {"convention": args.convention,
                                               "exposure_ton_yr": args.exposure_ton_yr,
                                               "threshold_keV": args.threshold_keV})
        rd.write_result({"rows": len(rows)}, seed=None, convergence=None, argv=sys.argv)
    print(rn.label)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the HEPData submission of a run directory's contours.csv."""
    import pandas as pd

    from relicboost.inference.export import RunDirectory, contour_hepdata_tables

    run_dir = Path(args.run)
    src = run_dir / "contours.csv"
    if not src.is_file():
        raise ValueError(f"--run: {src} not found (run `relicboost limit --outdir {run_dir}` first)")
    frame = pd.read_csv(src, comment="#")
    paths = RunDirectory(run_dir).write_hepdata(contour_hepdata_tables(frame), comment=args.comment)
    print(f"HEPData submission written: {paths}")
    return 0


def cmd_bib(args: argparse.Namespace) -> int:
    """Print the BibTeX of every source (all shipped tables, or those loaded by a run)."""
    from relicboost.data.loader import bibtex_for, list_tables, load_table, used_references

    if args.all:
        for name in list_tables():
            load_table(name)
    else:
        build_likelihood(args)
    print(bibtex_for(["DasPerezGonzalezSen2022"] + sorted(used_references())))
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    """All of the paper's figures and quoted numbers, SK-IV limits and RES-NOVA forecasts."""
    from relicboost.results.reproduce import reproduce

    written = reproduce(Path(args.outdir), progress=_progress(args))
    print(f"wrote {len(written)} files into {args.outdir}")
    return 0


# ----------------------------------------------------------------------------- parser
def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--convention", default="paper", choices=("paper", "consistent"),
                   help="propagation convention (docs/conventions.md)")
    g.add_argument("--sfr", default="paper", choices=("paper", "yuksel2008"), help="star formation fit")
    g.add_argument("--T-nue", dest="T_nue", type=float, default=6.6, help="nu_e temperature, MeV")
    g.add_argument("--T-nuebar", dest="T_nuebar", type=float, default=7.0, help="anti-nu_e temperature, MeV")
    g.add_argument("--T-nux", dest="T_nux", type=float, default=10.0, help="nu_x temperature, MeV")
    g.add_argument("--E-tot", dest="E_tot", type=float, default=3e53, help="total energy per supernova, erg")
    g.add_argument("--sfr-norm", dest="sfr_norm", type=float, default=1.0, help="supernova-rate normalisation")


def _add_likelihood_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("likelihood")
    g.add_argument("--likelihood", default="skiv",
                   help=f"comma-separated experiments from {list(LIKELIHOODS)} (default skiv)")
    g.add_argument("--binned-mode", dest="binned_mode", default="strongest",
                   choices=("strongest", "independent"), help="per-bin limits: strongest bin or all bins")
    g.add_argument("--profile", default="", help=f"comma-separated nuisances to profile/sample with the default "
                   f"priors, from {list(NUISANCES)} (default: none, all fixed)")
    g.add_argument("--exposure-ton-yr", dest="exposure_ton_yr", type=float, default=465.0,
                   help="RES-NOVA exposure, ton yr")
    g.add_argument("--threshold-keV", dest="threshold_keV", type=float, default=1.0,
                   help="RES-NOVA recoil threshold, keV")
    g.add_argument("--cl", type=float, default=0.90, help="confidence level (default 0.90)")
    g.add_argument("--log10-lam-min", dest="log10_lam_min", type=float, default=-14.0,
                   help="scan range low end, log10(lam / MeV^-3)")
    g.add_argument("--log10-lam-max", dest="log10_lam_max", type=float, default=-6.0,
                   help="scan range high end, log10(lam / MeV^-3)")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--card", type=Path, default=None, help="TOML or YAML run card (keys = long options)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``relicboost`` command."""
    parser = argparse.ArgumentParser(prog="relicboost", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reproduce", help="paper figures 1-6, quoted numbers, SK-IV limits, RES-NOVA forecasts")
    _add_common(p)
    p.add_argument("--outdir", default="results", help="output folder (default results/)")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("limit", help="profile-likelihood upper limit on lam (and g)")
    _add_common(p)
    _add_model_options(p)
    _add_likelihood_options(p)
    p.add_argument("--n-scan", dest="n_scan", type=int, default=17, help="scan points in log10 lam")
    p.add_argument("--reference", choices=("data", "model"), default="data",
                   help="chi2 reference of the test statistic: the likelihood's own minimum (data; a published "
                        "flux limit is applied as published) or the best fit over lam (model; profile ratio)")
    p.add_argument("--mediator", choices=("scalar", "vector"), default=None, help="report g_upper for this mediator")
    p.add_argument("--M-MeV", dest="M_MeV", type=float, default=None, help="mediator mass, MeV")
    p.add_argument("--m-nu-eV", dest="m_nu_eV", type=float, default=0.05, help="relic neutrino mass, eV")
    p.add_argument("--M-min-MeV", dest="M_min_MeV", type=float, default=1e-2, help="contour mass grid low end")
    p.add_argument("--M-max-MeV", dest="M_max_MeV", type=float, default=1e4, help="contour mass grid high end")
    p.add_argument("--n-M", dest="n_M", type=int, default=200, help="contour mass grid points")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--outdir", default=None, help="write a run directory (limits.csv, contours.csv, result.json)")
    p.add_argument("--hepdata", action="store_true", help="also write a HEPData submission (extra 'hepdata')")
    p.set_defaults(func=cmd_limit)

    p = sub.add_parser("scan", help="profile chi2 and SK-window flux on a log10 lam grid")
    _add_common(p)
    _add_model_options(p)
    _add_likelihood_options(p)
    p.add_argument("--n-scan", dest="n_scan", type=int, default=33, help="scan points")
    p.add_argument("--outdir", default=None, help="write a run directory with scan.csv")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("sample", help="emcee posterior (resumable HDF5 chain)")
    _add_common(p)
    _add_model_options(p)
    _add_likelihood_options(p)
    p.add_argument("--outdir", required=False, default="runs/sample", help="run directory (chain.h5 inside)")
    p.add_argument("--nwalkers", type=int, default=32, help="walkers")
    p.add_argument("--nsteps", type=int, default=2000, help="TOTAL steps the chain should hold")
    p.add_argument("--seed", type=int, default=None, help="seed (recorded; same seed = same chain)")
    p.add_argument("--pool", choices=("serial", "multiprocessing", "mpi"), default="serial", help="parallelism")
    p.add_argument("--processes", type=int, default=None, help="processes for --pool multiprocessing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    ex = p.add_mutually_exclusive_group()
    ex.add_argument("--resume", action="store_true", help="continue an existing chain to --nsteps")
    ex.add_argument("--force", action="store_true", help="delete an existing chain and start over")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("forecast", help="RES-NOVA counts, significance and exposure needed")
    _add_common(p)
    _add_model_options(p)
    p.add_argument("--exposure-ton-yr", dest="exposure_ton_yr", type=float, default=465.0, help="exposure, ton yr")
    p.add_argument("--threshold-keV", dest="threshold_keV", type=float, default=1.0, help="threshold, keV")
    p.add_argument("--flat-background", dest="flat_background", type=float, default=0.0,
                   help="flat detector background, counts/(ton yr keV)")
    p.add_argument("--lam", default="1e-12,1e-11,1e-10,1e-9", help="comma-separated lam values, MeV^-3")
    p.add_argument("--target-z", dest="target_z", type=float, default=1.0, help="target significance")
    p.add_argument("--outdir", default=None, help="write a run directory with forecast.csv")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("export", help="HEPData submission from a run directory's contours.csv")
    _add_common(p)
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--comment", default="relicboost exclusion contours", help="submission comment")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bib", help="BibTeX of the sources used")
    _add_common(p)
    _add_likelihood_options(p)
    p.add_argument("--all", action="store_true", help="every shipped table instead of the likelihood's sources")
    p.set_defaults(func=cmd_bib)

    from relicboost import commands_gm_scan

    commands_gm_scan.add_parser(sub)
    return parser


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction):
            return act.choices[name]
    raise KeyError(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``relicboost`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.card is not None:
            sp = _subparser(parser, args.command)
            sp.set_defaults(**_card_defaults(sp, read_card(args.card)))
            args = parser.parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"relicboost {argv[0] if argv else ''}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
