"""Toy Gaussian likelihoods: profile-likelihood limits and emcee credible limits vs analytic values.

Toy 1 (signal linear in lam): chi2 = ((lam + a (nu - nu0) - d) / sigma)^2 plus the Gaussian
constraint ((nu - nu0) / s_nu)^2.  Profiling nu gives chi2_p = (lam - d)^2 / s_eff^2 with
s_eff^2 = sigma^2 + a^2 s_nu^2, so the one-sided limit at CL (z = Phi^-1(CL)) is
lam_up = d + z s_eff for d >= 0 (both references); for d < 0 the profile-likelihood ratio
with the boundary best fit lam = 0 gives lam_up = d + sqrt(d^2 + z^2 s_eff^2) (reference
"model") and the absolute construction d + z s_eff (reference "data").  Asimov (d = 0)
expected band edges are (z + N) s_eff (Cowan et al. 2011, Eq. 89), 0 where z + N <= 0.

Toy 2 (Gaussian in x = log10 lam): chi2 = ((x + a (nu - nu0) - mu) / sigma)^2 + constraint;
with flat priors the marginal posterior of x is N(mu, s_eff), so the 90% credible upper limit
is 10^(mu + z s_eff), and the profile limit is the same number.
"""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from scipy.stats import chi2 as chi2_dist
from scipy.stats import norm
from toy_model import ToyModel, ToyPrediction

from relicboost.inference import (
    Free,
    Gaussian,
    Problem,
    Uniform,
    limit_to_json,
    run,
    threshold,
    upper_limit,
)

NU0, S_NU, A = 7.0, 0.5, 1.0
SIGMA = 1.0
S_EFF = math.hypot(SIGMA, A * S_NU)


@dataclasses.dataclass(frozen=True)
class LinearToy:
    d: float

    def __call__(self, pred: ToyPrediction) -> float:
        p = pred.params
        return ((p["lam"] + A * (p.get("T_nuebar", NU0) - NU0) - self.d) / SIGMA) ** 2


@dataclasses.dataclass(frozen=True)
class LogToy:
    mu: float

    def __call__(self, pred: ToyPrediction) -> float:
        p = pred.params
        if p["lam"] <= 0.0:  # x = log10 lam -> -inf
            return math.inf
        return ((math.log10(p["lam"]) + A * (p["T_nuebar"] - NU0) - self.mu) / SIGMA) ** 2


def linear_problem(d: float, profiled: bool = True) -> Problem:
    params = {"lam": Free(Uniform(-4.0, 2.0))}
    if profiled:
        params["T_nuebar"] = Free(Gaussian(NU0, S_NU))
    return Problem(ToyModel(), LinearToy(d), params)


def test_threshold_is_one_sided_chi2():
    for cl in (0.68, 0.90, 0.95):
        assert threshold(cl) == pytest.approx(chi2_dist.ppf(2 * cl - 1, 1), rel=1e-10)
        assert threshold(cl) == pytest.approx(norm.ppf(cl) ** 2, rel=1e-12)
    with pytest.raises(ValueError, match="cl"):
        threshold(1.2)


@pytest.mark.parametrize("cl", [0.90, 0.95])
@pytest.mark.parametrize("reference", ["data", "model"])
def test_profile_limit_positive_fluctuation(cl, reference):
    z = norm.ppf(cl)
    res = upper_limit(linear_problem(2.0), cl, log10_lam_range=(-4.0, 2.0), n_scan=13,
                      reference=reference)
    assert res.status == "ok"
    assert res.observed == pytest.approx(2.0 + z * S_EFF, rel=1e-4)
    assert res.best_fit_lam == pytest.approx(2.0, rel=1e-2)
    # profiled nuisance at the limit: nu - nu0 = a s_nu^2 (lam - d) / s_eff^2
    shift = A * S_NU**2 * (res.observed - 2.0) / S_EFF**2
    assert res.nuisances_at_limit["T_nuebar"] == pytest.approx(NU0 - shift, abs=2e-3)


def test_profiling_matters():
    """With the nuisance fixed the width is sigma, not s_eff."""
    z = norm.ppf(0.9)
    res = upper_limit(linear_problem(2.0, profiled=False), 0.9, log10_lam_range=(-4.0, 2.0))
    assert res.observed == pytest.approx(2.0 + z * SIGMA, rel=1e-4)


def test_negative_fluctuation_references():
    d, z = -0.5, norm.ppf(0.9)
    model = upper_limit(linear_problem(d), 0.9, log10_lam_range=(-4.0, 2.0), reference="model")
    assert model.best_fit_lam == 0.0
    assert model.observed == pytest.approx(d + math.sqrt(d**2 + z**2 * S_EFF**2), rel=1e-4)
    data = upper_limit(linear_problem(d), 0.9, log10_lam_range=(-4.0, 2.0), reference="data")
    assert data.observed == pytest.approx(d + z * S_EFF, rel=1e-4)


def test_all_excluded_and_not_reached():
    # data reference: a strongly negative d excludes even lam = 0
    res = upper_limit(linear_problem(-5.0), 0.9, log10_lam_range=(-4.0, 2.0), reference="data")
    assert res.observed == 0.0 and "excluded" in res.status
    # limit above the scan range
    res = upper_limit(linear_problem(2.0), 0.9, log10_lam_range=(-4.0, 0.0))
    assert math.isinf(res.observed) and res.to_dict()["lam_upper_MeV-3"] is None


def test_asimov_expected_bands():
    z = norm.ppf(0.9)
    res = upper_limit(None, 0.9, log10_lam_range=(-4.0, 2.0), asimov=linear_problem(0.0))
    assert res.observed is None
    assert res.expected["-2sigma"] == 0.0
    for label, n in (("-1sigma", -1), ("median", 0), ("+1sigma", 1), ("+2sigma", 2)):
        assert res.expected[label] == pytest.approx((z + n) * S_EFF, rel=1e-4), label
    frame = res.to_frame()
    assert "lam_upper_90CL_MeV-3" in frame.columns and len(frame) == 5
    assert "90% CL" in str(res)
    json.dumps(limit_to_json(res), allow_nan=False)  # strict JSON: no NaN/inf


def test_limit_to_json_mediator_round_trip():
    from relicboost.physics.interactions import lam_from_coupling

    res = upper_limit(linear_problem(2.0), 0.95, log10_lam_range=(-4.0, 2.0))
    out = limit_to_json(res, mediator="vector", M_MeV=50.0, m_nu_eV=0.1)
    assert out["cl"] == 0.95 and out["lam_upper_MeV-3"] == res.observed and "convention" in out
    assert lam_from_coupling(out["g_upper"], 50.0, 0.1, "vector") == pytest.approx(res.observed, rel=1e-12)
    json.dumps(out, allow_nan=False)
    with pytest.raises(ValueError, match="M_MeV"):
        limit_to_json(res, mediator="scalar")


def log_problem(mu: float) -> Problem:
    return Problem(ToyModel(), LogToy(mu), {"lam": Free(Uniform(mu - 8.0, mu + 8.0)),
                                            "T_nuebar": Free(Gaussian(NU0, S_NU))})


def test_profile_limit_interior_best_fit():
    mu, z = -11.0, norm.ppf(0.9)
    res = upper_limit(log_problem(mu), 0.9, log10_lam_range=(-19.0, -3.0), n_scan=17,
                      reference="model")
    assert math.log10(res.best_fit_lam) == pytest.approx(mu, abs=1e-2)
    assert math.log10(res.observed) == pytest.approx(mu + z * S_EFF, abs=1e-4)


def test_emcee_credible_limit_matches_analytic(tmp_path):
    mu, z = -11.0, norm.ppf(0.9)
    res = run(log_problem(mu), tmp_path / "chain.h5", 2500, nwalkers=32, seed=3, progress=False)
    assert res.converged
    assert 0.3 < res.acceptance_fraction < 0.9
    # quantile of ~2500 effective samples: standard error ~0.04 s_eff
    assert math.log10(res.lam_upper) == pytest.approx(mu + z * S_EFF, abs=0.12 * S_EFF)
    flat = res.samples()
    assert np.std(flat[:, 0]) == pytest.approx(S_EFF, rel=0.08)


def test_emcee_mediator_coordinates(tmp_path):
    """Flat in log10 g at fixed M is flat in log10 lam (lam ~ g^4): same credible limit."""
    from relicboost.physics.interactions import lam_from_coupling

    mu, z, M = -11.0, norm.ppf(0.9), 100.0
    x0 = math.log10(lam_from_coupling(1.0, M))  # log10 lam at g = 1
    g_mu = (mu - x0) / 4.0
    prob = Problem(ToyModel(), LogToy(mu), {"g": Free(Uniform(g_mu - 2.0, g_mu + 2.0)), "M": M,
                                            "T_nuebar": Free(Gaussian(NU0, S_NU))},
                   mediator="scalar")
    assert prob.names == ("log10_g", "T_nuebar")
    res = run(prob, tmp_path / "med.h5", 2500, nwalkers=32, seed=5, progress=False)
    assert math.log10(res.lam_upper) == pytest.approx(mu + z * S_EFF, abs=0.12 * S_EFF)
