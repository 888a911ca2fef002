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
from rich.markup import escape

from skyfence import __version__
from skyfence.errors import SkyfenceError

__all__ = ["COMMANDS", "main", "run"]

COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("skyfence.cli.audit", "audit recorded traffic against zones"),
    "decode": ("skyfence.cli.decode", "decode Mode S / ADS-B frames into reports"),
    "interference": ("skyfence.cli.interference", "map GNSS interference from NIC/NACp"),
    "serve": ("skyfence.cli.serve", "run the live service: sources, alerts, API"),
    "token": ("skyfence.cli.token", "create, list or revoke API tokens"),
    "zones": ("skyfence.cli.zones", "validate, show or convert zone files"),
}


def _load(name: str) -> ModuleType | None:
    module = COMMANDS[name][0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
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
    top = _top_parser()
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    # only the chosen subcommand's module is imported; the others are listed by name
    chosen = next((a for a in args_in if not a.startswith("-")), None)
    available: dict[str, ModuleType] = {}
    for name, (_, help_text) in COMMANDS.items():
        mod = _load(name) if name == chosen else None
        if name == chosen and mod is None:
            continue
        sp = sub.add_parser(name, help=help_text, description=mod.HELP if mod else help_text)
        if mod is not None:
            mod.configure(sp)
            available[name] = mod
    if not args_in:
        top.print_help()
        return 2
    args = top.parse_args(args_in)
    if args.command is None or args.command not in available:
        top.print_help()
        return 2
    try:
        code: int = available[args.command].run(args, console)
    except SkyfenceError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
