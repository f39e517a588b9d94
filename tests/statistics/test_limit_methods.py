"""method = "cls" | "clsb" | "published" of the profile limits (issue 13 item 1) on the linear Gaussian toy
(profiled: q(lam) = ((lam - d) / S_EFF)^2, Asimov q_A(lam) = (lam / S_EFF)^2) with analytic answers."""
from __future__ import annotations

import math
import warnings

import pytest
from scipy.optimize import brentq
from scipy.stats import norm
from test_limits_toy import S_EFF, linear_problem

from relicboost import likelihoods
from relicboost.inference import limit_to_json, problem_for, upper_limit
from relicboost.inference.limits import PublishedLimitExtrapolationWarning, band_z

RANGE = {"log10_lam_range": (-4.0, 2.0), "n_scan": 13, "reference": "model"}


def test_default_for_plain_callables_is_clsb_and_recorded():
    res = upper_limit(linear_problem(0.5), 0.9, **RANGE)
    assert res.method == "clsb" and res.test_statistic == "q_mu"
    assert res.observed == pytest.approx(0.5 + S_EFF * norm.ppf(0.9), rel=1e-4)
    d = limit_to_json(res)
    assert (d["method"], d["test_statistic"], d["cl"]) == ("clsb", "q_mu", 0.9)
    frame = res.to_frame()
    assert set(frame["method"]) == {"clsb"} and set(frame["CL"]) == {0.9}
    assert "method clsb" in str(res)


@pytest.mark.parametrize("d", [0.0, 0.5])
def test_cls_observed_matches_analytic(d):
    """CLs = (1 - Phi((lam - d)/S)) / Phi(d/S) = 1 - cl (Cowan et al. 2011, q <= q_A branch)."""
    alpha = 0.1
    exact = brentq(lambda lam: norm.sf((lam - d) / S_EFF) / norm.cdf(d / S_EFF) - alpha, d, d + 10 * S_EFF)
    res = upper_limit(linear_problem(d), 0.9, asimov=linear_problem(0.0), method="cls", **RANGE)
    assert res.method == "cls" and res.test_statistic == "q~_mu"
    assert res.observed == pytest.approx(exact, rel=1e-4)
    if d == 0.0:
        assert res.observed == pytest.approx(S_EFF * norm.isf(alpha / 2), rel=1e-4)


@pytest.mark.parametrize("method", ["cls", "clsb"])
def test_expected_band_edges(method):
    res = upper_limit(None, 0.9, asimov=linear_problem(0.0), method=method, **RANGE)
    for label, n in (("-1sigma", -1.0), ("median", 0.0), ("+1sigma", 1.0), ("+2sigma", 2.0)):
        assert res.expected[label] == pytest.approx(S_EFF * band_z(0.9, n, method), rel=1e-4), label
    if method == "cls":
        assert res.expected["-2sigma"] == pytest.approx(S_EFF * band_z(0.9, -2.0, "cls"), rel=1e-4)
        assert band_z(0.9, 0.0, "cls") == pytest.approx(norm.isf(0.05))
    else:  # z - 2 < 0: the physical boundary, with a note instead of a silent 0
        assert res.expected["-2sigma"] == 0.0
        assert any("-2sigma" in n and "boundary" in n for n in res.notes)


def test_band_not_reached_is_clipped_with_note():
    res = upper_limit(None, 0.9, asimov=linear_problem(0.0), method="clsb",
                      log10_lam_range=(-4.0, math.log10(1.5)), n_scan=13, reference="model")
    assert res.expected["+2sigma"] == pytest.approx(1.5)
    assert any("+2sigma" in n and "clipped" in n for n in res.notes)


def test_observed_cls_needs_asimov():
    with pytest.raises(ValueError, match="asimov"):
        upper_limit(linear_problem(0.5), 0.9, method="cls", **RANGE)
    with pytest.raises(ValueError, match="method must be one of"):
        upper_limit(linear_problem(0.5), 0.9, method="bayes", **RANGE)


def test_published_limit_default_and_extrapolation_warning():
    sk = likelihoods.SKIV()
    assert sk.default_limit_method == "published" and sk.published_cl == pytest.approx(0.9)
    assert (sk + likelihoods.Borexino()).default_limit_method == "published"
    assert likelihoods.RESNOVA(n_bins=2).default_limit_method == "cls"
    prob = problem_for(sk, free=())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = upper_limit(prob, 0.9, n_scan=9)
    assert res.method == "published" and res.test_statistic == "published-limit crossing"
    with pytest.warns(PublishedLimitExtrapolationWarning, match="extrapolates"):
        upper_limit(prob, 0.95, n_scan=9)
