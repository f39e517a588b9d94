"""HEPData submissions of relicboost's exclusion contours.

:func:`contour_hepdata_tables` turns a contour frame (:mod:`relicboost.inference.contours`)
into :class:`HEPDataTable` specs; :func:`write_hepdata` builds the submission with
hepdata_lib (optional extra ``hepdata``) in a subprocess whose working directory is a
staging folder (hepdata_lib writes its tarball into the working directory; this
process never changes its own), validates it with hepdata-validator and moves it
into a run directory as ``hepdata/`` plus ``hepdata-submission.tar.gz``.  The
tarball is packed here with fixed member times, owners and order, so identical
inputs give a byte-identical archive.

All generic file handling (atomic writes, tables, provenance, run directories)
lives in :mod:`relicboost.io`.
"""
from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from relicboost.io import RunDirectory, atomic_write_bytes, split_unit, to_builtin

HEPDATA_DIR = "hepdata"
HEPDATA_ARCHIVE = "hepdata-submission.tar.gz"
#: HEPData keywords attached to every contour table.
CONTOUR_KEYWORDS: dict[str, list[str]] = {
    "observables": ["g", "LIMIT"],
    "phrases": ["Neutrino self-interactions", "Cosmic neutrino background", "Diffuse supernova neutrino background",
                "Exclusion limit", "Mediator coupling"],
}
_CREATE_SCRIPT = ("import pickle, sys\n"
                  "sub = pickle.load(open(sys.argv[1], 'rb'))\n"
                  "sub.create_files(outdir=sys.argv[2], validate=False)\n")


@dataclass
class HEPDataTable:
    """One table of a HEPData submission, built from a DataFrame.

    Attributes
    ----------
    name : str
        Table name (<= 64 characters, unique within the submission).
    description : str
        What the table shows (free text).
    frame : pandas.DataFrame
        The numbers; units are read from the column names (:func:`split_unit`).
    independent : sequence of str
        Columns that are independent variables; the others are dependent.
    qualifiers : mapping
        Name -> value (or (value, unit)) attached to every dependent variable,
        e.g. ``{"CL": 0.9, "m_nu": (0.05, "eV"), "mediator": "scalar"}``.
    keywords : mapping
        HEPData keywords, e.g. ``{"observables": ["SIG"]}``.
    location : str
        Where the table appears (e.g. "Fig. 1").
    """

    name: str
    description: str
    frame: pd.DataFrame
    independent: Sequence[str]
    qualifiers: Mapping = field(default_factory=dict)
    keywords: Mapping[str, Sequence[str]] = field(default_factory=dict)
    location: str = "relicboost output"


def contour_hepdata_tables(frame: pd.DataFrame, location: str = "relicboost output") -> list[HEPDataTable]:
    """HEPData tables from a contour frame of :mod:`relicboost.inference.contours`.

    One table per mediator and lam value (``lam_isocontours``) or per mediator
    and limit label (``limit_contour``), with M [MeV] independent and g (and the
    heavy-limit validity flag, 1 = valid) dependent; ``m_nu`` and ``CL`` (if
    any) become qualifiers.
    """
    if "g_upper" in frame.columns:
        keys, g_col, lam_col = ["mediator", "limit"], "g_upper", "lam_upper_MeV-3"
    elif "g" in frame.columns and "lam_MeV-3" in frame.columns:
        keys, g_col, lam_col = ["mediator", "lam_MeV-3"], "g", "lam_MeV-3"
    else:
        raise ValueError("frame must come from lam_isocontours or limit_contour (columns g or g_upper)")
    tables = []
    for key, sub in frame.groupby(keys, sort=False):
        med, tag = key
        lam = float(sub[lam_col].iloc[0])
        quals: dict = {"mediator": med, "lam": (lam, "MeV^-3")}
        if "m_nu_eV" in frame.attrs:
            quals["m_nu"] = (frame.attrs["m_nu_eV"], "eV")
        if "CL" in frame.attrs:
            quals["CL"] = frame.attrs["CL"]
        what = f"{tag} upper limit" if g_col == "g_upper" else f"lam = {lam:g} MeV^-3"
        short = f"{tag} upper limit" if g_col == "g_upper" else f"isocontour lam {lam:.3g}"
        tables.append(
            HEPDataTable(
                # hepdata_lib derives file names from table names: no path separators
                name=re.sub(r"[^A-Za-z0-9 ._()+=-]", "-", f"{med} {short}")[:64],
                description=(
                    f"Coupling g versus mediator mass M for a {med} mediator, {what}, "
                    "heavy-mediator mapping lam = g^4 m_nu / (8 pi M^4) (arXiv:2204.11885 Eq. II.5); "
                    "heavy_limit_valid = 0 marks masses where the mapping does not hold."
                ),
                frame=sub[["M_MeV", g_col, "heavy_limit_valid"]].reset_index(drop=True),
                independent=["M_MeV"],
                qualifiers=quals,
                keywords=CONTOUR_KEYWORDS,
                location=location,
            )
        )
    return tables


def _require_hepdata():
    try:
        import hepdata_lib
        from hepdata_validator.full_submission_validator import FullSubmissionValidator
    except ImportError as err:
        raise ImportError(
            "HEPData export needs the optional extra 'hepdata': pip install 'relicboost[hepdata]' "
            f"(missing: {err.name})"
        ) from err
    return hepdata_lib, FullSubmissionValidator


def _hepdata_value(v):
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, str):
        return v
    return float(v)


def _build_submission(tables: Sequence[HEPDataTable], comment: str, hepdata_lib):
    sub = hepdata_lib.Submission()
    sub.comment = comment
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"HEPData table names must be unique, got {names}")
    for spec in tables:
        missing = [c for c in spec.independent if c not in spec.frame.columns]
        if missing:
            raise ValueError(f"independent columns {missing} not in table {spec.name!r}")
        table = hepdata_lib.Table(spec.name)
        table.description = spec.description
        table.location = spec.location
        for k, v in spec.keywords.items():
            table.keywords[k] = list(v)
        for col in spec.frame.columns:
            name, unit = split_unit(str(col))
            indep = col in spec.independent
            var = hepdata_lib.Variable(
                name, is_independent=indep, is_binned=False, units=unit,
                zero_uncertainties_warning=False,
            )
            var.digits = 8
            var.values = [_hepdata_value(v) for v in spec.frame[col]]
            if not indep:
                for q, qv in spec.qualifiers.items():
                    value, qunit = qv if isinstance(qv, tuple) else (qv, "")
                    var.add_qualifier(q, to_builtin(value), qunit)
            table.add_variable(var)
        sub.add_table(table)
    return sub


def validate_hepdata(directory: str | os.PathLike) -> None:
    """Run hepdata-validator on a submission folder; raise ValueError with its messages."""
    _, validator_cls = _require_hepdata()
    validator = validator_cls()
    if not validator.validate(directory=str(directory)):
        msgs = {
            f: [m.message for m in ms] for f, ms in validator.get_messages().items() if ms
        }
        raise ValueError(f"HEPData submission in {directory} is not valid: {msgs}")


def _deterministic_targz(folder: Path) -> bytes:
    """tar.gz of the YAML files of ``folder`` (flat, sorted, time 0, owner root): reproducible bytes."""
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(folder.glob("*.yaml")):
            info = tarfile.TarInfo(path.name)
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def write_hepdata(run: RunDirectory, tables: Sequence[HEPDataTable], comment: str,
                  validate: bool = True) -> Path:
    """Write and validate a HEPData submission folder (``hepdata/``) plus its tarball into ``run``.

    Needs the optional extra ``hepdata`` (hepdata_lib, hepdata-validator).  The folder is
    built by hepdata_lib in a subprocess working in a staging folder inside the run,
    validated, then moved into place; ``hepdata-submission.tar.gz`` is packed
    reproducibly (same inputs, same bytes).

    Returns
    -------
    Path
        The ``hepdata`` folder.
    """
    hepdata_lib, _ = _require_hepdata()
    if not tables:
        raise ValueError("tables must hold at least one HEPDataTable")
    submission = _build_submission(tables, comment, hepdata_lib)
    staging = Path(tempfile.mkdtemp(prefix=".hepdata.", suffix=".tmp", dir=run.target)).resolve()
    try:
        spec = staging / "submission.pickle"
        spec.write_bytes(pickle.dumps(submission))
        proc = subprocess.run([sys.executable, "-c", _CREATE_SCRIPT, str(spec), HEPDATA_DIR], cwd=staging,
                              capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise ValueError(f"hepdata_lib could not write the submission: {last}")
        folder = staging / HEPDATA_DIR
        for path in folder.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        if validate:
            validate_hepdata(folder)
        atomic_write_bytes(run.target / HEPDATA_ARCHIVE, _deterministic_targz(folder))
        run._done(run.target / HEPDATA_ARCHIVE)
        return run.add_folder(HEPDATA_DIR, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
