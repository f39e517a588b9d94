"""Issue 13: every shipped limit, exclusion and forecast table and figure states its method, test statistic
and C.L.; every figure states its convention.

Scans the committed ``results/`` folder (written by ``relicboost reproduce``; set ``RELICBOOST_RESULTS`` to
scan another output folder of ``relicboost reproduce --outdir``) and the HEPData tables in it; a table or
figure added to ``reproduce`` without these labels makes this test fail.  Figures are checked through their
file metadata (PNG ``Description``, PDF ``Subject``), which :func:`relicboost.io.figure_labels.label_figure`
fills with the text of the figure's visible label footnote.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from relicboost.io.figure_labels import read_figure_label

RESULTS = Path(os.environ.get("RELICBOOST_RESULTS") or Path(__file__).resolve().parents[2] / "results")
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


FIGURES = sorted([*RESULTS.glob("*.png"), *RESULTS.glob("*.pdf")])
#: Figures that draw a limit, an exclusion or an expected band (published or computed).
LIMIT_FIGURES = {"fig1", "fig2_flux_vs_energy", "fig3_sk_window_vs_lam", "detector_forecasts", "mediator_exclusion",
                 "conventions_sk_window", "conventions_gM"}


def test_results_folder_has_the_limit_figures():
    names = {p.name for p in FIGURES}
    missing = sorted(f"{stem}.{ext}" for stem in LIMIT_FIGURES for ext in ("png", "pdf")
                     if f"{stem}.{ext}" not in names)
    assert not missing, f"limit figures missing from {RESULTS}: {missing}"


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_figure_states_convention_and_for_a_limit_method_statistic_and_cl(path):
    label = read_figure_label(path)
    assert label, f"{path.name}: no label in the file metadata (relicboost.io.figure_labels.label_figure)"
    assert re.search(r"(^|; )convention: \S", label), f"{path.name}: no convention in {label!r}"
    if path.stem in LIMIT_FIGURES or re.search(r"method: |C\.L\.: ", label):
        for key in ("method", "statistic", "C.L."):
            assert re.search(rf"(^|; ){re.escape(key)}: \S", label), f"{path.name}: no {key} in {label!r}"
