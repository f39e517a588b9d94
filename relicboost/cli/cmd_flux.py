"""``relicboost flux``: tabulate DSNB and boosted-CvB spectra at one lam, with a figure."""
from __future__ import annotations

import argparse
from typing import Any

from . import options as o
from .figures import draw_run
from .runs import finish_run, fixed_nuisances, model_kwargs, output_run, prepare_outdir

NAME = "flux"
SPECIES = ("nue", "nuebar", "nux", "all")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``flux``."""
    p = subparsers.add_parser(NAME, help="DSNB and boosted-CvB spectra at one lam (CSV + figure)")
    o.add_common(p)
    o.add_model_options(p)
    p.add_argument("--lam", type=o.nonneg_float, default=1e-10, help="lam = G_X^2 m_nu, MeV^-3")
    p.add_argument("--species", type=o.name_list(SPECIES, empty_ok=False), default="nuebar",
                   help=f"comma-separated species from {list(SPECIES)} ('nux' = one heavy-lepton species)")
    o.add_outdir(p, default=None)
    return p


def spectra(args: argparse.Namespace) -> Any:
    """flux.csv frame: E_MeV and dsnb/boosted/total per species; settings in ``attrs``."""
    import pandas as pd

    from relicboost import Model

    pred = Model(**model_kwargs(args)).predict(lam=args.lam, **fixed_nuisances(args, ()))
    cols = {"E_MeV": pred.energy}
    for s in args.species:
        for c in ("dsnb", "boosted", "total"):
            cols[f"{s}_{c}_cm-2_s-1_MeV-1"] = pred.flux(s, c)
    frame = pd.DataFrame(cols)
    full = pred.to_frame().attrs
    frame.attrs.update({"lam_MeV-3": args.lam, "convention": full["convention"],
                        **{f"param_{k}": v for k, v in full["params"].items() if k != "lam"},
                        **{f"option_{k}": v for k, v in full["options"].items()}})
    return frame


def run(args: argparse.Namespace) -> int:
    """Print the spectra; with ``--outdir`` write flux.csv, flux.png/pdf and result.json."""
    prepare_outdir(args)
    with output_run(args) as rd:
        frame = spectra(args)
        if rd is not None:
            rd.write_table("flux.csv", frame)
            draw_run("flux", rd)
            finish_run(rd, args, {"lam_MeV-3": args.lam, "species": list(args.species), "rows": len(frame)})
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    return 0
