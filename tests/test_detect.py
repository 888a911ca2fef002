"""The detect stage and episodes on crafted tracks whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from skyfence.detect import Membership, detect_step
from skyfence.detect.step import ENTER, EXIT
from skyfence.pipeline.audit import audit_batches
from skyfence.schema import REPORTS, conform
from skyfence.zones import (
    Circle,
    Exemptions,
    Schedule,
    WeeklyWindow,
    Zone,
    ZoneSet,
    parse_limit,
)
from skyfence.zones.geometry import circle_polygon
from skyfence.zones.index import ZoneIndex

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC).timestamp()  # a Monday
M_PER_DEG_LON_48 = 111_320.0 * np.cos(np.radians(48.0))


def reports(
    t: np.ndarray, lat: np.ndarray, lon: np.ndarray, alt: np.ndarray | None = None,
    target: str = "icao:abc123", callsign: str | None = "TEST1", squawk: str | None = None,
) -> pa.Table:
    n = len(t)
    cols = {
        "time": pa.array((np.asarray(t) * 1e6).astype(np.int64)).cast(pa.timestamp("us", "UTC")),
        "target_id": [target] * n,
        "lat": np.asarray(lat, dtype=float),
        "lon": np.asarray(lon, dtype=float),
        "callsign": [callsign] * n,
        "squawk": [squawk] * n,
    }
    if alt is not None:
        cols["alt_baro_m"] = np.asarray(alt, dtype=float)
    return conform(pa.table(cols), REPORTS)


def eastbound(step_s: float, n: int, speed: float = 250.0, lon0: float = 1.90,
              alt: np.ndarray | None = None, target: str = "icao:abc123") -> pa.Table:
    t = T0 + np.arange(n) * step_s
    lon = lon0 + (t - T0) * speed / M_PER_DEG_LON_48
    return reports(t, np.full(n, 48.0), lon, alt, target=target)


def audit(zones: ZoneSet, *tables: pa.Table) -> list[dict[str, object]]:
    return audit_batches(list(tables), zones).incursions.to_pylist()


def small_circle(radius: float = 1_000.0, **kw: object) -> Zone:
    return Zone(id="C", name="circle", geometry=circle_polygon(48.0, 2.0, radius),
                circle=Circle(48.0, 2.0, radius), **kw)  # type: ignore[arg-type]


def test_fast_aircraft_crosses_small_zone_between_two_reports() -> None:
    # 30 s between reports at 250 m/s: 7.5 km per segment through a 2 km wide circle
    zones = ZoneSet([small_circle()])
    track = eastbound(30.0, 10, lon0=1.93)
    lon = np.asarray(track.column("lon"))
    assert not np.any(np.abs((lon - 2.0) * M_PER_DEG_LON_48) < 1_000)  # no report inside
    (ep,) = audit(zones, track)
    assert ep["n_reports_inside"] == 0
    entry_t = ep["entry_time"].timestamp()
    exit_t = ep["exit_time"].timestamp()
    # the boundary is 1,000 m either side of lon 2.0 along lat 48
    expect_in = T0 + ((2.0 - 1.93) * M_PER_DEG_LON_48 - 1_000.0) / 250.0
    expect_out = T0 + ((2.0 - 1.93) * M_PER_DEG_LON_48 + 1_000.0) / 250.0
    assert abs(entry_t - expect_in) < 0.05 and abs(exit_t - expect_out) < 0.05
    assert abs(ep["duration_s"] - 8.0) < 0.05
    assert 990.0 < ep["max_depth_m"] <= 1_000.0
    # the detector itself calls it a crossing
    _, det = detect_step(ZoneIndex(zones), Membership(), track)
    assert det.tr_cross.sum() == 1 and set(det.tr_kind.tolist()) == {ENTER, EXIT}


def test_climb_through_floor_is_an_entry() -> None:
    zone = Zone(id="B", name="box", geometry=box(2.0, 47.9, 2.6, 48.1),
                floor=parse_limit("1000 m"), ceiling=parse_limit("FL200"))
    n = 12
    alt = np.linspace(500.0, 1_600.0, n)  # 100 m per 30 s report
    track = eastbound(30.0, n, alt=alt)
    (ep,) = audit(ZoneSet([zone]), track)
    # horizontally inside from lon 2.0; climbing through 1,000 m between reports 5 and 6
    assert ep["entry_alt_m"] == 1_000.0
    t_floor = T0 + 30.0 * (1_000.0 - 500.0) / 100.0
    assert abs(ep["entry_time"].timestamp() - t_floor) < 1e-3
    assert ep["min_alt_m"] == 1_000.0


def test_descent_below_floor_is_an_exit_and_ceiling_counts() -> None:
    zone = Zone(id="B", name="box", geometry=box(1.0, 47.0, 3.0, 49.0),
                floor=parse_limit("FL050"), ceiling=parse_limit("FL100"))
    alt = np.array([4_000.0, 3_000.0, 2_000.0, 1_000.0])  # FL131 -> FL033: through both
    (ep,) = audit(ZoneSet([zone]), eastbound(10.0, 4, alt=alt))
    assert abs(ep["entry_alt_m"] - 3_048.0) < 1e-6  # FL100
    assert abs(ep["exit_alt_m"] - 1_524.0) < 1e-6  # FL050


def test_zone_activating_around_a_target_gives_entry_at_activation() -> None:
    # active Mondays from 10:05 UTC; the target sits inside from 10:00 to 10:10
    window = WeeklyWindow.parse("Mon 10:05-23:00 UTC")
    zone = small_circle(5_000.0, schedule=Schedule(weekly=(window,)))
    t = T0 + np.arange(0, 600, 20.0)
    track = reports(t, np.full(len(t), 48.0), np.full(len(t), 2.0))
    (ep,) = audit(ZoneSet([zone]), track)
    assert ep["entry_time"] == datetime(2026, 5, 4, 10, 5, tzinfo=UTC)
    assert ep["exit_time"] is None  # still inside at the end of its data


def test_exemptions_recorded_not_dropped() -> None:
    zones = ZoneSet([
        small_circle(exemptions=Exemptions(callsigns=("TEST*",))),
    ])
    (ep,) = audit(zones, eastbound(5.0, 40))
    assert ep["exempt"] is True and ep["callsign"] == "TEST1"
    t = T0 + np.arange(0, 200, 5.0)
    squawking = reports(t, np.full(len(t), 48.0), 1.99 + (t - T0) * 1e-4, squawk="7700")
    (ep2,) = audit(ZoneSet([small_circle()]), squawking)
    assert ep2["exempt"] is True


def test_gap_splits_episode_and_loses_it() -> None:
    zones = ZoneSet([small_circle(5_000.0)])
    t = np.r_[T0 + np.arange(0, 100, 10.0), T0 + 400 + np.arange(0, 100, 10.0)]
    track = reports(t, np.full(len(t), 48.0), np.full(len(t), 2.0))
    eps = audit(zones, track)
    assert len(eps) == 2
    assert eps[0]["exit_time"] is None and eps[0]["n_reports_inside"] == 10
    assert eps[1]["entry_time"].timestamp() == T0 + 400


def test_out_of_order_reports_across_batches_are_skipped() -> None:
    zones = ZoneSet([small_circle(5_000.0)])
    first = eastbound(10.0, 20, lon0=1.99)
    late = first.slice(5, 3)
    result = audit_batches([first, late], zones)
    assert result.stats.out_of_order == 3
    assert result.incursions.num_rows == 1


def test_unknown_altitude_is_inside_and_ground_only_above_surface_floor() -> None:
    zone_sfc = small_circle(5_000.0, ceiling=parse_limit("FL050"))
    zone_high = Zone(id="H", name="high", geometry=box(1.9, 47.9, 2.1, 48.1),
                     floor=parse_limit("1000 ft AGL"), ground_elevation_m=100.0)
    t = T0 + np.arange(0, 60, 5.0)
    table = reports(t, np.full(len(t), 48.0), np.full(len(t), 2.0))
    table = table.set_column(table.schema.get_field_index("on_ground"), "on_ground",
                             pa.array([True] * len(t)))
    eps = audit(ZoneSet([zone_sfc, zone_high]), table)
    assert [e["zone_id"] for e in eps] == ["C"]


def test_two_targets_and_multiple_zones_are_independent() -> None:
    zones = ZoneSet([small_circle(), Zone(id="B", name="b", geometry=box(2.05, 47.9, 2.1, 48.1))])
    a = eastbound(2.0, 200, target="icao:aaaaaa")
    b = eastbound(2.0, 200, target="icao:bbbbbb", lon0=1.95)
    eps = audit(zones, pa.concat_tables([a, b]).sort_by("time"))
    assert sorted((e["target_id"], e["zone_id"]) for e in eps) == [
        ("icao:aaaaaa", "B"), ("icao:aaaaaa", "C"), ("icao:bbbbbb", "B"), ("icao:bbbbbb", "C"),
    ]


def test_velocity_is_read_only_for_predictions() -> None:
    """Detection without predictions skips the velocity columns and finds the same
    transitions; with them, the rows carry the reported velocity."""
    zones = ZoneSet([small_circle(), Zone(id="B", name="b", geometry=box(2.05, 47.9, 2.1, 48.1))])
    index = ZoneIndex(zones)
    table = eastbound(2.0, 200)
    table = table.set_column(table.schema.get_field_index("gs_mps"), "gs_mps",
                             pa.array(np.full(table.num_rows, 250.0)))
    half = table.num_rows // 2
    state_a, state_b = Membership(), Membership()
    seen = 0
    for part in (table.slice(0, half), table.slice(half)):
        state_a, plain = detect_step(index, state_a, part)
        state_b, with_pred = detect_step(index, state_b, part, predict=True)
        assert np.isnan(plain.rows.gs).all()
        assert (with_pred.rows.gs == 250.0).all()
        for name in ("tr_row", "tr_zone", "tr_kind", "tr_time", "tr_lat", "tr_lon",
                     "tr_alt", "tr_cross", "in_row", "in_zone", "latest"):
            assert np.array_equal(getattr(plain, name), getattr(with_pred, name),
                                  equal_nan=name in ("tr_alt",)), name
        assert plain.codes.tolist() == with_pred.codes.tolist()
        seen += len(plain.tr_kind)
    assert seen >= 4  # in and out of both zones


def _key(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted(
        (r["target_id"], r["zone_id"], r["entry_time"], r["exit_time"], r["n_reports_inside"],
         round(float(r["max_depth_m"] or 0.0), 6), r["min_alt_m"], r["max_alt_m"])
        for r in rows
    )


@settings(max_examples=40, deadline=None)
@given(
    step=st.floats(0.5, 45.0),
    speed=st.floats(5.0, 400.0),
    heading=st.floats(0.0, 360.0),
    climb=st.floats(-20.0, 20.0),
    split=st.floats(0.05, 0.95),
    seed=st.integers(0, 1_000),
)
def test_property_entries_between_bracketing_reports_and_split_invariance(
    step: float, speed: float, heading: float, climb: float, split: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    zones = ZoneSet([
        small_circle(float(rng.uniform(300, 3_000)), floor=parse_limit("300 m"),
                     ceiling=parse_limit("FL060")),
        Zone(id="P", name="p", geometry=box(1.98, 47.99, 2.03, 48.02),
             floor=parse_limit("SFC"), ceiling=parse_limit("1500 m")),
    ])
    n = 150
    t = T0 + np.arange(n) * step + rng.uniform(0, step * 0.3, n)
    t.sort()
    dist = speed * (t - T0) - speed * (t[-1] - T0) / 2
    east = dist * np.sin(np.radians(heading))
    north = dist * np.cos(np.radians(heading))
    lat = 48.0 + north / 111_200.0 + rng.normal(0, 1e-4, n)
    lon = 2.0 + east / M_PER_DEG_LON_48 + rng.normal(0, 1e-4, n)
    alt = 900.0 + climb * (t - T0)
    table = reports(t, lat, lon, alt)
    whole = audit_batches([table], zones).incursions.to_pylist()
    k = int(split * n)
    halves = audit_batches([table.slice(0, k), table.slice(k)], zones).incursions.to_pylist()
    assert _key(whole) == _key(halves)
    for ep in whole:
        te = ep["entry_time"].timestamp()
        # the entry lies between the two reports that bracket it (or on one of them)
        i = np.searchsorted(t, te - 1e-6)
        assert i < n
        assert t[max(i - 1, 0)] - 1e-6 <= te <= t[i] + 1e-6
        if ep["exit_time"] is not None:
            assert ep["exit_time"].timestamp() >= te


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_targets=st.integers(1, 30), n_carried=st.integers(0, 30))
def test_layout_groups_by_target_then_time_and_drops_stale(
    seed: int, n_targets: int, n_carried: int
) -> None:
    from skyfence.detect.layout import layout_batch

    rng = np.random.default_rng(seed)
    n_carried = min(n_carried, n_targets)
    # the batch's dictionary: its entries in random order, mapped to target codes
    remap = rng.permutation(n_targets).astype(np.int32)
    ids = rng.integers(0, n_targets, 200).astype(np.int32)
    ids[rng.random(200) < 0.05] = -1  # no identity
    t_new = np.round(rng.uniform(0, 50, 200))  # ties on purpose
    if seed % 2:  # most feeds are in time order; some are not
        t_new.sort()
    lat, lon = rng.uniform(-95, 95, 200), rng.uniform(-185, 185, 200)
    lat[rng.random(200) < 0.05] = np.nan
    baro, geo = rng.uniform(0, 1e4, (2, 200))
    baro[rng.random(200) < 0.2] = np.nan
    geo[rng.random(200) < 0.5] = np.nan
    c = tuple(rng.uniform(0, 30, (5, n_carried)).round())
    c_ground, ground = rng.random(n_carried) < 0.3, rng.random(200) < 0.3
    order, codes, block, on_ground, stale, t_min = layout_batch(
        c, c_ground, ids, remap, t_new, lat, lon, baro, geo, ground,  # type: ignore[arg-type]
        n_targets)
    # reference: by target, then time, carried first; new rows without identity or position
    # left out, those older than their target's carried row dropped (and counted)
    all_codes = np.r_[np.arange(n_carried), np.where(ids >= 0, remap[ids], -1)]
    t = np.r_[c[0], t_new]
    is_new = np.arange(len(all_codes)) >= n_carried
    ok = np.r_[np.ones(n_carried, bool),
               (ids >= 0) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)]
    last_t = np.full(n_targets, -np.inf)
    last_t[:n_carried] = c[0]
    old = ok & is_new & (t < last_t[all_codes])
    ref = np.lexsort((is_new, t, all_codes))
    ref = ref[ok[ref] & ~old[ref]]
    assert stale == int(old.sum())
    assert order.tolist() == ref.tolist()
    assert codes.tolist() == all_codes[ref].tolist()
    taking_part = ok[n_carried:]
    assert t_min == (t_new[taking_part].min() if taking_part.any() else np.inf)
    # the rows' numbers, converted for the new ones
    alt_p = np.r_[c[3], np.where(np.isnan(baro), geo, baro)]
    alt_g = np.r_[c[4], np.where(np.isnan(geo), baro, geo)]
    for got, want in zip(block, (t, np.r_[c[1], lat], np.r_[c[2], lon], alt_p, alt_g),
                         strict=True):
        np.testing.assert_array_equal(got, want[ref])
    np.testing.assert_array_equal(on_ground, np.r_[c_ground, ground][ref])


@pytest.mark.parametrize(("seed", "vertices", "r_min", "r_max", "extent", "points"), [
    (7, 500, 20_000, 60_000, 70_000, 3_000),  # tens of km across
    (11, 3_000, 50_000, 300_000, 300_000, 2_000),  # hundreds of km, many edges per cell
])
def test_nearest_edge_distances_match_shapely(seed: int, vertices: int, r_min: float,
                                              r_max: float, extent: float, points: int
                                              ) -> None:
    import shapely

    from skyfence.detect.nearest import EdgeGrid

    rng = np.random.default_rng(seed)
    # a jagged ring around the origin
    ang = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    rad = rng.uniform(r_min, r_max, vertices)
    x, y = rad * np.cos(ang), rad * np.sin(ang)
    edges = np.column_stack([x, y, np.roll(x, -1), np.roll(y, -1)])
    px, py = rng.uniform(-extent, extent, (2, points))
    got = EdgeGrid(edges).distance(px, py)
    lines = shapely.linestrings(np.stack([edges[:, :2], edges[:, 2:]], axis=1))
    want = shapely.distance(shapely.points(px, py)[:, None], lines[None, :]).min(axis=1)
    assert np.array_equal(got, want)


def test_circle_depth_is_the_deepest_report_exactly() -> None:
    from skyfence.zones.kernels import circle_distances_m

    # two passes through a 5 km circle (out and back), reports every 2 s: the deepest
    # report of each episode, by the exact geodesic distance, whatever was skipped
    zones = ZoneSet([small_circle(5_000.0)])
    out = eastbound(2.0, 400, speed=60.0, lon0=1.90)
    lon = np.asarray(out.column("lon"))
    back = reports(T0 + 800.0 + np.arange(400) * 2.0, np.full(400, 48.01), lon[::-1].copy())
    eps = audit(zones, pa.concat_tables([out, back]))
    assert len(eps) == 2
    for ep, track in zip(eps, (out, back), strict=True):
        la, lo = np.asarray(track.column("lat")), np.asarray(track.column("lon"))
        d = circle_distances_m(48.0, 2.0, la, lo)
        inside = d <= 5_000.0
        assert ep["n_reports_inside"] == int(inside.sum())
        assert ep["max_depth_m"] == float((5_000.0 - d[inside]).max())
