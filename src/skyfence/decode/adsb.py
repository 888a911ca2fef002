"""ADS-B extended squitter, DF 17 and DF 18 (DO-260B 2.2.3; Annex 10 Vol IV 3.1.2.8.6).

Frame (112 bits)::

    DF 17  | DF:5 | CA:3 | AA:24 | ME:56 | PI:24 |     transponder-based ADS-B
    DF 18  | DF:5 | CF:3 | AA:24 | ME:56 | PI:24 |     non-transponder ADS-B, TIS-B, ADS-R

AA is the 24-bit ICAO address, PI the plain CRC (remainder 0). CA 4 means on the ground,
5 airborne. DF 18 is decoded as ADS-B for CF 0 (ICAO address) only: CF 1 carries a non-ICAO
address and CF 2-7 TIS-B/ADS-R formats, reported as errors so their rows stay visible.

The first five ME bits are the type code (TC), which selects the message family
(``TC_FAMILIES`` below, expanded into ``TC_TABLE``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from skyfence.decode import identification, opstatus, position, status, velocity
from skyfence.decode.bits import Fields
from skyfence.decode.columns import ERRORS, Out

__all__ = ["TC_FAMILIES", "TC_TABLE", "decode"]

Family = Callable[[Fields, npt.NDArray[np.intp], Out], None]

TC_FAMILIES: tuple[tuple[range, Family], ...] = (
    (range(1, 5), identification.decode),
    (range(5, 9), position.surface),
    (range(9, 19), position.airborne),
    (range(19, 20), velocity.decode),
    (range(20, 23), position.airborne),
    (range(28, 29), status.decode),
    (range(31, 32), opstatus.decode),
)
"""Type codes and the family that decodes them; TC 0 (no position), 23 (test), 24-27
(reserved) and 29 (target state, not needed for surveillance) are left undecoded."""

TC_TABLE: dict[int, Family] = {tc: fn for tcs, fn in TC_FAMILIES for tc in tcs}

_NON_ICAO = np.int8(ERRORS.index("non-icao address"))
_UNSUPPORTED_CF = np.int8(ERRORS.index("unsupported cf"))


def decode(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    """Decode DF 17/18 rows whose CRC passed: header, then each TC family on its rows."""
    cf = fx.head_bits(6, 3)[rows].astype(np.int8)
    is18 = fx.df[rows] == 18
    out.error[rows[is18 & (cf == 1)]] = _NON_ICAO
    out.error[rows[is18 & (cf >= 2)]] = _UNSUPPORTED_CF
    rows = rows[~is18 | (cf == 0)]
    ca = fx.head_bits(6, 3)[rows].astype(np.int8)
    on_ground = np.where(ca == 4, 1, np.where(ca == 5, 0, -1)).astype(np.int8)
    out.i8["on_ground"][rows] = np.where(fx.df[rows] == 17, on_ground, -1)
    tc = (fx.me[rows] >> np.uint64(51)).astype(np.int8)
    out.i8["tc"][rows] = tc
    order = np.argsort(tc, kind="stable")
    bounds = np.searchsorted(tc[order], np.arange(33))
    for code in range(32):
        lo, hi = bounds[code], bounds[code + 1]
        fn = TC_TABLE.get(code)
        if fn is not None and hi > lo:
            fn(fx, rows[order[lo:hi]], out)  # stable sort: rows stay ascending
