"""Turning a ``Reports`` table into the flat arrays the detector works on.

Only reports with a position take part in detection; the others still carry a callsign or
squawk forward. Altitudes are split by datum (see :mod:`skyfence.detect.tables`):
``alt_p`` is barometric, else geometric; ``alt_g`` geometric, else barometric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

__all__ = ["MOTION_COLUMNS", "NUMERIC", "REPORT_COLUMNS", "Rows", "datum_altitudes",
           "position_ok", "rows_from_reports"]

F8 = npt.NDArray[np.float64]

# the ``Reports`` columns detection reads (a reader can skip the others)
REPORT_COLUMNS = ("time", "target_id", "lat", "lon", "alt_baro_m", "alt_geo_m", "on_ground",
                  "gs_mps", "track_deg", "vrate_mps", "flags", "confidence", "callsign",
                  "squawk")
# the velocity columns: only predictions (and the live picture) read them
MOTION_COLUMNS = ("gs_mps", "track_deg", "vrate_mps")
# the numeric columns of ``Rows``, in field order
NUMERIC = ("t", "lat", "lon", "alt_p", "alt_g", "ground", "gs", "trk", "vr", "flags", "conf")


def _f8(table: pa.Table, name: str) -> F8:
    if name not in table.column_names or table.column(name).null_count == table.num_rows:
        return np.full(table.num_rows, np.nan)
    col = table.column(name)
    if col.null_count == 0 and col.num_chunks == 1 and col.type == pa.float64():
        return np.asarray(col.chunk(0))  # no copy (read-only)
    return np.asarray(pc.fill_null(col.cast(pa.float64()), np.nan), dtype=np.float64)


def _str(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(name)
    arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _flags(table: pa.Table) -> npt.NDArray[np.uint32]:
    if "flags" not in table.column_names or table.column("flags").null_count == table.num_rows:
        return np.broadcast_to(np.uint32(0), table.num_rows)  # none: one value, read only
    col = pc.fill_null(table.column("flags").cast(pa.uint32()), 0)
    return np.asarray(col, dtype=np.uint32)


def _confidence(table: pa.Table) -> F8:
    if ("confidence" not in table.column_names
            or table.column("confidence").null_count == table.num_rows):
        return np.broadcast_to(1.0, table.num_rows)  # none: one value, read only
    col = pc.fill_null(table.column("confidence").cast(pa.float64()), 1.0)
    return np.asarray(col, dtype=np.float64)


@dataclass
class Rows:
    """Reports as aligned arrays. ``t`` is UTC epoch seconds.

    The string columns are not reordered with the numbers (taking strings is what costs):
    row ``i``'s target id is ``target_id[perm[i]]``, likewise callsign and squawk; use
    :meth:`strings` to read them."""

    target_id: pa.Array
    t: F8
    lat: F8
    lon: F8
    alt_p: F8
    alt_g: F8
    ground: npt.NDArray[np.bool_]
    gs: F8
    trk: F8
    vr: F8
    flags: npt.NDArray[np.uint32]
    conf: F8
    callsign: pa.Array
    squawk: pa.Array
    perm: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.t)

    def take(self, idx: npt.NDArray[np.int64]) -> Rows:
        """Rows ``idx`` (numbers gathered, strings only re-indexed)."""
        return Rows(
            self.target_id, self.t[idx], self.lat[idx], self.lon[idx], self.alt_p[idx],
            self.alt_g[idx], self.ground[idx], self.gs[idx], self.trk[idx], self.vr[idx],
            self.flags[idx], self.conf[idx], self.callsign, self.squawk, self.perm[idx],
        )

    def strings(self, values: pa.Array, idx: npt.NDArray[np.int64]) -> pa.Array:
        """``values`` (one of the string columns) at rows ``idx``."""
        return values.take(pa.array(self.perm[idx], pa.int64()))

    def compact(self) -> Rows:
        """The same rows with the string columns gathered (for small row sets)."""
        ia = pa.array(self.perm, pa.int64())
        return Rows(
            self.target_id.take(ia), self.t, self.lat, self.lon, self.alt_p, self.alt_g,
            self.ground, self.gs, self.trk, self.vr, self.flags, self.conf,
            self.callsign.take(ia), self.squawk.take(ia),
            np.arange(len(self.t), dtype=np.int64),
        )

    @classmethod
    def from_columns(cls, strings: list[pa.Array], numbers: list[npt.NDArray[np.generic]],
                     perm: npt.NDArray[np.int64]) -> Rows:
        """Rows from ``target_id, callsign, squawk``, the :data:`NUMERIC` columns in their
        order, and ``perm``."""
        t, lat, lon, alt_p, alt_g, ground, gs, trk, vr, flags, conf = numbers
        return cls(strings[0], t, lat, lon, alt_p, alt_g, ground, gs, trk, vr,  # type: ignore[arg-type]
                   flags, conf, strings[1], strings[2], perm)  # type: ignore[arg-type]

    @classmethod
    def concat(cls, parts: list[Rows]) -> Rows:
        offsets = np.cumsum([0] + [len(p.target_id) for p in parts[:-1]])

        def cat(arrs: list[pa.Array]) -> pa.Array:
            return pa.concat_arrays([a.cast(pa.string()) for a in arrs])

        return cls(
            cat([p.target_id for p in parts]),
            np.concatenate([p.t for p in parts]),
            np.concatenate([p.lat for p in parts]),
            np.concatenate([p.lon for p in parts]),
            np.concatenate([p.alt_p for p in parts]),
            np.concatenate([p.alt_g for p in parts]),
            np.concatenate([p.ground for p in parts]),
            np.concatenate([p.gs for p in parts]),
            np.concatenate([p.trk for p in parts]),
            np.concatenate([p.vr for p in parts]),
            np.concatenate([p.flags for p in parts]),
            np.concatenate([p.conf for p in parts]),
            cat([p.callsign for p in parts]),
            cat([p.squawk for p in parts]),
            np.concatenate([p.perm + o for p, o in zip(parts, offsets, strict=True)]),
        )

    @classmethod
    def empty(cls) -> Rows:
        z = np.zeros(0)
        s = pa.array([], pa.string())
        return cls(s, z, z, z, z, z, np.zeros(0, np.bool_), z, z, z,
                   np.zeros(0, np.uint32), z, s, s, np.zeros(0, np.int64))


def rows_from_reports(reports: pa.Table, motion: bool = True, raw: bool = False) -> Rows:
    """All rows of ``reports`` (with or without a position), as :class:`Rows`; without
    ``motion``, ``gs``, ``trk`` and ``vr`` are left NaN (:data:`MOTION_COLUMNS` not read).
    With ``raw``, positions and altitudes are as given (``alt_p`` barometric and ``alt_g``
    geometric, NaN where missing; :func:`skyfence.detect.layout.layout_batch` converts them
    as it gathers) instead of checked and with their fallbacks."""
    n = reports.num_rows
    if n == 0:
        return Rows.empty()
    time = reports.column("time").combine_chunks().cast(pa.timestamp("us", tz="UTC"))
    t_us = np.asarray(time.cast(pa.int64()).fill_null(0) if time.null_count
                      else time.cast(pa.int64()), dtype=np.int64)
    if "on_ground" in reports.column_names:
        ground = np.asarray(
            pc.fill_null(reports.column("on_ground"), False), dtype=np.bool_
        )
    else:
        ground = np.zeros(n, np.bool_)
    if raw:
        t = t_us.astype(np.float64) * 1e-6
        lat, lon = _f8(reports, "lat"), _f8(reports, "lon")
        alt_p, alt_g = _f8(reports, "alt_baro_m"), _f8(reports, "alt_geo_m")
    else:
        t, lat, lon, alt_p, alt_g = _numbers(
            t_us, _f8(reports, "lat"), _f8(reports, "lon"), _f8(reports, "alt_baro_m"),
            _f8(reports, "alt_geo_m"))
    if motion:
        gs, trk, vr = (_f8(reports, "gs_mps"), _f8(reports, "track_deg"),
                       _f8(reports, "vrate_mps"))
    else:
        gs = trk = vr = np.broadcast_to(np.nan, n)  # one value, read only
    return Rows(
        _str(reports, "target_id"), t, lat, lon, alt_p, alt_g, ground, gs, trk, vr,
        _flags(reports), _confidence(reports),
        _str(reports, "callsign"), _str(reports, "squawk"), np.arange(n, dtype=np.int64),
    )


@njit(cache=True, inline="always")
def position_ok(lat: float, lon: float) -> bool:
    """A position in range (NaN is not)."""
    return abs(lat) <= 90.0 and abs(lon) <= 180.0


@njit(cache=True, inline="always")
def datum_altitudes(baro: float, geo: float) -> tuple[float, float]:
    """``(alt_p, alt_g)``: barometric else geometric, and geometric else barometric."""
    return (geo if math.isnan(baro) else baro), (baro if math.isnan(geo) else geo)


@njit(cache=True)
def _numbers(t_us: npt.NDArray[np.int64], lat: F8, lon: F8, baro: F8, geo: F8
             ) -> tuple[F8, F8, F8, F8, F8]:
    """One pass: time in seconds, positions out of range made NaN (both coordinates), and
    the altitudes by datum with their fallbacks."""
    n = t_us.shape[0]
    t, la, lo = np.empty(n), np.empty(n), np.empty(n)
    alt_p, alt_g = np.empty(n), np.empty(n)
    for i in range(n):
        t[i] = float(t_us[i]) * 1e-6
        ok = position_ok(lat[i], lon[i])
        la[i] = lat[i] if ok else np.nan
        lo[i] = lon[i] if ok else np.nan
        alt_p[i], alt_g[i] = datum_altitudes(baro[i], geo[i])
    return t, la, lo, alt_p, alt_g
