"""Predicted entry: will the target's current velocity carry it into a zone within the
zone's look-ahead (``Margins.lookahead_s``)?

From each target's latest report in a batch, its position is projected along ground speed
and track (and altitude along vertical rate) for the largest look-ahead of any zone, and the
straight path from now to then is examined exactly like a segment between two reports: the
first entry on it gives ``time_to_boundary_s``. A prediction for a zone is kept only when
that time is within the zone's own look-ahead and the target is not inside already.
Straight-line extrapolation: a turning target is predicted along its current tangent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from skyfence.detect.batch import Rows
from skyfence.detect.kernels import segment_events
from skyfence.zones.index import ZoneIndex
from skyfence.zones.kernels import WGS84_A, WGS84_E2

__all__ = ["Predictions", "predict_entries"]

I8 = npt.NDArray[np.int64]
F8 = npt.NDArray[np.float64]


@dataclass
class Predictions:
    """``row`` (the report predicted from), ``zone``, ``ttb`` (seconds to the boundary) and
    the predicted entry point ``lat``, ``lon``, ``alt``."""

    row: I8
    zone: npt.NDArray[np.int32]
    ttb: F8
    lat: F8
    lon: F8
    alt: F8

    @classmethod
    def empty(cls) -> Predictions:
        z = np.zeros(0)
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int32), z, z, z, z)


def _project(rows: Rows, idx: I8, horizon: float) -> tuple[F8, F8]:
    lat = rows.lat[idx]
    phi = np.radians(lat)
    s = np.sin(phi)
    w = np.sqrt(1.0 - WGS84_E2 * s * s)
    m_rad = WGS84_A * (1.0 - WGS84_E2) / w**3
    n_rad = WGS84_A / w
    dist = rows.gs[idx] * horizon
    trk = np.radians(rows.trk[idx])
    dlat = np.degrees(dist * np.cos(trk) / m_rad)
    dlon = np.degrees(dist * np.sin(trk) / (n_rad * np.maximum(np.cos(phi), 1e-6)))
    return lat + dlat, (rows.lon[idx] + dlon + 540.0) % 360.0 - 180.0


def predict_entries(
    index: ZoneIndex, rows: Rows, latest: I8, vert: F8, sched: I8, sched_iv: F8,
    inside: set[tuple[int, int]],
) -> Predictions:
    """Predictions from the reports ``latest`` (row indices). ``inside`` holds the
    ``(row, zone)`` pairs already inside, which get no prediction."""
    look = np.array([z.margins.lookahead_s for z in index.zones], dtype=np.float64)
    if len(look) == 0 or not np.any(look > 0) or len(latest) == 0:
        return Predictions.empty()
    horizon = float(look.max())
    moving = latest[np.isfinite(rows.gs[latest]) & np.isfinite(rows.trk[latest])
                    & (rows.gs[latest] > 0.0)]
    if len(moving) == 0:
        return Predictions.empty()
    n = len(moving)
    plat, plon = _project(rows, moving, horizon)
    vr = np.nan_to_num(rows.vr[moving])
    t = np.r_[rows.t[moving], rows.t[moving] + horizon]
    lat = np.r_[rows.lat[moving], plat]
    lon = np.r_[rows.lon[moving], plon]
    alt_p = np.r_[rows.alt_p[moving], rows.alt_p[moving] + vr * horizon]
    alt_g = np.r_[rows.alt_g[moving], rows.alt_g[moving] + vr * horizon]
    ground = np.zeros(2 * n, np.bool_)
    seg_a = np.arange(n, dtype=np.int64)
    seg_b = seg_a + n
    cap = 4 * n + 16
    while True:
        o_seg = np.empty(cap, np.int64)
        o_zone = np.empty(cap, np.int32)
        o_s = np.empty(cap)
        o_kind = np.empty(cap, np.int8)
        k = segment_events(seg_a, seg_b, t, lat, lon, alt_p, alt_g, ground, *index.kernel_args,
                           vert, sched, sched_iv, o_seg, o_zone, o_s, o_kind)
        if k >= 0:
            break
        cap *= 4
    o_seg, o_zone, o_s, o_kind = o_seg[:k], o_zone[:k], o_s[:k], o_kind[:k]
    ttb = o_s * horizon
    keep = (o_kind == 1) & (ttb <= look[o_zone])
    keep &= np.array([(int(moving[a]), int(z)) not in inside
                      for a, z in zip(o_seg, o_zone, strict=True)], dtype=np.bool_)
    o_seg, o_zone, o_s, ttb = o_seg[keep], o_zone[keep], o_s[keep], ttb[keep]
    # the first predicted entry per (report, zone)
    order = np.lexsort((o_s, o_zone, o_seg))
    o_seg, o_zone, o_s, ttb = o_seg[order], o_zone[order], o_s[order], ttb[order]
    first = np.ones(len(o_seg), np.bool_)
    first[1:] = (o_seg[1:] != o_seg[:-1]) | (o_zone[1:] != o_zone[:-1])
    o_seg, o_zone, o_s, ttb = o_seg[first], o_zone[first], o_s[first], ttb[first]
    a, b = o_seg, o_seg + n
    return Predictions(
        row=moving[o_seg], zone=o_zone, ttb=ttb,
        lat=lat[a] + o_s * (lat[b] - lat[a]),
        lon=lon[a] + o_s * (lon[b] - lon[a]),
        alt=alt_p[a] + o_s * (alt_p[b] - alt_p[a]),
    )
