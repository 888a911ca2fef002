"""dump1090 / readsb ``aircraft.json``: a snapshot of every aircraft, already decoded.

::

    {"now": 1720248189.5, "messages": 123, "aircraft": [
      {"hex": "3c6444", "flight": "DLH9LF  ", "alt_baro": 38000, "alt_geom": 38500,
       "gs": 451.2, "track": 87.3, "baro_rate": -64, "squawk": "1000", "lat": 49.1,
       "lon": 2.5, "seen_pos": 0.4, "seen": 0.1, "nic": 8, "nac_p": 9, "sil": 3}, ...]}

Units are the feed's: feet, knots, ft/min; ``alt_baro`` is the string ``"ground"`` on the
ground. An entry's time is ``now - seen`` (``now - seen_pos`` for its position). A ``hex``
starting with ``~`` is a non-ICAO (TIS-B) address: the row is kept with ``error`` set.
The document is read whole; ``feed`` accepts it in pieces and decodes once it parses
(a file that never parses is counted as bad when ``close`` is called).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from skyfence.decode.altitude import FT_TO_M
from skyfence.decode.velocity import KT_TO_MPS
from skyfence.ingest.base import FramerStats
from skyfence.ingest.sbs import rows_to_reports
from skyfence.schema import REPORTS

__all__ = ["MAX_DOCUMENT", "AircraftJsonFramer", "parse_aircraft_json"]

MAX_DOCUMENT = 64 * 1024 * 1024
"""A busy receiver's aircraft.json is a few hundred kB; beyond 64 MB something is wrong."""


def _f(v: Any, scale: float = 1.0) -> float | None:
    if not isinstance(v, int | float) or isinstance(v, bool):
        return None
    try:
        value = float(v) * scale
    except OverflowError:  # a JSON integer too large for a float
        return None
    return value if math.isfinite(value) else None


def _i(v: Any) -> int | None:
    return int(v) if isinstance(v, int) and not isinstance(v, bool) and -1 < v < 128 else None


def parse_aircraft_json(doc: Any, stats: FramerStats) -> pa.Table:
    """``Reports`` rows of one parsed document (bad entries counted in ``stats.bad``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("aircraft"), list):
        stats.bad += 1
        return REPORTS.empty_table()
    now = _f(doc.get("now"))
    if now is None:
        stats.bad += 1
        return REPORTS.empty_table()
    rows: list[dict[str, object]] = []
    for ac in doc["aircraft"]:
        if not isinstance(ac, dict) or not isinstance(ac.get("hex"), str):
            stats.bad += 1
            continue
        hexid = ac["hex"].strip().lower()
        seen = _f(ac.get("seen_pos")) if "lat" in ac else _f(ac.get("seen"))
        try:
            t = datetime.fromtimestamp(now - (seen or 0.0), tz=UTC)
        except (OverflowError, OSError, ValueError):
            stats.bad += 1
            continue
        alt = ac.get("alt_baro")
        flight = ac.get("flight")
        squawk = ac.get("squawk")
        rows.append({
            "time": t,
            "target_id": None if hexid.startswith("~") else f"icao:{hexid}",
            "id_kind": None if hexid.startswith("~") else "icao",
            "error": "non-icao address" if hexid.startswith("~") else None,
            "lat": _f(ac.get("lat")),
            "lon": _f(ac.get("lon")),
            "alt_baro_m": _f(alt, FT_TO_M),
            "alt_geo_m": _f(ac.get("alt_geom"), FT_TO_M),
            "on_ground": True if alt == "ground" else None,
            "gs_mps": _f(ac.get("gs"), KT_TO_MPS),
            "track_deg": _f(ac.get("track")),
            "vrate_mps": _f(ac.get("baro_rate", ac.get("geom_rate")), FT_TO_M / 60.0),
            "callsign": flight.strip() or None if isinstance(flight, str) else None,
            "squawk": squawk if isinstance(squawk, str) and len(squawk) == 4 else None,
            "nic": _i(ac.get("nic")),
            "nacp": _i(ac.get("nac_p")),
            "sil": _i(ac.get("sil")),
            "category": ac.get("category") if isinstance(ac.get("category"), str) else None,
            "source": "aircraft.json",
        })
    stats.frames += len(rows)
    return rows_to_reports(rows) if rows else REPORTS.empty_table()


class AircraftJsonFramer:
    """Accumulates one ``aircraft.json`` document and decodes it once complete."""

    def __init__(self) -> None:
        self.stats = FramerStats()
        self._buf = b""

    def feed(self, data: bytes) -> pa.Table:
        self._buf += data
        if len(self._buf) > MAX_DOCUMENT:
            self.stats.dropped += 1
            self._buf = b""
            return REPORTS.empty_table()
        try:
            doc = json.loads(self._buf)
        except (ValueError, RecursionError):
            return REPORTS.empty_table()
        self._buf = b""
        return parse_aircraft_json(doc, self.stats)

    def close(self) -> None:
        """End of input: an unparsed remainder is a bad document."""
        if self._buf.strip():
            self.stats.bad += 1
        self._buf = b""
