"""Input checks shared by the physics modules: clear errors naming the parameter."""
from __future__ import annotations

from typing import Iterable

import numpy as np
from numpy.typing import ArrayLike


def check_finite(name: str, value: ArrayLike) -> np.ndarray:
    """Raise ValueError unless ``value`` is numeric and every element is finite."""
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
    arr = check_finite(name, value)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    x = float(arr)
    if not (low <= x <= high):
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")
    return x
