"""Figure labels: convention, method, test statistic and C.L. shown in the figure AND in its file metadata.

A figure is labelled once, with :func:`label_figure`: the label becomes a small footnote
text (``gid="relicboost-label"``) at the bottom of the figure, and
:func:`atomic_savefig <relicboost.io.atomic.atomic_savefig>` copies the text of that
footnote into the file metadata (PNG ``Description`` text chunk, PDF ``Subject`` entry), so
a test can check every figure file without reading pixels.  The visible footnote and the
metadata are the same string by construction.

The label is ``"key: value; key: value"`` in ASCII (PNG text chunks are Latin-1; the PDF
info dictionary then holds a plain literal string):

* ``convention`` — always;
* ``method``, ``statistic`` and ``C.L.`` — on every figure that shows a limit, an exclusion
  or an expected band (``limit=True``).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: gid of the footnote that carries a figure's label.
LABEL_GID = "relicboost-label"
#: Metadata key holding the label, per file format.
METADATA_KEY: dict[str, str] = {"png": "Description", "pdf": "Subject"}
_PDF_SUBJECT = re.compile(rb"/Subject \(((?:[^()\\]|\\.)*)\)")


def figure_label(convention: str, *, method: str | None = None, statistic: str | None = None,
                 cl: float | str | None = None, note: str | None = None) -> str:
    """The label text of a figure.

    Parameters
    ----------
    convention : str
        Propagation convention(s) of the curves (``"paper"``, ``"consistent"``, ...).
    method, statistic : str, optional
        Method of the limit (``"CLs"``, ``"CLs+b"``, ``"published"``, ``"Bayesian"``) and the
        test statistic (or posterior quantity) it uses; required when ``cl`` is given.
    cl : float or str, optional
        Confidence (or credibility) level of the limit, in (0, 1) or as text (``"90%"``).
    note : str, optional
        Anything else the reader must know (prior, likelihood, data set).

    Raises
    ------
    ValueError
        If ``cl`` is given without ``method`` and ``statistic``, a float ``cl`` lies outside
        (0, 1), or the text is not ASCII.
    """
    parts = [f"convention: {convention}"]
    if cl is not None or method is not None or statistic is not None:
        if not (method and statistic and cl is not None):
            raise ValueError("a limit label needs method, statistic and cl together")
        if not isinstance(cl, str) and not 0.0 < float(cl) < 1.0:
            raise ValueError(f"cl must be in (0, 1), got {cl!r}")
        level = cl if isinstance(cl, str) else f"{100 * float(cl):g}%"
        parts += [f"method: {method}", f"statistic: {statistic}", f"C.L.: {level}"]
    if note:
        parts.append(note)
    text = "; ".join(parts)
    if not text.isascii():
        raise ValueError(f"figure labels must be ASCII (file metadata), got {text!r}")
    return text


def label_figure(fig: Figure, label: str, fontsize: float = 6.0) -> None:
    """Write ``label`` as the footnote of ``fig`` (replacing an earlier one); see :func:`figure_label`."""
    from matplotlib.text import Annotation

    for old in _footnotes(fig):
        old.remove()

    def below_axes(renderer):  # display box of every axes with its tick labels, axis labels and titles
        boxes = [b for ax in fig.axes if ax.get_visible() and (b := ax.get_tightbbox(renderer)) is not None]
        return Bbox.union(boxes) if boxes else fig.bbox

    from matplotlib.transforms import Bbox

    fig.add_artist(Annotation(label, xy=(0.0, 0.0), xycoords=below_axes, xytext=(0.0, -4.0),
                              textcoords="offset points", gid=LABEL_GID, fontsize=fontsize, color="0.3",
                              ha="left", va="top", wrap=True, usetex=False, parse_math=False))


def _footnotes(fig: Figure) -> list:
    return [a for a in [*fig.texts, *fig.artists] if a.get_gid() == LABEL_GID]


def label_of(fig: Figure) -> str | None:
    """The label footnote of ``fig`` (None if the figure has none)."""
    texts = [t.get_text() for t in _footnotes(fig)]
    return texts[-1] if texts else None


def label_metadata(fig: Figure, fmt: str) -> dict[str, str]:
    """savefig metadata carrying the label of ``fig`` in format ``fmt`` (empty if unlabelled)."""
    label = label_of(fig)
    key = METADATA_KEY.get(fmt)
    return {key: label} if label is not None and key is not None else {}


def read_figure_label(path) -> str | None:
    """The label stored in a PNG or PDF file written by relicboost (None if absent).

    PNG: the ``Description`` text chunk (read with Pillow).  PDF: the ``Subject`` literal
    string of the (uncompressed) info dictionary that matplotlib writes.
    """
    from pathlib import Path

    path = Path(path)
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as img:
            return img.text.get(METADATA_KEY["png"])  # type: ignore[attr-defined]
    if path.suffix == ".pdf":
        m = _PDF_SUBJECT.search(path.read_bytes())
        if m is None:
            return None
        return re.sub(rb"\\(.)", rb"\1", m.group(1)).decode("latin-1")
    raise ValueError(f"path must be a .png or .pdf file, got {path.name!r}")
