"""The current air picture: the latest report of every live target and the zones it is in.

Cooperative targets are keyed by their id (ICAO address, Remote ID); a target not heard from
for ``stale_s`` seconds of data time is dropped. ``track_id`` is a stable 63-bit hash of the
target id, the same in every process.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from skyfence.detect.step import Detection, forward_filled

__all__ = ["TrackTable", "track_id"]


def track_id(target_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(target_id.encode(), digest_size=8).digest()) >> 1


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


class TrackTable:
    """Latest state per target; :meth:`recent` lists those updated by the last batch."""

    def __init__(self, stale_s: float) -> None:
        self.stale_s = stale_s
        self.by_target: dict[str, dict[str, Any]] = {}
        self._ids: dict[str, int] = {}
        self._recent: list[str] = []

    def update(self, det: Detection) -> None:
        rows, latest = det.rows, det.latest
        if len(latest) == 0:
            self._recent = []
            return
        names = det.names.take(det.codes[latest]).to_pylist()
        callsigns = forward_filled(rows, rows.callsign, det.codes, latest).to_pylist()
        zone_ids = [z.id for z in det.index.zones]
        inside: dict[int, list[str]] = {}
        last = np.isin(det.in_row, latest)  # only the zones of each target's latest report
        for r, z in zip(det.in_row[last].tolist(), det.in_zone[last].tolist(), strict=True):
            inside.setdefault(r, []).append(zone_ids[z])
        for k, r in enumerate(latest.tolist()):
            tid = self._ids.get(names[k])
            if tid is None:
                tid = self._ids[names[k]] = track_id(names[k])
            self.by_target[names[k]] = {
                "target_id": names[k],
                "track_id": tid,
                "callsign": callsigns[k],
                "time": float(rows.t[r]),
                "lat": float(rows.lat[r]),
                "lon": float(rows.lon[r]),
                "alt_m": _num(rows.alt_p[r]),
                "gs_mps": _num(rows.gs[r]),
                "track_deg": _num(rows.trk[r]),
                "vrate_mps": _num(rows.vr[r]),
                "on_ground": bool(rows.ground[r]),
                "flags": int(rows.flags[r]),
                "confidence": float(rows.conf[r]),
                "zones": sorted(set(inside.get(r, []))),
                "kind": names[k].split(":", 1)[0],
            }
        self._recent = names
        horizon = float(np.nanmax(rows.t)) - self.stale_s
        for t in [t for t, v in self.by_target.items() if v["time"] < horizon]:
            del self.by_target[t]
            self._ids.pop(t, None)

    def recent(self) -> list[dict[str, Any]]:
        return [self.by_target[t] for t in self._recent if t in self.by_target]

    def query(self, bbox: tuple[float, float, float, float] | None = None,
              zone_id: str | None = None) -> list[dict[str, Any]]:
        """Tracks inside ``bbox`` (min lon, min lat, max lon, max lat) and/or a zone."""
        out = []
        for v in self.by_target.values():
            if bbox is not None and not (bbox[0] <= v["lon"] <= bbox[2]
                                         and bbox[1] <= v["lat"] <= bbox[3]):
                continue
            if zone_id is not None and zone_id not in v["zones"]:
                continue
            out.append(v)
        return out
