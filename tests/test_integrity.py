"""Integrity checks (skyfence.track): each check on crafted cases and on real recordings,
filter composition, batch-split invariance, confidence bounds, grading, and the GNSS
interference grid with its CLI."""

from __future__ import annotations

import argparse
import importlib.util
import io
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from skyfence.readers import read_traffic
from skyfence.schema.reports import REPORTS
from skyfence.track import (
    IMPLAUSIBLE,
    Check,
    IntegrityState,
    all_checks,
    check_batch,
    check_names,
    cpr_ambiguity,
    degraded,
    grade,
    integrity_step,
    interference_geojson,
    interference_grid,
    jump,
    observations,
    speed_limit,
)

T0 = 1_700_000_000.0
R = 6371008.8


def table(n: int, **cols: Any) -> pa.Table:
    """A Reports table of ``n`` rows, one report per second from T0 unless ``time`` given;
    scalars are broadcast, missing columns null."""
    cols.setdefault("time", T0 + np.arange(n, dtype=np.float64))
    cols.setdefault("target_id", "icao:abcdef")
    arrays = []
    for f in REPORTS:
        v = cols.get(f.name)
        if v is None:
            arrays.append(pa.nulls(n, f.type))
            continue
        if f.name == "time":
            v = (np.asarray(v, dtype=np.float64) * 1e6).astype("datetime64[us]")
        elif np.isscalar(v):
            v = [v] * n
        arrays.append(pa.array(v, f.type))
    return pa.Table.from_arrays(arrays, schema=REPORTS)


def cruise(n: int, v: float = 230.0, **cols: Any) -> pa.Table:
    """Straight north at ``v`` m/s from 48N 2E, 1 Hz, FL350, reporting consistently."""
    lat = 48.0 + np.degrees(np.arange(n) * v / R)
    base: dict[str, Any] = {"lat": lat, "lon": 2.0, "alt_baro_m": 10668.0, "gs_mps": v,
                            "track_deg": 0.0, "vrate_mps": 0.0}
    base.update(cols)
    return table(n, **base)


def run(t: pa.Table, now: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    _, flags, conf = check_batch(IntegrityState(), observations(t), now)
    return flags, conf


def test_clean_cruise_fires_nothing() -> None:
    flags, conf = run(cruise(120))
    assert not flags.any()
    assert np.all(conf == 1.0)


@pytest.mark.parametrize(("check", "t"), [
    (Check.SPEED, cruise(30, v=800.0)),  # 1,555 kt
    (Check.SPEED, cruise(30, v=120.0, target_id="rid:1581F5FJD")),  # drone at 233 kt
    (Check.CLIMB, cruise(30, vrate_mps=np.r_[np.zeros(15), 400.0, np.zeros(14)])),
    (Check.ALT_OUTLIER, cruise(30, alt_baro_m=np.r_[np.full(15, 10668.0), 13000.0,
                                                    np.full(14, 10668.0)])),
    (Check.ACCEL, cruise(30, gs_mps=np.r_[np.full(15, 230.0), 300.0, np.full(14, 230.0)])),
    (Check.TURN, cruise(30, track_deg=np.r_[np.zeros(15), 90.0, np.zeros(14)])),
    (Check.BARO_GNSS, cruise(30, alt_geo_m=np.r_[np.full(15, 10700.0), 14000.0,
                                                 np.full(14, 10700.0)])),
    (Check.BARO_GNSS, cruise(30, geo_minus_baro_m=np.r_[np.zeros(15), -3000.0,
                                                        np.zeros(14)])),
    (Check.GS_MISMATCH, cruise(30, v=600.0, gs_mps=230.0)),  # flies 1,166 kt, says 447
    (Check.NIC, cruise(30, nic=np.r_[np.full(15, 8), 5, np.full(14, 8)])),
    (Check.NACP, cruise(30, adsb_version=2, nacp=np.r_[np.full(15, 9), 6, np.full(14, 9)])),
    (Check.SIL, cruise(30, adsb_version=2, sil=np.r_[np.full(15, 3), 1, np.full(14, 3)])),
])
def test_each_check_fires_on_its_case(check: Check, t: pa.Table) -> None:
    flags, _ = run(t)
    hit = (flags & np.uint32(int(check))) != 0
    assert hit.any(), check
    # and on nothing else than the faulty rows' own check family
    assert check_names(flags) == [check.name.lower()]  # type: ignore[union-attr]


def test_real_manoeuvres_fire_nothing() -> None:
    n = 120
    # a rate-one turn (3 deg/s) at 230 m/s, positions along the arc
    hdg = 3.0 * np.arange(n)
    lat = 48 + np.degrees(np.cumsum(230 * np.cos(np.radians(hdg))) / R)
    lon = 2 + np.degrees(np.cumsum(230 * np.sin(np.radians(hdg))) / (R * np.cos(
        np.radians(48))))
    assert not run(cruise(n, lat=lat, lon=lon, track_deg=hdg % 360))[0].any()
    # a 6,000 ft/min climb and a take-off roll at 0.3 g, with their altitude and speed
    assert not run(cruise(n, vrate_mps=30.5, alt_baro_m=3000 + 30.5 * np.arange(n)))[0].any()
    gs = 3.0 * np.arange(n)
    lat = 48 + np.degrees(np.cumsum(gs) / R)
    assert not run(cruise(n, lat=lat, gs_mps=gs, alt_baro_m=100.0))[0].any()
    # a drone at 15 m/s reversing its track every 5 s
    trk = np.where((np.arange(n) // 5) % 2 == 0, 0.0, 180.0)
    lat = 48 + np.degrees(np.cumsum(np.where(trk == 0.0, 15.0, -15.0)) / R)
    assert not run(cruise(n, lat=lat, gs_mps=15.0, track_deg=trk, alt_baro_m=None,
                          alt_geo_m=120.0, target_id="rid:DRONE"))[0].any()


def test_altitude_outlier_is_data_quality_until_it_persists_or_recurs() -> None:
    alt = np.full(60, 10668.0)
    # one report at another aircraft's level, then back: an outlier, no penalty
    spike = alt.copy()
    spike[20] = 3000.0
    flags, conf = run(cruise(60, alt_baro_m=spike))
    assert np.flatnonzero(flags).tolist() == [20]
    assert check_names(flags) == ["alt_outlier"] and np.all(conf == 1.0)
    # a step to a new level that stays there (distinct values): climb on the second value
    step = np.r_[alt[:20], 12000.0 + np.arange(40)]
    flags, conf = run(cruise(60, alt_baro_m=step))
    assert check_names(flags[20:21]) == ["alt_outlier"] and check_names(flags[21:22]) == [
        "climb"]
    assert not flags[22:].any() and conf[21] < 0.5
    # a step held by one repeated value is accepted once the top rate (1,000 ft/s) since
    # the last accepted altitude explains it (3.3 km: after 11 s), as a recorder's catch-up
    held = np.r_[alt[:20], np.full(40, 14000.0)]
    flags, _ = run(cruise(60, alt_baro_m=held))
    assert check_names(flags) == ["alt_outlier"] and np.flatnonzero(flags).max() < 32
    # one that nothing explains after 15 s while the target moves on is a climb
    held = np.r_[alt[:20], np.full(40, 19000.0)]
    flags, _ = run(cruise(60, alt_baro_m=held))
    climb = (flags & np.uint32(Check.CLIMB)) != 0
    assert np.flatnonzero(climb).tolist() == [36]
    # ... but not when the whole report is a recorder's repetition (position frozen too)
    track = 48.0 + np.degrees(np.arange(20) * 230.0 / R)
    flags, _ = run(cruise(60, alt_baro_m=held, lat=np.r_[track, np.full(40, track[-1])]))
    assert not ((flags & np.uint32(IMPLAUSIBLE)) != 0).any()
    # outliers recurring: 3 within 30 s are a second altitude source, whatever the values
    rec = alt.copy()
    rec[[10, 20, 25]] = [3000.0, 7000.0, 5000.0]
    flags, _ = run(cruise(60, alt_baro_m=rec))
    assert [check_names(flags[i]) for i in (10, 20, 25)] == [
        ["alt_outlier"], ["alt_outlier"], ["climb"]]
    # two transmitters interleaved under one address at two levels: climb, soon
    two = np.where(np.arange(60) % 2 == 0, 10668.0, 6000.0)
    flags, _ = run(cruise(60, alt_baro_m=two))
    first = np.flatnonzero((flags & np.uint32(Check.CLIMB)) != 0)[0]
    assert first <= 5


def test_cpr_ambiguous_position_is_flagged_and_not_tracked() -> None:
    """A position the decoder says may be a CPR zone off (here 6 deg of latitude north)
    flags ``cpr`` instead of becoming a jump or a second track."""
    t = cruise(60)
    lat = t.column("lat").to_numpy().copy()
    lat[30] += 6.0
    amb: list[str | None] = [None] * 60
    amb[30] = "global_local_disagree"
    t = cruise(60, lat=lat, cpr_ambiguity=amb)
    flags, conf = run(t)
    assert np.flatnonzero(flags).tolist() == [30] and check_names(flags) == ["cpr"]
    assert conf[30] < 0.2 and conf[59] > conf[30]
    assert Check.CPR in cpr_ambiguity() and check_names(int(IMPLAUSIBLE)).count("cpr") == 1


def test_jump_flags_the_outlier_only() -> None:
    t = cruise(60)
    lat = t.column("lat").to_numpy().copy()
    lat[30] += 0.5  # 55 km off for one report
    flags, conf = run(t.set_column(3, "lat", pa.array(lat)))
    assert np.flatnonzero(flags).tolist() == [30]
    assert flags[30] & int(Check.JUMP) and flags[30] & int(Check.SPEED)
    assert conf[30] < 0.05 < conf[59] < 1.0


def test_sil_thresholds_depend_on_version() -> None:
    # version 1 accepts SIL 2, version 2 does not; version 0 (NUC) is not checked at all
    assert not run(cruise(5, adsb_version=1, sil=2, nacp=9, nic=8))[0].any()
    assert (run(cruise(5, adsb_version=2, sil=2))[0] & int(Check.SIL)).all()
    assert not run(cruise(5, adsb_version=0, sil=0, nacp=0, nic=0))[0].any()


def test_timestamps_out_of_order_and_future() -> None:
    t = cruise(10, time=T0 + np.r_[0, 1, 2, 3, 1.5, 4, 5, 6, 7, 100.0])
    flags, _ = run(t, now=T0 + 10)
    assert np.flatnonzero(flags & int(Check.TIME_ORDER)).tolist() == [4]
    assert np.flatnonzero(flags & int(Check.TIME_FUTURE)).tolist() == [9]
    assert not (run(t)[0] & int(Check.TIME_FUTURE)).any()  # no "now": not checked


def test_duplicate_address_interleaved() -> None:
    a = cruise(40)
    b = cruise(40, lon=4.0, time=T0 + 0.5 + np.arange(40))  # 150 km east, same address
    both = pa.concat_tables([a, b]).sort_by("time")
    flags, _ = run(both)
    dup = (flags & int(Check.DUPLICATE)) != 0
    assert dup[4:].mean() > 0.9  # from the second candidate report on, both tracks
    assert not dup[:2].any()


def test_position_offset_is_a_jump_then_accepted() -> None:
    t = cruise(60)
    lat = t.column("lat").to_numpy().copy()
    lat[30:] += 0.2  # the target now claims to be 22 km further north
    flags, _ = run(t.set_column(3, "lat", pa.array(lat)))
    assert flags[30] & int(Check.JUMP)
    assert not flags[40:].any()  # a single receiver then follows the new track


def test_integrity_step_fills_flags_column() -> None:
    t = cruise(30, gs_mps=800.0)
    _, out, conf = integrity_step(IntegrityState(), t)
    assert out.schema == t.schema
    assert (np.asarray(out.column("flags")) & int(Check.SPEED)).all()
    assert conf.shape == (30,)


def test_filters_compose() -> None:
    f = speed_limit() | jump()
    assert f.mask == int(Check.SPEED | Check.JUMP)
    assert f.names == ["speed", "jump"] and Check.JUMP in f and Check.TURN not in f
    assert (all_checks() | degraded()).mask == all_checks().mask
    t = cruise(30, v=800.0, nic=3)
    _, flags, _ = f.run(IntegrityState(), observations(t))
    assert check_names(flags) == ["speed"]  # nic fired too but is not selected
    _, flags_nic, _ = degraded().run(IntegrityState(), observations(t))
    assert check_names(flags_nic) == ["nic"]
    assert f.keep(t, flags).num_rows == 0
    assert repr(f) == "speed() | jump()"


def test_confidence_bounds_and_recovery() -> None:
    t = cruise(400, gs_mps=np.r_[np.full(10, 230.0), np.full(5, 900.0), np.full(385, 230.0)])
    _, conf = run(t)
    assert np.all((conf > 0) & (conf <= 1))
    assert conf[:10].min() == 1.0
    assert conf[14] < 0.01
    assert conf[-1] > 0.9  # five minutes later


def test_grade() -> None:
    ok = np.zeros(3, np.uint32)
    bad = np.full(3, int(Check.JUMP | Check.NIC), np.uint32)
    assert grade(ok, np.ones(3)) == ("verified", [])
    assert grade(bad, np.ones(3)) == ("unverified", ["jump", "nic"])
    assert grade(np.r_[bad, ok].astype(np.uint32), np.ones(6)) == ("verified",
                                                                   ["jump", "nic"])
    assert grade(ok, np.full(3, 0.2))[0] == "unverified"  # clean but low confidence
    assert grade(np.zeros(0, np.uint32), np.zeros(0))[0] == "unverified"


# -- batch-split invariance ------------------------------------------------------------------

def _stream(seed: int, n: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    ids = rng.choice(["icao:000001", "icao:000002", "rid:DRONE1"], n)
    t = T0 + np.sort(rng.uniform(0, 600, n))
    t[rng.random(n) < 0.05] -= 30.0  # some late reports
    lat = 48 + rng.normal(0, 0.05, n)
    lat[rng.random(n) < 0.1] += 1.0  # jumps
    return table(n, time=t, target_id=ids, lat=lat, lon=2 + rng.normal(0, 0.05, n),
                 alt_baro_m=rng.choice([3000.0, 3010.0, 9000.0], n),
                 alt_geo_m=rng.choice([3050.0, 6000.0], n),
                 gs_mps=rng.choice([50.0, 230.0, 900.0], n),
                 vrate_mps=rng.choice([0.0, 10.0, 400.0], n),
                 track_deg=rng.uniform(0, 360, n), nic=rng.integers(0, 11, n),
                 nacp=rng.integers(0, 11, n), sil=rng.integers(0, 3, n),
                 adsb_version=rng.choice([0, 1, 2], n))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80),
       cuts=st.lists(st.integers(0, 80), max_size=5))
def test_batch_split_invariance(seed: int, n: int, cuts: list[int]) -> None:
    t = _stream(seed, n)
    now = T0 + 400
    whole_flags, whole_conf = run(t, now)
    state = IntegrityState()
    parts_f, parts_c = [], []
    bounds = [0, *sorted(c for c in cuts if c < n), n]
    for a, b in itertools.pairwise(bounds):
        state, f, c = check_batch(state, observations(t.slice(a, b - a)), now)
        parts_f.append(f)
        parts_c.append(c)
    np.testing.assert_array_equal(np.concatenate(parts_f), whole_flags)
    np.testing.assert_allclose(np.concatenate(parts_c), whole_conf, rtol=1e-12)


def test_empty_batches_and_rows_without_target() -> None:
    state, flags, conf = check_batch(IntegrityState(), observations(table(0)))
    assert len(state) == 0 and flags.shape == conf.shape == (0,)
    t = cruise(3, target_id=pa.array([None, "icao:abcdef", None], pa.string()))
    state, flags, conf = check_batch(state, observations(t))
    assert len(state) == 1 and flags.tolist() == [0, 0, 0]
    assert np.isnan(conf[0]) and conf[1] == 1.0
    state2, _, _ = check_batch(state, observations(table(0)))
    assert len(state2) == 1  # nothing forgotten by an empty batch


# -- real recordings -------------------------------------------------------------------------

def _samples() -> Path | None:
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        return None
    p = Path(spec.origin).parent / "data" / "samples"
    return p if p.is_dir() else None


SAMPLES = _samples()
needs_traffic = pytest.mark.skipif(SAMPLES is None, reason="the traffic package (dev extra) "
                                   "is not installed: no recordings")


def _load(rel: str) -> pa.Table:
    assert SAMPLES is not None
    return pa.concat_tables(list(read_traffic(SAMPLES / rel))).sort_by("time")


@needs_traffic
@pytest.mark.parametrize(("name", "expected"), [
    ("noisy_spoofing", {"jump", "speed"}),  # positions hundreds of km off
    ("noisy_time_issue", {"jump", "climb"}),  # positions stale for minutes, altitude spikes
    ("noisy_takeoff", {"climb"}),  # altitude spikes
    ("noisy_ground", {"alt_outlier"}),  # single altitude spikes, none persists
    ("noisy_landing", {"alt_outlier", "baro_gnss"}),  # baro spikes GNSS height does not show
])
def test_noisy_samples_fire_the_right_checks(name: str, expected: set[str]) -> None:
    flags, _ = run(_load(f"noisy/{name}.json.gz"))
    assert expected <= set(check_names(flags))
    assert 0 < (flags != 0).mean() < 0.1  # the faulty stretches, not the flight


@needs_traffic
def test_clean_flights_rarely_fire() -> None:
    # measured (benchmarks/results/integrity.md): featured 3 flights of 16 with an
    # implausibility flag, all on recorder faults (zero_gravity and dreamliner_airfrance:
    # ground-speed steps, dreamliner_airfrance also a 4 km position step; airbus_tree: stale
    # positions; their single altitude spikes are alt_outlier only),
    # switzerland 0 of 842
    flagged = total = 0
    assert SAMPLES is not None
    for f in sorted((SAMPLES / "featured").glob("*.json.gz")):
        t = _load(f"featured/{f.name}")
        flags, _ = run(t)
        ids = np.asarray(t.column("target_id").to_pylist())
        total += len(set(ids))
        flagged += len(set(ids[(flags & np.uint32(IMPLAUSIBLE)) != 0]))
    assert total == 16 and flagged <= 3
    t = _load("collections/switzerland.json.gz")
    flags, _ = run(t)
    ids = np.asarray(t.column("target_id").to_pylist())
    n_flagged = len(set(ids[flags != 0]))
    assert len(set(ids)) == 842 and n_flagged <= 1  # measured 0


@needs_traffic
def test_decoded_mode_s_flight() -> None:
    # rs1090's recording of one Air France flight out of CDG, decoded by skyfence: NIC 7
    # throughout (not degraded), no CPR ambiguity; the only flags are three single-frame
    # altitudes that test_decode_rs1090 documents as garbled or odd (DF 4 at 16,800 ft in
    # cruise, the DF 20 Q-bit 39,150 ft, a DF 4 near the ground): outliers, not climbs
    import json

    from skyfence.decode import decode_hex

    assert SAMPLES is not None
    recs = [json.loads(line) for line in
            (SAMPLES / "rs1090" / "full_flight_short.jsonl").open()]
    t, _ = decode_hex([r["frame"] for r in recs], np.array([r["timestamp"] for r in recs]),
                      reference=(49.0097, 2.5479))
    flags, conf = run(t)
    assert check_names(flags) == ["alt_outlier"] and int((flags != 0).sum()) == 3
    assert np.nanmin(conf) == 1.0


# -- interference ------------------------------------------------------------------------------

def _fleet(cell_lat: float, n_ok: int, n_bad: int, hour: int = 0) -> pa.Table:
    n = n_ok + n_bad
    ids = [f"icao:{cell_lat:+03.0f}{hour}{i:03d}" for i in range(n)]
    return table(n, time=T0 - T0 % 3600 + hour * 3600 + np.arange(n), target_id=ids,
                 lat=cell_lat + 0.5, lon=10.5, nic=np.r_[np.full(n_ok, 8), np.full(n_bad, 0)])


def test_interference_grid_shares_and_levels(tmp_path: Path) -> None:
    data = pa.concat_tables([
        _fleet(40, 49, 1),  # 2 %: medium
        _fleet(41, 90, 10),  # 10 %: medium (high is *over* 10 %)
        _fleet(42, 17, 3),  # 15 %: high
        _fleet(43, 100, 1),  # 1 %: low
        _fleet(44, 1, 1),  # too few aircraft
        _fleet(40, 10, 0, hour=1),  # the next window
        table(3, lat=45.5, lon=10.5),  # no NIC: not counted
    ])
    # one aircraft degraded in only one of its reports still counts once, as degraded
    extra = table(2, target_id="icao:e00001", lat=40.5, lon=10.5, nic=[8, 3],
                  time=T0 - T0 % 3600 + np.arange(2))
    grid = interference_grid([data, extra], cell_deg=1.0, window_s=3600.0)
    rows = {(r["cell_lat"], r["window_start"].timestamp()): r for r in grid.to_pylist()}
    w0 = T0 - T0 % 3600
    r = rows[(40.0, w0)]
    assert (r["n_aircraft"], r["n_degraded"], r["level"]) == (51, 2, "medium")
    assert rows[(41.0, w0)]["share"] == pytest.approx(0.10)
    assert rows[(41.0, w0)]["level"] == "medium"
    assert rows[(42.0, w0)]["level"] == "high"
    assert rows[(43.0, w0)]["level"] == "low"
    assert rows[(44.0, w0)]["level"] is None
    assert rows[(40.0, w0 + 3600)]["n_aircraft"] == 10
    assert (45.0, w0) not in rows
    gj = interference_geojson(grid)
    assert len(gj["features"]) == grid.num_rows
    ring = gj["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    json.dumps(gj)


def test_interference_cli(tmp_path: Path) -> None:
    from skyfence.cli import interference as cli

    src = tmp_path / "traffic.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.concat_tables([_fleet(40, 17, 3), _fleet(41, 20, 0)]), src)
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    out = tmp_path / "jam.geojson"
    args = parser.parse_args([str(src), "--out", str(out), "--window", "30min"])
    console = Console(file=io.StringIO(), width=200)
    assert cli.run(args, console) == 0
    gj = json.loads(out.read_text())
    levels = sorted(f["properties"]["level"] for f in gj["features"])
    assert levels == ["high", "low"]
    assert "2 cell-windows" in console.file.getvalue()  # type: ignore[attr-defined]
    assert cli.parse_duration("1h") == 3600 and cli.parse_duration("90") == 90
