"""Figure labels (relicboost.io.figure_labels): one footnote, the same text in the PNG and PDF metadata."""
from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from relicboost.io import atomic_savefig
from relicboost.io.figure_labels import LABEL_GID, figure_label, label_figure, label_of, read_figure_label


def _figure() -> Figure:
    fig = Figure(figsize=(4.0, 3.0))
    fig.subplots().plot([1.0, 2.0], [3.0, 4.0])
    return fig


def test_label_round_trips_through_png_and_pdf_metadata(tmp_path):
    label = figure_label("paper", method="CLs (pyhf-like)", statistic="q~_mu, CLs = p_sb / (1 - p_b) <= 0.1",
                         cl=0.95, note=r"prior: Uniform(-14, -6) \ (escaped)")
    assert label.startswith("convention: paper; method: CLs") and "C.L.: 95%" in label
    fig = _figure()
    label_figure(fig, "convention: old")
    label_figure(fig, label)  # replaces the earlier footnote
    assert [a.get_text() for a in fig.artists if a.get_gid() == LABEL_GID] == [label] == [label_of(fig)]
    for ext in ("png", "pdf"):
        assert read_figure_label(atomic_savefig(fig, tmp_path / f"f.{ext}")) == label


def test_unlabelled_figure_has_no_label(tmp_path):
    fig = _figure()
    assert label_of(fig) is None
    for ext in ("png", "pdf"):
        assert read_figure_label(atomic_savefig(fig, tmp_path / f"f.{ext}")) is None
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        read_figure_label(tmp_path / "f.svg")


def test_footnote_enlarges_the_saved_figure_below_the_axes(tmp_path):
    from PIL import Image

    plain, labelled = _figure(), _figure()
    label_figure(labelled, figure_label("paper", note="a footnote " * 12))
    sizes = [Image.open(atomic_savefig(f, tmp_path / f"{i}.png")).size for i, f in enumerate((plain, labelled))]
    assert sizes[1][1] > sizes[0][1] + 15  # two wrapped lines below the x axis, not drawn over it


@pytest.mark.parametrize("kwargs, match", [
    ({"cl": 0.9}, "method, statistic and cl together"),
    ({"method": "CLs", "cl": 0.9}, "method, statistic and cl together"),
    ({"method": "CLs", "statistic": "q", "cl": 1.5}, r"cl must be in \(0, 1\)"),
    ({"note": "λ = 1e-10"}, "ASCII"),
])
def test_bad_labels_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        figure_label("paper", **kwargs)
