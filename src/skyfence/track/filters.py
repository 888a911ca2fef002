"""Composable integrity filters, in the manner of traffic's ``FilterBase.__or__``::

    checks = speed_limit() | jump() | duplicate_address()
    state, flags, confidence = checks.run(state, observations(reports), now=now)
    clean = checks.keep(reports, flags)   # the rows no selected check fired on

A filter is a set of checks (a bit mask); ``a | b`` selects both. All checks are always
computed together (they share one pass and one state, so a jump is not accepted as the track
whatever is selected); the selection decides which ones flag and lower confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.track.checks import (
    ALL_CHECKS,
    DATA_QUALITY,
    DEGRADED,
    IMPLAUSIBLE,
    Check,
    check_names,
)
from skyfence.track.integrity import IntegrityState, Observations, check_batch

__all__ = [
    "IntegrityFilter",
    "acceleration",
    "all_checks",
    "baro_gnss",
    "climb_rate",
    "cpr_ambiguity",
    "data_quality",
    "degraded",
    "duplicate_address",
    "gs_mismatch",
    "implausible",
    "integrity_levels",
    "jump",
    "speed_limit",
    "timestamps",
    "turn_rate",
]


@dataclass(frozen=True)
class IntegrityFilter:
    """A selection of integrity checks; ``|`` unites two selections."""

    mask: int

    def __or__(self, other: IntegrityFilter) -> IntegrityFilter:
        return IntegrityFilter(self.mask | other.mask)

    def __contains__(self, check: Check) -> bool:
        return bool(self.mask & int(check))

    @property
    def names(self) -> list[str]:
        """Names of the selected checks."""
        return check_names(self.mask)

    def run(
        self, state: IntegrityState, obs: Observations, now: float | None = None
    ) -> tuple[IntegrityState, npt.NDArray[np.uint32], npt.NDArray[np.float64]]:
        """:func:`~skyfence.track.integrity.check_batch` with this selection."""
        return check_batch(state, obs, now, self.mask)

    def fired(self, flags: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
        """Rows on which a selected check fired."""
        return np.asarray((flags & np.uint32(self.mask)) != 0)

    def keep(self, reports: pa.Table, flags: npt.NDArray[np.uint32]) -> pa.Table:
        """The rows of ``reports`` on which no selected check fired."""
        return reports.filter(pa.array(~self.fired(flags)))

    def __repr__(self) -> str:
        return " | ".join(f"{n}()" for n in self.names) or "IntegrityFilter(0)"


def speed_limit() -> IntegrityFilter:
    """Ground speed beyond the class envelope (1,333 kt aircraft, 100 m/s ``rid:`` drones)."""
    return IntegrityFilter(int(Check.SPEED))


def acceleration() -> IntegrityFilter:
    """Along-track acceleration beyond 3 g (aircraft) or 5 g (drones)."""
    return IntegrityFilter(int(Check.ACCEL))


def turn_rate() -> IntegrityFilter:
    """Turn beyond 9 g lateral (aircraft) or 5 g (drones)."""
    return IntegrityFilter(int(Check.TURN))


def jump() -> IntegrityFilter:
    """Position inconsistent with speed x time."""
    return IntegrityFilter(int(Check.JUMP))


def climb_rate() -> IntegrityFilter:
    """Altitude step or vertical rate beyond 1,000 ft/s (aircraft), 50 m/s (drones)."""
    return IntegrityFilter(int(Check.CLIMB))


def baro_gnss() -> IntegrityFilter:
    """Geometric and barometric altitudes diverging beyond 600 m + 15 %."""
    return IntegrityFilter(int(Check.BARO_GNSS))


def gs_mismatch() -> IntegrityFilter:
    """Reported ground speed vs speed derived from positions."""
    return IntegrityFilter(int(Check.GS_MISMATCH))


def timestamps() -> IntegrityFilter:
    """Out-of-order timestamps and timestamps in the future."""
    return IntegrityFilter(int(Check.TIME_ORDER | Check.TIME_FUTURE))


def duplicate_address() -> IntegrityFilter:
    """One address at two places at once."""
    return IntegrityFilter(int(Check.DUPLICATE))


def integrity_levels() -> IntegrityFilter:
    """NIC, NACp and SIL below the minima of the ADS-B version."""
    return IntegrityFilter(int(Check.NIC | Check.NACP | Check.SIL))


def cpr_ambiguity() -> IntegrityFilter:
    """Positions the decoder says may be a CPR zone off (``cpr_ambiguity`` set)."""
    return IntegrityFilter(int(Check.CPR))


def implausible() -> IntegrityFilter:
    """Every kinematic and identity check (what spoofing and ghosts fail)."""
    return IntegrityFilter(IMPLAUSIBLE)


def degraded() -> IntegrityFilter:
    """Integrity levels and baro/GNSS divergence (what GNSS interference causes)."""
    return IntegrityFilter(DEGRADED)


def data_quality() -> IntegrityFilter:
    """Single doubtful values (an altitude outlier): no confidence penalty."""
    return IntegrityFilter(DATA_QUALITY)


def all_checks() -> IntegrityFilter:
    """Every check."""
    return IntegrityFilter(ALL_CHECKS)
