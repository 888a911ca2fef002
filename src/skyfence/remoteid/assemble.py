"""Messages to ``Reports``: one row per Location/Vector message, with the identity, UA type
and operator position that the same aircraft broadcast in its other messages.

Report times are the Location messages' own timestamps placed in the hour of their receive
time (:func:`skyfence.remoteid.location.report_times`), else the receive time.

A transmitter is keyed by its MAC/Bluetooth address (``mac``), or by its frame when the
sniffer gave none (a Message Pack carries its own Basic ID). Its identity is the best Basic ID
it sent in the batch: serial number, then CAA registration, session ID, UTM UUID, so
``target_id`` is ``rid:<serial>``; a transmitter that never sent a Basic ID is ``rid:<mac>``.
UA type and operator position are the latest before the location (else the first after it).
Remote ID is for unmanned aircraft only, so ``target_class`` is ``drone`` with confidence
``SELF_DECLARED_CONFIDENCE``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.remoteid.location import report_times
from skyfence.schema.reports import REPORTS, TIME_TYPE
from skyfence.schema.types import conform

__all__ = ["SELF_DECLARED_CONFIDENCE", "to_reports"]

SELF_DECLARED_CONFIDENCE = 0.99  # a broadcast could be spoofed; the class is not measured
# Basic ID preference by ID type (index = F3411 ID type): serial 1, CAA 2, session 4, UTM 3.
_ID_RANK = np.array([9, 0, 1, 3, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])
_LOCATION, _BASIC_ID, _SYSTEM = 1, 0, 4


def _nearest_valid(
    codes: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """For rows sorted by group then time: the index of the latest valid row of the same group
    at or before each row, else the first after it, else -1."""
    n = len(codes)
    idx = np.arange(n)
    start = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    group_start = np.repeat(start, np.diff(np.r_[start, n]))
    fwd = np.maximum.accumulate(np.where(valid, idx, -1)) if n else idx
    fwd = np.where(fwd >= group_start, fwd, -1)
    group_end = np.repeat(np.r_[start[1:], n] - 1, np.diff(np.r_[start, n]))
    bwd = np.minimum.accumulate(np.where(valid, idx, n)[::-1])[::-1] if n else idx
    bwd = np.where(bwd <= group_end, bwd, -1)
    return np.where(fwd >= 0, fwd, bwd)


def to_reports(
    messages: pa.Table,
    times: pa.Array,
    macs: Sequence[str | None],
    *,
    source: str,
) -> pa.Table:
    """``Reports`` rows for the Location messages of ``messages`` (from ``decode_payloads``);
    ``times`` and ``macs`` are per input frame."""
    frame = messages.column("frame").to_numpy()
    n = len(frame)
    mac_of_frame = np.array([m or f"frame:{i}" for i, m in enumerate(macs)], dtype=object)
    keys = mac_of_frame[frame] if n else np.array([], dtype=object)
    t_us = pc.cast(times, pa.int64()).to_numpy()[frame] if n else np.array([], np.int64)
    _, codes = np.unique(keys, return_inverse=True) if n else (None, np.array([], np.int64))
    order = np.lexsort((t_us, codes))
    codes_s = codes[order]
    mtype = messages.column("msg_type").fill_null(-1).to_numpy()[order]
    m = messages.take(pa.array(order))

    # identity: the best Basic ID per transmitter over the batch
    id_type = np.asarray(m.column("id_type").fill_null(0).to_numpy(), dtype=np.int64) \
        if "id_type" in m.column_names else np.zeros(n, np.int64)
    uas = m.column("uas_id") if "uas_id" in m.column_names else pa.nulls(n, pa.string())
    has_id = (mtype == _BASIC_ID) & pc.is_valid(uas).to_numpy(zero_copy_only=False)
    rank = np.where(has_id, _ID_RANK[id_type & 15], 99)
    best_order = np.lexsort((rank, codes_s))
    first = np.r_[True, np.diff(codes_s[best_order]) != 0] if n else np.array([], bool)
    best_row = np.full(codes.max() + 1 if n else 0, -1, np.int64)
    winners = best_order[first]
    best_row[codes_s[winners]] = np.where(rank[winners] < 99, winners, -1)
    ident_row = best_row[codes_s] if n else np.array([], np.int64)
    uas_np = uas.to_numpy(zero_copy_only=False)
    key_s = keys[order]
    target = np.where(ident_row >= 0, uas_np[np.maximum(ident_row, 0)], key_s)

    def filled(name: str, kind: int) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.bool_]]:
        if name not in m.column_names:
            return np.full(n, None, dtype=object), np.zeros(n, bool)
        col = m.column(name)
        valid = (mtype == kind) & pc.is_valid(col).to_numpy(zero_copy_only=False)
        where = _nearest_valid(codes_s, valid)
        return col.to_numpy(zero_copy_only=False)[np.maximum(where, 0)], where >= 0

    loc = np.flatnonzero(mtype == _LOCATION)
    stamp = (m.column("seconds_in_hour").take(pa.array(loc)).to_numpy(zero_copy_only=False)
             if "seconds_in_hour" in m.column_names else np.full(len(loc), np.nan))
    t_loc = report_times(t_us[order][loc], np.asarray(stamp, np.float64))
    cols: dict[str, pa.Array] = {
        "time": pa.array(t_loc, pa.int64()).cast(pa.timestamp("us")).cast(TIME_TYPE),
        "target_id": pa.array(["rid:" + str(t) for t in target[loc]], pa.string()),
        "id_kind": pa.array(["rid"] * len(loc), pa.string()),
        "source": pa.array([source] * len(loc), pa.string()),
        "target_class": pa.array(["drone"] * len(loc), pa.string()),
        "class_confidence": pa.array(np.full(len(loc), SELF_DECLARED_CONFIDENCE)),
    }
    locs = m.take(pa.array(loc))
    for name in ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "track_deg", "vrate_mps",
                 "height_m", "height_ref", "error"):
        if name in locs.column_names:
            cols[name] = locs.column(name)
    if "on_ground" in locs.column_names:
        cols["on_ground"] = pc.cast(locs.column("on_ground"), pa.bool_())
    if "status" in locs.column_names:
        em = pc.equal(locs.column("status"), "emergency")
        cols["emergency"] = pc.if_else(em, "emergency", pa.scalar(None, pa.string()))
    for name, kind in (("ua_type", _BASIC_ID), ("operator_lat", _SYSTEM),
                       ("operator_lon", _SYSTEM), ("operator_alt_geo_m", _SYSTEM)):
        values, ok = filled(name, kind)
        v = values[loc]
        cols[name] = pa.array([x if k else None for x, k in zip(v, ok[loc], strict=True)])
    table = pa.table(cols)
    return conform(table, REPORTS).sort_by([("time", "ascending")])
