"""Recorded traffic files to ``Reports`` batches, one module per format.

``read_traffic(path)`` picks the format (``detect_format``: extension, then content), reads
in chunks with bounded memory, converts units to SI at the reader and yields tables that
conform to ``skyfence.schema.REPORTS``. Formats live in ``FORMATS`` and are added with
``register``, built-ins included:

- ``csv``: OpenSky state vectors, skyfence columns, or any CSV with a column mapping;
- ``parquet``: the same dialects in Parquet (the OpenSky history, skyfence's archive);
- ``traffic-json``: the traffic library's JSON arrays (``.json.gz`` samples);
- ``readsb``: readsb/tar1090 ``trace_full_*.json``;
- ``jsonl``: one JSON object per line with skyfence's (or traffic's) column names.
"""

from skyfence.readers.columns import parse_mapping
from skyfence.readers.normalise import ReadStats
from skyfence.readers.registry import (
    FORMATS,
    ReadOptions,
    TrafficFormat,
    TrafficReader,
    detect_format,
    read_traffic,
    register,
)

__all__ = [
    "FORMATS",
    "ReadOptions",
    "ReadStats",
    "TrafficFormat",
    "TrafficReader",
    "detect_format",
    "parse_mapping",
    "read_traffic",
    "register",
]
