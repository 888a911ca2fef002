"""Altitude and identity codes of Mode S replies (Annex 10 Vol IV 3.1.2.6.5.4 and 3.1.2.6.7.1).

13-bit altitude code AC (frame bits 20-32 of DF 0/4/16/20)::

    bit   1  2  3  4  5  6  7  8  9 10 11 12 13
          C1 A1 C2 A2 C4 A4 M  B1 Q  B2 D2 B4 D4

- all zero: altitude not available;
- M = 1: metric altitude (not decoded: not used in practice, rendered null);
- M = 0, Q = 1: the 11 bits left after removing M and Q are ``N``, altitude ``25 N - 1000`` ft;
- M = 0, Q = 0: Gillham (Gray) code in 100 ft steps, used above 50,175 ft and by old
  transponders: D2..B4 form a reflected Gray code of 500 ft steps, C1 C2 C4 a 5-state code of
  100 ft steps whose direction alternates with the parity of the 500 ft count; the range is
  -1000 ft to 126,700 ft.

12-bit altitude ALT of ADS-B airborne positions (ME bits 9-20) is AC without the M bit.

13-bit identity ID (frame bits 20-32 of DF 5/21, ME bits 12-24 of TC 28)::

    bit   1  2  3  4  5  6  7  8  9 10 11 12 13
          C1 A1 C2 A2 C4 A4 X  B1 D1 B2 D2 B4 D4

gives the four octal digits ``ABCD`` of the Mode A code (squawk), each digit ``4*x4+2*x2+x1``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.bits import U64

__all__ = ["FT_TO_M", "ac13_ft", "alt12_ft", "gillham_ft", "squawk_digits"]

FT_TO_M = 0.3048
"""The international foot, exactly."""

F64 = npt.NDArray[np.float64]


def _bit(code: U64, pos: int, width: int) -> U64:
    return (code >> np.uint64(width - pos)) & np.uint64(1)


def _gray_to_binary(g: U64, nbits: int) -> U64:
    b = g.copy()
    shift = 1
    while shift < nbits:
        b ^= b >> np.uint64(shift)
        shift <<= 1
    return b


def gillham_ft(ac13: U64) -> F64:
    """Altitude in feet from a 13-bit Gillham-coded AC field (M and Q ignored); NaN if the
    code is not a valid Gillham code."""
    c = ac13

    def b(pos: int) -> U64:
        return _bit(c, pos, 13)

    # 500 ft Gray code, most significant first: D2 D4 A1 A2 A4 B1 B2 B4 (D1 is never sent)
    g500 = np.zeros(c.shape, dtype=np.uint64)
    for pos in (11, 13, 2, 4, 6, 8, 10, 12):
        g500 = (g500 << np.uint64(1)) | b(pos)
    n500 = _gray_to_binary(g500, 8).astype(np.int64)
    # 100 ft code C1 C2 C4 as a Gray code: valid states decode to 1, 2, 3, 4 and 7 (= 5)
    g100 = (b(1) << np.uint64(2)) | (b(3) << np.uint64(1)) | b(5)
    n100 = _gray_to_binary(g100, 3).astype(np.int64)
    valid = (n100 != 0) & (n100 != 5) & (n100 != 6)
    n100 = np.where(n100 == 7, 5, n100)
    n100 = np.where(n500 % 2 == 1, 6 - n100, n100)
    alt = (n500 * 500 + n100 * 100 - 1300).astype(np.float64)
    # Mode C covers -1000 ft to 126,700 ft; the two codes below -1000 ft are not assigned
    return np.where(valid & (alt >= -1000.0), alt, np.nan)


def ac13_ft(ac: U64) -> F64:
    """Altitude in feet from the 13-bit AC field; NaN when absent, metric or invalid."""
    m = _bit(ac, 7, 13)
    q = _bit(ac, 9, 13)
    n = ((ac & np.uint64(0x1F80)) >> np.uint64(2)) | ((ac & np.uint64(0x20)) >> np.uint64(1)) | (
        ac & np.uint64(0xF)
    )
    alt: F64 = n.astype(np.float64) * 25.0 - 1000.0
    gray = np.flatnonzero(q == 0)  # rare: only old transponders and above 50,175 ft
    alt[gray] = gillham_ft(ac[gray])
    alt[(ac == 0) | (m == 1)] = np.nan
    return alt


def alt12_ft(alt: U64) -> F64:
    """Altitude in feet from the 12-bit ALT field of an ADS-B airborne position."""
    ac = ((alt & np.uint64(0xFC0)) << np.uint64(1)) | (alt & np.uint64(0x3F))
    return ac13_ft(ac)


def squawk_digits(id13: U64) -> npt.NDArray[np.uint8]:
    """The four Mode A digits of a 13-bit ID field as ASCII bytes, shape ``(N, 4)``."""

    def b(pos: int) -> U64:
        return _bit(id13, pos, 13)

    a = (b(6) << np.uint64(2)) | (b(4) << np.uint64(1)) | b(2)
    bb = (b(12) << np.uint64(2)) | (b(10) << np.uint64(1)) | b(8)
    c = (b(5) << np.uint64(2)) | (b(3) << np.uint64(1)) | b(1)
    d = (b(13) << np.uint64(2)) | (b(11) << np.uint64(1)) | b(9)
    return (np.stack([a, bb, c, d], axis=1) + np.uint64(ord("0"))).astype(np.uint8)
