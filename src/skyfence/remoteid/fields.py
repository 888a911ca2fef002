"""Field encodings shared by the ASTM F3411-22a / ASD-STAN prEN 4709-002 broadcast messages.

Every message is 25 bytes; multi-byte integers are little-endian. Byte 0 of every message::

    bit 7-4 message type | bit 3-0 protocol version (0: F3411-19, 1: F3411-20, 2: F3411-22a)

- latitude/longitude: int32, ``value * 1e-7`` degrees; 0/0 means unknown.
- altitudes and heights: uint16, ``value * 0.5 - 1000`` metres; 0 (-1000 m) means unknown.
- timestamps in System and Authentication: uint32 seconds since 2019-01-01T00:00:00Z.

Decoders take an ``(n, 25)`` uint8 array of messages of one type and return columns as
numpy arrays: floats with NaN for unknown, strings as object arrays with ``None``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "EPOCH_2019_S",
    "MESSAGE_SIZE",
    "Columns",
    "altitude",
    "int32",
    "lat_lon",
    "nibble_hi",
    "nibble_lo",
    "text",
    "uint16",
    "uint32",
]

MESSAGE_SIZE = 25
EPOCH_2019_S = 1_546_300_800  # 2019-01-01T00:00:00Z in Unix seconds: the F3411 time origin

Columns = dict[str, npt.NDArray[np.generic]]
U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]


def nibble_hi(b: U8) -> U8:
    return (b >> 4).astype(np.uint8)


def nibble_lo(b: U8) -> U8:
    return (b & 0x0F).astype(np.uint8)


def uint16(m: U8, at: int) -> npt.NDArray[np.int64]:
    return m[:, at].astype(np.int64) | (m[:, at + 1].astype(np.int64) << 8)


def uint32(m: U8, at: int) -> npt.NDArray[np.int64]:
    return uint16(m, at) | (uint16(m, at + 2) << 16)


def int32(m: U8, at: int) -> npt.NDArray[np.int64]:
    u = uint32(m, at)
    return np.where(u >= 1 << 31, u - (1 << 32), u)


def altitude(m: U8, at: int) -> F64:
    """uint16 half metres offset by -1000 m; raw 0 is 'unknown'."""
    raw = uint16(m, at)
    return np.where(raw == 0, np.nan, raw * 0.5 - 1000.0)


def lat_lon(m: U8, at: int) -> tuple[F64, F64]:
    """Two int32 at ``at`` and ``at + 4`` in 1e-7 degrees; 0/0 and out-of-range are unknown."""
    lat = int32(m, at) * 1e-7
    lon = int32(m, at + 4) * 1e-7
    bad = ((lat == 0) & (lon == 0)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    return np.where(bad, np.nan, lat), np.where(bad, np.nan, lon)


def text(m: U8, start: int, stop: int) -> npt.NDArray[np.object_]:
    """ASCII text padded with NULs (or spaces); empty means absent."""
    out = np.empty(len(m), dtype=object)
    for i, row in enumerate(m[:, start:stop]):
        s = bytes(row).split(b"\0", 1)[0].decode("ascii", "replace").strip()
        out[i] = s or None
    return out
