"""Provenance status of the shipped tables (relicboost.data.provenance)."""
from __future__ import annotations

import pytest

from relicboost import data
from relicboost.data import provenance


def test_every_table_states_its_origin():
    for name in data.list_tables():
        assert data.load_table(name).attrs.get("origin"), f"{name}: header lacks 'origin'"


def test_to_confirm_entries_follow_header_and_rows():
    entries = {e["table"]: e for e in provenance.to_confirm_entries()}
    # resolved in issue 12 item 6: Pb isotopes (verified), B16 fluxes except 17F (5.29 vs 5.28e6)
    assert "lead_isotopes" not in entries
    assert entries["solar_fluxes"]["rows"] == "17F"
    assert entries["borexino_binned_limits"]["origin"].startswith("figure")
    assert entries["borexino_binned_limits"]["rows"] == "all"
    assert "sk4_binned_limits" not in entries           # verified (two digitisations agree)


def test_report_is_bibtex_comments_and_does_not_record_references():
    data.reset_used_references()
    text = provenance.to_confirm_report()
    assert data.used_references() == []
    lines = text.splitlines()
    assert lines and all(line.startswith("%") for line in lines)
    assert any("borexino_binned_limits" in line and "figure" in line for line in lines)
    assert provenance.to_confirm_report(["lead_isotopes", "sk4_binned_limits"]) == ""


def test_unknown_table_is_a_value_error():
    with pytest.raises(ValueError, match="no such table"):
        provenance.to_confirm_entries(["nope"])


def test_resolved_values():
    """Values confirmed by two independent transcriptions (see the table headers)."""
    pb = data.load_table("lead_isotopes")
    assert pb.attrs["status"] == "verified" and set(pb["status"]) == {"verified"}
    assert pb["abundance"].sum() == pytest.approx(1.0, abs=1e-9)
    assert pb.set_index("A").loc[208, "mass_amu"] == 207.9766525      # AME / IUPAC
    sol = data.load_table("solar_fluxes").set_index("source")
    assert sol.loc["8B", "flux_cm-2_s-1"] == 5.46e6 and sol.loc["8B", "status"] == "verified"  # B16-GS98
    sk = data.load_table("sk4_integrated_limit")
    assert "SK-I-IV" in sk.attrs["title"]


def test_filter_by_used_references():
    """What 'relicboost bib' prints for a run that used only the SK tables."""
    tables = [e["table"] for e in provenance.to_confirm_entries(bibkeys=["Abe2021SKDSNB"])]
    # the SK-IV limit and the detector tables (which cite the same SK publication) only
    assert "sk4_integrated_limit" in tables
    assert "borexino_binned_limits" not in tables and "resnova_phases" not in tables
    assert provenance.to_confirm_report(bibkeys=[]) == ""
