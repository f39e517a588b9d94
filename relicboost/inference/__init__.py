"""Inference: profile-likelihood limits (iminuit), counting-experiment limits, posterior sampling (emcee).

Submodules: :mod:`.problem` (theta -> chi2 / log posterior), :mod:`.crossing` (the one
lowest-crossing limit engine), :mod:`.limits` (one-sided upper limits on lam, CLs / CLs+b,
expected bands), :mod:`.counting` (``counting_upper_limit``, checkable against pyhf),
:mod:`.sampling` (resumable emcee chains), :mod:`.posterior` (summary, ArviZ/GetDist files,
corner plot); contours and export live in their own submodules.
"""
from __future__ import annotations

from .counting import CountingLimit, counting_upper_limit
from .limits import (
           LimitResult,
           Profile,
           limit_to_json,
           profile_likelihood,
           threshold,
           upper_limit,
)
from .posterior import write_posterior
from .problem import (
           Free,
           Gaussian,
           GaussianPrior,
           ModelFactory,
           Problem,
           Uniform,
           UniformPrior,
           problem_for,
)
from .sampling import SamplingResult, run

__all__ = ["CountingLimit", "Free", "Gaussian", "GaussianPrior", "LimitResult", "ModelFactory", "Problem",
           "Profile", "SamplingResult", "Uniform", "UniformPrior", "counting_upper_limit", "limit_to_json",
           "problem_for", "profile_likelihood", "run", "threshold", "upper_limit", "write_posterior"]
