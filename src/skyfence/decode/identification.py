"""ADS-B aircraft identification and category, TC 1-4 (BDS 0,8; DO-260B 2.2.3.2.5).

ME field (56 bits)::

    ME bit  1-5   6-8   9-14  15-20  21-26  27-32  33-38  39-44  45-50  51-56
            TC    CA    C1    C2     C3     C4     C5     C6     C7     C8

C1..C8 are the callsign in the 6-bit ICAO character set (``bits.CHARSET``), padded with
spaces. The emitter category is the pair (TC, CA): TC 4 is set A (1 light .. 5 heavy,
6 high performance, 7 rotorcraft), TC 3 set B (gliders, balloons, UAV, ...), TC 2 set C
(surface vehicles, obstacles), TC 1 set D (reserved); CA 0 means "no category information".
The category is written as set letter and CA digit, e.g. ``A3``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.bits import CHARSET, Fields
from skyfence.decode.columns import Out

__all__ = ["decode"]

_CHARS = np.frombuffer(CHARSET, dtype=np.uint8)
_SET_LETTER = np.frombuffer(b"?DCBA", dtype=np.uint8)


def decode(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    me = fx.me[rows]
    codes = np.stack([(me >> np.uint64(42 - 6 * k)) & np.uint64(0x3F) for k in range(8)], axis=1)
    out.callsign[rows] = _CHARS[codes]
    tc = (me >> np.uint64(51)).astype(np.intp)
    ca = ((me >> np.uint64(48)) & np.uint64(7)).astype(np.uint8)
    has = ca != 0
    out.category[rows[has], 0] = _SET_LETTER[tc[has]]
    out.category[rows[has], 1] = ca[has] + ord("0")
