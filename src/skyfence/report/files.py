"""Writing incursion episodes by file extension.

``.csv``: times as ISO 8601 UTC with milliseconds (``2021-10-07T12:12:53.124Z``), an empty
field for a missing value (``exit_time`` of a target still inside at the end of its data).
``.parquet``: the ``Incursions`` schema as is (UTC microsecond timestamps).
``.geojson``: one Feature per episode, a LineString from entry to exit (a Point at the entry
when there is no exit), every column as a property, times as in CSV.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from skyfence.errors import ConfigError, SkyfenceError

__all__ = ["FORMATS", "iso_times", "write_incursions"]

FORMATS = (".csv", ".parquet", ".geojson")


def iso_times(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO 8601 strings with milliseconds and a ``Z``."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            col = pc.round_temporal(table.column(i), unit="millisecond")
            col = pc.strftime(col.cast(pa.timestamp("ms", tz="UTC")),
                              format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(i, f.name, col)
    return table


def _geojson(table: pa.Table) -> dict[str, Any]:
    feats = []
    for row in iso_times(table).to_pylist():
        start = [row["entry_lon"], row["entry_lat"]]
        if row["exit_lon"] is not None:
            geom = {"type": "LineString",
                    "coordinates": [start, [row["exit_lon"], row["exit_lat"]]]}
        else:
            geom = {"type": "Point", "coordinates": start}
        feats.append({"type": "Feature", "geometry": geom, "properties": row})
    return {"type": "FeatureCollection", "features": feats}


def write_incursions(table: pa.Table, path: str | Path) -> None:
    """Write ``table`` (``Incursions``) to ``path``, the format chosen by its extension."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in FORMATS:
        raise ConfigError(
            f"{p}: unknown output extension {ext or '(none)'!r}: expected {', '.join(FORMATS)}"
        )
    try:
        if ext == ".csv":
            pacsv.write_csv(iso_times(table), p,
                            pacsv.WriteOptions(quoting_style="needed"))
        elif ext == ".parquet":
            pq.write_table(table, p, compression="zstd")
        else:
            p.write_text(json.dumps(_geojson(table)) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SkyfenceError(f"{p}: cannot write: {exc.strerror or exc}") from None
