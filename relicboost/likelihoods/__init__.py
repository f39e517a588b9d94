"""Likelihoods: one class per experiment; calling one on a Prediction returns -2 ln L.

>>> from relicboost import Model, likelihoods
>>> sk = likelihoods.SKIV()                   # integrated limit above 17.3 MeV
>>> chi2 = sk(Model().predict(lam=1e-11))     # -2 ln L
>>> both = likelihoods.SKIV() + likelihoods.Borexino()

SK-IV and Borexino published per-bin 90% C.L. upper limits only (no events or
backgrounds), so they are represented by one-sided Gaussians calibrated to
return the published limits; SK-Gd and RES-NOVA are forecasts.
"""
from .base import (
    ASTRO_NUISANCES,
    Combined,
    GaussianPrior,
    Likelihood,
    UniformPrior,
    default_astro_priors,
)
from .borexino import Borexino
from .resnova import RESNOVA
from .skgd import SKGd
from .skiv import SKIV

__all__ = [
    "ASTRO_NUISANCES",
    "Borexino",
    "Combined",
    "GaussianPrior",
    "Likelihood",
    "RESNOVA",
    "SKGd",
    "SKIV",
    "UniformPrior",
    "default_astro_priors",
]
