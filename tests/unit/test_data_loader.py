"""Loader of provenance-headed CSV tables: schema validation, metadata, BibTeX registry."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from relicboost import data
from relicboost.data import references

GOOD_HEADER = """# title: test table
# source: A. Author, J. Phys. 1 (2000) 1, arXiv:0000.00000, Table 1
# bibkey: Abe2021SKDSNB
# status: verified
# cl: 0.90
# required_columns: E_low_MeV, E_high_MeV, limit_cm-2_s-1_MeV-1
# nonnegative: limit_cm-2_s-1_MeV-1
# bins: E_low_MeV, E_high_MeV
"""
GOOD_ROWS = """E_low_MeV,E_high_MeV,limit_cm-2_s-1_MeV-1
1.0,2.0,5.0
2.0,3.0,4.0
3.0,4.0,3.0
"""


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_table_values_and_attrs(tmp_path):
    df = data.read_table(write(tmp_path, GOOD_HEADER + GOOD_ROWS))
    assert list(df.columns) == ["E_low_MeV", "E_high_MeV", "limit_cm-2_s-1_MeV-1"]
    np.testing.assert_array_equal(df["limit_cm-2_s-1_MeV-1"], [5.0, 4.0, 3.0])
    assert df.attrs["cl"] == 0.90
    assert df.attrs["bibkeys"] == ["Abe2021SKDSNB"]
    assert df.attrs["status"] == "verified"
    assert df.attrs["source"].startswith("A. Author")


def test_continuation_lines_are_joined(tmp_path):
    text = GOOD_HEADER + "# notes: first part\n#   second part\n" + GOOD_ROWS
    df = data.read_table(write(tmp_path, text))
    assert df.attrs["notes"] == "first part second part"


def test_missing_column_names_file(tmp_path):
    rows = GOOD_ROWS.replace("limit_cm-2_s-1_MeV-1", "limit")
    with pytest.raises(ValueError, match=r"bad\.csv.*missing column.*limit_cm-2_s-1_MeV-1"):
        data.read_table(write(tmp_path, GOOD_HEADER + rows, "bad.csv"))


def test_caller_required_column(tmp_path):
    with pytest.raises(ValueError, match=r"missing column.*status"):
        data.read_table(write(tmp_path, GOOD_HEADER + GOOD_ROWS), required_columns=["status"])


def test_negative_limit_names_row(tmp_path):
    rows = GOOD_ROWS.replace("2.0,3.0,4.0", "2.0,3.0,-4.0")
    # data row 2 is on file line 8 (header) + 1 (column names) + 2 = 11
    with pytest.raises(ValueError, match=r"neg\.csv, row 2 \(line 11\).*negative"):
        data.read_table(write(tmp_path, GOOD_HEADER + rows, "neg.csv"))


def test_unsorted_bins_names_row(tmp_path):
    rows = "E_low_MeV,E_high_MeV,limit_cm-2_s-1_MeV-1\n2.0,3.0,1\n1.0,2.0,1\n"
    with pytest.raises(ValueError, match=r"uns\.csv, row 2.*unsorted or overlapping"):
        data.read_table(write(tmp_path, GOOD_HEADER + rows, "uns.csv"))


def test_overlapping_bins(tmp_path):
    rows = "E_low_MeV,E_high_MeV,limit_cm-2_s-1_MeV-1\n1.0,2.5,1\n2.0,3.0,1\n"
    with pytest.raises(ValueError, match=r"row 2.*overlapping"):
        data.read_table(write(tmp_path, GOOD_HEADER + rows))


def test_inverted_bin(tmp_path):
    rows = "E_low_MeV,E_high_MeV,limit_cm-2_s-1_MeV-1\n1.0,2.0,1\n3.0,2.5,1\n"
    with pytest.raises(ValueError, match=r"row 2.*inverted"):
        data.read_table(write(tmp_path, GOOD_HEADER + rows))


def test_nan_value_names_row(tmp_path):
    rows = GOOD_ROWS.replace("3.0,4.0,3.0", "3.0,4.0,nan")
    with pytest.raises(ValueError, match=r"row 3.*not a finite"):
        data.read_table(write(tmp_path, GOOD_HEADER + rows))


def test_missing_header_key(tmp_path):
    header = GOOD_HEADER.replace("# status: verified\n", "")
    with pytest.raises(ValueError, match=r"lacks required key.*status"):
        data.read_table(write(tmp_path, header + GOOD_ROWS))


def test_bad_status_and_unknown_bibkey(tmp_path):
    with pytest.raises(ValueError, match="status"):
        data.read_table(write(tmp_path, GOOD_HEADER.replace("verified", "maybe") + GOOD_ROWS))
    with pytest.raises(ValueError, match="NoSuchKey"):
        data.read_table(write(tmp_path, GOOD_HEADER.replace("Abe2021SKDSNB", "NoSuchKey") + GOOD_ROWS))


def test_increasing_column(tmp_path):
    header = GOOD_HEADER + "# increasing: E_low_MeV\n"
    rows = "E_low_MeV,E_high_MeV,limit_cm-2_s-1_MeV-1\n1.0,2.0,1\n1.0,2.0,1\n"
    with pytest.raises(ValueError, match="not strictly increasing"):
        data.read_table(write(tmp_path, header.replace("# bins: E_low_MeV, E_high_MeV\n", "") + rows))


def test_unknown_table_name():
    with pytest.raises(ValueError, match="no such table"):
        data.load_table("does_not_exist")


# Published numbers typed into the package (sources in the file headers; docs/reference-values.md).
def test_sk4_binned_table_matches_publication():
    df = data.load_table("sk4_binned_limits")
    # Abe et al. (SK), PRD 104 (2021) 122002, Fig. 25: 2-MeV bins 9.3-31.3 MeV.
    np.testing.assert_allclose(df["E_low_MeV"], 9.3 + 2.0 * np.arange(11))
    np.testing.assert_allclose(df["E_high_MeV"], 11.3 + 2.0 * np.arange(11))
    np.testing.assert_allclose(df["limit_cm-2_s-1_MeV-1"],
                               [37.1, 20.4, 9.34, 3.29, 0.508, 0.684, 0.127, 0.375, 0.0777, 0.242, 0.0709])
    assert df.attrs["cl"] == 0.90 and df.attrs["status"] == "verified"


def test_sk4_integrated_and_skgd_tables():
    sk = data.load_table("sk4_integrated_limit")
    assert sk["E_min_MeV"].iloc[0] == 17.3 and sk["limit_cm-2_s-1"].iloc[0] == 2.7
    assert sk.attrs["status"] == "to-confirm"
    gd = data.load_table("skgd_projected_sensitivity")
    assert gd.attrs["kind"] == "forecast" and gd["sensitivity_cm-2_s-1"].iloc[0] == 1.0


def test_borexino_table_edges():
    df = data.load_table("borexino_binned_limits")
    assert len(df) == 15
    assert df["E_low_MeV"].iloc[0] == 1.8 and df["E_high_MeV"].iloc[-1] == 16.8
    np.testing.assert_allclose(np.diff(df["E_low_MeV"]), 1.0)


def test_resnova_masses_consistent_with_volumes():
    """Pattavina et al. 2020: (60 cm)^3, (140 cm)^3, 15 x (140 cm)^3 of lead, rho_Pb = 11.34 g/cm^3."""
    df = data.load_table("resnova_phases")
    volume_cm3 = df["n_cubes"] * df["cube_side_cm"] ** 3
    np.testing.assert_allclose(df["lead_mass_t"], volume_cm3 * 11.34e-6, rtol=0.03)
    assert (df["threshold_keV"] == 1.0).all()


def test_every_shipped_table_loads_with_known_bibkeys():
    names = data.list_tables()
    assert {"sk4_binned_limits", "sk4_integrated_limit", "skgd_projected_sensitivity",
            "borexino_binned_limits", "resnova_phases"} <= set(names)
    for n in names:
        df = data.load_table(n)
        assert df.attrs["bibkeys"], n
        assert "@" in data.bibtex_for(df.attrs["bibkeys"])


def test_used_references_registry_and_bibtex():
    data.reset_used_references()
    assert data.used_references() == []
    data.load_table("borexino_binned_limits")
    data.load_table("sk4_binned_limits")
    data.load_table("borexino_binned_limits")
    assert data.used_references() == ["Agostini2021Borexino", "Abe2021SKDSNB"]
    bib = data.used_bibtex()
    assert bib.count("@article") == 2
    assert "1909.02422" in bib and "2109.11174" in bib
    with pytest.raises(ValueError, match="NoSuchKey"):
        data.bibtex_for(["NoSuchKey"])
    with pytest.raises(ValueError):
        data.register_reference("NoSuchKey")


def test_bib_parser_handles_nested_braces(tmp_path, monkeypatch):
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{K1,\n title = {A {Nested} title},\n year={2000}\n}\n\n@misc{K2, note={x}}\n")
    monkeypatch.setattr(references, "BIB_FILE", bib)
    text = references.bibtex_for(["K2", "K1"])
    assert text.index("@misc{K2") < text.index("@article{K1")
    assert "A {Nested} title" in text and text.count("}\n") >= 1
