"""The ``relicboost`` command.

Sub-commands: ``reproduce`` (the paper's figures, numbers, SK-IV limits and RES-NOVA
forecasts), ``limit``, ``scan``, ``sample``, ``forecast``, ``flux``, ``plot``,
``export`` and ``bib``.  Every sub-command accepts ``--card FILE`` (TOML or YAML): its
keys are the sub-command's long options with ``-`` written as ``_`` or kept (for
example ``T_nuebar = 6.0``); a run's own ``config.yaml`` is a valid card.  An unknown
key or a value of the wrong type is an error naming the key; options given on the
command line override the card.

Errors made by the user end with ONE line on stderr naming the option and the fix,
and exit code 2; Ctrl-C exits with 130.

Adding a sub-command: write a module with ``add_parser(subparsers) ->
ArgumentParser`` (call ``subparsers.add_parser(name, ...)`` in it) and ``run(args) ->
int``, and append its dotted name to :data:`COMMANDS`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from .options import CardError, UsageError, card_defaults, read_card

#: Modules of the sub-commands, in the order of ``relicboost --help``.
COMMANDS: tuple[str, ...] = (
    "relicboost.cli.cmd_reproduce",
    "relicboost.cli.cmd_limit",
    "relicboost.cli.cmd_scan",
    "relicboost.cli.cmd_sample",
    "relicboost.cli.cmd_forecast",
    "relicboost.cli.cmd_gm_scan",
    "relicboost.cli.cmd_flux",
    "relicboost.cli.cmd_plot",
    "relicboost.cli.cmd_export",
    "relicboost.cli.cmd_bib",
)

__all__ = ["COMMANDS", "CardError", "UsageError", "build_parser", "main"]


class OneLineParser(argparse.ArgumentParser):
    """Argument parser whose errors are one line on stderr (exit 2) and whose help shows defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message> (see <prog> --help)`` and exit with code 2."""
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _version() -> str:
    from relicboost.io import package_version

    return f"relicboost {package_version()}"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``relicboost`` command (one sub-parser per module of COMMANDS)."""
    parser = OneLineParser(prog="relicboost", description=(
        "Secret neutrino self-interactions and the supernova-boosted cosmic neutrino background "
        "(Das, Perez-Gonzalez, Sen, arXiv:2204.11885).  `relicboost COMMAND --help` lists a command's options."))
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        module = importlib.import_module(name)
        before = set(sub.choices)
        p = module.add_parser(sub)
        if p is None:  # modules may register without returning the parser
            (new,) = set(sub.choices) - before
            p = sub.choices[new]
        p.set_defaults(_run=module.run)
    return parser


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction):
            return act.choices[name]
    raise KeyError(name)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _one_line_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    print(f"relicboost: warning: {_one_line(message if isinstance(message, Warning) else Warning(message))}",
          file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``relicboost`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    prog = "relicboost"
    try:
        try:
            args = parser.parse_args(argv)
            prog = f"relicboost {args.command}"
            if args.card is not None:
                sp = _subparser(parser, args.command)
                sp.set_defaults(**card_defaults(sp, read_card(args.card), args.command))
                args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a one-line usage error already printed
            return exc.code if isinstance(exc.code, int) else 2
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return int(args._run(args))
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, ImportError) as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
