"""``Plots``: anonymous detections, already in WGS84, as the tracker takes them.

- ``time`` UTC; ``sensor_id`` the sensor that saw it;
- ``lat``/``lon`` degrees, ``alt_m`` height above the WGS84 ellipsoid (geodetic);
- ``sigma_h_m``/``sigma_v_m``: one-sigma measurement noise, horizontal (per axis) and vertical;
- ``radial_speed_mps`` (Doppler, positive away from the sensor) and ``class_hint`` (the
  sensor's own guess, e.g. ``drone``) are carried for the record, not used by the filter.
"""

from __future__ import annotations

import pyarrow as pa

from skyfence.schema.reports import TIME_TYPE

__all__ = ["PLOTS"]

PLOTS = pa.schema([
    pa.field("time", TIME_TYPE, nullable=False),
    pa.field("sensor_id", pa.string()),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("alt_m", pa.float64()),
    pa.field("sigma_h_m", pa.float64()),
    pa.field("sigma_v_m", pa.float64()),
    pa.field("radial_speed_mps", pa.float64()),
    pa.field("class_hint", pa.string()),
])
