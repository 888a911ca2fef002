"""The current air picture: the latest report of every live target and the zones it is in.

Cooperative targets are keyed by their id (ICAO address, Remote ID); a target not heard from
for ``stale_s`` seconds of data time is dropped. ``track_id`` is a stable 63-bit hash of the
target id, the same in every process.

The picture is one Arrow table (a row per target, :data:`TRACKS`), replaced whole by each
update: readers on other threads (the API) always see a complete picture, and an update
costs a few column operations rather than a Python object per target.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect.step import Detection, forward_filled

__all__ = ["TRACKS", "TrackTable", "track_id"]

TRACKS = pa.schema([
    ("target_id", pa.string()),
    ("track_id", pa.int64()),
    ("callsign", pa.string()),
    ("time", pa.float64()),  # data time, seconds since 1970-01-01T00:00Z
    ("lat", pa.float64()),
    ("lon", pa.float64()),
    ("alt_m", pa.float64()),
    ("gs_mps", pa.float64()),
    ("track_deg", pa.float64()),
    ("vrate_mps", pa.float64()),
    ("on_ground", pa.bool_()),
    ("flags", pa.int64()),
    ("confidence", pa.float64()),
    ("zones", pa.list_(pa.string())),  # ids of the zones its latest report is in, sorted
    ("kind", pa.string()),  # the id's prefix: icao, rid, plot, ...
])


def track_id(target_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(target_id.encode(), digest_size=8).digest()) >> 1


def _nullable(x: npt.NDArray[np.float64]) -> pa.Array:
    """NaN (not known) as null."""
    return pa.array(x, pa.float64(), mask=np.isnan(x))


class TrackTable:
    """Latest state per target; :meth:`recent` lists those updated by the last batch."""

    def __init__(self, stale_s: float) -> None:
        self.stale_s = stale_s
        self.table: pa.Table = TRACKS.empty_table()
        self._recent: pa.Table = self.table
        self._ids: dict[str, int] = {}
        self._zone_order: tuple[object, pa.Array, npt.NDArray[np.int64]] | None = None

    def update(self, det: Detection) -> pa.Table:
        """Take one batch's detection; returns the rows it updated (one per target)."""
        rows, latest = det.rows, det.latest
        if len(latest) == 0:
            self._recent = TRACKS.empty_table()
            return self._recent
        names = det.names.take(pa.array(det.codes[latest]))
        ids = self._ids
        track_ids = [ids.get(n) or ids.setdefault(n, track_id(n)) for n in names.to_pylist()]
        new = pa.Table.from_arrays([
            names,
            pa.array(track_ids, pa.int64()),
            forward_filled(rows, rows.callsign, det.codes, latest).cast(pa.string()),
            pa.array(rows.t[latest], pa.float64()),
            pa.array(rows.lat[latest], pa.float64()),
            pa.array(rows.lon[latest], pa.float64()),
            _nullable(rows.alt_p[latest]),
            _nullable(rows.gs[latest]),
            _nullable(rows.trk[latest]),
            _nullable(rows.vr[latest]),
            pa.array(rows.ground[latest], pa.bool_()),
            pa.array(rows.flags[latest].astype(np.int64)),
            pa.array(rows.conf[latest], pa.float64()),
            self._zones_of(det),
            pc.list_element(pc.split_pattern(names, ":", max_splits=1), 0),
        ], schema=TRACKS)
        old = self.table
        horizon = float(np.nanmax(rows.t)) - self.stale_s
        kept = old.filter(pc.and_(pc.invert(pc.is_in(old.column("target_id"), names)),
                                  pc.greater_equal(old.column("time"), horizon)))
        fresh = new.filter(pc.greater_equal(new.column("time"), horizon))
        self.table = pa.concat_tables([kept, fresh]).combine_chunks()
        if len(ids) > 2 * self.table.num_rows + 1024:  # forget ids of targets gone stale
            live = self.table.column("target_id").to_pylist()
            self._ids = {n: ids[n] for n in live if n in ids}
        self._recent = fresh
        return fresh

    def _zones_of(self, det: Detection) -> pa.Array:
        """For each target's latest report, the sorted ids of the zones it is in."""
        n = len(det.latest)
        if self._zone_order is None or self._zone_order[0] is not det.index:
            zone_ids = np.array([z.id for z in det.index.zones], dtype=object)
            order = np.argsort(zone_ids, kind="stable")
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order))
            self._zone_order = (det.index, pa.array(zone_ids[order].tolist(), pa.string()),
                                rank)
        _, sorted_ids, rank = self._zone_order
        position = np.full(len(det.rows.t), -1, np.int64)
        position[det.latest] = np.arange(n)
        at = position[det.in_row]
        last = at >= 0  # only the zones of each target's latest report
        nz = max(len(rank), 1)
        keys = np.unique(at[last] * nz + rank[det.in_zone[last]])
        offsets = np.searchsorted(keys // nz, np.arange(n + 1)).astype(np.int32)
        values = sorted_ids.take(pa.array(keys % nz))
        return pa.ListArray.from_arrays(pa.array(offsets), values)

    @property
    def by_target(self) -> dict[str, dict[str, Any]]:
        """The whole picture by target id (a copy)."""
        return {t["target_id"]: t for t in self.table.to_pylist()}

    def recent(self) -> list[dict[str, Any]]:
        return self.as_dicts(self._recent)

    @staticmethod
    def as_dicts(table: pa.Table) -> list[dict[str, Any]]:
        """Rows of a picture table as JSON-ready dicts (unknown values are ``None``)."""
        out: list[dict[str, Any]] = table.to_pylist()
        return out

    def query(self, bbox: tuple[float, float, float, float] | None = None,
              zone_id: str | None = None) -> list[dict[str, Any]]:
        """Tracks inside ``bbox`` (min lon, min lat, max lon, max lat) and/or a zone."""
        table = self.table
        mask = np.ones(table.num_rows, np.bool_)
        if bbox is not None:
            lon = table.column("lon").to_numpy()
            lat = table.column("lat").to_numpy()
            mask &= (bbox[0] <= lon) & (lon <= bbox[2]) & (bbox[1] <= lat) & (lat <= bbox[3])
        if zone_id is not None:
            zones = table.column("zones").combine_chunks()
            hit = np.asarray(pc.equal(pc.list_flatten(zones), zone_id).fill_null(False))
            parents = np.asarray(pc.list_parent_indices(zones))
            inside = np.zeros(table.num_rows, np.bool_)
            inside[parents[hit]] = True
            mask &= inside
        return self.as_dicts(table.filter(pa.array(mask)))
