"""ADS-B aircraft status, TC 28 (BDS 6,1; DO-260B 2.2.3.2.7.8).

ME field, subtype 1 (emergency/priority status)::

    ME bit 1-5 TC=28 | 6-8 ST=1 | 9-11 EPS | 12-24 Mode A code (ID13) | 25-56 reserved

EPS: 0 no emergency, 1 general emergency, 2 lifeguard/medical, 3 minimum fuel,
4 no communications, 5 unlawful interference, 6 downed aircraft, 7 reserved.
The Mode A code uses the ID13 layout of DF 5 (see ``altitude.squawk_digits``).
Subtype 2 is an ACAS resolution advisory broadcast (BDS 3,0 content), not decoded here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.altitude import squawk_digits
from skyfence.decode.bits import Fields, field
from skyfence.decode.columns import Out

__all__ = ["EMERGENCIES", "decode"]

EMERGENCIES = (
    "none",
    "general",
    "lifeguard",
    "minimum fuel",
    "no communications",
    "unlawful interference",
    "downed aircraft",
    "reserved",
)
"""Values of the ``emergency`` column, indexed by the EPS code."""


def decode(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    me = fx.me[rows]
    st1 = field(me, 6, 3) == 1
    rows, me = rows[st1], me[st1]
    out.emergency[rows] = field(me, 9, 3).astype(np.int8)
    id13 = field(me, 12, 13)
    has = id13 != 0
    out.squawk[rows[has]] = squawk_digits(id13[has])
