"""Published tables (CSV with a provenance header) and their BibTeX references.

See :mod:`relicboost.data.loader` for the header format and :mod:`relicboost.data.references`
for the BibTeX record of used sources.  This package imports
nothing else from relicboost.
"""
from relicboost.data.loader import DATA_DIR, list_tables, load_table, read_table
from relicboost.data.references import (
    bibtex_for,
    cached_loader,
    collect_references,
    register_reference,
    reset_used_references,
    used_bibtex,
    used_references,
)

__all__ = [
    "DATA_DIR",
    "bibtex_for",
    "cached_loader",
    "collect_references",
    "list_tables",
    "load_table",
    "read_table",
    "register_reference",
    "reset_used_references",
    "used_bibtex",
    "used_references",
]
