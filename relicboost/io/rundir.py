"""Run directories: one exclusive owner, contents replaced as a whole, a checked file list.

Protocol (issue 10):

* :class:`RunLock` — ``fcntl.flock`` on ``<run>/.lock`` for the whole run; a second
  process is refused at once (:class:`RunDirectoryError`).  Re-entrant within one
  process, so a command and the sampler it calls can both hold it.  The owner removes
  the lock file before releasing it; an acquirer that locked an unlinked file retries.
  A killed owner leaves the file but not the lock (the kernel drops it).
* :func:`check_outdir` — before any computation: not a file, writable, names not too
  long, and a non-empty directory only with ``force`` (or ``resume``).
* :class:`RunDirectory` — writes files atomically.  Opened with ``staged=True`` it
  writes into a hidden staging folder inside the run; :meth:`RunDirectory.commit`
  then removes ``result.json`` first (the directory is "incomplete" from then on),
  removes every previous file, moves the new files in and ``result.json`` last.
  ``result.json`` lists every file with its SHA-256; :func:`verify_run` refuses a
  directory whose files do not match the list.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_savefig, atomic_write_text, sha256_file, stale_temporaries
from .provenance import provenance, to_builtin
from .tables import table_csv

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

CONFIG_NAME = "config.yaml"
RESULT_NAME = "result.json"
LOCK_NAME = ".lock"
_HELD: dict[str, list[int]] = {}  # realpath of lock file -> [fd, depth] held by this process


class RunDirectoryError(ValueError):
    """A run directory cannot be used (busy, not empty, not writable, inconsistent)."""


class RunLock:
    """Exclusive ``flock`` on ``<directory>/.lock``, held while the context is open.

    Parameters
    ----------
    directory : path
        The run directory (created if missing).
    option : str
        Name of the option to quote in the refusal message (e.g. ``--outdir``).
    """

    def __init__(self, directory: str | os.PathLike, option: str = "--outdir") -> None:
        self.directory = Path(directory)
        self.option = option
        self._key = ""

    def __enter__(self) -> RunLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / LOCK_NAME
        self._key = os.path.realpath(path)
        if self._key in _HELD:
            _HELD[self._key][1] += 1
            return self
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise RunDirectoryError(f"{self.option} {self.directory} is in use by another relicboost "
                                            f"process (pid {owner}); wait for it or choose another directory"
                                            ) from None
                raise
            try:  # the previous owner may have unlinked the file between our open and flock: retry
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD[self._key] = [fd, 1]
        for stale in stale_temporaries(self.directory):  # we own the directory: no live writer
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
        return self

    def __exit__(self, *exc: object) -> None:
        held = _HELD[self._key]
        held[1] -= 1
        if held[1] == 0:
            del _HELD[self._key]
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.directory / LOCK_NAME)  # still locked: nobody else can hold this inode
            os.close(held[0])  # closing the descriptor releases the flock


def _entries(directory: Path) -> list[Path]:
    """Visible entries of a run directory (hidden files such as the lock excluded)."""
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def check_outdir(path: str | os.PathLike, *, force: bool = False, resume: bool | None = None,
                 option: str = "--outdir") -> Path:
    """Check an output directory before any computation; return it as a Path.

    Raises
    ------
    RunDirectoryError
        If the path is a file, a name in it is too long, it cannot be created or
        written, or it is a non-empty directory and neither ``force`` nor ``resume``
        is given (``resume=None``: the command has no ``--resume``).
    """
    path = Path(path)
    if str(path) == "":
        raise RunDirectoryError(f"{option} must not be empty")
    name_max = 255
    with contextlib.suppress(OSError, ValueError):
        name_max = os.pathconf(path.parent if path.parent.exists() else ".", "PC_NAME_MAX")
    for part in path.parts:
        if len(os.fsencode(part)) > name_max:
            raise RunDirectoryError(f"{option} {str(path)[:60]}...: the name {part[:20]}... is longer than "
                                    f"{name_max} bytes; choose a shorter directory name")
    if path.exists() and not path.is_dir():
        raise RunDirectoryError(f"{option} {path} is a file; give a directory name")
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise RunDirectoryError(f"{option} {path}: {existing} is a file; give a directory name")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunDirectoryError(f"{option} {path}: {existing} is not writable; choose another directory")
    if path.is_dir() and _entries(path) and not (force or bool(resume)):
        raise RunDirectoryError(f"{option} {path} is not empty: pass --force to replace its contents"
                                + (" or --resume to continue it" if resume is not None else ""))
    return path


class RunDirectory:
    """Writer for one run directory; every file is written atomically.

    Parameters
    ----------
    path : path
        The run directory (created with parents if needed).
    staged : bool
        Write into a hidden staging folder and replace the directory's contents
        as a whole in :meth:`commit` (hold the directory's :class:`RunLock`).
    keep : sequence of str
        Files of the run directory that :meth:`commit` keeps and lists (e.g. the
        chain file that the sampler writes in place).
    """

    def __init__(self, path: str | os.PathLike, *, staged: bool = False, keep: Sequence[str] = ()) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.keep = tuple(keep)
        self.target = (Path(tempfile.mkdtemp(prefix=".staging.", suffix=".tmp", dir=self.path))
                       if staged else self.path)
        self.written: list[Path] = []
        #: BibTeX keys of the sources the run used (written into result.json).
        self.references: Iterable[str] = ()

    def _done(self, path: Path) -> Path:
        if path not in self.written:
            self.written.append(path)
        return path

    def _target(self, name: str) -> Path:
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"name must be a plain file name inside the run directory, got {name!r}")
        return self.target / name

    def write_text(self, name: str, text: str) -> Path:
        """Write a text file into the run."""
        return self._done(atomic_write_text(self._target(name), text))

    def write_config(self, config: Mapping, name: str = CONFIG_NAME) -> Path:
        """Write the resolved configuration as YAML (``config.yaml``)."""
        import yaml

        text = yaml.safe_dump(to_builtin(config), sort_keys=False, default_flow_style=False)
        return self.write_text(name, text)

    def write_table(self, name: str, frame: pd.DataFrame, metadata: Mapping | None = None) -> Path:
        """Write a CSV table (e.g. ``limits.csv``); see :func:`relicboost.io.table_csv`."""
        if not name.endswith(".csv"):
            raise ValueError(f"name must end with .csv, got {name!r}")
        return self.write_text(name, table_csv(frame, metadata))

    def save_figure(self, fig: Figure, stem: str, formats: Sequence[str] = ("png", "pdf"),
                    dpi: int = 150) -> list[Path]:
        """Save a matplotlib figure as ``<stem>.png`` and ``<stem>.pdf`` (no creation date)."""
        return [self._done(atomic_savefig(fig, self._target(f"{stem}.{fmt}"), dpi=dpi)) for fmt in formats]

    def add_folder(self, name: str, folder: Path) -> Path:
        """Move a finished folder (e.g. a HEPData submission) into the run as ``name``."""
        target = self._target(name)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{name}.old.", suffix=".tmp", dir=self.target))
            os.replace(target, old / name)
            os.replace(folder, target)
            shutil.rmtree(old)
        else:
            os.replace(folder, target)
        return self._done(target)

    @staticmethod
    def file_hashes(root: Path, names: Sequence[str]) -> dict[str, str]:
        """Relative path -> SHA-256 of the files ``names`` (folders recursively) under ``root``."""
        files: dict[str, str] = {}
        for name in names:
            p = root / name
            for f in ([p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())):
                files[f.relative_to(root).as_posix()] = sha256_file(f)
        return files

    def write_result(self, result: Mapping, seed: int | None = None, convergence: Mapping | None = None,
                     argv: Sequence[str] | None = None, references: Iterable[str] | None = None,
                     name: str = RESULT_NAME) -> Path:
        """Write ``result.json``: results, provenance and every file of the run with its SHA-256.

        Non-finite floats are written as ``null`` and listed under ``"non_finite"``.
        """
        bad: list[str] = []
        names = [p.name for p in _entries(self.target) if p.name != name]
        names += [k for k in self.keep if (self.path / k).exists() and k not in names]
        listed = self.file_hashes(self.target, [n for n in names if n not in self.keep])
        listed.update(self.file_hashes(self.path, [k for k in self.keep if (self.path / k).exists()]))
        doc = {**provenance(argv, seed),
               "convergence": to_builtin(convergence or {}, "$.convergence", bad),
               "result": to_builtin(result, "$.result", bad),
               "references": list(self.references if references is None else references),
               "files": dict(sorted(listed.items()))}
        doc["non_finite"] = bad
        return self.write_text(name, json.dumps(doc, indent=2, allow_nan=False) + "\n")

    def commit(self) -> list[Path]:
        """Replace the run directory's contents by the staged files (``result.json`` last)."""
        if self.target == self.path:
            return self.written
        new = _entries(self.target)
        with contextlib.suppress(FileNotFoundError):
            (self.path / RESULT_NAME).unlink()  # from here on the directory reads as incomplete
        for old in _entries(self.path):
            if old.name not in self.keep:
                shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        for p in sorted(new, key=lambda q: q.name == RESULT_NAME):
            os.replace(p, self.path / p.name)
        self.target.rmdir()
        with contextlib.suppress(OSError):
            dfd = os.open(self.path, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
        self.target = self.path
        return [self.path / p.name for p in new]

    def discard(self) -> None:
        """Drop the staged files (the run directory stays as it was)."""
        if self.target != self.path:
            shutil.rmtree(self.target, ignore_errors=True)
            self.target = self.path


@contextlib.contextmanager
def staged_run(path: str | os.PathLike, keep: Sequence[str] = ()) -> Iterator[RunDirectory]:
    """Lock ``path``, yield a staged :class:`RunDirectory`, commit on success, discard on error."""
    with RunLock(path):
        run = RunDirectory(path, staged=True, keep=keep)
        try:
            yield run
            run.commit()
        finally:
            run.discard()


def read_result(path: str | os.PathLike) -> dict[str, Any]:
    """``result.json`` of a run directory (RunDirectoryError if missing or unreadable)."""
    f = Path(path) / RESULT_NAME
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirectoryError(f"--run {path}: no readable {RESULT_NAME} (incomplete or not a run "
                                "directory); rerun the command with --force") from exc


def relist_files(path: str | os.PathLike, names: Sequence[str], record: Mapping | None = None) -> Path:
    """Re-hash the files ``names`` of a complete run directory in its ``result.json``.

    For files redrawn from the run's own files (``relicboost plot``); hold the directory's
    :class:`RunLock`.  ``record`` (what redrew them) is stored under ``"redrawn"``.
    """
    path = Path(path)
    doc = read_result(path)
    files = dict(doc.get("files", {}))
    files.update(RunDirectory.file_hashes(path, names))
    doc["files"] = dict(sorted(files.items()))
    if record is not None:
        doc["redrawn"] = to_builtin(record)
    return atomic_write_text(path / RESULT_NAME, json.dumps(doc, indent=2, allow_nan=False) + "\n")


def verify_run(path: str | os.PathLike) -> dict[str, Any]:
    """Check that the files of a run directory are exactly those listed in its ``result.json``.

    Returns
    -------
    dict
        The parsed ``result.json``.

    Raises
    ------
    RunDirectoryError
        If ``result.json`` is missing, a listed file is missing or has another
        SHA-256, or a file is present that is not listed (mixed runs).
    """
    path = Path(path)
    doc = read_result(path)
    listed: Mapping[str, str] = doc.get("files", {})
    present = {f.relative_to(path).as_posix() for e in _entries(path)
               for f in ([e] if e.is_file() else e.rglob("*")) if f.is_file()} - {RESULT_NAME}
    extra = sorted(present - set(listed))
    changed = sorted(n for n, h in listed.items() if n not in present or sha256_file(path / n) != h)
    if extra or changed:
        raise RunDirectoryError(f"--run {path}: files do not match {RESULT_NAME} (changed or missing: "
                                f"{changed[:5]}, not listed: {extra[:5]}); rerun the command with --force")
    return doc
