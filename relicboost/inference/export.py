"""Write one run directory: configuration, tables, result.json, figures, HEPData.

Layout of a run directory (DESIGN.md section 5)::

    <run>/config.yaml                 resolved configuration
    <run>/limits.csv, contours.csv    tables; units in column names, CL and other
                                      metadata as ``# key: value`` header lines
    <run>/result.json                 results + provenance (version, git hash,
                                      command line, seed, convergence, files)
    <run>/<stem>.png, <stem>.pdf      figures
    <run>/hepdata/                    HEPData submission folder (validated)
    <run>/hepdata-submission.tar.gz   the same, packed for upload

Every file is written to a temporary name in the target directory and moved into
place with :func:`os.replace`, so a reader never sees a partial file; the HEPData
folder is built in a temporary directory and renamed as a whole.

Tables are :class:`pandas.DataFrame`; their ``attrs`` (e.g. ``CL``, ``m_nu_eV``
set by :mod:`relicboost.inference.contours`) become header lines.  Read them
back with ``pandas.read_csv(path, comment="#")``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: File names fixed by the run-directory layout.
CONFIG_NAME = "config.yaml"
RESULT_NAME = "result.json"
HEPDATA_DIR = "hepdata"
HEPDATA_ARCHIVE = "hepdata-submission.tar.gz"

_UNIT_TOKEN = r"(?:MeV|keV|GeV|eV|cm|erg|ton|kton|yr|s|K|Mpc)(?:-?\d+)?"
_UNIT_RE = re.compile(rf"^(?P<name>.+?)_(?P<unit>{_UNIT_TOKEN}(?:_{_UNIT_TOKEN})*)$")


# --------------------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    The temporary file is removed if the block raises, so no partial output is
    ever left under the final name (nor a stray temporary file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


# --------------------------------------------------------------------------- provenance
def package_version() -> str:
    """relicboost version: ``relicboost.__version__`` if present, else package metadata."""
    try:
        import relicboost

        version = getattr(relicboost, "__version__", None)
    except ImportError:  # pragma: no cover - the package imports itself
        version = None
    if version:
        return str(version)
    from importlib import metadata

    try:
        return metadata.version("relicboost")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_revision(path: str | os.PathLike | None = None) -> dict | None:
    """Git commit hash and dirty flag of the checkout containing ``path``.

    Parameters
    ----------
    path : path, optional
        Any path inside the checkout; default the directory of this package.

    Returns
    -------
    dict or None
        ``{"hash": str, "dirty": bool}``, or None when not in a git checkout or
        git is unavailable.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"hash": head, "dirty": bool(status.strip())}


def _dependency_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in ("numpy", "scipy", "pandas", "iminuit", "emcee", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def to_builtin(obj, _path: str = "$", _bad: list | None = None):
    """Convert numpy scalars/arrays, paths, tuples and mappings to JSON/YAML builtins.

    Non-finite floats become ``None``; their locations (JSON-path-like strings)
    are appended to ``_bad`` when a list is given.
    """
    if isinstance(obj, Mapping):
        return {str(k): to_builtin(v, f"{_path}.{k}", _bad) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        seq = obj.tolist() if isinstance(obj, np.ndarray) else obj
        return [to_builtin(v, f"{_path}[{i}]", _bad) for i, v in enumerate(seq)]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        if not math.isfinite(obj):
            if _bad is not None:
                _bad.append(_path)
            return None
        return float(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"cannot serialise {type(obj).__name__} at {_path}")


# --------------------------------------------------------------------------- tables
def split_unit(column: str) -> tuple[str, str]:
    """Split a column name into (quantity, unit) by the project's naming rule.

    ``"lam_upper_MeV-3"`` -> ``("lam_upper", "MeV^-3")``;
    ``"flux_cm-2_s-1_MeV-1"`` -> ``("flux", "cm^-2 s^-1 MeV^-1")``;
    a name without a unit suffix (dimensionless) -> ``(column, "")``.
    """
    m = _UNIT_RE.match(column)
    if not m:
        return column, ""
    unit = " ".join(re.sub(r"(-?\d+)$", r"^\1", tok) for tok in m["unit"].split("_"))
    return m["name"], unit


def _format_meta(value) -> str:
    if isinstance(value, float) and 0.0 < value < 1.0 and round(value, 2) == value:
        return f"{value:.2f}"  # confidence levels: "0.90"
    return str(value)


def table_csv(frame: pd.DataFrame, metadata: Mapping | None = None) -> str:
    """Render a table as CSV text with ``# key: value`` header lines.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table with units in the column names (``M_MeV``, ``lam_upper_MeV-3``).
    metadata : mapping, optional
        Extra header entries; merged over ``frame.attrs``.

    Raises
    ------
    ValueError
        If a numeric column holds NaN or inf, or if a column reports a limit or an
        exclusion (name containing ``upper``, ``lower`` or ``excluded``) but no
        ``CL`` is given in the metadata or in a column name.
    """
    meta = {**frame.attrs, **(metadata or {})}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            if not np.all(np.isfinite(values.to_numpy(dtype=float))):
                raise ValueError(f"column {col!r} holds NaN or inf; refusing to write it")
    needs_cl = any(re.search(r"upper|lower|excluded", str(c)) for c in frame.columns)
    has_cl = "CL" in meta or any("CL" in str(c) for c in frame.columns)
    if needs_cl and not has_cl:
        raise ValueError("a table with limits needs the confidence level: give metadata CL in (0, 1)")
    if "CL" in meta and not (0.0 < float(meta["CL"]) < 1.0):
        raise ValueError(f"metadata CL must be in (0, 1), got {meta['CL']!r}")
    header = [f"# relicboost {package_version()}"]
    header += [f"# {k}: {_format_meta(v)}" for k, v in meta.items()]
    return "\n".join(header) + "\n" + frame.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------- HEPData
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


# --------------------------------------------------------------------------- run directory
class RunDirectory:
    """Writer for one run directory; every file is written atomically.

    Parameters
    ----------
    path : path
        The run directory (created with parents if needed).

    Examples
    --------
    >>> run = RunDirectory("results/run-001")                 # doctest: +SKIP
    >>> run.write_config({"likelihood": "skiv", "cl": 0.9})    # doctest: +SKIP
    >>> run.write_table("limits.csv", frame, {"CL": 0.9})      # doctest: +SKIP
    >>> run.write_result({"lam_upper_MeV-3": 1e-11}, seed=1)   # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def _done(self, path: Path) -> Path:
        if path not in self.written:
            self.written.append(path)
        return path

    def _target(self, name: str) -> Path:
        if not name or Path(name).name != name:
            raise ValueError(f"name must be a plain file name inside the run directory, got {name!r}")
        return self.path / name

    def write_config(self, config: Mapping, name: str = CONFIG_NAME) -> Path:
        """Write the resolved configuration as YAML (``config.yaml``)."""
        text = yaml.safe_dump(to_builtin(config), sort_keys=False, default_flow_style=False)
        return self._done(atomic_write_text(self._target(name), text))

    def write_table(self, name: str, frame: pd.DataFrame, metadata: Mapping | None = None) -> Path:
        """Write a CSV table (e.g. ``limits.csv``, ``contours.csv``); see :func:`table_csv`."""
        if not name.endswith(".csv"):
            raise ValueError(f"name must end with .csv, got {name!r}")
        return self._done(atomic_write_text(self._target(name), table_csv(frame, metadata)))

    def save_figure(
        self, fig: Figure, stem: str, formats: Sequence[str] = ("png", "pdf"), dpi: int = 150
    ) -> list[Path]:
        """Save a matplotlib figure as ``<stem>.png`` and ``<stem>.pdf``."""
        out = []
        for fmt in formats:
            target = self._target(f"{stem}.{fmt}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
            out.append(self._done(target))
        return out

    def write_hepdata(
        self,
        tables: Sequence[HEPDataTable],
        comment: str,
        validate: bool = True,
    ) -> Path:
        """Write and validate a HEPData submission folder (``hepdata/``) plus its tarball.

        Needs the optional extra ``hepdata`` (hepdata_lib, hepdata-validator).
        The folder is built in a temporary directory inside the run directory,
        validated with hepdata-validator, then renamed into place.

        Returns
        -------
        Path
            The ``hepdata`` folder.
        """
        hepdata_lib, _ = _require_hepdata()
        if not tables:
            raise ValueError("tables must hold at least one HEPDataTable")
        submission = _build_submission(tables, comment, hepdata_lib)
        staging = Path(tempfile.mkdtemp(prefix=".hepdata.", suffix=".tmp", dir=self.path))
        cwd = os.getcwd()
        try:
            # hepdata_lib writes submission.tar.gz into the working directory
            os.chdir(staging)
            submission.create_files(outdir=HEPDATA_DIR, validate=False)
            os.chdir(cwd)
            if validate:
                validate_hepdata(staging / HEPDATA_DIR)
            target = self.path / HEPDATA_DIR
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=".hepdata.old.", dir=self.path))
                os.replace(target, old / HEPDATA_DIR)
                os.replace(staging / HEPDATA_DIR, target)
                shutil.rmtree(old)
            else:
                os.replace(staging / HEPDATA_DIR, target)
            os.replace(staging / "submission.tar.gz", self.path / HEPDATA_ARCHIVE)
        finally:
            os.chdir(cwd)
            shutil.rmtree(staging, ignore_errors=True)
        self._done(self.path / HEPDATA_ARCHIVE)
        return self._done(target)

    def write_result(
        self,
        result: Mapping,
        seed: int | None = None,
        convergence: Mapping | None = None,
        argv: Sequence[str] | None = None,
        name: str = RESULT_NAME,
    ) -> Path:
        """Write ``result.json``: results plus provenance.

        Parameters
        ----------
        result : mapping
            The numbers of the run (units in key names, e.g. ``lam_upper_MeV-3``).
        seed : int, optional
            Random seed of the run (recorded even when None).
        convergence : mapping, optional
            Convergence figures (autocorrelation times, acceptance fraction,
            converged flag, minimiser status ...).
        argv : sequence of str, optional
            Command line; default ``sys.argv``.

        Notes
        -----
        Non-finite floats are written as ``null`` and listed under
        ``"non_finite"``.  The files written so far by this writer are listed
        with their SHA-256 under ``"files"``.
        """
        bad: list[str] = []
        doc = {
            "package": "relicboost",
            "version": package_version(),
            "git": git_revision(),
            "command_line": list(sys.argv if argv is None else argv),
            "seed": seed,
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "dependencies": _dependency_versions(),
            "convergence": to_builtin(convergence or {}, "$.convergence", bad),
            "result": to_builtin(result, "$.result", bad),
            "files": {
                str(p.relative_to(self.path)): _sha256(p) for p in self.written if p.is_file()
            },
        }
        doc["non_finite"] = bad
        text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
        return self._done(atomic_write_text(self._target(name), text))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
