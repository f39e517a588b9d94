"""Posterior sampling with emcee: resumable HDF5 chains, pools, convergence figures.

The coordinates are those of the :class:`~relicboost.inference.problem.Problem`
(log10 lam, or log10 g and log10 M for a mediator, plus nuisances); priors are the
Problem's stated priors (flat in log10 lam means the credible upper limit depends on
the lower prior edge: it is reported with the result).

Reproducibility: one integer ``seed`` (recorded in the file) seeds the initial ball
(``numpy.random.default_rng(seed)``) and emcee's stretch-move generator
(``numpy.random.RandomState(seed)``); the log posterior is deterministic, so serial and
pooled runs give the same chain bit for bit.

Checkpoints: the chain file is emcee's HDF5 layout, but it is only ever replaced
atomically: steps are buffered and every ``checkpoint_every`` steps (or
``checkpoint_seconds``) the file is copied to a temporary name, extended, flushed to
disk and renamed over the original.  A run killed at any moment (SIGKILL included)
leaves the last complete checkpoint, including the generator state, so
``run(..., resume=True)`` continues it to the same chain an uninterrupted run gives.

Integrity: each checkpoint stores a SHA-256 digest of the chain, log-probabilities,
acceptance counts and generator state; a resume recomputes it and the log-posterior
of the last stored walkers, and refuses a file where either differs.  The chain's
directory is locked (:class:`relicboost.io.RunLock`) while :func:`run` works on it, so
a second process is refused instead of splicing its walkers into the same file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import emcee
import h5py
import numpy as np
from iminuit import Minuit

from relicboost.io import FILE_MODE, RunLock, atomic_savefig, atomic_write_json

from .problem import Problem

_META = "relicboost"
_DIGEST = "relicboost_digest"
#: Pool kinds understood by :func:`run`.
POOLS: tuple[str, ...] = ("serial", "multiprocessing", "mpi")


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


@dataclasses.dataclass
class SamplingResult:
    """Summary of a chain.

    Attributes
    ----------
    path : str
        HDF5 chain file.
    names : tuple of str
        Coordinates (theta order).
    nwalkers, nsteps : int
        Walkers and stored steps.
    seed : int
        Seed that makes the run repeatable.
    config_hash : str
        SHA-256 of the Problem configuration.
    tau : dict
        Integrated autocorrelation time per coordinate, in steps (emcee, tol=0).
    acceptance_fraction : float
        Mean acceptance fraction over walkers.
    converged : bool
        nsteps > 50 max(tau).
    burn_in, thin : int
        Steps discarded (2 max tau) and thinning (max(1, min tau / 2)) for summaries.
    cl : float
        Credibility of ``lam_upper``.
    lam_upper : float or None
        Credible upper limit on lam (MeV^-3) at ``cl`` (None if lam is fixed).
    priors : dict
        Stated prior per coordinate.
    pool : str
        Pool used.
    resumed_from : int
        Steps already in the file when this call started.
    """

    path: str
    names: tuple[str, ...]
    nwalkers: int
    nsteps: int
    seed: int
    config_hash: str
    tau: dict[str, float]
    acceptance_fraction: float
    converged: bool
    burn_in: int
    thin: int
    cl: float
    lam_upper: float | None
    priors: dict[str, str]
    pool: str
    resumed_from: int

    def samples(self, flat: bool = True, discard: int | None = None, thin: int | None = None
                ) -> np.ndarray:
        """Chain read from the file, after burn-in and thinning (defaults: the result's)."""
        b = emcee.backends.HDFBackend(self.path, read_only=True)
        return b.get_chain(flat=flat, discard=self.burn_in if discard is None else discard,
                           thin=self.thin if thin is None else thin)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (units in key names)."""
        d = dataclasses.asdict(self)
        d["names"] = list(self.names)
        d["lam_upper_MeV-3"] = d.pop("lam_upper")
        d["tau_steps"] = d.pop("tau")
        return d

    def __str__(self) -> str:
        lines = [f"emcee: {self.nwalkers} walkers x {self.nsteps} steps ({self.path}, seed {self.seed}, "
                 f"pool {self.pool})",
                 f"{'coordinate':<14}{'prior':<28}{'tau [steps]':>12}"]
        for n in self.names:
            lines.append(f"{n:<14}{self.priors.get(n, ''):<28}{self.tau[n]:>12.1f}")
        lam = "n/a" if self.lam_upper is None else f"{self.lam_upper:.4g} MeV^-3"
        lines.append(f"acceptance {self.acceptance_fraction:.3f}; converged (N > 50 tau): "
                     f"{self.converged}; burn-in {self.burn_in}, thin {self.thin}")
        lines.append(f"{100 * self.cl:g}% credible upper limit on lam: {lam}")
        return "\n".join(lines)

    def write_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON, atomically (temporary name + rename)."""
        return atomic_write_json(path, self.to_dict())

    def corner(self, path: str | Path | None = None):
        """Corner plot of the post-burn-in samples; saved atomically if ``path`` is given."""
        import corner
        from matplotlib.figure import Figure

        fig = corner.corner(self.samples(), labels=list(self.names), quantiles=[0.5, self.cl],
                            show_titles=True, title_quantiles=[0.16, 0.5, 0.84], fig=Figure(figsize=(8, 8)))
        if path is not None:
            atomic_savefig(fig, path)
        return fig


# ---------------------------------------------------------------------------- pools
_WORKER_PROBLEM: Problem | None = None


def _init_worker(problem: Problem) -> None:
    """Pool initializer: keep the problem and build its model once in this process."""
    global _WORKER_PROBLEM
    _WORKER_PROBLEM = problem
    _ = problem.model


def _worker_log_posterior(theta: np.ndarray) -> float:
    return _WORKER_PROBLEM.log_posterior(theta)  # type: ignore[union-attr]


@contextlib.contextmanager
def _pool(kind: str, processes: int | None, problem: Problem) -> Iterator[tuple[Any, Any]]:
    """Yield (pool or None, log-posterior function) for the chosen pool kind."""
    if kind == "serial":
        yield None, problem.log_posterior
    elif kind == "multiprocessing":
        import multiprocessing

        n = processes or os.cpu_count() or 1
        with multiprocessing.get_context().Pool(n, initializer=_init_worker,
                                                initargs=(problem,)) as pool:
            yield pool, _worker_log_posterior
    elif kind == "mpi":
        try:
            from schwimmbad import MPIPool

            pool = MPIPool()
        except ImportError as exc:
            raise ImportError("pool='mpi' needs the optional extra: pip install 'relicboost[mpi]' "
                              f"(schwimmbad, mpi4py) and an MPI launch ({exc})") from exc
        if not pool.is_master():  # workers serve log-posterior calls, then exit
            pool.wait()
            sys.exit(0)
        try:
            yield pool, problem.log_posterior
        finally:
            pool.close()
    else:
        raise ValueError(f"pool must be one of {POOLS}, got {kind!r}")


# ---------------------------------------------------------------------------- run
def best_fit(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """iminuit minimum of chi2(theta) and its parabolic errors (coordinate units)."""
    steps = problem.steps()
    m = Minuit(problem.chi2, problem.start(), name=problem.names)
    m.errordef = Minuit.LEAST_SQUARES
    m.errors = steps
    m.limits = list(problem.bounds)
    m.migrad()
    err = np.array(m.errors)
    err = np.where(np.isfinite(err) & (err > 0), err, steps)
    return np.array(m.values), err


def _initial_ball(problem: Problem, nwalkers: int, rng: np.random.Generator, ball: float
                  ) -> np.ndarray:
    center, err = best_fit(problem)
    lo = np.array([b[0] for b in problem.bounds])
    hi = np.array([b[1] for b in problem.bounds])
    scale = ball * np.minimum(err, 0.1 * (hi - lo))
    pos = center + scale * rng.standard_normal((nwalkers, center.size))
    for _ in range(1000):  # redraw coordinates that fall outside the bounds
        bad = (pos < lo) | (pos > hi)
        if not bad.any():
            break
        pos[bad] = (center + scale * rng.standard_normal(pos.shape))[bad]
    return np.clip(pos, lo, hi)


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


def run(problem: Problem, path: str | Path, nsteps_total: int, *, nwalkers: int = 32,
        seed: int | None = None, resume: bool = False, force: bool = False, pool: str = "serial",
        processes: int | None = None, cl: float = 0.90, ball: float = 0.1,
        checkpoint_every: int | None = None, checkpoint_seconds: float = 10.0,
        progress: bool = True, stop: Callable[[], bool] | None = None) -> SamplingResult:
    """Sample the posterior of ``problem`` with emcee into the HDF5 file ``path``.

    Parameters
    ----------
    problem : Problem
        Coordinates, priors and likelihood.
    path : str or Path
        Chain file (emcee HDF5 layout, replaced atomically at each checkpoint).
    nsteps_total : int
        TOTAL number of steps the file should hold at the end (a resumed run adds
        only the missing ones).
    nwalkers : int
        Number of walkers (>= 2 x number of coordinates).
    seed : int, optional
        Seed of the run (recorded in the file); default: a fresh random seed (recorded).
        On resume it defaults to the recorded one and must not differ from it.
    resume : bool
        Continue an existing file; refuses (ValueError) if its configuration hash,
        parameter order, walker count or seed differ.
    force : bool
        Delete an existing file and start over.  ``resume`` and ``force`` are exclusive.
    pool : {"serial", "multiprocessing", "mpi"}
        Where log posteriors are evaluated; "mpi" needs the extra ``relicboost[mpi]``
        and an MPI launch (workers never return from this call).
    processes : int, optional
        Processes for ``pool="multiprocessing"`` (default: all cores).
    cl : float
        Credibility of the reported upper limit on lam (default 0.90).
    ball : float
        Initial ball radius around the iminuit best fit, in units of its parabolic
        errors (capped at a tenth of the prior range).
    checkpoint_every, checkpoint_seconds :
        Checkpoint frequency in steps and/or seconds.
    progress : bool
        tqdm progress bar.
    stop : callable, optional
        Polled after every step; when it returns True the buffered steps are written
        (a final checkpoint) and :class:`KeyboardInterrupt` is raised.  An entry point
        that turns SIGINT into a flag can so stop between steps, never inside a
        log-posterior call.

    Returns
    -------
    SamplingResult
    """
    if resume and force:
        raise ValueError("resume and force are mutually exclusive")
    if not (isinstance(nsteps_total, (int, np.integer)) and nsteps_total >= 1):
        raise ValueError(f"nsteps_total must be an integer >= 1, got {nsteps_total!r}")
    ndim = len(problem.names)
    if ndim == 0:
        raise ValueError("the problem has no free parameter to sample")
    if not (isinstance(nwalkers, (int, np.integer)) and nwalkers >= 2 * ndim):
        raise ValueError(f"nwalkers must be an integer >= 2 x ndim = {2 * ndim}, got {nwalkers!r}")
    if not (0.0 < cl < 1.0):
        raise ValueError(f"cl must be in (0, 1), got {cl}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
    path = Path(path)
    # the lock keeps other processes out for the whole run; taking it removes stale temporaries
    with RunLock(path.parent, option="chain directory"):
        return _run_locked(problem, path, nsteps_total, nwalkers=nwalkers, seed=seed, resume=resume, force=force,
                           pool=pool, processes=processes, cl=cl, ball=ball, checkpoint_every=checkpoint_every,
                           checkpoint_seconds=checkpoint_seconds, progress=progress, stop=stop)


def _run_locked(problem: Problem, path: Path, nsteps_total: int, *, nwalkers: int, seed: int | None,
                resume: bool, force: bool, pool: str, processes: int | None, cl: float, ball: float,
                checkpoint_every: int | None, checkpoint_seconds: float, progress: bool,
                stop: Callable[[], bool] | None) -> SamplingResult:
    ndim = len(problem.names)
    exists = path.exists()
    if exists and force:
        path.unlink()
        exists = False
    if exists and not resume:
        raise ValueError(f"{path} exists: pass resume=True to continue it or force=True to start over")
    resumed_from = 0
    if exists:
        meta = check_resumable(problem, path, nwalkers, seed)
        seed = int(meta["seed"])
        resumed_from = meta["iteration"]
    elif seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**32))
    if not (0 <= int(seed) < 2**32):
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    metadata = {"config": json.dumps(problem.config(), sort_keys=True),
                "config_hash": problem.config_hash(), "names": json.dumps(list(problem.names)),
                "nwalkers": nwalkers, "seed": seed}
    backend = AtomicHDFBackend(path, metadata=metadata, checkpoint_every=checkpoint_every,
                               checkpoint_seconds=checkpoint_seconds)
    with _pool(pool, processes, problem) as (pool_obj, fn):
        sampler = emcee.EnsembleSampler(nwalkers, ndim, fn, pool=pool_obj, backend=backend)
        if resumed_from > 0:
            state = backend.get_last_sample()
        else:
            coords = _initial_ball(problem, nwalkers, np.random.default_rng(seed), ball)
            state = emcee.State(coords, random_state=np.random.RandomState(seed).get_state())
        remaining = int(nsteps_total) - resumed_from
        if remaining > 0:
            try:
                for _ in sampler.sample(state, iterations=remaining, progress=progress):
                    if stop is not None and stop():
                        raise KeyboardInterrupt("sampling stopped")
            finally:
                backend.flush()
    return summarize(problem, path, cl=cl, pool=pool, resumed_from=resumed_from)


def summarize(problem: Problem, path: str | Path, *, cl: float = 0.90, pool: str = "serial",
              resumed_from: int = 0) -> SamplingResult:
    """Convergence figures and the credible upper limit on lam from a chain file."""
    meta = read_metadata(path)
    b = emcee.backends.HDFBackend(str(path), read_only=True)
    chain = b.get_chain()
    nsteps = chain.shape[0]
    if nsteps == 0:
        raise ValueError(f"{path} holds no steps yet")
    tau = emcee.autocorr.integrated_time(chain, tol=0)
    tau = np.where(np.isfinite(tau), tau, float(nsteps))
    burn = min(int(math.ceil(2 * tau.max())), nsteps // 2)
    thin = max(1, int(0.5 * tau.min()))
    flat = chain[burn::thin].reshape(-1, chain.shape[2])
    lam = _lam_samples(problem, flat)
    return SamplingResult(
        path=str(path), names=problem.names, nwalkers=chain.shape[1], nsteps=nsteps,
        seed=int(meta["seed"]), config_hash=str(meta["config_hash"]),
        tau=dict(zip(problem.names, map(float, tau))),
        acceptance_fraction=float(np.mean(b.accepted / nsteps)),
        converged=bool(nsteps > 50 * tau.max()), burn_in=burn, thin=thin, cl=cl,
        lam_upper=None if lam is None else float(np.quantile(lam, cl)),
        priors=problem.priors_text(), pool=pool, resumed_from=int(resumed_from))


def _lam_samples(problem: Problem, flat: np.ndarray) -> np.ndarray | None:
    """lam (MeV^-3) of each sample, or None when lam is not sampled."""
    names = problem.names
    if "log10_lam" in names:
        return 10.0 ** flat[:, names.index("log10_lam")]
    if problem.mediator and ("log10_g" in names or "log10_M_MeV" in names):
        from relicboost.physics.interactions import lam_from_coupling

        g = 10.0 ** flat[:, names.index("log10_g")] if "log10_g" in names else problem.fixed["g"]
        m = (10.0 ** flat[:, names.index("log10_M_MeV")] if "log10_M_MeV" in names
             else problem.fixed["M"])
        return np.asarray(lam_from_coupling(g, m, problem.m_nu_eV, problem.mediator))
    return None
