"""Provenance of an output: relicboost version, relicboost's own git commit, command, seed.

The git hash is recorded only when the installed package lies inside relicboost's
OWN repository (a checkout whose top level holds ``pyproject.toml`` naming the
project ``relicboost`` and this very package folder); a wheel installed into a
virtual environment that happens to sit inside another repository records the
package version alone.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_DEPENDENCIES = ("numpy", "scipy", "pandas", "iminuit", "emcee", "matplotlib", "h5py")


def package_version() -> str:
    """relicboost version from the package metadata (``relicboost.__version__`` as fallback)."""
    from importlib import metadata

    try:
        return metadata.version("relicboost")
    except metadata.PackageNotFoundError:
        import relicboost

        return str(getattr(relicboost, "__version__", "unknown"))


def _git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True,
                          timeout=10, check=True).stdout.strip()


def is_relicboost_checkout(top: Path, package_dir: Path = _PACKAGE_DIR) -> bool:
    """True if ``top`` is relicboost's own repository and holds ``package_dir``."""
    pyproject = top / "pyproject.toml"
    if not pyproject.is_file() or not (top / "relicboost").is_dir():
        return False
    if not re.search(r'(?m)^name\s*=\s*"relicboost"\s*$', pyproject.read_text(encoding="utf-8")):
        return False
    return (top / "relicboost").resolve() == package_dir.resolve()


def git_revision(package_dir: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """Commit hash and dirty flag of relicboost's own checkout, or None.

    Parameters
    ----------
    package_dir : path, optional
        The relicboost package folder (default: the imported one).

    Returns
    -------
    dict or None
        ``{"hash": str, "dirty": bool}`` when ``package_dir`` is the ``relicboost``
        folder at the top of relicboost's own git checkout; None otherwise (installed
        wheel, a host project's repository, git unavailable).
    """
    where = Path(package_dir) if package_dir is not None else _PACKAGE_DIR
    try:
        top = Path(_git(where, "rev-parse", "--show-toplevel"))
        if not is_relicboost_checkout(top, where):
            return None
        head = _git(where, "rev-parse", "HEAD")
        status = _git(where, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"hash": head, "dirty": bool(status)}


def dependency_versions() -> dict[str, str]:
    """Versions of Python and of the numerical dependencies that are installed."""
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in _DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def provenance(argv: Sequence[str] | None = None, seed: int | None = None) -> dict[str, Any]:
    """The provenance record of an output.

    Returns
    -------
    dict
        ``package``, ``version``, ``git`` (relicboost's own commit or None),
        ``command_line``, ``seed``, ``created_utc`` and ``dependencies``.
    """
    return {
        "package": "relicboost",
        "version": package_version(),
        "git": git_revision(),
        "command_line": list(sys.argv if argv is None else argv),
        "seed": seed,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dependencies": dependency_versions(),
    }


def to_builtin(obj: Any, _path: str = "$", _bad: list[str] | None = None) -> Any:
    """Convert numpy scalars/arrays, paths, tuples and mappings to JSON/YAML builtins.

    Non-finite floats become ``None``; their locations (JSON-path-like strings) are
    appended to ``_bad`` when a list is given.

    Raises
    ------
    TypeError
        For an object that has no JSON/YAML form.
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
