"""``Incursions``: one row per episode of a target inside a zone, as the audit writes them.

The column list and order are a published contract (``skyfence audit --out``).
``exit_time`` is null while the target is still inside at the end of its data.
``max_depth_m`` is the greatest horizontal distance inside the boundary reached.
"""

from __future__ import annotations

import pyarrow as pa

from skyfence.schema.reports import TIME_TYPE

__all__ = ["INCURSIONS", "INCURSIONS_INTEGRITY"]

INCURSIONS = pa.schema(
    [
        pa.field("target_id", pa.string()),
        pa.field("callsign", pa.string()),
        pa.field("zone_id", pa.string()),
        pa.field("zone_name", pa.string()),
        pa.field("entry_time", TIME_TYPE),
        pa.field("exit_time", TIME_TYPE),
        pa.field("duration_s", pa.float64()),
        pa.field("entry_lat", pa.float64()),
        pa.field("entry_lon", pa.float64()),
        pa.field("entry_alt_m", pa.float64()),
        pa.field("exit_lat", pa.float64()),
        pa.field("exit_lon", pa.float64()),
        pa.field("exit_alt_m", pa.float64()),
        pa.field("max_depth_m", pa.float64()),
        pa.field("min_alt_m", pa.float64()),
        pa.field("max_alt_m", pa.float64()),
        pa.field("n_reports_inside", pa.int64()),
        pa.field("exempt", pa.bool_()),
    ]
)

# ``skyfence audit --integrity``: the same columns, then how trustworthy the episode is
INCURSIONS_INTEGRITY = INCURSIONS.append(pa.field("integrity", pa.string())).append(
    pa.field("checks", pa.string())).append(pa.field("min_confidence", pa.float64()))
