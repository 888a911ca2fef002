"""ADS-B operational status, TC 31 (BDS 6,5; DO-260B 2.2.3.2.7.2).

ME field (versions 1 and 2)::

    ME bit 1-5 TC=31 | 6-8 ST (0 airborne, 1 surface) | 9-24 capability class
           25-40 operational mode | 41-43 version | 44 NIC supplement-A
           45-48 NACp | 49-50 GVA (airborne) | 51-52 SIL | 53 NIC-baro / TRK-HDG
           54 HRD | 55 SIL supplement | 56 reserved

Version 0 (DO-260) defined none of the fields after the version number, so only
``adsb_version`` is reported for it; versions 1 (DO-260A) and 2 (DO-260B) share the layout
above. The version applies to every later message of the aircraft (NIC decoding, for one).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.bits import Fields, field
from skyfence.decode.columns import Out

__all__ = ["decode"]


def decode(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    me = fx.me[rows]
    st = field(me, 6, 3)
    rows, me = rows[st <= 1], me[st <= 1]
    version = field(me, 41, 3).astype(np.int8)
    out.i8["adsb_version"][rows] = version
    v12 = (version == 1) | (version == 2)
    rows, me = rows[v12], me[v12]
    out.i8["nic_supplement"][rows] = field(me, 44, 1).astype(np.int8)
    out.i8["nacp"][rows] = field(me, 45, 4).astype(np.int8)
    out.i8["sil"][rows] = field(me, 51, 2).astype(np.int8)
