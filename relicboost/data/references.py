"""BibTeX references of the shipped tables and the record of which sources a run used.

References
----------
:func:`used_references` lists the BibTeX keys of every table loaded (or
reference registered with :func:`register_reference`) in this process;
:func:`bibtex_for` returns the BibTeX text of given keys, :func:`used_bibtex`
that of all used ones (what ``relicboost bib`` prints).  :func:`collect_references`
gathers the keys used inside a ``with`` block (what a run records), and functions
decorated with :func:`cached_loader` re-report the keys of their tables on every call,
cache hits included, so no list misses a source because a table came from a cache.
"""
from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

DATA_DIR: Path = Path(__file__).resolve().parent
BIB_FILE: Path = DATA_DIR / "references.bib"

#: BibTeX keys used in this process, in first-use order (dict as ordered set).
_USED: dict[str, None] = {}
#: Open :func:`collect_references` scopes (innermost last); each records the keys used inside it.
_COLLECTORS: list[dict[str, None]] = []
_F = TypeVar("_F", bound=Callable[..., Any])


def record_used(keys: Iterable[str]) -> None:
    """Add BibTeX keys to the process record and to every open :func:`collect_references` scope."""
    for k in keys:
        _USED.setdefault(k, None)
        for scope in _COLLECTORS:
            scope.setdefault(k, None)


@contextlib.contextmanager
def collect_references() -> Iterator[dict[str, None]]:
    """Collect the BibTeX keys of every table loaded or reference registered inside the block.

    Yields an insertion-ordered dict (used as a set) that fills while the block runs;
    independent of :func:`reset_used_references`.
    """
    scope: dict[str, None] = {}
    _COLLECTORS.append(scope)
    try:
        yield scope
    finally:
        _COLLECTORS.remove(scope)


def cached_loader(maxsize: int) -> Callable[[_F], _F]:
    """``functools.lru_cache`` that re-reports the references of the tables behind a cached value.

    Use it instead of ``lru_cache`` on any function that loads tables, so that
    :func:`used_references` and :func:`collect_references` see the sources on cache hits too.
    """
    def decorate(func: _F) -> _F:
        @lru_cache(maxsize=maxsize)
        def cached(*args: Any, **kwargs: Any) -> tuple[Any, tuple[str, ...]]:
            with collect_references() as keys:
                value = func(*args, **kwargs)
            return value, tuple(keys)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value, keys = cached(*args, **kwargs)
            record_used(keys)
            return value

        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


@lru_cache(maxsize=1)
def _bib_entries_cached(mtime: float) -> dict[str, str]:
    text = BIB_FILE.read_text(encoding="utf-8")
    entries: dict[str, str] = {}
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,", text):
        depth, i = 0, text.index("{", m.start())
        while i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        if depth != 0:
            raise ValueError(f"{BIB_FILE.name}: unbalanced braces in entry '{m.group(1)}'")
        key = m.group(1)
        if key in entries:
            raise ValueError(f"{BIB_FILE.name}: duplicate entry '{key}'")
        entries[key] = text[m.start(): i + 1]
    return entries


def bib_entries() -> dict[str, str]:
    """BibTeX key -> entry text of ``references.bib`` (re-read when the file changes)."""
    return _bib_entries_cached(BIB_FILE.stat().st_mtime)


def register_reference(*keys: str) -> None:
    """Record BibTeX keys as used by this process (for sources not read via a table).

    Raises
    ------
    ValueError
        If a key is not in ``references.bib``.
    """
    known = bib_entries()
    for k in keys:
        if k not in known:
            raise ValueError(f"key={k!r} not found in {BIB_FILE.name}")
    record_used(keys)


def used_references() -> list[str]:
    """BibTeX keys of every table loaded or reference registered in this process, first use first."""
    return list(_USED)


def reset_used_references() -> None:
    """Forget the recorded keys (for tests and for starting a new run in one process)."""
    _USED.clear()


def bibtex_for(keys: Iterable[str]) -> str:
    """BibTeX text of the given keys, in the order given, separated by blank lines.

    Raises
    ------
    ValueError
        If a key is not in ``references.bib``.
    """
    entries = bib_entries()
    out = []
    for k in dict.fromkeys(keys):
        if k not in entries:
            raise ValueError(f"key={k!r} not found in {BIB_FILE.name}; known: {sorted(entries)}")
        out.append(entries[k])
    return "\n\n".join(out) + ("\n" if out else "")


def used_bibtex() -> str:
    """BibTeX of every source used in this process (what ``relicboost bib`` prints)."""
    return bibtex_for(used_references())
