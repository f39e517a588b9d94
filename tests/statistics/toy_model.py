"""Toy stand-ins for relicboost.Model shared by the statistics tests (importable by subprocesses
and multiprocessing workers: module-level, picklable)."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ToyPrediction:
    """A 'prediction' that only carries the parameters it was made with."""

    params: dict


@dataclasses.dataclass(frozen=True)
class ToyModel:
    """Factory and model at once: predict() just records the parameters."""

    def __call__(self) -> ToyModel:
        return self

    def predict(self, **params: float) -> ToyPrediction:
        return ToyPrediction(dict(params))
