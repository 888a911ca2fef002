"""Incursion episodes as columns: the open episodes carried between batches
(:class:`Episodes`) and the ``Incursions`` rows made from them (:func:`incursion_table`),
whole columns at a time (an audit closes thousands of episodes per batch and carries as
many open ones).

``alt`` values are barometric altitude where reported, else geometric (metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect.depth import DepthCalculator
from skyfence.detect.episodes import N_STATS
from skyfence.schema.incursions import INCURSIONS_INTEGRITY
from skyfence.track.checks import check_names
from skyfence.zones.model import EMERGENCY_SQUAWKS, ZoneSet

__all__ = ["CROSSING_SAMPLES", "Episodes", "Exits", "ZoneColumns", "incursion_table"]

CROSSING_SAMPLES = 33  # points along a crossing's path where its depth is measured

I8 = npt.NDArray[np.int64]
F8 = npt.NDArray[np.float64]
_EMERGENCY = pa.array(sorted(EMERGENCY_SQUAWKS), pa.string())


@dataclass
class Episodes:
    """Episodes, one per row: target, zone (position in the zone set), entry
    ``(time, lat, lon, alt)``, the walk's statistics (:data:`N_STATS` columns) and the
    callsign and squawk at entry."""

    target: pa.Array
    zone: npt.NDArray[np.int32]
    entry: F8
    stats: F8
    callsign: pa.Array
    squawk: pa.Array

    def __len__(self) -> int:
        return len(self.zone)

    @classmethod
    def empty(cls) -> Episodes:
        s = pa.array([], pa.string())
        return cls(s, np.zeros(0, np.int32), np.zeros((0, 4)), np.zeros((0, N_STATS)), s, s)

    def take(self, idx: I8) -> Episodes:
        ia = pa.array(idx, pa.int64())
        return Episodes(self.target.take(ia), self.zone[idx], self.entry[idx],
                        self.stats[idx], self.callsign.take(ia), self.squawk.take(ia))

    @classmethod
    def concat(cls, *parts: Episodes) -> Episodes:
        return cls(
            pa.concat_arrays([p.target for p in parts]),
            np.concatenate([p.zone for p in parts]),
            np.concatenate([p.entry for p in parts]), np.concatenate([p.stats for p in parts]),
            pa.concat_arrays([p.callsign for p in parts]),
            pa.concat_arrays([p.squawk for p in parts]),
        )


@dataclass
class Exits:
    """How closed episodes ended, aligned with their :class:`Episodes`: ``lost`` (no exit
    seen: the ``time``, ``lat``, ``lon``, ``alt`` values are ignored), and the squawk at
    the last report (for emergencies)."""

    lost: npt.NDArray[np.bool_]
    time: F8
    lat: F8
    lon: F8
    alt: F8
    squawk: pa.Array

    @classmethod
    def concat(cls, parts: list[Exits]) -> Exits:
        return cls(
            np.concatenate([p.lost for p in parts]), np.concatenate([p.time for p in parts]),
            np.concatenate([p.lat for p in parts]), np.concatenate([p.lon for p in parts]),
            np.concatenate([p.alt for p in parts]),
            pa.concat_arrays([p.squawk.cast(pa.string()) for p in parts]),
        )


@dataclass
class ZoneColumns:
    """What the rows need of each zone, by position in the zone set (built once: a zone
    set may hold tens of thousands)."""

    zones: ZoneSet
    ids: pa.Array
    names: pa.Array
    flags_emergency: npt.NDArray[np.bool_]
    has_exemptions: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, zones: ZoneSet) -> ZoneColumns:
        return cls(
            zones, pa.array([z.id for z in zones], pa.string()),
            pa.array([z.name for z in zones], pa.string()),
            np.array([z.exemptions.emergency_squawks for z in zones], np.bool_),
            np.array([not z.exemptions.empty for z in zones], np.bool_),
        )


def _nullable(x: F8) -> pa.Array:
    """Non-finite values as nulls."""
    return pa.array(x, pa.float64(), mask=~np.isfinite(x))


def _us(t: F8) -> pa.Array:
    return pa.array(np.rint(t * 1e6).astype(np.int64), pa.int64())


def incursion_table(zc: ZoneColumns, schema: pa.Schema, depth: DepthCalculator,
                    ep: Episodes, ex: Exits | None) -> pa.Table:
    """``Incursions`` rows for episodes ``ep``, closed as ``ex`` says, or all still open
    (``ex`` None: no exit, exit squawk unknown)."""
    n = len(ep)
    if n == 0:
        return schema.empty_table()
    z = ep.zone
    entry_t, entry_lat, entry_lon, entry_alt = (ep.entry[:, i] for i in range(4))
    n_inside, mn, mx, max_depth, clean, flags, conf = (ep.stats[:, i] for i in range(N_STATS))
    exited = np.zeros(n, np.bool_) if ex is None else ~ex.lost
    nan = np.full(n, np.nan)
    x_t, x_lat, x_lon, x_alt = (
        (nan, nan, nan, nan) if ex is None else
        tuple(np.where(exited, v, np.nan) for v in (ex.time, ex.lat, ex.lon, ex.alt)))
    crossing = exited & (n_inside == 0)
    depth_col = _nullable(max_depth)
    if crossing.any():
        max_depth = max_depth.copy()
        max_depth[crossing] = _crossing_depths(
            zc.zones, depth, z[crossing], entry_lat[crossing], entry_lon[crossing],
            x_lat[crossing], x_lon[crossing])
        # a crossing's depth is kept as measured (not nulled)
        depth_col = pa.array(max_depth, pa.float64(),
                             mask=~(np.isfinite(max_depth) | crossing))
    alts = np.column_stack([mn, mx, entry_alt, x_alt])
    finite = np.isfinite(alts)
    any_alt = finite.any(axis=1)
    lo = np.where(any_alt, np.where(finite, alts, np.inf).min(axis=1), np.nan)
    hi = np.where(any_alt, np.where(finite, alts, -np.inf).max(axis=1), np.nan)
    duration = [round(d, 3) for d in (x_t - entry_t).tolist()]  # Python's decimal rounding
    iz = pa.array(z.astype(np.int64), pa.int64())
    target = ep.target.cast(pa.string())
    cols: dict[str, pa.Array] = {
        "target_id": target, "callsign": ep.callsign.cast(pa.string()),
        "zone_id": zc.ids.take(iz), "zone_name": zc.names.take(iz),
        "entry_time": _us(entry_t),
        "exit_time": pa.array(np.rint(np.where(exited, x_t, 0.0) * 1e6).astype(np.int64),
                              pa.int64(), mask=~exited),
        "duration_s": pa.array(duration, pa.float64(), mask=~exited),
        "entry_lat": pa.array(entry_lat, pa.float64()),
        "entry_lon": pa.array(entry_lon, pa.float64()),
        "entry_alt_m": _nullable(entry_alt),
        "exit_lat": pa.array(x_lat, pa.float64(), mask=~exited),
        "exit_lon": pa.array(x_lon, pa.float64(), mask=~exited),
        "exit_alt_m": _nullable(x_alt),
        "max_depth_m": depth_col,
        "min_alt_m": _nullable(lo), "max_alt_m": _nullable(hi),
        "n_reports_inside": pa.array(n_inside.astype(np.int64), pa.int64()),
        "exempt": pa.array(_exempt(zc, target, z, ep.callsign, ep.squawk,
                                   None if ex is None else ex.squawk), pa.bool_()),
    }
    if schema is INCURSIONS_INTEGRITY:
        cols["integrity"] = pa.array(np.where(clean > 0, "verified", "unverified"),
                                     pa.string())
        uniq, inv = np.unique(flags.astype(np.int64), return_inverse=True)
        names = pa.array([",".join(check_names(int(f))) for f in uniq.tolist()], pa.string())
        cols["checks"] = names.take(pa.array(inv.reshape(-1).astype(np.int64)))
        cols["min_confidence"] = _nullable(conf)
    arrays = [cols[f.name].cast(f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _crossing_depths(zones: ZoneSet, depth: DepthCalculator, z: npt.NDArray[np.int32],
                     lat0: F8, lon0: F8, lat1: F8, lon1: F8) -> F8:
    """How deep each straight path from entry to exit went, from points along it; one
    depth call per zone."""
    f = np.linspace(0.0, 1.0, CROSSING_SAMPLES)
    lat = lat0[:, None] + f[None, :] * (lat1 - lat0)[:, None]
    lon = lon0[:, None] + f[None, :] * (lon1 - lon0)[:, None]
    out = np.empty(len(z))
    for zi in np.unique(z).tolist():
        sel = np.flatnonzero(z == zi)
        d = depth.depth_m(zi, zones[zi], lat[sel].ravel(), lon[sel].ravel())
        out[sel] = d.reshape(len(sel), CROSSING_SAMPLES).max(axis=1)
    return out


def _exempt(zc: ZoneColumns, target: pa.Array, z: npt.NDArray[np.int32], callsign: pa.Array,
            squawk: pa.Array, exit_squawk: pa.Array | None) -> npt.NDArray[np.bool_]:
    """Exempt by the zone's ids or callsign patterns (callsign at entry), or by an
    emergency squawk at entry or exit where the zone flags emergencies."""
    emergency = _is_in(squawk, _EMERGENCY)
    if exit_squawk is not None:
        emergency |= _is_in(exit_squawk, _EMERGENCY)
    out = zc.flags_emergency[z] & emergency
    check = np.flatnonzero(zc.has_exemptions[z] & ~out)
    if len(check):
        ia = pa.array(check, pa.int64())
        ts, cs = target.take(ia).to_pylist(), callsign.take(ia).to_pylist()
        for k, t, c in zip(check.tolist(), ts, cs, strict=True):
            out[k] = zc.zones[int(z[k])].exemptions.matches(t, c)
    return out


def _is_in(values: pa.Array, value_set: pa.Array) -> npt.NDArray[np.bool_]:
    hit = pc.fill_null(pc.is_in(values.cast(pa.string()), value_set=value_set), False)
    return np.asarray(hit, dtype=np.bool_)
