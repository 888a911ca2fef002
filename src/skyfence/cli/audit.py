"""``skyfence audit TRAFFIC... --zones ZONES... [--out FILE] [--from T] [--to T]``"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from skyfence.errors import ConfigError

if TYPE_CHECKING:
    from skyfence.pipeline.audit import AuditResult
    from skyfence.zones.model import ZoneSet

HELP = "Audit recorded traffic against zones: every incursion, with a summary and a file."

SAMPLE_TRAFFIC = "paris_traffic.parquet"
SAMPLE_ZONES = "paris_zones.geojson"

DEFAULT_CHUNK_ROWS = 1_000_000  # reports per batch unless --chunk-rows says otherwise


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("traffic", nargs="*", metavar="TRAFFIC",
                   help="traffic files: OpenSky CSV/Parquet, traffic JSON, readsb trace, JSONL")
    p.add_argument("--zones", nargs="+", metavar="ZONES", default=[],
                   help="zone files (GeoJSON, OpenAir, NOTAM, ED-269, FIR)")
    p.add_argument("--sample", action="store_true",
                   help="audit the built-in sample: real traffic around Paris on 2021-10-07 "
                   "against example zones around Paris-area aerodromes")
    p.add_argument("-o", "--out", metavar="FILE",
                   help="write one row per incursion episode (.csv, .parquet or .geojson)")
    p.add_argument("--from", dest="t_from", metavar="T", help="only reports at or after T "
                   "(ISO 8601, UTC if no offset)")
    p.add_argument("--to", dest="t_to", metavar="T", help="only reports before T")
    p.add_argument("--format", dest="fmt", metavar="NAME",
                   help="traffic format when it cannot be detected (csv, parquet, jsonl, "
                   "traffic-json, readsb, remoteid, plots, asterix)")
    p.add_argument("--columns", metavar="MAP", help="column mapping for other CSVs, "
                   "e.g. ts=time,hex=icao24,alt_ft=alt_baro_ft")
    p.add_argument("--max-gap", type=float, default=None, metavar="S",
                   help="split a target's track where reports are more than S seconds apart "
                   "(default 60)")
    p.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, metavar="N",
                   help="reports per batch (memory is bounded by zones + one batch)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--integrity", action="store_true",
                   help="check the reports' integrity first and add integrity, checks and "
                   "min_confidence columns (spoofed or implausible surveillance)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: in this process (default); dask: on a Dask cluster, "
                   "partitioned by target (same result; TRAFFIC may also be directories, "
                   "globs or fsspec URLs)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: the cluster's scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --engine dask and no --scheduler: start a local cluster of N "
                   "worker processes, one thread each (default: one per core)")


def sample_paths() -> tuple[Path, Path]:
    base = resources.files("skyfence") / "data" / "sample"
    return Path(str(base / SAMPLE_TRAFFIC)), Path(str(base / SAMPLE_ZONES))


def run(args: argparse.Namespace, console: Console) -> int:
    from skyfence.detect import MAX_GAP_S
    from skyfence.pipeline.audit import AUDIT_COLUMNS, audit_batches
    from skyfence.readers import ReadStats, parse_mapping, read_traffic
    from skyfence.runtime import keep_freed_memory
    from skyfence.zones.registry import load_zones
    from skyfence.zones.schedule import parse_utc

    if args.engine != "dask" and (args.scheduler or args.workers is not None):
        raise ConfigError("--scheduler and --workers need --engine dask")
    if args.engine == "dask" and args.integrity:
        raise ConfigError("--integrity runs with the local engine only")
    if args.scheduler and args.workers is not None:
        raise ConfigError("--workers starts a local cluster: not with --scheduler")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    raw_traffic = [str(t) for t in args.traffic]
    traffic = [Path(t) for t in args.traffic]
    zone_files = list(args.zones)
    if args.sample:
        t_path, z_path = sample_paths()
        traffic = traffic or [t_path]
        raw_traffic = raw_traffic or [str(t_path)]
        zone_files = zone_files or [str(z_path)]
    if not traffic:
        raise ConfigError("no traffic files given (or use --sample)")
    if not zone_files:
        raise ConfigError("no zone files given: --zones FILE...")
    try:
        t_from = parse_utc(args.t_from) if args.t_from else None
        t_to = parse_utc(args.t_to) if args.t_to else None
    except ValueError as exc:
        raise ConfigError(f"--from/--to: {exc}") from None
    mapping = parse_mapping(args.columns) if args.columns else None
    if args.out and Path(args.out).suffix.lower() not in (".csv", ".parquet", ".geojson"):
        raise ConfigError(f"--out {args.out}: expected a .csv, .parquet or .geojson file")
    zones = load_zones(zone_files)
    if args.engine == "dask":
        result = _run_dask(args, raw_traffic, zones, t_from, t_to, mapping, console)
        return _report(args, result, console)
    keep_freed_memory()  # batch memory reused from batch to batch (skyfence.runtime)
    stats = ReadStats()
    # the integrity checks read integrity fields and more; detection alone a dozen columns
    columns = None if args.integrity else AUDIT_COLUMNS

    def batches() -> Iterator[pa.Table]:
        for path in traffic:
            yield from read_traffic(path, fmt=args.fmt, mapping=mapping,
                                    chunk_rows=args.chunk_rows, stats=stats,
                                    columns=columns)

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,} reports"), TimeElapsedColumn(),
                  console=console, transient=True, disable=args.quiet) as progress:
        task = progress.add_task(f"auditing {len(traffic)} file(s)", total=None)
        result = audit_batches(
            batches(), zones, t_from=t_from, t_to=t_to,
            max_gap_s=args.max_gap if args.max_gap is not None else MAX_GAP_S,
            on_batch=lambda n: progress.advance(task, n), integrity=args.integrity,
        )
    return _report(args, result, console)


def _report(args: argparse.Namespace, result: AuditResult, console: Console) -> int:
    from skyfence.report import print_summary, write_incursions

    print_summary(result.incursions, result.stats, console)
    if args.out:
        write_incursions(result.incursions, args.out)
        console.print(f"wrote {result.incursions.num_rows:,} incursions to {args.out}",
                      highlight=False)
    return 0


def _run_dask(args: argparse.Namespace, traffic: list[str], zones: ZoneSet,
              t_from: datetime | None, t_to: datetime | None,
              mapping: Mapping[str, str] | None, console: Console) -> AuditResult:
    """``--engine dask``: on the scheduler given, or on a local cluster started here."""
    import os
    from contextlib import ExitStack

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--engine dask needs Dask: pip install 'skyfence[dask]'") from None

    from skyfence.detect import MAX_GAP_S
    from skyfence.pipeline.distributed import audit_dask

    with ExitStack() as stack:
        try:
            if args.scheduler:
                client = stack.enter_context(
                    Client(args.scheduler, timeout="20s"))  # type: ignore[no-untyped-call]
            else:
                cluster = stack.enter_context(LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=args.workers or os.cpu_count() or 1, threads_per_worker=1,
                    processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"))
                client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        except OSError as exc:
            where = args.scheduler or "a local cluster"
            raise ConfigError(f"--engine dask: cannot connect to {where}: {exc}") from None
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                      TextColumn("{task.fields[tasks]}"),
                      TimeElapsedColumn(), console=console, transient=True,
                      disable=args.quiet) as progress:
            task = progress.add_task(f"auditing {len(traffic)} input(s) on Dask", total=None,
                                     tasks="starting")
            return audit_dask(
                traffic, zones, client=client, t_from=t_from, t_to=t_to,
                max_gap_s=args.max_gap if args.max_gap is not None else MAX_GAP_S,
                fmt=args.fmt, mapping=mapping, chunk_rows=args.chunk_rows,
                progress=lambda done, total: progress.update(
                    task, completed=done, total=total, tasks=f"{done:,}/{total:,} tasks"),
            )
