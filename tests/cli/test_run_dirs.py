"""Run directories of the commands (issue 10): lock, staging, statuses, integrity, cards, figures, export.

Every test here fails on the code before issue 10: a second process spliced its walkers
into the chain, a failed or forced run left the previous run's files, "not excluded"
could not be written, a flipped bit in chain.h5 was resumed, Ctrl-C gave a traceback,
config.yaml was not a valid card, limit/scan/forecast wrote no figure, export dropped
the C.L. and m_nu.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from relicboost.cli import main
from relicboost.io import read_table_csv, verify_run

SAMPLE = ["sample", "--nwalkers", "8", "--seed", "5", "--quiet", "--log10-lam-min", "-13", "--log10-lam-max", "-8"]


def _cli(*argv: str) -> list[str]:
    exe = Path(sys.executable).with_name("relicboost")
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "relicboost.cli"]) + list(argv)


def _chain(path: Path) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return np.array(f["mcmc"]["chain"])


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert path.exists(), "the first process did not start sampling"


@pytest.mark.slow
def test_two_concurrent_samples_one_refused_chain_equals_uninterrupted(tmp_path, capsys):
    ref, d = tmp_path / "ref", tmp_path / "d"
    assert main(SAMPLE + ["--nsteps", "600", "--outdir", str(ref)]) == 0
    capsys.readouterr()
    first = subprocess.Popen(_cli(*SAMPLE, "--nsteps", "600", "--outdir", str(d)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(d / ".lock", first)
        second = subprocess.run(_cli(*SAMPLE, "--nsteps", "600", "--outdir", str(d), "--resume"),
                                capture_output=True, text=True, timeout=300, check=False)
    finally:
        _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 2, "the second run was not refused (did the first end before it started?)"
    assert "in use" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert np.array_equal(_chain(d / "chain.h5"), _chain(ref / "chain.h5"))
    assert sorted(p.name for p in d.iterdir()) == ["chain.h5", "config.yaml", "corner.pdf", "corner.png", "getdist",
                                                  "posterior.nc", "result.json", "summary.csv", "trace.pdf", "trace.png"]
    assert all((p.stat().st_mode & 0o777) == 0o644 for p in d.rglob("*") if p.is_file())
    verify_run(d)


def test_flipped_value_in_chain_is_refused_on_resume(tmp_path, capsys):
    d = tmp_path / "s"
    assert main(SAMPLE + ["--nsteps", "20", "--outdir", str(d)]) == 0
    capsys.readouterr()
    with h5py.File(d / "chain.h5", "a") as f:  # walker 0 of the last step moved far outside the prior
        f["mcmc"]["chain"][-1, 0, 0] = 40.0
    assert main(SAMPLE + ["--nsteps", "30", "--outdir", str(d), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "corrupted" in err and len(err.strip().splitlines()) == 1
    # the same change with a recomputed digest is caught by the log-posterior check
    from relicboost.inference.chain_file import chain_digest

    with h5py.File(d / "chain.h5", "a") as f:
        f["mcmc"].attrs["relicboost_digest"] = chain_digest(f["mcmc"])
    assert main(SAMPLE + ["--nsteps", "30", "--outdir", str(d), "--resume"]) == 2
    assert "log-posterior" in capsys.readouterr().err
    assert (d / "result.json").is_file()  # nothing was touched by the refused runs


@pytest.mark.slow
def test_ctrl_c_in_sample_checkpoints_and_exits_130(tmp_path):
    d = tmp_path / "s"
    proc = subprocess.Popen(_cli(*SAMPLE, "--nsteps", "100000", "--outdir", str(d)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(d / ".lock", proc)
        time.sleep(2.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "--resume" in err
    n = _chain(d / "chain.h5").shape[0]
    assert n > 0
    assert main(SAMPLE + ["--nsteps", str(n + 5), "--outdir", str(d), "--resume"]) == 0


def test_limit_cold_case_not_excluded_and_force_replaces_the_whole_run(tmp_path, capsys):
    d = tmp_path / "lim"
    assert main(["limit", "--outdir", str(d), "--n-M", "20", "--quiet"]) == 0
    assert (d / "contours.csv").is_file() and (d / "limit.png").is_file() and (d / "limit.pdf").is_file()
    assert main(["limit", "--outdir", str(d), "--T-nuebar", "6", "--T-nux", "7", "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["limit", "--outdir", str(d), "--T-nuebar", "6", "--T-nux", "7", "--quiet", "--force"]) == 0
    table = read_table_csv(d / "limits.csv")
    assert table["status"][0].startswith("not excluded for lam <=") and np.isnan(table.iloc[0, 1])
    assert not (d / "contours.csv").exists()  # the previous run's contours are gone
    verify_run(d)
    assert main(["export", "--run", str(d)]) == 2  # nothing to export: one-line refusal
    capsys.readouterr()


def test_export_keeps_cl_mnu_keywords_and_refuses_a_tampered_run(tmp_path, capsys):
    pytest.importorskip("hepdata_lib")
    pytest.importorskip("hepdata_validator")
    d = tmp_path / "lim"
    assert main(["limit", "--outdir", str(d), "--n-M", "10", "--m-nu-eV", "0.1", "--cl", "0.95", "--quiet"]) == 0
    assert main(["export", "--run", str(d)]) == 0
    text = "\n".join(p.read_text() for p in (d / "hepdata").glob("*.yaml") if p.name != "submission.yaml")
    assert "name: CL" in text and "0.95" in text and "name: m_nu" in text and "0.1" in text
    sub = (d / "hepdata" / "submission.yaml").read_text()
    assert "keywords" in sub and "observables" in sub and "Neutrino self-interactions" in sub
    verify_run(d)  # result.json lists the submission too
    (d / "contours.csv").write_text((d / "contours.csv").read_text().replace("scalar", "vector"))
    capsys.readouterr()
    assert main(["export", "--run", str(d)]) == 2
    assert "do not match" in capsys.readouterr().err


def test_config_yaml_is_a_card_and_dash_spelling_works(tmp_path, capsys):
    d1, d2 = tmp_path / "f1", tmp_path / "f2"
    assert main(["forecast", "--lam", "1e-10,1e-9", "--T-nuebar", "6.5", "--outdir", str(d1)]) == 0
    assert (d1 / "forecast.png").is_file() and (d1 / "forecast.pdf").is_file()
    cfg = yaml.safe_load((d1 / "config.yaml").read_text())
    assert cfg["command"] == "forecast"
    assert main(["forecast", "--card", str(d1 / "config.yaml"), "--outdir", str(d2)]) == 0
    a = pd.read_csv(d1 / "forecast.csv", comment="#")
    b = pd.read_csv(d2 / "forecast.csv", comment="#")
    pd.testing.assert_frame_equal(a, b)
    card = tmp_path / "c.toml"
    card.write_text('"T-nuebar" = 6.5\nlam = "1e-10,1e-9"\n')
    capsys.readouterr()
    assert main(["forecast", "--card", str(card)]) == 0
    assert main(["scan", "--card", str(d1 / "config.yaml")]) == 2  # command: forecast
    assert "command" in capsys.readouterr().err


def test_scan_and_plot_and_flux_write_figures(tmp_path, capsys):
    d = tmp_path / "scan"
    assert main(["scan", "--n-scan", "5", "--outdir", str(d), "--quiet"]) == 0
    for name in ("scan.csv", "scan.png", "scan.pdf", "config.yaml", "result.json"):
        assert (d / name).is_file(), name
    before = (d / "scan.png").read_bytes()
    (d / "scan.png").unlink()
    assert main(["plot", str(d)]) == 0
    assert (d / "scan.png").read_bytes() == before  # redrawn from the files, identically
    f = tmp_path / "flux"
    assert main(["flux", "--lam", "1e-10", "--species", "nuebar", "--outdir", str(f)]) == 0
    table = read_table_csv(f / "flux.csv")
    assert {"E_MeV", "nuebar_boosted_cm-2_s-1_MeV-1"} <= set(table.columns)
    assert table.attrs["lam_MeV-3"] == pytest.approx(1e-10) and table.attrs["convention"] == "paper"
    assert (f / "flux.png").is_file() and (f / "flux.pdf").is_file()
    res = json.loads((f / "result.json").read_text())
    assert set(res["files"]) == {"config.yaml", "flux.csv", "flux.png", "flux.pdf"}
    capsys.readouterr()


def test_lock_refuses_a_second_holder_and_removes_only_stale_temporaries(tmp_path):
    from relicboost.io import RunDirectoryError, RunLock

    d = tmp_path / "d"
    d.mkdir()
    (d / ".chain.h5.abc.tmp").write_text("left by a killed run")
    code = ("import sys, time; from relicboost.io import RunLock\n"
            "with RunLock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(d)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (d / ".other.tmp").write_text("a live writer's temporary")
        with pytest.raises(RunDirectoryError, match="in use"), RunLock(d):
            pass
        assert (d / ".other.tmp").exists()  # not removed while its owner lives
    finally:
        holder.kill()
        holder.wait()
    assert not (d / ".chain.h5.abc.tmp").exists()
    with RunLock(d):
        assert not (d / ".other.tmp").exists()  # owner dead: stale, removed
    assert not (d / ".lock").exists()
    assert os.listdir(d) == []


def test_result_json_lists_the_references_of_the_run_even_after_reset(tmp_path, capsys):
    from relicboost.data import reset_used_references

    assert main(["forecast", "--lam", "1e-10", "--outdir", str(tmp_path / "a")]) == 0
    reset_used_references()  # cached loaders must still report their sources
    assert main(["forecast", "--lam", "1e-10", "--outdir", str(tmp_path / "b")]) == 0
    refs = [json.loads((tmp_path / d / "result.json").read_text())["references"] for d in ("a", "b")]
    assert refs[0] == refs[1] and "Pattavina2020RESNOVA" in refs[0]
    capsys.readouterr()


def test_limit_figure_draws_a_brazil_band_and_survives_missing_edges():
    from relicboost.cli.figures import limit_figure

    frame = pd.DataFrame({"limit": ["observed", "expected -2sigma", "expected -1sigma", "expected median",
                                    "expected +1sigma", "expected +2sigma"],
                          "lam_upper_90CL_MeV-3": [2e-11, 0.0, 8e-12, 1.5e-11, 3e-11, np.nan],
                          "status": ["ok", "ok", "ok", "ok", "ok", "not excluded"]})
    frame.attrs["CL"] = 0.9
    fig = limit_figure(frame)
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "expected $\\pm 1\\sigma$" in labels and "observed" in labels and "expected median" in labels
    assert "90% C.L." in ax.get_title()


def test_missing_extras_are_refused_before_computing(tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    missing = ("mpi4py", "schwimmbad", "hepdata_lib", "hepdata_validator")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in missing else real(name, *a))
    assert main(["sample", "--pool", "mpi", "--outdir", str(tmp_path / "s")]) == 2
    assert "relicboost[mpi]" in capsys.readouterr().err
    assert main(["limit", "--hepdata", "--outdir", str(tmp_path / "l")]) == 2
    assert "relicboost[hepdata]" in capsys.readouterr().err
    assert not (tmp_path / "s").exists() and not (tmp_path / "l").exists()


def test_interrupted_sample_force_leaves_no_file_of_the_previous_run(tmp_path, monkeypatch, capsys):
    from relicboost import inference

    d = tmp_path / "s"
    d.mkdir()
    for name in ("result.json", "corner.png", "corner.pdf", "config.yaml", "chain.h5"):
        (d / name).write_text("previous run")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(inference, "run", killed)
    assert main(SAMPLE + ["--nsteps", "10", "--outdir", str(d), "--force"]) == 130
    assert [p.name for p in d.iterdir()] == []
    capsys.readouterr()


def test_unwritable_outdir_is_refused_before_computing(tmp_path, monkeypatch, capsys):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) == tmp_path else real(p, mode))
    assert main(["limit", "--outdir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "not writable" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_limits_table_writes_no_zero_or_inf_limits():
    from types import SimpleNamespace

    from relicboost.cli.cmd_limit import limits_table

    frame = pd.DataFrame({"limit": ["observed", "expected -2sigma", "expected median"],
                          "lam_upper_90CL_MeV-3": [0.0, 0.0, np.inf], "log10_lam_upper_90CL": [0, 0, 0]})
    res = SimpleNamespace(status="all lam excluded (even lam=0)", to_frame=lambda: frame)
    table = limits_table(res, 1e-6)
    assert list(table["status"]) == ["all lam excluded (even lam = 0)", "band edge at lam = 0",
                                     "not excluded for lam <= 1e-06 MeV^-3 (scan range)"]
    assert table["lam_upper_90CL_MeV-3"].isna().all()
