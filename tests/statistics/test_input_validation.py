"""Issue 10 item 7: booleans, numeric strings and non-integer counts are refused at the API edge
with an error naming the argument (TypeError; also a ValueError so the CLI prints one line)."""
from __future__ import annotations

import numpy as np
import pytest

from relicboost import Model, likelihoods
from relicboost.inference import Free, Problem, Uniform, upper_limit
from relicboost.physics.validation import (
    ParameterTypeError,
    check_integer,
    check_number,
)


@pytest.mark.parametrize("value", [True, False, "7.0", b"7", None, np.bool_(True), 1 + 2j])
def test_check_number_refuses_non_numbers(value):
    with pytest.raises(TypeError, match="x must be"):
        check_number("x", value)


def test_check_number_accepts_numbers():
    assert check_number("x", 7) == 7.0 and check_number("x", np.float32(2.5)) == 2.5
    with pytest.raises(ValueError, match="x must be finite"):
        check_number("x", float("nan"))


@pytest.mark.parametrize("value", [2.5, 161.0, "3", True, None])
def test_check_integer_refuses(value):
    with pytest.raises(ParameterTypeError, match="n must be an integer"):
        check_integer("n", value)


def test_check_integer_range_and_hint():
    assert check_integer("n", np.int64(4), low=1) == 4
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, inf\]"):
        check_integer("n", 0, low=1)
    with pytest.raises(TypeError, match=r"pass int\(161.0\) explicitly"):
        check_integer("n", 161.0)


def test_error_is_also_value_error():
    """The CLI catches ValueError: a type error of input must reach it as one line too."""
    assert issubclass(ParameterTypeError, ValueError) and issubclass(ParameterTypeError, TypeError)


@pytest.mark.parametrize("lam", [True, "1e-10", [True]])
def test_predict_refuses_bool_and_string(lam):
    with pytest.raises(TypeError, match="lam must"):
        Model().predict(lam=lam)


def test_predict_refuses_bool_nuisance():
    with pytest.raises(TypeError, match="T_nuebar must"):
        Model().predict(1e-10, T_nuebar=True)


def test_skiv_limit_string():
    with pytest.raises(TypeError, match="limit must be a finite number"):
        likelihoods.SKIV(limit="7.0")
    assert likelihoods.SKIV(limit=2.9).limit == 2.9


def test_skgd_sensitivity_bool():
    with pytest.raises(TypeError, match="sensitivity"):
        likelihoods.SKGd(sensitivity=True)


def test_resnova_n_bins_must_be_integer():
    with pytest.raises(TypeError, match="n_bins must be an integer"):
        likelihoods.RESNOVA(n_bins=2.5)
    with pytest.raises(ValueError, match="n_bins"):
        likelihoods.RESNOVA(n_bins=0)
    with pytest.raises(TypeError, match="exposure_ton_yr"):
        likelihoods.RESNOVA(exposure_ton_yr="465")


def test_flux_limit_cl_and_arrays():
    from relicboost.likelihoods.flux_limits import BinnedFluxLimit, IntegratedFluxLimit

    with pytest.raises(TypeError, match="cl must"):
        IntegratedFluxLimit(2.7, 17.3, cl=True)
    with pytest.raises(ValueError, match=r"cl must be in \(0, 1\)"):
        IntegratedFluxLimit(2.7, 17.3, cl=90.0)
    with pytest.raises(TypeError, match="limits must"):
        BinnedFluxLimit([1.0, 2.0, 3.0], ["1", "2"])


def test_problem_fixed_value_and_n_scan():
    class Lik:
        def __call__(self, prediction):
            return 0.0

    from toy_model import ToyModel

    with pytest.raises(TypeError, match="T_nuebar must be a finite number"):
        Problem(ToyModel(), Lik(), {"lam": Free(Uniform(-4.0, 2.0)), "T_nuebar": "7"})
    prob = Problem(ToyModel(), Lik(), {"lam": Free(Uniform(-4.0, 2.0))})
    with pytest.raises(TypeError, match="n_scan must be an integer"):
        upper_limit(prob, n_scan=17.0)
