"""Expected exclusion of the DSNB detectors in the consistent-convention (g, M) plane.

Written by the ``(g, M) consistent`` step of ``relicboost reproduce`` from the scan tables it has
already computed (no new predictions; :func:`relicboost.inference.gm_exclusion.exclusion_frame`):

* ``gm_detector_exclusion_{scalar,vector}.csv`` — per grid point and detector case (SK-Gd 10 yr,
  JUNO 20 yr, Hyper-K with Gd 10 yr, DUNE 20 yr): the Asimov statistic q (null = standard DSNB +
  backgrounds at g = 0, full prediction tested, rate normalisation profiled; also with nuisances
  fixed), the expected 90% C.L. exclusion flag (median and at the +-1, +-2 sigma band edges), the
  perturbativity and heavy-limit flags;
* ``gm_detector_exclusion_lowest_g.csv`` — per mass and case, the smallest excluded coupling
  (one limit engine, :func:`relicboost.inference.crossing.lowest_crossing`);
* the excluded regions (q above threshold) of the four detectors drawn over the SK-window
  flux-ratio map of ``gm_consistent.{png,pdf}`` (one panel per mediator; :func:`draw_exclusion`).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relicboost.inference.gm_exclusion import CASES, METHOD, exclusion_frame, lowest_excluded_couplings
from relicboost.io import atomic_write_csv
from relicboost.io.figure_labels import figure_label

CL: float = 0.90
COLOURS: dict[str, str] = {"skgd": "black", "juno": "tab:red", "hyperk_gd": "magenta", "dune": "tab:cyan"}


def _header(attrs: Mapping[str, object]) -> list[str]:
    return [f"{k}: {json.dumps(v, sort_keys=True)}" for k, v in attrs.items()]


def write_exclusion_tables(outdir: Path, tables: Mapping[str, pd.DataFrame],
                           stem: str = "gm_detector_exclusion") -> tuple[dict[str, pd.DataFrame], list[Path]]:
    """Exclusion tables of the detectors from the scan tables per mediator (no new predictions).

    Parameters
    ----------
    outdir : Path
    tables : mapping
        Mediator -> scan table (with its header in ``attrs``, carrying the detector counts).
    stem : str
        File names ``<stem>_<mediator>.csv`` and ``<stem>_lowest_g.csv``.

    Returns
    -------
    (dict, list of Path)
        Mediator -> exclusion frame (:func:`relicboost.inference.gm_exclusion.exclusion_frame`), files written.
    """
    outdir = Path(outdir)
    frames, written, lowest = {}, [], []
    for med, table in tables.items():
        frame = frames[med] = exclusion_frame(table, CASES, CL)
        written.append(atomic_write_csv(outdir / f"{stem}_{med}.csv", frame, _header(frame.attrs),
                                        float_format="%.8g"))
        low = lowest_excluded_couplings(frame)
        low.insert(0, "mediator", med)
        lowest.append(low)
    attrs = next(iter(frames.values())).attrs
    head = ["table: smallest expected-excluded coupling g per mass (q interpolated linearly in log10 g between grid "
            "points; status from relicboost.inference.crossing.lowest_crossing; NaN = nothing excluded; status 'f >= 0 "
            "already at the first grid point' = excluded at the lowest grid g, an upper bound); M in MeV",
            f"convention: {attrs['convention']}", f"method: {METHOD}", f"statistic: {attrs['statistic']}",
            f"CL: {CL}", f"null: {attrs['null']}"]
    written.append(atomic_write_csv(outdir / f"{stem}_lowest_g.csv", pd.concat(lowest, ignore_index=True),
                                    head, float_format="%.6g"))
    return frames, written


def draw_exclusion(ax: Any, frame: pd.DataFrame) -> None:
    """Excluded regions (q >= threshold: line and light shading) of every case of ``frame`` on ``ax``
    (log axes in M [MeV] and g)."""
    thr = float(frame.attrs["threshold_q"])
    g, M = np.unique(frame["g"].to_numpy(float)), np.unique(frame["M_MeV"].to_numpy(float))
    for case in dict.fromkeys(frame["case"]):
        sub = frame[frame["case"] == case].sort_values(["M_MeV", "g"])
        q = sub["q_asimov"].to_numpy(float).reshape(M.size, g.size).T
        colour = COLOURS.get(str(sub["detector"].iloc[0]), "k")
        if g.size > 1 and M.size > 1 and np.nanmax(q) >= thr:
            ax.contour(M, g, q, levels=[thr], colors=[colour], linewidths=1.4)
            ax.contourf(M, g, q, levels=[thr, np.inf], colors=[colour], alpha=0.12)
        ax.plot([], [], color=colour, label=f"{case}: expected {100 * CL:g}% C.L. excluded (shaded side)")


def finish_axes(ax: Any, mediator: str, title: str) -> None:
    """Log axes in M [MeV] and g, their labels, the panel title and the legend of a (g, M) panel."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{mediator} mediator mass M [MeV]")
    ax.set_ylabel("coupling g")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=5.5, loc="lower right", framealpha=0.8)


def label_text(convention: str) -> str:
    """Figure label of the detector exclusion (convention, method, statistic, C.L.)."""
    return figure_label(convention, method=METHOD, statistic="q = Poisson deviance of the full prediction vs null "
                        "Asimov data (null: g = 0 + backgrounds), sfr_norm profiled (1 +- 0.4)", cl=CL,
                        note="colour map: flux ratio")
