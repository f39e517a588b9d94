"""The file layer of relicboost: every file the package writes goes through here.

* :mod:`relicboost.io.atomic` — atomic writes (text, bytes, JSON, YAML, CSV, figures), mode 0644;
* :mod:`relicboost.io.tables` — CSV tables with units in column names and ``# key: value`` metadata;
* :mod:`relicboost.io.provenance` — version, relicboost's own git commit, command line, seed;
* :mod:`relicboost.io.rundir` — run directories: lock, staging, ``result.json`` with file hashes.

This package imports nothing else from relicboost (it is the bottom layer).
"""
from __future__ import annotations

from .atomic import (
    FILE_MODE,
    atomic_path,
    atomic_savefig,
    atomic_write_bytes,
    atomic_write_csv,
    atomic_write_json,
    atomic_write_text,
    atomic_write_yaml,
    sha256_file,
    stale_temporaries,
)
from .provenance import git_revision, package_version, provenance, to_builtin
from .rundir import (
    CONFIG_NAME,
    RESULT_NAME,
    RunDirectory,
    RunDirectoryError,
    RunLock,
    check_outdir,
    read_result,
    relist_files,
    staged_run,
    verify_run,
)
from .tables import read_table_csv, split_unit, table_csv

__all__ = [
    "CONFIG_NAME",
    "FILE_MODE",
    "RESULT_NAME",
    "RunDirectory",
    "RunDirectoryError",
    "RunLock",
    "atomic_path",
    "atomic_savefig",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_write_yaml",
    "check_outdir",
    "git_revision",
    "package_version",
    "provenance",
    "read_result",
    "read_table_csv",
    "relist_files",
    "sha256_file",
    "split_unit",
    "staged_run",
    "stale_temporaries",
    "table_csv",
    "to_builtin",
    "verify_run",
]
