"""The relicboost command on small runs: exit codes, JSON keys, run cards, files written."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from relicboost import Model
from relicboost.cli import main


def run_json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_limit_json_has_documented_keys_and_matches_flux_crossing(capsys):
    out = run_json(capsys, ["limit", "--likelihood", "skiv", "--T-nue", "6.6", "--T-nuebar", "7",
                            "--T-nux", "10", "--json", "--mediator", "scalar", "--M-MeV", "10"])
    for key in ("cl", "lam_upper_MeV-3", "convention", "g_upper"):
        assert key in out
    assert out["cl"] == pytest.approx(0.90)
    assert out["convention"] == "paper"
    # the limit is where the predicted flux above 17.3 MeV reaches the SK-IV 2.7 cm^-2 s^-1
    flux = Model().predict(lam=out["lam_upper_MeV-3"]).integrated_flux("nuebar", 17.3)
    assert flux == pytest.approx(2.7, rel=2e-3)
    # g_upper maps back to lam with the heavy-mediator relation lam = g^4 m_nu / (8 pi M^4)
    lam_back = out["g_upper"] ** 4 * 0.05e-6 / (8 * 3.141592653589793 * 10.0**4)
    assert lam_back == pytest.approx(out["lam_upper_MeV-3"], rel=1e-6)


def test_run_card_sets_options_and_cli_overrides(tmp_path, capsys):
    card = tmp_path / "run.toml"
    card.write_text('likelihood = "skiv"\nT_nuebar = 6.8\nT_nux = 9.0\ncl = 0.95\n')
    out = run_json(capsys, ["limit", "--card", str(card), "--json"])
    assert out["cl"] == pytest.approx(0.95)
    out2 = run_json(capsys, ["limit", "--card", str(card), "--cl", "0.9", "--json"])
    assert out2["cl"] == pytest.approx(0.90)
    # colder spectra need a larger lam to reach the same limit, and 95% is looser than 90%
    assert out["lam_upper_MeV-3"] > out2["lam_upper_MeV-3"]


@pytest.mark.parametrize("text, word", [("T_nuebr = 6.0\n", "T_nuebr"), ('T_nuebar = "hot"\n', "T_nuebar"),
                                        ("json = 3\n", "json")])
def test_run_card_rejects_unknown_key_and_wrong_type(tmp_path, capsys, text, word):
    card = tmp_path / "bad.toml"
    card.write_text(text)
    assert main(["limit", "--card", str(card)]) == 2
    assert word in capsys.readouterr().err


def test_yaml_card_is_read(tmp_path, capsys):
    card = tmp_path / "run.yaml"
    card.write_text("likelihood: skiv\nT_nuebar: 6.8\nT_nux: 9.0\n")
    out = run_json(capsys, ["limit", "--card", str(card), "--json"])
    assert out["lam_upper_MeV-3"] > 1.5e-11  # colder than the default 7/10 set (1.3e-11)
    # the paper's cold set (6/7 MeV) never reaches the SK-IV limit: no upper limit, status says why
    card.write_text("likelihood: skiv\nT_nuebar: 6.0\nT_nux: 7.0\n")
    out = run_json(capsys, ["limit", "--card", str(card), "--json"])
    assert out["lam_upper_MeV-3"] is None and "not excluded" in out["status"]


def test_resume_and_force_are_exclusive(tmp_path, capsys):
    assert main(["sample", "--outdir", str(tmp_path), "--resume", "--force"]) == 2
    card = tmp_path / "c.toml"
    card.write_text("resume = true\nforce = true\n")
    assert main(["sample", "--card", str(card), "--outdir", str(tmp_path)]) == 2
    assert "exclusive" in capsys.readouterr().err


def test_bad_physics_input_is_a_clear_error(capsys):
    assert main(["limit", "--T-nuebar", "-1"]) == 2
    assert "--T-nuebar" in capsys.readouterr().err


def test_limit_run_directory_and_export(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["limit", "--outdir", str(out), "--n-M", "20", "--quiet"]) == 0
    for name in ("limits.csv", "contours.csv", "result.json", "config.yaml"):
        assert (out / name).is_file(), name
    text = (out / "contours.csv").read_text()
    assert "g_upper" in text and "M_MeV" in text and "CL: 0.90" in text
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))
    pytest.importorskip("hepdata_lib")
    pytest.importorskip("hepdata_validator")
    assert main(["export", "--run", str(out)]) == 0
    assert (out / "hepdata").is_dir()


def test_bib_prints_sources_of_the_likelihood(capsys):
    assert main(["bib", "--likelihood", "skiv,borexino"]) == 0
    text = capsys.readouterr().out
    assert "@article{Abe2021SKDSNB" in text and "@article{Agostini2021Borexino" in text
    assert "DasPerezGonzalezSen2022" in text


def test_forecast_table(capsys):
    assert main(["forecast", "--lam", "1e-9", "--threshold-keV", "3", "--exposure-ton-yr", "1000"]) == 0
    assert "Z_discovery_median" in capsys.readouterr().out


def test_console_script_help(capsys):
    exe = Path(sys.executable).with_name("relicboost")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "relicboost.cli"]
    res = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0 and "usage" in res.stdout
    for sub in ("reproduce", "limit", "scan", "sample", "forecast", "flux", "plot", "export", "bib"):
        assert main([sub, "--help"]) == 0
        assert "usage" in capsys.readouterr().out


def test_sample_writes_run_and_resumes_to_total_steps(tmp_path, capsys):
    """`relicboost sample`: chain file, corner plot, result.json; --resume extends to the TOTAL --nsteps."""
    import h5py

    out = tmp_path / "s"
    base = ["sample", "--outdir", str(out), "--nwalkers", "8", "--seed", "3", "--quiet", "--json"]
    assert main(base + ["--nsteps", "20"]) == 0
    capsys.readouterr()
    with h5py.File(out / "chain.h5", "r") as f:
        assert f["mcmc"]["chain"].shape[:2] == (20, 8)
    assert main(base + ["--nsteps", "20"]) == 2  # exists: needs --resume or --force
    assert "resume" in capsys.readouterr().err
    assert main(base + ["--nsteps", "30", "--resume"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["nsteps"] == 30 and info["seed"] == 3
    for name in ("corner.png", "corner.pdf", "result.json", "config.yaml"):
        assert (out / name).is_file(), name
