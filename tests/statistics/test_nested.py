"""Nested sampling (relicboost.inference.nested, optional extra 'nested'): the evidence of a Gaussian toy
against its closed form, the prior transform against scipy, the written outputs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm, truncnorm
from test_limits_toy import NU0, S_EFF, S_NU, SIGMA, LogToy
from toy_model import ToyModel

from relicboost.inference import Free, Gaussian, Problem, Uniform
from relicboost.inference.nested import data_log_likelihood, prior_transform, run_nested, write_nested

MU, HALF_WIDTH = -10.0, 8.0  # log10 lam ~ U(MU - 8, MU + 8); the likelihood peak 8 S_EFF from the edges


def _problem() -> Problem:
    return Problem(ToyModel(), LogToy(MU), {"lam": Free(Uniform(MU - HALF_WIDTH, MU + HALF_WIDTH)),
                                            "T_nuebar": Free(Gaussian(NU0, S_NU))})


def analytic_log_evidence() -> float:
    """ln Z of the toy: L = exp(-((x + A (T - NU0) - MU) / SIGMA)^2 / 2), x ~ U(MU -+ 8), T ~ N(NU0, S_NU).

    The T integral is a Gaussian convolution, sigma / S_EFF exp(-(x - MU)^2 / (2 S_EFF^2)); the x integral
    gives sqrt(2 pi) S_EFF / 16.  So Z = sqrt(2 pi) SIGMA / 16 (truncations at 8 S_EFF and 5 S_NU change
    ln Z by < 1e-6)."""
    return math.log(math.sqrt(2.0 * math.pi) * SIGMA / (2 * HALF_WIDTH))


def test_prior_transform_and_likelihood_split():
    prob = _problem()
    transform = prior_transform(prob)
    lo, hi = prob.bounds[1]
    for u in (0.001, 0.2, 0.5, 0.9, 0.999):
        x = transform(np.array([u, u]))
        assert x[0] == pytest.approx(MU - HALF_WIDTH + 2 * HALF_WIDTH * u, abs=1e-12)
        a, b = (lo - NU0) / S_NU, (hi - NU0) / S_NU
        assert x[1] == pytest.approx(truncnorm.ppf(u, a, b, loc=NU0, scale=S_NU), abs=1e-9)
    theta = np.array([-9.5, 7.3])  # the Gaussian prior term is the prior, not part of ln L
    chi2_data = ((theta[0] + (theta[1] - NU0) - MU) / SIGMA) ** 2
    assert data_log_likelihood(prob)(theta) == pytest.approx(-0.5 * chi2_data, rel=1e-12)
    assert prob.chi2(theta) == pytest.approx(chi2_data + ((theta[1] - NU0) / S_NU) ** 2, rel=1e-12)


def test_evidence_of_the_gaussian_toy_matches_its_closed_form(tmp_path):
    pytest.importorskip("dynesty")
    res = run_nested(_problem(), nlive=400, seed=7)
    assert 0.02 < res.log_evidence_err < 0.2
    assert abs(res.log_evidence - analytic_log_evidence()) < 4 * res.log_evidence_err, (
        res.log_evidence, res.log_evidence_err, analytic_log_evidence())
    x = res.samples[:, 0]
    assert np.mean(x) == pytest.approx(MU, abs=4 * S_EFF / math.sqrt(res.ess_kish))
    assert np.std(x) == pytest.approx(S_EFF, rel=0.08)
    assert np.quantile(x, 0.9) == pytest.approx(MU + S_EFF * norm.ppf(0.9), abs=0.1)
    out = write_nested(_problem(), res, tmp_path, echo=False)
    import arviz

    idata = arviz.from_netcdf(tmp_path / "posterior.nc")
    assert set(idata.posterior.data_vars) == {"log10_lam", "T_nuebar"} and idata.posterior.sizes["chain"] == 4
    head = (tmp_path / "summary.csv").read_text().split("coordinate,")[0]
    assert f"# log_evidence: {res.log_evidence:.6g}" in head and "dynesty" in head
    assert out.table.set_index("coordinate").loc["log10_lam", "rhat_split"] < 1.05
    assert (tmp_path / "corner.png").is_file() and (tmp_path / "corner.pdf").is_file()
    assert res.to_dict()["seed"] == 7 and run_nested(_problem(), nlive=60, seed=3).log_evidence == \
        run_nested(_problem(), nlive=60, seed=3).log_evidence  # seeded: reproducible


@pytest.mark.parametrize("kwargs, match", [({"nlive": 4}, "nlive"), ({"nlive": True}, "nlive"),
                                           ({"dlogz": 0.0}, "dlogz"), ({"dlogz": math.nan}, "dlogz")])
def test_bad_settings_are_refused(kwargs, match):
    pytest.importorskip("dynesty")
    with pytest.raises(ValueError, match=match):
        run_nested(_problem(), **kwargs)


def test_evidence_at_lam0_matches_its_closed_form():
    """LinearToy (chi2 = ((lam + A (T - NU0) - d) / SIGMA)^2): at lam = 0 with T ~ N(NU0, S_NU),
    Z0 = SIGMA / S_EFF exp(-d^2 / (2 S_EFF^2)); without the nuisance Z0 = exp(-d^2 / (2 SIGMA^2)) exactly."""
    pytest.importorskip("dynesty")
    from test_limits_toy import linear_problem

    from relicboost.inference.nested import log_evidence_lam0

    d = 2.0
    ln_z0, err = log_evidence_lam0(linear_problem(d), nlive=300, seed=11)
    expected = math.log(SIGMA / S_EFF) - d**2 / (2 * S_EFF**2)
    assert 0 < err < 0.2 and abs(ln_z0 - expected) < 4 * err, (ln_z0, err, expected)
    assert log_evidence_lam0(linear_problem(d, profiled=False)) == (pytest.approx(-d**2 / (2 * SIGMA**2)), 0.0)
