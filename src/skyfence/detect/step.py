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
import pyarrow.compute as pc

from skyfence.detect.batch import NUMERIC, Rows, rows_from_reports
from skyfence.detect.kernels import segment_events_looked_up
from skyfence.detect.layout import gather2, last_valid, layout_batch, links
from skyfence.detect.predict import Predictions, predict_entries
from skyfence.detect.rowpass import LOST_AFTER, NEW, START, rows_in_zones
from skyfence.detect.tables import schedule_tables, scheduled_zones, vertical_table
from skyfence.zones.index import ZoneIndex

__all__ = ["ENTER", "EXIT", "LOST", "MAX_GAP_S", "Detection", "Membership", "detect_step"]

MAX_GAP_S = 60.0
ENTER, EXIT, LOST = 1, 2, 3

I4 = npt.NDArray[np.int32]
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


MOTION = ("gs", "trk", "vr")  # the Rows fields of the velocity


def _geometry(
    index: ZoneIndex, seg_a: I8, seg_b: I8, role: npt.NDArray[np.int8], rows: Rows, vert: F8,
    sched: I8, sched_iv: F8,
) -> tuple[tuple[I8, I4], tuple[I8, I4], tuple[I8, I4], tuple[I8, I4, F8, npt.NDArray[np.int8]]]:
    """The ``(row, zone)`` pairs, horizontally inside, that are also inside in 3-D and
    active, split by role: new reports inside; track starts inside (entries); reports
    inside before a gap or the end of data (lost). Then the segments' membership changes
    ``(segment, zone, s, kind)``."""
    n = len(rows)
    ka = index.kernel_args
    cell_x, cell_y = np.empty(n, np.int32), np.empty(n, np.int32)
    pair_start = np.empty(n + 1, np.int64)
    cap = max(16, n + n // 2)
    while True:
        pair_zone = np.empty(cap, np.int32)
        lists = [(np.empty(cap, np.int64), np.empty(cap, np.int32)) for _ in range(3)]
        n_pair, ni, ns, nl = rows_in_zones(
            role, rows.t, rows.lat, rows.lon, rows.alt_p, rows.alt_g, rows.ground, *ka,
            index.ent_sub, vert, sched, sched_iv, cell_x, cell_y, pair_zone, pair_start,
            *lists[0], *lists[1], *lists[2])
        if n_pair >= 0:
            break
        cap *= 4
    (in_r, in_z), (st_r, st_z), (lo_r, lo_z) = lists
    cap = max(64, len(seg_a) // 8)
    while True:
        out_seg = np.empty(cap, np.int64)
        out_zone = np.empty(cap, np.int32)
        out_s = np.empty(cap)
        out_kind = np.empty(cap, np.int8)
        n_out = segment_events_looked_up(
            seg_a, seg_b, cell_x, cell_y, pair_zone, pair_start, rows.t, rows.lat, rows.lon,
            rows.alt_p, rows.alt_g, rows.ground, *ka, vert, sched, sched_iv,
            out_seg, out_zone, out_s, out_kind)
        if n_out >= 0:
            break
        cap *= 4
    return ((in_r[:ni], in_z[:ni]), (st_r[:ns], st_z[:ns]), (lo_r[:nl], lo_z[:nl]),
            (out_seg[:n_out], out_zone[:n_out], out_s[:n_out], out_kind[:n_out]))


def detect_step(
    index: ZoneIndex, state: Membership, reports: pa.Table, max_gap_s: float = MAX_GAP_S,
    predict: bool = False,
) -> tuple[Membership, Detection]:
    """Run detection on one batch of reports; see the module docstring. With ``predict``,
    also predicted entries from each target's latest report (:mod:`skyfence.detect.predict`);
    without, the velocity is not read (``rows.gs``, ``trk`` and ``vr`` are NaN).
    """
    new = rows_from_reports(reports, motion=predict, raw=True)
    carried = state.last
    nc = len(carried)
    # only reports with a position and an identity take part (an anonymous plot is tracked
    # into an identity first, by the tracker)
    enc = new.target_id.dictionary_encode()
    ids = np.asarray(enc.indices.fill_null(-1) if enc.null_count else enc.indices,
                     dtype=np.int32)
    names, remap = _with_carried(enc.dictionary, carried)
    c = carried
    order, codes, block, on_ground, out_of_order, t_min = layout_batch(
        (_writable(c.t), _writable(c.lat), _writable(c.lon), _writable(c.alt_p),
         _writable(c.alt_g)), c.ground, ids, remap,
        new.t, new.lat, new.lon, new.alt_p, new.alt_g, new.ground, len(names))
    rows = _gathered(carried, new, order, block, on_ground, predict)
    is_new = order >= nc
    n = len(rows)
    # watermark: targets silent since before the new batch began, by more than the gap
    watermark = t_min - max_gap_s if t_min < np.inf else -np.inf
    seg_b, starts, gap_prev, latest, expired, keep_last = links(
        codes, rows.t, is_new, max_gap_s, watermark)
    seg_a = seg_b - 1

    zones = index.zones
    if "vertical" not in index.derived:
        index.derived["vertical"] = vertical_table(zones)
        index.derived["scheduled"] = scheduled_zones(zones)
    vert: F8 = index.derived["vertical"]  # type: ignore[assignment]
    scheduled: list[int] = index.derived["scheduled"]  # type: ignore[assignment]
    t0 = float(rows.t.min()) if n else 0.0
    t1 = float(rows.t.max()) if n else 0.0
    sched, sched_iv = schedule_tables(zones, t0, t1, scheduled)

    role = np.zeros(n, np.int8)
    role[is_new] = NEW
    role[starts] |= START
    role[gap_prev] |= LOST_AFTER
    role[expired] |= LOST_AFTER
    ((in_row, in_zone), (st_row, st_zone), (lo_row, lo_zone),
     (k_seg, z_seg, s_seg, kind_seg)) = _geometry(
        index, seg_a, seg_b, role, rows, vert, sched, sched_iv)
    a, b = seg_a[k_seg], seg_b[k_seg]
    tr_a = np.concatenate((a, st_row, lo_row))
    tr_b = np.concatenate((b, st_row, lo_row))
    tr_s = np.concatenate((s_seg, np.zeros(len(st_row) + len(lo_row))))
    tr_zone = np.concatenate((z_seg, st_zone, lo_zone)).astype(np.int32)
    tr_kind = np.concatenate((
        kind_seg, np.full(len(st_row), ENTER, np.int8), np.full(len(lo_row), LOST, np.int8)))
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
        seg_id = np.concatenate((k_seg, np.full(len(tr_a) - len(k_seg), -1)))[o]
        kind_o = tr_kind[o]
        nxt = _then_false(seg_id[1:] == seg_id[:-1]) & (seg_id >= 0)
        nxt &= _then_false(tr_zone[o][1:] == tr_zone[o][:-1])
        cross_o = (kind_o == ENTER) & nxt & _then_false(kind_o[1:] == EXIT)
        tr_cross[o] = cross_o

    predictions = (
        predict_entries(index, rows, latest, vert, sched, sched_iv,
                        set(zip(in_row.tolist(), in_zone.tolist(), strict=True)))
        if predict else Predictions.empty()
    )
    detection = Detection(
        index=index, rows=rows, codes=codes, names=names,
        tr_row=tr_row, tr_zone=tr_zone, tr_kind=tr_kind, tr_time=tr_time,
        tr_lat=tr_lat, tr_lon=tr_lon, tr_alt=tr_alt, tr_cross=tr_cross,
        tr_a=tr_a.astype(np.int64), tr_b=tr_b.astype(np.int64),
        in_row=in_row, in_zone=in_zone, latest=latest,
        predictions=predictions,
    )
    last = rows.take(keep_last).compact()
    last.callsign = forward_filled(rows, rows.callsign, codes, keep_last)
    last.squawk = forward_filled(rows, rows.squawk, codes, keep_last)
    return Membership(last, state.out_of_order + int(out_of_order)), detection


def _then_false(x: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``x`` with ``False`` appended."""
    return np.concatenate((x, np.zeros(1, np.bool_)))


def _with_carried(dictionary: pa.Array, carried: Rows) -> tuple[pa.Array, I4]:
    """Target names for the batch, numbered in order of first appearance with the carried
    targets first (carried rows are compact: one per target, carried row ``i`` is target
    ``i``), and the new code of each entry of the batch's own ``dictionary``."""
    nc = len(carried)
    if nc == 0:
        return dictionary, np.arange(len(dictionary), dtype=np.int32)
    pos = pc.index_in(dictionary, value_set=carried.target_id)
    known = np.asarray(pos.is_valid(), dtype=np.bool_)
    remap = np.asarray(pos.fill_null(0), dtype=np.int64)
    fresh = ~known
    remap[fresh] = nc + np.arange(int(fresh.sum()))
    names = pa.concat_arrays([carried.target_id.cast(pa.string()),
                              dictionary.filter(pa.array(fresh)).cast(pa.string())])
    return names, remap.astype(np.int32)


# the float columns always present and writable (from ``_numbers`` or gathered): gathered
# together in one pass
GATHERED_TOGETHER = ("t", "lat", "lon", "alt_p", "alt_g")


def _gathered(carried: Rows, new: Rows, order: I8, block: npt.NDArray[np.float64],
              on_ground: npt.NDArray[np.bool_], motion: bool) -> Rows:
    """Rows ``order`` of carried rows followed by ``new``, their ``GATHERED_TOGETHER``
    columns already in ``block`` and ``ground`` in ``on_ground``; without ``motion`` the
    velocity columns are left NaN (one value broadcast, read only). Carried rows are compact
    and new rows in their table's order, so ``order`` is also the rows' ``perm``."""
    together: dict[str, npt.NDArray[np.generic]] = dict(
        zip(GATHERED_TOGETHER, block, strict=True))
    together["ground"] = on_ground
    if not motion:
        together.update(dict.fromkeys(MOTION, np.broadcast_to(np.nan, len(order))))
    cols = [together[f] if f in together
            else _gather_column(getattr(carried, f), getattr(new, f), order) for f in NUMERIC]
    strings = [pa.concat_arrays([getattr(carried, f), getattr(new, f)])
               for f in ("target_id", "callsign", "squawk")]
    return Rows.from_columns(strings, cols, order)


def _writable(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``x`` as a writable C-contiguous float64 array (one type for the compiled tuple)."""
    if x.flags.writeable and x.flags.c_contiguous and x.dtype == np.float64:
        return x
    return np.array(x, dtype=np.float64)


def _gather_column(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic], src: I8
                   ) -> npt.NDArray[np.generic]:
    """``concatenate([a, b])[src]``; a constant column (integrity flags and confidence when
    the input has none: :func:`rows_from_reports` gives them as one value broadcast) is
    filled, not gathered."""
    if len(b) and b.strides == (0,) and (len(a) == 0 or a.min() == a.max() == b[0]):
        return np.full(len(src), b[0], dtype=b.dtype)
    return gather2(a, b, src)


def forward_filled(rows: Rows, values: pa.Array, codes: npt.NDArray[np.int32], at: I8
                   ) -> pa.Array:
    """``values`` (a string column of ``rows``) at rows ``at``, or the last non-null value
    before them of the same target."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    bitmap = values.buffers()[0]
    if bitmap is None or len(at) == 0:  # no nulls
        return rows.strings(values, at)
    bits = np.frombuffer(bitmap, dtype=np.uint8)
    src = last_valid(bits, values.offset, rows.perm, codes, np.asarray(at, dtype=np.int64))
    return rows.strings(values, src)
