"""Resumable emcee chains: SIGKILL mid-run + resume == uninterrupted run (same seed), refusals.

The killed run executes in a subprocess that imports this module's toy problem; the
parent kills it with SIGKILL once the chain file holds some checkpoints.
"""
from __future__ import annotations

import dataclasses
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from toy_model import ToyModel, ToyPrediction

from relicboost.inference import Free, Gaussian, Problem, Uniform, run
from relicboost.inference.chain_file import read_metadata

NSTEPS, SEED, EVERY = 800, 11, 20


@dataclasses.dataclass(frozen=True)
class ToyLike:
    """Gaussian in (log10 lam, T_nuebar) with correlation; TOY_SLEEP (s) slows each call."""

    mu: float = -11.0

    def __call__(self, pred: ToyPrediction) -> float:
        delay = float(os.environ.get("TOY_SLEEP", "0"))
        if delay:
            time.sleep(delay)
        p = pred.params
        x = math.log10(p["lam"]) - self.mu
        return (x + 0.8 * (p["T_nuebar"] - 7.0)) ** 2


def make_problem(order: str = "lam-first", sigma_T: float = 0.5) -> Problem:
    lam = ("lam", Free(Uniform(-14.0, -8.0)))
    tnb = ("T_nuebar", Free(Gaussian(7.0, sigma_T)))
    items = [lam, tnb] if order == "lam-first" else [tnb, lam]
    return Problem(ToyModel(), ToyLike(), dict(items))


def chain_of(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    with h5py.File(path, "r") as f:
        g = f["mcmc"]
        it = int(g.attrs["iteration"])
        return g["chain"][:it], g["log_prob"][:it], g["accepted"][...], it


KILLED_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from test_sampling_resume import make_problem, NSTEPS, SEED, EVERY
from relicboost.inference import run
run(make_problem(), {path!r}, NSTEPS, seed=SEED, checkpoint_every=EVERY, progress=False)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "ref.h5"
    run(make_problem(), path, NSTEPS, seed=SEED, checkpoint_every=EVERY, progress=False)
    return path


def test_sigkill_then_resume_equals_uninterrupted(reference, tmp_path):
    path = tmp_path / "chain.h5"
    env = dict(os.environ, TOY_SLEEP="1e-4")
    script = KILLED_SCRIPT.format(here=str(Path(__file__).parent), path=str(path))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 60
    killed_at = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if path.exists():
                try:
                    killed_at = read_metadata(path)["iteration"]
                except ValueError:
                    killed_at = 0
                if killed_at >= 5 * EVERY:
                    time.sleep(0.031)  # land at an arbitrary point of a checkpoint cycle
                    break
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the chain file is a complete checkpoint: readable, whole checkpoints only
    _, _, _, it_killed = chain_of(path)
    assert EVERY * 5 <= it_killed < NSTEPS and it_killed % EVERY == 0
    res = run(make_problem(), path, NSTEPS, resume=True, checkpoint_every=EVERY, progress=False)
    assert res.resumed_from == it_killed and res.seed == SEED and res.nsteps == NSTEPS
    c1, lp1, acc1, it1 = chain_of(path)
    c0, lp0, acc0, it0 = chain_of(reference)
    assert it1 == it0 == NSTEPS
    assert np.array_equal(c1, c0) and np.array_equal(lp1, lp0) and np.array_equal(acc1, acc0)
    # no temporary or partial files left next to the chain
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.h5"]


def test_repeatable_with_multiprocessing_pool(reference, tmp_path):
    """Same seed, two worker processes: bit-for-bit the prefix of the serial chain."""
    path = tmp_path / "mp.h5"
    run(make_problem(), path, 60, seed=SEED, pool="multiprocessing", processes=2, progress=False)
    c, lp, _, it = chain_of(path)
    c0, lp0, _, _ = chain_of(reference)
    assert it == 60 and np.array_equal(c, c0[:60]) and np.array_equal(lp, lp0[:60])


def test_resume_of_finished_run_adds_nothing(reference):
    res = run(make_problem(), reference, NSTEPS, resume=True, progress=False)
    assert res.nsteps == NSTEPS and res.resumed_from == NSTEPS


def test_refusals(reference, tmp_path):
    with pytest.raises(ValueError, match="nwalkers"):
        run(make_problem(), reference, NSTEPS + 10, nwalkers=16, resume=True, progress=False)
    with pytest.raises(ValueError, match="parameter order"):
        run(make_problem(order="T-first"), reference, NSTEPS + 10, resume=True, progress=False)
    with pytest.raises(ValueError, match="configuration changed"):
        run(make_problem(sigma_T=0.6), reference, NSTEPS + 10, resume=True, progress=False)
    with pytest.raises(ValueError, match="seed"):
        run(make_problem(), reference, NSTEPS + 10, seed=SEED + 1, resume=True, progress=False)
    with pytest.raises(ValueError, match="exclusive"):
        run(make_problem(), reference, NSTEPS, resume=True, force=True, progress=False)
    with pytest.raises(ValueError, match="exists"):
        run(make_problem(), reference, NSTEPS, progress=False)
    with pytest.raises(ValueError, match="pool"):
        run(make_problem(), tmp_path / "x.h5", 10, pool="threads", progress=False)
    assert read_metadata(reference)["iteration"] == NSTEPS  # refusals leave the file alone


def test_force_starts_over(tmp_path):
    path = tmp_path / "f.h5"
    run(make_problem(), path, 30, seed=1, progress=False)
    res = run(make_problem(order="T-first"), path, 20, seed=2, force=True, progress=False)
    assert res.nsteps == 20 and res.seed == 2 and res.names == ("T_nuebar", "log10_lam")


def test_result_outputs(reference, tmp_path):
    res = run(make_problem(), reference, NSTEPS, resume=True, progress=False)
    d = res.to_dict()
    assert set(d["tau_steps"]) == {"log10_lam", "T_nuebar"} and d["seed"] == SEED
    res.write_json(tmp_path / "r.json")
    res.corner(tmp_path / "corner.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corner.png", "r.json"]
