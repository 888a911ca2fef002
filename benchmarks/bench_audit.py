"""Full-audit benchmark: skyfence's ``audit_batches`` (3-D membership, crossings of the
segment between consecutive reports, incursion episodes) against the ``traffic`` library's
per-flight ``Flight.intersects(airspace)`` and ``Flight.clip(shape)``, one core.

    python benchmarks/bench_audit.py [--reports N] [--quick] [--out PATH]

Three measurements:

1. **Audit throughput**: ``audit_batches`` over ``N`` reports already in memory as
   ``Reports`` tables of ``CHUNK_ROWS`` rows (the index built once beforehand and timed
   apart), zones (a) 58 FIRs and (b) 10,000 5 km airport circles near the traffic.
2. **From a file, and memory**: the corpus written to Parquet, then audited in a fresh
   process (``read_traffic(path, chunk_rows=CHUNK_ROWS)`` into ``audit_batches``), for two
   file sizes with the same chunk size; peak RSS from ``resource.getrusage`` in that process.
3. **traffic**: the base corpus (one replica) as a ``Traffic``, split into flights;
   per flight, for each zone whose bounding box meets the flight's (a prefilter any user
   would write), ``Flight.intersects(airspace)`` (3-D) and ``Flight.clip(polygon)`` (2-D), in
   flight order until a time budget is spent; points/s = reports of the flights done / time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common import (
    COLLECTIONS,
    N_AIRPORTS,
    RESULTS,
    Timing,
    airport_zones,
    base_reports,
    fir_zones,
    machine,
    md_dict,
    md_table,
    measure,
    mps,
    peak_rss,
    point_arrays,
    replicated,
    reset_peak,
    versions,
)
from skyfence.cli.audit import DEFAULT_CHUNK_ROWS
from skyfence.pipeline.audit import AUDIT_COLUMNS, audit_batches
from skyfence.runtime import keep_freed_memory
from skyfence.zones.index import ZoneIndex
from skyfence.zones.model import ZoneSet
from skyfence.zones.vertical import Datum

CHUNK_ROWS = 250_000
# the "what if" grid of the profile: ZoneIndex(max_cells=...) instead of the default 2 M
FINER_CELLS = 16_000_000
TARGET = 10e6
AUDIT_RUNS = 5  # timed runs of section 1 (the median is reported): the VM is shared
FT = 0.3048


# -- skyfence -----------------------------------------------------------------------------

def materialise(base: pa.Table, n: int, chunk_rows: int = CHUNK_ROWS) -> list[pa.Table]:
    """``n`` replicated reports as in-memory tables of ``chunk_rows`` rows."""
    return [t.combine_chunks() for t in replicated(base, n, chunk_rows)]


def _first(batches: list[pa.Table], n: int) -> Iterable[pa.Table]:
    done = 0
    for b in batches:
        if done >= n:
            return
        yield b.slice(0, n - done)
        done += b.num_rows


def audit_timing(batches: list[pa.Table], zones: ZoneSet, index: ZoneIndex, *,
                 calib_n: int, runs: int = 3, trim: bool = True) -> Timing:
    total = sum(b.num_rows for b in batches)
    return measure(lambda n: audit_batches(_first(batches, n), zones, index=index),
                   total, runs=runs, budget_s=1e9, calib_n=calib_n, trim=trim)


def episode_pairs(result: Any) -> set[tuple[str, str]]:
    """(ICAO address, zone id) of every incursion episode."""
    inc = result.incursions
    ids = inc.column("target_id").to_pylist()
    zs = inc.column("zone_id").to_pylist()
    return {(t.split(":", 1)[-1].split("~", 1)[0], z) for t, z in zip(ids, zs, strict=True)}


def profile_audit(batches: list[pa.Table], zones: ZoneSet, index: ZoneIndex, n: int,
                  top: int = 8) -> list[tuple[str, float, float]]:
    """cProfile of ``audit_batches`` over the first ``n`` reports: the ``top`` functions by
    own time, as (function, seconds, share of the total)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    audit_batches(_first(batches, n), zones, index=index)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt  # type: ignore[attr-defined]
    rows = []
    for (path, line, func), (_cc, _nc, tt, _ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        short = path.split("/src/")[-1].split("site-packages/")[-1]
        rows.append((f"{short}:{line}({func})", tt, tt / total))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


# -- from a file, in a fresh process -------------------------------------------------------

def write_corpus(base: pa.Table, n: int, path: Path) -> None:
    with pq.ParquetWriter(path, base.schema) as w:
        for t in replicated(base, n, CHUNK_ROWS):
            w.write_table(t, row_group_size=CHUNK_ROWS)


def child(path: str, chunk_rows: int) -> dict[str, Any]:
    """The measurement run in a fresh process: FIR zones, index, then the file's audit."""
    from skyfence.readers import read_traffic

    keep_freed_memory()  # as `skyfence audit` does
    zones = fir_zones()
    index = ZoneIndex(zones)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss0 = reset_peak()  # from here VmHWM is the audit's own peak
    t0 = time.perf_counter()
    res = audit_batches(read_traffic(path, chunk_rows=chunk_rows, columns=AUDIT_COLUMNS),
                        zones, index=index)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"reports": res.stats.reports, "elapsed_s": elapsed, "episodes":
            res.incursions.num_rows, "peak_rss": peak, "rss_before_audit": before,
            "rss_at_start": rss0, "audit_peak": peak_rss()}


def run_child(path: Path, chunk_rows: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--chunk-rows", str(chunk_rows)],
        capture_output=True, text=True, check=True, env=os.environ.copy(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- traffic ------------------------------------------------------------------------------

def _fl(limit: Any, ground_m: float | None) -> float:
    """A skyfence vertical limit as traffic's flight level (ft / 100, compared with the
    barometric altitude); surface is below any altitude, unlimited above."""
    if limit.datum is Datum.SFC:
        return -100.0
    if limit.datum is Datum.UNL or not np.isfinite(limit.value_m):
        return 1000.0
    ground = (ground_m or 0.0) if limit.datum is Datum.AGL else 0.0
    return (limit.value_m + ground) / FT / 100.0


def traffic_airspaces(zones: ZoneSet) -> list[Any]:
    from traffic.core.airspace import Airspace, ExtrudedPolygon

    out = []
    for z in zones:
        geom = z.geometry
        parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
        lo = _fl(z.floor, z.ground_elevation_m)
        hi = _fl(z.ceiling, z.ground_elevation_m)
        out.append(Airspace(z.id, [ExtrudedPolygon(p, lo, hi) for p in parts]))
    return out


def to_traffic(reports: pa.Table) -> Any:
    """The reports as a ``traffic.core.Traffic`` (traffic's column names and units)."""
    from traffic.core import Traffic

    ids = pc.utf8_slice_codeunits(reports.column("target_id"), 5)  # drop "icao:"
    df = pa.table({
        "timestamp": reports.column("time"),
        "icao24": ids,
        "callsign": pc.fill_null(reports.column("callsign"), ""),
        "latitude": reports.column("lat"),
        "longitude": reports.column("lon"),
        "altitude": pc.divide(reports.column("alt_baro_m"), FT),
        "groundspeed": pc.divide(reports.column("gs_mps"), 0.514444),
        "track": reports.column("track_deg"),
        "vertical_rate": pc.divide(reports.column("vrate_mps"), FT / 60.0),
    }).to_pandas()
    df = df[df["latitude"].notna() & df["longitude"].notna()]
    return Traffic(df)


def traffic_pass(flights: list[Any], fbounds: np.ndarray, zones: ZoneSet, airspaces: list[Any],
                 method: str, budget_s: float) -> dict[str, Any]:
    """``method`` ("intersects" or "clip") over flights in order until ``budget_s``."""
    zb = np.array([z.geometry.bounds for z in zones])
    hits: set[tuple[str, str]] = set()
    points = tests = done = point_tests = 0
    t0 = time.perf_counter()
    for f, (x0, y0, x1, y1) in zip(flights, fbounds, strict=True):
        cand = np.flatnonzero((zb[:, 0] <= x1) & (zb[:, 2] >= x0)
                              & (zb[:, 1] <= y1) & (zb[:, 3] >= y0))
        for k in cand:
            if method == "intersects":
                hit = f.intersects(airspaces[k])
            else:
                hit = f.clip(zones[int(k)].geometry) is not None
            tests += 1
            point_tests += len(f)
            if hit:
                hits.add((f.icao24, zones[int(k)].id))
        points += len(f)
        done += 1
        if time.perf_counter() - t0 > budget_s:
            break
    elapsed = time.perf_counter() - t0
    return {"method": method, "flights": done, "of": len(flights), "points": points,
            "tests": tests, "point_tests": point_tests, "elapsed_s": elapsed,
            "rate": points / elapsed, "hits": hits,
            "icao_done": {f.icao24 for f in flights[:done]}}


def traffic_peer(base: pa.Table, zone_sets: list[tuple[str, ZoneSet]], budget_s: float,
                 log: Callable[[str], None]) -> dict[str, Any]:
    import importlib.util

    if importlib.util.find_spec("traffic") is None:
        return {"skipped": "traffic not installed"}
    t0 = time.perf_counter()
    tr = to_traffic(base)
    convert = time.perf_counter() - t0
    t0 = time.perf_counter()
    flights = list(tr)
    split = time.perf_counter() - t0
    fb = np.array([[f.data.longitude.min(), f.data.latitude.min(), f.data.longitude.max(),
                    f.data.latitude.max()] for f in flights])
    out: dict[str, Any] = {"convert_s": convert, "split_s": split, "flights": len(flights),
                           "points": sum(len(f) for f in flights), "sets": {}}
    log(f"traffic: {len(flights)} flights, conversion {convert:.1f} s, split {split:.1f} s")
    for name, zones in zone_sets:
        air = traffic_airspaces(zones)
        per = {}
        for method in ("intersects", "clip"):
            traffic_pass(flights[:10], fb[:10], zones, air, method, budget_s / 10)  # warm-up
            r = traffic_pass(flights, fb, zones, air, method, budget_s)
            log(f"  {name} {method}: {mps(r['rate'])} over {r['flights']}/{r['of']} "
                f"flights in {r['elapsed_s']:.1f} s")
            per[method] = r
        out["sets"][name] = per
    return out


# -- the run ------------------------------------------------------------------------------

def run(n_reports: int, quick: bool, *, file_sizes: tuple[int, int] | None = None,
        traffic_budget_s: float | None = None, collections: Sequence[str] = COLLECTIONS,
        n_airports: int = N_AIRPORTS, log: Callable[[str], None] = print,
        workdir: Path | None = None) -> dict[str, Any]:
    t_start = time.perf_counter()
    info: dict[str, Any] = {"versions": versions(), "machine": machine(), "quick": quick,
                            "n": n_reports}
    base = base_reports(collections)
    info["base_rows"] = base.num_rows
    lat, lon = point_arrays(base, len(base))
    zone_sets = [("FIRs", fir_zones()), ("airports near traffic",
                                         airport_zones("near", lat, lon, n_airports))]
    t0 = time.perf_counter()
    batches = materialise(base, n_reports)
    info["materialise_s"] = time.perf_counter() - t0
    info["corpus_bytes"] = sum(b.nbytes for b in batches)
    calib = 250_000 if quick else 1_000_000
    info["audit"] = []
    ours_pairs = {}
    # first as a library call with the defaults (tables of CHUNK_ROWS, the allocator's
    # defaults), then as `skyfence audit` runs (keep_freed_memory, which is process-wide and
    # cannot be undone, and batches of its default --chunk-rows, each the reader's tables
    # concatenated as read_traffic regroups them)
    indexes, defaults = [], []
    for name, zones in zone_sets:
        t0 = time.perf_counter()
        index = ZoneIndex(zones)
        indexes.append((index, time.perf_counter() - t0))
        td = audit_timing(batches, zones, index, calib_n=calib, runs=AUDIT_RUNS)
        defaults.append((td, td.result.incursions.num_rows))
        td.result = None
        log(f"audit {name}, library defaults: {mps(td.rate)} ({td.spread})")
    info["kept"] = keep_freed_memory()
    per = max(1, DEFAULT_CHUNK_ROWS // CHUNK_ROWS)
    info["cli_chunk_rows"] = per * CHUNK_ROWS
    cli_batches = [pa.concat_tables(batches[i:i + per]) for i in range(0, len(batches), per)]
    for (name, zones), (index, build), (td, td_episodes) in zip(zone_sets, indexes, defaults,
                                                                 strict=True):
        t = audit_timing(cli_batches, zones, index, calib_n=calib, runs=AUDIT_RUNS,
                         trim=False)
        stats = t.result.stats
        log(f"audit {name}: {mps(t.rate)} ({t.spread}), {t.result.incursions.num_rows:,} "
            f"episodes")
        # agreement with traffic is on the base corpus (replica 0)
        ours_pairs[name] = episode_pairs(audit_batches(_first(batches, len(base)), zones,
                                                       index=index))
        entry = {"name": name, "zones": len(zones), "build_s": build, "timing": t,
                 "timing_defaults": td, "episodes_defaults": td_episodes,
                 "episodes": t.result.incursions.num_rows,
                 "out_of_order": stats.out_of_order}
        t.result = None
        entry["profile"] = profile_audit(batches, zones, index, min(n_reports, 2_000_000))
        if all(z.circle is not None for z in zones):
            fine = ZoneIndex(zones, max_cells=FINER_CELLS)
            tf = audit_timing(batches, zones, fine, calib_n=calib)
            entry["finer"] = tf
            entry["finer_same"] = tf.result.incursions.equals(
                audit_batches(_first(batches, tf.n), zones, index=index).incursions)
            tf.result = None
            log(f"  with ZoneIndex(max_cells={FINER_CELLS:,}): {mps(tf.rate)}")
        info["audit"].append(entry)
    del batches
    # from a file, in fresh processes: throughput including reading, and peak memory
    sizes = file_sizes or ((250_000, 1_000_000) if quick else (2_500_000, n_reports))
    info["file_runs"] = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for n in sizes:
            path = Path(tmp) / f"corpus_{n}.parquet"
            write_corpus(base, n, path)
            r = run_child(path, CHUNK_ROWS)
            r["file_bytes"] = path.stat().st_size
            info["file_runs"].append(r)
            log(f"file {n:,} reports: {mps(r['reports'] / r['elapsed_s'])}, peak RSS "
                f"{r['peak_rss'] / 2**20:,.0f} MiB")
            path.unlink()
    budget = traffic_budget_s if traffic_budget_s is not None else (5.0 if quick else 40.0)
    info["traffic"] = traffic_peer(base, zone_sets, budget, log)
    info["ours_pairs"] = ours_pairs
    info["total_s"] = time.perf_counter() - t_start
    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return info


def _agree(ours: set[tuple[str, str]], r: dict[str, Any]) -> str:
    done = r["icao_done"]
    a = {p for p in ours if p[0] in done}
    b = r["hits"]
    return (f"{len(b):,} (aircraft, zone) pairs vs our {len(a):,}: {len(a & b):,} common, "
            f"{len(a - b):,} only ours, {len(b - a):,} only traffic")


def report(info: dict[str, Any]) -> str:
    mib = 2**20
    out = ["# Full-audit benchmark", "",
           "Generated by `python benchmarks/bench_audit.py"
           + (" --quick" if info["quick"] else "") + f"` ({info['n']:,} reports, "
           f"{info['total_s']:.0f} s in all). One core: the process and its children pinned to "
           "one CPU, `NUMBA_NUM_THREADS=1`, `OMP_NUM_THREADS=1`.", "",
           "## Machine", "", md_dict({**info["machine"],
                                      "load average at end": info["load_end"]}), "",
           "## Versions", "", md_dict(info["versions"]), "",
           "## Corpus", "",
           f"The three real recordings of the `traffic` package (quickstart, switzerland, "
           f"savan: {info['base_rows']:,} reports), read with "
           "`skyfence.readers.read_traffic`, each sorted by time and concatenated, then "
           f"replicated to {info['n']:,} reports: replica k has every time shifted by "
           "k x 40 days and every `target_id` suffixed with `~k` (distinct targets, each in "
           "time order; same tracks). In memory: "
           f"{info['corpus_bytes'] / mib:,.0f} MiB of Arrow tables of {CHUNK_ROWS:,} rows "
           f"(built in {info['materialise_s']:.1f} s, not timed).", "",
           "Zones: (a) the 58 European FIRs of `traffic`'s `eurofirs.json` (floors and "
           "ceilings as given); (b) 5 km circles, SFC to 1,500 ft AGL, around the 10,000 "
           "`airportsdata` airports nearest to the traffic (see zones.md).", "",
           "## 1. Audit throughput (reports in memory)", "",
           "`audit_batches(batches, zones, index=index)`: warm-up on the first "
           + ("250,000" if info["quick"] else "1,000,000")
           + " reports (it also builds the per-zone depth structures that are kept with "
           "the index, as the index itself is built beforehand), then the median of "
           f"{AUDIT_RUNS} runs "
           "over all of them. Peak memory as in zones.md (VmHWM above the RSS before the "
           "run). Each zone set is measured twice in the same process. First as a library "
           f"call with the defaults: the tables of {CHUNK_ROWS:,} rows, the C allocator's "
           "defaults. Then as `skyfence audit` runs it: after "
           "`skyfence.runtime.keep_freed_memory()` "
           + ("(applied" if info.get("kept") else "(**not applied** on this system")
           + ": glibc keeps the memory freed by one batch for the next instead of returning "
           "it to the system, which costs page faults on every batch), in batches of the "
           f"command's default `--chunk-rows` ({info.get('cli_chunk_rows', 0):,}: "
           f"{info.get('cli_chunk_rows', 0) // CHUNK_ROWS} tables concatenated, as "
           "`read_traffic` regroups what a reader yields), its timed runs following one "
           "another as the batches of one long audit do (the library call's runs start "
           "after `malloc_trim`, which would hand back what `keep_freed_memory` keeps; "
           "so the memory column is the library call's, and section 2 gives the whole "
           "process's RSS as the command runs). The target is judged on the command's. "
           "Episode counts differ with the batch size because two aircraft of "
           "the corpus appear in two recordings three years apart: their later reports "
           "come out of order, which the audit counts and skips (docs/detection.md).", ""]
    rows = []
    for a in info["audit"]:
        t, td = a["timing"], a["timing_defaults"]
        verdict = "met" if t.rate >= TARGET else "**missed**"
        rows.append([a["name"], f"{a['zones']:,}", f"{a['build_s']:.2f} s", f"{t.n:,}",
                     f"{t.median:.2f} s ({t.spread})", f"**{mps(t.rate)}**",
                     f"{mps(td.rate)} ({td.median:.2f} s, {td.spread}; "
                     f"{a['episodes_defaults']:,} episodes)",
                     f"{td.peak_extra / mib:,.0f} MiB", f"{a['episodes']:,}",
                     f"{verdict} ({mps(TARGET)})"])
    out += [md_table(["zones", "n", "index build", "reports", "median (range)",
                      "reports/s (`skyfence audit`)", "library call, defaults",
                      "peak extra memory (library call)",
                      "episodes", "target"], rows), ""]
    for a in info["audit"]:
        f = a.get("finer")
        if f is not None:
            out += [f"What a finer grid would give on {a['name']} "
                    f"(`ZoneIndex(zones, max_cells={FINER_CELLS:,})`, not the default; "
                    f"nothing changed in skyfence): **{mps(f.rate)}** ({f.median:.2f} s, "
                    f"{f.spread}), episodes identical to the default grid's: "
                    f"{'yes' if a['finer_same'] else '**no**'}.", ""]
    out += ["Where the time goes: `cProfile` of one `audit_batches` over the first "
            f"{min(info['n'], 2_000_000):,} reports (profiling slows it; shares are what "
            "matter), the functions with the most own time:", ""]
    rows = []
    for a in info["audit"]:
        for func, tt, share in a.get("profile", []):
            rows.append([a["name"], f"`{func}`", f"{tt:.3f} s", f"{share:.0%}"])
    out += [md_table(["zones", "function", "own time", "share"], rows), ""]
    out += ["## 2. From a Parquet file, in a fresh process: throughput and memory", "",
            f"The corpus written to Parquet (row groups of {CHUNK_ROWS:,}), then "
            f"`audit_batches(read_traffic(path, chunk_rows={CHUNK_ROWS:,}, "
            "columns=AUDIT_COLUMNS), firs)` in a new Python process (only the columns the "
            "audit reads are decoded; `keep_freed_memory()` first, as `skyfence audit`); "
            "one run each. Memory: the whole process's peak RSS "
            "(`resource.getrusage(RUSAGE_SELF).ru_maxrss`: interpreter, libraries, zones, "
            "index build included) after building the index and at the end; and the audit's "
            "own peak: the RSS when the audit starts (index built) and the peak RSS during "
            "the audit (`VmHWM` reset through `/proc/self/clear_refs` at its start).", ""]
    rows = []
    for r in info["file_runs"]:
        rows.append([f"{r['reports']:,}", f"{r['file_bytes'] / mib:,.0f} MiB",
                     f"{r['elapsed_s']:.1f} s", mps(r["reports"] / r["elapsed_s"]),
                     f"{r['rss_before_audit'] / mib:,.0f} MiB", f"{r['peak_rss'] / mib:,.0f} MiB",
                     f"{r['rss_at_start'] / mib:,.0f} MiB", f"{r['audit_peak'] / mib:,.0f} MiB",
                     f"{r['episodes']:,}"])
    out += [md_table(["reports", "file", "time", "reports/s (read + audit)",
                      "process peak after index build", "process peak at end",
                      "RSS at audit start", "peak RSS during audit", "episodes"], rows), ""]
    fr = info["file_runs"]
    if len(fr) == 2:
        grow = (fr[1]["audit_peak"] - fr[0]["audit_peak"]) / mib
        ratio = fr[1]["reports"] / fr[0]["reports"]
        out += [f"{ratio:.0f}x the reports, same chunk size: the peak RSS during the audit "
                f"changes by {grow:+,.0f} MiB (from {fr[0]['audit_peak'] / mib:,.0f} to "
                f"{fr[1]['audit_peak'] / mib:,.0f} MiB).", ""]
    tr = info["traffic"]
    out += ["## 3. traffic, per flight", ""]
    if "skipped" in tr:
        out += [f"Skipped: {tr['skipped']}.", ""]
    else:
        out += [f"The base corpus (one replica, {tr['points']:,} positioned reports) as a "
                f"`Traffic` (conversion {tr['convert_s']:.1f} s), split into "
                f"{tr['flights']:,} flights by `Traffic.__iter__` ({tr['split_s']:.1f} s); "
                "neither is in the rates below. Per flight, each zone whose bounding box "
                "meets the flight's: `flight.intersects(airspace)` (3-D: the zone as an "
                "`Airspace` of `ExtrudedPolygon`s, floors and ceilings as flight levels) or "
                "`flight.clip(polygon)` (2-D). Flights in order until the time budget is "
                "spent, after a warm-up on 10 flights; points/s = reports of the flights "
                "done / elapsed. Agreement: (aircraft, zone) pairs that `intersects` finds "
                "vs skyfence's incursion episodes on the same base corpus, for the aircraft "
                "traffic got through (`intersects` joins reports across gaps that skyfence "
                "does not bridge (> 60 s), and only looks at the vertices' altitudes).", ""]
        rows = []
        for name, per in tr["sets"].items():
            for method, r in per.items():
                agree = _agree(info["ours_pairs"][name], r) if method == "intersects" else (
                    f"{len(r['hits']):,} (aircraft, zone) pairs clipped (2-D)")
                rows.append([name, f"`Flight.{method}`", f"{r['flights']:,} / {r['of']:,}",
                             f"{r['points']:,}", f"{r['tests']:,}", f"{r['elapsed_s']:.1f} s",
                             f"**{r['rate'] / 1e6:.3g} M points/s**",
                             f"{r['point_tests'] / r['elapsed_s'] / 1e6:.3g} M/s", agree])
        out += [md_table(["zones", "method", "flights done", "points", "(flight, zone) "
                          "tests", "time", "rate", "point x zone tests/s", "agreement"], rows),
                "", "'rate' counts each report once, as skyfence's reports/s does; "
                "'point x zone tests/s' counts it once per candidate zone of its flight.", ""]
        ours = {a["name"]: a["timing"].rate for a in info["audit"]}
        out += ["skyfence on the same zones (section 1): "
                + ", ".join(f"{k} {mps(v)}" for k, v in ours.items()) + ".", ""]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=None,
                    help="reports (default 10,000,000; 1,000,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run, ~1 M reports")
    ap.add_argument("--out", type=Path, default=RESULTS / "audit.md")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    # one core: the process (and the child processes it starts) pinned to one CPU
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.child:
        print(json.dumps(child(args.child, args.chunk_rows)))
        return 0
    n = args.reports or (1_000_000 if args.quick else 10_000_000)
    info = run(n, args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(info), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
