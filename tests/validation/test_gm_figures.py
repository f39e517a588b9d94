"""(g, M) figures: the per-point exclusion of the schematic paper-convention figure and the consistent plane.

Expected values: in the heavy regime (M = 0.1 MeV) the paper-convention SK-IV exclusion is the lam
limit mapped with paper Eq. II.5 (g_upper = 0.0286 at M = 0.1 MeV for lam = 1.33e-11 MeV^-3,
docs/conventions.md), so g = 1e-2 is allowed and g = 1 excluded; at the vector s-channel resonance in
the SK window (M = 1.5 keV) nothing is excluded up to g ~ 0.04 (docs/conventions.md table), which is
why the figure shades excluded points instead of claiming "excluded above the curve".
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relicboost.inference.gm_scan import read_table
from relicboost.results import fig_gm_consistent, fig_mediator_exclusion


def test_paper_exclusion_grid_is_per_point(monkeypatch):
    monkeypatch.setattr(fig_mediator_exclusion, "M_GRID_MEV", np.array([1.5e-3, 0.1]))
    monkeypatch.setattr(fig_mediator_exclusion, "G_GRID", np.array([1e-4, 1e-2, 1.0]))
    grid = fig_mediator_exclusion.excluded_grid("vector", processes=1)
    excl = dict(zip(zip(grid["M_MeV"], grid["g"]), grid["excluded_90%CL"]))
    assert not excl[(0.1, 1e-2)] and excl[(0.1, 1.0)]
    assert not any(excl[(1.5e-3, g)] for g in (1e-4, 1e-2))
    assert list(grid["perturbative"]) == [True] * 6


def test_consistent_plane_files_and_deficit(tmp_path):
    paths = fig_gm_consistent.make_gm_consistent(tmp_path, progress=False, n_g=2, n_M=2, processes=1)
    names = {p.name for p in paths}
    assert names == {"gm_consistent.png", "gm_consistent.pdf", "gm_consistent_scalar.csv", "gm_consistent_vector.csv",
                     "gm_detector_exclusion_scalar.csv", "gm_detector_exclusion_vector.csv",
                     "gm_detector_exclusion_lowest_g.csv"}
    for med in ("scalar", "vector"):
        tab = read_table(tmp_path / f"gm_consistent_{med}.csv")
        assert tab.attrs["convention"] == "consistent" and tab.attrs["mediator"] == med
        assert len(tab) == 4 and {"perturbative", "heavy_limit_valid"} <= set(tab.columns)
        ratio = tab["sk_window_flux_ratio"].to_numpy()
        assert np.all(ratio <= 1.0 + 1e-6)
        assert ratio[0] == pytest.approx(1.0, abs=0.05)    # g = 1e-6 at M = 0.5 keV: below the window resonance
        assert ratio[1] < 0.01                             # g = 1e-2 at M = 0.5 keV: window emptied
        assert ratio[3] < 0.5                              # g = 1e-2 at M = 20 keV: lam ~ 2e-10, strong deficit
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_paper_plane_detector_exclusion_is_an_excess(tmp_path, monkeypatch):
    """Issue 12 item 5, paper convention: the detectors see an EXCESS (signal above the g = 0 null), and at
    M = 0.1 MeV (heavy regime) g = 1 is expected-excluded by every detector while g = 1e-4 is not."""
    monkeypatch.setattr(fig_mediator_exclusion, "M_GRID_MEV", np.array([1e-3, 0.1]))
    monkeypatch.setattr(fig_mediator_exclusion, "G_GRID", np.array([1e-4, 1.0]))
    tables = {med: fig_mediator_exclusion.paper_scan(med, processes=1) for med in ("scalar", "vector")}
    paths = fig_mediator_exclusion.detector_exclusion_paper(tmp_path, tables)
    assert {p.name for p in paths} == {"gm_detectors_paper.png", "gm_detectors_paper.pdf",
                                       "gm_detector_exclusion_paper_scalar.csv", "gm_detector_exclusion_paper_vector.csv",
                                       "gm_detector_exclusion_paper_lowest_g.csv"}
    frame = pd.read_csv(tmp_path / "gm_detector_exclusion_paper_vector.csv", comment="#")
    assert set(frame["case"]) == {"skgd 10 yr", "juno 20 yr", "hyperk_gd 10 yr", "dune 20 yr"}
    heavy = frame[frame["M_MeV"] == 0.1]
    assert heavy[heavy["g"] == 1.0]["excluded"].all() and not heavy[heavy["g"] == 1e-4]["excluded"].any()
    strong = frame[frame["g"] == 1.0]
    assert (strong["signal_events"] > strong["null_signal_events"]).all()
    head = (tmp_path / "gm_detector_exclusion_paper_lowest_g.csv").read_text().splitlines()[:8]
    assert any(line.startswith("# convention:") and "paper" in line for line in head)
