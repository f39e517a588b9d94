"""Load the published tables shipped in :mod:`relicboost.data`, with provenance.

Every table is a CSV file in this folder with a block of ``#`` header lines in
front of an ordinary comma-separated table.  The header says where every number
comes from, and :func:`load_table` validates the table against it.

Header format
-------------
Each header line is ``# key: value`` (exactly one space after ``#``).  A line
starting with ``#`` followed by two or more spaces continues the value of the
previous key.  Keys are case-sensitive.

Required keys

``title``
    One line saying what the table is.
``source``
    Authors, journal, arXiv number and the table or figure the numbers come from.
``bibkey``
    Comma-separated keys of entries in ``references.bib`` (this folder); every
    key must exist there.  Loading the table records them, see
    :func:`used_references`.
``status``
    ``verified`` (read in the cited source, or two independent transcriptions
    agree) or ``to-confirm`` (not yet checked against the primary source), as
    in ``PHYSICS-INPUTS.md``.  A table may also carry a ``status`` column with
    the same two values per row.

Optional keys (free text unless stated)

``kind``
    e.g. ``measurement``, ``forecast``, ``detector``, ``spectrum``.
``species``, ``units``, ``notes``
    Free text.  Units must also be in the column names (``limit_cm-2_s-1_MeV-1``).
``cl``
    Confidence level as a fraction (``0.90``); stored as a float.
``required_columns``
    Comma-separated column names that must be present.
``nonnegative``
    Comma-separated numeric columns whose values must be finite and >= 0.
``bins``
    ``low_column, high_column``: bins must have high > low, be sorted and not
    overlap (low[i+1] >= high[i]).
``increasing``
    Comma-separated numeric columns that must be strictly increasing
    (e.g. the energy column of a spectrum).

Any other key is kept as a string.  All numeric columns must be finite.

Example::

    # title: Super-Kamiokande IV per-bin limits
    # source: K. Abe et al., Phys. Rev. D 104 (2021) 122002, arXiv:2109.11174, Fig. 25
    # bibkey: Abe2021SKDSNB
    # status: verified
    # cl: 0.90
    # required_columns: E_low_MeV, E_high_MeV, limit_cm-2_s-1_MeV-1
    # bins: E_low_MeV, E_high_MeV
    E_low_MeV,E_high_MeV,limit_cm-2_s-1_MeV-1
    9.3,11.3,37.1

A failing table raises :class:`ValueError` naming the file, and the row (1-based
data row and file line) where applicable.

BibTeX keys and the record of used sources live in :mod:`relicboost.data.references`.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .references import BIB_FILE, DATA_DIR, bib_entries, record_used

REQUIRED_KEYS: tuple[str, ...] = ("title", "source", "bibkey", "status")
STATUS_VALUES: frozenset[str] = frozenset({"verified", "to-confirm"})

_KEY_LINE = re.compile(r"^# ([A-Za-z_][A-Za-z0-9_\-]*)\s*:\s?(.*)$")
_CONT_LINE = re.compile(r"^#  +(.*)$")




def _split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _parse_header(lines: list[str], fname: str) -> dict[str, str]:
    header: dict[str, str] = {}
    last: str | None = None
    for i, line in enumerate(lines, start=1):
        m = _KEY_LINE.match(line)
        if m:
            last = m.group(1)
            if last in header:
                raise ValueError(f"{fname}: header key '{last}' repeated (line {i})")
            header[last] = m.group(2).strip()
            continue
        m = _CONT_LINE.match(line)
        if m and last is not None:
            header[last] = (header[last] + " " + m.group(1).strip()).strip()
            continue
        if line.strip() == "#":
            continue
        raise ValueError(
            f"{fname}: header line {i} is neither '# key: value' nor a continuation "
            f"('#' + two spaces): {line!r}"
        )
    return header


def _row_msg(fname: str, row: int, n_header: int) -> str:
    """Location string for data row ``row`` (0-based)."""
    return f"{fname}, row {row + 1} (line {n_header + 2 + row})"


def _check_table(df: pd.DataFrame, header: dict[str, str], fname: str, n_header: int,
                 required_columns: Iterable[str]) -> None:
    required = list(dict.fromkeys([*_split_list(header.get("required_columns", "")),
                                   *required_columns]))
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{fname}: missing column(s) {missing}; present: {list(df.columns)}")
    if len(df) == 0:
        raise ValueError(f"{fname}: table has no data rows")

    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    for c in numeric:
        bad = ~np.isfinite(df[c].to_numpy(dtype=float))
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{_row_msg(fname, r, n_header)}: column '{c}' is not a finite number")

    def numeric_col(c: str, what: str) -> np.ndarray:
        if c not in df.columns:
            raise ValueError(f"{fname}: header '{what}' names unknown column '{c}'")
        if c not in numeric:
            raise ValueError(f"{fname}: column '{c}' ({what}) is not numeric: {df[c].tolist()}")
        return df[c].to_numpy(dtype=float)

    for c in _split_list(header.get("nonnegative", "")):
        v = numeric_col(c, "nonnegative")
        if (v < 0).any():
            r = int(np.flatnonzero(v < 0)[0])
            raise ValueError(f"{_row_msg(fname, r, n_header)}: column '{c}' is negative ({v[r]})")

    for c in _split_list(header.get("increasing", "")):
        v = numeric_col(c, "increasing")
        bad = np.flatnonzero(np.diff(v) <= 0)
        if bad.size:
            r = int(bad[0]) + 1
            raise ValueError(f"{_row_msg(fname, r, n_header)}: column '{c}' not strictly increasing "
                             f"({v[r - 1]} then {v[r]})")

    if "bins" in header:
        cols = _split_list(header["bins"])
        if len(cols) != 2:
            raise ValueError(f"{fname}: header 'bins' must name two columns (low, high), got {cols}")
        lo, hi = numeric_col(cols[0], "bins"), numeric_col(cols[1], "bins")
        bad = np.flatnonzero(hi <= lo)
        if bad.size:
            r = int(bad[0])
            raise ValueError(f"{_row_msg(fname, r, n_header)}: empty or inverted bin "
                             f"[{lo[r]}, {hi[r]}]")
        bad = np.flatnonzero(lo[1:] < hi[:-1])
        if bad.size:
            r = int(bad[0]) + 1
            raise ValueError(f"{_row_msg(fname, r, n_header)}: bins unsorted or overlapping "
                             f"([{lo[r - 1]}, {hi[r - 1]}] then [{lo[r]}, {hi[r]}])")

    if "status" in df.columns:
        bad = ~df["status"].isin(STATUS_VALUES)
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{_row_msg(fname, r, n_header)}: status {df['status'].iloc[r]!r} "
                             f"not in {sorted(STATUS_VALUES)}")


def read_table(path: str | Path, required_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read and validate one provenance-headed CSV file (any path).

    Parameters
    ----------
    path
        CSV file with the header block described in the module docstring.
    required_columns
        Columns the caller needs in addition to the header's ``required_columns``.

    Returns
    -------
    pandas.DataFrame
        The table; ``df.attrs`` holds the header (strings; ``cl`` as float,
        ``bibkeys`` as a list) plus ``file`` (absolute path) and ``name``.

    Raises
    ------
    ValueError
        If the header or the table fails validation (message names file and row).
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    fname = path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    n_header = 0
    while n_header < len(lines) and lines[n_header].startswith("#"):
        n_header += 1
    header = _parse_header(lines[:n_header], fname)
    missing = [k for k in REQUIRED_KEYS if not header.get(k)]
    if missing:
        raise ValueError(f"{fname}: header lacks required key(s) {missing}")
    if header["status"] not in STATUS_VALUES:
        raise ValueError(f"{fname}: header status {header['status']!r} not in {sorted(STATUS_VALUES)}")
    body = "\n".join(lines[n_header:])
    if not body.strip():
        raise ValueError(f"{fname}: no column-name line after the header")
    df = pd.read_csv(io.StringIO(body), skipinitialspace=True)
    df.columns = [str(c).strip() for c in df.columns]
    _check_table(df, header, fname, n_header, required_columns)

    bibkeys = _split_list(header["bibkey"])
    known = bib_entries()
    unknown = [k for k in bibkeys if k not in known]
    if unknown:
        raise ValueError(f"{fname}: bibkey(s) {unknown} not found in {BIB_FILE.name}")

    attrs: dict[str, object] = dict(header)
    attrs["bibkeys"] = bibkeys
    if "cl" in header:
        try:
            cl = float(header["cl"])
        except ValueError as exc:
            raise ValueError(f"{fname}: header cl={header['cl']!r} is not a number") from exc
        if not 0.0 < cl < 1.0:
            raise ValueError(f"{fname}: header cl={cl} must be a fraction in (0, 1)")
        attrs["cl"] = cl
    attrs["file"] = str(path.resolve())
    attrs["name"] = path.stem
    df.attrs.update(attrs)
    record_used(bibkeys)
    return df


def load_table(name: str, required_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Load a shipped table by name (file stem or file name in :data:`DATA_DIR`).

    Parameters
    ----------
    name
        e.g. ``"sk4_binned_limits"`` or ``"sk4_binned_limits.csv"``; see :func:`list_tables`.
    required_columns
        Columns the caller needs; a missing one raises ``ValueError``.

    Returns
    -------
    pandas.DataFrame
        Validated table with units in the column names and provenance in ``df.attrs``.
        Its BibTeX keys are recorded in the process-wide list :func:`used_references`.
    """
    stem = name.removesuffix(".csv")
    path = DATA_DIR / f"{stem}.csv"
    if not path.is_file():
        raise ValueError(f"name={name!r}: no such table; available: {list_tables()}")
    return read_table(path, required_columns)


def list_tables() -> list[str]:
    """Names (file stems) of all CSV tables shipped in :data:`DATA_DIR`."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv"))
