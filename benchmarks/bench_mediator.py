"""Benchmark: one light-mediator (g, M) point in the ``consistent`` convention (issue 11 item 6).

For new (g, M) points (resonance inside or below the SK window) prints, per path and grid:
time per point, and the error of the SK-window nu-bar_e flux (> 17.3 MeV) and of the CEvNS counts on
natural lead (> 1 keV) against the accurate default grid (50 points per decade, 3 redshift substeps)
of the same path, measured in the same run:

* today's single-mass path (``light_mediator_fluxes``; ``predict_mediator`` with the defaults);
* the same with tabulated kernels (``kernels="tabulated"``, :mod:`relicboost.physics.light_mediator.fast_kernels`);
* the three-mass path (``relic_masses="normal"``, :mod:`relicboost.physics.light_mediator.mass_transport`).

Target (issue 11): <= 20 ms per point within 1% of the default grid.  Run:
``python benchmarks/bench_mediator.py [--quick]`` (``--quick``: one point, scan grid as reference).
"""
from __future__ import annotations

import argparse
import time
import warnings

from relicboost import Model
from relicboost.physics.cevns import cevns_flux, counts_from_flux

POINTS = ((1e-4, 1.5e-3, "vector"), (3e-4, 1.0e-3, "complex-scalar"), (1e-4, 3e-3, "vector"))
GRIDS = {"default (50/dec, substeps 3)": {}, "scan (40/dec, substeps 1)": {"points_per_decade": 40, "substeps": 1},
         "coarse (30/dec, substeps 1, E >= 0.1 MeV)": {"points_per_decade": 30, "substeps": 1, "energy_min": 0.1}}
TARGET_MS = 20.0


def _observables(pred) -> tuple[float, float]:
    sk = pred.integrated_flux("nuebar", 17.3)
    cevns = float(counts_from_flux(pred.energy, cevns_flux(pred), 1.0))
    return sk, cevns


def _run(model: Model, g: float, M: float, name: str, kwargs: dict) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = model.predict_mediator(g, M, model=name, **kwargs)
    return (time.perf_counter() - t0, *_observables(pred))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one point; the scan grid is the reference")
    args = ap.parse_args()
    points = POINTS[:1] if args.quick else POINTS
    grids = dict(list(GRIDS.items())[1:]) if args.quick else GRIDS
    paths = {"today: direct kernels": {}, "tabulated kernels": {"kernels": "tabulated"},
             "three masses, NO, m0 = 0.01 eV": {"relic_masses": "normal", "lightest_mass_eV": 0.01}}
    models = {label: Model(convention="consistent", **kw) for label, kw in grids.items()}
    for label, model in models.items():  # build the per-grid tables once (not part of a new point)
        t0 = time.perf_counter()
        _run(model, *POINTS[0], {"kernels": "tabulated"})
        print(f"tables + first point, {label}: {time.perf_counter() - t0:.1f} s")
    print(f"errors: against the same path on {next(iter(grids))}; speed-up: against today's direct kernels there")
    print(f"{'path':32s} {'grid':42s} {'(g, M/keV, model)':30s} {'ms/point':>9s} {'speed-up':>8s} "
          f"{'SK err':>8s} {'CEvNS err':>9s}")
    for g, M, name in points:
        t_today = None
        for path, kw in paths.items():
            ref = None
            for label, model in models.items():
                t, sk, ce = _run(model, g, M, name, kw)
                ref = ref or (sk, ce)
                t_today = t_today or t
                print(f"{path:32s} {label:42s} {f'({g:.0e}, {M * 1e3:.1f}, {name})':30s} {1e3 * t:9.0f} "
                      f"{t_today / t:8.1f} {sk / ref[0] - 1:+8.2%} {ce / ref[1] - 1:+9.2%}")
    print(f"target: <= {TARGET_MS:.0f} ms per point within 1% of the default grid (this machine is shared; "
          "compare the speed-up column)")


if __name__ == "__main__":
    main()
