"""System message, type 4: where the operator (remote pilot) is, and the operation's area.

::

    byte 0      message type (4) | protocol version
    byte 1      bit 7-5 reserved | bit 4-2 classification type | bit 1-0 operator location type
    byte 2-5    operator latitude, int32 x 1e-7 degrees
    byte 6-9    operator longitude, int32 x 1e-7 degrees
    byte 10-11  area count, uint16 (number of aircraft in the operation)
    byte 12     area radius, x 10 m
    byte 13-14  area ceiling, uint16 x 0.5 - 1000 m
    byte 15-16  area floor, same encoding
    byte 17     bit 7-4 UA category (EU) | bit 3-0 UA class (EU)
    byte 18-19  operator geodetic altitude, same encoding
    byte 20-23  timestamp, uint32 seconds since 2019-01-01T00:00:00Z
    byte 24     reserved

Operator location type: 0 take-off point, 1 live GNSS, 2 fixed location.
Classification type: 0 undeclared, 1 European Union (then category 1 open, 2 specific,
3 certified; class 1-7 = C0-C6).
"""

from __future__ import annotations

import numpy as np

from skyfence.remoteid.fields import (
    EPOCH_2019_S,
    U8,
    Columns,
    altitude,
    lat_lon,
    nibble_hi,
    nibble_lo,
    uint16,
    uint32,
)

__all__ = ["OPERATOR_LOCATION_TYPES", "decode"]

OPERATOR_LOCATION_TYPES = ("takeoff", "live_gnss", "fixed", None)


def decode(m: U8) -> Columns:
    flags = m[:, 1]
    lat, lon = lat_lon(m, 2)
    ts = uint32(m, 20).astype(np.float64)
    return {
        "operator_location_type": np.array(OPERATOR_LOCATION_TYPES, dtype=object)[flags & 3],
        "classification_type": ((flags >> 2) & 7).astype(np.float64),
        "operator_lat": lat,
        "operator_lon": lon,
        "area_count": uint16(m, 10).astype(np.float64),
        "area_radius_m": m[:, 12].astype(np.float64) * 10.0,
        "area_ceiling_m": altitude(m, 13),
        "area_floor_m": altitude(m, 15),
        "ua_category": nibble_hi(m[:, 17]).astype(np.float64),
        "ua_class": nibble_lo(m[:, 17]).astype(np.float64),
        "operator_alt_geo_m": altitude(m, 18),
        "unix_s": np.where(ts > 0, ts + EPOCH_2019_S, np.nan),
    }
