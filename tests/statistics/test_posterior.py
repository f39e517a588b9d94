"""Posterior outputs (issue 13 item 4): ArviZ netCDF, GetDist chains, summary.csv with diagnostics, the
prior-dominance warning (fires on the README's SK-IV example, not on a well-constrained toy), corner plot."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from test_limits_toy import NU0, S_NU, LogToy
from toy_model import ToyModel

from relicboost import likelihoods
from relicboost.inference import Free, Gaussian, Problem, Uniform, problem_for, run
from relicboost.inference.posterior import (
    PriorDominatedWarning,
    prior_edge_shift,
    summarize,
    write_posterior,
)

MU = -10.0  # toy: log10 lam ~ N(MU, S_EFF), prior edges 8 decades away


def _toy_run(tmp_path):
    prob = Problem(ToyModel(), LogToy(MU), {"lam": Free(Uniform(MU - 8.0, MU + 8.0)),
                                             "T_nuebar": Free(Gaussian(NU0, S_NU))})
    run(prob, tmp_path / "chain.h5", 1500, nwalkers=8, seed=3, progress=False)
    return prob


def test_well_constrained_toy_no_warning_and_files(tmp_path):
    arviz = pytest.importorskip("arviz")
    getdist = pytest.importorskip("getdist")
    prob = _toy_run(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PriorDominatedWarning)
        out = write_posterior(prob, tmp_path / "chain.h5", tmp_path, echo=False)
    assert not [w for w in out.warnings if "prior-dominated" in w]
    idata = arviz.from_netcdf(tmp_path / "posterior.nc")
    assert set(idata.posterior.data_vars) == {"log10_lam", "T_nuebar"}
    table = pd.read_csv(tmp_path / "summary.csv", comment="#")
    for col in ("mean", "median", "upper_90", "upper_90_mcse", "lower_90_mcse", "ess_bulk", "rhat_split",
                "tau_steps", "unit"):
        assert col in table.columns
    row = table.set_index("coordinate").loc["log10_lam"]
    assert row["unit"] == "log10(MeV^-3)" and row["upper_90_mcse"] > 0
    # the toy's posterior of log10 lam is Gaussian with sigma = S_EFF: the 90% limit within MC error
    from scipy.stats import norm
    from test_limits_toy import S_EFF

    assert abs(row["upper_90"] - (MU + S_EFF * norm.ppf(0.9))) < 5 * row["upper_90_mcse"] + 0.02
    samples = getdist.loadMCSamples(str(tmp_path / "getdist" / "chain"))
    assert samples.getParamNames().list() == ["log10_lam", "T_nuebar"]
    assert samples.numrows == idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]
    assert (tmp_path / "corner.png").stat().st_size > 0 and (tmp_path / "corner.pdf").exists()
    # limit in the SamplingResult and in summary.csv come from the same thinned sample
    res = summarize(prob, tmp_path / "chain.h5")
    assert math.log10(res.lam_upper) == pytest.approx(row["upper_90"], abs=1e-5)  # csv: 6 digits


def test_prior_edge_shift_truncation():
    x = np.linspace(-14.0, -10.0, 4001)  # flat posterior on [-14, -10]: 90% quantile moves 0.2 decade
    up, up2, kept = prior_edge_shift(x, -14.0, 0.9)
    assert up == pytest.approx(-10.4, abs=2e-3) and up2 == pytest.approx(-10.2, abs=2e-3)
    assert kept == 2001


def test_readme_example_is_prior_dominated(tmp_path, capsys):
    """README: relicboost sample --profile T_nuebar,T_nux (SK-IV, flat prior on log10 lam in [-14, -6])."""
    pri = {k: v for k, v in likelihoods.default_astro_priors().items() if k in ("T_nuebar", "T_nux")}
    prob = problem_for(likelihoods.SKIV(priors=pri), free=("T_nuebar", "T_nux"),
                       fixed={"T_nue": 6.6, "E_tot": 3e53, "sfr_norm": 1.0})
    run(prob, tmp_path / "chain.h5", 120, nwalkers=8, seed=1, progress=False)
    with pytest.warns(PriorDominatedWarning, match="log10_lam.*prior-dominated"):
        out = write_posterior(prob, tmp_path / "chain.h5", tmp_path)
    assert "prior-dominated" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "summary.csv", comment="#").set_index("coordinate")
    assert "prior-dominated" in table.loc["log10_lam", "warning"]
    assert bool(table.loc["log10_lam", "one_sided"]) and not bool(table.loc["T_nux", "one_sided"])
    assert out.files["netcdf"]
