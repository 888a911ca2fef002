"""Authentication message, type 2: carried, not verified (the keys live with the UTM).

::

    byte 0      message type (2) | protocol version
    byte 1      bit 7-4 authentication type | bit 3-0 page number
    page 0:
    byte 2      last page index
    byte 3      length of the authentication data, bytes
    byte 4-7    timestamp, uint32 seconds since 2019-01-01T00:00:00Z
    byte 8-24   authentication data, first 17 bytes
    page 1-15:
    byte 2-24   authentication data, next 23 bytes

Authentication type: 0 none, 1 UAS ID signature, 2 operator ID signature, 3 message set
signature, 4 network Remote ID, 5 specific method, 0xA-0xF private use.
"""

from __future__ import annotations

import numpy as np

from skyfence.remoteid.fields import EPOCH_2019_S, U8, Columns, nibble_hi, nibble_lo, uint32

__all__ = ["decode"]


def decode(m: U8) -> Columns:
    page = nibble_lo(m[:, 1])
    first = page == 0
    ts = uint32(m, 4).astype(np.float64)
    data = np.empty(len(m), dtype=object)
    for i, row in enumerate(m):
        data[i] = bytes(row[8:25] if first[i] else row[2:25]).hex()
    return {
        "auth_type": nibble_hi(m[:, 1]).astype(np.float64),
        "auth_page": page.astype(np.float64),
        "auth_last_page": np.where(first, m[:, 2].astype(np.float64), np.nan),
        "auth_length": np.where(first, m[:, 3].astype(np.float64), np.nan),
        "unix_s": np.where(first & (ts > 0), ts + EPOCH_2019_S, np.nan),
        "auth_data": data,
    }
