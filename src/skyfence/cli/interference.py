"""``skyfence interference TRAFFIC... --out FILE [--cell-deg 1] [--window 1h]``"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from skyfence.errors import ConfigError, SkyfenceError

HELP = ("GNSS interference picture: per grid cell and time window, the share of aircraft "
        "reporting degraded NIC/NACp (low < 2 %, medium 2-10 %, high > 10 %), written as "
        "GeoJSON, Parquet or CSV.")

_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``"1h"``, ``"30min"``, ``"90s"``, ``"1d"`` or plain seconds, as seconds (> 0)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*", text)
    if m is None or float(m.group(1)) <= 0:
        raise ConfigError(f"--window: expected a positive duration such as 1h, 30min or "
                          f"600s, got {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("traffic", nargs="+", metavar="TRAFFIC",
                   help="traffic files with NIC/NACp (readsb traces, skyfence Parquet/JSONL)")
    p.add_argument("-o", "--out", required=True, metavar="FILE",
                   help="output: .geojson (one square per cell and window), .parquet or .csv")
    p.add_argument("--cell-deg", type=float, default=1.0, metavar="DEG",
                   help="grid cell size in degrees of latitude and longitude (default 1)")
    p.add_argument("--window", default="1h", metavar="DURATION",
                   help="time window, e.g. 1h, 30min, 1d (default 1h)")
    p.add_argument("--format", dest="fmt", metavar="NAME",
                   help="traffic format when it cannot be detected")


def run(args: argparse.Namespace, console: Console) -> int:
    from skyfence.readers import read_traffic
    from skyfence.track.interference import InterferenceAccumulator, write_geojson

    window_s = parse_duration(args.window)
    if not args.cell_deg > 0 or args.cell_deg > 90:
        raise ConfigError(f"--cell-deg must be in (0, 90], got {args.cell_deg}")
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".geojson", ".json", ".parquet", ".csv"):
        raise ConfigError(f"--out: unknown output type {suffix or '(none)'}: use .geojson, "
                          ".parquet or .csv")
    acc = InterferenceAccumulator(args.cell_deg, window_s)
    for path in args.traffic:
        for batch in read_traffic(path, fmt=args.fmt):
            acc.add(batch)
    table = acc.table()
    try:
        if suffix in (".geojson", ".json"):
            write_geojson(table, out)
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, out)
        else:
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, out)
    except OSError as exc:
        raise SkyfenceError(f"{out}: cannot write: {exc.strerror}") from None
    levels = table.column("level").to_pylist()
    counts = {k: levels.count(k) for k in ("high", "medium", "low")}
    console.print(
        f"wrote {table.num_rows} cell-windows to {escape(str(out))}: "
        f"{counts['high']} high, {counts['medium']} medium, {counts['low']} low, "
        f"{levels.count(None)} with too few aircraft", soft_wrap=True, highlight=False)
    if table.num_rows == 0:
        console.print("no positioned report carried NIC or NACp: nothing to map",
                      highlight=False)
    return 0
