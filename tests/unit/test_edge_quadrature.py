"""Window integrals across an opaque narrow resonance (relicboost.physics.edge_quadrature, issue 11 item 6).

An analytic flux with the structure of a light-mediator point whose resonance today lies inside the window: below
E_res every component vanishes linearly in delta = ln(E_res / E) (emitted or born after E_res was passed), above
it a smooth flux times the notch exp(-c / delta) of the Lorentzian tail.  Sampled on 40 points per decade with
E_res at several placements between two nodes, the edge rule integrates it to 0.1%, the rule through the nodes
on both sides (detection.integrated_flux) misses by percents (this test can fail).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from relicboost.physics import detection
from relicboost.physics.edge_quadrature import edge_integrated_flux
from relicboost.prediction import Prediction

E_RES, C = 22.5, 1.1e-3     # bench point 1 of benchmarks/bench_mediator.py: E_res (MeV) and tail width
EMIN = 17.3


def _components(e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unscattered, boosted), cm^-2 s^-1 MeV^-1: smooth spectra, cut at E_res as described in the module."""
    d = np.log(e / E_RES)
    smooth = e**2 * np.exp(-e / 4.0)
    below = d < 0
    unscattered = np.where(below, -d * 2.0 * smooth, smooth * np.exp(-C / np.where(below, 1.0, d)))
    boosted = np.where(below, -d * 9.0 * smooth * (1 + d), 0.01 * smooth)
    return unscattered / e, boosted / e


def _exact(emax: float) -> float:
    def f(x):
        return float(sum(_components(np.array([np.exp(x)]))[k][0] for k in range(2)) * np.exp(x))
    lo, hi = np.log(EMIN), np.log(emax)
    return quad(f, lo, np.log(E_RES), limit=200)[0] + quad(f, np.log(E_RES), hi, limit=200, points=[np.log(E_RES) + C])[0]


def _grid(f: float) -> np.ndarray:
    h = np.log(10) / 40
    return np.exp(np.log(E_RES) - f * h + h * np.arange(-60, 40))


@pytest.mark.parametrize("f", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_edge_rule_integrates_the_jump_and_notch(f):
    e = _grid(f)
    u, b = _components(e)
    exact = _exact(150.0)
    assert edge_integrated_flux(e, u, b, EMIN, 150.0, E_RES, C) == pytest.approx(exact, rel=1e-3)


def test_node_rule_fails_across_the_jump():
    errors = []
    for f in np.linspace(0, 0.95, 8):
        e = _grid(f)
        u, b = _components(e)
        errors.append(detection.integrated_flux(e, u + b, EMIN, 150.0) / _exact(150.0) - 1)
    assert max(np.abs(errors)) > 0.02


def test_prediction_uses_the_edge_rule_only_across_e_res():
    e = _grid(0.4)
    u, b = _components(e)
    zero = np.zeros_like(e)
    flux = {"nue": u, "nuebar": u, "nux": u}
    pred = Prediction(energy=e, dsnb=flux, boosted={"nue": b, "nuebar": b, "nux": b}, params={},
                      convention="consistent", resonance_edge=(E_RES, C))
    plain = Prediction(energy=e, dsnb=flux, boosted={"nue": zero + b, "nuebar": b, "nux": b}, params={},
                       convention="consistent")
    assert pred.integrated_flux("nuebar", EMIN, 150.0) == pytest.approx(_exact(150.0), rel=1e-3)
    assert pred.integrated_flux("nuebar", 30.0, 150.0) == plain.integrated_flux("nuebar", 30.0, 150.0)
    edges = np.array([EMIN, 21.0, 25.0, 40.0])
    binned = pred.binned_flux("nuebar", edges)
    assert binned[1] * 4.0 == pytest.approx(edge_integrated_flux(e, u, b, 21.0, 25.0, E_RES, C), rel=1e-12)
    assert binned[0] == plain.binned_flux("nuebar", edges)[0]
    assert np.sum(binned * np.diff(edges)) == pytest.approx(pred.integrated_flux("nuebar", EMIN, 40.0), rel=1e-3)


def test_edge_rule_needs_nodes_on_both_sides():
    e = _grid(0.4)
    u, b = _components(e)
    with pytest.raises(ValueError, match="e_res_MeV"):
        edge_integrated_flux(e, u, b, EMIN, 150.0, float(e[1]), C)
