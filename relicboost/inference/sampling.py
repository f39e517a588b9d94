"""Posterior sampling with emcee: resumable HDF5 chains, pools, convergence figures.

The coordinates are those of the :class:`~relicboost.inference.problem.Problem`
(log10 lam, or log10 g and log10 M for a mediator, plus nuisances); priors are the
Problem's stated priors (flat in log10 lam means the credible upper limit depends on
the lower prior edge: it is reported with the result).

Reproducibility: one integer ``seed`` (recorded in the file) seeds the initial ball
(``numpy.random.default_rng(seed)``) and emcee's stretch-move generator
(``numpy.random.RandomState(seed)``); the log posterior is deterministic, so serial and
pooled runs give the same chain bit for bit.

Checkpoints (:mod:`relicboost.inference.chain_file`): the chain file is emcee's HDF5 layout, only ever replaced
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
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import emcee
import numpy as np
from iminuit import Minuit
from threadpoolctl import threadpool_limits

from relicboost.io import RunLock, atomic_savefig, atomic_write_json

from .chain_file import AtomicHDFBackend, check_resumable
from .problem import Problem

#: Pool kinds understood by :func:`run`.
POOLS: tuple[str, ...] = ("serial", "multiprocessing", "mpi")


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
    """Pool initializer: keep the problem and build its model once in this process.

    The worker (a process :func:`run` created) also limits BLAS to one thread: the workers
    already occupy the cores, and the model's small matrix products otherwise wait for
    BLAS threads competing with the other workers.
    """
    global _WORKER_PROBLEM
    _WORKER_PROBLEM = problem
    threadpool_limits(1, user_api="blas")
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
    from .posterior import summarize  # posterior imports SamplingResult from here

    return summarize(problem, path, cl=cl, pool=pool, resumed_from=resumed_from)
