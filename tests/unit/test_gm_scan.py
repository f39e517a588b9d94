"""(g, M) grid scans: table content, determinism across pools, resume after a kill, likelihoods on rows."""
from __future__ import annotations

import math

import numpy as np
import pytest

from relicboost import Model
from relicboost.inference import gm_scan_engine
from relicboost.inference.gm_scan import (
    GMScanSpec,
    RowPrediction,
    evaluate_likelihood,
    read_table,
)
from relicboost.inference.gm_scan_engine import CHECKPOINT_NAME, TABLE_NAME, run_scan
from relicboost.likelihoods import SKIV, Borexino

#: Coarse Model grid: the tests check the bookkeeping, not the transport accuracy.
FAST = {"points_per_decade": 20, "substeps": 1, "energy_min": 0.1}


def small_spec(**kw) -> GMScanSpec:
    args = {"g": (1e-9, 3e-4, 5.0), "M_MeV": (1.5e-3, 0.1), "mediator": "vector", "model_options": FAST}
    args.update(kw)
    return GMScanSpec(**args)


@pytest.fixture(scope="module")
def serial_table(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    path = run_scan(small_spec(), out, pool="serial", progress=False)
    return path.read_bytes(), read_table(path)


def test_table_rows_flags_and_units(serial_table):
    _, tab = serial_table
    assert list(tab["index"]) == list(range(6))
    assert list(tab["g"][:3]) == [1e-9, 3e-4, 5.0]          # g fastest
    assert tab.attrs["convention"] == "consistent" and tab.attrs["mediator"] == "vector"
    assert tab.attrs["m_nu_eV"] == 0.05
    # every table states the resolved convention and particle-model options (defaults included)
    assert tab.attrs["resolved_options"]["normalise"] == "paper" and tab.attrs["resolved_options"]["relic_dof"] == 6
    # perturbativity: g <= sqrt(4 pi) = 3.545
    assert list(tab["perturbative"]) == [True, True, False] * 2
    # heavy limit valid for M^2 >= 10 * 2 m_nu * 100 MeV, i.e. M >= 0.01 MeV at m_nu = 0.05 eV
    assert list(tab["heavy_limit_valid"]) == [False] * 3 + [True] * 3
    # resonance energy M^2 / (2 m_nu): 1.5 keV -> 22.5 MeV
    assert tab["resonance_energy_MeV"].iloc[0] == pytest.approx(1.5e-3**2 / (2 * 0.05e-6))
    # heavy mapping lam = g^4 m_nu / (8 pi M^4)
    row = tab.iloc[4]
    assert row["lam_heavy_mapping_MeV-3"] == pytest.approx(row["g"] ** 4 * 0.05e-6 / (8 * math.pi * row["M_MeV"] ** 4))
    for col in tab.columns:
        if "flux" in col and "ratio" not in col:
            assert col.endswith(("cm-2_s-1", "cm-2_s-1_MeV-1")), col


def test_consistent_window_flux_is_a_deficit(serial_table):
    _, tab = serial_table
    ratio = tab["sk_window_flux_ratio"].to_numpy()
    # g = 1e-9: no effect even on the resonance (optical depth ~ g^2, ~2e6 at g = 1e-4, issue 11)
    assert ratio[0] == pytest.approx(1.0, abs=1e-3) and ratio[3] == pytest.approx(1.0, abs=1e-6)
    assert np.all(ratio <= 1.0 + 1e-6)                   # the consistent transport only removes window flux
    assert ratio[1] < 0.98                               # g = 3e-4 at the 22.5 MeV resonance: visible trough
    assert ratio[2] < 0.05                               # g = 5: the window is emptied


def test_rows_match_a_direct_prediction_and_likelihoods(serial_table):
    _, tab = serial_table
    model = Model(convention="consistent", **FAST)
    row = tab.iloc[1]
    pred = model.predict_mediator(row["g"], row["M_MeV"], "vector", m_nu_eV=0.05, kernels="tabulated")  # scan default
    for like in (SKIV(), SKIV(mode="binned"), SKIV(mode="binned", binned_mode="independent"), Borexino()):
        got = evaluate_likelihood(tab, like)[1]
        assert got == pytest.approx(like(pred), rel=1e-12)
    rp = RowPrediction(row, tab.attrs)
    with pytest.raises(ValueError, match=r"17\.3"):
        rp.integrated_flux("nuebar", 10.0)
    with pytest.raises(ValueError, match="bins"):
        rp.binned_flux("nuebar", [1.0, 2.0])


def test_process_pool_is_byte_identical(serial_table, tmp_path):
    path = run_scan(small_spec(), tmp_path, pool="process", processes=2, progress=False)
    assert path.read_bytes() == serial_table[0]


def test_resume_after_kill_keeps_points_and_gives_the_same_bytes(serial_table, tmp_path, monkeypatch):
    run_scan(small_spec(), tmp_path, pool="serial", progress=False)
    ck = tmp_path / CHECKPOINT_NAME
    lines = ck.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6
    # a kill after two points, in the middle of writing the third line
    ck.write_bytes(b"".join(lines[:2]) + lines[2][:17])
    (tmp_path / TABLE_NAME).unlink()
    calls = []
    original = gm_scan_engine.evaluate_points
    monkeypatch.setattr(gm_scan_engine, "evaluate_points", lambda s, idx: calls.append(list(idx)) or original(s, idx))
    with pytest.raises(ValueError, match="--resume"):
        run_scan(small_spec(), tmp_path, pool="serial", progress=False)
    path = run_scan(small_spec(), tmp_path, pool="serial", resume=True, progress=False)
    assert sorted(i for c in calls for i in c) == [2, 3, 4, 5]
    assert path.read_bytes() == serial_table[0]
    with pytest.raises(ValueError, match="different scan"):
        run_scan(small_spec(mediator="scalar"), tmp_path, pool="serial", resume=True, progress=False)


@pytest.mark.parametrize("kw, match", [
    ({"g": (1e-3, 1e-4)}, "increasing"), ({"g": (20.0,)}, "g must lie"), ({"M_MeV": ()}, "M_MeV"),
    ({"mediator": "tensor"}, "mediator"), ({"convention": "other"}, "convention"), ({"m_nu_eV": 5.0}, "m_nu_eV"),
    ({"cevns_thresholds_keV": (0.0,)}, "cevns"), ({"model_options": {"convention": "paper"}}, "convention"),
])
def test_bad_spec_is_a_clear_error(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        small_spec(**kw)


def test_spec_round_trips_and_point_order():
    spec = GMScanSpec.log_grid(1e-5, 1e-3, 3, 1e-3, 1e-1, 2, mediator_options={"normalise": "tree"})
    assert GMScanSpec.from_dict(spec.to_dict()) == spec
    assert spec.point(4)[:2] == (1, 1)
    with pytest.raises(ValueError, match="index"):
        spec.point(6)
