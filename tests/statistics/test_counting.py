"""counting_upper_limit against pyhf (asymptotic, q~_mu, CLs) and against exact Poisson CLs (toys).

pyhf model: one normfactor ``mu`` on the signal sample, no nuisance parameter, POI bounds [0, 1000].
Note: pyhf 0.7.6 ``upper_limit(scan=None)`` (toms748) returns the 95% limit whatever ``level`` is;
the 95% cases use it, the 90% cases solve pyhf's own ``hypotest`` CLs = 0.10 with brentq.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import poisson

from relicboost import inference
from relicboost.inference import counting_upper_limit

pyhf = pytest.importorskip("pyhf")


def _pyhf_model(s, b):
    spec = {"channels": [{"name": "c", "samples": [
        {"name": "sig", "data": list(map(float, s)),
         "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "bkg", "data": list(map(float, b)), "modifiers": []}]}]}
    return pyhf.Model(spec, poi_name="mu")


def _cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        nb = int(rng.integers(1, 6))
        b = rng.uniform(0.5, 80.0, nb)
        s = rng.uniform(0.2, 15.0, nb)
        out.append((s, b, rng.poisson(b).astype(float)))
    return out


@pytest.mark.parametrize("s,b,obs", _cases(20, 11))
def test_cls_95_matches_pyhf_upper_limit(s, b, obs):
    obs_p, exp_p = pyhf.infer.intervals.upper_limits.upper_limit(
        list(obs), _pyhf_model(s, b), scan=None, level=0.05, test_stat="qtilde", par_bounds=[(0.0, 1000.0)])
    r = counting_upper_limit(s, b, obs, cl=0.95)
    assert r.observed == pytest.approx(float(obs_p), rel=1e-3)
    np.testing.assert_allclose(r.expected, np.asarray(exp_p, float), rtol=1e-3)


@pytest.mark.parametrize("s,b,obs", _cases(4, 12))
def test_cls_90_matches_pyhf_hypotest(s, b, obs):
    model = _pyhf_model(s, b)
    r = counting_upper_limit(s, b, obs, cl=0.90)

    def cls(mu, k=None):
        out = pyhf.infer.hypotest(mu, list(obs), model, test_stat="qtilde", par_bounds=[(0.0, 1000.0)],
                                  return_expected_set=True)
        return float(out[0] if k is None else out[1][k])

    assert r.observed == pytest.approx(brentq(lambda m: cls(m) - 0.1, 1e-6, 10 * r.observed), rel=1e-3)
    assert r.expected[2] == pytest.approx(brentq(lambda m: cls(m, 2) - 0.1, 1e-6, 10 * r.expected[2]),
                                          rel=1e-3)


def test_readme_call_and_repr():
    r = inference.counting_upper_limit([3.0, 1.0], [10.0, 4.0])
    text = repr(r)
    assert "90% C.L." in text and "CLs" in text and "q~_mu" in text and "asymptotic" in text
    assert r.observed == pytest.approx(r.expected[2], rel=1e-6)  # Asimov data: observed = median
    d = r.to_dict()
    assert d["method"] == "cls" and d["test_statistic"] == "q~_mu" and d["cl"] == 0.9


def test_clsb_median_is_the_one_sided_gaussian_threshold():
    """CLs+b on Asimov data: sqrt(q_A(mu_up)) = Phi^-1(cl); CLs: Phi^-1(1 - (1 - cl)/2)."""
    from scipy.stats import norm

    s, b = np.array([5.0]), np.array([400.0])
    for method, z in (("clsb", norm.ppf(0.9)), ("cls", norm.ppf(0.95))):
        mu = counting_upper_limit(s, b, method=method).observed
        qa = 2 * (mu * s - b * np.log1p(mu * s / b)).sum()
        assert math.sqrt(qa) == pytest.approx(z, rel=1e-5)


def test_clsb_band_edge_at_the_boundary_is_clipped_with_a_note():
    r = counting_upper_limit([5.0], [20.0], method="clsb")
    assert r.test_statistic == "q_mu"
    assert np.all(np.isfinite(r.expected)) and r.expected[0] == 0.0 and np.all(r.expected[1:] > 0)
    assert any(n.startswith("-2sigma") and "boundary" in n for n in r.notes)


def _exact_cls_limit(n_obs, s, b, cl=0.9):
    def cls(mu):
        return poisson.cdf(n_obs, mu * s + b) / poisson.cdf(n_obs, b)

    return brentq(lambda m: cls(m) - (1 - cl), 1e-9, 100.0), cls


@pytest.mark.parametrize("n_obs,s,b", [(0, 1.0, 0.5), (3, 1.0, 2.0), (1, 2.0, 1.0)])
def test_toys_match_exact_poisson_cls(n_obs, s, b):
    """One bin: q~_mu is monotonic in n, so the toy CLs is the classical P(n <= n_obs | mu s + b) /
    P(n <= n_obs | b) (n_obs = 0: CLs = exp(-mu s), mu_up = ln 10 / s)."""
    toys = 10000
    r = counting_upper_limit([s], [b], [n_obs], toys=toys, seed=7)
    exact, cls = _exact_cls_limit(n_obs, s, b)
    if n_obs == 0:
        assert exact == pytest.approx(math.log(10.0) / s, rel=1e-6)
    p_sb = 0.1 * poisson.cdf(n_obs, b)  # p_sb at the limit; binomial error of the toy estimate
    err_cls = 0.1 * math.sqrt((1 - p_sb) / (toys * p_sb))
    slope = abs(cls(exact * 1.001) - cls(exact * 0.999)) / (0.002 * exact)
    assert abs(r.observed - exact) < 4 * err_cls / slope + 1e-3 * exact
    assert "toys (10000" in r.calculator


def test_toys_reproducible_and_seed_matters():
    a = counting_upper_limit([2.0, 1.0], [3.0, 1.0], [4, 1], toys=500, seed=1)
    b = counting_upper_limit([2.0, 1.0], [3.0, 1.0], [4, 1], toys=500, seed=1)
    assert a.observed == b.observed and np.array_equal(a.expected, b.expected)


def test_bad_input():
    with pytest.raises(ValueError, match="method"):
        counting_upper_limit([1.0], [1.0], method="bayes")
    with pytest.raises(ValueError, match="background"):
        counting_upper_limit([1.0], [0.0])
    with pytest.raises(TypeError, match="toys must be an integer"):
        counting_upper_limit([1.0], [1.0], toys=10.5)
    with pytest.raises(TypeError, match="signal"):
        counting_upper_limit(["1"], [1.0])
