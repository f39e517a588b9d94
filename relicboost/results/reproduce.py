"""``relicboost reproduce``: every figure and quoted number of the paper, plus limits and forecasts.

Steps (each writes PNG + PDF figures and CSV data with units in the column names,
atomically, into the output folder):

1. Fig. 1   — isocontours of lam in the (g, M) plane, scalar and vector;
2. Fig. 2   — nuebar DSNB and boosted CvB spectra for lam = 1e-12 ... 1e-9 MeV^-3;
3. Fig. 3   — nuebar flux above 17.3 MeV vs lam for two temperature sets, SK-IV limit;
4. Figs. 4, 5 — CEvNS recoil spectra and counts vs threshold on lead;
5. Fig. 6   — flux x energy vs momentum: boosted CvB against other neutrino fluxes;
6. tables   — the paper's quoted numbers next to ours, SK-IV limits on lam for both
              temperature sets, RES-NOVA forecasts;
7. conventions — the ``paper`` and ``consistent`` conventions side by side;
8. detector forecasts — expected exclusion on lam for SK-Gd, JUNO, Hyper-K, DUNE, RES-NOVA (both
   conventions), spectra and the deficit table (relicboost.results.fig_detectors).
9. mediators — schematic paper-convention (g, M) exclusion; consistent-convention (g, M) plane with the
   expected exclusion of SK-Gd, JUNO, Hyper-K-Gd and DUNE (relicboost.results.fig_gm_detectors).
"""
from __future__ import annotations

import importlib
import inspect
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

#: (label, module, function) of each step; every function takes the output folder (and
#: ``progress`` if it has long loops) and returns the list of files it wrote.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("Fig. 1", "relicboost.results.fig1", "make_fig1"),
    ("Fig. 2", "relicboost.results.fig2_3", "make_fig2"),
    ("Fig. 3", "relicboost.results.fig2_3", "make_fig3"),
    ("SK-window table", "relicboost.results.fig2_3", "sk_window_table"),
    ("Figs. 4-5", "relicboost.results.fig4_5", "make_fig4_5"),
    ("Fig. 6", "relicboost.results.fig6", "make_fig6"),
    ("tables", "relicboost.results.paper_numbers", "write_tables"),
    ("mediator exclusion", "relicboost.results.fig_mediator_exclusion", "make_mediator_exclusion"),
    ("detector forecasts", "relicboost.results.fig_detectors", "make_detector_forecasts"),
    ("(g, M) consistent", "relicboost.results.fig_gm_consistent", "make_gm_consistent"),
    ("conventions", "relicboost.results.conventions_figs", "make_convention_figs"),
)


#: Relative cost of each step (seconds measured one step at a time on the shared 2-core machine at load
#: average ~8; "conventions" did not finish in 400 s there), so that the progress bar advances with the
#: work done rather than with the number of steps; a step missing here counts 1.
STEP_COST: dict[str, float] = {"Fig. 1": 7.0, "Fig. 2": 4.0, "Fig. 3": 5.0, "SK-window table": 1.0, "Figs. 4-5": 6.0,
                               "Fig. 6": 4.0, "tables": 8.0, "conventions": 400.0, "mediator exclusion": 100.0}


def _step(module: str, func: str) -> Callable[[Path], list[Path]]:
    return getattr(importlib.import_module(module), func)


def reproduce(outdir: Path = Path("results"), progress: bool = True) -> list[Path]:
    """Run every step into ``outdir``; returns the files written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    seconds: dict[str, float] = {}
    costs = [STEP_COST.get(label, 1.0) for label, _, _ in STEPS]
    bar = tqdm(total=sum(costs), desc="reproduce", disable=not progress, unit="work",
               bar_format="{l_bar}{bar}| {postfix} [{elapsed}<{remaining}]")
    for (label, module, func), cost in zip(STEPS, costs):
        bar.set_postfix_str(label)
        step = _step(module, func)
        kwargs = {"progress": progress} if "progress" in inspect.signature(step).parameters else {}
        start = time.perf_counter()
        out = step(outdir, **kwargs)
        seconds[label] = round(time.perf_counter() - start, 2)
        bar.update(cost)
        written.extend([out] if isinstance(out, Path) else list(out))
    bar.close()
    from relicboost.io import RunDirectory

    files = sorted(str(Path(p).relative_to(outdir)) for p in written)
    written.append(RunDirectory(outdir).write_result(
        {"job": "relicboost reproduce", "steps": [label for label, _, _ in STEPS], "files": files,
         "step_seconds": seconds},
        seed=None, convergence=None, argv=sys.argv))
    return written
