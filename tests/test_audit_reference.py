"""The audit on real recordings against a slow, simple reference: every segment densified
every 0.1 s and each point tested with shapely on the zone polygon (circles densified to
1 m), with the same vertical, gap and end-of-data rules. Entry and exit within 1 s."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import box

from skyfence.cli.audit import sample_paths
from skyfence.detect import MAX_GAP_S
from skyfence.detect.batch import rows_from_reports
from skyfence.pipeline.audit import audit_batches
from skyfence.zones import Zone, ZoneSet, load_zones, parse_limit
from skyfence.zones.geometry import circle_polygon
from skyfence.zones.model import Circle
from skyfence.zones.vertical import Datum

DENSE_S = 0.1
TOLERANCE_S = 1.0


def reference(table: pa.Table, zones: ZoneSet) -> list[tuple[str, str, float, float | None]]:
    """(target, zone, entry, exit or None) by brute force."""
    rows = rows_from_reports(table)
    ids = np.asarray(rows.target_id.to_pylist(), dtype=object)
    polys = [
        circle_polygon(z.circle.lat, z.circle.lon, z.circle.radius_m, tolerance_m=1.0)
        if z.circle is not None else z.geometry
        for z in zones
    ]
    out = []
    for target in np.unique(ids):
        sel = np.flatnonzero((ids == target) & ~np.isnan(rows.lat))
        sel = sel[np.argsort(rows.t[sel], kind="stable")]
        t, lat, lon = rows.t[sel], rows.lat[sel], rows.lon[sel]
        ap, ag, gr = rows.alt_p[sel], rows.alt_g[sel], rows.ground[sel]
        # dense timeline; a gap starts a new piece
        pieces: list[list[int]] = [[0]]
        for i in range(1, len(t)):
            if t[i] - t[i - 1] > MAX_GAP_S:
                pieces.append([i])
            else:
                pieces[-1].append(i)
        for piece in pieces:
            dt, dlat, dlon, dap, dag, dgr = [], [], [], [], [], []
            for a, b in itertools.pairwise(piece):
                k = max(1, int(np.ceil((t[b] - t[a]) / DENSE_S)))
                f = np.arange(k) / k
                dt.append(t[a] + f * (t[b] - t[a]))
                dlat.append(lat[a] + f * (lat[b] - lat[a]))
                dlon.append(lon[a] + f * (lon[b] - lon[a]))
                for src, dst in ((ap, dap), (ag, dag)):
                    x0 = src[b] if np.isnan(src[a]) else src[a]
                    x1 = src[a] if np.isnan(src[b]) else src[b]
                    dst.append(x0 + f * (x1 - x0))
                dgr.append(np.where(f == 0, gr[a], gr[a] & gr[b]))
            last = piece[-1]
            dt.append(t[last:last + 1])
            dlat.append(lat[last:last + 1])
            dlon.append(lon[last:last + 1])
            dap.append(ap[last:last + 1])
            dag.append(ag[last:last + 1])
            dgr.append(gr[last:last + 1])
            T, LA, LO = np.concatenate(dt), np.concatenate(dlat), np.concatenate(dlon)
            AP, AG, GR = np.concatenate(dap), np.concatenate(dag), np.concatenate(dgr)
            for z, poly in zip(zones, polys, strict=True):
                h = shapely.contains_xy(poly, LO, LA)
                if not h.any():
                    continue
                fl = -np.inf if z.floor.datum is Datum.SFC else z.floor_amsl_m
                alt_f = AP if z.floor.pressure else AG
                alt_c = AP if z.ceiling.pressure else AG
                unknown = np.isnan(AP) & np.isnan(AG)
                band = np.where(
                    unknown, ~GR | (z.floor.datum is Datum.SFC),
                    ~(alt_f < fl) & (np.isnan(alt_c) | (alt_c <= z.ceiling_amsl_m)),
                )
                m = h & band
                edges = np.flatnonzero(np.diff(m.astype(np.int8)))
                starts = ([0] if m[0] else []) + [e + 1 for e in edges if not m[e]]
                ends = [e + 1 for e in edges if m[e]]
                for s in starts:
                    after = [e for e in ends if e > s]
                    exit_t = float(T[after[0]]) if after else None
                    out.append((str(target), z.id, float(T[s]), exit_t))
    return sorted(out, key=lambda r: (r[0], r[1], r[2]))


def ours(table: pa.Table, zones: ZoneSet, chunk: int | None = None) -> list[
    tuple[str, str, float, float | None]
]:
    batches = [table] if chunk is None else table.to_batches(max_chunksize=chunk)
    res = audit_batches([pa.Table.from_batches([b]) if isinstance(b, pa.RecordBatch) else b
                         for b in batches], zones).incursions
    return sorted(
        (r["target_id"], r["zone_id"], r["entry_time"].timestamp(),
         None if r["exit_time"] is None else r["exit_time"].timestamp())
        for r in res.to_pylist()
    )


def assert_same(got: list[tuple[str, str, float, float | None]],
                ref: list[tuple[str, str, float, float | None]]) -> None:
    assert [(g[0], g[1]) for g in got] == [(r[0], r[1]) for r in ref]
    for g, r in zip(got, ref, strict=True):
        assert abs(g[2] - r[2]) <= TOLERANCE_S, (g, r)
        assert (g[3] is None) == (r[3] is None), (g, r)
        if g[3] is not None and r[3] is not None:
            assert abs(g[3] - r[3]) <= TOLERANCE_S, (g, r)


@pytest.fixture(scope="module")
def paris() -> tuple[pa.Table, ZoneSet]:
    traffic_path, zones_path = sample_paths()
    table = pq.read_table(traffic_path)
    targets = pc.unique(table.column("target_id")).to_pylist()
    keep = sorted(targets)[::4]  # a quarter of the aircraft keeps the reference quick
    return table.filter(pc.is_in(table.column("target_id"), pa.array(keep))), load_zones(
        [zones_path]
    )


def test_paris_sample_matches_reference(paris: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = paris
    got = ours(table, zones)
    assert len(got) > 20
    assert_same(got, reference(table, zones))
    # batches of any size give the same episodes
    assert ours(table, zones, chunk=7_919) == got


def test_real_flight_thinned_crosses_small_zone_with_no_report_inside(
    paris: tuple[pa.Table, ZoneSet],
) -> None:
    table, _ = paris
    target = "icao:" + sorted(
        t.split(":")[1] for t in pc.unique(table.column("target_id")).to_pylist()
    )[0]
    flight = table.filter(pc.and_(pc.equal(table.column("target_id"), target),
                                  pc.is_valid(table.column("lat"))))
    thin = flight.take(pa.array(np.arange(0, flight.num_rows, 30)))  # one report per ~30 s
    lat = np.asarray(thin.column("lat"))
    lon = np.asarray(thin.column("lon"))
    mid = len(lat) // 2
    c_lat, c_lon = (lat[mid] + lat[mid + 1]) / 2, (lon[mid] + lon[mid + 1]) / 2
    zone = Zone(id="SMALL", name="small", geometry=circle_polygon(c_lat, c_lon, 300.0),
                circle=Circle(c_lat, c_lon, 300.0))
    zones = ZoneSet([zone])
    got = ours(thin, zones)
    assert len(got) >= 1
    assert_same(got, reference(thin, zones))
    (row,) = audit_batches([thin], zones).incursions.to_pylist()
    assert row["n_reports_inside"] == 0


def test_real_departure_climbs_through_floor(paris: tuple[pa.Table, ZoneSet]) -> None:
    table, _ = paris
    # every aircraft that climbed through 3,000 ft over the box around Orly's departures
    zone = Zone(id="FLOOR", name="floor", geometry=box(1.9, 48.5, 2.6, 48.9),
                floor=parse_limit("3000 ft"), ceiling=parse_limit("FL080"))
    zones = ZoneSet([zone])
    got = ours(table, zones)
    ref = reference(table, zones)
    assert_same(got, ref)
    entries_at_floor = [
        r for r in audit_batches([table], zones).incursions.to_pylist()
        if r["entry_alt_m"] is not None and abs(r["entry_alt_m"] - 914.4) < 1e-6
    ]
    assert entries_at_floor, "expected climbs or descents through the 3,000 ft floor"


def test_traffic_featured_flight(traffic_data: Path) -> None:
    from skyfence.readers import read_traffic

    path = traffic_data / "samples" / "featured" / "belevingsvlucht.json.gz"
    table = pa.concat_tables(read_traffic(path))
    rows = rows_from_reports(table)
    ok = ~np.isnan(rows.lat)
    la, lo = float(np.median(rows.lat[ok])), float(np.median(rows.lon[ok]))
    zones = ZoneSet([
        Zone(id="R1", name="r1", geometry=circle_polygon(la, lo, 8_000.0),
             circle=Circle(la, lo, 8_000.0), ceiling=parse_limit("FL050")),
        Zone(id="R2", name="r2", geometry=box(lo - 0.3, la - 0.2, lo + 0.1, la + 0.1),
             floor=parse_limit("2000 ft")),
    ])
    got = ours(table, zones)
    assert got
    assert_same(got, reference(table, zones))
