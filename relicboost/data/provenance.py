"""Which shipped values are still to be confirmed against their primary source.

Every table in :mod:`relicboost.data` carries a header ``status`` (``verified`` or
``to-confirm``), optionally a per-row ``status`` column, and an optional header
``origin`` saying how the numbers were obtained (``table``, ``text``, or
``figure`` when read off a plot).  :func:`to_confirm_report` turns these into the
comment block that ``relicboost bib`` prints after the BibTeX entries.

Reading headers here does not record references as used
(:func:`relicboost.data.loader.used_references` is unchanged).
"""
from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd

from .loader import DATA_DIR, _parse_header, list_tables


def _read_raw(stem: str) -> tuple[dict[str, str], pd.DataFrame]:
    path = DATA_DIR / f"{stem}.csv"
    if not path.is_file():
        raise ValueError(f"name={stem!r}: no such table; available: {list_tables()}")
    lines = path.read_text(encoding="utf-8").splitlines()
    n_header = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    header = _parse_header(lines[:n_header], path.name)
    return header, pd.read_csv(io.StringIO("\n".join(lines[n_header:])), skipinitialspace=True)


def to_confirm_entries(names: Iterable[str] | None = None,
                       bibkeys: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Tables (and rows) whose values are not yet verified against the primary source.

    Parameters
    ----------
    names : iterable of str, optional
        Table names (file stems, ``.csv`` allowed); default all shipped tables.
    bibkeys : iterable of str, optional
        Keep only tables citing at least one of these BibTeX keys (e.g.
        :func:`relicboost.data.used_references` of a run); default no filter.

    Returns
    -------
    list of dict
        One entry per table with header status ``to-confirm``: ``table`` (name),
        ``rows`` (first-column values of the rows whose own status is ``to-confirm``,
        comma separated, or ``"all"`` without a status column), ``origin`` (header
        ``origin``; ``""`` if absent) and ``title``.
    """
    keep = None if bibkeys is None else set(bibkeys)
    out = []
    for name in (list_tables() if names is None else list(names)):
        stem = name.removesuffix(".csv")
        header, df = _read_raw(stem)
        if header.get("status") != "to-confirm":
            continue
        if keep is not None and not keep & {k.strip() for k in header.get("bibkey", "").split(",")}:
            continue
        if "status" in df.columns:
            pending = df[df["status"].astype(str).str.strip() == "to-confirm"]
            rows = ", ".join(str(v) for v in pending[df.columns[0]])
        else:
            rows = "all"
        out.append({"table": stem, "rows": rows, "origin": header.get("origin", ""),
                    "title": header.get("title", "")})
    return out


def to_confirm_report(names: Iterable[str] | None = None, bibkeys: Iterable[str] | None = None) -> str:
    """Comment lines (``% ...``, valid BibTeX) listing every value still to confirm.

    Parameters are as in :func:`to_confirm_entries`; returns ``""`` if everything is verified.
    """
    entries = to_confirm_entries(names, bibkeys)
    if not entries:
        return ""
    lines = ["% Values not yet verified against the primary source (status to-confirm;",
             "% origin 'figure' = transcribed from a figure). See the header of each table in relicboost/data/."]
    for e in entries:
        rows = "" if e["rows"] == "all" else f" (rows {e['rows']})"
        origin = f" [origin: {e['origin']}]" if e["origin"] else ""
        lines.append(f"%   {e['table']}{rows}{origin}: {e['title']}")
    return "\n".join(lines) + "\n"
