"""Opt-in process-level allocator tuning (never applied unless asked for).

Background.  glibc serves blocks above its mmap threshold (128 kB by default) with fresh
``mmap`` pages and returns them on ``free``.  ``Model.predict`` no longer creates such
temporaries (its propagator works on per-instance buffers), so the default allocator is
fast; a host program that still benefits from keeping large freed blocks on the heap can
opt in, for the whole process, in one of two explicit ways:

* call :func:`relicboost.tune_allocator` once, or
* set the environment variable ``RELICBOOST_MALLOPT`` to a true-ish value (``1``, ``true``,
  ``yes``, ``on``; case-insensitive) before the first :class:`relicboost.Model` is built.
  Any other value (``0``, ``false``, empty, ...) leaves the allocator untouched.

The tuning raises glibc's mmap and trim thresholds (``mallopt``): freed blocks are reused
instead of unmapped, at the cost that up to ``trim_threshold`` bytes of freed heap may stay
reserved by the process.  It cannot be undone, only touches glibc on Linux and never fails.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Values of RELICBOOST_MALLOPT that opt in (compared lower-case, stripped).
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
_APPLIED = False


def allocator_opt_in_requested() -> bool:
    """True if the environment variable RELICBOOST_MALLOPT holds a true-ish value."""
    return os.environ.get("RELICBOOST_MALLOPT", "").strip().lower() in TRUE_VALUES


def tune_allocator(mmap_threshold: int = 16 * 2**20, trim_threshold: int = 128 * 2**20) -> bool:
    """Raise glibc's mmap/trim thresholds (bytes) for the whole process (explicit opt-in).

    Parameters
    ----------
    mmap_threshold : int
        Blocks below this size (bytes) are served from the heap (glibc default 128 kB).
    trim_threshold : int
        Free heap (bytes) kept before memory is returned to the system.

    Returns
    -------
    bool
        True if applied now or by an earlier call; False off glibc/Linux or if mallopt refused.
    """
    global _APPLIED
    if _APPLIED:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
        ok &= libc.mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1
    except (OSError, AttributeError):
        return False
    _APPLIED = bool(ok)
    return _APPLIED


def apply_requested_tuning() -> bool:
    """Apply :func:`tune_allocator` only if RELICBOOST_MALLOPT opts in; returns whether it is active."""
    return tune_allocator() if allocator_opt_in_requested() else _APPLIED
