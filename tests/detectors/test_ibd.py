"""IBD and nu_e-40Ar cross sections, positron energy and detector response (relicboost.physics.ibd)."""
import math

import numpy as np
import pytest

from relicboost.physics import ibd

# Strumia & Vissani, Phys. Lett. B 564 (2003) 42, astro-ph/0302055, Table 1 (full calculation):
# E_nu [MeV], sigma [1e-41 cm^2], mean positron energy [MeV]; copy of Table 1 in icecube/ASTERIA
# (python/asteria/interactions.py, commit 022f92db); to confirm against the paper.
SV_TABLE1 = [(2.51, 0.0127, 1.21), (5.4, 0.155, 4.08), (9.85, 0.654, 8.47), (19.0, 2.61, 17.4),
             (29.4, 6.08, 27.3), (40.9, 11.0, 38.0), (59.9, 21.0, 55.6), (104.0, 47.3, 94.5),
             (200.0, 102.0, 179.0)]


def _eq25_by_hand(e: float) -> float:
    """SV Eq. (25) written out independently: 1e-43 cm^2 p_e E_e E^(-0.07056 + 0.02018 ln E - 0.001953 ln^3 E)."""
    ee = e - 1.293
    pe = math.sqrt(ee * ee - 0.51099895 ** 2)
    ln = math.log(e)
    return 1e-43 * pe * ee * e ** (-0.07056 + 0.02018 * ln - 0.001953 * ln ** 3)


@pytest.mark.parametrize("e, expected", [(10.0, 6.7772e-42), (20.0, 2.8999e-41), (40.0, 1.05852e-40)])
def test_cross_section_values_from_published_formula(e, expected):
    # expected: Eq. (25) evaluated by hand (4-5 digits), and the independent implementation above
    assert ibd.cross_section_cm2(e) == pytest.approx(expected, rel=2e-4)
    assert ibd.cross_section_cm2(e) == pytest.approx(_eq25_by_hand(e), rel=1e-12)


def test_cross_section_agrees_with_full_calculation():
    # SV state Eq. (25) reproduces their full result to a few per mille; Table 1 is rounded to 3 digits
    for e, sigma41, _ in SV_TABLE1:
        assert ibd.cross_section_cm2(e) == pytest.approx(sigma41 * 1e-41, rel=0.015), e


def test_snowglobes_ibd_table_agrees():
    # SNOwGLoBES xscns/xs_ibd.dat ("From Strumia & Vissani astro-ph/0302055v2"), commit 522aa7ce:
    # sigma at E = 9.97820, 19.97501, 39.98729 MeV
    for e, s in [(9.97820, 6.731482e-42), (19.97501, 2.879280e-41), (39.98729, 1.058199e-40)]:
        assert ibd.cross_section_cm2(e) == pytest.approx(s, rel=0.01)


def test_threshold_array_shape_and_bad_input():
    assert ibd.IBD_THRESHOLD_MEV == pytest.approx(1.806, abs=5e-4)
    out = ibd.cross_section_cm2(np.array([[0.0, 1.8], [1.807, 50.0]]))
    assert out.shape == (2, 2)
    assert out[0, 0] == 0.0 and out[0, 1] == 0.0 and out[1, 0] > 0
    with pytest.raises(ValueError, match="E_nu_MeV"):
        ibd.cross_section_cm2([-1.0])
    with pytest.raises(ValueError, match="E_nu_MeV"):
        ibd.cross_section_cm2([np.nan])


def test_positron_energy():
    assert ibd.positron_energy_MeV(20.0) == pytest.approx(20.0 - 1.293)
    for e, _, mean_e in SV_TABLE1:
        if 5 <= e <= 41:
            assert ibd.positron_energy_MeV(e, recoil=True) == pytest.approx(mean_e, rel=0.007), e
    assert ibd.positron_energy_MeV(1.0) == pytest.approx(ibd.M_E_MEV)


def test_argon_cross_section_table():
    # SNOwGLoBES xs_nue_Ar40.dat rows (sigma/E in 1e-38 cm^2/GeV at log10(E/GeV)): -1.699 region
    # read off the file: log10 E = -1.711018 -> 2.316909e-01, -1.342853 -> 1.195203e+00
    for lg, val in [(-1.711018, 2.316909e-01), (-1.342853, 1.195203)]:
        e_mev = 10 ** (lg + 3)
        assert ibd.nue_argon_cross_section_cm2(e_mev) == pytest.approx(val * 1e-38 * e_mev / 1e3, rel=0.02)
    assert ibd.nue_argon_cross_section_cm2(2.0) == 0.0
    with pytest.raises(ValueError, match="ends at"):
        ibd.nue_argon_cross_section_cm2(150.0)


def test_response_probabilities_sum_to_one_inside_window():
    mean = np.array([20.0, 25.0])
    sig = ibd.resolution_MeV(mean, 0.0, 0.03, 0.0)
    assert sig == pytest.approx(0.03 * np.sqrt(mean))
    p = ibd.bin_probabilities(mean, sig, np.linspace(0.0, 60.0, 31))
    assert p.sum(axis=0) == pytest.approx([1.0, 1.0], abs=1e-12)
    assert ibd.visible_energy_MeV(20.0, "argon") == pytest.approx(18.495)
    with pytest.raises(ValueError, match="channel"):
        ibd.visible_energy_MeV(20.0, "water")
