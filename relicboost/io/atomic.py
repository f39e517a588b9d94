"""Atomic file writes: every file goes to a temporary name in its directory, then ``os.replace``.

A reader never sees a partial file under the final name, and a failed write leaves
no stray temporary file.  Every file is created with mode 0644 (``FILE_MODE``).
Temporary names follow one pattern, ``.<name>.<random>.tmp``, so a run directory's
owner can recognise and remove the leftovers of a killed process
(:func:`stale_temporaries`).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Permission bits of every file relicboost writes.
FILE_MODE = 0o644
#: savefig metadata that keeps figures byte-identical between reruns (no creation date).
REPRODUCIBLE_METADATA: dict[str, dict[str, Any]] = {"pdf": {"CreationDate": None}, "png": {}, "svg": {"Date": None}}


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The temporary file is removed if the block raises.  The final file has mode 0644.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def stale_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Temporary files and staging folders (``.*.tmp``) left in ``directory`` by killed writers.

    Only call this while holding the directory's :class:`~relicboost.io.rundir.RunLock`:
    then no live writer owns them.
    """
    return sorted(Path(directory).glob(".*.tmp"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, sort_keys: bool = True) -> Path:
    """Write a JSON document atomically (indent 2, no NaN: convert with :func:`to_builtin` first)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=sort_keys, default=str) + "\n")


def atomic_write_yaml(path: str | os.PathLike, obj: Mapping) -> Path:
    """Write a YAML mapping atomically (``yaml.safe_dump``, keys in the given order)."""
    return atomic_write_text(path, yaml.safe_dump(dict(obj), sort_keys=False, default_flow_style=False))


def atomic_write_csv(path: str | os.PathLike, frame: pd.DataFrame, header_lines: list[str] | None = None,
                     float_format: str | None = "%.6g") -> Path:
    """Write a DataFrame as CSV with ``# `` header comment lines, atomically.

    For tables with units, C.L. and provenance checks use :func:`relicboost.io.table_csv`.
    """
    head = "".join(f"# {line}\n" for line in (header_lines or []))
    return atomic_write_text(path, head + frame.to_csv(index=False, float_format=float_format,
                                                       lineterminator="\n"))


def atomic_savefig(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> Path:
    """Save a matplotlib figure atomically (format from the suffix), without a creation date.

    Works with a bare :class:`matplotlib.figure.Figure` (no pyplot, no backend selection).  The
    figure's label footnote (:func:`relicboost.io.figure_labels.label_figure`) is written into the
    file metadata as well.
    """
    from .figure_labels import label_metadata

    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    metadata = {**REPRODUCIBLE_METADATA.get(fmt, {}), **label_metadata(fig, fmt)}
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    return path


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
