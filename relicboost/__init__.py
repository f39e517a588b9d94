"""relicboost: secret neutrino self-interactions and the supernova-boosted cosmic neutrino background.

Reference: Das, Perez-Gonzalez, Sen, Phys. Rev. D 106 (2022) 095042, arXiv:2204.11885.
"""
from __future__ import annotations

import importlib

from ._runtime import tune_allocator
from .model import Model
from .prediction import Prediction

__version__ = "0.1.0"
__all__ = ["Model", "Prediction", "__version__", "cevns", "inference", "likelihoods", "tune_allocator"]

_LAZY = {"cevns": "relicboost.physics.cevns", "likelihoods": "relicboost.likelihoods",
         "inference": "relicboost.inference"}


def __getattr__(name: str):
    """Import the heavier sub-packages on first use."""
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'relicboost' has no attribute {name!r}")
