"""Figs. 1 and 6 of arXiv:2204.11885 completed (issue 12 item 7): the new curves are present, carry
cited numbers, and what is still missing is stated in the outputs.

Reference numbers: B16-GS98 fluxes (Vinyoles et al., ApJ 835 (2017) 202, Table 6): pp 5.98e10,
CNO 2.78e8 + 2.05e8 + 5.29e6, pep 1.44e8, 7Be 4.93e9 cm^-2 s^-1; NEMO-3 majoron limit
<g_ee> < (0.4-1.8)e-4 (Arnold et al., Nucl. Phys. A 765 (2006) 483, abstract).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relicboost.results.fig1 import lab_bounds, make_fig1
from relicboost.results.fig6 import make_fig6


def _header(path) -> str:
    return "".join(line for line in open(path, encoding="utf-8") if line.startswith("#"))


@pytest.fixture(scope="module")
def fig6(tmp_path_factory):
    d = tmp_path_factory.mktemp("fig6")
    files = make_fig6(d)
    csv = next(p for p in files if p.suffix == ".csv")
    return pd.read_csv(csv, comment="#"), _header(csv)


def _integral(df, curve):
    sub = df[df["curve"] == curve]
    p, y = sub["momentum_MeV"].to_numpy(), sub["E_dPhi_dE_cm-2_s-1"].to_numpy()
    return np.trapezoid(y / p, p)            # int dPhi/dE dE, solar neutrinos massless: p = E


def test_fig6_has_sub_2_mev_solar_continua_with_b16_normalisation(fig6):
    df, _ = fig6
    assert _integral(df, "solar pp") == pytest.approx(5.98e10, rel=0.01)
    assert _integral(df, "solar CNO (13N+15O+17F)") == pytest.approx(2.78e8 + 2.05e8 + 5.29e6, rel=0.01)
    assert df[df["curve"] == "solar pp"]["momentum_MeV"].max() <= 0.42341


def test_fig6_has_solar_lines_at_their_fluxes(fig6):
    df, _ = fig6
    lines = df[df["curve"].str.startswith("solar line")].set_index("momentum_MeV")["E_dPhi_dE_cm-2_s-1"]
    assert lines[1.442] == pytest.approx(1.44e8)
    assert lines[0.8613] + lines[0.3843] == pytest.approx(4.93e9)
    assert lines[0.8613] / 4.93e9 == pytest.approx(0.8956)


def test_fig6_states_what_is_missing(fig6):
    df, header = fig6
    assert "not shown: BBN" in header
    assert not df["curve"].str.contains("BBN").any()
    assert {"solar 8B+hep", "atmospheric FLUKA"} <= set(df["curve"])      # the earlier curves stay


def test_fig1_draws_the_double_beta_bound_and_names_the_missing_ones(tmp_path):
    (b,) = lab_bounds()
    assert b["coupling"] == "g_ee" and b["g_max"] == 1.8e-4 and b["M_max_MeV"] < 3.03   # << Q_bb(100Mo)
    files = make_fig1(tmp_path, n_mass=20)
    header = _header(next(p for p in files if p.suffix == ".csv"))
    assert "NEMO-3" in header and "0.00018" in header
    assert "lab_bounds_not_shown: invisible Z width and meson decays" in header
