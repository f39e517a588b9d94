"""``relicboost export``: HEPData submission of a run directory's contours.csv."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from relicboost.io import (
    RESULT_NAME,
    RunDirectory,
    RunLock,
    atomic_write_text,
    read_table_csv,
    verify_run,
)

from . import options as o

NAME = "export"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``export``."""
    p = subparsers.add_parser(NAME, help="HEPData submission from a run directory's contours.csv")
    o.add_common(p)
    p.add_argument("--run", required=True, type=Path, help="run directory of `relicboost limit --outdir`")
    p.add_argument("--comment", default="relicboost exclusion contours", help="submission comment")
    return p


def run(args: argparse.Namespace) -> int:
    """Verify the run against its result.json, write hepdata/ and the tarball, update the file list."""
    from relicboost.inference.export import contour_hepdata_tables, write_hepdata

    o.require_extra(("hepdata_lib", "hepdata_validator"), "hepdata", "export")
    run_dir = Path(args.run)
    if not run_dir.is_dir():
        raise o.UsageError(f"--run {run_dir}: no such directory")
    with RunLock(run_dir, option="--run"):
        doc = verify_run(run_dir)
        src = run_dir / "contours.csv"
        if not src.is_file():
            raise o.UsageError(f"--run {run_dir}: no contours.csv (run `relicboost limit --outdir {run_dir}` first)")
        frame = read_table_csv(src)
        rd = RunDirectory(run_dir)
        folder = write_hepdata(rd, contour_hepdata_tables(frame), comment=args.comment)
        files = {k: v for k, v in doc.get("files", {}).items() if not k.startswith("hepdata")}
        files.update(rd.file_hashes(run_dir, [p.name for p in rd.written]))
        doc["files"] = dict(sorted(files.items()))
        atomic_write_text(run_dir / RESULT_NAME, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    print(f"HEPData submission written: {folder}")
    return 0
