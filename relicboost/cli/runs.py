"""What the analysis sub-commands share: likelihood and problem from the options, run directories."""
from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from relicboost.io import RunDirectory, check_outdir, staged_run

from .options import NUISANCES

#: Options that are not part of a run's configuration.
_NOT_CONFIG = ("card", "quiet", "force", "resume", "json", "command", "_run")


def model_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Model options of the command line."""
    return {"convention": args.convention, "sfr": args.sfr}


def fixed_nuisances(args: argparse.Namespace, free: Sequence[str]) -> dict[str, float]:
    """Values of the nuisances that are not profiled."""
    return {n: getattr(args, n) for n in NUISANCES if n not in free}


def build_likelihood(args: argparse.Namespace) -> tuple[Any, tuple[str, ...]]:
    """Combined likelihood from ``--likelihood`` (a checked list) and its options."""
    from relicboost import likelihoods

    free = list(getattr(args, "profile", []) or [])
    priors = {k: v for k, v in likelihoods.default_astro_priors().items() if k in free}
    parts = []
    for i, name in enumerate(args.likelihood):
        kw = {"priors": priors if i == 0 else None}
        if name == "skiv":
            parts.append(likelihoods.SKIV(**kw))
        elif name == "skiv-binned":
            parts.append(likelihoods.SKIV(mode="binned", binned_mode=args.binned_mode, **kw))
        elif name == "skgd":
            parts.append(likelihoods.SKGdProjectedLimit(**kw))
        elif name == "borexino":
            parts.append(likelihoods.Borexino(binned_mode=args.binned_mode, **kw))
        else:  # "resnova"; the option type admits no other name
            parts.append(likelihoods.RESNOVA(exposure_ton_yr=args.exposure_ton_yr,
                                             threshold_keV=args.threshold_keV, **kw))
    like = parts[0]
    for p in parts[1:]:
        like = like + p
    return like, tuple(free)


def build_problem(args: argparse.Namespace, like: Any, free: tuple[str, ...]) -> Any:
    """Inference problem (log10 lam and the profiled nuisances) of the command line."""
    from relicboost.inference import problem_for

    return problem_for(like, free=free, fixed=fixed_nuisances(args, free),
                       log10_lam_range=(args.log10_lam_min, args.log10_lam_max), **model_kwargs(args))


def run_config(args: argparse.Namespace) -> dict[str, Any]:
    """The run's configuration: ``command`` and every option; re-runnable with ``--card``."""
    opts = {k: v for k, v in sorted(vars(args).items()) if k not in _NOT_CONFIG}
    return {"command": args.command, **opts}


def prepare_outdir(args: argparse.Namespace) -> Path | None:
    """Check ``--outdir`` before any computation (None when the command writes no directory)."""
    if getattr(args, "outdir", None) is None:
        return None
    resume = getattr(args, "resume", None)
    return check_outdir(args.outdir, force=getattr(args, "force", False), resume=resume)


@contextlib.contextmanager
def output_run(args: argparse.Namespace, keep: Sequence[str] = ()) -> Iterator[RunDirectory | None]:
    """Lock and stage ``--outdir`` for the whole command (yields None without ``--outdir``)."""
    from relicboost.data.references import collect_references

    if getattr(args, "outdir", None) is None:
        yield None
        return
    with collect_references() as refs, staged_run(args.outdir, keep=keep) as run:
        run.references = refs
        yield run


def finish_run(run: RunDirectory, args: argparse.Namespace, result: dict[str, Any], seed: int | None = None,
               convergence: dict[str, Any] | None = None) -> None:
    """Write config.yaml and result.json (with the references the run used) into a staged run."""
    run.write_config(run_config(args))
    run.write_result(result, seed=seed, convergence=convergence, argv=sys.argv,
                     references=["DasPerezGonzalezSen2022", *run.references])
