"""``relicboost reproduce``: the paper's figures and numbers, SK-IV limits, RES-NOVA forecasts."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from relicboost.io import check_outdir

from . import options as o

NAME = "reproduce"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``reproduce``."""
    p = subparsers.add_parser(NAME, help="paper figures 1-6, quoted numbers, SK-IV limits, RES-NOVA forecasts")
    o.add_common(p)
    p.add_argument("--outdir", default="results", help="output folder (files of the same names are replaced)")
    return p


def run(args: argparse.Namespace) -> int:
    """Run every step of :mod:`relicboost.results.reproduce` into ``--outdir``."""
    from relicboost.results.reproduce import reproduce

    outdir = check_outdir(args.outdir, force=True)
    written = reproduce(Path(outdir), progress=not args.quiet)
    print(f"wrote {len(written)} files into {outdir}")
    return 0
