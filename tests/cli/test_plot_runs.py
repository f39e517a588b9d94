"""`relicboost plot RUN` for every kind of run, and the labels of run figures (issue 13, open items).

A sample run's corner and trace plots are redrawn from its chain and summary, byte for byte; the run
directory keeps its contract (every file listed in result.json with its SHA-256, checked by
verify_run) after a redraw; a run whose inputs changed is refused; every run figure states its
convention and, where it shows a limit, method, test statistic and C.L. in its file metadata.
"""
from __future__ import annotations

import json

import pytest

from relicboost.cli import main
from relicboost.io import verify_run
from relicboost.io.figure_labels import read_figure_label

FIGURES = ("corner.png", "corner.pdf", "trace.png", "trace.pdf")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("plot") / "sample"
    assert main(["sample", "--outdir", str(out), "--nwalkers", "8", "--nsteps", "40", "--seed", "5", "--quiet",
                 "--json"]) == 0
    return out


def _limit_label_ok(label: str | None, what: str) -> None:
    assert label is not None, f"{what}: no label in the file metadata"
    for key in ("convention: ", "method: ", "statistic: ", "C.L.: "):
        assert key in label, f"{what}: no {key!r} in {label!r}"


def test_plot_redraws_a_sample_run_identically_and_keeps_the_file_list(sample_run, capsys):
    before = {n: (sample_run / n).read_bytes() for n in FIGURES}
    (sample_run / "trace.png").unlink()
    (sample_run / "corner.pdf").unlink()
    capsys.readouterr()
    assert main(["plot", str(sample_run)]) == 0
    assert "trace.png" in capsys.readouterr().out
    for name in FIGURES:
        assert (sample_run / name).read_bytes() == before[name], name
    doc = verify_run(sample_run)  # every file listed with its SHA-256, nothing else in the directory
    assert doc["redrawn"]["by"] == "relicboost plot" and set(doc["redrawn"]["files"]) == set(FIGURES)
    for name in FIGURES:
        label = read_figure_label(sample_run / name)
        _limit_label_ok(label, name)
        assert "convention: paper" in label and "emcee" in label and "credible" in label
        assert "log10_lam ~ Uniform(-14, -6)" in label, label  # the prior is stated


def test_plot_refuses_a_run_whose_inputs_changed(sample_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "edited"
    shutil.copytree(sample_run, copy)
    with open(copy / "summary.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in copy.iterdir())
    capsys.readouterr()
    assert main(["plot", str(copy)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "summary.csv" in err and "Traceback" not in err
    assert sorted((p.name, p.stat().st_mtime_ns) for p in copy.iterdir()) == before
    (copy / "result.json").unlink()  # an incomplete run: refused as well
    assert main(["plot", str(copy)]) == 2
    assert "result.json" in capsys.readouterr().err


def test_limit_and_scan_run_figures_state_method_statistic_and_cl(tmp_path, capsys):
    lim, scan = tmp_path / "limit", tmp_path / "scan"
    assert main(["limit", "--n-scan", "9", "--outdir", str(lim), "--quiet"]) == 0
    assert main(["scan", "--n-scan", "5", "--outdir", str(scan), "--quiet"]) == 0
    for run, stem in ((lim, "limit"), (scan, "scan")):
        for ext in ("png", "pdf"):
            label = read_figure_label(run / f"{stem}.{ext}")
            _limit_label_ok(label, f"{stem}.{ext}")
            assert "convention: paper" in label and "C.L.: 90%" in label
    assert "method: published" in read_figure_label(lim / "limit.png")
    before = (lim / "limit.pdf").read_bytes()
    assert main(["plot", str(lim)]) == 0
    assert (lim / "limit.pdf").read_bytes() == before
    assert json.loads((lim / "result.json").read_text())["redrawn"]["files"] == ["limit.png", "limit.pdf"]
    verify_run(lim)
    capsys.readouterr()


def test_sample_with_dynesty_writes_the_evidence_and_plot_redraws_it(tmp_path, capsys, monkeypatch):
    pytest.importorskip("dynesty")
    import sys

    out = tmp_path / "nested"
    args = ["sample", "--sampler", "dynesty", "--nlive", "60", "--seed", "4", "--outdir", str(out), "--quiet", "--json"]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    info = json.loads((out / "result.json").read_text())["result"]
    assert printed["log_evidence"] == info["log_evidence"]
    assert info["sampler"].startswith("dynesty") and info["log_evidence_err"] > 0 and info["lam_upper"] > 0
    assert info["log_evidence_lam0_err"] == 0.0  # no nuisance: Z(lam = 0) is the likelihood there
    assert info["log_bayes_factor"] == pytest.approx(info["log_evidence"] - info["log_evidence_lam0"])
    doc = verify_run(out)
    assert {"posterior.nc", "summary.csv", "corner.png", "corner.pdf", "config.yaml"} == set(doc["files"])
    label = read_figure_label(out / "corner.pdf")
    _limit_label_ok(label, "corner.pdf")
    assert "dynesty" in label and f"ln Z = {info['log_evidence']:.6g}" in label
    before = (out / "corner.png").read_bytes()
    assert main(["plot", str(out)]) == 0
    assert (out / "corner.png").read_bytes() == before
    verify_run(out)
    capsys.readouterr()
    for bad, msg in ((["--resume"], "--resume"), (["--pool", "multiprocessing"], "serially"), (["--nlive", "2"], "nlive")):
        assert main([*args[:-1], "--force", *bad]) == 2, bad
        assert msg in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "dynesty", None)  # not installed: one line naming the extra
    assert main([*args[:-1], "--force"]) == 2
    err = capsys.readouterr().err
    assert "relicboost[nested]" in err and len(err.strip().splitlines()) == 1
    verify_run(out)  # every refusal came before a file was touched
