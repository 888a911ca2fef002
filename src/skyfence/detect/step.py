"""The detect stage: ``(ZoneIndex, Membership, Reports) -> (Membership, Detection)``.

Per target, consecutive reports with a position form segments, unless they are more than
``max_gap_s`` apart:

``MAX_GAP_S = 60``: beyond this, interpolating a straight segment invents a path (ADS-B
positions come every 0.5-5 s, OpenSky state vectors every 5-10 s; a minute of silence at
250 m/s is 15 km of unknown flight).

Each segment is examined exactly (:mod:`skyfence.detect.kernels`) for every zone whose grid
cells it touches, so a fast target that crosses a small zone between two reports is caught,
and so is a climb through a floor. A target's first report, or its first after a gap, that
is inside a zone enters it at that report; when a gap follows a report inside a zone, or the
target's data ends there, the episode is *lost* (ended with no exit seen).

State between batches (:class:`Membership`) is the last report of every live target, so
a stream cut into any batches gives the same transitions as one batch, provided each
target's reports arrive in time order; a report older than its target's last one is counted
in ``out_of_order`` and skipped. A target silent for ``max_gap_s`` before the earliest report
of the new batch is dropped from the state and its episodes are lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from skyfence.detect.batch import Rows, rows_from_reports
from skyfence.detect.kernels import active, in_band, segment_events
from skyfence.detect.predict import Predictions, predict_entries
from skyfence.detect.tables import schedule_tables, scheduled_zones, vertical_table
from skyfence.zones.index import ZoneIndex

__all__ = ["ENTER", "EXIT", "LOST", "MAX_GAP_S", "Detection", "Membership", "detect_step"]

MAX_GAP_S = 60.0
ENTER, EXIT, LOST = 1, 2, 3

I8 = npt.NDArray[np.int64]
F8 = npt.NDArray[np.float64]


@dataclass
class Membership:
    """Detector state: the last positioned report of each live target (callsign and squawk
    carried forward)."""

    last: Rows = field(default_factory=Rows.empty)
    out_of_order: int = 0


@dataclass
class Detection:
    """One batch's result, columnar. Rows are indices into ``rows`` (sorted by target, time).

    ``tr_*``: membership transitions (``ENTER``, ``EXIT``, ``LOST``) at ``tr_time`` etc.,
    ``tr_cross`` marks an entry whose exit is on the same segment. ``in_*``: every new report
    inside a zone (3-D and active), for episode statistics.
    """

    index: ZoneIndex
    rows: Rows
    codes: npt.NDArray[np.int32]
    names: pa.Array
    tr_row: I8
    tr_zone: npt.NDArray[np.int32]
    tr_kind: npt.NDArray[np.int8]
    tr_time: F8
    tr_lat: F8
    tr_lon: F8
    tr_alt: F8
    tr_cross: npt.NDArray[np.bool_]
    tr_a: I8
    tr_b: I8
    in_row: I8
    in_zone: npt.NDArray[np.int32]
    latest: I8 = field(default_factory=lambda: np.zeros(0, np.int64))
    predictions: Predictions = field(default_factory=Predictions.empty)


@njit(cache=True)
def _member_mask(
    rows: I8, zones: npt.NDArray[np.int32], t: F8, alt_p: F8, alt_g: F8,
    ground: npt.NDArray[np.bool_], vert: F8, sched: I8, sched_iv: F8,
) -> npt.NDArray[np.bool_]:
    out = np.empty(rows.shape[0], np.bool_)
    for k in range(rows.shape[0]):
        r, z = rows[k], zones[k]
        out[k] = active(z, t[r], sched, sched_iv) and in_band(
            z, alt_p[r], alt_g[r], ground[r], vert
        )
    return out


def _segment_transitions(
    index: ZoneIndex, seg_a: I8, seg_b: I8, rows: Rows, vert: F8, sched: I8, sched_iv: F8
) -> tuple[I8, npt.NDArray[np.int32], F8, npt.NDArray[np.int8]]:
    cap = max(64, len(seg_a) // 8)
    while True:
        out_seg = np.empty(cap, np.int64)
        out_zone = np.empty(cap, np.int32)
        out_s = np.empty(cap)
        out_kind = np.empty(cap, np.int8)
        n = segment_events(
            seg_a, seg_b, rows.t, rows.lat, rows.lon, rows.alt_p, rows.alt_g, rows.ground,
            *index.kernel_args, vert, sched, sched_iv, out_seg, out_zone, out_s, out_kind,
        )
        if n >= 0:
            return out_seg[:n], out_zone[:n], out_s[:n], out_kind[:n]
        cap *= 4


def detect_step(
    index: ZoneIndex, state: Membership, reports: pa.Table, max_gap_s: float = MAX_GAP_S,
    predict: bool = False,
) -> tuple[Membership, Detection]:
    """Run detection on one batch of reports; see the module docstring. With ``predict``,
    also predicted entries from each target's latest report (:mod:`skyfence.detect.predict`).
    """
    new = rows_from_reports(reports)
    # only reports with a position and an identity take part (an anonymous plot is tracked
    # into an identity first, by the tracker)
    new = new.take(np.flatnonzero(~np.isnan(new.lat)
                                  & np.asarray(new.target_id.is_valid(), dtype=np.bool_)))
    carried = state.last
    allrows = Rows.concat([carried, new])
    enc = allrows.target_id.dictionary_encode()
    codes = np.asarray(enc.indices.fill_null(0), dtype=np.int32)[allrows.perm]
    is_new = np.r_[np.zeros(len(carried), np.bool_), np.ones(len(new), np.bool_)]
    # a report older than its target's carried one cannot be placed on the track: skip it
    last_t = np.full(len(enc.dictionary), -np.inf)
    last_t[codes[: len(carried)]] = carried.t
    stale_new = is_new & (allrows.t < last_t[codes])
    out_of_order = int(stale_new.sum())
    order = _track_order(codes, allrows.t, is_new)
    order = order[~stale_new[order]]
    rows = allrows.take(order)
    codes, is_new = codes[order], is_new[order]

    n = len(rows)
    same = np.zeros(n, np.bool_)
    same[1:] = codes[1:] == codes[:-1]
    dt = np.full(n, np.inf)
    dt[1:] = rows.t[1:] - rows.t[:-1]
    linked = same & (dt <= max_gap_s)
    seg_b = np.flatnonzero(linked & is_new)
    seg_a = seg_b - 1
    starts = np.flatnonzero(~linked & is_new)  # first report, or first after a gap
    gap_prev = np.flatnonzero(same & ~linked & is_new) - 1  # report before a gap

    zones = index.zones
    if "vertical" not in index.derived:
        index.derived["vertical"] = vertical_table(zones)
        index.derived["scheduled"] = scheduled_zones(zones)
    vert: F8 = index.derived["vertical"]  # type: ignore[assignment]
    scheduled: list[int] = index.derived["scheduled"]  # type: ignore[assignment]
    t0 = float(rows.t.min()) if n else 0.0
    t1 = float(rows.t.max()) if n else 0.0
    sched, sched_iv = schedule_tables(zones, t0, t1, scheduled)

    p_row, p_zone = index.lookup(rows.lat, rows.lon)
    keep = _member_mask(p_row, p_zone, rows.t, rows.alt_p, rows.alt_g, rows.ground, vert,
                        sched, sched_iv)
    p_row, p_zone = p_row[keep], p_zone[keep]

    # watermark: targets silent since before the new batch began, by more than the gap
    last_of = np.r_[np.flatnonzero(~same[1:]), n - 1] if n else np.zeros(0, np.int64)
    watermark = float(new.t.min()) - max_gap_s if len(new) else -np.inf
    expired = last_of[rows.t[last_of] < watermark]
    keep_last = last_of[rows.t[last_of] >= watermark]

    k_seg, z_seg, s_seg, kind_seg = _segment_transitions(
        index, seg_a, seg_b, rows, vert, sched, sched_iv
    )
    a, b = seg_a[k_seg], seg_b[k_seg]
    in_start = _mask(n, starts)[p_row]
    lost_rows = np.r_[gap_prev, expired]
    in_lost = _mask(n, lost_rows)[p_row]
    tr_a = np.r_[a, p_row[in_start], p_row[in_lost]]
    tr_b = np.r_[b, p_row[in_start], p_row[in_lost]]
    tr_s = np.r_[s_seg, np.zeros(int(in_start.sum()) + int(in_lost.sum()))]
    tr_zone = np.r_[z_seg, p_zone[in_start], p_zone[in_lost]].astype(np.int32)
    tr_kind = np.r_[
        kind_seg, np.full(int(in_start.sum()), ENTER), np.full(int(in_lost.sum()), LOST)
    ].astype(np.int8)
    # the report a transition is attributed to: the segment's end for entries, else start
    tr_row: I8 = np.asarray(np.where(tr_kind == ENTER, tr_b, tr_a), dtype=np.int64)
    tr_time = rows.t[tr_a] + tr_s * (rows.t[tr_b] - rows.t[tr_a])
    tr_lat = rows.lat[tr_a] + tr_s * (rows.lat[tr_b] - rows.lat[tr_a])
    tr_lon = rows.lon[tr_a] + tr_s * (rows.lon[tr_b] - rows.lon[tr_a])
    alt_a, alt_b = rows.alt_p[tr_a], rows.alt_p[tr_b]
    alt_a = np.where(np.isnan(alt_a), alt_b, alt_a)
    alt_b = np.where(np.isnan(alt_b), alt_a, alt_b)
    tr_alt = alt_a + tr_s * (alt_b - alt_a)
    o = np.lexsort((tr_kind == ENTER, tr_time, tr_zone, codes[tr_row]))
    tr_cross = np.zeros(len(o), np.bool_)
    if len(o) > 1:
        seg_id = np.r_[k_seg, np.full(len(tr_a) - len(k_seg), -1)][o]
        kind_o = tr_kind[o]
        nxt = np.r_[seg_id[1:] == seg_id[:-1], False] & (seg_id >= 0)
        nxt &= np.r_[tr_zone[o][1:] == tr_zone[o][:-1], False]
        cross_o = (kind_o == ENTER) & nxt & np.r_[kind_o[1:] == EXIT, False]
        tr_cross[o] = cross_o

    inside = is_new[p_row]
    latest = last_of[is_new[last_of]] if n else np.zeros(0, np.int64)
    predictions = (
        predict_entries(index, rows, latest, vert, sched, sched_iv,
                        set(zip(p_row[inside].tolist(), p_zone[inside].tolist(), strict=True)))
        if predict else Predictions.empty()
    )
    detection = Detection(
        index=index, rows=rows, codes=codes, names=enc.dictionary,
        tr_row=tr_row, tr_zone=tr_zone, tr_kind=tr_kind, tr_time=tr_time,
        tr_lat=tr_lat, tr_lon=tr_lon, tr_alt=tr_alt, tr_cross=tr_cross,
        tr_a=tr_a.astype(np.int64), tr_b=tr_b.astype(np.int64),
        in_row=p_row[inside], in_zone=p_zone[inside], latest=latest,
        predictions=predictions,
    )
    last = rows.take(keep_last).compact()
    last.callsign = forward_filled(rows, rows.callsign, codes, keep_last)
    last.squawk = forward_filled(rows, rows.squawk, codes, keep_last)
    return Membership(last, state.out_of_order + out_of_order), detection


def _mask(n: int, idx: I8) -> npt.NDArray[np.bool_]:
    m = np.zeros(n, np.bool_)
    m[idx] = True
    return m


def _track_order(codes: npt.NDArray[np.int32], t: F8, is_new: npt.NDArray[np.bool_]) -> I8:
    """Order by target, then time, carried rows first. Recordings usually come in time
    order, and then a stable sort by target is enough and much cheaper (carried rows are
    placed first; a new report older than its carried one is dropped by the caller)."""
    new_t = t[is_new]
    if np.all(new_t[1:] >= new_t[:-1]):
        order: I8 = np.argsort(codes, kind="stable").astype(np.int64)
        return order
    return np.lexsort((is_new, t, codes)).astype(np.int64)


def forward_filled(rows: Rows, values: pa.Array, codes: npt.NDArray[np.int32], at: I8
                   ) -> pa.Array:
    """``values`` (a string column of ``rows``) at rows ``at``, or the last non-null value
    before them of the same target."""
    valid = np.flatnonzero(np.asarray(values.is_valid(), dtype=np.bool_)[rows.perm])
    if len(valid) == 0:
        return rows.strings(values, at)
    k = np.searchsorted(valid, at, side="right") - 1
    src = np.where(k >= 0, valid[np.maximum(k, 0)], at)
    src = np.where(codes[src] == codes[at], src, at)
    return rows.strings(values, src)
