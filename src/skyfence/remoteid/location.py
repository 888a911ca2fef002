"""Location/Vector message, type 1: where the unmanned aircraft is and how it moves.

::

    byte 0      message type (1) | protocol version
    byte 1      bit 7-4 status | bit 3 reserved | bit 2 height type
                | bit 1 E/W direction segment | bit 0 speed multiplier
    byte 2      track direction, degrees 0-179 (add 180 when the E/W bit is set)
    byte 3      horizontal speed: x 0.25 m/s (multiplier 0), x 0.75 + 63.75 m/s (multiplier 1)
    byte 4      vertical speed, int8 x 0.5 m/s, up positive
    byte 5-8    latitude, int32 x 1e-7 degrees
    byte 9-12   longitude, int32 x 1e-7 degrees
    byte 13-14  pressure altitude (1013.25 hPa), uint16 x 0.5 - 1000 m
    byte 15-16  geodetic altitude (WGS84 ellipsoid), same encoding
    byte 17-18  height above take-off (height type 0) or above ground (1), same encoding
    byte 19     bit 7-4 vertical accuracy | bit 3-0 horizontal accuracy
    byte 20     bit 7-4 baro altitude accuracy | bit 3-0 speed accuracy
    byte 21-22  timestamp, uint16 tenths of a second since the full hour (UTC)
    byte 23     bit 3-0 timestamp accuracy (x 0.1 s)
    byte 24     reserved

Unknown values: direction 361 (encoded 181 with the E/W bit), speed 255 (encoded 255 with
multiplier 1), vertical speed 63 m/s (encoded 126), altitudes 0, timestamp 0xFFFF (any value
over 36000), timestamp accuracy 0.
Status: 0 undeclared, 1 ground, 2 airborne, 3 emergency, 4 Remote ID system failure.

The timestamp names the second within an hour only: :func:`report_times` takes the hour from
the receive time, choosing the hour that puts the timestamp nearest to it (a message stamped
3599.9 s and received at hh:00:00.2 belongs to the hour before), and falls back to the
receive time when the timestamp is unknown or more than ``TIMESTAMP_TOLERANCE_S`` from it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.remoteid.fields import U8, Columns, altitude, lat_lon, nibble_hi, nibble_lo, uint16

__all__ = ["HEIGHT_REFS", "STATUSES", "TIMESTAMP_TOLERANCE_S", "decode", "report_times"]

STATUSES = ("undeclared", "ground", "airborne", "emergency", "system_failure")
HEIGHT_REFS = ("takeoff", "ground")
# A Location message leaves the aircraft within a second of its timestamp (F3411 asks for
# 1 Hz and data at most 1 s old) and reaches a receiver within milliseconds: a timestamp
# more than 5 s from the receive time means a wrong clock on one side, and which one cannot
# be told from here, so the receive time stays.
TIMESTAMP_TOLERANCE_S = 5.0
_HOUR_US = 3_600_000_000


def decode(m: U8) -> Columns:
    flags = m[:, 1]
    status = nibble_hi(flags)
    height_type = (flags >> 2) & 1
    east_west = (flags >> 1) & 1
    mult = flags & 1

    direction = m[:, 2].astype(np.float64) + 180.0 * east_west
    track = np.where(direction > 359.0, np.nan, direction)
    raw_speed = m[:, 3].astype(np.float64)
    speed = np.where(mult == 1, raw_speed * 0.75 + 63.75, raw_speed * 0.25)
    speed = np.where((mult == 1) & (raw_speed == 255), np.nan, speed)
    vraw = m[:, 4].astype(np.int8).astype(np.float64)
    vrate = np.where(vraw == 126, np.nan, vraw * 0.5)
    lat, lon = lat_lon(m, 5)
    tenths = uint16(m, 21).astype(np.float64)
    status_names = np.array([*STATUSES, *([None] * 11)], dtype=object)
    return {
        "status": status_names[status],
        "on_ground": np.where(status == 1, 1.0, np.where(status == 2, 0.0, np.nan)),
        "track_deg": track,
        "gs_mps": speed,
        "vrate_mps": vrate,
        "lat": lat,
        "lon": lon,
        "alt_baro_m": altitude(m, 13),
        "alt_geo_m": altitude(m, 15),
        "height_m": altitude(m, 17),
        "height_ref": np.array(HEIGHT_REFS, dtype=object)[height_type],
        "h_accuracy": nibble_lo(m[:, 19]).astype(np.float64),
        "v_accuracy": nibble_hi(m[:, 19]).astype(np.float64),
        "seconds_in_hour": np.where(tenths > 36000, np.nan, tenths / 10.0),
        "time_accuracy_s": np.where(nibble_lo(m[:, 23]) == 0, np.nan,
                                    nibble_lo(m[:, 23]) * 0.1),
    }


def report_times(
    receive_us: npt.NDArray[np.int64], seconds_in_hour: npt.NDArray[np.float64],
    tolerance_s: float = TIMESTAMP_TOLERANCE_S,
) -> npt.NDArray[np.int64]:
    """UTC microseconds of Location messages: their timestamp (seconds since the full hour,
    NaN when unknown) in the hour that puts it nearest to the receive time, or the receive
    time when that is still more than ``tolerance_s`` away."""
    rx = np.asarray(receive_us, np.int64)
    s = np.asarray(seconds_in_hour, np.float64)
    stamped = rx // _HOUR_US * _HOUR_US + np.round(np.nan_to_num(s) * 1e6).astype(np.int64)
    stamped += np.round((rx - stamped) / _HOUR_US).astype(np.int64) * _HOUR_US
    ok = np.isfinite(s) & (np.abs(stamped - rx) <= tolerance_s * 1e6)
    return np.where(ok, stamped, rx)
