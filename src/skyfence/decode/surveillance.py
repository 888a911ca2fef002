"""Surveillance and Comm-B replies: DF 0, 4, 5, 16, 20, 21 (Annex 10 Vol IV 3.1.2.8, 3.1.2.6).

Short replies (56 bits)::

    DF 0   | DF:5 | VS:1 | CC:1 | -:1 | SL:3 | -:2 | RI:4 | -:2 | AC:13 | AP:24 |
    DF 4   | DF:5 | FS:3 | DR:5 | UM:6 | AC:13 | AP:24 |
    DF 5   | DF:5 | FS:3 | DR:5 | UM:6 | ID:13 | AP:24 |

Long replies (112 bits) add a 56-bit field before AP::

    DF 16  | as DF 0 ...  AC:13 | MV:56 | AP:24 |    (ACAS coordination)
    DF 20  | as DF 4 ...  AC:13 | MB:56 | AP:24 |    (Comm-B, altitude)
    DF 21  | as DF 5 ...  ID:13 | MB:56 | AP:24 |    (Comm-B, identity)

AP is the CRC XOR the aircraft address, so the address is the CRC remainder (see ``crc``).
FS (flight status) 1 or 3 means on the ground, 0 or 2 airborne, 4-5 either; VS (vertical
status) 1 means on the ground.

Of the Comm-B registers only BDS 2,0 (aircraft identification) announces itself: MB bits 1-8
are ``0x20``, then eight 6-bit characters as in ADS-B TC 1-4. Other registers (4,0 5,0 6,0 ...)
carry no identifier and need heuristics, so they are not decoded here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.altitude import FT_TO_M, ac13_ft, squawk_digits
from skyfence.decode.bits import CHARSET, Fields
from skyfence.decode.columns import Out

__all__ = ["altitude_reply", "identity_reply"]

Rows = npt.NDArray[np.intp]

_CHARS = np.frombuffer(CHARSET, dtype=np.uint8)


def _ground_from_status(fx: Fields, rows: Rows, out: Out) -> None:
    df = fx.df[rows]
    fs = fx.head_bits(6, 3)[rows].astype(np.int8)
    vs = fx.head_bits(6, 1)[rows].astype(np.int8)
    short_status = (df == 0) | (df == 16)
    ground = np.where(short_status, vs, np.where((fs == 1) | (fs == 3), 1, 0))
    known = short_status | (fs <= 3)
    out.i8["on_ground"][rows] = np.where(known, ground, -1).astype(np.int8)


def _commb_identification(fx: Fields, rows: Rows, out: Out) -> None:
    mb = fx.me[rows]
    is20 = (mb >> np.uint64(48)) == np.uint64(0x20)
    if not is20.any():
        return
    rows, mb = rows[is20], mb[is20]
    codes = np.stack(
        [(mb >> np.uint64(42 - 6 * k)) & np.uint64(0x3F) for k in range(8)], axis=1
    )
    chars = _CHARS[codes]
    ok = ~(chars == ord("#")).any(axis=1)
    out.callsign[rows[ok]] = chars[ok]


def altitude_reply(fx: Fields, rows: Rows, out: Out) -> None:
    """DF 0, 4, 16, 20: barometric altitude (and BDS 2,0 identification for DF 20)."""
    out.f["alt_baro_m"][rows] = ac13_ft(fx.head_bits(20, 13)[rows]) * FT_TO_M
    _ground_from_status(fx, rows, out)
    _commb_identification(fx, rows[fx.df[rows] == 20], out)


def identity_reply(fx: Fields, rows: Rows, out: Out) -> None:
    """DF 5, 21: Mode A code (and BDS 2,0 identification for DF 21)."""
    out.squawk[rows] = squawk_digits(fx.head_bits(20, 13)[rows])
    _ground_from_status(fx, rows, out)
    _commb_identification(fx, rows[fx.df[rows] == 21], out)
