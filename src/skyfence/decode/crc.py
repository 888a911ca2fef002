"""CRC-24 parity of Mode S frames (ICAO Annex 10 Vol IV, 3.1.2.3.3).

Layout::

    56-bit frame   | data: bits 1-32                           | parity: bits 33-56  |
    112-bit frame  | data: bits 1-88                           | parity: bits 89-112 |

The generator polynomial is ``x^24 + x^23 + ... + x^10 + x^3 + 1`` = ``0x1FFF409`` (the 24-bit
value ``0xFFF409`` after dropping the leading term). The *remainder* computed here is the
CRC of the data bits XOR the transmitted parity field:

- DF 17/18 (extended squitter) and DF 11 (all-call reply): parity is plain CRC, so a good
  frame has remainder 0 (DF 11: the low 7 bits may hold the interrogator code, so only the
  upper 17 bits must be 0);
- DF 0/4/5/16/20/21: the parity field is overlaid with the aircraft address (AP), so the
  remainder *is* the ICAO address; such frames cannot be checked without knowing the address.

A single flipped bit in a 112-bit frame gives a unique non-zero syndrome, so a lookup of the
remainder in a table of the 112 one-bit syndromes finds and repairs it (optional; a repair can
also turn a two-bit error into a wrong frame, which is why it is off by default).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from skyfence.decode.bits import U8, U32

__all__ = ["GENERATOR", "crc24", "remainder", "repair_one_bit"]

GENERATOR = 0xFFF409


def _table() -> U32:
    t = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i << 16
        for _ in range(8):
            c = (c << 1) ^ GENERATOR if c & 0x800000 else c << 1
        t[i] = c & 0xFFFFFF
    return t


_TABLE = _table()


@numba.njit(cache=True, nogil=True)
def _remainders(frames: U8, lengths: U8, table: U32) -> U32:  # pragma: no cover - compiled
    n = frames.shape[0]
    out = np.zeros(n, dtype=np.uint32)
    for r in range(n):
        nbytes = 14 if lengths[r] == 14 else 7
        c = np.int64(0)
        for k in range(nbytes - 3):
            idx = ((c >> 16) ^ np.int64(frames[r, k])) & 0xFF
            c = ((c << 8) ^ np.int64(table[idx])) & 0xFFFFFF
        parity = (
            (np.int64(frames[r, nbytes - 3]) << 16)
            | (np.int64(frames[r, nbytes - 2]) << 8)
            | np.int64(frames[r, nbytes - 1])
        )
        out[r] = c ^ parity
    return out


def remainder(frames: U8, lengths: U8) -> U32:
    """CRC remainder of each frame (see the module docstring for what it means per DF)."""
    if frames.shape[0] == 0:
        return np.zeros(0, dtype=np.uint32)
    return _remainders(
        np.ascontiguousarray(frames, dtype=np.uint8),
        np.ascontiguousarray(lengths, dtype=np.uint8),
        _TABLE,
    )


def crc24(data: bytes) -> int:
    """CRC-24 of ``data`` (the parity a transmitter appends), one frame at a time."""
    c = 0
    for b in data:
        c = ((c << 8) ^ int(_TABLE[((c >> 16) ^ b) & 0xFF])) & 0xFFFFFF
    return c


def _syndromes() -> tuple[U32, npt.NDArray[np.int64]]:
    """Remainder caused by flipping each of the 112 bits of a long frame (sorted): a data bit
    gives the CRC of that bit alone, a parity bit gives itself."""
    syn = np.zeros(112, dtype=np.uint32)
    for bit in range(88):
        data = bytearray(11)
        data[bit // 8] = 0x80 >> (bit % 8)
        syn[bit] = crc24(bytes(data))
    for bit in range(88, 112):
        syn[bit] = 1 << (111 - bit)
    order = np.argsort(syn)
    return syn[order], order.astype(np.int64)


_SYN, _SYN_BIT = _syndromes()


def repair_one_bit(frames: U8, lengths: U8, rem: U32, candidates: npt.NDArray[np.bool_]) -> U32:
    """Flip the one data bit that explains a non-zero remainder, in place, for long frames
    selected by ``candidates``; returns the updated remainders (0 where repaired).

    Bits 1-5 (the DF) are never flipped: a repair must not turn a frame into another format.
    """
    rem = rem.copy()
    rows = np.flatnonzero(candidates & (lengths == 14) & (rem != 0))
    if rows.size == 0:
        return rem
    pos = np.searchsorted(_SYN, rem[rows])
    pos = np.minimum(pos, _SYN.size - 1)
    hit = _SYN[pos] == rem[rows]
    bit = _SYN_BIT[pos]
    hit &= bit >= 5
    rows, bit = rows[hit], bit[hit]
    frames[rows, bit // 8] ^= (0x80 >> (bit % 8)).astype(np.uint8)
    rem[rows] = 0
    return rem
