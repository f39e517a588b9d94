"""Input checks shared by the physics modules: clear errors naming the parameter."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike


class ParameterTypeError(TypeError, ValueError):
    """An argument of the wrong type (boolean or string for a number, float for a count).

    A TypeError; also a ValueError so that callers catching bad input as ValueError
    (the command line: one line, exit 2) handle it the same way.
    """


def check_real(name: str, value: ArrayLike) -> None:
    """Raise :class:`ParameterTypeError` unless ``value`` is made of real numbers: booleans, strings (also numeric
    strings such as ``"7.0"``), bytes, None and complex numbers are refused, element-wise for arrays."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise ParameterTypeError(f"{name} must be a finite number, got {type(value).__name__} {value!r}")
    kind = np.asarray(value).dtype.kind
    if kind in "bUSVcM" or (kind == "O" and any(
            isinstance(v, (bool, np.bool_, str, bytes, complex)) or v is None
            for v in np.asarray(value, dtype=object).ravel())):
        raise ParameterTypeError(f"{name} must be finite real number(s), got {value!r}")


def check_number(name: str, value: ArrayLike) -> float:
    """One finite real number as float: :class:`ParameterTypeError` for booleans, strings and
    arrays, ValueError if not finite."""
    check_real(name, value)
    if np.ndim(value) != 0:
        raise ParameterTypeError(f"{name} must be a single number, got an array of shape {np.shape(value)}")
    x = float(value)  # type: ignore[arg-type]
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def check_integer(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """An integer count as int.

    Python and numpy integers are accepted; booleans, strings and floats are a TypeError
    (``n_bins=2.5`` or ``161.0`` is refused rather than silently truncated or converted:
    pass ``int(x)`` explicitly).  ValueError outside [low, high].
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}"
                                 + (f" (pass int({value!r}) explicitly)" if isinstance(value, float)
                                    and float(value).is_integer() else ""))
    n = int(value)
    if (low is not None and n < low) or (high is not None and n > high):
        rng = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise ValueError(f"{name} must be an integer in {rng}, got {n}")
    return n


def check_finite(name: str, value: ArrayLike) -> np.ndarray:
    """Raise :class:`ParameterTypeError` for non-real input (booleans, strings, see :func:`check_real`) and
    ValueError unless every element is finite."""
    check_real(name, value)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a finite number, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def check_positive(name: str, value: ArrayLike, allow_zero: bool = False) -> np.ndarray:
    """Raise ValueError unless ``value`` is finite and > 0 (>= 0 with ``allow_zero``)."""
    arr = check_finite(name, value)
    bad = arr < 0 if allow_zero else arr <= 0
    if np.any(bad):
        rng = "[0, inf)" if allow_zero else "(0, inf)"
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    return arr


def check_choice(name: str, value: str, allowed: Iterable[str]) -> str:
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_scalar_in_range(name: str, value: ArrayLike, low: float, high: float) -> float:
    """Raise ValueError unless ``value`` is one finite number in [low, high]; return it as float."""
    if type(value) is float:  # plain float (the common case in fits): the checks below without numpy
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        x = value
    else:
        arr = check_finite(name, value)
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
        x = float(arr)
    if not (low <= x <= high):
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")
    return x
