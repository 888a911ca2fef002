"""Plot tracker evaluation: GOSPA and speed against Stone Soup's GNN tracker on simulated
scenarios, and association accuracy on a real ADS-B recording turned into plots.

Simulated scenarios (seeded; local ENU metres around 48.7 N 2.3 E, 1 s scans, position noise
``SIGMA_M`` per axis, detection probability ``pd``, uniform clutter over 10 x 10 km x 1 km):

- ``crossing``: four aircraft crossing in pairs at right angles near one point, 40-60 m/s;
- ``loiter``: a drone circling a 150 m circle at 10 m/s (a zone boundary) while a light
  aircraft passes 300 m away at 50 m/s;
- ``clutter``: three targets, 5 false plots per scan on average;
- ``missed``: five targets, detection probability 0.7;
- ``dense``: 20 targets at random, 2 false plots per scan.

Both trackers get the same plots, the same constant-velocity model (continuous white-noise
acceleration, skyfence's defaults: q = 25 m^2/s^3 horizontally, 4 vertically), the same
measurement noise, the same chi-square gate (16.27, 3 dof) and the same life cycle: skyfence
confirms 3 hits in any 5 consecutive scans, drops a tentative track after 3 misses in a row
and a confirmed one after 5; Stone Soup's ``MultiMeasurementInitiator`` needs 3 points and
deletes a tentative track after 2 missed scans in a row (so it too confirms 3 hits in 5 scans
at the slowest) and ``UpdateTimeStepsDeleter`` drops a track 5 scans after its last update.
Stone Soup: ``MultiTargetTracker`` with ``KalmanPredictor``/``KalmanUpdater``,
``DistanceHypothesiser`` (Mahalanobis) and ``GNNWith2DAssignment``.
GOSPA (``stonesoup.metricgenerator.ospametric.GOSPAMetric``, c = 100 m, p = 1, alpha = 2)
between the confirmed tracks' positions and the true positions at every scan, averaged over
scans. Times: one whole run each (skyfence: best of 3 runs of
``track_plots`` on the geodetic plots table, geodesy included; Stone Soup: one run on the ENU
detections), one core.

Real recording: the ``quickstart`` collection of ``traffic`` (Paris, 2021-10-07, 3 h, 1 s
ADS-B), airborne reports only, interpolated per aircraft to a 4 s radar scan, identities
removed, N(0, 30 m) noise per axis, 10 % of detections dropped. An output row is right when
its plot belongs to the aircraft that contributed most plots to its track.

Run: ``python benchmarks/bench_tracker.py`` (needs ``pip install -e '.[bench]' stonesoup``);
writes ``benchmarks/results/tracker.md``.
"""

from __future__ import annotations

# isort: skip_file
import common  # first: pins every engine (numpy's BLAS included) to one core

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.plots import PLOTS
from skyfence.plots.geo import enu_to_geodetic
from skyfence.tracker import TrackerParams, TrackerState, track_plot_rows, track_plots

ORIGIN = (48.7, 2.3, 0.0)
T0 = 1_633_600_000.0
SIGMA_M = 15.0
GOSPA_C = 100.0
PARAMS = TrackerParams()
SEED = 7


@dataclass
class Scenario:
    name: str
    times: np.ndarray  # (s,) scan times, Unix seconds
    truth: np.ndarray  # (k, s, 3) ENU, NaN where the target does not exist
    plot_t: np.ndarray  # (m,)
    plot_enu: np.ndarray  # (m, 3)


def _line(start: tuple[float, float, float], vel: tuple[float, float, float],
          ts: np.ndarray) -> np.ndarray:
    return np.asarray(start) + np.outer(ts, vel)


def _simulate(name: str, truth: np.ndarray, pd: float, clutter: float,
              rng: np.random.Generator) -> Scenario:
    k, s, _ = truth.shape
    ts = np.arange(s, dtype=float)
    t_list, z_list = [], []
    for j in range(s):
        alive = np.flatnonzero(np.isfinite(truth[:, j, 0]) & (rng.random(k) < pd))
        z = truth[alive, j] + rng.normal(0, SIGMA_M, (len(alive), 3))
        nc = rng.poisson(clutter)
        c = np.column_stack([rng.uniform(-5000, 5000, (nc, 2)), rng.uniform(0, 1000, nc)])
        allz = np.vstack([z, c])
        t_list.append(np.full(len(allz), ts[j]))
        z_list.append(allz)
    return Scenario(name, T0 + ts, truth, T0 + np.concatenate(t_list), np.vstack(z_list))


def scenarios() -> list[Scenario]:
    rng = np.random.default_rng(SEED)
    out = []
    ts = np.arange(120.0)
    crossing = np.stack([
        _line((-3000, 0, 500), (50, 0, 0), ts), _line((0, -3000, 520), (0, 50, 0), ts),
        _line((-2400, 400, 800), (40, 0, 0), ts), _line((400, 2400, 820), (0, -40, 0), ts),
    ])
    out.append(_simulate("crossing", crossing, 0.95, 0.0, rng))
    ts = np.arange(180.0)
    ang = ts * 10 / 150
    drone = np.stack([150 * np.cos(ang), 150 * np.sin(ang), np.full(180, 90.0)], 1)
    out.append(_simulate("loiter", np.stack([drone, _line((-4500, 300, 400), (50, 0, 0), ts)]),
                         0.9, 0.5, rng))
    ts = np.arange(120.0)
    three = np.stack([_line((-2000, -1000, 300), (30, 10, 0), ts),
                      _line((2000, 0, 600), (-35, 5, 0), ts),
                      _line((0, 2000, 150), (5, -12, 0), ts)])
    out.append(_simulate("clutter", three, 0.9, 5.0, rng))
    ts = np.arange(150.0)
    five = np.stack([_line((rng.uniform(-3000, 3000), rng.uniform(-3000, 3000), 400),
                           (rng.uniform(-40, 40), rng.uniform(-40, 40), 0), ts)
                     for _ in range(5)])
    out.append(_simulate("missed", five, 0.7, 0.0, rng))
    ts = np.arange(100.0)
    many = np.stack([_line((rng.uniform(-4000, 4000), rng.uniform(-4000, 4000),
                            rng.uniform(100, 900)),
                           (rng.uniform(-45, 45), rng.uniform(-45, 45), 0), ts)
                     for _ in range(20)])
    out.append(_simulate("dense", many, 0.9, 2.0, rng))
    return out


def plots_table(t: np.ndarray, enu: np.ndarray, sigma: float) -> pa.Table:
    lat, lon, alt = enu_to_geodetic(enu, ORIGIN)
    n = len(t)
    return pa.table({
        "time": pa.array(np.round(t * 1e6).astype(np.int64)).cast(pa.timestamp("us"))
        .cast(PLOTS.field("time").type),
        "sensor_id": ["sim"] * n, "lat": lat, "lon": lon, "alt_m": alt,
        "sigma_h_m": np.full(n, sigma), "sigma_v_m": np.full(n, sigma),
        "radial_speed_mps": pa.nulls(n, pa.float64()), "class_hint": pa.nulls(n, pa.string()),
    }, schema=PLOTS)


def gospa(estimates: list[np.ndarray], sc: Scenario) -> dict[str, float]:
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.array import StateVector
    from stonesoup.types.state import State

    metric = GOSPAMetric(c=GOSPA_C, p=1)
    totals = {"distance": 0.0, "localisation": 0.0, "missed": 0.0, "false": 0.0}
    for j, est in enumerate(estimates):
        when = dt.datetime.fromtimestamp(sc.times[j], dt.UTC)
        truth = [State(StateVector(p), when) for p in sc.truth[:, j] if np.isfinite(p[0])]
        meas = [State(StateVector(p), when) for p in est]
        m, _ = metric.compute_gospa_metric(meas, truth)
        for key in totals:
            totals[key] += float(m.value[key])
    return {k: v / len(estimates) for k, v in totals.items()}


def ours_estimates(sc: Scenario) -> list[np.ndarray]:
    """Confirmed tracks' positions after each scan (per-scan calls; not timed)."""
    state = TrackerState(origin=ORIGIN)
    out = []
    for t in sc.times:
        sel = sc.plot_t == t
        state, _ = track_plots(state, plots_table(sc.plot_t[sel], sc.plot_enu[sel], SIGMA_M))
        out.append(state.x[state.confirmed, :3].copy())
    return out


def stonesoup_run(sc: Scenario) -> tuple[list[np.ndarray], float]:
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import KalmanUpdater

    transition = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(PARAMS.q_h), ConstantVelocity(PARAMS.q_h), ConstantVelocity(PARAMS.q_v)])
    mm = LinearGaussian(ndim_state=6, mapping=(0, 2, 4), noise_covar=np.eye(3) * SIGMA_M**2)
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(mm)
    hyp = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(),
                               missed_distance=float(np.sqrt(PARAMS.gate)))
    assoc = GNNWith2DAssignment(hyp)
    prior = GaussianState(np.zeros((6, 1)), np.diag(
        [SIGMA_M**2, PARAMS.sigma_v0_mps**2] * 2 + [SIGMA_M**2, PARAMS.sigma_vz0_mps**2]))
    initiator = MultiMeasurementInitiator(
        prior_state=prior, measurement_model=mm, deleter=UpdateTimeStepsDeleter(2),
        data_associator=assoc, updater=updater, min_points=PARAMS.confirm_m)
    scans = []
    for t in sc.times:
        when = dt.datetime.fromtimestamp(t, dt.UTC)
        zs = sc.plot_enu[sc.plot_t == t]
        scans.append((when, {Detection(np.array(z).reshape(3, 1), timestamp=when,
                                       measurement_model=mm) for z in zs}))
    tracker = MultiTargetTracker(initiator=initiator, deleter=UpdateTimeStepsDeleter(5),
                                 detector=scans, data_associator=assoc, updater=updater)
    out = []
    start = time.perf_counter()
    for _, tracks in tracker:
        out.append(np.array([np.asarray(tr.state_vector).ravel()[[0, 2, 4]] for tr in tracks])
                   .reshape(-1, 3))
    return out, time.perf_counter() - start


def ours_time(sc: Scenario) -> float:
    table = plots_table(sc.plot_t, sc.plot_enu, SIGMA_M)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        track_plots(TrackerState(origin=ORIGIN), table)
        best = min(best, time.perf_counter() - start)
    return best


def real_recording(params: TrackerParams = PARAMS) -> dict[str, float]:
    t = pa.concat_tables(list(common.read_traffic(common.collection_path("quickstart"))))
    t = t.filter(pc.and_(pc.is_valid(t.column("alt_baro_m")),
                         pc.invert(pc.fill_null(t.column("on_ground"), False))))
    ts = pc.cast(t.column("time"), pa.int64()).to_numpy() / 1e6
    ids = t.column("target_id").to_numpy(zero_copy_only=False)
    from skyfence.plots.geo import geodetic_to_enu

    enu = geodetic_to_enu(t.column("lat").to_numpy(), t.column("lon").to_numpy(),
                          t.column("alt_baro_m").to_numpy(), ORIGIN)
    rng = np.random.default_rng(SEED)
    scan_s = 4.0
    pt, pz, pid = [], [], []
    names, codes = np.unique(ids, return_inverse=True)
    for c in range(len(names)):
        sel = np.flatnonzero(codes == c)
        o = sel[np.argsort(ts[sel])]
        tt = ts[o]
        up = enu[o, 2].copy()
        # ADS-B altitude glitches (single reports at another aircraft's level) are not
        # where the aircraft is: a radar would not see them; a 5-report median removes them
        if len(up) >= 5:
            win = np.lib.stride_tricks.sliding_window_view(np.pad(up, 2, mode="edge"), 5)
            up = np.median(win, axis=1)
        ticks = np.arange(np.ceil(tt[0] / scan_s) * scan_s, tt[-1], scan_s)
        if not len(ticks):
            continue
        # interpolate only across gaps of at most 3 s: no invented straight segments
        right = np.searchsorted(tt, ticks)
        ok = (right > 0) & (right < len(tt))
        ok[ok] &= (tt[right[ok]] - tt[right[ok] - 1]) <= 3.0
        ticks = ticks[ok]
        pos = np.column_stack([np.interp(ticks, tt, enu[o, 0]), np.interp(ticks, tt, enu[o, 1]),
                               np.interp(ticks, tt, up)])
        pt.append(ticks)
        pz.append(pos)
        pid.append(np.full(len(ticks), c))
    t_all, z_all, id_all = np.concatenate(pt), np.vstack(pz), np.concatenate(pid)
    keep = rng.random(len(t_all)) >= 0.10
    t_all, z_all, id_all = t_all[keep], z_all[keep], id_all[keep]
    z_all = z_all + rng.normal(0, 30.0, z_all.shape)
    table = plots_table(t_all, z_all, 30.0)
    start = time.perf_counter()
    _, rep, rows = track_plot_rows(TrackerState(origin=ORIGIN), table, params=params)
    elapsed = time.perf_counter() - start
    # segments: runs of one aircraft's plots without a gap of max_misses scans (a track
    # cannot bridge those; each segment needs a track of its own)
    o = np.lexsort((t_all, id_all))
    gap = np.diff(t_all[o]) > PARAMS.max_misses * scan_s
    new_seg = np.r_[True, (np.diff(id_all[o]) != 0) | gap]
    truth = id_all[rows]
    tracks = rep.column("track_id").to_numpy()
    right = 0
    for tid in np.unique(tracks):
        mine = truth[tracks == tid]
        right += np.bincount(mine).max()
    return {"aircraft": float(len(np.unique(id_all))), "plots": float(len(t_all)),
            "scans": float(len(np.unique(t_all))), "reported": float(len(rows)),
            "right": float(right), "tracks": float(len(np.unique(tracks))),
            "segments": float(new_seg.sum()),
            "seconds": elapsed}


def main() -> None:
    rows = []
    for sc in scenarios():
        ours = gospa(ours_estimates(sc), sc)
        ss_est, ss_s = stonesoup_run(sc)
        theirs = gospa(ss_est, sc)
        ours_s = ours_time(sc)
        rows.append([sc.name, f"{len(sc.plot_t):,}", len(sc.times),
                     f"{ours['distance']:.1f}", f"{theirs['distance']:.1f}",
                     f"{ours['localisation']:.1f} / {ours['missed']:.1f} / {ours['false']:.1f}",
                     f"{theirs['localisation']:.1f} / {theirs['missed']:.1f} / "
                     f"{theirs['false']:.1f}",
                     f"{ours_s * 1e3:.0f}", f"{ss_s * 1e3:.0f}", f"{ss_s / ours_s:.0f}x"])
        print(rows[-1], flush=True)
    real = real_recording()
    print(real, flush=True)
    md = [
        "# Plot tracker: evaluation", "",
        f"Generated by `benchmarks/bench_tracker.py` on {dt.datetime.now(dt.UTC).date()} "
        f"(seed {SEED}). "
        "Method: see the script's docstring.", "",
        common.md_dict(common.machine()), "",
        common.md_dict(common.versions(("skyfence", "numpy", "scipy", "pyarrow", "pyproj",
                                        "stonesoup"))), "",
        "## Simulated scenarios: GOSPA (c = 100 m, p = 1, alpha = 2; mean per scan, metres) "
        "and time, skyfence vs Stone Soup GNN", "",
        common.md_table(["scenario", "plots", "scans", "GOSPA skyfence", "GOSPA Stone Soup",
                         "skyfence loc / missed / false", "Stone Soup loc / missed / false",
                         "skyfence ms", "Stone Soup ms", "speed-up"], rows), "",
        "## Real recording re-tracked (traffic `quickstart`, Paris, 3 h)", "",
        common.md_table(
            ["aircraft", "plots", "scans (4 s)", "plots reported on confirmed tracks",
             "right object", "tracks", "truth segments", "time"],
            [[f"{real['aircraft']:.0f}", f"{real['plots']:,.0f}", f"{real['scans']:,.0f}",
              f"{real['reported']:,.0f} ({real['reported'] / real['plots']:.1%})",
              f"{real['right']:,.0f} ({real['right'] / real['reported']:.2%})",
              f"{real['tracks']:.0f}", f"{real['segments']:.0f}",
              f"{real['seconds']:.1f} s"]]), "",
        "Truth segments: runs of one aircraft's plots with no gap longer than 5 scans "
        "(20 s), the longest a track coasts; each needs a track of its own. "
        "Plots not reported belong to tentative tracks (the first 2 plots of every track, "
        "and plots that never formed a confirmed track).", "",
    ]
    out = common.RESULTS / "tracker.md"
    out.write_text("\n".join(md))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
