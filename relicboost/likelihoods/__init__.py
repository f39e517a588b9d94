"""Likelihoods: one class per experiment; calling one on a Prediction returns -2 ln L.

>>> from relicboost import Model, likelihoods
>>> sk = likelihoods.SKIV()                   # integrated limit above 17.3 MeV
>>> chi2 = sk(Model().predict(lam=1e-11))     # -2 ln L
>>> both = likelihoods.SKIV() + likelihoods.Borexino()

SK-IV and Borexino published per-bin 90% C.L. upper limits only (no events or
backgrounds), so they are represented by one-sided Gaussians calibrated to
return the published limits.  Forecasts: RES-NOVA (CEvNS on lead), the binned IBD / argon
detectors SKGd, JUNO, HyperK, DUNE (Asimov data from a stated lam = 0 null,
:mod:`relicboost.likelihoods.dsnb_detectors`) and SKGdProjectedLimit (the paper's single number).
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
from .dsnb_detectors import DUNE, JUNO, DSNBDetector, HyperK, SKGd
from .resnova import RESNOVA
from .skgd import SKGdProjectedLimit
from .skiv import SKIV

__all__ = [
    "ASTRO_NUISANCES",
    "DUNE",
    "JUNO",
    "RESNOVA",
    "SKIV",
    "Borexino",
    "Combined",
    "DSNBDetector",
    "GaussianPrior",
    "HyperK",
    "Likelihood",
    "SKGd",
    "SKGdProjectedLimit",
    "UniformPrior",
    "default_astro_priors",
]
