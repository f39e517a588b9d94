"""Typed conversion of single table cells (``DataFrame.itertuples`` rows).

pandas-stubs type a cell as a broad union (dates, intervals, NA, ...); these helpers turn
a cell of a numeric or text column into the plain Python type, with a TypeError naming
the value otherwise.
"""
from __future__ import annotations

from typing import SupportsFloat, SupportsInt


def cell_float(value: object) -> float:
    """A cell of a numeric column as float."""
    if isinstance(value, (str, SupportsFloat)):
        return float(value)
    raise TypeError(f"table cell {value!r} is not a number")


def cell_int(value: object) -> int:
    """A cell of an integer column as int (truncating, like ``int()``)."""
    if isinstance(value, (str, SupportsInt)):
        return int(value)
    raise TypeError(f"table cell {value!r} is not an integer")


def cell_str(value: object) -> str:
    """A cell of a text column as str."""
    if isinstance(value, str):
        return value
    raise TypeError(f"table cell {value!r} is not text")
