"""Shared option groups, value checks and run cards of the ``relicboost`` sub-commands.

Every check here runs at argument-parsing time, before any computation: a bad value
ends the command with one line on stderr naming the option and what is allowed, and
exit code 2.
"""
from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from relicboost.parameters import ASTRO_NUISANCES as NUISANCES

LIKELIHOODS = ("skiv", "skiv-binned", "skgd", "borexino", "resnova")
#: Keys of a run's config.yaml that are not options (provenance); a card may hold them.
PROVENANCE_KEYS = ("command", "relicboost_version")


class UsageError(ValueError):
    """A user error: bad option, bad card, unusable output directory."""


class CardError(UsageError):
    """A run card has an unknown key, a value of the wrong type, or cannot be parsed."""


# ----------------------------------------------------------------------------- value types
def _typed(kind: type, check: Callable[[Any], bool], what: str) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if (kind is float and not math.isfinite(value)) or not check(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    convert.kind = kind  # type: ignore[attr-defined]
    convert.__name__ = what
    return convert


finite_float = _typed(float, lambda v: True, "a finite number")
positive_float = _typed(float, lambda v: v > 0, "a number > 0")
nonneg_float = _typed(float, lambda v: v >= 0, "a number >= 0")
probability = _typed(float, lambda v: 0 < v < 1, "a number in (0, 1)")
log10_lam = _typed(float, lambda v: -30 <= v <= 0, "log10(lam / MeV^-3) in [-30, 0]")
count_ge1 = _typed(int, lambda v: v >= 1, "an integer >= 1")
count_ge2 = _typed(int, lambda v: v >= 2, "an integer >= 2")
seed_int = _typed(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32)")


def name_list(allowed: Sequence[str], *, empty_ok: bool) -> Callable[[str], list[str]]:
    """Type for a comma-separated list of names from ``allowed``, no duplicates."""
    def convert(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",")]
        if items == [""] and empty_ok:
            return []
        if any(not t for t in items):
            raise argparse.ArgumentTypeError(f"expected comma-separated names from {list(allowed)}, got {text!r}")
        bad = [t for t in items if t not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; allowed: {list(allowed)}")
        if len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(f"names repeated in {text!r}; give each once")
        return items

    convert.kind = str  # type: ignore[attr-defined]
    convert.__name__ = "names"
    return convert


def lam_list(text: str) -> list[float]:
    """Type for a non-empty comma-separated list of lam values >= 0 (MeV^-3)."""
    items = [t.strip() for t in str(text).split(",")]
    try:
        values = [float(t) for t in items]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers >= 0, got {text!r}") from None
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers >= 0, got {text!r}")
    return values


lam_list.kind = str  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- option groups
def add_common(p: argparse.ArgumentParser) -> None:
    """``--card`` and ``--quiet``."""
    p.add_argument("--card", type=Path, default=None, help="TOML or YAML run card (keys = long options); "
                   "a run's config.yaml is a valid card")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_outdir(p: argparse.ArgumentParser, default: str | None, resume: bool = False) -> None:
    """``--outdir`` and ``--force`` (and ``--resume`` for resumable commands)."""
    p.add_argument("--outdir", default=default, help="run directory to write (must be empty or new unless --force)")
    if resume:
        ex = p.add_mutually_exclusive_group()
        ex.add_argument("--resume", action="store_true", help="continue the run in --outdir")
        ex.add_argument("--force", action="store_true", help="replace the contents of a non-empty --outdir")
    else:
        p.add_argument("--force", action="store_true", help="replace the contents of a non-empty --outdir")


def add_model_options(p: argparse.ArgumentParser) -> None:
    """Convention, star-formation fit and the astrophysical nuisances."""
    g = p.add_argument_group("model")
    g.add_argument("--convention", default="paper", choices=("paper", "consistent"),
                   help="propagation convention (docs/conventions.md)")
    g.add_argument("--sfr", default="paper", choices=("paper", "yuksel2008"), help="star formation fit")
    g.add_argument("--T-nue", dest="T_nue", type=positive_float, default=6.6, help="nu_e temperature, MeV")
    g.add_argument("--T-nuebar", dest="T_nuebar", type=positive_float, default=7.0, help="anti-nu_e temperature, MeV")
    g.add_argument("--T-nux", dest="T_nux", type=positive_float, default=10.0, help="nu_x temperature, MeV")
    g.add_argument("--E-tot", dest="E_tot", type=positive_float, default=3e53, help="total energy per supernova, erg")
    g.add_argument("--sfr-norm", dest="sfr_norm", type=positive_float, default=1.0,
                   help="supernova-rate normalisation")


def add_resnova_options(p: argparse.ArgumentParser, group: Any = None) -> None:
    """RES-NOVA exposure and threshold."""
    g = group or p
    g.add_argument("--exposure-ton-yr", dest="exposure_ton_yr", type=positive_float, default=465.0,
                   help="RES-NOVA exposure, ton yr")
    g.add_argument("--threshold-keV", dest="threshold_keV", type=nonneg_float, default=1.0,
                   help="RES-NOVA recoil threshold, keV")


def add_likelihood_options(p: argparse.ArgumentParser) -> None:
    """Likelihood selection, profiled nuisances, C.L. and the lam scan range."""
    g = p.add_argument_group("likelihood")
    g.add_argument("--likelihood", type=name_list(LIKELIHOODS, empty_ok=False), default="skiv",
                   help=f"comma-separated experiments from {list(LIKELIHOODS)}")
    g.add_argument("--binned-mode", dest="binned_mode", default="strongest",
                   choices=("strongest", "independent"), help="per-bin limits: strongest bin or all bins")
    g.add_argument("--profile", type=name_list(NUISANCES, empty_ok=True), default="",
                   help=f"comma-separated nuisances to profile/sample with the default priors, from {list(NUISANCES)} "
                        "(empty: all fixed)")
    add_resnova_options(p, g)
    g.add_argument("--cl", type=probability, default=0.90, help="confidence level")
    g.add_argument("--log10-lam-min", dest="log10_lam_min", type=log10_lam, default=-14.0,
                   help="scan range low end, log10(lam / MeV^-3)")
    g.add_argument("--log10-lam-max", dest="log10_lam_max", type=log10_lam, default=-6.0,
                   help="scan range high end, log10(lam / MeV^-3)")


def check_lam_range(args: argparse.Namespace) -> None:
    """``--log10-lam-min`` < ``--log10-lam-max``."""
    if not args.log10_lam_min < args.log10_lam_max:
        raise UsageError(f"--log10-lam-min ({args.log10_lam_min:g}) must be below --log10-lam-max "
                         f"({args.log10_lam_max:g}); swap them")


def require_extra(modules: Sequence[str], extra: str, option: str) -> None:
    """Refuse ``option`` up front when the optional extra's modules are missing."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"{option} needs the optional extra '{extra}' (missing {missing}): "
                         f"pip install 'relicboost[{extra}]'")


# ----------------------------------------------------------------------------- run cards
def read_card(path: Path) -> dict[str, Any]:
    """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) run card into a flat dict.

    Raises
    ------
    CardError
        Missing file, unknown suffix, a parse error (the message names the file) or a
        top level that is not a table.
    """
    path = Path(path)
    if not path.is_file():
        raise CardError(f"--card {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(f"--card {path}: cannot read it ({exc})") from None
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CardError(f"--card {path}: invalid TOML ({exc})") from None
    elif path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CardError(f"--card {path}: invalid YAML ({' '.join(str(exc).split())})") from None
        data = {} if data is None else data
    else:
        raise CardError(f"--card {path}: suffix must be .toml, .yaml or .yml")
    if not isinstance(data, dict):
        raise CardError(f"--card {path}: top level must be a table of key = value")
    return data


def card_defaults(parser: argparse.ArgumentParser, card: dict[str, Any], command: str) -> dict[str, Any]:
    """Validate ``card`` against the options of ``parser``; return argparse defaults.

    Keys are long options with ``-`` written as ``_`` or kept (``T_nuebar`` and
    ``T-nuebar`` both work); ``command`` must name this sub-command and the other
    provenance keys of a run's ``config.yaml`` are ignored.
    """
    actions = {a.dest: a for a in parser._actions if a.dest not in ("help", "card")}
    out: dict[str, Any] = {}
    for raw, value in card.items():
        key = re.sub(r"-", "_", str(raw))
        if key == "command":
            if value != command:
                raise CardError(f"run card: key 'command' is {value!r} but the sub-command is {command!r}")
            continue
        if key in PROVENANCE_KEYS:
            continue
        if key not in actions:
            raise CardError(f"run card: unknown key {raw!r}; allowed: {sorted(actions)}")
        out[key] = _card_value(actions[key], raw, value)
    return out


def _card_value(act: argparse.Action, raw: str, value: Any) -> Any:
    if isinstance(act, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        if not isinstance(value, bool):
            raise CardError(f"run card: key {raw!r} must be true or false, got {value!r}")
        return value
    typ = act.type or str
    kind = getattr(typ, "kind", typ)
    ok = {float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          int: lambda v: isinstance(v, int) and not isinstance(v, bool),
          str: lambda v: isinstance(v, str) or (typ is lam_list and isinstance(v, (int, float, list))),
          Path: lambda v: isinstance(v, str)}.get(kind, lambda v: isinstance(v, str))
    if value is None and act.default is None:
        return None
    if isinstance(value, list) and getattr(typ, "__name__", "") in ("names", "lam_list"):
        value = ",".join(str(v) for v in value)
    if not ok(value):
        raise CardError(f"run card: key {raw!r} has the wrong type ({type(value).__name__}: {value!r}); "
                        f"expected {getattr(kind, '__name__', kind)}")
    try:
        conv = typ(str(value)) if typ is not str else value
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        raise CardError(f"run card: key {raw!r}: {exc}") from None
    if act.choices is not None and conv not in act.choices:
        raise CardError(f"run card: key {raw!r} must be one of {list(act.choices)}, got {value!r}")
    return conv
