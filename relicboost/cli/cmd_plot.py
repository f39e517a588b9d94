"""``relicboost plot RUN``: redraw the figure of a run directory from its own files."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from relicboost.io import CONFIG_NAME, RunDirectory, read_result, read_table_csv

from . import options as o
from .figures import RUN_TABLES, draw_run

NAME = "plot"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``plot``."""
    p = subparsers.add_parser(NAME, help="redraw the figure of a limit/scan/forecast/flux run directory")
    o.add_common(p)
    p.add_argument("run", type=Path, help="run directory")
    return p


def run(args: argparse.Namespace) -> int:
    """Redraw ``<kind>.png``/``.pdf`` in place (the figure files are not listed for verification)."""
    path = Path(args.run)
    if not path.is_dir():
        raise o.UsageError(f"RUN {path}: no such directory")
    read_result(path)  # a complete run directory
    config = path / CONFIG_NAME
    command = yaml.safe_load(config.read_text(encoding="utf-8")).get("command") if config.is_file() else None
    kinds = [k for k, (table, _) in RUN_TABLES.items() if (path / table).is_file()]
    kind = command if command in kinds else (kinds[0] if kinds else None)
    if kind is None:
        raise o.UsageError(f"RUN {path}: none of {[t for t, _ in RUN_TABLES.values()]} found; "
                           "give a limit, scan, forecast or flux run directory")
    frame = read_table_csv(path / RUN_TABLES[kind][0])
    written = draw_run(kind, frame, RunDirectory(path))
    print("redrawn: " + ", ".join(str(p) for p in written))
    return 0
