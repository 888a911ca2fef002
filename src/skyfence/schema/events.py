"""``Events``: what the detect stage emits, one row per membership change or warning.

``kind`` is one of :data:`EVENT_KINDS`:

``enter``  the target crossed into the zone (3-D, while the zone was active);
``exit``   it left (horizontally, vertically or because the zone deactivated);
``inside`` a report inside the zone with no change of membership;
``cross``  entered and left between two reports (one segment through the zone);
``predicted_entry`` the current velocity reaches the zone within its look-ahead,
           ``time_to_boundary_s`` says when.

Positions and altitude are at the event: interpolated on the segment for crossings.
"""

from __future__ import annotations

import pyarrow as pa

from skyfence.schema.reports import TIME_TYPE

__all__ = ["EVENTS", "EVENT_KINDS"]

EVENT_KINDS = ("enter", "exit", "inside", "cross", "predicted_entry")

EVENTS = pa.schema(
    [
        pa.field("time", TIME_TYPE, nullable=False),
        pa.field("track_id", pa.int64()),
        pa.field("target_id", pa.string()),
        pa.field("zone_id", pa.string()),
        pa.field("zone_version", pa.int32()),
        pa.field("kind", pa.string()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("alt_m", pa.float64()),
        pa.field("time_to_boundary_s", pa.float64()),
        pa.field("confidence", pa.float64()),
        pa.field("exempt", pa.bool_()),
    ]
)
