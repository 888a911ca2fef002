"""The audit's human summary: incursions per zone and the worst episodes."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table

from skyfence.pipeline.audit import AuditStats
from skyfence.report.files import iso_times
from skyfence.zones.vertical import FT

__all__ = ["print_summary"]

WORST = 10


def _ft(m: float | None) -> str:
    return "-" if m is None else f"{m / FT:,.0f} ft"


def _dur(s: float | None) -> str:
    if s is None:
        return "still inside"
    m, sec = divmod(round(s), 60)
    return f"{m}m{sec:02d}s" if m else f"{sec}s"


def print_summary(table: pa.Table, stats: AuditStats, console: Console) -> None:
    """Print what an operator reads first: totals, per zone, then the worst episodes
    (deepest first, then longest)."""
    rate = stats.in_window / stats.elapsed_s if stats.elapsed_s > 0 else 0.0
    console.print(
        f"Audited [bold]{stats.in_window:,}[/] reports against [bold]{stats.zones:,}[/] zones "
        f"in {stats.elapsed_s:.2f} s ({rate:,.0f} reports/s): "
        f"[bold]{table.num_rows:,}[/] incursions"
        + (f", {stats.out_of_order:,} out-of-order reports skipped" if stats.out_of_order else ""),
        highlight=False,
    )
    if table.num_rows == 0:
        return
    per_zone = table.group_by(["zone_id", "zone_name"]).aggregate(
        [("target_id", "count"), ("target_id", "count_distinct"), ("exempt", "sum"),
         ("duration_s", "max")]
    ).sort_by([("target_id_count", "descending"), ("zone_id", "ascending")])
    t = Table(title="Incursions per zone")
    for col, just in (("zone", "left"), ("name", "left"), ("episodes", "right"),
                      ("targets", "right"), ("exempt", "right"), ("longest", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in per_zone.to_pylist():
        t.add_row(r["zone_id"], r["zone_name"], f"{r['target_id_count']:,}",
                  f"{r['target_id_count_distinct']:,}", f"{r['exempt_sum'] or 0:,}",
                  _dur(r["duration_s_max"]))
    console.print(t)
    flagged = table.filter(pc.invert(table.column("exempt")))
    worst = flagged.sort_by([("max_depth_m", "descending"), ("duration_s", "descending")])
    w = Table(title=f"Worst {min(WORST, worst.num_rows)} incursions (not exempt)")
    for col in ("target", "callsign", "zone", "entry (UTC)", "duration", "depth", "lowest"):
        w.add_column(col)
    for r in iso_times(worst.slice(0, WORST)).to_pylist():
        depth = "-" if r["max_depth_m"] is None else f"{r['max_depth_m']:,.0f} m"
        w.add_row(r["target_id"], r["callsign"] or "", r["zone_id"], r["entry_time"],
                  _dur(r["duration_s"]), depth, _ft(r["min_alt_m"]))
    console.print(w)
