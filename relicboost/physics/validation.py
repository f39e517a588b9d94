"""Input checks shared by the physics modules: clear errors naming the parameter."""
from __future__ import annotations

from typing import Iterable

import numpy as np


def check_finite(name: str, value) -> np.ndarray:
    """Raise ValueError unless every element of ``value`` is finite."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def check_positive(name: str, value, allow_zero: bool = False) -> np.ndarray:
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
