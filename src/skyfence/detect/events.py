"""A batch's detection as an ``Events`` table (:mod:`skyfence.schema.events`).

Transitions become ``enter``, ``exit`` or ``cross`` rows at their interpolated point; a
target lost while inside (its data stopped for longer than the gap) becomes an ``exit`` with
``confidence`` 0, placed at its last report. ``inside`` rows are summarised to the latest
report per (target, zone) of the batch, which is what a live picture needs, and keeps the
table proportional to targets, not reports. Predictions become ``predicted_entry`` rows at
the predicted entry point, timed at the report they were made from, with
``time_to_boundary_s``. ``exempt`` follows the zone's exemptions and emergency squawks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect.step import ENTER, LOST, Detection, forward_filled
from skyfence.schema.events import EVENTS

__all__ = ["events_and_flags", "events_table"]

I8 = npt.NDArray[np.int64]


def events_table(det: Detection) -> pa.Table:
    """The ``Events`` of one detection step, in time order."""
    return events_and_flags(det)[0]


def events_and_flags(det: Detection) -> tuple[pa.Table, npt.NDArray[np.uint32]]:
    """:func:`events_table` and, aligned with its rows, the integrity flags of the reports
    each event rests on (both ends of a transition, the report of the others). The events'
    ``confidence`` is the lowest track confidence among those reports (0 for a lost
    target)."""
    rows, zones = det.rows, det.index.zones
    kinds = np.where(det.tr_cross, "cross",
                     np.where(det.tr_kind == ENTER, "enter", "exit")).astype(object)
    conf = np.where(det.tr_kind == LOST, 0.0, 1.0)
    # latest inside report per (target, zone)
    if len(det.in_row):
        g = det.codes[det.in_row].astype(np.int64) * max(len(zones), 1) + det.in_zone
        order = np.lexsort((det.in_row, g))
        last = np.r_[g[order][1:] != g[order][:-1], True]
        in_row, in_zone = det.in_row[order][last], det.in_zone[order][last]
    else:
        in_row, in_zone = np.zeros(0, np.int64), np.zeros(0, np.int32)
    pr = det.predictions
    row = np.r_[det.tr_row, in_row, pr.row].astype(np.int64)
    zone = np.r_[det.tr_zone, in_zone, pr.zone].astype(np.int32)
    n_tr, n_in, n_pr = len(det.tr_row), len(in_row), len(pr.row)
    time = np.r_[det.tr_time, rows.t[in_row], rows.t[pr.row]]
    lat = np.r_[det.tr_lat, rows.lat[in_row], pr.lat]
    lon = np.r_[det.tr_lon, rows.lon[in_row], pr.lon]
    alt = np.r_[det.tr_alt, rows.alt_p[in_row], pr.alt]
    kind = np.r_[kinds, np.full(n_in, "inside", object), np.full(n_pr, "predicted_entry", object)]
    ttb = np.r_[np.full(n_tr + n_in, np.nan), pr.ttb]
    c, f = rows.conf, rows.flags
    confidence = np.r_[conf * np.minimum(c[det.tr_a], c[det.tr_b]), c[in_row], c[pr.row]]
    flags = np.r_[f[det.tr_a] | f[det.tr_b], f[in_row], f[pr.row]].astype(np.uint32)
    target = np.asarray(det.names.take(pa.array(det.codes[row])).to_pylist(), dtype=object)
    callsign = forward_filled(rows, rows.callsign, det.codes, row).to_pylist()
    squawk = forward_filled(rows, rows.squawk, det.codes, row).to_pylist()
    zone_ids = [zones[int(z)].id for z in zone]
    exempt = [
        zones[int(z)].exemptions.matches(str(t), cs)
        or (zones[int(z)].exemptions.emergency_squawks and sq in ("7500", "7600", "7700"))
        for z, t, cs, sq in zip(zone, target, callsign, squawk, strict=True)
    ]
    table = pa.table(
        {
            "time": pa.array(np.round(time * 1e6).astype(np.int64)).cast(EVENTS.field("time").type),
            "track_id": pa.nulls(len(row), pa.int64()),
            "target_id": pa.array(target, pa.string()),
            "zone_id": pa.array(zone_ids, pa.string()),
            "zone_version": pa.array([zones[int(z)].version for z in zone], pa.int32()),
            "kind": pa.array(kind, pa.string()),
            "lat": lat, "lon": lon,
            "alt_m": pa.array(alt, pa.float64(), from_pandas=True),
            "time_to_boundary_s": pa.array(ttb, pa.float64(), from_pandas=True),
            "confidence": confidence,
            "exempt": pa.array(exempt, pa.bool_()),
        },
        schema=EVENTS,
    )
    order = pc.sort_indices(table, [("time", "ascending")])
    return table.take(order), flags[np.asarray(order, dtype=np.int64)]
