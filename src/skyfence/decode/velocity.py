"""ADS-B airborne velocity, TC 19 (BDS 0,9; DO-260B 2.2.3.2.6).

ME field, subtypes 1-2 (velocity over ground)::

    ME bit 1-5 TC | 6-8 ST | 9 IC | 10 IFR | 11-13 NUCv/NACv
           14 Dew | 15-24 Vew | 25 Dns | 26-35 Vns
           36 VrSrc | 37 Svr | 38-46 Vr | 47-48 reserved | 49 SDif | 50-56 dAlt

subtypes 3-4 (airspeed and heading)::

           14 SH | 15-24 HDG | 25 AS-type | 26-35 AS | 36-56 as above

- Vew/Vns: ``value - 1`` knots (0 = not available); Dew = 1 means westward, Dns = 1 southward;
  subtypes 2 and 4 (supersonic) count in 4-knot units.
- HDG: ``value * 360 / 1024`` degrees, valid when SH = 1; AS-type 0 = IAS, 1 = TAS.
- Vr: ``(value - 1) * 64`` ft/min (0 = not available), Svr = 1 means descending; VrSrc 0 =
  GNSS, 1 = barometric.
- dAlt: ``(value - 1) * 25`` ft of GNSS minus barometric altitude, SDif = 1 means GNSS below.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.altitude import FT_TO_M
from skyfence.decode.bits import U64, Fields, field
from skyfence.decode.columns import Out

__all__ = ["KT_TO_MPS", "decode"]

KT_TO_MPS = 1852.0 / 3600.0
"""One knot (international nautical mile per hour) in m/s."""

FPM_TO_MPS = FT_TO_M / 60.0


def _signed(value: U64, sign: U64, unit: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    v = (value.astype(np.float64) - 1.0) * unit
    v = np.where(sign == 1, -v, v)
    return np.where(value == 0, np.nan, v)


def decode(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    me = fx.me[rows]
    st = field(me, 6, 3)
    ground = (st == 1) | (st == 2)
    air = (st == 3) | (st == 4)
    unit = np.where((st == 2) | (st == 4), 4.0, 1.0)

    v_ew = _signed(field(me, 15, 10), field(me, 14, 1), unit)
    v_ns = _signed(field(me, 26, 10), field(me, 25, 1), unit)
    gs_kt = np.where(ground, np.hypot(v_ew, v_ns), np.nan)
    track = np.degrees(np.arctan2(v_ew, v_ns)) % 360.0
    out.f["gs_mps"][rows] = gs_kt * KT_TO_MPS
    out.f["track_deg"][rows] = np.where(ground, track, np.nan)

    heading = field(me, 15, 10).astype(np.float64) * (360.0 / 1024.0)
    out.f["heading_deg"][rows] = np.where(air & (field(me, 14, 1) == 1), heading, np.nan)
    aspeed_raw = field(me, 26, 10)
    aspeed = np.where(aspeed_raw == 0, np.nan, (aspeed_raw.astype(np.float64) - 1.0) * unit)
    tas = field(me, 25, 1) == 1
    out.f["ias_mps"][rows] = np.where(air & ~tas, aspeed * KT_TO_MPS, np.nan)
    out.f["tas_mps"][rows] = np.where(air & tas, aspeed * KT_TO_MPS, np.nan)

    valid = ground | air
    ones = np.ones(rows.size)
    vr = _signed(field(me, 38, 9), field(me, 37, 1), 64.0 * ones)
    out.f["vrate_mps"][rows] = np.where(valid, vr * FPM_TO_MPS, np.nan)
    dalt = _signed(field(me, 50, 7), field(me, 49, 1), 25.0 * ones)
    out.f["geo_minus_baro_m"][rows] = np.where(valid, dalt * FT_TO_M, np.nan)
