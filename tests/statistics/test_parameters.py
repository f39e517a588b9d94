"""The parameter registry is the one home of names, units, ranges, defaults and priors."""
from __future__ import annotations

import math

import pytest
from toy_model import ToyModel  # shared toy, tests/statistics

from relicboost import Model, likelihoods, parameters
from relicboost.inference import (
    Free,
    Gaussian,
    GaussianPrior,
    Problem,
    Uniform,
    UniformPrior,
)
from relicboost.model import MEDIATOR_RANGES, NUISANCE_RANGES
from relicboost.physics.sources import DEFAULT_E_TOT_ERG, DEFAULT_TEMPERATURES_MEV


def test_model_ranges_come_from_registry():
    assert NUISANCE_RANGES == parameters.ranges(parameters.ASTRO_NUISANCES)
    assert MEDIATOR_RANGES == parameters.ranges(("g", "M_MeV", "m_nu_eV"))
    assert MEDIATOR_RANGES["g"][1] == pytest.approx(4 * math.pi)


def test_registry_defaults_match_model_defaults():
    m = Model()
    for name in parameters.ASTRO_NUISANCES:
        assert m.defaults[name] == parameters.get(name).default, name
    assert DEFAULT_TEMPERATURES_MEV == {"nue": 6.6, "nuebar": 7.0, "nux": 10.0}
    assert parameters.get("E_tot").default == DEFAULT_E_TOT_ERG


def test_every_parameter_is_complete():
    for p in parameters.PARAMETERS.values():
        assert p.low < p.high and p.low <= p.default <= p.high, p.name
        assert p.description and p.latex and p.coordinate
        assert p.label().startswith("$"), p.name
    assert parameters.coordinate_label("log10_lam") == r"$\log_{10}(\lambda\,/\,\mathrm{MeV}^{-3})$"
    assert parameters.get("E_tot").column == "E_tot_erg"
    with pytest.raises(ValueError, match="unknown parameter 'T_foo'"):
        parameters.get("T_foo")


def test_default_priors_from_registry():
    pri = likelihoods.default_astro_priors()
    assert set(pri) == set(parameters.ASTRO_NUISANCES)
    assert pri["T_nuebar"] == GaussianPrior(7.0, 1.0, low=1.0, high=20.0)
    for name, prior in pri.items():
        lo, hi = parameters.get(name).low, parameters.get(name).high
        assert lo <= prior.low < prior.high <= hi


def test_one_prior_family():
    """Problem priors and likelihood priors are the same classes: a prior is one -2 ln term."""
    assert Gaussian is GaussianPrior and Uniform is UniformPrior
    g = Gaussian(7.0, 1.0)
    assert g.chi2(8.0) == pytest.approx(1.0)
    assert g.default_bounds() == (2.0, 12.0)
    assert Uniform(-3.0, 1.0).chi2(2.0) == math.inf


def test_likelihood_prior_in_problem_is_the_same_object():
    prior = GaussianPrior(7.0, 1.0, low=1.0, high=20.0)

    class Lik:
        priors = {"T_nuebar": prior}  # noqa: RUF012

        def __call__(self, prediction):
            return 0.0

    prob = Problem(ToyModel(), Lik(), {"lam": Free(Uniform(-4.0, 2.0)), "T_nuebar": Free(None)})
    assert prob.free["T_nuebar"].prior is prior
    assert prob.bounds[1] == (1.0, 20.0)
    assert prob.priors_text()["T_nuebar"].endswith("[likelihood]")
