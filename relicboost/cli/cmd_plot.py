"""``relicboost plot RUN``: redraw the figures of a run directory from its own files.

The run directory keeps its contract (one run's files, each listed in ``result.json`` with its
SHA-256): the directory is locked while it is redrawn, the files the figures are drawn from must
match their listed SHA-256 (a mixed or edited run is refused), and the redrawn figures are
re-listed in ``result.json`` (with a ``"redrawn"`` record), so ``relicboost export`` and
:func:`relicboost.io.verify_run` accept the directory afterwards.  Figures are byte-identical
to the run's own when nothing changed in the drawing code.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from relicboost.io import (
    CONFIG_NAME,
    RunDirectory,
    RunLock,
    package_version,
    read_result,
    relist_files,
    sha256_file,
)

from . import options as o
from .figures import RUN_TABLES, draw_run

NAME = "plot"
#: Files a sample run's figures are drawn from: emcee (corner + trace) and dynesty (corner) runs.
SAMPLE_INPUTS = ("summary.csv", "chain.h5")
NESTED_INPUTS = ("summary.csv", "posterior.nc")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``plot``."""
    p = subparsers.add_parser(NAME, help="redraw the figures of a limit/scan/forecast/flux/sample run directory")
    o.add_common(p)
    p.add_argument("run", type=Path, help="run directory")
    return p


def run_kind(path: Path) -> str:
    """The kind of run in ``path``: the ``command`` of its config.yaml when its inputs are there, else the
    first kind whose inputs are (UsageError if none)."""
    config = path / CONFIG_NAME
    command = yaml.safe_load(config.read_text(encoding="utf-8")).get("command") if config.is_file() else None
    inputs = {**{k: (table,) for k, (table, _) in RUN_TABLES.items()}, "sample": SAMPLE_INPUTS,
              "nested": NESTED_INPUTS}
    kinds = [k for k, names in inputs.items() if all((path / n).is_file() for n in names)]
    if command == "sample" and "sample" not in kinds and "nested" in kinds:
        return "nested"
    if command in kinds:
        return str(command)
    if not kinds:
        raise o.UsageError(f"RUN {path}: none of {[t for t, _ in RUN_TABLES.values()]} or "
                           f"{' + '.join(SAMPLE_INPUTS)} found; give a limit, scan, forecast, flux or sample run directory")
    return kinds[0]


def _check_inputs(path: Path, listed: dict[str, str], names: tuple[str, ...]) -> None:
    """Refuse to draw from files that are not the run's own (unlisted or changed since the run)."""
    for name in names:
        if listed.get(name) != sha256_file(path / name):
            raise o.UsageError(f"RUN {path}: {name} does not match its SHA-256 in result.json (changed or from "
                               "another run); rerun the command with --force")


def run(args: argparse.Namespace) -> int:
    """Redraw the run's figures in place and re-list them in result.json."""
    path = Path(args.run)
    if not path.is_dir():
        raise o.UsageError(f"RUN {path}: no such directory")
    with RunLock(path, option="RUN"):
        doc = read_result(path)  # a complete run directory
        kind = run_kind(path)
        if kind in ("sample", "nested"):
            from relicboost.inference.posterior_figures import draw_posterior_figures

            inputs = SAMPLE_INPUTS if kind == "sample" else NESTED_INPUTS
            _check_inputs(path, doc.get("files", {}), inputs)
            written = draw_posterior_figures(path, path / SAMPLE_INPUTS[1] if kind == "sample" else None)
        else:
            _check_inputs(path, doc.get("files", {}), (RUN_TABLES[kind][0],))
            written = draw_run(kind, RunDirectory(path))
        relist_files(path, [p.name for p in written],
                     {"by": "relicboost plot", "relicboost": package_version(), "files": [p.name for p in written]})
    print("redrawn: " + ", ".join(str(p) for p in written))
    return 0
