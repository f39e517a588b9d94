"""Public API: Model / Prediction (issue #2 item 3 and 5): bad input, finiteness, scaling identities."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relicboost import Model

BAD_NUMBERS = [-1.0, float("nan"), float("inf"), float("-inf")]


@pytest.fixture(scope="module")
def model() -> Model:
    return Model()


# ----------------------------------------------------------------- bad input -> ValueError naming the parameter
@pytest.mark.parametrize("bad", BAD_NUMBERS + [-1e-30])
def test_bad_lam(model, bad):
    with pytest.raises(ValueError, match="lam"):
        model.predict(lam=bad)


@pytest.mark.parametrize("name", ["T_nue", "T_nuebar", "T_nux", "E_tot", "sfr_norm"])
@pytest.mark.parametrize("bad", BAD_NUMBERS + [0.0])
def test_bad_nuisance_in_predict(model, name, bad):
    with pytest.raises(ValueError, match=name):
        model.predict(lam=1e-10, **{name: bad})


@pytest.mark.parametrize("name", ["T_nue", "T_nuebar", "T_nux", "E_tot", "sfr_norm"])
@pytest.mark.parametrize("bad", BAD_NUMBERS + [0.0])
def test_bad_nuisance_in_constructor(name, bad):
    with pytest.raises(ValueError, match=name):
        Model(**{name: bad})


def test_error_states_allowed_range(model):
    with pytest.raises(ValueError, match=r"lam must be in \[0, 1000\]"):
        model.predict(lam=-1.0)
    with pytest.raises(ValueError, match=r"T_nuebar must be in \[0.5, 20\]"):
        model.predict(T_nuebar=-7.0)
    with pytest.raises(ValueError, match=r"lam must be a single number"):
        model.predict(lam=[1e-10, 1e-9])
    with pytest.raises(ValueError, match=r"lam must be a finite number"):
        model.predict(lam="a")


@pytest.mark.parametrize("kw,name", [
    ({"convention": "Paper"}, "convention"), ({"convention": "consistent-typo"}, "convention"),
    ({"sfr": "madau2014"}, "sfr"), ({"sharing": "flavour"}, "sharing"), ({"outgoing": "three"}, "outgoing"),
    ({"sigma_energy": "mean"}, "sigma_energy"), ({"relic_dof": -2.0}, "relic_dof"),
    ({"relic_dof": float("nan")}, "relic_dof"), ({"not_an_option": 1}, "not_an_option"),
    ({"energy_min": -0.1}, "energy_min"), ({"energy_min": 150.0}, "energy_min"),
    ({"n_z_fine": 100}, "n_z_fine"), ({"points_per_decade": 2}, "points_per_decade"), ({"z_max": 0.0}, "z_max"),
])
def test_bad_constructor_options(kw, name):
    with pytest.raises(ValueError, match=name):
        Model(**kw)


def test_unknown_nuisance_in_predict(model):
    with pytest.raises(ValueError, match="T_nutau"):
        model.predict(lam=1e-10, T_nutau=5.0)


def test_unknown_species_and_component(model):
    p = model.predict(lam=1e-10)
    with pytest.raises(ValueError, match="species"):
        p.flux("numu")
    with pytest.raises(ValueError, match="component"):
        p.flux("nuebar", "upscattered")
    with pytest.raises(ValueError, match="species"):
        p.integrated_flux("electron", 17.3)


def test_energy_ranges_outside_grid(model):
    p = model.predict(lam=1e-10)
    with pytest.raises(ValueError, match="outside"):
        p.integrated_flux("nuebar", emin=1e-3)
    with pytest.raises(ValueError, match="outside"):
        p.binned_flux("nuebar", [10.0, 300.0])
    with pytest.raises(ValueError, match="edges"):
        p.binned_flux("nuebar", [20.0, 10.0])
    with pytest.raises(ValueError, match="emin"):
        p.integrated_flux("nuebar", emin=float("nan"))


def test_absurdly_small_temperature_is_a_value_error(model):
    with pytest.raises(ValueError, match="T_nuebar"):
        model.predict(lam=1e-10, T_nuebar=1e-300)


# ----------------------------------------------------------------- no NaN / inf leaves predict
@pytest.mark.parametrize("lam", [0.0, 1e-30, 1e-12, 1e-9, 1e-6, 1e-3])
def test_finite_for_any_lam_including_huge(model, lam):
    p = model.predict(lam=lam)
    for s in ("nue", "nuebar", "nux", "all"):
        for c in ("dsnb", "boosted", "total"):
            f = p.flux(s, c)
            assert f.shape == p.energy.shape and np.all(np.isfinite(f)) and np.all(f >= 0)
    assert np.isfinite(p.integrated_flux("all", 17.3))


@settings(max_examples=40, deadline=None)
@given(log_lam=st.floats(-16.0, -3.0), T_nue=st.floats(2.0, 15.0), T_nuebar=st.floats(2.0, 15.0),
       T_nux=st.floats(2.0, 15.0), log_etot=st.floats(52.0, 54.0), sfr_norm=st.floats(0.1, 10.0))
def test_property_finite_nonnegative_consistent(model, log_lam, T_nue, T_nuebar, T_nux, log_etot, sfr_norm):
    """Any physical parameter point: finite, non-negative, total = dsnb + boosted, integrals consistent."""
    p = model.predict(lam=10.0**log_lam, T_nue=T_nue, T_nuebar=T_nuebar, T_nux=T_nux, E_tot=10.0**log_etot,
                      sfr_norm=sfr_norm)
    tot = p.flux("all", "total")
    assert np.all(np.isfinite(tot)) and np.all(tot >= 0)
    np.testing.assert_allclose(tot, p.flux("all", "dsnb") + p.flux("all", "boosted"), rtol=1e-12)
    a, b = p.integrated_flux("nuebar", 5.0, 17.3), p.integrated_flux("nuebar", 17.3)
    assert a >= 0 and b >= 0
    assert p.integrated_flux("nuebar", 5.0) == pytest.approx(a + b, rel=1e-10)
    bins = p.binned_flux("nuebar", [5.0, 17.3, 200.0])
    np.testing.assert_allclose(bins * np.diff([5.0, 17.3, 200.0]), [a, b], rtol=1e-10)


# ----------------------------------------------------------------- parameters and scaling
def test_params_recorded(model):
    p = model.predict(lam=1e-10, T_nuebar=6.0)
    assert p.params["lam"] == 1e-10 and p.params["T_nuebar"] == 6.0 and p.params["T_nux"] == 10.0
    assert p.params["E_tot"] == 3e53 and p.params["sfr"] == "paper" and p.convention == "paper"
    assert np.all(np.diff(p.energy) > 0) and p.energy[0] == pytest.approx(0.01) and p.energy[-1] == pytest.approx(200.0)


def test_per_call_override_equals_constructor_value():
    a = Model(T_nuebar=6.0, T_nux=7.0).predict(lam=1e-10)
    b = Model().predict(lam=1e-10, T_nuebar=6.0, T_nux=7.0)
    for c in ("dsnb", "boosted"):
        np.testing.assert_allclose(a.flux("all", c), b.flux("all", c), rtol=1e-14)


@pytest.mark.parametrize("kw", [{"E_tot": 6e53}, {"sfr_norm": 2.0}])
def test_fluxes_scale_linearly_with_source_normalisation(model, kw):
    """Eqs. III.8/IV.11 are linear in E_tot and in the supernova rate (attenuation does not depend on them)."""
    a, b = model.predict(lam=1e-10), model.predict(lam=1e-10, **kw)
    for c in ("dsnb", "boosted"):
        np.testing.assert_allclose(b.flux("all", c), 2.0 * a.flux("all", c), rtol=1e-13)


def test_to_frame_units_in_column_names(model):
    df = model.predict(lam=1e-10).to_frame()
    assert "energy_MeV" in df.columns and "nuebar_total_flux_cm-2_s-1_MeV-1" in df.columns
    assert np.isfinite(df.to_numpy()).all()


# --------------------------------------------------------------------------- issue 10 item 7: Model arguments

@pytest.mark.parametrize("kw,exc,name", [
    ({"cosmology": "abc"}, ValueError, "cosmology"), ({"z_max": 1e300}, ValueError, r"z_max must be in \[0.1, 10\]"),
    ({"z_max": float("inf")}, ValueError, "z_max"), ({"n_z_fine": 161.5}, ValueError, "n_z_fine"),
    ({"n_z_fine": True}, TypeError, "n_z_fine"), ({"n_z_fine": "161"}, TypeError, "n_z_fine"),
    ({"points_per_decade": 50.5}, ValueError, "points_per_decade"), ({"T_nux": 50.0}, ValueError, "T_nux"),
    ({"substeps": 1.5, "convention": "consistent"}, ValueError, "substeps"),
    ({"theta12": 95.0, "convention": "consistent"}, ValueError, "theta12"),
])
def test_model_arguments_rejected_at_construction(kw, exc, name):
    with pytest.raises(exc, match=name):
        Model(**kw)


def test_integral_float_grid_sizes_are_accepted():
    m = Model(n_z_fine=161.0, points_per_decade=50.0)
    assert m.grid_spec.n_z_fine == 161 and isinstance(m.grid_spec.n_z_fine, int)
    np.testing.assert_array_equal(m.predict(1e-10).flux(), Model().predict(1e-10).flux())


def test_dsnb_number_flux_complete_at_highest_temperature():
    """At the largest allowed T (20 MeV) the grid (to 200 MeV) holds the whole DSNB number flux.

    Reference: int dE Phi(E) over all E = c/H0 int dz R(z) / ((1+z) E(z)) N_tot (the spectrum is
    redshifted, not lost), by quad; the grid's share must be complete to 3e-4.  At T = 50 MeV
    (the old bound) 3% lies above 200 MeV, so this test fails for the old range.
    """
    from scipy import integrate

    from relicboost.physics import units
    from relicboost.physics.cosmology import Cosmology
    from relicboost.physics.grids import T_MAX_MEV
    from relicboost.physics.sources import fermi_dirac_spectrum
    from relicboost.physics.star_formation import ccsn_rate

    cos = Cosmology()
    T = T_MAX_MEV
    n_tot = integrate.quad(lambda e: float(fermi_dirac_spectrum(e, T)), 0.0, 60.0 * T, limit=200)[0]
    def rate(z):
        return float(units.per_mpc3_yr_to_per_cm3_s(ccsn_rate(z, "paper")))
    total = cos.hubble_distance_cm * n_tot * integrate.quad(
        lambda z: rate(z) / ((1.0 + z) * float(cos.E(z))), 0.0, 6.0, epsrel=1e-10, limit=200)[0]
    m = Model(T_nue=T, T_nuebar=T, T_nux=T)
    p = m.predict(0.0)
    on_grid = p.integrated_flux("nuebar", emin=m.energy[0], component="dsnb")
    assert on_grid == pytest.approx(total, rel=3e-4)
