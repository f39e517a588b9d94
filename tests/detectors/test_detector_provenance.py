"""Detector inputs against the numbers read in publications and maintained tables (values typed here
with their source; the tests fail if the shipped CSV drifts from them)."""
import pytest

from relicboost.likelihoods.dsnb_detectors import detector_table

#: Nucleons per kt (N_A per gram x 1e9 g).
NUCLEONS_PER_KT = 6.02214e32


def _row(name):
    t = detector_table()
    return t[t["detector"] == name].iloc[0]


def test_juno_energy_resolution_is_the_collaboration_value():
    """JUNO, Prog. Part. Nucl. Phys. 123 (2022) 103927 (arXiv:2104.02565), abstract: "an effective
    relative energy resolution of 3.02%/sqrt(E/MeV) in simulations"."""
    row = _row("juno")
    assert row["res_b_sqrtMeV"] == pytest.approx(0.0302, rel=1e-9)
    assert row["res_a_MeV"] == 0.0 and row["res_c"] == 0.0


@pytest.mark.parametrize("detector, per_nucleon", [
    ("skgd", 0.1111), ("hyperk", 0.1111), ("hyperk_gd", 0.1111), ("dune", 0.025)])
def test_targets_match_snowglobes_normalisations(detector, per_nucleon):
    """SNOwGLoBES detector_configurations.dat (commit 522aa7ced500): target normalisation per nucleon
    0.1111 for water (free protons, wc100kt*) and 0.025 for argon (40Ar nuclei, ar40kt)."""
    assert _row(detector)["targets_per_kt"] == pytest.approx(per_nucleon * NUCLEONS_PER_KT, rel=2e-3)
