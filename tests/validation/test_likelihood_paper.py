"""Likelihoods against the statements of Das, Perez-Gonzalez, Sen, PRD 106 (2022) 095042 (arXiv:2204.11885),
Sec. V, and optional cross-checks of the typed-in limits against third-party transcriptions.

Measured with this code (paper convention, Table I SFR; see the issue-4 report):
  * SK-IV (2.7 cm^-2 s^-1 above 17.3 MeV) is reached at lam = 1.33e-11 MeV^-3 for T = 7/10 MeV
    (paper: "ruled out for G_X^2 m_nu >~ 1e-11"); for T = 6/7 MeV -2 ln L stays below the 90% threshold
    up to lam = 1e-9 (paper: "out of reach"), and crosses only at lam ~ 3.7e-9.
  * Lead, E_th = 3 keV, background = standard DSNB + atmospheric, S = boosted CvB: S/sqrt(B) = 1 needs
    0.95 kton yr at lam = 1e-9 (paper ~1) and 41 kton yr at lam = 1e-11 (paper ~20): our boosted
    rate at 1e-11 is 0.0011 events/(ton yr), the paper's 20 kton yr implies ~0.0015.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from relicboost import likelihoods
from relicboost import model as model_mod
from relicboost.likelihoods import statistics as st

THRESHOLD_90 = 1.2816**2
DATA = Path(__file__).resolve().parents[1] / "data"   # third-party transcriptions with provenance headers



@pytest.fixture(scope="module")
def model():
    return model_mod.Model(convention="paper", sfr="paper")


# ---- SK-IV: paper Sec. V and Fig. 3 ---------------------------------------------------------
def test_skiv_excludes_near_1e_11_for_T7_10(model):
    sk = likelihoods.SKIV()

    def f(log_lam):
        return sk(model.predict(lam=10**log_lam, T_nuebar=7.0, T_nux=10.0)) - THRESHOLD_90

    assert f(-13) < 0 < f(-9)
    lam_sk = 10 ** brentq(f, -13, -9, xtol=1e-6)
    # paper: "already ruled out by SK-IV for G_X^2 m_nu >~ 1e-11 MeV^-3"
    assert 4e-12 < lam_sk < 3e-11


def test_skiv_does_not_exclude_T6_7(model):
    sk = likelihoods.SKIV()
    # paper: the (6, 7) MeV case "stays out of reach of the current SK bounds" (lam up to 1e-9, Figs. 3-6)
    chi2 = [sk(model.predict(lam=lam, T_nuebar=6.0, T_nux=7.0)) for lam in np.geomspace(1e-13, 1e-9, 9)]
    assert max(chi2) < THRESHOLD_90


def test_api_example(model):
    sk = likelihoods.SKIV()
    p = model.predict(lam=1e-11)
    chi2 = sk(p)
    # -2 ln L = (Phi / sigma)^2 with sigma = 2.7 / 1.2816, Phi from the prediction's own integral
    phi = p.integrated_flux("nuebar", emin=17.3)
    assert chi2 == pytest.approx((phi * 1.2816 / 2.7) ** 2, rel=1e-3)
    both = likelihoods.SKIV() + likelihoods.Borexino()
    assert both(p) == pytest.approx(chi2 + likelihoods.Borexino()(p), rel=1e-12)


# ---- RES-NOVA / lead: paper Sec. V ----------------------------------------------------------
def test_paper_naive_exposure_arithmetic():
    """Paper Sec. V: DSNB 0.015, atmospheric 0.03, boosted 0.007 events/(ton yr) at 3 keV -> S/sqrt(B) = 1
    at 'E ~ 1 kton yr'."""
    e0 = 100.0
    z = st.naive_significance([0.007 * e0], [(0.015 + 0.03) * e0])
    assert st.exposure_for_significance(z, e0, 1.0) == pytest.approx(1000.0, rel=0.15)


@pytest.mark.parametrize("lam, paper_kton_yr, lo, hi", [
    (1e-9, 1.0, 0.5, 2.0),     # paper: "E ~ 1 kton yr ... for G_X^2 m_nu >~ 1e-9"; we get 0.95
    (1e-11, 20.0, 10.0, 80.0),  # paper: "E ~ 20 kton yr ... for >~ 1e-11"; we get 41 (see module doc)
])
def test_paper_naive_exposure_with_cevns(model, lam, paper_kton_yr, lo, hi):
    null = model.predict(lam=0.0)
    rn = likelihoods.RESNOVA(exposure_ton_yr=1000.0, threshold_keV=3.0, recoil_edges_keV=[3.0, 200.0],
                             backgrounds=("atmospheric",), null_prediction=null)
    exposure = rn.exposure_for_significance(model.predict(lam=lam), 1.0, kind="naive") / 1000.0
    assert lo < exposure < hi


def test_resnova_bookkeeping(model):
    from relicboost.physics import cevns

    p = model.predict(lam=1e-10)
    edges = np.array([1.0, 2.0, 5.0, 20.0, 100.0])
    rn = likelihoods.RESNOVA(exposure_ton_yr=10.0, threshold_keV=1.0, recoil_edges_keV=edges,
                             flat_background_per_ton_yr_keV=0.01)
    c = rn.binned_counts(p)
    above = cevns.counts(p, "boosted", threshold_keV=edges)
    assert c["boosted"].sum() == pytest.approx(10.0 * (above[0] - above[-1]), rel=1e-9)
    np.testing.assert_allclose(c["flat"], 0.01 * np.diff(edges) * 10.0, rtol=1e-12)
    _, b = rn.signal_background(p)
    np.testing.assert_allclose(b, c["dsnb"] + c["solar-8B"] + c["solar-hep"] + c["atmospheric"] + c["flat"])
    # Z grows as sqrt(exposure): an independent instance at 4x the exposure
    rn4 = likelihoods.RESNOVA(exposure_ton_yr=40.0, threshold_keV=1.0, recoil_edges_keV=edges,
                              flat_background_per_ton_yr_keV=0.01)
    assert rn4.discovery_significance(p) == pytest.approx(2.0 * rn.discovery_significance(p), rel=1e-9)
    # no signal at lam = 0: zero test statistic
    p0 = model.predict(lam=0.0)
    assert rn(p0) == 0.0 and rn.discovery_significance(p0) == 0.0
    # excess mode: s = total(lam) - total(0)
    rx = likelihoods.RESNOVA(exposure_ton_yr=10.0, threshold_keV=1.0, recoil_edges_keV=edges,
                             signal="excess", null_prediction=p0)
    sx, _ = rx.signal_background(p)
    tot = cevns.counts(p, "total", threshold_keV=edges) - cevns.counts(p0, "total", threshold_keV=edges)
    assert sx.sum() == pytest.approx(10.0 * (tot[0] - tot[-1]), rel=1e-9, abs=1e-12)


def test_resnova_api_and_phase(model):
    rn = likelihoods.RESNOVA(exposure_ton_yr=465.0, threshold_keV=1.0)
    assert rn.is_forecast and "FORECAST" in rn.label
    assert likelihoods.RESNOVA.from_phase("RES-NOVA-3", years=2.0).exposure_ton_yr == pytest.approx(930.0)
    lo, hi = rn.required_energy_range
    # smallest neutrino energy giving a 1 keV recoil on 204Pb: sqrt(m E_R / 2) = 9.8 MeV
    assert 9.0 < lo < 9.8 and hi == 100.0
    narrow = model_mod.Model(energy_min=12.0).predict(lam=1e-10)
    with pytest.raises(ValueError, match="does not cover"):
        rn(narrow)
    with pytest.raises(ValueError, match="null_prediction"):
        likelihoods.RESNOVA(signal="excess")
    with pytest.raises(ValueError, match="exposure_ton_yr"):
        likelihoods.RESNOVA(exposure_ton_yr=0.0)


# ---- cross-checks against third-party transcriptions (tests/data, sources in the headers) ----
def test_sk_bins_vs_third_party_transcriptions():
    sk = likelihoods.SKIV(mode="binned")
    centres = 0.5 * (sk.edges_MeV[:-1] + sk.edges_MeV[1:])
    ref = pd.read_csv(DATA / "sk4_binned_limit_transcriptions.csv", comment="#")
    for name, tol in (("ziegler", 0.005), ("dandas", 0.025)):
        t = ref[ref.transcription == name]
        np.testing.assert_allclose(t.E_centre_MeV, centres, atol=0.1)
        np.testing.assert_allclose(sk.limit, t.limit_per_cm2_s_MeV, rtol=tol)


def test_borexino_bins_vs_third_party_transcription():
    bx = likelihoods.Borexino()
    ref = pd.read_csv(DATA / "borexino_limit_transcription.csv", comment="#")
    np.testing.assert_allclose(bx.limit, ref.limit_per_cm2_s_MeV, rtol=1e-3)
    np.testing.assert_allclose(bx.edges_MeV, np.r_[ref.E_low_MeV, ref.E_high_MeV.iloc[-1]], atol=1e-9)
