"""Sustained throughput and latency of the whole live pipeline.

A real recording (the built-in Paris sample, 213 aircraft over 3 hours) is replicated into
``--copies`` fleets with distinct addresses and fed to ``LiveService`` at rising rates
(reports per second, wall clock) by an in-process source; every micro-batch runs decode-free
ingest -> integrity -> detect (with predicted entries) -> alerts -> air picture on the
processing thread, then SQLite transactions (events, alert changes, outbox rows; one per
group of batches processed while the previous commit ran) on the writer thread. The service
runs with its default batching (``LiveConfig()``, as ``skyfence serve``). Per rate we report
the reports/s actually processed, the latency from a batch's receipt to the return of the
commit (fsync) that made its events and alerts durable (p50, p99), and where a batch's time
went (mean milliseconds per stage, from the service's own ``skyfence_stage_seconds``). The
pipeline keeps up with a rate when its processed rate matches the offered rate and p99
stays bounded.

The whole process is pinned to one CPU (``--cpu``, default the first one it may use): the
target is one core, and the processing, writer and event-loop threads share it. Each rate
runs ``--repeats`` times; the table shows the run with the median p99 and the range of p99
over the runs.

    python benchmarks/bench_live.py [--rates 20000,50000,100000,200000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from skyfence import __version__
from skyfence.ingest.base import Batch
from skyfence.pipeline.live import LiveConfig, LiveService
from skyfence.zones import load_zones

SAMPLE = resources.files("skyfence") / "data" / "sample"


def corpus(copies: int) -> pa.Table:
    base = pq.read_table(Path(str(SAMPLE / "paris_traffic.parquet")))
    parts = []
    for k in range(copies):
        ids = pc.binary_join_element_wise(base.column("target_id"), pa.scalar(f"{k:x}"), "")
        parts.append(base.set_column(base.schema.get_field_index("target_id"), "target_id",
                                     ids))
    table = pa.concat_tables(parts)
    return table.take(pc.sort_indices(table, [("time", "ascending")]))


class PacedSource:
    """Offers ``rate`` reports per wall-clock second in slices every ``tick_s``."""

    def __init__(self, table: pa.Table, rate: float, seconds: float, tick_s: float = 0.01):
        self.table, self.rate, self.seconds, self.tick_s = table, rate, seconds, tick_s
        self.offered = 0

    async def batches(self) -> AsyncIterator[Batch]:
        start = time.monotonic()
        pos = 0
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= self.seconds or pos >= self.table.num_rows:
                return
            due = int(self.rate * elapsed)
            if due > self.offered:
                n = min(due - self.offered, self.table.num_rows - pos)
                yield self.table.slice(pos, n)
                pos += n
                self.offered += n
            await asyncio.sleep(self.tick_s)


def run_rate(table: pa.Table, zones_path: Path, rate: float, seconds: float,
             with_store: bool, alert_refresh_s: float | None = None) -> dict[str, float]:
    zones = load_zones([zones_path])
    recorder = None
    tmp = tempfile.TemporaryDirectory()
    if with_store:
        from skyfence.store import open_store

        recorder = open_store(None, Path(tmp.name))
    config = LiveConfig() if alert_refresh_s is None else LiveConfig(
        alert_refresh_s=alert_refresh_s)
    service = LiveService(zones, recorder=recorder, sinks=["bench"], config=config)
    source = PacedSource(table, rate, seconds)
    start = time.monotonic()
    asyncio.run(service.run([source], until_sources_end=True))
    wall = time.monotonic() - start
    lat = sorted(service.latencies)
    processed = service.metrics.reports_in._value.get()
    stages = stage_means(service)
    if recorder is not None:
        recorder.close()
    tmp.cleanup()
    return {
        "offered_rps": rate,
        "processed_rps": processed / wall,
        "reports": processed,
        "p50_ms": 1e3 * lat[len(lat) // 2] if lat else float("nan"),
        "p99_ms": 1e3 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
        "batches": service.metrics.batches._value.get(),
        "alert_rows": service.metrics.alert_writes._value.get(),
        **stages,
    }


STAGES = ("integrity", "detect", "alerts", "tracks", "commit")


def stage_means(service: LiveService) -> dict[str, float]:
    """Mean ms per batch of each stage (commit: per commit) and batches per commit."""
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for metric in service.metrics.stage_seconds.collect():
        for sample in metric.samples:
            stage = sample.labels.get("stage", "")
            if sample.name.endswith("_sum"):
                sums[stage] = sample.value
            elif sample.name.endswith("_count"):
                counts[stage] = sample.value
    out = {f"{k}_ms": 1e3 * sums.get(k, 0.0) / counts[k] if counts.get(k) else float("nan")
           for k in STAGES}
    group = {s.name: s.value for m in service.metrics.commit_batches.collect()
             for s in m.samples}
    n = group.get("skyfence_commit_batches_count", 0.0)
    out["per_commit"] = group.get("skyfence_commit_batches_sum", 0.0) / n if n else float("nan")
    return out


def _ms(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", default="20000,50000,100000,200000,400000,800000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)),
                    help="the CPU the process is pinned to")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--copies", type=int, default=40)
    ap.add_argument("--no-store", action="store_true", help="no database (pipeline only)")
    ap.add_argument("--alert-refresh-s", type=float, default=None,
                    help="the service's alert_refresh_s (default: LiveConfig's)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "live.md")
    args = ap.parse_args(argv)
    os.sched_setaffinity(0, {args.cpu})  # before any thread starts: they inherit it
    load_before = os.getloadavg()[0]
    table = corpus(args.copies)
    zones_path = Path(str(SAMPLE / "paris_zones.geojson"))
    rows = []
    modes = [False] if args.no_store else [True, False]
    for with_store in modes:
        for rate in (float(r) for r in args.rates.split(",")):
            runs = sorted((run_rate(table, zones_path, rate, args.seconds, with_store,
                                    args.alert_refresh_s) for _ in range(args.repeats)),
                          key=lambda r: r["p99_ms"])
            r = runs[len(runs) // 2]
            r["p99_range"] = f"{runs[0]['p99_ms']:.1f}-{runs[-1]['p99_ms']:.1f}"
            r["store"] = with_store
            rows.append(r)
            print(f"{'store' if with_store else 'no store'}: offered "
                  f"{r['offered_rps']:>9,.0f}/s  processed {r['processed_rps']:>9,.0f}/s"
                  f"  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
                  + " ".join(f"{k} {r[f'{k}_ms']:.1f}" for k in STAGES)
                  + f"  alert rows {r['alert_rows']:,.0f}", flush=True)
    lines = [
        "# Live pipeline: sustained throughput and latency",
        "",
        f"skyfence {__version__}, Python {sys.version.split()[0]}, {platform.machine()}, "
        f"{os.cpu_count()} cores ({platform.processor() or 'cpu'}), one process pinned to "
        f"CPU {args.cpu} (all its threads share that one core), numba 1 thread.",
        "",
        f"Corpus: the built-in Paris recording replicated {args.copies}x with distinct "
        f"addresses ({table.num_rows:,} reports), 26 aerodrome zones; each rate offered for "
        f"{args.seconds:g} s by an in-process paced source; with the SQLite store (WAL, "
        "synchronous=FULL: one fsync per commit) as recorder, and without a store "
        "(the pipeline alone). Service defaults: batches are whatever is queued when the "
        "processor is free (at most 50,000 reports), commits group the batches processed "
        "meanwhile.",
        "Latency: from a batch's receipt by the service to the return of the commit (fsync) "
        "of its events and alerts. Stage columns: mean ms per batch on the processing "
        "thread; commit: mean ms per commit on the writer thread (batches per commit in "
        "the last column). Each rate ran "
        f"{args.repeats} times; the row is the run with the median p99, 'p99 range' the "
        "lowest and highest p99 of the runs.",
        "",
        f"Load average (1 min) at the start: {load_before:.2f}, at the end: "
        f"{os.getloadavg()[0]:.2f}.",
        "",
        "| recorder | offered reports/s | processed reports/s | p50 ms | p99 ms | p99 range "
        "| batches | integrity | detect | alerts | tracks | commit | batches/commit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {'SQLite' if r['store'] else 'none'} | {r['offered_rps']:,.0f} | "
        f"{r['processed_rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
        f"{r['p99_range']} | {r['batches']:,.0f} | "
        + " | ".join(_ms(r[f"{k}_ms"]) for k in STAGES)
        + (f" | {r['per_commit']:.2f} |" if r["store"] else " | - |") for r in rows
    ]
    lines.append("")
    for with_store in modes:
        mine = [r for r in rows if r["store"] == with_store]
        best = max((r for r in mine if r["p99_ms"] <= 100.0),
                   key=lambda r: r["processed_rps"], default=None)
        lines.append(
            f"{'With the SQLite store' if with_store else 'Without a store'}: highest processed "
            "rate with p99 <= 100 ms: "
            + (f"{best['processed_rps']:,.0f} reports/s" if best else "none of the rates")
            + f"; median p99 over rates {statistics.median(r['p99_ms'] for r in mine):.1f} ms.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")

    return 0


if __name__ == "__main__":
    sys.exit(main())
