"""The tracker as a stage: ``(TrackerState, Plots, cooperative Reports) -> (TrackerState,
Reports)``.

Plots are grouped into scans by their time (one scan per distinct timestamp; bin times
upstream when sensors stamp each plot separately). For each scan, in time order:

1. plots near a cooperative target (an ADS-B or Remote ID report within ``coop_window_s``,
   extrapolated along its velocity to the scan time, inside the chi-square gate) are given to
   that target by a global assignment: the row keeps the target's ``target_id``, so one object
   is one track;
2. the other plots go through :func:`skyfence.tracker.gnn.step`.

Output: one ``Reports`` row per plot that updated a confirmed track (``target_id``
``plot:<track id>``, ``id_kind`` ``plot``, filtered position, speed and course,
``track_quality``, ``target_class``) and one per plot claimed by a cooperative target.
Plots of tentative tracks are not reported: clutter stays out of the alerts.

Plots without a height (null ``alt_m``: a 2D radar) are filtered with a vertical noise of
``NO_HEIGHT_SIGMA_M`` = 10 km, so their altitude carries no weight in gating, assignment or
the filter; a track whose altitude is less sure than ``MAX_ALT_SIGMA_M`` = 500 m (2D plots
only: a 3D sensor's 50 m keeps it far below) reports a null altitude and vertical rate,
which detection treats as "cannot be ruled out".
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.plots.geo import enu_to_geodetic, geodetic_to_enu
from skyfence.schema.reports import REPORTS, TIME_TYPE
from skyfence.schema.types import conform
from skyfence.tracker.classify import classify
from skyfence.tracker.gnn import assign, popcount, step
from skyfence.tracker.state import TrackerParams, TrackerState

__all__ = ["MAX_ALT_SIGMA_M", "NO_HEIGHT_SIGMA_M", "track_plot_rows", "track_plots"]

F64 = npt.NDArray[np.float64]
NO_HEIGHT_SIGMA_M = 10_000.0
MAX_ALT_SIGMA_M = 500.0


def _seconds(col: pa.ChunkedArray | pa.Array) -> F64:
    return np.asarray(pc.cast(col, pa.int64()).to_numpy(), dtype=np.float64) / 1e6


def _num(table: pa.Table, name: str) -> F64:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _noise(sig_h: F64, sig_v: F64) -> F64:
    r = np.zeros((len(sig_h), 3, 3))
    r[:, 0, 0] = r[:, 1, 1] = sig_h**2
    r[:, 2, 2] = sig_v**2
    return r


class _Coop:
    """Cooperative reports in the tangent plane, for claiming plots."""

    def __init__(self, reports: pa.Table | None, origin: tuple[float, float, float]) -> None:
        if reports is None or reports.num_rows == 0:
            self.n = 0
            return
        r = reports.filter(pc.and_(pc.is_valid(reports.column("lat")),
                                   pc.is_valid(reports.column("lon"))))
        alt = pc.coalesce(r.column("alt_geo_m"), r.column("alt_baro_m"), 0.0)
        self.n = r.num_rows
        self.t = _seconds(r.column("time"))
        self.ids = np.asarray(r.column("target_id").to_numpy(zero_copy_only=False), dtype=object)
        self.kinds = np.asarray(r.column("id_kind").to_numpy(zero_copy_only=False), dtype=object)
        self.pos = geodetic_to_enu(_num(r, "lat"), _num(r, "lon"),
                                   np.asarray(alt.to_numpy(), float), origin)
        gs = np.nan_to_num(_num(r, "gs_mps"))
        trk = np.radians(np.nan_to_num(_num(r, "track_deg")))
        self.vel = np.stack([gs * np.sin(trk), gs * np.cos(trk),
                             np.nan_to_num(_num(r, "vrate_mps"))], axis=-1)

    def claim(self, t: float, z: F64, r: F64, params: TrackerParams
              ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], npt.NDArray[np.object_]]:
        """(plot indices, target ids, id kinds) of plots claimed by cooperative targets."""
        empty = np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, object)
        if self.n == 0 or len(z) == 0:
            return empty
        near = np.flatnonzero(np.abs(self.t - t) <= params.coop_window_s)
        if not len(near):
            return empty
        # the nearest report in time per target
        order = near[np.argsort(np.abs(self.t[near] - t), kind="stable")]
        _, first = np.unique(self.ids[order], return_index=True)
        sel = order[first]
        pos = self.pos[sel] + self.vel[sel] * (t - self.t[sel])[:, None]
        s = r[None] + np.eye(3) * params.coop_sigma_m**2
        nu = z[None] - pos[:, None]
        d2 = np.einsum("kmi,kmi->km", nu, np.linalg.solve(s, nu[..., None])[..., 0])
        rows, cols = assign(d2, params.gate)
        return cols, self.ids[sel][rows], self.kinds[sel][rows]


def track_plots(
    state: TrackerState,
    plots: pa.Table,
    cooperative: pa.Table | None = None,
    params: TrackerParams | None = None,
) -> tuple[TrackerState, pa.Table]:
    """Track ``plots`` (``Plots`` schema) from ``state``; see the module docstring."""
    state, reports, _ = track_plot_rows(state, plots, cooperative, params)
    return state, reports


def track_plot_rows(
    state: TrackerState,
    plots: pa.Table,
    cooperative: pa.Table | None = None,
    params: TrackerParams | None = None,
) -> tuple[TrackerState, pa.Table, npt.NDArray[np.int64]]:
    """As :func:`track_plots`, plus for each output row the row of ``plots`` it came from
    (for scoring association against a truth)."""
    params = params or TrackerParams()
    no_rows = np.zeros(0, np.int64)
    if plots.num_rows == 0:
        return state, REPORTS.empty_table(), no_rows
    # plots without a position cannot be tracked: leave them out
    located = pc.and_(pc.is_valid(plots.column("lat")), pc.is_valid(plots.column("lon")))
    keep = np.flatnonzero(located.to_numpy(zero_copy_only=False))
    if not len(keep):
        return state, REPORTS.empty_table(), no_rows
    by_time = np.asarray(pc.sort_indices(plots.take(pa.array(keep)), [("time", "ascending")]))
    sort = keep[by_time].astype(np.int64)
    plots = plots.take(pa.array(sort))
    t_all = _seconds(plots.column("time"))
    lat, lon, alt = _num(plots, "lat"), _num(plots, "lon"), _num(plots, "alt_m")
    no_height = np.isnan(alt)
    alt = np.nan_to_num(alt)
    if state.origin is None:
        state = replace(state, origin=(float(lat[0]), float(lon[0]), 0.0))
    origin = state.origin
    assert origin is not None
    z_all = geodetic_to_enu(lat, lon, alt, origin)
    r_all = _noise(_num(plots, "sigma_h_m"),
                   np.where(no_height, NO_HEIGHT_SIGMA_M, _num(plots, "sigma_v_m")))
    sensors_all = np.asarray(plots.column("sensor_id").to_numpy(zero_copy_only=False), object)
    coop = _Coop(cooperative, origin)

    coop_parts: list[tuple[float, F64, npt.NDArray[np.object_], npt.NDArray[np.object_],
                           npt.NDArray[np.object_], npt.NDArray[np.int64],
                           npt.NDArray[np.bool_]]] = []
    track_parts: list[tuple[Any, ...]] = []
    bounds = np.r_[0, np.flatnonzero(np.diff(t_all)) + 1, len(t_all)]
    for a, b in itertools.pairwise(bounds):
        t, z, r, sensors = t_all[a], z_all[a:b], r_all[a:b], sensors_all[a:b]
        rows = sort[a:b]
        if coop.n:
            claimed, ids, kinds = coop.claim(t, z, r, params)
            if len(claimed):
                coop_parts.append((t, z[claimed], ids, kinds, sensors[claimed], rows[claimed],
                                   no_height[a:b][claimed]))
                free = np.setdiff1d(np.arange(len(z)), claimed)
                z, r, sensors, rows = z[free], r[free], sensors[free], rows[free]
        state, upd, plot_of = step(params, state, t, z, r, sensors)
        shown = state.confirmed[upd]
        if shown.any():
            upd = upd[shown]
            # the state's arrays are never modified in place: keep them, gather at the end
            track_parts.append((t, upd, rows[plot_of[shown]], state.x, state.track_id,
                                state.speed_mps, state.turn_dps, state.hits, state.history,
                                state.age, state.sensor, state.p))
    if not coop_parts and not track_parts:
        return state, REPORTS.empty_table(), no_rows
    n_tr = [len(part[1]) for part in track_parts]

    def gather(k: int) -> npt.NDArray[Any]:
        return np.concatenate([part[k][part[1]] for part in track_parts]) if track_parts \
            else np.zeros({3: (0, 6), 11: (0, 6, 6)}.get(k, (0,)))

    n_coop = sum(len(c[1]) for c in coop_parts)
    tr_x, tr_id = gather(3), gather(4)
    quality = popcount(gather(8), params.confirm_n) / np.minimum(gather(9), params.confirm_n)
    coop_x = (np.hstack([np.vstack([c[1] for c in coop_parts]), np.full((n_coop, 3), np.nan)])
              if coop_parts else np.zeros((0, 6)))
    x = np.vstack([coop_x, tr_x])
    plat, plon, palt = enu_to_geodetic(x[:, :3], origin)
    ve, vn, vu = x[:, 3], x[:, 4], x[:, 5]
    # altitudes nobody measured: the claimed plot had no height, or the track's is vague
    vague = np.concatenate([c[6] for c in coop_parts]
                           + [np.sqrt(gather(11)[:, 2, 2]) > MAX_ALT_SIGMA_M])
    palt, vu = np.where(vague, np.nan, palt), np.where(vague, np.nan, vu)
    times = np.concatenate([np.full(len(c[1]), c[0]) for c in coop_parts]
                           + [np.repeat([p[0] for p in track_parts], n_tr)])
    us = np.round(times * 1e6).astype(np.int64)
    cls, conf = classify(gather(5), palt[n_coop:], gather(6), gather(7))
    tid = pa.array(np.r_[np.zeros(n_coop, np.int64), tr_id],
                   mask=np.r_[np.ones(n_coop, bool), np.zeros(len(tr_id), bool)])
    plot_ids = pc.binary_join_element_wise("plot:", pc.cast(tid, pa.string()), "")
    coop_ids = [i for c in coop_parts for i in c[2]] + [None] * len(tr_id)
    nulls = [None] * n_coop
    table = pa.table({
        "time": pa.array(us, pa.int64()).cast(pa.timestamp("us")).cast(TIME_TYPE),
        "target_id": pc.coalesce(pa.array(coop_ids, pa.string()), plot_ids),
        "id_kind": pa.array([k for c in coop_parts for k in c[3]] + ["plot"] * len(tr_id),
                            pa.string()),
        "lat": plat, "lon": plon,
        "alt_geo_m": pa.array(palt, from_pandas=True),
        "gs_mps": pa.array(np.hypot(ve, vn), from_pandas=True),
        "track_deg": pa.array(np.degrees(np.arctan2(ve, vn)) % 360.0, from_pandas=True),
        "vrate_mps": pa.array(vu, from_pandas=True),
        "source": pa.array([q for c in coop_parts for q in c[4]] + gather(10).tolist(),
                           pa.string()),
        "track_id": tid,
        "track_quality": pa.array(np.r_[np.full(n_coop, np.nan), quality], from_pandas=True),
        "target_class": pa.array(nulls + cls.tolist(), pa.string()),
        "class_confidence": pa.array(np.r_[np.full(n_coop, np.nan), conf], from_pandas=True),
    })
    source_rows = np.concatenate([c[5] for c in coop_parts]
                                 + [p[2] for p in track_parts]).astype(np.int64)
    order = np.argsort(us, kind="stable")
    table = conform(table, REPORTS).take(pa.array(order))
    return state, table, source_rows[order]
