"""Expected (g, M) exclusion of the DSNB detectors from the detector counts of a scan table
(relicboost.inference.gm_exclusion) against a direct evaluation of the detector likelihood: the same
DSNBDetector built on the g = 0 prediction, the full light-mediator prediction at (g, M), sfr_norm profiled
with iminuit through the (g, M) Problem (relicboost.inference.gm_problem) — re-predicting at every sfr_norm."""
from __future__ import annotations

import math

import numpy as np
import pytest

from relicboost.inference.forecast import _priors
from relicboost.inference.gm_detector_counts import count_columns, null_counts, table_counts
from relicboost.inference.gm_exclusion import exclusion_frame, lowest_excluded_couplings
from relicboost.inference.gm_problem import mediator_point_problem
from relicboost.inference.gm_scan import GMScanSpec
from relicboost.inference.gm_scan_engine import scan_frame
from relicboost.inference.limits import threshold
from relicboost.inference.profile import Profiler
from relicboost.likelihoods.dsnb_detectors import DSNBDetector
from relicboost.physics.interactions import lam_from_coupling
from relicboost.results.fig_gm_consistent import MODEL_OPTIONS

G = 4.6416e-4
#: Two masses: M = 0.5 keV (resonance below the window: JUNO 20 yr excludes, SK-Gd 10 yr does not at this g) and
#: M = 3.16 keV (above the resonance band: nothing excluded at this g).
MASSES = (5e-4, 3.1623e-3)
CASES = (("skgd", 10.0), ("juno", 20.0))


@pytest.fixture(scope="module")
def scan():
    spec = GMScanSpec(g=(G,), M_MeV=MASSES, mediator="scalar", convention="consistent", m_nu_eV=0.05,
                      model_options=MODEL_OPTIONS)
    table = scan_frame(spec)
    return spec, table, exclusion_frame(table, CASES, 0.90)


def test_counts_scale_with_rate_and_years(scan):
    _, table, frame = scan
    point = table_counts(table)[0]
    assert np.allclose(point.with_sfr_norm(1.7).events_per_yr("juno"), 1.7 * point.events_per_yr("juno"), rtol=1e-14)
    null = null_counts(table.attrs)
    assert len(null.counts_per_yr["dune"]) == len(count_columns("dune"))
    juno = frame[frame["case"] == "juno 20 yr"]
    assert np.allclose(juno["null_signal_events"], 20.0 * np.sum(null.counts_per_yr["juno"]), rtol=1e-12)


def test_flags_agree_with_the_direct_detector_likelihood(scan):
    """The table's q (tabulated counts, bounded 1-D profile) equals the detector likelihood of the full
    prediction profiled over sfr_norm by iminuit with a new prediction at every step, at two grid points."""
    from relicboost import Model

    spec, _, frame = scan
    thr = threshold(0.90)
    model = Model(convention="consistent", **MODEL_OPTIONS)
    null = model.predict_mediator(0.0, MASSES[0], "scalar", m_nu_eV=0.05, **dict(spec.mediator_options))
    flags = []
    for det_name, years in CASES:
        det = DSNBDetector(null, years, detector=det_name, priors=_priors(("sfr_norm",)))
        for M in MASSES:
            row = frame[(frame["detector"] == det_name) & np.isclose(frame["M_MeV"], M)].iloc[0]
            pred = model.predict_mediator(G, M, "scalar", m_nu_eV=0.05, **dict(spec.mediator_options))
            assert row["q_asimov_nuisances_fixed"] == pytest.approx(det(pred), rel=1e-9, abs=1e-12)
            problem = mediator_point_problem(det, "scalar", M, m_nu_eV=0.05, free=("sfr_norm",),
                                             mediator_options=dict(spec.mediator_options), convention="consistent",
                                             **MODEL_OPTIONS)
            q_direct, _ = Profiler(problem)(float(lam_from_coupling(G, M, 0.05, "scalar")))
            assert row["q_asimov"] == pytest.approx(q_direct, rel=2e-3, abs=1e-6), (det_name, M)
            assert bool(row["excluded"]) == (q_direct >= thr)
            flags.append(bool(row["excluded"]))
    # the two points test both sides of the threshold
    assert flags == [False, False, True, False]


def test_band_flags_follow_sqrt_q(scan):
    """+-N sigma edges: sqrt(q) >= 1.2816 + N; -2 sigma is the physical boundary (everything excluded)."""
    _, _, frame = scan
    root = np.sqrt(np.clip(frame["q_asimov"], 0, None))
    assert frame["excluded_-2sigma"].all()
    for label, n in (("-1sigma", -1.0), ("+1sigma", 1.0), ("+2sigma", 2.0)):
        assert (frame[f"excluded_{label}"] == (root >= 1.2815516 + n)).all()
    assert (frame["excluded_+1sigma"] <= frame["excluded"]).all() and (frame["excluded"] <= frame["excluded_-1sigma"]).all()


def test_lowest_crossing_and_labels(scan):
    _, _, frame = scan
    low = lowest_excluded_couplings(frame)
    assert set(low["case"]) == {"skgd 10 yr", "juno 20 yr"}
    juno_res = low[(low["case"] == "juno 20 yr") & np.isclose(low["M_MeV"], MASSES[0])].iloc[0]
    assert juno_res["status"] == "f >= 0 already at the first grid point"  # one g only: excluded at the grid start
    assert math.isnan(low[(low["case"] == "skgd 10 yr")]["g_lowest_excluded"].iloc[0])
    head = "\n".join(f"{k}: {v}" for k, v in frame.attrs.items()).lower()
    for key in ("method", "statistic", "cl", "convention", "null"):
        assert key in head
    assert {"g", "M_MeV", "mediator", "model", "relic_masses", "detector", "q_asimov", "excluded", "perturbative",
            "heavy_limit_valid"} <= set(frame.columns)


def test_written_table_gives_the_same_exclusion(scan, tmp_path):
    """The counts travel through the gm-scan CSV (relicboost gm-scan output): same q after read_table."""
    from relicboost.inference.gm_scan import format_table, read_table

    _, table, frame = scan
    path = tmp_path / "gm_scan.csv"
    path.write_text(format_table(table.attrs, table.to_dict("records")), encoding="utf-8")
    again = exclusion_frame(read_table(path), CASES, 0.90)
    assert np.allclose(again["q_asimov"], frame["q_asimov"], rtol=1e-12, atol=1e-12)
    assert "per year of live time" in read_table(path).attrs["detector_counts"]
