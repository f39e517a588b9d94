"""Run a (g, M) scan (:mod:`relicboost.inference.gm_scan`) serially, on a process pool or with MPI, resumably.

Output folder layout (all in ``outdir``):

``gm_scan_spec.json``
    The scan specification (written atomically once); a resumed run must match it.
``gm_scan_checkpoint.jsonl``
    Append-only: one JSON line ``{"index": i, "values": {...}}`` per finished point, each batch
    appended with a single ``write`` and fsync by the process that owns the file (the serial loop or the
    pool's root).  A line cut by a kill has no newline and is dropped on resume; the floats
    are stored exactly (JSON ``repr``), so a resumed table equals an uninterrupted one.
``gm_scan.csv``
    The final table (:func:`relicboost.inference.gm_scan.format_table`), written atomically
    when every point is done; byte-identical whatever the pool and the execution order.

Pools: ``"serial"``; ``"process"`` (:class:`concurrent.futures.ProcessPoolExecutor`, spawned
workers); ``"mpi"`` (:class:`mpi4py.futures.MPICommExecutor` on ``MPI.COMM_WORLD``: start with
``mpiexec -n N relicboost gm-scan ...``; rank 0 schedules and writes, ranks 1..N-1 compute; with one
rank the scan runs serially).  ``"auto"`` picks ``"mpi"`` when launched by ``mpiexec`` with more
than one rank (environment variables ``PMI_SIZE`` or ``OMPI_COMM_WORLD_SIZE``), else ``"serial"``.
Each worker builds its Model once (module-level cache of one entry).
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from relicboost.physics.detection import SK_THRESHOLD_MEV

from .gm_detector_counts import detector_header, detector_observables
from .gm_scan import GMScanSpec, format_table, header, observables, point_row

POOLS: tuple[str, ...] = ("auto", "serial", "process", "mpi")
SPEC_NAME = "gm_scan_spec.json"
CHECKPOINT_NAME = "gm_scan_checkpoint.jsonl"
TABLE_NAME = "gm_scan.csv"

#: Per-process spec digest -> (model, g = 0 prediction, its SK-window flux); one entry, replaced with the spec.
_WORKER_STATE: dict[str, tuple[Any, Any, float]] = {}


def _state(spec: GMScanSpec) -> tuple[Any, Any, float]:
    key = spec.digest()
    if key not in _WORKER_STATE:
        from relicboost import Model

        _WORKER_STATE.clear()
        model = Model(convention=spec.convention, **dict(spec.model_options or ()))
        reference = _predict(model, spec, 0.0, spec.M_MeV[0])
        _WORKER_STATE[key] = (model, reference, reference.integrated_flux("nuebar", SK_THRESHOLD_MEV))
    return _WORKER_STATE[key]


def _predict(model: Any, spec: GMScanSpec, g: float, M_MeV: float) -> Any:
    return model.predict_mediator(g, M_MeV, spec.mediator, m_nu_eV=spec.m_nu_eV, **dict(spec.mediator_options))


def evaluate_points(spec_dict: dict, indices: Sequence[int]) -> list[tuple[int, dict[str, float]]]:
    """Observables of the grid points ``indices`` (runs in any process; picklable arguments).

    BLAS runs on one thread inside this call (threadpoolctl, restored on return): the transport's
    small triangular solves are 3-4x slower when the BLAS threads of several scan workers compete
    for the cores (measured: 512 points 48 s -> 12 s on 2 cores).
    """
    from threadpoolctl import threadpool_limits

    spec = GMScanSpec.from_dict(spec_dict)
    with threadpool_limits(limits=1, user_api="blas"):
        return _evaluate(spec, indices)


def _evaluate(spec: GMScanSpec, indices: Sequence[int]) -> list[tuple[int, dict[str, float]]]:
    model, reference, sk0 = _state(spec)
    out = []
    for index in indices:
        _, _, g, M = spec.point(index)
        try:
            prediction = _predict(model, spec, g, M)
            values = observables(prediction, sk0, spec.cevns_thresholds_keV)
            values.update(detector_observables(prediction, reference))
        except (ValueError, FloatingPointError) as exc:
            raise ValueError(f"grid point {index} (g = {g:.6g}, M = {M:.6g} MeV): {exc}") from exc
        out.append((int(index), values))
    return out


def table_header(spec: GMScanSpec) -> dict:
    """Header of the scan table (builds the Model in this process)."""
    from relicboost.model import NUISANCES

    model, reference, _ = _state(spec)
    skip = {*NUISANCES, "g", "M_MeV", "lam", "sfr"}
    resolved = {**model.options, **{k: v for k, v in reference.params.items() if k not in skip}}
    return {**header(spec, model.defaults, (float(model.energy[0]), float(model.energy[-1])), resolved),
            **detector_header(reference)}


# ----------------------------------------------------------------------------- checkpoint
def read_checkpoint(path: Path, spec: GMScanSpec) -> dict[int, dict[str, float]]:
    """Finished points of a checkpoint file; a trailing line cut by a kill is dropped (and truncated)."""
    done: dict[int, dict[str, float]] = {}
    if not path.is_file():
        return done
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    for n, line in enumerate(complete.decode("utf-8").splitlines(), 1):
        try:
            rec = json.loads(line)
            index, values = int(rec["index"]), dict(rec["values"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"checkpoint {path} line {n} is corrupt ({exc}); delete it or use --force") from exc
        if not 0 <= index < spec.n_points:
            raise ValueError(f"checkpoint {path} line {n}: index {index} outside the grid of {spec.n_points}")
        done.setdefault(index, values)
    if len(complete) != len(data):
        with open(path, "r+b") as fh:
            fh.truncate(len(complete))
    return done


class _Checkpoint:
    """Append-only writer: one line per finished point, one write() + fsync per batch of points."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, batch: Sequence[tuple[int, dict[str, float]]]) -> None:
        """Append finished points (one line each) with a single write() and fsync."""
        text = "".join(json.dumps({"index": i, "values": v}, sort_keys=True) + "\n" for i, v in batch)
        os.write(self._fd, text.encode("utf-8"))
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


# ----------------------------------------------------------------------------- pools
def launched_by_mpiexec() -> bool:
    """True when this process is one of several MPI ranks (PMI_SIZE / OMPI_COMM_WORLD_SIZE > 1)."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        with contextlib.suppress(ValueError):
            if int(os.environ.get(var, "1")) > 1:
                return True
    return False


def mpi_rank_from_environment() -> int:
    """This process's MPI rank as set by mpiexec (PMI_RANK / OMPI_COMM_WORLD_RANK), 0 otherwise."""
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK"):
        if var in os.environ:
            with contextlib.suppress(ValueError):
                return int(os.environ[var])
    return 0


@contextlib.contextmanager
def _executor(pool: str, processes: int | None) -> Iterator[tuple[Any, bool, int]]:
    """Yield (executor or None for serial, is_root, number of workers)."""
    if pool == "serial":
        yield None, True, 1
    elif pool == "process":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        n = processes or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as ex:
            yield ex, True, n
    else:
        try:
            from mpi4py import MPI
            from mpi4py.futures import MPICommExecutor
        except ImportError as exc:
            raise ImportError(f"pool 'mpi' needs the optional extra: pip install 'relicboost[mpi]' ({exc})") from exc
        comm = MPI.COMM_WORLD
        if comm.Get_size() == 1:
            yield None, True, 1
            return
        with MPICommExecutor(comm, root=0) as ex:
            yield ex, ex is not None, comm.Get_size() - 1


def _chunks(todo: list[int], workers: int) -> list[list[int]]:
    size = max(1, min(16, len(todo) // (8 * workers)))
    return [todo[i:i + size] for i in range(0, len(todo), size)]


def _batches(executor: Executor | None, workers: int, spec_dict: dict, todo: list[int],
             futures: list) -> Iterator[list[tuple[int, dict[str, float]]]]:
    """Results of the points ``todo`` in completion order (``futures`` collects what was submitted)."""
    if executor is None:
        for i in todo:
            yield evaluate_points(spec_dict, [i])
        return
    futures.extend(executor.submit(evaluate_points, spec_dict, c) for c in _chunks(todo, workers))
    for f in as_completed(futures):
        yield f.result()


def scan_frame(spec: GMScanSpec, *, pool: str = "serial", processes: int | None = None,
               progress: bool = False) -> pd.DataFrame:
    """All grid points of ``spec`` in memory (no files, no checkpoint), as a table with the header in ``attrs``.

    ``pool``: "serial" or "process" (for figures inside ``relicboost reproduce``).
    """
    from tqdm import tqdm

    if pool not in ("serial", "process"):
        raise ValueError(f"pool must be 'serial' or 'process' for an in-memory scan, got {pool!r}")
    done: dict[int, dict[str, float]] = {}
    futures: list = []
    with _executor(pool, processes) as (executor, _, workers), \
            tqdm(total=spec.n_points, desc=f"(g, M) {spec.convention} {spec.mediator}", unit="pt",
                 disable=not progress) as bar:
        for batch in _batches(executor, workers, spec.to_dict(), list(range(spec.n_points)), futures):
            done.update(batch)
            bar.update(len(batch))
    frame = pd.DataFrame([point_row(spec, i, done[i]) for i in range(spec.n_points)])
    frame.attrs.update(table_header(spec))
    return frame


def run_scan(spec: GMScanSpec, outdir: str | os.PathLike, *, pool: str = "auto", processes: int | None = None,
             resume: bool = False, force: bool = False, progress: bool = True) -> Path | None:
    """Compute every grid point of ``spec`` into ``outdir`` (see module docstring).

    Parameters
    ----------
    spec : GMScanSpec
    outdir : path
        Output folder (created).
    pool : {"auto", "serial", "process", "mpi"}
    processes : int, optional
        Workers of the process pool (default: all cores).
    resume : bool
        Continue an existing checkpoint of the same spec (else an existing one is an error).
    force : bool
        Delete an existing checkpoint and table first.
    progress : bool
        tqdm progress bar (root only).

    Returns
    -------
    Path or None
        The table path; None on MPI worker ranks (which write nothing).
    """
    from tqdm import tqdm

    from relicboost.io import atomic_write_text

    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
    if processes is not None and (not isinstance(processes, int) or processes < 1):
        raise ValueError(f"processes must be an integer >= 1, got {processes!r}")
    if resume and force:
        raise ValueError("resume and force are mutually exclusive")
    if pool == "auto":
        pool = "mpi" if launched_by_mpiexec() else "serial"
    with _executor(pool, processes) as (executor, is_root, workers):
        if not is_root:
            return None
        out = Path(outdir)
        _state(spec)      # the Model and the predict_mediator options are checked before anything is written
        out.mkdir(parents=True, exist_ok=True)
        spec_path, ck_path, table_path = out / SPEC_NAME, out / CHECKPOINT_NAME, out / TABLE_NAME
        if force:
            for p in (spec_path, ck_path, table_path):
                p.unlink(missing_ok=True)
        if spec_path.is_file() or ck_path.is_file():
            if not resume:
                raise ValueError(f"{out} already holds a scan; pass --resume to continue it or --force to restart")
            old = json.loads(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else None
            if old != json.loads(json.dumps(spec.to_dict())):
                diff = sorted(k for k in spec.to_dict() if old is None or old.get(k) != spec.to_dict()[k])
                raise ValueError(f"{out} holds a different scan (differs in {diff}); use a new --outdir or --force")
        atomic_write_text(spec_path, json.dumps(spec.to_dict(), indent=1, sort_keys=True) + "\n")
        done = read_checkpoint(ck_path, spec)
        todo = [i for i in range(spec.n_points) if i not in done]
        bar = tqdm(total=spec.n_points, initial=len(done), desc=f"gm-scan {spec.mediator}", unit="pt",
                   disable=not progress)
        ck = _Checkpoint(ck_path)
        spec_dict = spec.to_dict()
        futures: list = []
        try:
            for batch in _batches(executor, workers, spec_dict, todo, futures):
                ck.append(batch)
                done.update(batch)
                bar.update(len(batch))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        finally:
            ck.close()
            bar.close()
        rows = [point_row(spec, i, done[i]) for i in range(spec.n_points)]
        return atomic_write_text(table_path, format_table(table_header(spec), rows))


def find_mpiexec() -> str | None:
    """``mpiexec`` on PATH, next to this interpreter, or in the prefix holding mpi4py (the mpich wheel
    installs it into that prefix's ``bin/``); None if there is none."""
    import shutil
    import sys
    from pathlib import Path

    cands = [shutil.which("mpiexec"), Path(sys.executable).parent / "mpiexec"]
    try:
        import mpi4py

        cands.append(Path(mpi4py.__file__).resolve().parents[4] / "bin" / "mpiexec")
    except ImportError:
        pass
    return next((str(c) for c in cands if c and Path(c).is_file()), None)
