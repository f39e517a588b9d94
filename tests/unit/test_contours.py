"""(g, M) contours from lam = G_X^2 m_nu (paper arXiv:2204.11885, Eq. II.5 and Fig. 1)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from relicboost.inference.contours import (
    PAPER_LAM_VALUES,
    coupling_grid,
    lam_isocontours,
    limit_contour,
    result_limits,
)

M_NU_MEV = 0.05e-6  # 0.05 eV


def g_by_hand(lam: float, M: float, m_nu_mev: float = M_NU_MEV) -> float:
    """g from lam = g^4 m_nu / (8 pi M^4), solved by hand."""
    return M * (8.0 * math.pi * lam / m_nu_mev) ** 0.25


def test_paper_values_are_fig1_values():
    # paper Fig. 1-6 captions: 1e-9 (purple), 1e-10 (emerald), 1e-11 (dark yellow), 1e-12 (lilac) MeV^-3
    assert PAPER_LAM_VALUES == (1e-9, 1e-10, 1e-11, 1e-12)


def test_isocontours_match_hand_formula_and_are_lines_of_slope_one():
    M = np.logspace(-3, 3, 61)
    t = lam_isocontours(M)
    assert set(t["mediator"]) == {"scalar", "vector"}
    assert len(t) == 2 * 4 * 61
    for (_med, lam), sub in t.groupby(["mediator", "lam_MeV-3"]):
        expected = [g_by_hand(lam, m) for m in sub["M_MeV"]]
        np.testing.assert_allclose(sub["g"], expected, rtol=1e-12)
        slope = np.polyfit(np.log10(sub["M_MeV"]), np.log10(sub["g"]), 1)[0]
        assert slope == pytest.approx(1.0, abs=1e-10)
    # lam = 1e-9 MeV^-3 at M = 1 MeV: g = (8 pi 1e-9 / 5e-8)^(1/4) = 0.8420...
    row = t[(t["lam_MeV-3"] == 1e-9) & np.isclose(t["M_MeV"], 1.0) & (t["mediator"] == "scalar")]
    assert float(row["g"].iloc[0]) == pytest.approx(0.84201, rel=1e-4)
    # scalar and vector coincide in the heavy limit
    s = t[t.mediator == "scalar"].reset_index(drop=True)
    v = t[t.mediator == "vector"].reset_index(drop=True)
    np.testing.assert_array_equal(s["g"], v["g"])


def test_isocontour_validity_column_and_m_nu_dependence():
    M = np.array([1e-3, 5e-3, 2e-2, 1.0])
    t = lam_isocontours(M, [1e-10], m_nu_eV=0.05, mediators="scalar")
    # M_min = sqrt(10 * 2 * 5e-8 MeV * 100 MeV) = 0.01 MeV
    np.testing.assert_array_equal(t["heavy_limit_valid"], [False, False, True, True])
    assert t.attrs["m_nu_eV"] == 0.05
    assert t.attrs["heavy_limit_M_min_MeV"] == pytest.approx(0.01, rel=1e-12)
    # larger m_nu: smaller g at fixed lam (g ~ m_nu^-1/4) and a higher validity boundary
    t2 = lam_isocontours(M, [1e-10], m_nu_eV=0.8, mediators="scalar")
    np.testing.assert_allclose(t2["g"] / t["g"], 16.0 ** -0.25, rtol=1e-12)
    np.testing.assert_array_equal(t2["heavy_limit_valid"], [False, False, False, True])


def test_limit_contour_columns_labels_and_cl():
    M = np.logspace(-2, 2, 5)
    t = limit_contour({"observed": 1e-11, "expected": 3e-11}, M, cl=0.9)
    assert list(t.columns) == [
        "mediator", "limit", "M_MeV", "lam_upper_MeV-3", "g_upper", "heavy_limit_valid",
    ]
    assert t.attrs["CL"] == 0.9
    obs = t[(t["limit"] == "observed") & (t["mediator"] == "vector")]
    np.testing.assert_allclose(obs["lam_upper_MeV-3"], 1e-11)
    np.testing.assert_allclose(obs["g_upper"], [g_by_hand(1e-11, m) for m in M], rtol=1e-12)
    exp = t[(t["limit"] == "expected") & (t["mediator"] == "scalar")]
    np.testing.assert_allclose(exp["g_upper"], [g_by_hand(3e-11, m) for m in M], rtol=1e-12)


def test_result_limits_keeps_finite_positive_limits():
    from types import SimpleNamespace

    res = SimpleNamespace(observed=2e-11, expected={"median": 3e-11, "+2sigma": np.inf, "-1sigma": None})
    limits = result_limits(res)
    assert limits == {"observed": 2e-11, "expected median": 3e-11}
    t = limit_contour(limits, [1.0], cl=0.95)
    assert list(t["limit"][t["mediator"] == "scalar"]) == ["observed", "expected median"]
    with pytest.raises(ValueError, match="no finite"):
        result_limits(SimpleNamespace(observed=None, expected=None))


@pytest.mark.parametrize("mediator", ["scalar", "vector"])
def test_grid_matches_slow_reference_and_limit_line(mediator):
    g = np.logspace(-6, 0, 41)
    M = np.logspace(-3.05, 3, 37)  # avoids the validity boundary M = 0.01 MeV exactly
    lam_up = 1e-11
    grid = coupling_grid(g, M, mediator, lam_upper=lam_up, cl=0.9)
    assert grid.lam.shape == (41, 37)
    ref = np.array([[gi**4 * M_NU_MEV / (8 * math.pi * Mj**4) for Mj in M] for gi in g])
    np.testing.assert_allclose(grid.lam, ref, rtol=1e-12)
    # excluded exactly above the line g_upper(M) of the limit contour
    line = limit_contour(lam_up, M, cl=0.9, mediators=mediator)["g_upper"].to_numpy()
    np.testing.assert_array_equal(grid.excluded, g[:, None] > line[None, :] * (1 + 1e-12))
    # monotone: once excluded at some g, excluded at all larger g
    assert np.all(np.diff(grid.excluded.astype(int), axis=0) >= 0)
    np.testing.assert_array_equal(grid.heavy_limit_valid, M > 0.01)


def test_grid_frame_round_trip():
    g = np.array([1e-4, 1e-3, 1e-2])
    M = np.array([0.1, 1.0])
    grid = coupling_grid(g, M, "vector", lam_upper=1e-10, cl=0.95)
    f = grid.to_frame()
    assert len(f) == 6
    assert f.attrs["CL"] == 0.95
    for _, row in f.iterrows():
        assert row["lam_MeV-3"] == pytest.approx(g_by_hand_inv(row["g"], row["M_MeV"]), rel=1e-12)
        assert row["excluded"] == (row["lam_MeV-3"] > 1e-10)


def g_by_hand_inv(g: float, M: float) -> float:
    return g**4 * M_NU_MEV / (8.0 * math.pi * M**4)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: lam_isocontours([1.0], mediators="tensor"), "mediators"),
        (lambda: lam_isocontours([[1.0, 2.0]]), "M_MeV"),
        (lambda: lam_isocontours([0.0, 1.0]), "M_MeV"),
        (lambda: lam_isocontours([1.0], [-1e-10]), "lam"),
        (lambda: limit_contour(1e-10, [1.0], cl=1.5), "cl"),
        (lambda: limit_contour(-1e-10, [1.0], cl=0.9), "lam_upper"),
        (lambda: limit_contour({"obs": np.nan}, [1.0], cl=0.9), "lam_upper"),
        (lambda: coupling_grid([1e-3], [1.0], lam_upper=1e-10), "cl"),
        (lambda: coupling_grid([1e-3], [1.0], lam_upper=0.0, cl=0.9), "lam_upper"),
        (lambda: coupling_grid([-1e-3], [1.0]), "g"),
        (lambda: coupling_grid([1e-3], [1.0], mediator="axial"), "mediator"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
