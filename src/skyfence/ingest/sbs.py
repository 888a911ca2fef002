"""SBS-1 BaseStation CSV (port 30003): already decoded, so lines become ``Reports`` rows.

One message per line, 22 comma-separated fields::

    MSG,3,1,1,4CA2D6,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525,,37000,,,51.4,-0.9,,,0,0,0,0
    1 MSG   2 transmission type (1 ident, 2 surface, 3 airborne pos, 4 velocity, 5 altitude,
            6 squawk, 7 air-air, 8 all-call)   3-4 session/aircraft ids   5 ICAO hex
    6 flight id   7-8 date/time generated   9-10 date/time logged   11 callsign
    12 altitude (ft)   13 ground speed (kt)   14 track (deg)   15 lat   16 lon
    17 vertical rate (ft/min)   18 squawk   19 alert   20 emergency   21 SPI   22 on ground

Times are read as UTC (readsb writes UTC; dump1090 writes the receiver's local time, so run
it with ``TZ=UTC``). Lines that are not ``MSG`` lines with a valid hex address and time are
counted as bad; feet and knots are converted to SI here.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime

import pyarrow as pa

from skyfence.decode.altitude import FT_TO_M
from skyfence.decode.velocity import KT_TO_MPS
from skyfence.ingest.base import FramerStats
from skyfence.ingest.lines import LineSplitter
from skyfence.schema import REPORTS, conform

__all__ = ["MAX_LINE", "SbsFramer", "rows_to_reports"]

MAX_LINE = 512
_HEX = frozenset("0123456789abcdef")


def _num(text: str, scale: float = 1.0) -> float | None:
    try:
        value = float(text) * scale if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def rows_to_reports(rows: list[dict[str, object]]) -> pa.Table:
    """A ``Reports`` table from row dicts whose keys are ``Reports`` columns."""
    cols = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in REPORTS
            if any(f.name in r for r in rows)}
    if not cols:
        return REPORTS.empty_table()
    return conform(pa.table(cols), REPORTS)


class SbsFramer:
    """Incremental SBS-1 framer producing ``Reports``."""

    def __init__(self) -> None:
        self.stats = FramerStats()
        self._lines = LineSplitter(MAX_LINE, self.stats)

    def feed(self, data: bytes) -> pa.Table:
        rows: list[dict[str, object]] = []
        text = [ln.decode("ascii", "replace") for ln in self._lines.feed(data)]
        for f in csv.reader(text):
            row = self._row(f)
            if row is None:
                self.stats.bad += 1
            else:
                rows.append(row)
        self.stats.frames += len(rows)
        return rows_to_reports(rows) if rows else REPORTS.empty_table()

    @staticmethod
    def _row(f: list[str]) -> dict[str, object] | None:
        if len(f) < 22 or f[0] != "MSG":
            return None
        icao = f[4].strip().lower()
        if len(icao) != 6 or not set(icao) <= _HEX:
            return None
        try:
            time = datetime.strptime(f"{f[6]} {f[7]}", "%Y/%m/%d %H:%M:%S.%f").replace(
                tzinfo=UTC)
        except ValueError:
            return None
        squawk = f[17].strip()
        return {
            "time": time,
            "target_id": f"icao:{icao}",
            "id_kind": "icao",
            "callsign": f[10].strip() or None,
            "alt_baro_m": _num(f[11], FT_TO_M),
            "gs_mps": _num(f[12], KT_TO_MPS),
            "track_deg": _num(f[13]),
            "lat": _num(f[14]),
            "lon": _num(f[15]),
            "vrate_mps": _num(f[16], FT_TO_M / 60.0),
            "squawk": squawk if len(squawk) == 4 and squawk.isdigit() else None,
            "on_ground": {"-1": True, "1": True, "0": False}.get(f[21].strip()),
            "source": "sbs",
        }
