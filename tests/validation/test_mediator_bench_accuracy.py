"""Accuracy of the fast consistent light-mediator point (issue 11 item 6): every point of
benchmarks/bench_mediator.py on the fast grid (40 points per decade, 1 substep, E >= 1 MeV, tabulated kernels)
within 1% of the converged reference (tests/data/mediator_bench_reference.csv: 200/dec, 3 substeps) in the
SK-window flux and the CEvNS counts.

Known failure (xfail, strict, so that a fix shows): point 1 (vector, g = 1e-4, M = 1.5 keV) has
E_res = M^2 / (2 m_nu) = 22.5 MeV inside the SK window; the opaque resonance cuts the flux at E_res to
(nearly) nothing below it, a jump between two nodes that any node interpolation integrates with an
O(jump x spacing) error: +3.5% at 40/dec.  Shape on the 100/dec grid: below E_res the flux falls linearly to ~0 at
E_res over ~3.5 fast spacings, above it jumps to its full value; the fast node values agree within 1.5% except
the two nodes next to E_res (+4%).
Measured with ``benchmarks/bench_mediator.py --placement-sweep`` (grid shifted in ln E so that E_res sits a fraction
f of a spacing above a node): the SK error depends on f AND on the parity of the node below E_res in the Simpson
pairs of ``integrated_flux`` (f = 0.625: -0.1% odd index, +3.8% even index, today's grid has f = 0.65, even); the
trapezoid rule on the same nodes is parity-free but spans -2.6% ... +2.1% over f, the CEvNS counts -2.4% ... -0.2%.
Aligning E_res with the grid alone therefore does not remove the error (issue 11 item 6 stays open).
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
EDGE_IN_SK_WINDOW = {(0, "sk")}


def _observables(model, row) -> dict:
    p = model.predict_mediator(row.g, row.M_MeV, model=row.model, kernels="tabulated")
    return {"sk": p.integrated_flux("nuebar", 17.3), "cevns": float(counts(p, "total", 1.0))}


@pytest.fixture(scope="module")
def fast_results():
    model = Model(convention="consistent", **FAST)
    return [_observables(model, row) for row in REFERENCE.itertuples()]


CASES = [pytest.param(i, obs, marks=pytest.mark.xfail(strict=True, reason="trough edge inside the SK window"))
         if (i, obs) in EDGE_IN_SK_WINDOW else (i, obs) for i in range(len(REFERENCE)) for obs in ("sk", "cevns")]


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
