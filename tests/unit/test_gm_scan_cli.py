"""``relicboost gm-scan``: exit codes, one-line errors, and an MPI run byte-identical to the serial one."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relicboost.cli import main
from relicboost.inference.gm_scan_engine import find_mpiexec

ARGS = ["gm-scan", "--mediator", "scalar", "--g-min", "1e-4", "--g-max", "1e-2", "--n-g", "2",
        "--M-min-MeV", "2e-3", "--M-max-MeV", "2e-2", "--n-M", "2", "--quiet",
        "--model-option", "points_per_decade=20", "--model-option", "substeps=1", "--model-option", "energy_min=0.1"]


@pytest.fixture(scope="module")
def serial_bytes(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    assert main(ARGS + ["--outdir", str(out)]) == 0
    return (out / "gm_scan.csv").read_bytes()


def test_cli_writes_table_and_refuses_to_overwrite(serial_bytes, tmp_path, capsys):
    assert main(ARGS + ["--outdir", str(tmp_path)]) == 0
    assert (tmp_path / "gm_scan.csv").read_bytes() == serial_bytes
    capsys.readouterr()
    assert main(ARGS + ["--outdir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--resume" in err and "Traceback" not in err
    assert main(ARGS + ["--outdir", str(tmp_path), "--resume"]) == 0   # nothing left to compute
    assert (tmp_path / "gm_scan.csv").read_bytes() == serial_bytes


@pytest.mark.parametrize("extra, match", [
    (["--n-g", "0"], "--n-g"), (["--g-max", "100"], "g must lie"), (["--option", "nokey"], "KEY=VALUE"),
    (["--option", "no_such_option=1"], "no_such_option"), (["--cevns-thresholds-keV", "a,b"], "thresholds"),
])
def test_cli_bad_input_is_one_line_exit_2(extra, match, tmp_path, capsys):
    assert main(ARGS + ["--outdir", str(tmp_path)] + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())          # nothing written: the corrected command needs no --force


def test_mpiexec_two_ranks_is_byte_identical_to_serial(serial_bytes, tmp_path):
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("mpiexec not found (pip install 'relicboost[mpi]' provides it)")
    pytest.importorskip("mpi4py")
    env = dict(os.environ)
    libdir = str(Path(mpiexec).resolve().parent.parent / "lib")  # libmpi of the mpich wheel
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (libdir, env.get("LD_LIBRARY_PATH")) if p)
    proc = subprocess.run([mpiexec, "-n", "2", sys.executable, "-m", "relicboost.cli"] + ARGS
                          + ["--outdir", str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("wrote ") == 1            # only rank 0 writes and reports
    assert (tmp_path / "gm_scan.csv").read_bytes() == serial_bytes


def test_killed_run_resumes_to_the_same_table(tmp_path):
    """SIGKILL a running scan after some points are checkpointed; --resume finishes it identically.

    32 points (~70 ms each on this grid), so the kill lands mid-run even on a fast machine: the test asserts
    that it did (the table of a killed run must not exist) before it tests the resume."""
    import signal
    import time

    args = [*ARGS[:ARGS.index("--n-g") + 1], "8", *ARGS[ARGS.index("--n-g") + 2:]]
    args[args.index("--n-M") + 1] = "4"
    ref = tmp_path / "ref"
    assert main(args + ["--outdir", str(ref)]) == 0
    out = tmp_path / "killed"
    ck = out / "gm_scan_checkpoint.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "relicboost.cli", *args, "--pool", "serial",
                             "--outdir", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if ck.is_file() and ck.read_bytes().count(b"\n") >= 1:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    kept = ck.read_bytes().count(b"\n")
    assert proc.returncode == -signal.SIGKILL and 1 <= kept < 32, f"not killed mid-run ({kept} of 32 points kept)"
    assert not (out / "gm_scan.csv").exists()
    assert main(args + ["--outdir", str(out), "--resume"]) == 0
    assert (out / "gm_scan.csv").read_bytes() == (ref / "gm_scan.csv").read_bytes()


def test_second_scan_on_a_locked_directory_is_refused(tmp_path, capsys):
    """Issue 10: one run per directory; a scan while another process holds the lock exits 2, one line."""
    out = tmp_path / "scan"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom relicboost.io import RunLock\n"
         f"with RunLock({str(out)!r}):\n    print('locked', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert main([*ARGS, "--outdir", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert not (out / "gm_scan.csv").exists()
    finally:
        holder.kill()
        holder.wait()
