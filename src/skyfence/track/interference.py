"""GNSS interference picture: per grid cell and time window, the share of aircraft whose
ADS-B says their GNSS position is degraded.

Method (after gpsjam.org, which maps ADS-B Exchange data per H3 hexagon and day):

- an aircraft is *degraded* in a cell and window when any of its positioned reports there
  has NIC < :data:`BAD_NIC` (7: containment radius of 0.2 NM or more, below the 14 CFR 91.227
  minimum; NIC 0 is what a jammed receiver falls back to) or NACp < :data:`BAD_NACP`
  (8: 95 % accuracy worse than 0.05 NM, likewise below the 91.227 minimum);
- only aircraft that report a NIC or NACp in the cell and window are counted (version-0
  transponders and recordings without integrity fields say nothing);
- ``share = degraded / counted``; level ``low`` below 2 %, ``medium`` from 2 % to 10 %,
  ``high`` above 10 % (the classes of public interference maps: green < 2 %, yellow 2-10 %,
  red > 10 %), null with fewer than :data:`MIN_AIRCRAFT` aircraft counted.

Grid: fixed latitude/longitude cells of ``cell_deg`` degrees (default 1), cell ``(i, j)``
covering ``[i, i+1) x cell_deg`` of latitude and ``[j, j+1) x cell_deg`` of longitude; windows
are ``[k, k+1) x window_s`` of UTC epoch time. A plain grid (not H3) keeps the dependency list
short and the cells easy to read; 1 deg is ~111 km north-south, of the order of a jammer's
radius at cruise altitudes. Only reports carrying a position can be placed: NACp arrives in
the position-less TC 31 message, so from decoded Mode S it counts once a reader or tracker
carries it onto positioned rows (readsb and aircraft.json formats do).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.schema.reports import TIME_TYPE

__all__ = [
    "BAD_NACP",
    "BAD_NIC",
    "HIGH_SHARE",
    "INTERFERENCE",
    "MEDIUM_SHARE",
    "MIN_AIRCRAFT",
    "InterferenceAccumulator",
    "interference_geojson",
    "interference_grid",
    "write_geojson",
]

BAD_NIC = 7
BAD_NACP = 8
MEDIUM_SHARE = 0.02
HIGH_SHARE = 0.10
MIN_AIRCRAFT = 3
"""Fewer than 3 aircraft in a cell and window: one bad transponder would read as 33-100 %."""

INTERFERENCE = pa.schema([
    pa.field("window_start", TIME_TYPE, nullable=False),
    pa.field("window_s", pa.float64(), nullable=False),
    pa.field("cell_lat", pa.float64(), nullable=False),  # south edge, degrees
    pa.field("cell_lon", pa.float64(), nullable=False),  # west edge, degrees
    pa.field("cell_deg", pa.float64(), nullable=False),
    pa.field("n_aircraft", pa.int64(), nullable=False),
    pa.field("n_degraded", pa.int64(), nullable=False),
    pa.field("share", pa.float64(), nullable=False),
    pa.field("level", pa.string()),
])
_KEYS = ["w", "i", "j"]


def _f8(table: pa.Table, name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return np.asarray(pc.fill_null(table.column(name).cast(pa.float64()), np.nan),
                      dtype=np.float64)


class InterferenceAccumulator:
    """Feed ``Reports`` batches with :meth:`add`; :meth:`table` gives the picture so far.
    Memory: one row per (window, cell, aircraft)."""

    def __init__(self, cell_deg: float = 1.0, window_s: float = 3600.0) -> None:
        if not (cell_deg > 0 and window_s > 0):
            raise ValueError("cell_deg and window_s must be positive")
        self.cell_deg, self.window_s = float(cell_deg), float(window_s)
        self._parts: list[pa.Table] = []

    def add(self, reports: pa.Table) -> None:
        lat, lon = _f8(reports, "lat"), _f8(reports, "lon")
        nic, nacp = _f8(reports, "nic"), _f8(reports, "nacp")
        t = np.asarray(reports.column("time").cast(TIME_TYPE).cast(pa.int64()).fill_null(0),
                       dtype=np.int64) * 1e-6
        ids = (reports.column("target_id").combine_chunks().cast(pa.string())
               if "target_id" in reports.column_names
               else pa.nulls(reports.num_rows, pa.string()))
        ok = ((np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
              & ~(np.isnan(nic) & np.isnan(nacp)) & np.asarray(ids.is_valid(), np.bool_))
        rows = np.flatnonzero(ok)
        if len(rows) == 0:
            return
        bad = (nic[rows] < BAD_NIC) | (nacp[rows] < BAD_NACP)
        part = pa.table({
            "w": np.floor(t[rows] / self.window_s).astype(np.int64),
            "i": np.floor(lat[rows] / self.cell_deg).astype(np.int64),
            "j": np.floor(lon[rows] / self.cell_deg).astype(np.int64),
            "id": ids.take(pa.array(rows, pa.int64())),
            "bad": bad,
        })
        self._parts.append(_per_aircraft(part))
        if len(self._parts) > 32:  # keep memory at one row per (window, cell, aircraft)
            self._parts = [_per_aircraft(pa.concat_tables(self._parts))]

    def table(self) -> pa.Table:
        """The picture: one row per (window, cell) with counted aircraft, ``INTERFERENCE``
        schema, sorted by window then cell."""
        if not self._parts:
            return INTERFERENCE.empty_table()
        per = _per_aircraft(pa.concat_tables(self._parts))
        g = per.group_by(_KEYS).aggregate([("id", "count"), ("bad", "sum")])
        g = g.sort_by([("w", "ascending"), ("i", "ascending"), ("j", "ascending")])
        n = np.asarray(g.column("id_count"), dtype=np.int64)
        nbad = np.asarray(g.column("bad_sum"), dtype=np.int64)
        share = nbad / n
        level = np.where(share > HIGH_SHARE, "high",
                         np.where(share >= MEDIUM_SHARE, "medium", "low"))
        start = (np.asarray(g.column("w"), dtype=np.int64) * self.window_s * 1e6).round()
        m = len(n)
        return pa.Table.from_arrays([
            pa.array(start.astype("datetime64[us]"), TIME_TYPE),
            pa.array(np.full(m, self.window_s)),
            pa.array(np.asarray(g.column("i"), dtype=np.int64) * self.cell_deg),
            pa.array(np.asarray(g.column("j"), dtype=np.int64) * self.cell_deg),
            pa.array(np.full(m, self.cell_deg)),
            pa.array(n), pa.array(nbad), pa.array(share),
            pa.array(level, pa.string(), mask=n < MIN_AIRCRAFT),
        ], schema=INTERFERENCE)


def _per_aircraft(part: pa.Table) -> pa.Table:
    """One row per (window, cell, aircraft): degraded if any of its reports was."""
    g = part.group_by([*_KEYS, "id"]).aggregate([("bad", "max")])
    return g.rename_columns([*_KEYS, "id", "bad"]).select(["w", "i", "j", "id", "bad"])


def interference_grid(batches: pa.Table | list[pa.Table], cell_deg: float = 1.0,
                      window_s: float = 3600.0) -> pa.Table:
    """The interference picture of ``Reports`` (one table or several batches)."""
    acc = InterferenceAccumulator(cell_deg, window_s)
    for b in [batches] if isinstance(batches, pa.Table) else batches:
        acc.add(b)
    return acc.table()


def interference_geojson(table: pa.Table) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one square polygon per row, the columns as properties
    (``window_start`` as ISO 8601 with ``Z``)."""
    features = []
    for row in table.to_pylist():
        s, w, d = row["cell_lat"], row["cell_lon"], row["cell_deg"]
        ring = [[w, s], [w + d, s], [w + d, s + d], [w, s + d], [w, s]]
        props = dict(row)
        props["window_start"] = row["window_start"].isoformat().replace("+00:00", "Z")
        features.append({"type": "Feature", "geometry": {"type": "Polygon",
                                                          "coordinates": [ring]},
                         "properties": props})
    return {"type": "FeatureCollection", "features": features}


def write_geojson(table: pa.Table, path: str | Path) -> None:
    """Write :func:`interference_geojson` of ``table`` to ``path`` (UTF-8)."""
    Path(path).write_text(json.dumps(interference_geojson(table)) + "\n", encoding="utf-8")
