"""``skyfence`` command line: ``main(argv) -> int``, subcommands imported lazily.

Each subcommand is a module of this package exposing ``HELP`` (one line),
``configure(parser)`` and ``run(args, console) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from rich.console import Console

from skyfence import __version__
from skyfence.errors import SkyfenceError

__all__ = ["COMMANDS", "main", "run"]

COMMANDS: dict[str, str] = {
    "audit": "skyfence.cli.audit",
    "decode": "skyfence.cli.decode",
    "zones": "skyfence.cli.zones",
}


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(COMMANDS[name])
    except ModuleNotFoundError as exc:
        if exc.name == COMMANDS[name]:
            return None
        raise


def _top_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="skyfence",
        description="Watch the sky against restricted airspace.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"skyfence {__version__}")
    return p


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 bad input or failure, 2 usage)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    console = console or Console(stderr=False)
    err = Console(stderr=True) if console.file is sys.stdout else console
    available = {name: mod for name in COMMANDS if (mod := _load(name)) is not None}
    top = _top_parser()
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, mod in available.items():
        sp = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.configure(sp)
    if not args_in:
        top.print_help()
        return 2
    args = top.parse_args(args_in)
    if args.command is None:
        top.print_help()
        return 2
    try:
        code: int = available[args.command].run(args, console)
    except SkyfenceError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
