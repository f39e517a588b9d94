"""SK-IV (g, M) exclusion computed point by point with the full mediator cross sections (paper convention).

Expected values are analytic: in the heavy-mediator limit the exclusion must be the lam limit
mapped with paper Eq. II.5 (arXiv:2204.11885), g = M (8 pi lam / m_nu)^(1/4), i.e. log-log
slope 1 in M; below M ~ 10 keV (M^2 not >> 2 m_nu E) the scalar and vector propagators differ
(s-channel resonance, forward t-channel peak) and so must the limits.
"""
from __future__ import annotations

import numpy as np
import pytest

from relicboost.inference.contours import mediator_exclusion
from relicboost.likelihoods import SKIV
from relicboost.physics.interactions import coupling_from_lam

HEAVY_M = (1.0, 3.0)
SLOPE_M = (0.03, 0.3)
LIGHT_M = (1e-4, 3e-4)


@pytest.fixture(scope="module")
def table():
    M = np.array(LIGHT_M + SLOPE_M + HEAVY_M)
    return mediator_exclusion(SKIV(), M, progress=False, T_nue=6.6, T_nuebar=7.0, T_nux=10.0)


def _g(table, med, M):
    row = table[(table["mediator"] == med) & np.isclose(table["M_MeV"], M)]
    return float(row["g_upper"].iloc[0])


@pytest.mark.parametrize("med", ["scalar", "vector"])
@pytest.mark.parametrize("M", HEAVY_M)
def test_heavy_limit_agrees_with_mapped_lam_limit(table, med, M):
    lam = table.attrs["lam_upper_heavy_MeV-3"]
    assert 1.0e-11 < lam < 1.7e-11  # README / docs: 1.33e-11 MeV^-3 for T = 7/10 MeV
    assert _g(table, med, M) == pytest.approx(float(coupling_from_lam(lam, M)), rel=0.01)


@pytest.mark.parametrize("med", ["scalar", "vector"])
def test_slope_one_in_heavy_regime(table, med):
    g1, g2 = _g(table, med, SLOPE_M[0]), _g(table, med, SLOPE_M[1])
    assert g1 < g2
    assert np.log(g2 / g1) / np.log(SLOPE_M[1] / SLOPE_M[0]) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("M", LIGHT_M)
def test_scalar_and_vector_separate_below_10_keV(table, M):
    gs, gv = _g(table, "scalar", M), _g(table, "vector", M)
    assert np.isfinite(gs) and np.isfinite(gv)
    assert abs(gs / gv - 1.0) > 0.10
    assert not table[np.isclose(table["M_MeV"], M)]["heavy_limit_valid"].any()


def test_table_metadata(table):
    assert table.attrs["CL"] == 0.9 and table.attrs["m_nu_eV"] == 0.05 and table.attrs["convention"] == "paper"
    assert list(table.columns) == ["mediator", "M_MeV", "g_upper", "g_upper_heavy_mapping", "heavy_limit_valid",
                                   "status"]
