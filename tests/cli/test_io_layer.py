"""The file layer (relicboost.io) and the global-state rules of issue 9 item 5.

Each test fails on the code before the io layer: ``os.chdir`` in the HEPData writer,
tarballs with member times, provenance from a host repository, references lost after
``reset_used_references()``, an unbounded model cache, figure modules calling
``matplotlib.use`` at import, ``reproduce`` setting SOURCE_DATE_EPOCH.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import relicboost
from relicboost.io import (
    RunDirectory,
    RunDirectoryError,
    atomic_savefig,
    git_revision,
    provenance,
    read_table_csv,
    staged_run,
    table_csv,
    verify_run,
)
from relicboost.io.provenance import is_relicboost_checkout

PACKAGE = Path(relicboost.__file__).resolve().parent


def test_figures_are_byte_identical_between_saves_and_mode_0644(tmp_path):
    digests = []
    for name in ("a", "b"):
        fig = Figure()
        fig.subplots().plot([1, 2], [3, 4])
        for ext in ("pdf", "png"):
            atomic_savefig(fig, tmp_path / f"{name}.{ext}")
        digests.append([(tmp_path / f"{name}.{ext}").read_bytes() for ext in ("pdf", "png")])
    assert digests[0] == digests[1]
    assert b"CreationDate" not in digests[0][0]
    assert all((p.stat().st_mode & 0o777) == 0o644 for p in tmp_path.iterdir())


def test_not_excluded_rows_are_written_with_status_and_read_back_with_attrs(tmp_path):
    frame = pd.DataFrame({"limit": ["observed"], "lam_upper_90CL_MeV-3": [np.inf], "status": ["not excluded"]})
    text = table_csv(frame, {"CL": 0.9, "m_nu_eV": 0.05})
    (tmp_path / "t.csv").write_text(text)
    back = read_table_csv(tmp_path / "t.csv")
    assert np.isnan(back["lam_upper_90CL_MeV-3"][0]) and back["status"][0] == "not excluded"
    assert back.attrs["CL"] == pytest.approx(0.9) and back.attrs["m_nu_eV"] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="status"):
        table_csv(frame.drop(columns="status"), {"CL": 0.9})


def test_git_hash_only_from_relicboosts_own_repository(tmp_path):
    """A package folder inside another project's repository records no git hash."""
    host = tmp_path / "host"
    pkg = host / "venv" / "site-packages" / "relicboost"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    subprocess.run(["git", "init", "-q", str(host)], check=True)
    subprocess.run(["git", "-C", str(host), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
                    "--allow-empty", "-m", "host"], check=True)
    assert git_revision(pkg) is None
    assert not is_relicboost_checkout(host, pkg)
    rec = provenance(argv=["x"], seed=3)
    assert rec["version"] and rec["seed"] == 3 and rec["command_line"] == ["x"]


def test_staged_run_replaces_contents_as_a_whole_and_verify_detects_mixing(tmp_path):
    d = tmp_path / "run"
    with staged_run(d) as run:
        run.write_text("a.txt", "first")
        run.write_result({"n": 1})
    verify_run(d)
    with pytest.raises(RuntimeError), staged_run(d) as run:  # a failing second run leaves the first intact
        run.write_text("b.txt", "second")
        raise RuntimeError("killed")
    assert sorted(p.name for p in d.iterdir()) == ["a.txt", "result.json"]
    verify_run(d)
    with staged_run(d) as run:
        run.write_text("b.txt", "second")
        run.write_result({"n": 2})
    assert sorted(p.name for p in d.iterdir()) == ["b.txt", "result.json"]
    (d / "a.txt").write_text("stale file of another run")
    with pytest.raises(RunDirectoryError, match="not listed"):
        verify_run(d)
    (d / "a.txt").unlink()
    (d / "b.txt").write_text("changed")
    with pytest.raises(RunDirectoryError, match="changed"):
        verify_run(d)


def test_hepdata_without_chdir_and_tarball_byte_identical(tmp_path, monkeypatch):
    pytest.importorskip("hepdata_lib")
    pytest.importorskip("hepdata_validator")
    from relicboost.inference.contours import limit_contour
    from relicboost.inference.export import (
        HEPDATA_ARCHIVE,
        contour_hepdata_tables,
        write_hepdata,
    )

    def no_chdir(path):
        raise AssertionError("os.chdir called")

    monkeypatch.setattr(os, "chdir", no_chdir)
    cont = limit_contour(1.3e-11, np.geomspace(0.02, 10.0, 5), cl=0.9)
    blobs = []
    for name in ("a", "b"):
        write_hepdata(RunDirectory(tmp_path / name), contour_hepdata_tables(cont), comment="c")
        blobs.append((tmp_path / name / HEPDATA_ARCHIVE).read_bytes())
    assert blobs[0] == blobs[1]
    tables = contour_hepdata_tables(cont)
    assert tables[0].keywords["observables"] and tables[0].qualifiers["CL"] == pytest.approx(0.9)


def test_references_survive_reset_with_cached_loaders():
    from relicboost.data import (
        collect_references,
        reset_used_references,
        used_references,
    )
    from relicboost.physics.targets import natural_lead

    natural_lead()
    reset_used_references()
    with collect_references() as keys:
        natural_lead()  # cached: the table is not read again
    assert keys and set(keys) <= set(used_references())


def test_model_cache_is_bounded():
    from types import SimpleNamespace

    from relicboost.inference import problem as pr

    model_of = pr.Problem.model.fget
    pr._MODEL_CACHE.clear()
    for i in range(pr._MODEL_CACHE_SIZE + 5):
        model_of(SimpleNamespace(_factory_key=f"k{i}", factory=object))
    assert len(pr._MODEL_CACHE) == pr._MODEL_CACHE_SIZE
    pr._MODEL_CACHE.clear()


def test_no_matplotlib_use_chdir_or_environ_writes_in_the_package():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                owner = getattr(node.func.value, "id", getattr(node.func.value, "attr", ""))
                if (name, owner) in (("use", "matplotlib"), ("chdir", "os"), ("setdefault", "environ")):
                    offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and \
                    getattr(node.value, "attr", "") == "environ":
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_importing_figure_modules_leaves_backend_alone():
    code = ("import matplotlib; b = matplotlib.get_backend.__module__; "
            "import relicboost.results.fig4_5, relicboost.results.fig6, relicboost.cli; "
            "import sys; sys.exit(0 if 'matplotlib.pyplot' not in sys.modules else 3)")
    env = dict(os.environ, MPLBACKEND="")
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=120, check=False).returncode == 0


def test_prediction_frame_carries_lam_and_options():
    frame = relicboost.Model().predict(lam=1e-10).to_frame()
    assert frame.attrs["lam_MeV-3"] == 1e-10
    assert frame.attrs["convention"] == "paper" and "sharing" in frame.attrs["options"]
