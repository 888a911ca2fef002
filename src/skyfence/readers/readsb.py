"""readsb / tar1090 trace files (``trace_full_<hex>.json``, often gzip whatever the name).

Layout (readsb ``README-json.md``, "trace jsons")::

    {"icao": "ac671b", "timestamp": 1738703622.619, "r": ..., "t": ..., "trace": [point, ...]}

    point = [ 0 seconds after timestamp,  1 lat,  2 lon,
              3 altitude ft | "ground" | null,   4 ground speed kt | null,
              5 track deg | null (on the ground it may be the true heading),
              6 flags: 1 stale position (none for 20 s before this one), 2 start of a new leg,
                       4 vertical rate is geometric, 8 altitude is geometric,
              7 vertical rate ft/min | null,
              8 details | null: an aircraft.json object (flight, squawk, category, emergency,
                       nic, nac_p, sil, version, ias, tas, true_heading, ...),
              9 source type ("adsb_icao", "mlat", ...) | null,   (2022 and later:)
             10 geometric altitude ft | null,  11 geometric vertical rate ft/min | null,
             12 indicated airspeed kt | null,  13 roll deg | null ]

Mapping: "ground" -> ``on_ground`` true and no barometric altitude; flag 8 moves the altitude
to ``alt_geo_m``; ``vrate_mps`` is field 7, else field 11. ``callsign``, ``squawk`` and the
integrity fields come from ``details`` and are null on the points that carry none (no
forward filling: that is the tracker's business). An ``icao`` starting with ``~`` is a
non-ICAO address (TIS-B). A trace file is small (one aircraft, one day): read whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from skyfence.errors import TrafficFormatError
from skyfence.readers.normalise import to_reports
from skyfence.readers.registry import ReadOptions, open_binary

__all__ = ["read", "sniff"]

_STALE, _NEW_LEG, _GEOM_RATE, _GEOM_ALT = 1, 2, 4, 8
# details key -> (input name, Arrow type)
_DETAILS: dict[str, tuple[str, pa.DataType]] = {
    "flight": ("callsign", pa.string()),
    "squawk": ("squawk", pa.string()),
    "category": ("category", pa.string()),
    "emergency": ("emergency", pa.string()),
    "nic": ("nic", pa.int8()),
    "nac_p": ("nacp", pa.int8()),
    "sil": ("sil", pa.int8()),
    "version": ("adsb_version", pa.int8()),
    "tas": ("tas_kt", pa.float64()),
    "true_heading": ("heading_deg", pa.float64()),
}


def sniff(head: bytes, path: Path) -> bool:
    start = head.lstrip()[:1]
    return start == b"{" and b'"trace"' in head and b'"icao"' in head


def _load(path: Path) -> dict[str, Any]:
    with open_binary(path) as fh:
        try:
            doc = json.load(fh)
        except json.JSONDecodeError as exc:
            raise TrafficFormatError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise TrafficFormatError("expected a readsb trace object {icao, timestamp, trace}")
    for key, kind in (("icao", str), ("timestamp", int | float), ("trace", list)):
        if not isinstance(doc.get(key), kind):
            raise TrafficFormatError(f"missing or malformed {key!r}", field=key)
    return doc


def _column(points: list[list[Any]], k: int) -> list[Any]:
    return [p[k] if len(p) > k else None for p in points]


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    doc = _load(path)
    points: list[list[Any]] = doc["trace"]
    for i, p in enumerate(points):
        if not isinstance(p, list) or len(p) < 8:
            raise TrafficFormatError(
                "expected [dt, lat, lon, alt, gs, track, flags, vrate, ...]",
                item=f"trace point {i + 1}",
            )
    n = len(points)
    if n == 0:
        return

    def locate(i: int) -> dict[str, Any]:
        return {"item": f"trace point {i + 1}"}

    try:
        dt = pa.array(_column(points, 0), pa.float64())
        alt_raw = _column(points, 3)
        ground = pa.array([a == "ground" if a is not None else None for a in alt_raw], pa.bool_())
        alt = pa.array([a if isinstance(a, int | float) else None for a in alt_raw], pa.float64())
        flags = pa.array(_column(points, 6), pa.int64())
        geom_alt_flag = pc.not_equal(pc.bit_wise_and(pc.fill_null(flags, 0), _GEOM_ALT), 0)
        nofloat = pa.scalar(None, pa.float64())
        cols: dict[str, pa.Array] = {
            "time_s": pc.add(dt, float(doc["timestamp"])),
            "icao24": pa.array([doc["icao"]] * n, pa.string()),
            "lat": pa.array(_column(points, 1), pa.float64()),
            "lon": pa.array(_column(points, 2), pa.float64()),
            "alt_baro_ft": pc.if_else(geom_alt_flag, nofloat, alt),
            "alt_geo_ft": pc.coalesce(
                pc.if_else(geom_alt_flag, alt, nofloat),
                pa.array(_column(points, 10), pa.float64()),
            ),
            "gs_kt": pa.array(_column(points, 4), pa.float64()),
            "track_deg": pa.array(_column(points, 5), pa.float64()),
            "vrate_fpm": pc.coalesce(
                pa.array(_column(points, 7), pa.float64()),
                pa.array(_column(points, 11), pa.float64()),
            ),
            "ias_kt": pa.array(_column(points, 12), pa.float64()),
            "on_ground": ground,
        }
        details = [p[8] if isinstance(p[8], dict) else {} for p in points]
        for key, (name, typ) in _DETAILS.items():
            cols[name] = pa.array([d.get(key) for d in details], typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TrafficFormatError(f"malformed trace point value: {exc}", field="trace") from exc
    # "ground" altitude is no altitude; a null altitude says nothing about the ground
    yield to_reports(cols, source=options.source, stats=options.stats, locate=locate)
