"""Inference: profile-likelihood limits (iminuit) and posterior sampling (emcee).

Submodules: :mod:`.problem` (theta -> chi2 / log posterior), :mod:`.limits`
(one-sided upper limits on lam, expected bands), :mod:`.sampling` (resumable emcee
chains); contours and export live in their own submodules.
"""
from __future__ import annotations

from .counting import CountingLimit, counting_upper_limit
from .limits import LimitResult, Profile, limit_to_json, profile_likelihood, threshold, upper_limit
from .problem import Free, Gaussian, GaussianPrior, ModelFactory, Problem, Uniform, UniformPrior, problem_for
from .sampling import SamplingResult, run

__all__ = ["CountingLimit", "Free", "Gaussian", "GaussianPrior", "LimitResult", "ModelFactory", "Problem", "Profile", "SamplingResult",
           "Uniform", "UniformPrior", "counting_upper_limit", "limit_to_json", "problem_for", "profile_likelihood", "run", "threshold",
           "upper_limit"]
