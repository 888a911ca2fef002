"""All-call reply, DF 11 (Annex 10 Vol IV 3.1.2.5.2.2).

Frame (56 bits)::

    DF 11  | DF:5 | CA:3 | AA:24 | PI:24 |

AA is the ICAO address in clear. PI is the CRC XOR the interrogator code (II or SI, at most
7 bits), so a good frame has a remainder whose upper 17 bits are zero. Its only content is
the capability CA: 4 on the ground, 5 airborne, 6-7 either.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.decode.bits import Fields
from skyfence.decode.columns import Out

__all__ = ["decode"]


def decode(fx: Fields, rows: npt.NDArray[np.intp], out: Out) -> None:
    ca = fx.head_bits(6, 3)[rows].astype(np.int8)
    out.i8["on_ground"][rows] = np.where(ca == 4, 1, np.where(ca == 5, 0, -1)).astype(np.int8)
