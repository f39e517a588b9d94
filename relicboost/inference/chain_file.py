"""The chain file of :func:`relicboost.inference.sampling.run`: atomic checkpoints and integrity checks.

The file is emcee's HDF5 layout (group ``mcmc``) plus a ``relicboost`` group of run
metadata (configuration and its hash, parameter names, walkers, seed).  It is only
ever replaced atomically: steps are buffered and at each checkpoint the file is copied
to a temporary name, extended, flushed to disk, given mode 0644 and renamed over the
original.  Each checkpoint stores a SHA-256 digest of the steps, log-probabilities,
acceptance counts and generator state (:func:`chain_digest`); :func:`check_resumable`
verifies it, the configuration, and that the last stored walkers reproduce their
stored log-posterior before a run is continued.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import emcee
import h5py
import numpy as np

from relicboost.io import FILE_MODE

from .problem import Problem

_META = "relicboost"
_DIGEST = "relicboost_digest"

class AtomicHDFBackend(emcee.backends.HDFBackend):
    """emcee HDF5 backend whose file is replaced atomically at each checkpoint.

    Parameters
    ----------
    filename : str or Path
        Chain file (HDF5).
    metadata : dict, optional
        Attributes written into the ``relicboost`` group when the file is created
        (JSON-able values).
    checkpoint_every : int, optional
        Write after this many buffered steps (default: time-based only).
    checkpoint_seconds : float
        Write when this many seconds have passed since the last write (default 10 s).
    """

    def __init__(self, filename: str | Path, *, metadata: dict[str, Any] | None = None,
                 checkpoint_every: int | None = None, checkpoint_seconds: float = 10.0) -> None:
        super().__init__(str(filename), name="mcmc")
        if checkpoint_every is not None and checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1 step, got {checkpoint_every}")
        if not checkpoint_seconds > 0:
            raise ValueError(f"checkpoint_seconds must be > 0, got {checkpoint_seconds}")
        self.metadata = dict(metadata or {})
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = float(checkpoint_seconds)
        self._buf: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._buf_random_state: Any = None
        self._last_write = time.monotonic()

    @contextlib.contextmanager
    def _replacing(self, copy: bool) -> Iterator[str]:
        """Yield a temporary path next to the file; rename it over the file on success."""
        final = Path(self.filename)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        os.close(fd)
        try:
            if copy:
                shutil.copyfile(final, tmp)
            else:
                os.unlink(tmp)
            yield tmp
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, final)
            with contextlib.suppress(OSError):  # persist the rename where supported
                dfd = os.open(final.parent, os.O_RDONLY)
                os.fsync(dfd)
                os.close(dfd)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def reset(self, nwalkers: int, ndim: int) -> None:
        """Create a fresh, empty chain file (atomically) with the metadata group."""
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        final = self.filename
        with self._replacing(copy=False) as tmp:
            self.filename = tmp
            try:
                super().reset(nwalkers, ndim)
                with h5py.File(tmp, "a") as f:
                    g = f.require_group(_META)
                    for k, v in self.metadata.items():
                        g.attrs[k] = v
            finally:
                self.filename = final
        self._buf.clear()

    def grow(self, ngrow: int, blobs: Any) -> None:
        """Storage grows at each checkpoint; blobs are not supported."""
        if blobs is not None:
            raise ValueError("log_posterior must not return blobs")

    def save_step(self, state: emcee.State, accepted: np.ndarray) -> None:
        """Buffer one step; write a checkpoint when due."""
        self._buf.append((np.array(state.coords, dtype=self.dtype),
                          np.array(state.log_prob, dtype=self.dtype),
                          np.asarray(accepted, dtype=bool).copy()))
        self._buf_random_state = state.random_state
        due_steps = self.checkpoint_every is not None and len(self._buf) >= self.checkpoint_every
        due_time = time.monotonic() - self._last_write >= self.checkpoint_seconds
        if due_steps or due_time:
            self.flush()

    def flush(self) -> None:
        """Write the buffered steps: copy, extend, fsync, rename."""
        if not self._buf:
            return
        coords = np.stack([b[0] for b in self._buf])
        logp = np.stack([b[1] for b in self._buf])
        acc = np.sum([b[2] for b in self._buf], axis=0)
        with self._replacing(copy=True) as tmp, h5py.File(tmp, "a") as f:
            g = f[self.name]
            it = int(g.attrs["iteration"])
            n = coords.shape[0]
            g["chain"].resize(it + n, axis=0)
            g["log_prob"].resize(it + n, axis=0)
            g["chain"][it:it + n] = coords
            g["log_prob"][it:it + n] = logp
            g["accepted"][:] += acc
            for i, v in enumerate(self._buf_random_state):
                g.attrs[f"random_state_{i}"] = v
            g.attrs["iteration"] = it + n
            g.attrs[_DIGEST] = chain_digest(g)
        self._buf.clear()
        self._last_write = time.monotonic()

    @property
    def iteration(self) -> int:
        return int(super().iteration) + len(self._buf)


def chain_digest(group: h5py.Group) -> str:
    """SHA-256 of the stored steps, log-probabilities, acceptance counts and generator state."""
    it = int(group.attrs["iteration"])
    h = hashlib.sha256(str(it).encode())
    for name in ("chain", "log_prob"):
        h.update(np.ascontiguousarray(group[name][:it]).tobytes())
    h.update(np.ascontiguousarray(group["accepted"][:]).tobytes())
    i = 0
    while f"random_state_{i}" in group.attrs:
        h.update(np.asarray(group.attrs[f"random_state_{i}"]).tobytes())
        i += 1
    return h.hexdigest()


def verify_chain(path: str | Path, problem: Problem | None = None) -> None:
    """Refuse (ValueError) a chain file whose digest or last log-posterior does not match.

    Parameters
    ----------
    path : str or Path
        Chain file written by :func:`run`.
    problem : Problem, optional
        When given, the log-posterior of the last stored walkers is recomputed and
        compared with the stored values (relative tolerance 1e-9).
    """
    try:
        with h5py.File(path, "r") as f:
            g = f["mcmc"]
            it = int(g.attrs["iteration"])
            stored = g.attrs.get(_DIGEST)
            if stored is not None and stored != chain_digest(g):
                raise ValueError(f"{path} is corrupted (checkpoint digest mismatch); start over with force=True "
                                 "(--force)")
            if problem is None or it == 0:
                return
            coords, logp = np.array(g["chain"][it - 1]), np.array(g["log_prob"][it - 1])
    except (OSError, KeyError) as exc:
        raise ValueError(f"{path} is not a readable relicboost chain file ({exc})") from None
    again = np.array([problem.log_posterior(c) for c in coords])
    if not np.allclose(again, logp, rtol=1e-9, atol=1e-9):
        raise ValueError(f"{path}: the last stored walkers do not reproduce their stored log-posterior "
                         "(file corrupted or likelihood changed); start over with force=True (--force)")


def check_resumable(problem: Problem, path: str | Path, nwalkers: int, seed: int | None = None
                    ) -> dict[str, Any]:
    """Refuse (ValueError) to resume ``path`` with ``problem``; return the chain's metadata.

    Checks, without writing anything: the file is a relicboost chain, its walker
    count, parameter order, configuration hash and seed match, its checkpoint digest
    matches and its last walkers reproduce their stored log-posterior.
    """
    meta = read_metadata(path)
    _check_resume(meta, problem, nwalkers, seed, Path(path))
    verify_chain(path, problem)
    return meta


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The ``relicboost`` attributes and the iteration count of a chain file."""
    try:
        with h5py.File(path, "r") as f:
            meta = {k: (v.item() if hasattr(v, "item") else v) for k, v in f[_META].attrs.items()}
            meta["iteration"] = int(f["mcmc"].attrs["iteration"])
    except (OSError, KeyError) as exc:
        raise ValueError(f"{path} is not a relicboost chain file ({exc})") from exc
    return meta


def _check_resume(meta: dict[str, Any], problem: Problem, nwalkers: int, seed: int | None,
                  path: Path) -> None:
    if int(meta.get("nwalkers", -1)) != nwalkers:
        raise ValueError(f"cannot resume {path}: nwalkers changed (file {meta.get('nwalkers')}, "
                         f"requested {nwalkers}); use force=True to start over")
    names = json.loads(meta.get("names", "[]"))
    if names != list(problem.names):
        raise ValueError(f"cannot resume {path}: parameter order changed (file {names}, "
                         f"requested {list(problem.names)}); use force=True to start over")
    if meta.get("config_hash") != problem.config_hash():
        old = json.loads(meta.get("config", "{}"))
        new = json.loads(json.dumps(problem.config(), sort_keys=True))
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ValueError(f"cannot resume {path}: configuration changed (hash "
                         f"{str(meta.get('config_hash'))[:12]} -> {problem.config_hash()[:12]}; "
                         f"differing keys: {diff}); use force=True to start over")
    if seed is not None and int(meta["seed"]) != seed:
        raise ValueError(f"cannot resume {path}: seed changed (file {meta['seed']}, requested {seed})")


