"""Navigation Integrity Category (NIC) from the position type code and the NIC supplements.

NIC says how large a circle (containment radius Rc) surely holds the true position: 11 is
Rc < 7.5 m, 8 is Rc < 0.1 NM, 0 is unknown. The type code of a position message fixes it
for most codes; four codes need a supplement bit (DO-260B table 2-14, DO-260A 2.2.3.2.7.2)::

    airborne TC | NIC | version 2 (DO-260B): NIC-A, NIC-B | version 1 (DO-260A): NIC-S
       11       |  9  |  A = 1, B = 1                     |  NIC-S = 1
                |  8  |  A = 0, B = 0                     |  NIC-S = 0
       16       |  3  |  A = 1, B = 1                     |  NIC-S = 1
                |  2  |  A = 0, B = 0                     |  NIC-S = 0
    surface TC  |     |  NIC-A (NIC-C = 0)                |
        7       |  9  |  A = 1                            |  NIC-S = 1
                |  8  |  A = 0                            |  NIC-S = 0

NIC-A (version 2) and NIC-S (version 1) are ME bit 44 of the operational status message
(TC 31); NIC-B is ME bit 8 of the airborne position itself, which version 1 uses as the
single-antenna flag instead. So the version and supplement of each aircraft are remembered
(``Versions``) from its TC 31 messages; until one is heard these codes give a null NIC, as
does every code of version 0 (DO-260, which reported NUC instead). Surface TC 8 also needs
NIC-C and is left null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from skyfence.decode.columns import Out

__all__ = ["VERSION_MAX_AGE_S", "Versions", "resolve"]

VERSION_MAX_AGE_S = 600.0
"""TC 31 comes every 2.5-5 s; an aircraft unheard for 10 min is forgotten."""


@dataclass(frozen=True)
class Versions:
    """ADS-B version and NIC supplement (A or S) per ICAO address (sorted)."""

    icao: npt.NDArray[np.uint32]
    version: npt.NDArray[np.int8]
    nic_a: npt.NDArray[np.int8]
    last_t: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> Versions:
        return cls(np.zeros(0, np.uint32), np.zeros(0, np.int8), np.zeros(0, np.int8),
                   np.zeros(0, np.float64))

    def __len__(self) -> int:
        return int(self.icao.size)

    def lookup(self, icao: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.int8],
                                                            npt.NDArray[np.int8]]:
        """(version, supplement) per address, -1 where unknown."""
        version = np.full(icao.size, -1, dtype=np.int8)
        nic_a = np.full(icao.size, -1, dtype=np.int8)
        if self.icao.size:
            pos = np.minimum(np.searchsorted(self.icao, icao), self.icao.size - 1)
            hit = self.icao[pos] == icao
            version[hit], nic_a[hit] = self.version[pos[hit]], self.nic_a[pos[hit]]
        return version, nic_a


def _updated(old: Versions, out: Out, t: npt.NDArray[np.float64], now: float) -> Versions:
    rows = np.flatnonzero((out.i8["tc"] == 31) & (out.error == 0) & (out.i8["adsb_version"] >= 0))
    icao = np.concatenate([old.icao, out.icao[rows]])
    order_key = np.concatenate([np.full(old.icao.size, -1), rows])  # batch rows come later
    version = np.concatenate([old.version, out.i8["adsb_version"][rows]])
    nic_a = np.concatenate([old.nic_a, np.maximum(out.i8["nic_supplement"][rows], 0)])
    last_t = np.concatenate([old.last_t, np.nan_to_num(t[rows], nan=-np.inf)])
    order = np.lexsort((order_key, icao))
    icao, version, nic_a, last_t = icao[order], version[order], nic_a[order], last_t[order]
    last = np.r_[icao[1:] != icao[:-1], True] if icao.size else np.zeros(0, np.bool_)
    keep = last & ~(now - last_t > VERSION_MAX_AGE_S)
    return Versions(icao[keep], version[keep], nic_a[keep], last_t[keep])


def resolve(out: Out, t: npt.NDArray[np.float64], versions: Versions, now: float) -> Versions:
    """Fill the NIC of TC 7, 11 and 16 positions from the remembered (and this batch's)
    TC 31 messages; returns the updated memory."""
    versions = _updated(versions, out, t, now)
    tc = out.i8["tc"]
    rows = np.flatnonzero(((tc == 7) | (tc == 11) | (tc == 16)) & (out.error == 0))
    if rows.size == 0:
        return versions
    version, nic_a = versions.lookup(out.icao[rows])
    tc = tc[rows]
    supplement = np.where(version == 2, np.where(tc == 7, nic_a, out.nic_b[rows]),
                          np.where(version == 1, nic_a, -1))
    high = np.where(tc == 16, 3, 9)
    nic = np.where(supplement == 1, high, high - 1)
    out.i8["nic"][rows] = np.where(supplement >= 0, nic, -1).astype(np.int8)
    return versions
