"""``relicboost bib``: BibTeX of the sources a likelihood (or every shipped table) uses."""
from __future__ import annotations

import argparse
from typing import Any

from . import options as o
from .runs import build_likelihood

NAME = "bib"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``bib``."""
    p = subparsers.add_parser(NAME, help="BibTeX of the sources used")
    o.add_common(p)
    o.add_likelihood_options(p)
    p.add_argument("--all", action="store_true", help="every shipped table instead of the likelihood's sources")
    return p


def run(args: argparse.Namespace) -> int:
    """Print the BibTeX entries (the paper first)."""
    from relicboost.data.loader import list_tables, load_table
    from relicboost.data.references import bibtex_for, collect_references

    with collect_references() as keys:
        if args.all:
            for name in list_tables():
                load_table(name)
        else:
            build_likelihood(args)
    from relicboost.data.provenance import to_confirm_report

    print(bibtex_for(["DasPerezGonzalezSen2022", *sorted(keys)]), end="")
    print(to_confirm_report(bibkeys=None if args.all else sorted(keys)), end="")
    return 0
