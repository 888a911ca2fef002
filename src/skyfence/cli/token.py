"""``skyfence token create | list | revoke``: API tokens, managed on the database directly
(the first admin token has to come from somewhere: this is where).

``create`` prints the token and nothing else on standard output, so that
``TOKEN=$(skyfence token create --name ops --role operator)`` works; it is shown once (only
its SHA-256 is stored).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skyfence.settings import load_settings

HELP = "Create, list or revoke API tokens (roles: viewer, operator, admin)."

ROLES = ("viewer", "operator", "admin")
# who the audit log names for changes made here
CLI_USER = "cli"


def _where(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, metavar="DIR",
                   help="data directory of the SQLite database (default: $SKYFENCE_DATA_DIR "
                   "or ./skyfence-data)")
    p.add_argument("--db", metavar="URL", help="database URL, e.g. postgresql://host/skyfence "
                   "(default: $SKYFENCE_DB, else SQLite in the data directory)")


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = sub.add_parser("create", help="create a token and print it (shown once)",
                       description="Create a token for NAME with ROLE and print it. Viewers "
                       "read; operators also acknowledge and close alerts and post reports; "
                       "admins also manage zones, tokens and sinks.")
    c.add_argument("--name", required=True, help="who or what uses the token (unique)")
    c.add_argument("--role", required=True, choices=ROLES)
    _where(c)
    ls = sub.add_parser("list", help="list token names and roles",
                        description="List the tokens' names, roles and creation (never the "
                        "tokens themselves).")
    _where(ls)
    r = sub.add_parser("revoke", help="revoke a token", description="Revoke the token NAME; "
                       "requests with it are refused from now on.")
    r.add_argument("--name", required=True)
    _where(r)


def run(args: argparse.Namespace, console: Console) -> int:
    from skyfence.store import open_store

    settings = load_settings(data_dir=args.data_dir, db=args.db)
    store = open_store(settings.db, settings.data_dir)
    try:
        if args.action == "create":
            token = store.create_token(args.name, args.role, CLI_USER)
            console.file.write(token + "\n")
        elif args.action == "revoke":
            store.revoke_token(args.name, CLI_USER)
            console.print(f"revoked the token {escape(args.name)!r}", highlight=False,
                          soft_wrap=True)
        else:
            table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
            for col in ("name", "role", "created", "by"):
                table.add_column(col, overflow="fold")
            for t in store.tokens():
                table.add_row(escape(t["name"]), t["role"],
                              t["created_at"].isoformat(timespec="seconds"),
                              escape(t["created_by"]))
            console.print(table)
    finally:
        store.close()
    return 0
