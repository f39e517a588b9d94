"""Binned DSNB detector forecasts (relicboost.likelihoods.dsnb_detectors).

Signal counts are validated against a published expectation for JUNO (J. Cheng for JUNO, EPS-HEP 2021),
SK-Gd (Horiuchi, Beacom & Dwek 2009) and DUNE (DUNE Far Detector TDR Vol. II, arXiv:2002.03005: 46 +- 10
events in 40 kt x 10 yr, normal ordering; our count with relicboost's standard source lies inside the quoted
band +- 20% but 29% above its centre, see the test docstring and docs/deficit.md).  Hyper-K has NO such test:
its quoted DSNB expectation (Design Report arXiv:1805.04163, DSNB section and Fig. 188; Moller, Suliga,
Tamborra & Denton arXiv:1804.03157) could not be read with its reference model through the tools available
(searches of 2026-12-01, listed in docs/deficit.md).  The Hyper-K counts are tied to SK-Gd's by the mass
ratio (tested here), so the SK-Gd validation carries over up to the Hyper-K efficiency and window.
"""
import numpy as np
import pytest
from scipy import stats

from relicboost import Model, likelihoods
from relicboost.likelihoods.dsnb_detectors import DETECTORS


@pytest.fixture(scope="module")
def paper():
    m = Model(convention="paper", energy_min=0.5)
    return m, m.predict(0.0)


def test_juno_reference_counts_match_collaboration(paper):
    """JUNO (J. Cheng for JUNO, EPS-HEP 2021, indico.desy.de/event/27991/contributions/101537):
    "Typical supernova models predict 2-4 events per year within the optimal observation window".
    Reference model: the paper's standard DSNB (T_nuebar = 7 MeV, E_tot = 3e53 erg, paper SFR, no
    flavour conversion), JUNO window 12-30 MeV visible; must lie in [2, 4] within 20%."""
    _, null = paper
    per_year = likelihoods.JUNO(null, years=1.0).signal_counts(null).sum()
    assert 0.8 * 2.0 <= per_year <= 1.2 * 4.0


def test_counts_scale_with_years_and_mass(paper):
    _, null = paper
    a = likelihoods.SKGd(null, years=1.0)
    b = likelihoods.SKGd(null, years=10.0)
    assert b.signal_counts(null) == pytest.approx(10 * a.signal_counts(null), rel=1e-12)
    assert b.background_counts == pytest.approx(10 * a.background_counts, rel=1e-12)
    hk = likelihoods.HyperK(null, years=1.0, gadolinium=True)
    # same window, efficiency and response as SK-Gd; mass ratio 187 / 22.5
    assert hk.signal_counts(null).sum() == pytest.approx(187 / 22.5 * a.signal_counts(null).sum(), rel=1e-9)


def test_poisson_deviance_against_direct_formula(paper):
    m, null = paper
    det = likelihoods.HyperK(null, years=10.0)
    mu = det.expected(m.predict(1e-10))
    n = det.asimov_data
    direct = 2.0 * np.sum(mu - n + n * np.log(n / mu))
    assert det.data_chi2(m.predict(1e-10)) == pytest.approx(direct, rel=1e-12)
    # integer data: -2 [ln P(n|mu) - ln P(n|n)] from scipy
    k = np.round(n)
    ref = -2.0 * np.sum(stats.poisson.logpmf(k, mu) - stats.poisson.logpmf(k, k))
    from relicboost.likelihoods import statistics as st
    assert st.poisson_deviance(k, mu) == pytest.approx(ref, rel=1e-10)
    assert det.data_chi2(null) == pytest.approx(0.0, abs=1e-12)


def test_asimov_median_matches_seeded_toys(paper):
    """Median of the log-likelihood ratio t = -2 ln[L(test)/L(null)] over Poisson toys drawn from
    the null equals the Asimov value within 5% (Cowan et al. 2011)."""
    m, null = paper
    det = likelihoods.HyperK(null, years=10.0, gadolinium=True)
    mu0 = det.asimov_data
    for lam in (3e-11, 1e-10):
        mu1 = det.expected(m.predict(lam))
        rng = np.random.default_rng(12345)
        n = rng.poisson(mu0, size=(20000, mu0.size))
        t = 2.0 * np.sum(mu1 - mu0 - n * np.log(mu1 / mu0), axis=1)
        q_asimov = det.data_chi2(m.predict(lam))
        assert q_asimov > 1.0
        assert np.median(t) == pytest.approx(q_asimov, rel=0.05)


def test_consistent_deficit_and_paper_excess():
    cons = Model(convention="consistent", energy_min=0.5)
    null_c = cons.predict(0.0)
    det = likelihoods.SKGd(null_c, years=10.0)
    assert det.expected(cons.predict(1e-9)).sum() < det.asimov_data.sum()
    pap = Model(convention="paper", energy_min=0.5)
    null_p = pap.predict(0.0)
    det_p = likelihoods.SKGd(null_p, years=10.0)
    assert det_p.expected(pap.predict(1e-10)).sum() > det_p.asimov_data.sum()
    assert det.discovery_q0(cons.predict(1e-9)) > 0


def test_every_detector_builds_and_labels(paper):
    _, null = paper
    for name, cls in DETECTORS.items():
        det = cls(null, years=1.0)
        assert "Asimov data = null" in det.label
        tab = det.table(null)
        assert {"E_vis_low_MeV", "total_events", "asimov_null_events"} <= set(tab.columns)
        assert np.all(det.background_counts > 0), name


@pytest.mark.parametrize("kwargs, match", [
    ({"years": 0.0}, "years"), ({"threshold_MeV": 40.0, "emax_MeV": 30.0}, "threshold"),
    ({"efficiency": 1.5}, "efficiency"), ({"background_scale": -1.0}, "background_scale"),
    ({"detector": "kamland"}, "detector"), ({"bin_width_MeV": 0.0}, "bin_width")])
def test_bad_input(paper, kwargs, match):
    _, null = paper
    with pytest.raises(ValueError, match=match):
        likelihoods.DSNBDetector(null, **{"detector": "juno", **kwargs})


def test_null_must_be_lam_zero(paper):
    m, _ = paper
    with pytest.raises(ValueError, match="null_prediction"):
        likelihoods.JUNO(m.predict(1e-11))


def test_dsnb_detection_significance_vs_collaboration_statements(paper):
    """Median DSNB discovery significance (data = standard DSNB + backgrounds, hypothesis = backgrounds).
    JUNO, JCAP 10 (2022) 033 (arXiv:2205.08830) abstract: "better than 5 sigma after 10 years" for their
    reference model; Li, Vagins, Wurm, Universe 8 (2022) 181 (arXiv:2201.12920) abstract: SK-Gd and JUNO
    "reach >3 sigma evidence ... within 10 years".  (JUNO also quotes 3 sigma after 3 years; here 4.0:
    our background placeholders are lower than theirs -- see docs/deficit.md.)"""
    from relicboost.likelihoods import statistics as st

    _, null = paper
    juno = likelihoods.JUNO(null, years=10.0)
    skgd = likelihoods.SKGd(null, years=10.0)
    z_juno = st.discovery_significance(juno.signal_counts(null), juno.background_counts)
    z_skgd = st.discovery_significance(skgd.signal_counts(null), skgd.background_counts)
    assert z_juno > 5.0
    assert z_skgd > 3.0


def test_skgd_rate_matches_horiuchi_beacom_dwek_2009():
    """Horiuchi, Beacom & Dwek, PRD 79 (2009) 083013 (arXiv:0812.3157), abstract: with gadolinium, SK
    (22.5 kt) expects 1.2-5.6 DSNB events per year in 10-26 MeV, for T = 4-6 MeV and a core-collapse
    rate uncertainty of +-40%.  Reading the range as (T = 4 MeV, rate x 0.6) to (T = 6 MeV, rate x 1.4),
    full efficiency: our SK-Gd counts (paper inputs otherwise) reproduce both ends within 20%
    (measured 1.21 and 5.49)."""
    m = Model(convention="paper", energy_min=1.0)
    null = m.predict(0.0)
    det = likelihoods.SKGd(null, years=1.0, efficiency=1.0, threshold_MeV=10.0, emax_MeV=26.0)
    low = 0.6 * det.signal_counts(m.predict(0.0, T_nuebar=4.0)).sum()
    high = 1.4 * det.signal_counts(m.predict(0.0, T_nuebar=6.0)).sum()
    assert low == pytest.approx(1.2, rel=0.2)
    assert high == pytest.approx(5.6, rel=0.2)


def test_dune_counts_vs_dune_tdr():
    """DUNE Far Detector TDR Vol. II, DUNE Physics (arXiv:2002.03005), chapter "Supernova neutrino bursts and
    physics with low-energy neutrinos", subsection "Diffuse Supernova Background Neutrinos", Eq. (srnrate),
    read in the collaboration's LaTeX source (github.com/DUNE/dune-tdr, vol-physics/ch-snb-lowe.tex, commits
    045a403 and c2429ad): "The expected number of relic supernova neutrinos, N_DSNB, that could be observed in
    a 40 kt LArTPC detector in ten years [Cocco et al., JCAP 12 (2004) 002] assuming normal ordering is:
    N_DSNB = 46 +- 10, 16 MeV <= E_e <= 40 MeV", E_e the energy of the electron from nu_e 40Ar -> e- 40K*.

    Reference model: the flux model of Cocco et al. could not be read (abstract only), so the one ingredient the
    DUNE sentence states, normal ordering, is applied to relicboost's standard source: consistent convention at
    lam = 0 with flavour="normal" (adiabatic MSW: nu_e at Earth = s13^2 nu_e + (1 - s13^2) nu_x of the source,
    T_nux = 10 MeV), paper SFR (Table I), E_tot = 3e53 erg; DUNE 40 kt x 10 yr, efficiency 1 (none is stated),
    16-40 MeV in visible energy E_nu - 1.505 MeV.  Measured 59.1 events: inside the quoted 46 +- 10 widened by
    the 20% of issue 12 (asserted), but +29% from the central value (not asserted).  The spread is the nu_x
    spectrum, which the DUNE sentence does not give: 44.4 / 52.5 / 59.1 events for T_nux = 8 / 9 / 10 MeV.
    Other mappings: E_e = E_nu - 5.9 MeV (transition to the 4.38 MeV 40K* state) 58.2; SNOwGLoBES ar40kt
    response 58.1; inverted ordering 51.3; no flavour conversion (the paper's convention) 31.1 events."""
    cons = Model(convention="consistent", energy_min=1.0, flavour="normal")
    null = cons.predict(0.0)
    det = likelihoods.DUNE(null, years=10.0, efficiency=1.0, threshold_MeV=16.0, emax_MeV=40.0)
    events = det.signal_counts(null).sum()
    assert 0.8 * (46.0 - 10.0) <= events <= 1.2 * (46.0 + 10.0)


def test_per_bin_efficiency(paper):
    _, null = paper
    flat = likelihoods.JUNO(null, years=1.0, efficiency=0.5)
    n = flat.edges_MeV.size - 1
    per_bin = likelihoods.JUNO(null, years=1.0, efficiency=[0.5] * n)
    assert per_bin.signal_counts(null) == pytest.approx(flat.signal_counts(null), rel=1e-12)
    ramp = np.linspace(0.2, 1.0, n)
    det = likelihoods.JUNO(null, years=1.0, efficiency=ramp)
    assert det.signal_counts(null) == pytest.approx(ramp / 0.5 * flat.signal_counts(null), rel=1e-12)
    with pytest.raises(ValueError, match="per-bin"):
        likelihoods.JUNO(null, efficiency=[0.5, 0.5])


def test_light_mediator_predictions_plug_in(paper):
    """The detectors take any Prediction: predict_mediator points (for the (g, M) scan of issue 11) are
    compared with the same lam = 0 null; the heavy limit equals predict(lam) (paper Eq. II.5)."""
    m, null = paper
    det = likelihoods.HyperK(null, years=10.0, gadolinium=True)
    heavy = m.predict_mediator(1e-2, 10.0, "scalar")
    assert det.data_chi2(heavy) == pytest.approx(det.data_chi2(m.predict(heavy.params["lam"])), rel=1e-6)
    assert det.data_chi2(m.predict_mediator(0.0, 1.0, "scalar")) == pytest.approx(0.0, abs=1e-12)
