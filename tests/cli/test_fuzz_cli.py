"""Malformed ``relicboost`` invocations: exit 2, ONE line on stderr, no traceback, no file changed.

The cases are generated (every numeric option of every command x bad values, plus
list options, cross-option checks, output directories and run cards).  Every
invocation that can write targets an EXISTING run directory with ``--force``, so an
option checked only after the computation would change its files; the directory is
hashed before and after.  Most cases fail while the arguments are parsed.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from relicboost.cli import main

BAD_POSITIVE = ["", "abc", "nan", "inf", "-1", "0"]
BAD_PROB = ["0", "1", "1.5", "-0.1", "nan", "x"]
BAD_COUNT2 = ["0", "1", "2.5", "x", ""]
MODEL_FLOATS = ["--T-nue", "--T-nuebar", "--T-nux", "--E-tot", "--sfr-norm"]
ANALYSIS = ["limit", "scan", "sample"]
WRITERS = ANALYSIS + ["forecast", "flux"]


def _cases(run_dir: str, a_file: str, cards: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(category, argv) of every malformed invocation."""
    out = "--outdir"
    cases: list[tuple[str, list[str]]] = []

    def add(cat: str, cmd: str, *argv: str, outdir: bool = True) -> None:
        extra = [out, run_dir, "--force"] if outdir and cmd in WRITERS else []
        cases.append((cat, [cmd, *argv, *extra]))

    for cmd in WRITERS:
        for opt in MODEL_FLOATS:
            for bad in BAD_POSITIVE if cmd == "limit" else ["abc", "-1", "inf"]:
                add("model number", cmd, opt, bad)
        add("choice", cmd, "--convention", "bogus")
        add("choice", cmd, "--sfr", "")
        add("unknown option", cmd, "--no-such-option", "1")
    for cmd in ANALYSIS:
        for bad in BAD_PROB:
            add("confidence level", cmd, "--cl", bad)
        for bad in ["", "foo", "skiv,skiv", "skiv,", ","]:
            add("likelihood list", cmd, "--likelihood", bad)
        for bad in ["T_nuebar,T_nuebar", "bogus", ","]:
            add("profile list", cmd, "--profile", bad)
        for bad in ["", "x", "5", "-50"]:
            add("lam range", cmd, "--log10-lam-min", bad)
        add("lam range", cmd, "--log10-lam-min", "-6", "--log10-lam-max", "-14")
        add("RES-NOVA option", cmd, "--exposure-ton-yr", "0")
        add("RES-NOVA option", cmd, "--threshold-keV", "-1")
    for cmd in ("limit", "scan"):
        for bad in BAD_COUNT2:
            add("grid size", cmd, "--n-scan", bad)
    add("mediator", "limit", "--mediator", "scalar")
    add("mediator", "limit", "--M-MeV", "10")
    add("mediator", "limit", "--mediator", "tensor", "--M-MeV", "10")
    add("mediator", "limit", "--mediator", "scalar", "--M-MeV", "-1")
    add("mass grid", "limit", "--M-min-MeV", "1e4", "--M-max-MeV", "1e-2")
    add("mass grid", "limit", "--n-M", "1")
    add("mass grid", "limit", "--m-nu-eV", "0")
    add("hepdata", "limit", "--hepdata", outdir=False)
    for bad in ["0", "1", "-3", "x"]:
        add("sampler", "sample", "--nwalkers", bad)
    for bad in ["0", "-1", "1.5"]:
        add("sampler", "sample", "--nsteps", bad)
    for bad in ["-1", "4294967296", "x"]:
        add("sampler", "sample", "--seed", bad)
    add("sampler", "sample", "--pool", "multiprocessing", "--processes", "0")
    add("sampler", "sample", "--processes", "2")
    add("sampler", "sample", "--pool", "threads")
    add("sampler", "sample", "--nwalkers", "2", "--profile", "T_nuebar")
    cases.append(("sampler", ["sample", out, run_dir, "--resume", "--force"]))
    cases.append(("sampler", ["sample", out, run_dir, "--resume"]))  # chain.h5 of the fixture is not a chain
    for bad in ["", "abc", "-1e-10", "1e-10,,", "nan", ","]:
        add("forecast lam list", "forecast", "--lam", bad)
    add("forecast", "forecast", "--target-z", "0")
    add("forecast", "forecast", "--flat-background", "-1")
    add("flux", "flux", "--species", "bogus")
    add("flux", "flux", "--species", "nuebar,nuebar")
    add("flux", "flux", "--lam", "-1")
    for cmd in ("limit", "scan", "forecast", "flux", "sample"):
        cases.append(("output directory", [cmd, out, run_dir]))  # not empty, no --force
        cases.append(("output directory", [cmd, out, a_file, "--force"]))
        cases.append(("output directory", [cmd, out, str(Path(run_dir).parent / ("x" * 300)), "--force"]))
    for path in cards.values():
        add("run card", "limit", "--card", path)
    add("run card", "limit", "--card", str(Path(run_dir).parent / "missing.toml"))
    cases.append(("export", ["export", "--run", str(Path(run_dir).parent / "missing")]))
    cases.append(("export", ["export", "--run", run_dir]))  # files do not match result.json
    cases.append(("export", ["export"]))
    cases.append(("plot", ["plot", str(Path(run_dir).parent / "missing")]))
    cases.append(("command", ["no-such-command"]))
    cases.append(("command", []))
    cases.append(("bib", ["bib", "--likelihood", "nope"]))
    return cases


CARDS = {
    "bad.toml": "T_nuebar = = 6\n",
    "bad.yaml": "T_nuebar: [6\n",
    "tag.yaml": "T_nuebar: !!python/object/apply:os.system ['echo hacked']\n",
    "unknown.toml": "T_nuebr = 6.0\n",
    "type.toml": 'T_nuebar = "hot"\n',
    "bool.toml": "T_nuebar = true\n",
    "command.yaml": "command: scan\n",
    "list.yaml": "- 1\n- 2\n",
    "card.txt": "T_nuebar = 6\n",
    "negative.toml": "T_nuebar = -6.0\n",
    "likelihood.yaml": "likelihood: ''\n",
}


def _snapshot(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    run_dir = root / "run"
    run_dir.mkdir()
    for name, text in {"config.yaml": "command: limit\n", "limits.csv": "# CL: 0.90\nlimit\nobserved\n",
                       "result.json": '{"files": {}}\n', "chain.h5": "not an hdf5 file"}.items():
        (run_dir / name).write_text(text)
    a_file = root / "a_file"
    a_file.write_text("x")
    cards = {}
    for name, text in CARDS.items():
        (root / name).write_text(text)
        cards[name] = str(root / name)
    return run_dir, a_file, cards


def test_at_least_100_malformed_invocations_fail_cleanly(workspace, capsys):
    run_dir, a_file, cards = workspace
    cases = _cases(str(run_dir), str(a_file), cards)
    assert len(cases) >= 100
    before = _snapshot(run_dir)
    failures = []
    for category, argv in cases:
        code = main(argv)
        err = capsys.readouterr().err
        lines = err.strip("\n").split("\n")
        if code != 2 or len(lines) != 1 or not lines[0] or "Traceback" in err:
            failures.append((category, argv, code, err[-300:]))
    assert failures == []
    assert _snapshot(run_dir) == before
    assert not (Path.cwd() / "hacked").exists()


@pytest.mark.parametrize("argv", [["limit", "--likelihood", ""], ["--version"]])
def test_console_script_one_line(argv, tmp_path):
    exe = Path(sys.executable).with_name("relicboost")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "relicboost.cli"]
    res = subprocess.run(cmd + argv, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    if argv == ["--version"]:
        assert res.returncode == 0 and res.stdout.startswith("relicboost ")
        return
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_help_shows_defaults(capsys):
    assert main(["limit", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 0.9)" in out and "(default: skiv)" in out
