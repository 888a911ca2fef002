"""Decoder memory carried from one batch to the next (pure: state in, state out).

Three things need memory:

- CPR positions (``cpr.CprState``): the last even and odd frames and the last position of
  each aircraft;
- confirmed addresses: DF 0/4/5/16/20/21 replies carry their address only folded into the
  parity field, so *any* corrupted or noise frame yields some address. An address counts as
  confirmed once a CRC-checked frame with the address in clear (DF 11, DF 17, DF 18 CF 0)
  has been received from it within ``ADDRESS_MAX_AGE_S``; replies from other addresses
  are reported with error ``unconfirmed address`` instead of inventing a target (a clear
  frame anywhere in the same batch confirms the whole batch's replies). Aircraft
  send DF 11 about once a second and DF 17 several times a second, so a real aircraft is
  confirmed within a second or two;
- ADS-B version and NIC supplement of each aircraft (``integrity.Versions``), from its
  operational status messages, needed to turn some position type codes into a NIC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from skyfence.decode.cpr import CprState
from skyfence.decode.integrity import Versions

__all__ = ["ADDRESS_MAX_AGE_S", "Addresses", "DecoderState"]

ADDRESS_MAX_AGE_S = 60.0
"""An address not heard in clear for 60 s is forgotten (dump1090 uses a similar window)."""


@dataclass(frozen=True)
class Addresses:
    """Confirmed ICAO addresses (sorted) and when each was last heard in clear."""

    icao: npt.NDArray[np.uint32]
    last_t: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> Addresses:
        return cls(np.zeros(0, np.uint32), np.zeros(0, np.float64))

    def __len__(self) -> int:
        return int(self.icao.size)

    def updated(self, icao: npt.NDArray[np.uint32], t: npt.NDArray[np.float64],
                now: float) -> Addresses:
        """Add addresses heard in clear at times ``t``; drop those not heard for
        ``ADDRESS_MAX_AGE_S`` before ``now`` (NaN: drop nothing)."""
        all_icao = np.concatenate([self.icao, icao.astype(np.uint32)])
        all_t = np.concatenate([self.last_t, np.nan_to_num(t.astype(np.float64), nan=-np.inf)])
        if all_icao.size == 0:
            return self
        order = np.lexsort((all_t, all_icao))  # by address, then time: keep the last of each
        all_icao, all_t = all_icao[order], all_t[order]
        last = np.r_[all_icao[1:] != all_icao[:-1], True]
        icao_u, t_u = all_icao[last], all_t[last]
        keep = ~(now - t_u > ADDRESS_MAX_AGE_S)
        return Addresses(icao_u[keep], t_u[keep])

    def known(self, icao: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
        if self.icao.size == 0:
            return np.zeros(icao.size, dtype=np.bool_)
        pos = np.minimum(np.searchsorted(self.icao, icao), self.icao.size - 1)
        return self.icao[pos] == icao  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DecoderState:
    """Everything ``decode_frames`` remembers between batches."""

    cpr: CprState
    addresses: Addresses
    versions: Versions

    @classmethod
    def empty(cls) -> DecoderState:
        return cls(CprState.empty(), Addresses.empty(), Versions.empty())
