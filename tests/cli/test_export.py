"""Run-directory export: files, units/CL in tables, atomic writes, HEPData validity, Fig. 1 files."""
from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from relicboost.inference.contours import lam_isocontours, limit_contour
from relicboost.inference.export import (
    HEPDataTable,
    contour_hepdata_tables,
    validate_hepdata,
    write_hepdata,
)
from relicboost.io import RunDirectory, atomic_path, split_unit, table_csv

M_NU_MEV = 0.05e-6  # 0.05 eV


def g_by_hand(lam: float, M: float) -> float:
    """Solve lam = g^4 m_nu / (8 pi M^4) (arXiv:2204.11885 Eq. II.5) for g."""
    return M * (8.0 * math.pi * lam / M_NU_MEV) ** 0.25


def lam_limits_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "likelihood": ["skiv", "skiv"],
            "T_nuebar_MeV": [7.0, 6.0],
            "T_nux_MeV": [10.0, 7.0],
            "lam_upper_MeV-3": [1.3e-11, 4.2e-10],
        }
    )


def no_temp_files(path: Path) -> bool:
    return not [p for p in path.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]


def test_run_directory_files_units_and_provenance(tmp_path):
    run = RunDirectory(tmp_path / "run")
    config = {"likelihood": "skiv", "cl": 0.9, "T_nue": 6.6, "M_MeV": np.array([1.0, 10.0])}
    run.write_config(config)
    run.write_table("limits.csv", lam_limits_frame(), {"CL": 0.9})
    M = np.logspace(-3.1, 2, 11)  # keeps off the validity boundary M = 0.01 MeV
    run.write_table("contours.csv", limit_contour(1.3e-11, M, cl=0.9))
    fig = Figure()
    fig.subplots().plot([1, 2], [3, 4])
    run.save_figure(fig, "limit")
    run.write_result({"lam_upper_MeV-3": 1.3e-11, "bad": float("nan")}, seed=1234,
                     convergence={"tau": np.array([30.0, 31.0]), "converged": np.bool_(True)},
                     argv=["relicboost", "limit", "--json"])

    d = tmp_path / "run"
    for name in ["config.yaml", "limits.csv", "contours.csv", "limit.png", "limit.pdf", "result.json"]:
        assert (d / name).is_file(), name
    assert (d / "limit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (d / "limit.pdf").read_bytes()[:5] == b"%PDF-"
    assert no_temp_files(d)

    assert yaml.safe_load((d / "config.yaml").read_text()) == {**config, "M_MeV": [1.0, 10.0]}

    text = (d / "contours.csv").read_text()
    assert "# CL: 0.90\n" in text and "# m_nu_eV: 0.05\n" in text
    back = pd.read_csv(d / "contours.csv", comment="#")
    assert {"M_MeV", "lam_upper_MeV-3", "g_upper", "heavy_limit_valid"} <= set(back.columns)
    np.testing.assert_allclose(back["g_upper"], [g_by_hand(1.3e-11, m) for m in back["M_MeV"]], rtol=1e-14)
    np.testing.assert_array_equal(back["heavy_limit_valid"], back["M_MeV"] > 0.01 * (1 + 1e-9))

    limits = pd.read_csv(d / "limits.csv", comment="#")
    assert list(limits["lam_upper_MeV-3"]) == [1.3e-11, 4.2e-10]
    assert "# CL: 0.90\n" in (d / "limits.csv").read_text()

    res = json.loads((d / "result.json").read_text())
    import relicboost

    assert res["version"] == getattr(relicboost, "__version__", res["version"]) and res["version"]
    assert res["git"] is None or re.fullmatch(r"[0-9a-f]{40}", res["git"]["hash"])
    assert res["command_line"] == ["relicboost", "limit", "--json"]
    assert res["seed"] == 1234
    assert res["convergence"] == {"tau": [30.0, 31.0], "converged": True}
    assert res["result"] == {"lam_upper_MeV-3": 1.3e-11, "bad": None}
    assert res["non_finite"] == ["$.result.bad"]
    assert set(res["files"]) == {"config.yaml", "limits.csv", "contours.csv", "limit.png", "limit.pdf"}


def test_limit_table_without_cl_is_refused_and_nan_is_refused(tmp_path):
    run = RunDirectory(tmp_path)
    with pytest.raises(ValueError, match="confidence level"):
        run.write_table("limits.csv", lam_limits_frame())
    with pytest.raises(ValueError, match="CL"):
        run.write_table("limits.csv", lam_limits_frame(), {"CL": 90})
    bad = lam_limits_frame()
    bad.loc[0, "lam_upper_MeV-3"] = np.nan
    with pytest.raises(ValueError, match="lam_upper_MeV-3"):
        table_csv(bad, {"CL": 0.9})
    assert not (tmp_path / "limits.csv").exists()


def test_failed_writes_leave_old_file_and_no_temp(tmp_path, monkeypatch):
    run = RunDirectory(tmp_path)
    target = run.write_table("limits.csv", lam_limits_frame(), {"CL": 0.9})
    before = target.read_bytes()
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == before
    fig = Figure()

    def boom(*args, **kwargs):
        Path(args[0]).write_text("half a png")
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", boom)
    with pytest.raises(OSError):
        run.save_figure(fig, "fig")
    assert not (tmp_path / "fig.png").exists()
    assert no_temp_files(tmp_path)
    with pytest.raises(ValueError, match="name"):
        run.write_table("../escape.csv", lam_limits_frame(), {"CL": 0.9})


@pytest.mark.parametrize(
    "col, expected",
    [
        ("lam_upper_MeV-3", ("lam_upper", "MeV^-3")),
        ("flux_cm-2_s-1_MeV-1", ("flux", "cm^-2 s^-1 MeV^-1")),
        ("M_MeV", ("M", "MeV")),
        ("g_upper", ("g_upper", "")),
        ("heavy_limit_valid", ("heavy_limit_valid", "")),
    ],
)
def test_split_unit(col, expected):
    assert split_unit(col) == expected


def test_hepdata_folder_passes_validator(tmp_path, monkeypatch):
    pytest.importorskip("hepdata_lib")
    fsv = pytest.importorskip("hepdata_validator.full_submission_validator")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    M = np.logspace(-3, 2, 6)
    tables = contour_hepdata_tables(limit_contour({"observed": 1.3e-11}, M, cl=0.9))
    tables += contour_hepdata_tables(lam_isocontours(M), location="Fig. 1")
    tables.append(HEPDataTable(
        name="lam upper limits", description="90% CL upper limits on G_X^2 m_nu",
        frame=lam_limits_frame(), independent=["likelihood", "T_nuebar_MeV", "T_nux_MeV"],
        qualifiers={"CL": 0.9}, keywords={"observables": ["SIG"]},
    ))
    run = RunDirectory(tmp_path / "run")
    folder = write_hepdata(run, tables, comment="relicboost test submission")

    validator = fsv.FullSubmissionValidator()
    assert validator.validate(directory=str(folder)), validator.get_messages()
    assert (tmp_path / "run" / "hepdata-submission.tar.gz").is_file()
    assert list(cwd.iterdir()) == []  # hepdata_lib's tarball did not land in the working dir
    assert no_temp_files(tmp_path / "run")

    data = yaml.safe_load((folder / "scalar_observed_upper_limit.yaml").read_text())
    (m_var,) = data["independent_variables"]
    assert m_var["header"] == {"name": "M", "units": "MeV"}
    g_var = data["dependent_variables"][0]
    quals = {q["name"]: q["value"] for q in g_var["qualifiers"]}
    assert quals["CL"] == 0.9 and quals["m_nu"] == 0.05 and quals["mediator"] == "scalar"
    got = [v["value"] for v in g_var["values"]]
    want = [g_by_hand(1.3e-11, v["value"]) for v in m_var["values"]]
    np.testing.assert_allclose(got, want, rtol=1e-7)
    subs = list(yaml.safe_load_all((folder / "submission.yaml").read_text()))
    assert len(subs) == 1 + len(tables)

    # the validator can fail: break a data file and expect a refusal
    (folder / "scalar_observed_upper_limit.yaml").write_text("independent_variables: 3\n")
    with pytest.raises(ValueError, match="not valid"):
        validate_hepdata(folder)


def test_hepdata_missing_extra_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "hepdata_lib", None)
    with pytest.raises(ImportError, match="relicboost\\[hepdata\\]"):
        write_hepdata(RunDirectory(tmp_path), [], comment="x")


def test_make_fig1_writes_png_pdf_csv(tmp_path):
    from relicboost.results.fig1 import make_fig1

    files = make_fig1(tmp_path / "fig", n_mass=20)
    assert sorted(p.name for p in files) == ["fig1.csv", "fig1.pdf", "fig1.png"]
    assert all(p.stat().st_size > 0 for p in files)
    assert no_temp_files(tmp_path / "fig")
    t = pd.read_csv(tmp_path / "fig" / "fig1.csv", comment="#")
    assert len(t) == 2 * 4 * 20
    assert sorted(t["lam_MeV-3"].unique()) == [1e-12, 1e-11, 1e-10, 1e-9]  # paper Fig. 1 values
    np.testing.assert_allclose(t["g"], [g_by_hand(lam, m) for lam, m in zip(t["lam_MeV-3"], t["M_MeV"])],
                               rtol=1e-14)
    np.testing.assert_array_equal(t["heavy_limit_valid"], t["M_MeV"] > 0.01 * (1 + 1e-9))


def test_hepdata_table_names_with_path_separators_are_sanitised(tmp_path):
    """Limit labels such as 'T7/10' must not become sub-directories of the submission."""
    pytest.importorskip("hepdata_lib")
    pytest.importorskip("hepdata_validator")
    import numpy as np

    from relicboost.inference.contours import limit_contour
    from relicboost.inference.export import contour_hepdata_tables, write_hepdata
    from relicboost.io import RunDirectory

    frame = limit_contour({"SK-IV T7/10": 1.3e-11}, np.geomspace(0.1, 10, 5), cl=0.9)
    tables = contour_hepdata_tables(frame)
    assert all("/" not in t.name for t in tables)
    out = write_hepdata(RunDirectory(tmp_path), tables, comment="test")
    assert len(list(out.glob("*.yaml"))) == len(tables) + 1  # + submission.yaml


def test_hepdata_into_a_relative_run_directory(tmp_path, monkeypatch):
    """``relicboost reproduce`` writes into the relative path ``results``: the hepdata_lib
    subprocess works in a staging folder, so every path it gets must be absolute."""
    monkeypatch.chdir(tmp_path)
    M = np.logspace(-3, 2, 4)
    tables = contour_hepdata_tables(limit_contour({"observed": 1.3e-11}, M, cl=0.9))
    folder = write_hepdata(RunDirectory("results"), tables, comment="relative run directory")
    assert (tmp_path / "results" / "hepdata" / "submission.yaml").is_file()
    assert folder.resolve() == (tmp_path / "results" / "hepdata").resolve()
