"""Accuracy of the fast consistent light-mediator point (issue 11 item 6): every point of
benchmarks/bench_mediator.py on the fast grid (40 points per decade, 1 substep, E >= 1 MeV, tabulated kernels)
within 1% of the converged reference (tests/data/mediator_bench_reference.csv: 200/dec, 3 substeps) in the
SK-window flux and the CEvNS counts.

Point 1 (vector, g = 1e-4, M = 1.5 keV) has E_res = M^2 / (2 m_nu) = 22.5 MeV inside the SK window: the opaque
resonance cuts the flux at E_res between two nodes.  It failed (+3.5%, -4.4 ... +3.9% over placements of E_res)
until the cell of the node crossing today was counted in part (``resonant_steps.PresentCrossing``), the tail loss of
the nodes next to E_res averaged over their cells (``resonant_steps.cell_averaged_tail``) and the window integrated
on each side of E_res (:mod:`relicboost.physics.edge_quadrature`); see also
tests/validation/test_resonance_crossing_steps.py (placements of E_res).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relicboost import Model
from relicboost.physics.cevns import counts

REFERENCE = pd.read_csv(Path(__file__).parents[1] / "data" / "mediator_bench_reference.csv", comment="#")
FAST = {"points_per_decade": 40, "substeps": 1, "energy_min": 1.0}


def _observables(model, row) -> dict:
    p = model.predict_mediator(row.g, row.M_MeV, model=row.model, kernels="tabulated")
    return {"sk": p.integrated_flux("nuebar", 17.3), "cevns": float(counts(p, "total", 1.0))}


@pytest.fixture(scope="module")
def fast_results():
    model = Model(convention="consistent", **FAST)
    return [_observables(model, row) for row in REFERENCE.itertuples()]


CASES = [(i, obs) for i in range(len(REFERENCE)) for obs in ("sk", "cevns")]


@pytest.mark.slow
@pytest.mark.parametrize("i, obs", CASES)
def test_fast_point_within_one_percent_of_converged_reference(fast_results, i, obs):
    row = REFERENCE.iloc[i]
    ref = row["sk_flux_cm-2_s-1"] if obs == "sk" else row["cevns_counts_ton-1_yr-1"]
    assert fast_results[i][obs] == pytest.approx(ref, rel=1e-2)


@pytest.mark.slow
def test_stored_reference_is_converged_and_current():
    """100/dec x 6 substeps with today's code agrees with the stored 200/dec values within 0.4%."""
    model = Model(convention="consistent", points_per_decade=100, substeps=6, energy_min=1.0)
    got = np.array([[v["sk"], v["cevns"]] for v in (_observables(model, r) for r in REFERENCE.itertuples())])
    ref = REFERENCE[["sk_flux_cm-2_s-1", "cevns_counts_ton-1_yr-1"]].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=4e-3)
