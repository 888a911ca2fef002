"""The detect stage's compiled row pass and its segment kernel with looked-up reports give
exactly what the point lookup and the plain segment kernel give, including reports exactly
on a polygon's edge or vertex, on a floor, and segments inside one grid cell."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from shapely.geometry import Polygon, box

from skyfence.detect import step
from skyfence.detect.kernels import active, in_band, segment_events, segment_events_looked_up
from skyfence.detect.rowpass import LOST_AFTER, NEW, START, rows_in_zones
from skyfence.detect.tables import schedule_tables, vertical_table
from skyfence.zones import Circle, Schedule, WeeklyWindow, Zone, ZoneSet, parse_limit
from skyfence.zones.geometry import circle_polygon
from skyfence.zones.index import ZoneIndex

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC).timestamp()  # a Monday


def _zones() -> ZoneSet:
    ring = Polygon([(2.0, 47.0), (3.0, 47.0), (3.0, 48.0), (2.0, 48.0)],
                   holes=[[(2.4, 47.4), (2.6, 47.4), (2.6, 47.6), (2.4, 47.6)]])
    tri = Polygon([(1.5, 47.2), (2.5, 47.9), (1.7, 48.3)])
    return ZoneSet([
        Zone(id="R", name="ring", geometry=ring, floor=parse_limit("1000 m"),
             ceiling=parse_limit("FL100")),
        Zone(id="T", name="triangle", geometry=tri),
        Zone(id="C", name="circle", geometry=circle_polygon(47.5, 2.2, 8_000.0),
             circle=Circle(47.5, 2.2, 8_000.0), ceiling=parse_limit("FL050")),
        Zone(id="S", name="scheduled", geometry=box(2.2, 47.2, 2.8, 47.8),
             schedule=Schedule(weekly=(WeeklyWindow.parse("Mon 10:05-23:00 UTC"),))),
    ])


def _rows(seed: int, n: int = 4_000) -> dict[str, np.ndarray]:
    """Tracks wandering over the zones, with reports exactly on edges and vertices, on
    the floor, unknown altitudes and ground reports."""
    rng = np.random.default_rng(seed)
    lat = 47.5 + np.cumsum(rng.normal(0.0, 0.03, n)).clip(-0.7, 0.7)
    lon = 2.3 + np.cumsum(rng.normal(0.0, 0.04, n)).clip(-1.0, 1.0)
    on = rng.random(n)
    lon[on < 0.05] = 2.0  # on the ring's west edge (or its extension)
    lat[(on >= 0.05) & (on < 0.1)] = 47.4  # on the hole's south edge
    vx = (on >= 0.1) & (on < 0.13)
    lat[vx], lon[vx] = 47.6, 2.6  # the hole's corner
    alt = rng.uniform(0.0, 4_000.0, n)
    alt[rng.random(n) < 0.1] = 1_000.0  # on the ring's floor
    alt[rng.random(n) < 0.05] = np.nan
    ground = rng.random(n) < 0.05
    t = T0 + np.cumsum(rng.uniform(1.0, 40.0, n))
    return {"t": t, "lat": lat, "lon": lon, "alt_p": alt.copy(), "alt_g": alt.copy(),
            "ground": ground}


def _looked_up(index: ZoneIndex, r: dict[str, np.ndarray], role: np.ndarray, vert: np.ndarray,
               sched: np.ndarray, sched_iv: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(r["t"])
    cap = 4 * n
    cell_x, cell_y = np.empty(n, np.int32), np.empty(n, np.int32)
    pair_zone, pair_start = np.empty(cap, np.int32), np.empty(n + 1, np.int64)
    lists = [a for _ in range(3) for a in (np.empty(cap, np.int64), np.empty(cap, np.int32))]
    counts = rows_in_zones(role, r["t"], r["lat"], r["lon"], r["alt_p"], r["alt_g"],
                           r["ground"], *index.kernel_args, index.ent_sub, vert, sched,
                           sched_iv, cell_x,
                           cell_y, pair_zone, pair_start, *lists)
    return counts, cell_x, cell_y, pair_zone, pair_start, lists


def _tables(zones: ZoneSet, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sched, sched_iv = schedule_tables(zones, float(t.min()), float(t.max()))
    return vertical_table(zones), sched, sched_iv


def test_row_pass_matches_lookup_and_roles() -> None:
    zones = _zones()
    index = ZoneIndex(zones)
    r = _rows(1)
    n = len(r["t"])
    vert, sched, sched_iv = _tables(zones, r["t"])
    role = np.random.default_rng(2).integers(0, 8, n).astype(np.int8)
    (n_pair, ni, ns, nl), cell_x, cell_y, pair_zone, pair_start, lists = _looked_up(
        index, r, role, vert, sched, sched_iv)
    p_row, p_zone = index.lookup(r["lat"], r["lon"])
    assert n_pair == len(p_row)
    np.testing.assert_array_equal(pair_zone[:n_pair], p_zone)
    np.testing.assert_array_equal(np.repeat(np.arange(n), np.diff(pair_start)), p_row)
    g = index.grid
    fx, fy = (r["lon"] - g.lon0) / g.dlon, (r["lat"] - g.lat0) / g.dlat
    in_grid = (fx >= 0) & (fy >= 0) & (fx < g.nx) & (fy < g.ny)
    assert 0 < in_grid.sum() < n  # some reports outside the grid
    np.testing.assert_array_equal(cell_x, np.where(in_grid, np.floor(fx), -1))
    np.testing.assert_array_equal(cell_y, np.where(in_grid, np.floor(fy), -1))
    expect: dict[int, list[tuple[int, int]]] = {NEW: [], START: [], LOST_AFTER: []}
    for i, z in zip(p_row.tolist(), p_zone.tolist(), strict=True):
        if not (active.py_func(z, r["t"][i], sched, sched_iv) and in_band.py_func(
                z, r["alt_p"][i], r["alt_g"][i], r["ground"][i], vert)):
            continue
        for bit in expect:
            if role[i] & bit:
                expect[bit].append((i, z))
    got = [list(zip(lists[2 * q][:m].tolist(), lists[2 * q + 1][:m].tolist(), strict=True))
           for q, m in enumerate((ni, ns, nl))]
    assert got == [expect[NEW], expect[START], expect[LOST_AFTER]]
    assert (step.NEW, step.START, step.LOST_AFTER) == (NEW, START, LOST_AFTER)


def test_segments_with_lookups_match_plain_kernel() -> None:
    zones = _zones()
    index = ZoneIndex(zones)
    for seed in range(4):
        r = _rows(10 + seed)
        n = len(r["t"])
        vert, sched, sched_iv = _tables(zones, r["t"])
        _, cell_x, cell_y, pair_zone, pair_start, _ = _looked_up(
            index, r, np.zeros(n, np.int8), vert, sched, sched_iv)
        # consecutive reports, the same report twice, and far jumps across many cells
        rng = np.random.default_rng(seed)
        far = rng.integers(0, n, (200, 2))
        seg_a = np.concatenate([np.arange(n - 1), [5, 9], far[:, 0]]).astype(np.int64)
        seg_b = np.concatenate([np.arange(1, n), [5, 9], far[:, 1]]).astype(np.int64)
        outs = []
        for looked_up in (False, True):
            cap = 4 * n
            out = (np.empty(cap, np.int64), np.empty(cap, np.int32), np.empty(cap),
                   np.empty(cap, np.int8))
            args = (r["t"], r["lat"], r["lon"], r["alt_p"], r["alt_g"], r["ground"],
                    *index.kernel_args, vert, sched, sched_iv, *out)
            if looked_up:
                k = segment_events_looked_up(seg_a, seg_b, cell_x, cell_y, pair_zone,
                                             pair_start, *args)
            else:
                k = segment_events(seg_a, seg_b, *args)
            assert k > 50
            outs.append([o[:k] for o in out])
        for plain, fast in zip(*outs, strict=True):
            np.testing.assert_array_equal(plain, fast)


def test_end_exactly_on_an_edge_inside_one_cell() -> None:
    # both reports in one boundary cell of the ring, the second exactly on its west edge
    zones = ZoneSet([_zones()[0]])
    index = ZoneIndex(zones)
    g = index.grid
    lon_b = 2.0
    x0 = g.lon0 + int((lon_b - g.lon0) / g.dlon) * g.dlon  # west side of its cell
    assert x0 < lon_b
    lon_a = 0.5 * (x0 + lon_b)  # west of the edge (outside), in the same cell
    r = {"t": np.array([T0, T0 + 10.0]), "lat": np.array([47.5, 47.5]),
         "lon": np.array([lon_a, lon_b]), "alt_p": np.array([2_000.0, 2_000.0]),
         "alt_g": np.array([2_000.0, 2_000.0]), "ground": np.zeros(2, np.bool_)}
    vert, sched, sched_iv = _tables(zones, r["t"])
    _, cell_x, cell_y, pair_zone, pair_start, _ = _looked_up(
        index, r, np.zeros(2, np.int8), vert, sched, sched_iv)
    assert cell_x[0] == cell_x[1]
    results = []
    for order in ((0, 1), (1, 0)):
        seg_a, seg_b = np.array([order[0]]), np.array([order[1]])
        out = (np.empty(8, np.int64), np.empty(8, np.int32), np.empty(8), np.empty(8, np.int8))
        args = (r["t"], r["lat"], r["lon"], r["alt_p"], r["alt_g"], r["ground"],
                *index.kernel_args, vert, sched, sched_iv, *out)
        k_fast = segment_events_looked_up(seg_a, seg_b, cell_x, cell_y, pair_zone,
                                          pair_start, *args)
        fast = [o[:k_fast].copy() for o in out]
        k_plain = segment_events(seg_a, seg_b, *args)
        assert k_fast == k_plain
        for a, b in zip(fast, out, strict=True):
            np.testing.assert_array_equal(a, b[:k_plain])
        results.append(fast)
    # the point on the west edge is inside (the ray rule), the other outside: one change,
    # at that end
    assert not index.contains(0, 47.5, lon_a) and index.contains(0, 47.5, lon_b)
    (into, out_of) = results
    assert into[3].tolist() == [step.ENTER] and out_of[3].tolist() == [step.EXIT]
    assert into[2].tolist() == [1.0] and out_of[2].tolist() == [0.0]
