"""Atomic writers for the paper outputs, built on :mod:`relicboost.inference.export`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relicboost.inference.export import atomic_path, atomic_write_text

__all__ = ["atomic_write_text", "atomic_write_csv", "atomic_write_json", "atomic_savefig"]


def atomic_write_csv(path: Path, frame, header_lines: list[str] | None = None) -> Path:
    """Write a pandas DataFrame as CSV with optional ``# `` header comment lines, atomically."""
    head = "".join(f"# {line}\n" for line in (header_lines or []))
    return atomic_write_text(path, head + frame.to_csv(index=False, float_format="%.6g"))


def atomic_write_json(path: Path, obj: Any) -> Path:
    """Write a JSON document atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def atomic_savefig(fig, path: Path) -> Path:
    """Save a matplotlib figure atomically (format from the suffix of ``path``)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."), bbox_inches="tight", dpi=150)
    return path
