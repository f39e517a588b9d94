"""The fast hot-path forms equal their direct definitions to round-off (same rule, other arithmetic order).

* detector-window weights (physics.detection.WindowWeights) vs the spline integral of the flux;
* Fermi-Dirac source tables (physics.propagation.FermiDiracSources) vs source_table(fermi_dirac_spectrum);
* the blocked heavy-mediator transport (ConsistentTransport.solve_heavy) vs one flat_step at a time.
"""
from __future__ import annotations

import numpy as np
import pytest

from relicboost import Model
from relicboost.physics import detection
from relicboost.physics.propagation import FermiDiracSources, source_table
from relicboost.physics.sources import fermi_dirac_spectrum


@pytest.fixture(scope="module")
def paper() -> Model:
    return Model()


@pytest.mark.parametrize("lam", [0.0, 1e-10, 1e-8])
def test_window_weights_equal_spline_integrals(paper, lam):
    p = paper.predict(lam, T_nuebar=7.5)
    f = p.flux("nuebar")
    w = detection.WindowWeights(paper.energy)
    for lo, hi in ((17.3, None), (3.0, 30.0), (0.5, 16.8)):
        assert w.integrated(lo, hi) @ f == pytest.approx(detection.integrated_flux(paper.energy, f, lo, hi), rel=1e-12)
    edges = np.arange(9.3, 31.4, 2.0)
    np.testing.assert_allclose(w.binned(edges) @ f, detection.binned_flux(paper.energy, f, edges), rtol=1e-12)
    assert p.integrated_flux("nuebar", 17.3) == pytest.approx(detection.integrated_flux(paper.energy, f, 17.3),
                                                              rel=1e-12)


def test_window_weights_validate_and_stay_bounded(paper):
    w = detection.WindowWeights(paper.energy, max_windows=2)
    with pytest.raises(ValueError, match="integrated_flux"):
        w.integrated(300.0)
    for lo in (1.0, 2.0, 3.0):
        w.integrated(lo)
    assert len(w._cache) == 2


@pytest.mark.parametrize("T", [1.0, 7.0, 20.0])
def test_fermi_dirac_tables_equal_source_table(paper, T):
    fast = FermiDiracSources.on_grid(paper.grid).table(T)
    ref = source_table(paper.grid, lambda e: fermi_dirac_spectrum(e, T))
    keep = ref > 1e-250 * ref.max()
    np.testing.assert_allclose(fast[keep], ref[keep], rtol=1e-12)
    assert np.all(fast[~keep] <= 1e-250 * ref.max())


@pytest.mark.parametrize("lam", [0.0, 1e-10, 1e-8])
def test_blocked_heavy_transport_equals_stepwise(lam):
    solver = Model(convention="consistent", energy_min=0.1).propagator.solver
    q3 = solver.sources((6.6, 7.0, 10.0))
    fast, slow = solver.transport.solve_heavy(q3, lam), solver.transport.solve_heavy_stepwise(q3, lam)
    for key in ("unscattered", "own", "total"):
        np.testing.assert_allclose(fast[key], slow[key], rtol=1e-12, atol=1e-14 * np.abs(slow[key]).max())
