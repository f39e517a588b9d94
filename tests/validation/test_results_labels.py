"""Issue 13: every shipped limit, exclusion and forecast table states its method, test statistic and C.L.

Scans the committed ``results/`` folder (written by ``relicboost reproduce``) and the HEPData tables
in it; a table added to ``reproduce`` without these labels makes this test fail.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results"
#: Tables that quote a limit, an exclusion or a forecast.
LABELLED = re.compile(r"(limit|exclusion|forecast|contour|paper_numbers|fig3|sk_window_fluxes)")
TABLES = sorted(p for p in RESULTS.glob("*.csv") if LABELLED.search(p.name))


def test_results_folder_has_the_limit_tables():
    names = {p.name for p in TABLES}
    assert {"skiv_limits.csv", "skiv_contours.csv", "resnova_expected_limits.csv", "detector_forecasts.csv",
            "mediator_exclusion.csv", "paper_numbers.csv"} <= names


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.name)
def test_table_states_method_statistic_and_cl(path):
    text = path.read_text(encoding="utf-8")
    head = "\n".join(line for line in text.splitlines() if line.startswith("#")) + "\n" + \
        next(line for line in text.splitlines() if not line.startswith("#"))
    low = head.lower()
    assert "method" in low, f"{path.name}: no method"
    assert "statistic" in low, f"{path.name}: no test statistic"
    if "forecast" not in path.name or "expected" in low or "exclusion" in low:
        assert re.search(r"\bcl\b|c\.l\.|_cl\b|\d+cl", low), f"{path.name}: no confidence level"


def test_hepdata_tables_state_the_confidence_level():
    tables = sorted((RESULTS / "hepdata").glob("*.yaml"))
    assert tables, "results/hepdata holds no HEPData tables"
    for t in tables:
        if t.name == "submission.yaml":
            continue
        text = t.read_text(encoding="utf-8")
        assert "CL" in text or "C.L." in text, t.name
