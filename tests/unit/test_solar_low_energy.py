"""Sub-2-MeV solar neutrino fluxes (pp, pep, 7Be, CNO) and their CEvNS recoil spectra on lead.

Reference values
----------------
* B16-GS98 total fluxes (Vinyoles et al., ApJ 835 (2017) 202, Table 6), cm^-2 s^-1:
  pp 5.98e10, pep 1.44e8, 7Be 4.93e9, 13N 2.78e8, 15O 2.05e8, 17F 5.29e6.
* Normalised pp spectrum, J. N. Bahcall, PRC 56 (1997) 3391, Table IV (MeV, MeV^-1), values
  read from the public copy thuxwr/SolarNu Solar/data/spectrum/pp.dat (commit f6259159).
* Normalised CNO spectra, Bahcall & Ulrich, RMP 60 (1988) 297 (public tables "cnospectra",
  copied in michelelucente/PEANUTS Data/{n13,o15,f17}_shape.csv, commit f3ea6b9d).
"""
from __future__ import annotations

import numpy as np
import pytest

from relicboost.data import load_table
from relicboost.physics import backgrounds as bg
from relicboost.physics import cevns
from relicboost.physics.targets import natural_lead
from relicboost.physics.units import YEAR_S

B16 = {"pp": 5.98e10, "pep": 1.44e8, "7Be": 4.93e9, "13N": 2.78e8, "15O": 2.05e8, "17F": 5.29e6}
BAHCALL_PP = [(0.05041, 0.3094), (0.10081, 1.0647), (0.20162, 2.9766), (0.30748, 4.0644),
              (0.35284, 3.7632), (0.40325, 2.2589), (0.41837, 1.0783)]
BAHCALL_CNO = {"13N": (1.199, 6, [(0.23980, 0.37727), (0.76137, 1.3996), (1.0791, 0.80341)]),
               "15O": (1.732, 7, [(0.70319, 0.76370), (1.0531, 0.97213), (1.6004, 0.40152)]),
               "17F": (1.740, 8, [(0.70644, 0.76263), (1.0544, 0.96922), (1.6008, 0.40882)])}


@pytest.mark.parametrize("source", sorted(B16))
def test_grid_flux_integrates_to_b16_normalisation(source):
    e, f = bg.background_flux(f"solar-{source}")
    assert np.all(f >= 0) and np.all(np.diff(e) > 0)
    assert np.trapezoid(f, e) == pytest.approx(B16[source], rel=0.01)


def test_beta_shapes_are_normalised_and_vanish_at_the_ends():
    for e0, z in [(0.42341, 1), (1.199, 6), (1.732, 7), (1.740, 8), (1.0, 0)]:
        x = np.linspace(0.0, e0, 20001)
        s = bg.beta_plus_shape(x, e0, z)
        assert np.trapezoid(s, x) == pytest.approx(1.0, abs=1e-4)
        assert s[0] == 0.0 and s[-1] == 0.0
        assert bg.beta_plus_shape(np.array([e0 * 1.01, -0.1]), e0, z).tolist() == [0.0, 0.0]


def test_pp_shape_reproduces_bahcall_table_iv():
    e, ref = np.array(BAHCALL_PP).T
    assert bg.beta_plus_shape(e, 0.42341, 1) == pytest.approx(ref, rel=3e-3)


@pytest.mark.parametrize("name", sorted(BAHCALL_CNO))
def test_cno_shapes_reproduce_bahcall_ulrich_tables(name):
    e0, z, rows = BAHCALL_CNO[name]
    e, ref = np.array(rows).T
    assert bg.beta_plus_shape(e, e0, z) == pytest.approx(ref, rel=0.01)


def test_fermi_function_matters():
    """Without the Coulomb factor the 17F shape near the endpoint misses the table by > 5% (with it: < 1%)."""
    e, ref = 1.6008, 0.40882
    assert abs(bg.beta_plus_shape(np.array([e]), 1.740, 0)[0] / ref - 1) > 0.05


def test_components_table_matches_flux_table_and_7be_branching_sums_to_one():
    comp = load_table("solar_spectral_components")
    ends = load_table("solar_fluxes").set_index("source")["endpoint_MeV"]
    for row in comp.itertuples():
        if row.kind == "beta+":
            assert row.energy_MeV == ends[row.parent]
    assert comp[comp["parent"] == "7Be"]["branching"].sum() == pytest.approx(1.0, abs=1e-12)
    lines = {n: (e, f) for n, e, f in bg.solar_lines()}
    assert lines["7Be-862"][1] + lines["7Be-384"][1] == pytest.approx(4.93e9)
    assert lines["pep"] == (1.442, 1.44e8)


def test_composites_are_sums():
    _, low = bg.background_flux("solar-low")
    parts = sum(bg.background_flux(n)[1] for n in bg.LOW_SOLAR)
    assert low == pytest.approx(parts)
    with pytest.raises(ValueError, match="several energy grids"):
        bg.background_flux("solar-all")
    with pytest.raises(ValueError, match="not in"):
        bg.background_flux("solar-xyz")


def test_pep_line_recoil_spectrum_matches_monochromatic_formula():
    """dR/dE_R = sum_iso n_iso * Phi_pep * dsigma/dE_R(1.442 MeV, E_R) for a (narrow) line."""
    er = np.array([2e-3, 5e-3, 1e-2, 1.5e-2])           # keV; E_R,max(1.442 MeV, Pb) ~ 0.021 keV
    target = natural_lead()
    direct = sum(n * 1.44e8 * cevns.differential_cross_section(1.442, er, iso) * YEAR_S
                 for iso, n in zip(target.isotopes, target.nuclei_per_ton()))
    got = cevns.background_recoil_spectrum("solar-pep", er)
    assert got == pytest.approx(direct, rel=2e-3)


def test_sub_2_mev_sources_give_no_counts_above_keV_thresholds():
    assert cevns.background_counts("solar-low", [0.1, 1.0]).tolist() == [0.0, 0.0]
    assert cevns.background_recoil_spectrum("solar-pp", [1e-3])[0] > 0.0      # below 1.85 eV
    assert cevns.background_recoil_spectrum("solar-pp", [2e-3])[0] == 0.0     # above E_R,max
    # solar-all adds only sub-keV recoils to the paper's "solar" (8B + hep) above 0.1 keV
    assert cevns.background_counts("solar-all", 0.1) == pytest.approx(cevns.background_counts("solar", 0.1))


def test_b8_normalisation_option_sno():
    """SNO 2013 total active 8B flux 5.25e6 cm^-2 s^-1 (PDG listing) instead of B16-GS98 5.46e6."""
    e, f_ssm = bg.background_flux("solar-8B")
    e2, f_sno = bg.background_flux("solar-8B", b8_normalisation="SNO")
    assert np.array_equal(e, e2)
    assert np.trapezoid(f_sno, e) == pytest.approx(5.25e6, rel=1e-3)
    assert f_sno == pytest.approx(f_ssm * 5.25 / 5.46)
    n_ssm = cevns.counts_from_flux(e, f_ssm, 1.0)
    n_sno = cevns.counts_from_flux(e, f_sno, 1.0)
    assert n_sno / n_ssm == pytest.approx(0.9615, abs=1e-3)
    with pytest.raises(ValueError, match="b8_normalisation"):
        bg.background_flux("solar-8B", b8_normalisation="BP05")
