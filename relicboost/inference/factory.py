"""Picklable model factory and the JSON description used in configuration hashes."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import pickle
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class ModelFactory:
    """Picklable zero-argument factory for :class:`relicboost.Model`.

    Parameters
    ----------
    kwargs : tuple of (name, value)
        Keyword arguments of ``Model(...)``, e.g. ``(("convention", "paper"),)``.
    """

    kwargs: tuple[tuple[str, Any], ...] = ()

    def __call__(self) -> Any:
        from relicboost import Model

        return Model(**dict(self.kwargs))

    @classmethod
    def for_likelihood(cls, likelihood: Any, **model_kwargs: Any) -> ModelFactory:
        """Factory whose energy grid starts at the likelihood's ``required_energy_range``.

        Only ``energy_min`` is narrowed: fluxes at an energy depend on the source
        spectrum above it (redshift, up-scattering), so ``energy_max`` keeps the
        Model default unless given explicitly.

        Parameters
        ----------
        likelihood : object
            Anything with a ``required_energy_range`` attribute (MeV, (low, high));
            without it the full default grid is used.
        **model_kwargs
            Further ``Model`` keyword arguments.
        """
        rng = getattr(likelihood, "required_energy_range", None)
        if rng is not None and "energy_min" not in model_kwargs:
            lo = float(rng[0])
            if not (math.isfinite(lo) and lo > 0):
                raise ValueError(f"required_energy_range low edge must be > 0 MeV, got {lo}")
            model_kwargs["energy_min"] = lo
        return cls(tuple(sorted(model_kwargs.items())))


def describe(obj: Any) -> Any:
    """JSON-able description of a factory or likelihood, used in configuration hashes.

    ``obj.config()`` if defined, else its ``repr`` when that carries no memory
    address, else its class name plus the SHA-256 of its pickle.
    """
    cfg = getattr(obj, "config", None)
    if callable(cfg):
        return json.loads(json.dumps(cfg(), default=repr, sort_keys=True))
    text = repr(obj)
    priors = getattr(obj, "priors", None)
    if " at 0x" not in text:
        if isinstance(priors, Mapping) and priors:
            return {"repr": text, "priors": {k: repr(v) for k, v in sorted(priors.items())}}
        return text
    try:
        digest = hashlib.sha256(pickle.dumps(obj)).hexdigest()[:16]
    except Exception as exc:  # unpicklable: a hash cannot be formed reliably
        raise ValueError(f"cannot describe {type(obj).__qualname__} for the configuration "
                         f"hash; give it a config() method or a repr ({exc})") from exc
    return f"{type(obj).__module__}.{type(obj).__qualname__}#{digest}"
