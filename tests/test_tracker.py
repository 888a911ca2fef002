"""The plot tracker: Kalman algebra, crossing and loitering targets, clutter, cooperative
targets, state carried across calls, classification."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from skyfence.plots import PLOTS
from skyfence.plots.geo import enu_to_geodetic, geodetic_to_enu
from skyfence.schema import REPORTS
from skyfence.tracker import TrackerParams, TrackerState, classify, track_plots
from skyfence.tracker.kalman import mahalanobis2, predict, update

ORIGIN = (52.2, 21.0, 100.0)
T0 = 1_780_000_000.0


def plots_of(t: np.ndarray, enu: np.ndarray, sigma: float = 10.0, sensor: str = "r1") -> pa.Table:
    lat, lon, alt = enu_to_geodetic(enu, ORIGIN)
    n = len(t)
    return pa.table({
        "time": pa.array(np.round(t * 1e6).astype(np.int64)).cast(pa.timestamp("us"))
        .cast(PLOTS.field("time").type),
        "sensor_id": [sensor] * n, "lat": lat, "lon": lon, "alt_m": alt,
        "sigma_h_m": np.full(n, sigma), "sigma_v_m": np.full(n, sigma),
        "radial_speed_mps": pa.nulls(n, pa.float64()), "class_hint": pa.nulls(n, pa.string()),
    }, schema=PLOTS)


def crossing(rng: np.random.Generator, sigma: float = 10.0) -> tuple[pa.Table, np.ndarray]:
    """Two targets crossing at right angles at the origin at 40 m/s, 1 s scans."""
    ts = np.arange(60.0)
    a = np.stack([-1200 + 40 * ts, np.zeros(60), np.full(60, 300.0)], 1)
    b = np.stack([np.zeros(60), -1200 + 40 * ts, np.full(60, 320.0)], 1)
    truth = np.stack([a, b])  # (2, 60, 3)
    enu = truth.transpose(1, 0, 2).reshape(-1, 3) + rng.normal(0, sigma, (120, 3))
    return plots_of(T0 + np.repeat(ts, 2), enu, sigma), truth


def purity(reports: pa.Table, truth: np.ndarray) -> dict[int, float]:
    """Per track id, the share of its rows nearest to its majority truth object."""
    t = (reports.column("time").cast(pa.int64()).to_numpy() / 1e6 - T0).round().astype(int)
    enu = geodetic_to_enu(reports.column("lat").to_numpy(), reports.column("lon").to_numpy(),
                          reports.column("alt_geo_m").to_numpy(), ORIGIN)
    d = np.linalg.norm(truth[:, t, :] - enu[None], axis=2)
    nearest = d.argmin(0)
    ids = reports.column("track_id").to_numpy()
    return {int(i): float(np.bincount(nearest[ids == i]).max() / (ids == i).sum())
            for i in np.unique(ids)}


def test_kalman_predict_update() -> None:
    x = np.array([[0.0, 0, 0, 10, 0, 0]])
    p = np.eye(6)[None] * 100
    x2, p2 = predict(x, p, np.array([2.0]), 1.0, 1.0)
    assert x2[0, 0] == 20 and p2[0, 0, 0] > 100 and np.allclose(p2[0], p2[0].T)
    r = np.eye(3)[None] * 25
    d2, _ = mahalanobis2(x2, p2, np.array([[20.0, 0, 0], [500, 0, 0]]), np.repeat(r, 2, 0))
    assert d2[0, 0] == 0 and d2[0, 1] > 100
    x3, p3 = update(x2, p2, np.array([[22.0, 0, 0]]), r)
    assert 20 < x3[0, 0] < 22 and p3[0, 0, 0] < 25


def test_crossing_targets_keep_their_tracks() -> None:
    plots, truth = crossing(np.random.default_rng(1))
    _, rep = track_plots(TrackerState(), plots)
    assert rep.schema.equals(REPORTS)
    assert rep.num_rows >= 110  # 120 plots, the first 2 of each track are tentative
    assert len(set(rep.column("track_id").to_pylist())) == 2
    assert min(purity(rep, truth).values()) == 1.0
    assert set(rep.column("target_id").to_pylist()) == {"plot:1", "plot:2"}
    assert set(rep.column("target_class").to_pylist()) <= {"light_aircraft", "unknown"}


def test_loitering_drone_with_misses_and_clutter() -> None:
    rng = np.random.default_rng(2)
    ts = np.arange(120.0)
    ang = ts * 10 / 150  # 10 m/s on a 150 m circle, on a zone boundary
    truth = np.stack([150 * np.cos(ang), 150 * np.sin(ang), np.full(120, 80.0)], 1)
    seen = rng.random(120) > 0.15  # 15 % missed detections
    enu = truth[seen] + rng.normal(0, 8, (seen.sum(), 3))
    times = T0 + ts[seen]
    n_clutter = 240  # two false plots per scan over 10 x 10 km
    c_t = T0 + rng.integers(0, 120, n_clutter).astype(float)
    c_enu = np.column_stack([rng.uniform(-5000, 5000, (n_clutter, 2)),
                             rng.uniform(0, 500, n_clutter)])
    order = np.argsort(np.r_[times, c_t], kind="stable")
    plots = plots_of(np.r_[times, c_t][order], np.vstack([enu, c_enu])[order], 8.0)
    _, rep = track_plots(TrackerState(), plots)
    ids = rep.column("track_id").to_numpy()
    main_id = np.bincount(ids).argmax()
    main = rep.filter(pa.compute.equal(rep.column("track_id"), main_id))
    assert main.num_rows >= 0.9 * seen.sum()
    assert (rep.num_rows - main.num_rows) <= 0.05 * n_clutter  # clutter rarely confirms
    classes = main.column("target_class").to_pylist()
    assert classes.count("drone") >= 0.8 * len(classes)
    assert main.column("track_quality").to_numpy()[-1] >= 0.5


def test_plots_near_a_cooperative_target_join_it() -> None:
    plots, truth = crossing(np.random.default_rng(3))
    lat, lon, alt = enu_to_geodetic(truth[0], ORIGIN)
    coop = pa.table({
        "time": pa.array(np.round((T0 + np.arange(60.0)) * 1e6).astype(np.int64))
        .cast(pa.timestamp("us")).cast(REPORTS.field("time").type),
        "target_id": ["icao:3c6444"] * 60, "id_kind": ["icao"] * 60,
        "lat": lat, "lon": lon, "alt_geo_m": alt, "gs_mps": np.full(60, 40.0),
        "track_deg": np.full(60, 90.0),
    })
    coop = pa.table({f.name: coop.column(f.name) if f.name in coop.column_names
                     else pa.nulls(60, f.type) for f in REPORTS}, schema=REPORTS)
    _, rep = track_plots(TrackerState(), plots, coop)
    ids = rep.column("target_id").to_pylist()
    assert ids.count("icao:3c6444") == 60
    assert {i for i in ids if i != "icao:3c6444"} == {"plot:1"}  # target b alone is a plot track


def test_state_carries_across_calls() -> None:
    plots, _ = crossing(np.random.default_rng(4))
    _, whole = track_plots(TrackerState(), plots)
    s, first = track_plots(TrackerState(), plots.slice(0, 60))
    _, second = track_plots(s, plots.slice(60))
    both = pa.concat_tables([first, second])
    assert both.column("target_id").to_pylist() == whole.column("target_id").to_pylist()
    assert np.allclose(both.column("lat").to_numpy(), whole.column("lat").to_numpy())


def test_empty_and_params() -> None:
    s, rep = track_plots(TrackerState(), PLOTS.empty_table())
    assert rep.num_rows == 0 and len(s) == 0
    plots, _ = crossing(np.random.default_rng(5))
    _, strict = track_plots(TrackerState(), plots, params=TrackerParams(confirm_m=4))
    assert 100 <= strict.num_rows < 120


@pytest.mark.parametrize(
    ("speed", "alt", "expected"),
    [(8.0, 90.0, "drone"), (55.0, 900.0, "light_aircraft"), (230.0, 11000.0, "airliner"),
     (140.0, 3000.0, "airliner"), (5.0, 4000.0, "unknown")],
)
def test_classify(speed: float, alt: float, expected: str) -> None:
    cls, conf = classify(np.array([speed]), np.array([alt]), np.zeros(1), np.array([20]))
    assert cls[0] == expected
    assert (conf[0] > 0.5) == (expected != "unknown")
    few, c0 = classify(np.array([speed]), np.array([alt]), np.zeros(1), np.array([1]))
    assert few[0] == "unknown" and c0[0] == 0


def test_compiled_kernels_match_the_numpy_filter() -> None:
    from skyfence.tracker.kernels import gate, predict_all, update_pairs

    rng = np.random.default_rng(6)
    k, m = 4, 3
    a = rng.normal(size=(k, 6, 6))
    p = a @ a.transpose(0, 2, 1) * 50 + np.eye(6) * 10
    x = rng.normal(0, 100, (k, 6))
    dt = rng.uniform(0.5, 4, k)
    xr, pr = predict(x, p, dt, 25.0, 4.0)
    xk, pk = x.copy(), p.copy()
    predict_all(xk, pk, dt, 25.0, 4.0)
    assert np.allclose(xk, xr) and np.allclose(pk, pr)
    z = rng.normal(0, 100, (m, 3))
    r = np.repeat((np.eye(3) * 400)[None], m, 0)
    d2r, logdet = mahalanobis2(xr, pr, z, r)
    d2k, cost, _ = gate(xk, pk, z, r, 16.27)
    assert np.allclose(d2k, d2r) and np.allclose(cost, d2r + logdet)
    rows, cols = np.array([0, 2]), np.array([1, 0])
    xu, pu = update(xr[rows], pr[rows], z[cols], r[cols])
    update_pairs(xk, pk, rows, z, r, cols)
    assert np.allclose(xk[rows], xu) and np.allclose(pk[rows], pu)


@pytest.mark.parametrize(
    ("pattern", "first_shown"),
    [
        ("HHH", 2),  # the third hit confirms
        ("HMHMH", 4),  # 3 of 5 with a miss between each
        ("HMMHH", 4),  # the first plot still counts: 3 hits in the first 5 scans
        ("HMMMHHH", 6),  # 3 misses in a row: the track restarts on scan 4's plot
        ("HMMHMHH", 6),  # 3 hits in scans 2-6, not in the first 5: the window slides
        ("HMHMMHH", 6),  # hits at 2, 5, 6 within scans 2-6
    ],
)
def test_confirmation_window_slides(pattern: str, first_shown: int) -> None:
    """M-of-N over any N consecutive scans: a target is confirmed on the first scan that
    closes 3 hits within 5 scans, whenever its first hit was. A second target 8 km away,
    seen every scan, makes every scan happen (a scan is a time with plots)."""
    ts = np.arange(float(len(pattern)))
    enu = np.stack([20.0 * ts, np.zeros_like(ts), np.full_like(ts, 300.0)], 1)
    seen = np.array([c == "H" for c in pattern])
    far = enu + np.array([0.0, 8000.0, 0.0])
    t = np.r_[ts[seen], ts]
    order = np.argsort(t, kind="stable")
    plots = plots_of(T0 + t[order], np.vstack([enu[seen], far])[order])
    _, rep = track_plots(TrackerState(), plots)
    near = rep.filter(pa.compute.less(rep.column("lat"), ORIGIN[0] + 0.01))
    shown = near.column("time").cast(pa.int64()).to_numpy() / 1e6 - T0
    assert shown.min() == first_shown
    assert near.num_rows == seen[first_shown:].sum()
