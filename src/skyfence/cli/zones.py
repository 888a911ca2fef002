"""``skyfence zones validate | show | convert FILE...``"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skyfence.errors import SkyfenceError, ZoneFormatError
from skyfence.zones.registry import FORMATS, load_zones

HELP = "Validate, show or convert airspace zone files (GeoJSON, OpenAir, NOTAM, ED-269, FIR)."


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fmt_help = f"input format (default: detected): {', '.join(FORMATS)}"
    v = sub.add_parser("validate", help="check files and report every problem found",
                       description="Check zone files; report each problem with file, line or "
                       "feature, and field. Exit 1 if any file has a problem.")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--format", choices=list(FORMATS), help=fmt_help)
    s = sub.add_parser("show", help="print a table of the zones",
                       description="Print id, name, kind, floor, ceiling, area (km², "
                       "geodesic) and schedule of every zone.")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--format", choices=list(FORMATS), help=fmt_help)
    c = sub.add_parser("convert", help="write the zones as GeoJSON",
                       description="Read zones in any supported format and write GeoJSON.")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--format", choices=list(FORMATS), help=fmt_help)
    c.add_argument("-o", "--out", metavar="FILE", help="output file (default: standard output)")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.action == "validate":
        return _validate(args, console)
    try:
        zones = load_zones(args.files, args.format)
    except ZoneFormatError as exc:
        # printed here, escaped: a message such as "expected [start, end]" is not markup
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
        return 1
    if args.action == "show":
        table = Table(title=f"{len(zones)} zones", box=box.SIMPLE_HEAD, pad_edge=False,
                      collapse_padding=True)
        rows = [
            (z.id, z.name, z.kind.value, z.floor.label(), z.ceiling.label(),
             f"{z.area_km2:,.1f}", z.schedule.label())
            for z in zones
        ]
        # ids and areas are what people copy: full width for them, the others may wrap;
        # the schedule, the longest, goes last
        table.add_column("id", overflow="fold", min_width=min(40, max(
            (len(r[0]) for r in rows), default=2)))
        for col in ("name", "kind", "floor", "ceiling"):
            table.add_column(col, overflow="fold")
        table.add_column("area km²", justify="right", no_wrap=True,
                         min_width=max((len(r[5]) for r in rows), default=8))
        table.add_column("schedule", overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return 0
    from skyfence.zones.geojson import dumps

    text = dumps(zones)
    if args.out:
        try:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise SkyfenceError(f"{args.out}: cannot write: {exc.strerror}") from None
        console.print(f"wrote {len(zones)} zones to {escape(args.out)}", soft_wrap=True,
                      highlight=False)
    else:
        console.file.write(text + "\n")
    return 0


def _validate(args: argparse.Namespace, console: Console) -> int:
    bad = 0
    for f in args.files:
        try:
            zs = load_zones([f], args.format)
        except ZoneFormatError as exc:
            bad += 1
            # one line per file, never broken by rich: paths and fields stay copyable
            console.print(f"[red]✗[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]✓[/] {escape(f)}: {len(zs)} zones", highlight=False,
                          soft_wrap=True)
    return 1 if bad else 0
