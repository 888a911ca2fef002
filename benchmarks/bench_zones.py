"""Point-in-zone benchmark: skyfence's ``ZoneIndex.lookup`` against its peers, same points,
same zones, same run, one core.

    python benchmarks/bench_zones.py [--reports N] [--quick] [--out PATH]

Every engine answers the same question: all ``(point, zone)`` pairs with the point
horizontally inside the zone, from float64 lat/lon arrays, pairs returned to Python. The
timing of each engine includes whatever it must build per batch of points (shapely point
objects, a GeoDataFrame, an Arrow table of points), and excludes what is built once per
zone version (skyfence's grid, the peers' zone trees, prepared polygons, zone tables).

Peers (each skipped with a note when not installed): ``geopandas.sjoin`` (``within``);
shapely 2 ``STRtree.query`` (bounding boxes) then ``contains_xy`` on the candidate pairs;
shapely 2 per zone: numpy bounding-box prefilter then ``contains_xy`` on the prepared zone;
DuckDB spatial (``ST_Contains`` join, ``SET threads=1``); SedonaDB (``ST_Contains`` join,
``target_partitions = 1``). Zones (a) 58 European FIRs; (b) 10,000 5 km circles around
airports, near the traffic and world-wide. Peers see the circles as the 128+-gon that
skyfence stores with each circle; skyfence tests the true geodesic circle, so points
between a chord and the arc (at most 10 m inside the circle) are in for skyfence and out for
the peers: the agreement check says how many, and how far from the circle they are.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from common import (
    COLLECTIONS,
    N_AIRPORTS,
    RESULTS,
    Timing,
    airport_zones,
    base_reports,
    fir_zones,
    machine,
    mb,
    md_dict,
    md_table,
    measure,
    mps,
    point_arrays,
    versions,
)
from skyfence.zones.index import ZoneIndex
from skyfence.zones.kernels import circle_distances_m
from skyfence.zones.model import ZoneSet

# the "what if" grid of the profile: ZoneIndex(max_cells=...) instead of the default 2 M
FINER_CELLS = 16_000_000
TARGETS = {"FIRs": 15e6, "airports near traffic": 50e6, "airports world-wide": 50e6}

Pairs = tuple[np.ndarray, np.ndarray]
Engine = Callable[[np.ndarray, np.ndarray], Pairs]


# -- engines: each is built once per zone set, then called on (lat, lon) ------------------

def skyfence_engine(zones: ZoneSet) -> tuple[ZoneIndex, dict[str, float]]:
    t0 = time.perf_counter()
    index = ZoneIndex(zones)
    build = time.perf_counter() - t0
    return index, {"build_s": build, **index.stats()}


def _geoms(zones: ZoneSet) -> np.ndarray:
    return np.array([z.geometry for z in zones], dtype=object)


def strtree_engine(zones: ZoneSet) -> Engine:
    geoms = _geoms(zones)
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)

    def run(lat: np.ndarray, lon: np.ndarray) -> Pairs:
        pi, zi = tree.query(shapely.points(lon, lat))
        keep = shapely.contains_xy(geoms[zi], lon[pi], lat[pi])
        return pi[keep], zi[keep].astype(np.int32)

    return run


def bbox_engine(zones: ZoneSet) -> Engine:
    geoms = _geoms(zones)
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)

    def run(lat: np.ndarray, lon: np.ndarray) -> Pairs:
        ps, zs = [], []
        for k, (x0, y0, x1, y1) in enumerate(bounds):
            idx = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
            if len(idx):
                idx = idx[shapely.contains_xy(geoms[k], lon[idx], lat[idx])]
                ps.append(idx)
                zs.append(np.full(len(idx), k, np.int32))
        if not ps:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return np.concatenate(ps), np.concatenate(zs)

    return run


def geopandas_engine(zones: ZoneSet) -> Engine:
    import geopandas as gpd

    zdf = gpd.GeoDataFrame({"k": np.arange(len(zones))}, geometry=list(_geoms(zones)),
                           crs="EPSG:4326")
    zdf.sindex  # noqa: B018  (build the zones' tree once, as for the other engines)

    def run(lat: np.ndarray, lon: np.ndarray) -> Pairs:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        j = gpd.sjoin(pts, zdf, predicate="within", how="inner")
        return j.index.to_numpy(), j["k"].to_numpy().astype(np.int32)

    return run


def _zone_wkb(zones: ZoneSet) -> pa.Table:
    return pa.table({"k": np.arange(len(zones), dtype=np.int32),
                     "wkb": shapely.to_wkb(_geoms(zones))})


JOIN_SQL = ("SELECT p.i, z.k FROM pts p JOIN zones z "
            "ON ST_Contains(z.geom, ST_Point(p.lon, p.lat))")


def duckdb_engine(zones: ZoneSet) -> tuple[Engine, str]:
    import duckdb
    import duckdb_extension_spatial

    ext = next((Path(duckdb_extension_spatial.__file__).parent / "extensions")
               .glob("*/spatial.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"LOAD '{ext}'")
    con.execute("SET threads=1")
    zwkb = _zone_wkb(zones)
    con.register("zones_wkb", zwkb)
    con.execute("CREATE TABLE zones AS SELECT k, ST_GeomFromWKB(wkb) AS geom FROM zones_wkb")
    con.unregister("zones_wkb")
    tiny = pa.table({"i": np.arange(2), "lat": [48.0, 0.0], "lon": [2.0, 0.0]})
    con.register("pts", tiny)
    plan = "\n".join(str(r[1]) for r in con.execute("EXPLAIN " + JOIN_SQL).fetchall())
    con.unregister("pts")
    note = "EXPLAIN shows SPATIAL_JOIN" if "SPATIAL_JOIN" in plan else (
        "EXPLAIN does NOT show SPATIAL_JOIN")

    def run(lat: np.ndarray, lon: np.ndarray) -> Pairs:
        con.register("pts", pa.table({"i": np.arange(len(lat)), "lat": lat, "lon": lon}))
        t = con.execute(JOIN_SQL).to_arrow_table()
        con.unregister("pts")
        return (t.column("i").to_numpy(), t.column("k").to_numpy().astype(np.int32))

    run.con = con  # type: ignore[attr-defined]  (keep the connection alive)
    return run, note


def sedonadb_engine(zones: ZoneSet) -> Engine:
    import sedonadb

    sd = sedonadb.connect()
    sd.sql("SET datafusion.execution.target_partitions = 1").execute()
    sd.create_data_frame(_zone_wkb(zones)).to_view("zones_wkb")
    sd.sql("SELECT k, ST_GeomFromWKB(wkb) AS geom FROM zones_wkb").to_memtable() \
        .to_view("zones")

    def run(lat: np.ndarray, lon: np.ndarray) -> Pairs:
        sd.create_data_frame(pa.table({"i": np.arange(len(lat)), "lat": lat, "lon": lon})) \
            .to_view("pts", overwrite=True)
        t = sd.sql(JOIN_SQL).to_arrow_table()
        sd.drop_view("pts")
        return (t.column("i").to_numpy(), t.column("k").to_numpy().astype(np.int32))

    return run


# -- agreement ----------------------------------------------------------------------------

def _keys(p: np.ndarray, z: np.ndarray, nz: int) -> np.ndarray:
    return np.unique(p.astype(np.int64) * nz + z.astype(np.int64))


def boundary_distance_m(zones: ZoneSet, p: np.ndarray, z: np.ndarray, lat: np.ndarray,
                        lon: np.ndarray) -> np.ndarray:
    """How far each point ``p`` is from the edge of zone ``z``: geodesic metres from the
    true circle for circles, approximate metres from the polygon's boundary otherwise."""
    out = np.empty(len(p))
    for j, (pi, zi) in enumerate(zip(p, z, strict=True)):
        zone = zones[int(zi)]
        if zone.circle is not None:
            c = zone.circle
            d = circle_distances_m(c.lat, c.lon, lat[pi:pi + 1], lon[pi:pi + 1])[0]
            out[j] = abs(d - c.radius_m)
        else:
            deg = shapely.distance(zone.geometry.boundary, shapely.Point(lon[pi], lat[pi]))
            out[j] = deg * 111_195.0 * max(0.2, np.cos(np.radians(lat[pi])))
    return out


@dataclass
class Agreement:
    ours: int
    theirs: int
    only_ours: int
    only_theirs: int
    max_edge_m: float  # distance of the disagreeing points from the zone edge (sampled)

    def text(self) -> str:
        if self.only_ours == 0 and self.only_theirs == 0:
            return f"identical ({self.ours:,} pairs)"
        edge = f"; all within {self.max_edge_m:.3g} m of the edge" if self.max_edge_m >= 0 \
            else ""
        return (f"{self.theirs:,} vs our {self.ours:,}: {self.only_ours:,} only ours, "
                f"{self.only_theirs:,} only theirs{edge}")


def agreement(zones: ZoneSet, ours: Pairs, theirs: Pairs, n: int, lat: np.ndarray,
              lon: np.ndarray, sample: int = 2_000) -> Agreement:
    nz = max(1, len(zones))
    op, oz = ours
    keep = op < n
    a = _keys(op[keep], oz[keep], nz)
    b = _keys(theirs[0], theirs[1], nz)
    only_a = np.setdiff1d(a, b, assume_unique=True)
    only_b = np.setdiff1d(b, a, assume_unique=True)
    diff = np.concatenate([only_a[:sample], only_b[:sample]])
    dist = boundary_distance_m(zones, diff // nz, diff % nz, lat, lon) if len(diff) else (
        np.zeros(0))
    return Agreement(len(a), len(b), len(only_a), len(only_b),
                     float(dist.max()) if len(dist) else -1.0)


# -- where skyfence's time goes ------------------------------------------------------------

def _phase_kernels() -> Any:
    """Compiled probes (built on first use): a plain scan of the inputs, the grid cell lookup
    alone, and per-point counts of what ``lookup_points`` does."""
    from numba import njit

    from skyfence.zones.kernels import SUB_EDGE, subcell_state

    @njit
    def scan(lat: np.ndarray, lon: np.ndarray) -> float:
        s = 0.0
        for i in range(lat.shape[0]):
            s += lat[i] + lon[i]
        return s

    @njit
    def cells(lat: np.ndarray, lon: np.ndarray, grid: np.ndarray, nx: int, ny: int,
              cell_start: np.ndarray) -> int:
        lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
        s = 0
        for i in range(lat.shape[0]):
            fx = (lon[i] - lon0) / dlon
            fy = (lat[i] - lat0) / dlat
            if fx >= 0.0 and fy >= 0.0 and fx < nx and fy < ny:
                c = int(fy) * nx + int(fx)
                s += cell_start[c + 1] - cell_start[c]
        return s

    @njit
    def counts(lat: np.ndarray, lon: np.ndarray, grid: np.ndarray, nx: int, ny: int,
               cell_start: np.ndarray, ent_zone: np.ndarray, ent_state: np.ndarray,
               ent_edge_count: np.ndarray, circles: np.ndarray, ent_sub: np.ndarray
               ) -> np.ndarray:
        # entries seen, decided inside, circle tests, decided by sub-cell, polygon tests,
        # cells walked, edges
        out = np.zeros(7, np.int64)
        lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
        for i in range(lat.shape[0]):
            fx = (lon[i] - lon0) / dlon
            fy = (lat[i] - lat0) / dlat
            if not (fx >= 0.0 and fy >= 0.0 and fx < nx and fy < ny):
                continue
            iy = int(fy)
            for e in range(cell_start[iy * nx + int(fx)], cell_start[iy * nx + int(fx) + 1]):
                out[0] += 1
                z = ent_zone[e]
                if ent_state[e] == 1:
                    out[1] += 1
                elif circles[z, 2] > 0.0:
                    out[2] += 1
                elif subcell_state(ent_sub[e], fx, fy) != SUB_EDGE:
                    out[3] += 1
                else:
                    out[4] += 1
                    ix, ee = int(fx), e
                    while ee >= 0 and ent_state[ee] != 1:
                        out[5] += 1
                        out[6] += ent_edge_count[ee]
                        ix += 1
                        if ix >= nx:
                            break
                        ee = -1
                        for q in range(cell_start[iy * nx + ix], cell_start[iy * nx + ix + 1]):
                            if ent_zone[q] == z:
                                ee = q
                                break
        return out

    return scan, cells, counts


_PROBES: Any = None


def _best_median(fn: Callable[[], Any], runs: int = 3) -> tuple[float, float]:
    fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), float(np.median(ts))


def phases(zones: ZoneSet, index: ZoneIndex, lat: np.ndarray, lon: np.ndarray,
           finer_cells: int | None = None) -> dict[str, Any]:
    """Rates of the stages of a lookup (best and median of 3 after a warm-up), what each
    point costs, and (for ``finer_cells``) the same lookup on a finer grid."""
    from skyfence.zones.kernels import lookup_points

    global _PROBES
    if _PROBES is None:
        _PROBES = _phase_kernels()
    scan, cells, counts = _PROBES
    ka = index.kernel_args
    n = len(lat)
    cap = n + n // 2
    out_p, out_z = np.ones(cap, np.int64), np.ones(cap, np.int32)  # touched: reused buffers
    rows: dict[str, tuple[float, float]] = {
        "read lat/lon only (memory scan)": _best_median(lambda: scan(lat, lon)),
        "grid cell lookup only": _best_median(
            lambda: cells(lat, lon, ka.grid, ka.nx, ka.ny, ka.cell_start)),
        "lookup_points kernel into reused output buffers": _best_median(
            lambda: lookup_points(lat, lon, *ka, index.ent_sub, out_p, out_z)),
        "ZoneIndex.lookup (allocates its outputs)": _best_median(
            lambda: index.lookup(lat, lon)),
    }
    c = counts(lat, lon, ka.grid, ka.nx, ka.ny, ka.cell_start, ka.ent_zone, ka.ent_state,
               ka.ent_edge_count, ka.circles, index.ent_sub) / max(1, n)
    res: dict[str, Any] = {"rates": {k: (n / b, n / m) for k, (b, m) in rows.items()},
                           "per_point": dict(zip(
                               ["entries", "decided inside", "circle tests",
                                "decided by sub-cell", "polygon tests", "cells walked",
                                "edges tested"], c.tolist(), strict=True))}
    if finer_cells:
        t0 = time.perf_counter()
        fine = ZoneIndex(zones, max_cells=finer_cells)
        build = time.perf_counter() - t0
        mem = sum(a.nbytes for a in fine.kernel_args if isinstance(a, np.ndarray))
        mem += fine.ent_sub.nbytes
        b, m = _best_median(lambda: fine.lookup(lat, lon))
        fc = counts(lat, lon, *fine.kernel_args[:4], fine.ent_zone, fine.ent_state,
                    fine.ent_edge_count, fine.circles, fine.ent_sub)
        res["finer"] = {"max_cells": finer_cells, "cells": fine.grid.nx * fine.grid.ny,
                        "cell_deg": fine.grid.dlat, "build_s": build, "index_bytes": mem,
                        "rate": (n / b, n / m), "circle_tests": fc[2] / max(1, n),
                        "same_pairs": bool(len(fine.lookup(lat, lon)[0])
                                           == len(index.lookup(lat, lon)[0]))}
    res["index_bytes"] = (sum(a.nbytes for a in ka if isinstance(a, np.ndarray))
                          + index.ent_sub.nbytes)
    return res


# -- the run ------------------------------------------------------------------------------

@dataclass
class Row:
    engine: str
    timing: Timing | None = None
    note: str = ""
    agree: Agreement | None = None


@dataclass
class ZoneSetResult:
    name: str
    zones: int
    index: dict[str, float] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    phases: dict[str, Any] = field(default_factory=dict)


PEERS: list[tuple[str, Callable[[ZoneSet], Any], str]] = [
    ("shapely 2 STRtree.query + contains_xy", strtree_engine, "shapely"),
    ("shapely 2 bbox prefilter + prepared contains_xy, per zone", bbox_engine, "shapely"),
    ("geopandas.sjoin (within)", geopandas_engine, "geopandas"),
    ("DuckDB spatial (ST_Contains join)", duckdb_engine, "duckdb_extension_spatial"),
    ("SedonaDB (ST_Contains join)", sedonadb_engine, "sedonadb"),
]


def bench_zone_set(name: str, zones: ZoneSet, lat: np.ndarray, lon: np.ndarray, *,
                   budget_s: float, calib_n: int, peers: bool = True,
                   log: Callable[[str], None] = print) -> ZoneSetResult:
    """Time skyfence and each installed peer on ``zones`` and the points; check agreement."""
    import importlib.util

    res = ZoneSetResult(name, len(zones))
    index, res.index = skyfence_engine(zones)
    ours = measure(lambda n: index.lookup(lat[:n], lon[:n]), len(lat), budget_s=1e9,
                   calib_n=calib_n)
    res.rows.append(Row("skyfence ZoneIndex.lookup", ours))
    log(f"  skyfence: {mps(ours.rate)} ({ours.spread}), {len(ours.result[0]):,} pairs")
    circles = all(z.circle is not None for z in zones)
    res.phases = phases(zones, index, lat, lon, finer_cells=FINER_CELLS if circles else None)
    if not peers:
        return res
    for label, make, module in PEERS:
        if importlib.util.find_spec(module) is None:
            res.rows.append(Row(label, note=f"skipped: {module} not installed"))
            log(f"  {label}: skipped ({module} not installed)")
            continue
        built = make(zones)
        run, note = built if isinstance(built, tuple) else (built, "")
        t = measure(lambda n, run=run: run(lat[:n], lon[:n]), len(lat), budget_s=budget_s,
                    calib_n=calib_n)
        agree = agreement(zones, ours.result, t.result, t.n, lat, lon)
        t.result = None
        if t.n < len(lat):
            note = (note + "; " if note else "") + f"on the first {t.n:,} points (time budget)"
        res.rows.append(Row(label, t, note, agree))
        log(f"  {label}: {mps(t.rate)} ({t.spread}, n={t.n:,}); {agree.text()}")
        del run, built
    return res


def run(n_reports: int, quick: bool, peers: bool = True, *,
        collections: Sequence[str] = COLLECTIONS, n_airports: int = N_AIRPORTS,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """The whole benchmark; returns what the report is written from."""
    t_start = time.perf_counter()
    info: dict[str, Any] = {"versions": versions(), "machine": machine()}
    base = base_reports(collections)
    lat, lon = point_arrays(base, n_reports)
    info["base_rows"] = base.num_rows
    info["base_positioned"] = int(np.count_nonzero(np.isfinite(
        base.column("lat").to_numpy(zero_copy_only=False))))
    del base
    budget = 1.0 if quick else 6.0
    calib = 50_000 if quick else 200_000
    sets = [("FIRs", fir_zones())]
    t0 = time.perf_counter()
    sets.append(("airports near traffic", airport_zones("near", lat, lon, n_airports)))
    sets.append(("airports world-wide", airport_zones("world", count=n_airports)))
    info["zones_build_s"] = time.perf_counter() - t0
    results = []
    for name, zones in sets:
        log(f"{name} ({len(zones)} zones), {len(lat):,} points")
        results.append(bench_zone_set(name, zones, lat, lon, budget_s=budget, calib_n=calib,
                                      peers=peers, log=log))
    info["results"] = results
    info["n"] = len(lat)
    info["quick"] = quick
    info["total_s"] = time.perf_counter() - t_start
    info["load_end"] = " ".join(f"{x:.2f}" for x in __import__("os").getloadavg())
    return info


def report(info: dict[str, Any]) -> str:
    out = ["# Point-in-zone benchmark", "",
           "Generated by `python benchmarks/bench_zones.py"
           + (" --quick" if info["quick"] else "") + f"` ({info['n']:,} points, "
           f"{info['total_s']:.0f} s in all). One core: `NUMBA_NUM_THREADS=1`, "
           "`OMP_NUM_THREADS=1`, DuckDB `SET threads=1`, SedonaDB "
           "`SET datafusion.execution.target_partitions = 1`.", "",
           "## Machine", "", md_dict({**info["machine"],
                                      "load average at end": info["load_end"]}), "",
           "## Versions", "", md_dict(info["versions"]), "",
           "## Method", "",
           "- Question asked of every engine: all (point, zone) pairs with the point "
           "horizontally inside the zone, from float64 lat/lon numpy arrays, the pairs "
           "returned to Python as arrays.",
           "- Timed: building what each engine needs per batch of points (shapely points, "
           "GeoDataFrame, Arrow table) plus the query plus fetching the pairs. Not timed: "
           "what is built once per zone version (skyfence's grid, reported below; the peers' "
           "zone trees, prepared polygons and zone tables).",
           "- Each engine: a warm-up on the first 200,000 points (50,000 with `--quick`), "
           "then the median of 3 timed runs. A peer whose warm-up says one run would take "
           "more than 6 s (1 s with `--quick`) is timed on the first points that fit; the "
           "table says so. reports/s = points / median time.",
           "- Peak memory: the process's peak RSS (`VmHWM`, reset through "
           "`/proc/self/clear_refs` before each run) above its RSS before the run; inputs "
           "(the 16 bytes/point of lat/lon) are not counted, results are.",
           "- Agreement: the exact sets of (point, zone) pairs compared; for up to 2,000 "
           "disagreeing pairs each way, the distance of the point from the zone's edge.", "",
           "## Corpus", "",
           f"The three real recordings of the `traffic` package (quickstart, switzerland, "
           f"savan: {info['base_rows']:,} reports, {info['base_positioned']:,} with a "
           "position), read with `skyfence.readers.read_traffic`, each sorted by time "
           "(recording / feed order) and concatenated; the positions repeated to "
           f"{info['n']:,} points (replica k of a report = same position, time + k x 40 "
           "days, target id + `~k`: only positions matter here). Zones:", "",
           "- **FIRs**: the 58 European FIRs of `traffic/data/eurocontrol/eurofirs.json` "
           "(154,919 edges).",
           "- **airports near traffic**: 5 km geodesic circles around the 10,000 airports of "
           "`airportsdata` nearest to the traffic (distance to the nearest 0.2-degree cell "
           "holding a report, ties by ICAO code): the set a user watching this traffic "
           "would load, so points actually fall in zones.",
           "- **airports world-wide**: 5 km circles around every 2.83rd airport of "
           "`airportsdata` in ICAO order (10,000, spread over the world as airports are): "
           "the grid must cover the whole world.", ""]
    out += ["## Results", ""]
    for r in info["results"]:
        target = TARGETS.get(r.name)
        idx = r.index
        out += [f"### {r.name} ({r.zones:,} zones)", "",
                f"skyfence index: built in {idx['build_s']:.2f} s, {idx['cells']:,.0f} cells "
                f"of {idx['cell_deg_lat']:.3f} deg, {idx['entries']:,.0f} entries "
                f"({idx['boundary_entries']:,.0f} boundary), {idx['edges']:,.0f} edges.", ""]
        rows = []
        for row in r.rows:
            t = row.timing
            if t is None:
                rows.append([row.engine, "-", "-", "-", "-", "-", row.note])
                continue
            rows.append([row.engine, f"{t.n:,}", f"{t.median:.3f} s ({t.spread})",
                         f"**{mps(t.rate)}**", mb(t.peak_extra),
                         row.agree.text() if row.agree else f"{len(t.result[0]):,} pairs",
                         row.note])
        out.append(md_table(["engine", "points", "median (range)", "reports/s",
                             "peak extra memory", "agreement with skyfence", "note"], rows))
        ours = r.rows[0].timing
        if target and ours:
            verdict = "met" if ours.rate >= target else "**missed**"
            out += ["", f"Target {mps(target)} on one core: {verdict} "
                    f"(skyfence {mps(ours.rate)})."]
        out.append("")
    out += ["## Where skyfence's time goes", "",
            "Same points, each stage alone (best and median of 3 after a warm-up): a plain "
            "read of the inputs, the grid cell lookup alone, the `lookup_points` kernel "
            "writing into output buffers that are already allocated and touched, and "
            "`ZoneIndex.lookup` as shipped (it allocates 1.5 x n output slots per call, so "
            "it pays first-touch page faults on the pairs it writes). Then what an average "
            "point costs: grid entries met, entries decided at once (cell wholly inside), "
            "circle tests, polygon entries decided by their sub-cell (one the boundary does "
            "not cross), polygon tests, and for these the cells walked and edges tested by "
            "the ray.", ""]
    rows = []
    for r in info["results"]:
        ph = r.phases
        if not ph:
            continue
        for stage, (best, med) in ph["rates"].items():
            rows.append([r.name, stage, f"{best / 1e6:,.0f} M/s", f"{med / 1e6:,.0f} M/s"])
    out += [md_table(["zones", "stage", "best", "median"], rows), ""]
    rows = []
    for r in info["results"]:
        if r.phases:
            pp = r.phases["per_point"]
            rows.append([r.name, f"{r.phases['index_bytes'] / 2**20:,.0f} MiB"]
                        + [f"{v:.3f}" for v in pp.values()])
    out += [md_table(["zones", "index arrays", "entries / point", "decided inside",
                      "circle tests", "decided by sub-cell", "polygon tests", "cells walked",
                      "edges tested"], rows),
            ""]
    rows = []
    for r in info["results"]:
        f = r.phases.get("finer") if r.phases else None
        if f:
            rows.append([r.name, f"{f['max_cells']:,}", f"{f['cells']:,} of {f['cell_deg']:.3f} "
                         "deg", f"{f['index_bytes'] / 2**20:,.0f} MiB", f"{f['build_s']:.2f} s",
                         f"{f['circle_tests']:.3f}", f"{f['rate'][0] / 1e6:,.0f} M/s",
                         f"{f['rate'][1] / 1e6:,.0f} M/s",
                         "yes" if f["same_pairs"] else "**no**"])
    if rows:
        out += ["What a finer grid would give (`ZoneIndex(zones, max_cells=...)`, not the "
                "default; measured here, nothing changed in skyfence):", "",
                md_table(["zones", "max_cells", "grid", "index arrays", "build",
                          "circle tests / point", "lookup best", "lookup median",
                          "same pair count"], rows), ""]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=None,
                    help="points (default 10,000,000; 1,000,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run, ~1 M points")
    ap.add_argument("--out", type=Path, default=RESULTS / "zones.md")
    ap.add_argument("--no-peers", action="store_true", help="skyfence only")
    args = ap.parse_args(argv)
    n = args.reports or (1_000_000 if args.quick else 10_000_000)
    info = run(n, args.quick, peers=not args.no_peers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(info), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
