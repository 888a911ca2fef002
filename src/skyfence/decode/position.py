"""ADS-B positions: surface TC 5-8 (BDS 0,6) and airborne TC 9-18, 20-22 (BDS 0,5).

Airborne position ME field::

    ME bit 1-5 TC | 6-7 SS | 8 SAF/NIC-B | 9-20 ALT | 21 T | 22 F | 23-39 LAT-CPR | 40-56 LON-CPR

- TC 9-18: ALT is barometric altitude (12-bit code, see ``altitude``); TC 20-22: GNSS height
  (HAE) in the same 25 ft code, as decoded by dump1090 and rs1090;
- SS surveillance status (1 permanent alert, 2 temporary alert, 3 SPI);
- F = 0 even, 1 odd CPR frame; LAT/LON-CPR are 17-bit fractions of a CPR zone (see ``cpr``).

Surface position ME field::

    ME bit 1-5 TC | 6-12 MOV | 13 S | 14-20 TRK | 21 T | 22 F | 23-39 LAT-CPR | 40-56 LON-CPR

- MOV, ground speed in a non-linear scale (lower bound of each step, knots): 0 n/a, 1 stopped,
  2-8 from 0.125 by 0.125, 9-12 from 1 by 0.25, 13-38 from 2 by 0.5, 39-93 from 15 by 1,
  94-108 from 70 by 2, 109-123 from 100 by 5, 124 >= 175, 125-127 reserved;
- TRK ground track ``value * 360 / 128`` degrees, valid when S = 1.

NIC follows from the TC alone for TC 5, 6, 9, 10, 12-15, 17, 18, 20-22 (DO-260B table 2-14);
TC 7, 11 and 16 need the NIC supplements (``integrity``), TC 8 is left null.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.altitude import FT_TO_M, alt12_ft
from skyfence.decode.bits import Fields, field
from skyfence.decode.columns import Out
from skyfence.decode.velocity import KT_TO_MPS

__all__ = ["airborne", "surface"]

_NIC = np.full(32, -1, dtype=np.int8)
for _tc, _nic in {5: 11, 6: 10, 9: 11, 10: 10, 12: 7, 13: 6, 14: 5, 15: 4, 17: 1, 18: 0,
                  20: 11, 21: 10, 22: 0}.items():
    _NIC[_tc] = _nic


def _movement_kt() -> npt.NDArray[np.float64]:
    """Surface ground speed by MOV code (lower bound of its step), NaN where unassigned."""
    kt = np.full(128, np.nan)
    kt[1] = 0.0
    for first, last, base, step in ((2, 8, 0.125, 0.125), (9, 12, 1.0, 0.25),
                                    (13, 38, 2.0, 0.5), (39, 93, 15.0, 1.0),
                                    (94, 108, 70.0, 2.0), (109, 123, 100.0, 5.0)):
        kt[first:last + 1] = base + step * np.arange(last - first + 1)
    kt[124] = 175.0
    return kt


_MOVEMENT_KT = _movement_kt()


def _cpr(me: npt.NDArray[np.uint64], rows: npt.NDArray[np.intp], out: Out, kind: int) -> None:
    out.cpr_kind[rows] = kind
    out.cpr_odd[rows] = field(me, 22, 1).astype(np.int8)
    out.cpr_lat[rows] = field(me, 23, 17).astype(np.int32)
    out.cpr_lon[rows] = field(me, 40, 17).astype(np.int32)
    out.i8["nic"][rows] = _NIC[(me >> np.uint64(51)).astype(np.intp)]


def airborne(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    me = fx.me[rows]
    tc = me >> np.uint64(51)
    alt_m = alt12_ft(field(me, 9, 12)) * FT_TO_M
    baro = tc <= 18
    out.f["alt_baro_m"][rows] = np.where(baro, alt_m, np.nan)
    out.f["alt_geo_m"][rows] = np.where(baro, np.nan, alt_m)
    out.nic_b[rows] = field(me, 8, 1).astype(np.int8)
    _cpr(me, rows, out, 0)


def surface(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    me = fx.me[rows]
    out.f["gs_mps"][rows] = _MOVEMENT_KT[field(me, 6, 7).astype(np.intp)] * KT_TO_MPS
    track = field(me, 14, 7).astype(np.float64) * (360.0 / 128.0)
    out.f["track_deg"][rows] = np.where(field(me, 13, 1) == 1, track, np.nan)
    out.i8["on_ground"][rows] = 1
    _cpr(me, rows, out, 1)
