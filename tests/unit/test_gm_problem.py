"""Light-mediator points in the inference Problem: nuisances profiled as for the lam limit.

Expected values: at M = 1 MeV (heavy regime, M^2 >> 2 m_nu E) the paper-convention light-mediator
prediction with normalise="paper" is exactly predict(lam) with lam = g^4 m_nu / (8 pi M^4) (paper
Eq. II.5; SK-window flux within 1e-4, docs/conventions.md), so the profiled g limit must be the
profiled lam limit mapped with Eq. II.5.
"""
from __future__ import annotations

import pickle

import pytest

from relicboost.inference import problem_for, upper_limit
from relicboost.inference.gm_problem import (
    MediatorPointFactory,
    coupling_upper_limit,
    mediator_point_problem,
)
from relicboost.likelihoods import SKIV, default_astro_priors
from relicboost.physics.interactions import coupling_from_lam

FIXED = {"T_nue": 6.6, "T_nux": 10.0}


def _skiv():
    return SKIV(priors={"T_nuebar": default_astro_priors()["T_nuebar"]})


def test_profiled_g_limit_matches_mapped_lam_limit_in_heavy_regime():
    like = _skiv()
    prob = mediator_point_problem(like, "vector", 1.0, free=("T_nuebar",), fixed=FIXED, log10_g_range=(-1.5, 0.0))
    assert prob.nuisance_names == ("T_nuebar",)
    out = coupling_upper_limit(prob, n_scan=7)
    lam_prob = problem_for(like, free=("T_nuebar",), fixed=FIXED, log10_lam_range=(-12.0, -10.0))
    lam_up = upper_limit(lam_prob, log10_lam_range=(-12.0, -10.0), n_scan=7).observed
    assert out["g_upper"] == pytest.approx(float(coupling_from_lam(lam_up, 1.0, 0.05, "vector")), rel=2e-3)
    assert out["profiled"] == ["T_nuebar"] and "T_nuebar" in out["nuisances_at_limit"]


def test_profiling_weakens_or_keeps_the_fixed_nuisance_limit():
    like = _skiv()
    common = {"log10_g_range": (-1.5, 0.0), "fixed": FIXED}
    g_prof = coupling_upper_limit(mediator_point_problem(like, "scalar", 1.0, free=("T_nuebar",), **common),
                                  n_scan=7)["g_upper"]
    g_fixed = coupling_upper_limit(mediator_point_problem(SKIV(), "scalar", 1.0, free=(),
                                                          **{**common, "fixed": {**FIXED, "T_nuebar": 7.0}}),
                                   n_scan=7)["g_upper"]
    assert g_prof >= g_fixed * (1 - 1e-4)


def test_factory_is_picklable_and_checks_input():
    f = MediatorPointFactory("scalar", 1e-3, model_options=(("convention", "paper"),))
    assert pickle.loads(pickle.dumps(f)) == f
    assert f().coupling(0.0) == 0.0
    with pytest.raises(ValueError, match="mediator"):
        MediatorPointFactory("tensor", 1e-3)
    with pytest.raises(ValueError, match="M_MeV"):
        MediatorPointFactory("scalar", -1.0)
