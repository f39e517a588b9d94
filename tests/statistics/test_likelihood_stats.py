"""Exact statistics behind the likelihoods: published-limit calibration, Poisson limits, Asimov formulae.

Thresholds and root finding are done here with scipy (not with code under test).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from relicboost import likelihoods
from relicboost.likelihoods import statistics as st
from relicboost.likelihoods.base import Combined, GaussianPrior, UniformPrior

#: one-sided 90% C.L. threshold on Delta(-2 ln L) (standard normal quantile 1.2816).
THRESHOLD_90 = 1.2816**2


class StepPrediction:
    """Stand-in for relicboost.Prediction: a piecewise-constant flux with exact integrals.

    ``values[i]`` (cm^-2 s^-1 MeV^-1) on [edges[i], edges[i+1]] MeV, zero elsewhere on the
    grid [grid_min, grid_max]; the same flux for every species/component.
    """

    def __init__(self, edges, values, grid_min=0.5, grid_max=200.0, params=None):
        self.edges = np.asarray(edges, float)
        self.values = np.asarray(values, float)
        self.energy = np.geomspace(grid_min, grid_max, 300)
        self.params = params or {"lam": 0.0, "T_nue": 6.6, "T_nuebar": 7.0, "T_nux": 10.0,
                                 "E_tot": 3e53, "sfr_norm": 1.0}

    def scaled(self, a):
        return StepPrediction(self.edges, a * self.values, self.energy[0], self.energy[-1], self.params)

    def _check(self, lo, hi):
        if lo < self.energy[0] * (1 - 1e-12) or hi > self.energy[-1] * (1 + 1e-12):
            raise ValueError("outside grid")

    def _integral(self, lo, hi):
        overlap = np.clip(np.minimum(hi, self.edges[1:]) - np.maximum(lo, self.edges[:-1]), 0, None)
        return float(np.sum(overlap * self.values))

    def integrated_flux(self, species="nuebar", emin=17.3, emax=None, component="total"):
        emax = self.energy[-1] if emax is None else emax
        self._check(emin, emax)
        return self._integral(emin, emax)

    def binned_flux(self, species, edges_MeV, component="total"):
        e = np.asarray(edges_MeV, float)
        self._check(e[0], e[-1])
        return np.array([self._integral(a, b) / (b - a) for a, b in itertools.pairwise(e)])


def flux_limit(lk, shape: StepPrediction) -> float:
    """Normalisation A at which -2 ln L(A * shape) crosses the one-sided 90% threshold."""
    return brentq(lambda a: lk(shape.scaled(a)) - THRESHOLD_90, 0.0, 1e9, rtol=1e-12)


# ---- published limits reproduce themselves (DESIGN.md section 4) ---------------------------
@pytest.mark.parametrize("lk, published", [
    (likelihoods.SKIV(), 2.7),                 # SK 2021, Phi(E > 17.3 MeV) < 2.7 cm^-2 s^-1
    (likelihoods.SKIV(limit=2.9), 2.9),        # older SK value
    (likelihoods.SKGdProjectedLimit(), 1.0),                 # SK-Gd projection, paper Sec. V
])
def test_integrated_limit_returns_published_value(lk, published):
    # flux 1 cm^-2 s^-1 MeV^-1 on [17.3, 18.3] MeV -> integrated flux above 17.3 MeV = A
    shape = StepPrediction([17.3, 18.3], [1.0])
    assert flux_limit(lk, shape) == pytest.approx(published, rel=1e-3)
    # and a shape partly below threshold: only the part above 17.3 MeV counts
    shape2 = StepPrediction([15.3, 17.3, 19.3], [1.0, 0.5])
    assert flux_limit(lk, shape2) == pytest.approx(published / 1.0, rel=1e-3)


SK_BINS = [37.1, 20.4, 9.34, 3.29, 0.508, 0.684, 0.127, 0.375, 0.0777, 0.242, 0.0709]  # Fig. 25
BX_BINS = [1.4e5, 1.07e4, 8390, 692, 808, 829, 202, 175, 140, 114, 95, 80.5, 69.1, 60, 52.7]  # Fig. 4


@pytest.mark.parametrize("make, lo, width, published", [
    (lambda m: likelihoods.SKIV(mode="binned", binned_mode=m), 9.3, 2.0, SK_BINS),
    (lambda m: likelihoods.Borexino(binned_mode=m), 1.8, 1.0, BX_BINS),
])
@pytest.mark.parametrize("mode", ["strongest", "independent"])
def test_each_bin_limit_returns_published_value(make, lo, width, published, mode):
    lk = make(mode)
    for k, ul in enumerate(published):
        a, b = lo + k * width, lo + (k + 1) * width
        assert flux_limit(lk, StepPrediction([a, b], [1.0])) == pytest.approx(ul, rel=1e-3)


def test_binned_modes_flat_spectrum():
    """Flat dPhi/dE = A over all SK bins: strongest -> min UL; independent -> 1/sqrt(sum UL^-2) (tighter)."""
    flat = StepPrediction([9.3, 31.3], [1.0])
    ul = np.array(SK_BINS)
    strongest = flux_limit(likelihoods.SKIV(mode="binned"), flat)
    independent = flux_limit(likelihoods.SKIV(mode="binned", binned_mode="independent"), flat)
    assert strongest == pytest.approx(ul.min(), rel=1e-3)
    assert independent == pytest.approx(1.0 / np.sqrt(np.sum(ul**-2.0)), rel=1e-3)
    assert independent < strongest


def test_deficit_not_penalised_and_nan_raises():
    assert st.one_sided_gaussian_chi2(-1.0, 2.7) == 0.0
    with pytest.raises(ValueError, match="NaN"):
        st.one_sided_gaussian_chi2(float("nan"), 2.7)
    with pytest.raises(ValueError):
        st.upper_limit_sigma(0.0)


def test_grid_not_covering_bins_raises():
    narrow = StepPrediction([20.0, 30.0], [1.0], grid_min=12.0, grid_max=200.0)
    with pytest.raises(ValueError, match="does not cover"):
        likelihoods.SKIV(mode="binned")(narrow)
    with pytest.raises(ValueError, match="does not cover"):
        likelihoods.Borexino()(narrow)
    short = StepPrediction([20.0, 30.0], [1.0], grid_min=1.0, grid_max=50.0)
    with pytest.raises(ValueError, match="does not cover"):
        likelihoods.SKIV()(short)


def test_bad_options():
    with pytest.raises(ValueError, match="mode"):
        likelihoods.SKIV(mode="nope")
    with pytest.raises(ValueError, match="binned_mode"):
        likelihoods.Borexino(binned_mode="nope")
    with pytest.raises(ValueError, match="limit"):
        likelihoods.SKIV(limit=-1.0)


# ---- exact Poisson -------------------------------------------------------------------------
def test_poisson_zero_background_upper_limit():
    # PDG Review of Particle Physics, Statistics, Table 40.3 (classical, b = 0, 90% C.L.):
    # n = 0, 1, 2, 3 -> 2.30, 3.89, 5.32, 6.68 events.
    for n, ref in [(0, 2.30), (1, 3.89), (2, 5.32), (3, 6.68)]:
        assert st.poisson_upper_limit(n, 0.0, 0.90) == pytest.approx(ref, abs=0.005)
    assert st.poisson_upper_limit(0) == pytest.approx(-math.log(0.1), rel=1e-12)
    # coverage definition: P(N <= 2 | mu_up) = 0.1
    mu = st.poisson_upper_limit(2, 0.0, 0.9)
    assert sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(3)) == pytest.approx(0.1, rel=1e-9)


def test_poisson_deviance_matches_direct_loglikelihood():
    n, mu = np.array([3.0, 0.0, 7.0]), np.array([2.5, 1.2, 9.0])
    direct = -2 * np.sum(n * np.log(np.where(n > 0, mu, 1)) - mu) + 2 * np.sum(
        np.where(n > 0, n * np.log(np.where(n > 0, n, 1)) - n, 0))
    assert st.poisson_deviance(n, mu) == pytest.approx(direct, rel=1e-12)


# ---- Asimov formulae -----------------------------------------------------------------------
def _fit_mu(n, s, b, iters=60):
    """Vectorised MLE of mu for n_ij ~ Poisson(mu s_j + b_j), mu >= mu_min (mu s + b > 0)."""
    mu_min = -np.min(b / s) * (1 - 1e-9)
    mu = np.clip((n.sum(1) - b.sum()) / s.sum(), mu_min, None)
    for _ in range(iters):
        lam = mu[:, None] * s + b
        g = np.sum(n * s / lam - s, axis=1)
        h = -np.sum(n * s**2 / lam**2, axis=1)
        mu = np.clip(mu - g / h, mu_min + 1e-12, None)
    return mu


def _loglike(n, mu, s, b):
    lam = mu[:, None] * s + b
    return np.sum(n * np.log(lam) - lam, axis=1)


S = np.array([6.0, 9.0, 4.0])
B = np.array([30.0, 12.0, 5.0])


def test_asimov_discovery_vs_toy_mc_median():
    rng = np.random.default_rng(20240611)
    n = rng.poisson(S + B, size=(40000, 3)).astype(float)
    mu = np.clip(_fit_mu(n, S, B), 0.0, None)  # one-sided discovery test
    q0 = 2 * (_loglike(n, mu, S, B) - _loglike(n, np.zeros(len(n)), S, B))
    z_toys = np.median(np.sqrt(np.clip(q0, 0, None)))
    assert st.discovery_significance(S, B) == pytest.approx(z_toys, rel=0.04)


def test_asimov_exclusion_vs_toy_mc_median():
    rng = np.random.default_rng(7)
    n = rng.poisson(B, size=(40000, 3)).astype(float)
    mu = _fit_mu(n, S, B)
    one = np.ones(len(n))
    q1 = np.where(mu < 1, 2 * (_loglike(n, mu, S, B) - _loglike(n, one, S, B)), 0.0)
    z_toys = np.median(np.sqrt(np.clip(q1, 0, None)))
    assert st.exclusion_significance(S, B) == pytest.approx(z_toys, rel=0.04)


def test_asimov_gaussian_limit_and_special_cases():
    # s << b: both Z -> s / sqrt(b)
    s, b = np.array([1.0]), np.array([1e6])
    assert st.discovery_significance(s, b) == pytest.approx(1e-3, rel=1e-4)
    assert st.exclusion_significance(s, b) == pytest.approx(1e-3, rel=1e-4)
    assert st.naive_significance(s, b) == pytest.approx(1e-3, rel=1e-12)
    # bins add in quadrature of significance (q is additive)
    z1, z2 = st.discovery_significance([5.0], [3.0]), st.discovery_significance([2.0], [9.0])
    assert st.discovery_significance([5.0, 2.0], [3.0, 9.0]) == pytest.approx(math.hypot(z1, z2), rel=1e-12)
    assert st.discovery_significance([0.0], [5.0]) == 0.0
    assert math.isinf(st.discovery_significance([1.0], [0.0]))
    with pytest.raises(ValueError):
        st.discovery_significance([1.0], [-1.0])
    with pytest.raises(ValueError):
        st.discovery_significance([1.0, 2.0], [1.0])


def test_exposure_for_significance_by_bruteforce():
    s_rate, b_rate = np.array([0.004, 0.003]), np.array([0.02, 0.025])  # events / (ton yr)
    for z_target in (1.0, 3.0, 5.0):
        brute = brentq(lambda e: st.discovery_significance(e * s_rate, e * b_rate) - z_target, 1e-3, 1e9,
                       rtol=1e-12)
        z_now = st.discovery_significance(100 * s_rate, 100 * b_rate)
        assert st.exposure_for_significance(z_now, 100.0, z_target) == pytest.approx(brute, rel=1e-8)


def test_median_upper_limit_strength_gaussian_regime():
    s, b = np.array([10.0, 5.0]), np.array([1e6, 4e6])
    mu = st.median_upper_limit_strength(s, b, 0.9)
    # Gaussian regime: mu * sqrt(sum s^2 / b) = z_0.9
    assert mu * math.sqrt(np.sum(s**2 / b)) == pytest.approx(1.2816, rel=1e-3)


# ---- priors and combination ----------------------------------------------------------------
def test_priors_and_combined_no_double_counting():
    tprior = GaussianPrior(7.0, 1.0, low=1.0)
    sk = likelihoods.SKIV(priors={"T_nuebar": tprior})
    bx = likelihoods.Borexino(priors={"T_nuebar": tprior, "sfr_norm": UniformPrior(0.5, 2.0)})
    pred = StepPrediction([17.3, 18.3], [0.0], params={"lam": 0.0, "T_nuebar": 9.0, "sfr_norm": 1.0,
                                                        "T_nue": 6.6, "T_nux": 10.0, "E_tot": 3e53})
    assert sk(pred) == pytest.approx(4.0)              # zero flux, ((9 - 7) / 1)^2
    both = sk + bx
    assert isinstance(both, Combined)
    assert both(pred) == pytest.approx(4.0)            # shared prior counted once
    assert set(both.nuisances) == {"T_nuebar", "sfr_norm"}
    flux = StepPrediction([17.3, 18.3], [1.0], params=pred.params)
    assert both(flux) == pytest.approx(sk(flux) + bx.data_chi2(flux))
    assert both.required_energy_range == (1.8, 100.0)
    assert both.bib_keys == ["Abe2021SKDSNB", "Agostini2021Borexino"]
    three = both + likelihoods.SKGdProjectedLimit()
    assert len(three.components) == 3
    with pytest.raises(ValueError, match="conflicting"):
        sk + likelihoods.SKGdProjectedLimit(priors={"T_nuebar": GaussianPrior(6.0, 1.0)})
    with pytest.raises(ValueError, match="twice"):
        sk + sk
    with pytest.raises(ValueError, match="twice"):
        sk + likelihoods.SKIV(mode="binned")
    out = StepPrediction([17.3, 18.3], [0.0], params=dict(pred.params, sfr_norm=3.0))
    assert math.isinf(bx(out))
    with pytest.raises(ValueError, match="unknown nuisance"):
        likelihoods.SKIV(priors={"T_foo": tprior})
