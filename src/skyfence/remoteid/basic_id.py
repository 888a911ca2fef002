"""Basic ID message, type 0: who the unmanned aircraft is.

::

    byte 0      message type (0) | protocol version
    byte 1      bit 7-4 ID type | bit 3-0 UA type
    byte 2-21   UAS ID, 20 ASCII characters, NUL padded
    byte 22-24  reserved

ID type: 0 none, 1 serial number (ANSI/CTA-2063-A), 2 CAA registration, 3 UTM-assigned UUID,
4 specific session ID (F3411-22a). A UA may send two Basic IDs (e.g. serial and session ID).
"""

from __future__ import annotations

import numpy as np

from skyfence.remoteid.fields import U8, Columns, nibble_hi, nibble_lo, text

__all__ = ["ID_TYPES", "UA_TYPES", "decode"]

ID_TYPES = ("none", "serial", "caa_registration", "utm_uuid", "session_id")
UA_TYPES = (
    "none", "aeroplane", "helicopter_or_multirotor", "gyroplane", "hybrid_lift", "ornithopter",
    "glider", "kite", "free_balloon", "captive_balloon", "airship", "parachute", "rocket",
    "tethered_powered_aircraft", "ground_obstacle", "other",
)


def decode(m: U8) -> Columns:
    id_type = nibble_hi(m[:, 1])
    ua = nibble_lo(m[:, 1])
    return {
        "id_type": id_type.astype(np.float64),
        "ua_type": np.array(UA_TYPES, dtype=object)[ua],
        "uas_id": text(m, 2, 22),
    }
