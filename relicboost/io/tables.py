"""CSV tables with units in the column names and metadata (C.L., provenance) as header lines.

A table is a :class:`pandas.DataFrame` whose column names end with their unit
(``lam_upper_MeV-3``, ``flux_cm-2_s-1_MeV-1``); its ``attrs`` (e.g. ``CL``,
``m_nu_eV``) and extra metadata become ``# key: value`` lines above the header.
:func:`read_table_csv` reads such a file back, metadata into ``attrs``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .provenance import package_version

_UNIT_TOKEN = r"(?:MeV|keV|GeV|eV|cm|erg|ton|kton|yr|s|K|Mpc|sr)(?:-?\d+)?"
_UNIT_RE = re.compile(rf"^(?P<name>.+?)_(?P<unit>{_UNIT_TOKEN}(?:_{_UNIT_TOKEN})*)$")
_META_RE = re.compile(r"^#\s*(?P<key>[A-Za-z_][\w.-]*)\s*:\s*(?P<value>.*)$")
#: Column that explains rows whose numbers are not finite ("not excluded ...").
STATUS_COLUMN = "status"


def split_unit(column: str) -> tuple[str, str]:
    """Split a column name into (quantity, unit) by the project's naming rule.

    ``"lam_upper_MeV-3"`` -> ``("lam_upper", "MeV^-3")``;
    ``"flux_cm-2_s-1_MeV-1"`` -> ``("flux", "cm^-2 s^-1 MeV^-1")``;
    a name without a unit suffix (dimensionless) -> ``(column, "")``.
    """
    m = _UNIT_RE.match(column)
    if not m:
        return column, ""
    unit = " ".join(re.sub(r"(-?\d+)$", r"^\1", tok) for tok in m["unit"].split("_"))
    return m["name"], unit


def _format_meta(value: object) -> str:
    if isinstance(value, float) and 0.0 < value < 1.0 and round(value, 2) == value:
        return f"{value:.2f}"  # confidence levels: "0.90"
    return str(value)


def table_csv(frame: pd.DataFrame, metadata: Mapping | None = None) -> str:
    """Render a table as CSV text with ``# key: value`` header lines.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table with units in the column names (``M_MeV``, ``lam_upper_MeV-3``).
    metadata : mapping, optional
        Extra header entries; merged over ``frame.attrs``.

    Raises
    ------
    ValueError
        If a numeric column holds NaN or inf and the table has no ``status`` column
        saying why (with one, non-finite values are written as empty fields), or if a
        column reports a limit or an exclusion (name containing ``upper``, ``lower``
        or ``excluded``) but no ``CL`` is given in the metadata or in a column name.
    """
    meta = {**frame.attrs, **(metadata or {})}
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            finite = np.isfinite(values.to_numpy(dtype=float))
            if not finite.all():
                if STATUS_COLUMN not in out.columns:
                    raise ValueError(f"column {col!r} holds NaN or inf and the table has no "
                                     f"{STATUS_COLUMN!r} column; refusing to write it")
                out[col] = values.where(finite, np.nan)
    needs_cl = any(re.search(r"upper|lower|excluded", str(c)) for c in out.columns)
    has_cl = "CL" in meta or any("CL" in str(c) for c in out.columns)
    if needs_cl and not has_cl:
        raise ValueError("a table with limits needs the confidence level: give metadata CL in (0, 1)")
    if "CL" in meta and not (0.0 < float(meta["CL"]) < 1.0):
        raise ValueError(f"metadata CL must be in (0, 1), got {meta['CL']!r}")
    header = [f"# relicboost {package_version()}"]
    header += [f"# {k}: {_format_meta(v)}" for k, v in meta.items()]
    return "\n".join(header) + "\n" + out.to_csv(index=False, lineterminator="\n", na_rep="")


def _meta_value(text: str) -> object:
    try:
        return float(text) if re.fullmatch(r"[-+]?[\d.]+(?:[eE][-+]?\d+)?", text) else text
    except ValueError:
        return text


def read_table_header(path: str | Path) -> dict[str, object]:
    """The ``# key: value`` lines above a CSV table (numbers as floats)."""
    attrs: dict[str, object] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            m = _META_RE.match(line.strip())
            if m:
                attrs[m["key"]] = _meta_value(m["value"].strip())
    return attrs


def read_table_csv(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`table_csv`; ``# key: value`` lines go into ``attrs``."""
    frame = pd.read_csv(path, comment="#")
    frame.attrs.update(read_table_header(path))
    return frame
