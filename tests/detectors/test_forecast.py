"""Full-model forecasts (relicboost.inference.forecast)."""
import math

import pytest

from relicboost.inference import forecast as fc


@pytest.fixture(scope="module")
def juno_paper():
    return fc.forecast("juno", 20.0, "paper")


def test_bands_ordered_and_labelled(juno_paper):
    r = juno_paper
    e = r.expected
    assert e["-2sigma"] <= e["-1sigma"] <= e["median"] <= e["+1sigma"] <= e["+2sigma"]
    assert 1e-13 < e["median"] < 1e-9
    assert "lam = 0" in r.null and "full prediction" in r.statistic
    assert r.effect == "net excess"  # paper convention: boosted neutrinos fill the window
    d = r.to_dict()
    assert d["lam_upper_median_MeV-3"] == pytest.approx(e["median"])


def test_median_crossing_is_the_threshold(juno_paper):
    """At the median limit the full-model deviance equals z_90^2 = 1.6424 (nuisances fixed)."""
    model, det = fc.build_detector("juno", 20.0, "paper")
    q = det.data_chi2(model.predict(juno_paper.expected["median"]))
    assert q == pytest.approx(1.6424, rel=1e-3)
    assert det.data_chi2(model.predict(0.0)) == pytest.approx(0.0, abs=1e-12)


def test_consistent_convention_sees_a_deficit():
    r = fc.forecast("skgd", 10.0, "consistent", n_scan=9)
    assert r.effect == "net deficit"
    assert math.isfinite(r.expected["median"])


def test_profiling_the_rate_normalisation_weakens_the_limit(juno_paper):
    r = fc.forecast("juno", 20.0, "paper", profile=("sfr_norm",))
    assert r.expected["median"] >= juno_paper.expected["median"] * (1 - 1e-6)


def test_resnova_full_model_uses_a_null():
    r = fc.forecast("resnova", 10.0, "paper", n_scan=9)
    assert "lam = 0" in r.null
    # measured 3.94e-11 (full model) vs 3.75e-11 with the lam-dependent DSNB background
    assert 3.0e-11 < r.expected["median"] < 5.0e-11


def test_discovery_reach_above_exclusion(juno_paper):
    lam3 = fc.discovery_reach("juno", 20.0, "paper", z_target=3.0)
    assert lam3 > juno_paper.expected["median"]


@pytest.mark.parametrize("kwargs, match", [({"detector": "kamland"}, "detector"),
                                           ({"detector": "juno", "years": -1.0}, "years"),
                                           ({"detector": "juno", "convention": "other"}, "convention"),
                                           ({"detector": "juno", "profile": ("mass",)}, "profile")])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fc.forecast(**kwargs)


def test_band_status_names_the_boundary_edge(juno_paper):
    """At 90% C.L. (CLs+b) the -2 sigma edge solves sqrt(q_A) = 1.28 - 2 < 0: it is the physical
    boundary lam = 0, reported as a status, not as a crossing."""
    assert juno_paper.band_status["-2sigma"] == fc.AT_BOUNDARY
    assert all(juno_paper.band_status[b] == "ok" for b in ("-1sigma", "median", "+1sigma", "+2sigma"))
    assert juno_paper.to_dict()["band_status"]["-2sigma"] == fc.AT_BOUNDARY
