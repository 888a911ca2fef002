"""The integrity checks: one bit each in the ``flags`` column (``uint32``) of ``Reports``.

A bit says the report failed that check; ``flags == 0`` means every check passed *or could
not be evaluated* (a missing field is never a failure). Bits are stable: they are archived
with the reports, so a bit is never renumbered, only added.

=====  ================  ===========================================================
bit    name              fires when
=====  ================  ===========================================================
0      ``speed``         ground speed (reported, or derived from positions) beyond the
                         target class's envelope (:data:`~skyfence.track.limits`)
1      ``accel``         reported ground speed changed faster than the class can
                         accelerate (3 g for aircraft)
2      ``turn``          reported track turned faster than the class can turn at that speed
3      ``jump``          position inconsistent with (reported speed x time) since the last
                         accepted position
4      ``climb``         altitude step or reported vertical rate beyond 1,000 ft/s
5      ``baro_gnss``     geometric (GNSS) and barometric altitudes diverge beyond what the
                         atmosphere explains
6      ``gs_mismatch``   reported ground speed disagrees with the speed derived from
                         positions over a baseline of several seconds
7      ``time_order``    timestamp older than an earlier report of the same target
8      ``time_future``   timestamp later than the given "now" (plus clock tolerance)
9      ``duplicate``     one address at two places at once: two self-consistent tracks
                         interleaved under the same ``target_id``
10     ``nic``           NIC below the threshold of the ADS-B version in use
11     ``nacp``          NACp below the threshold of the ADS-B version in use
12     ``sil``           SIL below the threshold of the ADS-B version in use
13     ``cpr``           the decoder says the position may be a CPR zone off
                         (``cpr_ambiguity``: an inconsistent even/odd pair, global and local
                         solutions that disagree, a local decoding that jumps from its
                         reference, a surface reference too far; see ``decode/cpr.py``); the
                         position is not used by the position checks
14     ``alt_outlier``   an altitude off the track beyond the ``climb`` bound, not (yet)
                         confirmed: a data-quality flag (weight 0), not an implausibility
=====  ================  ===========================================================

``climb`` on altitudes fires once an outlier is confirmed: a second value at the new level,
the outlier still reported after ``STALE_S``, or ``OUTLIER_N`` outliers within
``DUP_WINDOW_S`` (see :mod:`~skyfence.track.limits`). A single wrong altitude, what recorders
and Mode S replies whose address is only in the parity produce, is ``alt_outlier`` only.

Groups: :data:`IMPLAUSIBLE` (kinematics or identity that no real target can produce: what
spoofing and ghosts look like), :data:`DEGRADED` (the target itself says its position is
poor: GNSS interference, old avionics), :data:`TIMING` and :data:`DATA_QUALITY` (one value
of the report is doubtful, the target is not: no confidence penalty, but the report itself
does not verify an alert).
"""

from __future__ import annotations

from enum import IntFlag

import numpy as np
import numpy.typing as npt

__all__ = [
    "ALL_CHECKS",
    "CHECK_NAMES",
    "DATA_QUALITY",
    "DEGRADED",
    "IMPLAUSIBLE",
    "TIMING",
    "Check",
    "check_names",
    "fired",
]


class Check(IntFlag):
    """One bit per integrity check (see the module docstring)."""

    SPEED = 1 << 0
    ACCEL = 1 << 1
    TURN = 1 << 2
    JUMP = 1 << 3
    CLIMB = 1 << 4
    BARO_GNSS = 1 << 5
    GS_MISMATCH = 1 << 6
    TIME_ORDER = 1 << 7
    TIME_FUTURE = 1 << 8
    DUPLICATE = 1 << 9
    NIC = 1 << 10
    NACP = 1 << 11
    SIL = 1 << 12
    CPR = 1 << 13
    ALT_OUTLIER = 1 << 14


CHECK_NAMES: dict[Check, str] = {c: str(c.name).lower() for c in Check}
"""Bit to name, in bit order (``Check.GS_MISMATCH`` is ``"gs_mismatch"``)."""

ALL_CHECKS = int(np.bitwise_or.reduce([int(c) for c in Check]))
IMPLAUSIBLE = int(
    Check.SPEED | Check.ACCEL | Check.TURN | Check.JUMP | Check.CLIMB | Check.GS_MISMATCH
    | Check.DUPLICATE | Check.CPR
)
"""Checks that real, well-behaved targets do not fail (up to sensor noise)."""
DEGRADED = int(Check.NIC | Check.NACP | Check.SIL | Check.BARO_GNSS)
"""Checks that say the target's own navigation is poor (GNSS interference or equipment)."""
TIMING = int(Check.TIME_ORDER | Check.TIME_FUTURE)
DATA_QUALITY = int(Check.ALT_OUTLIER)
"""Checks on one value of a report that say nothing against the target itself."""


def fired(flags: npt.NDArray[np.uint32] | int, check: Check | int) -> npt.NDArray[np.bool_]:
    """Where any bit of ``check`` is set in ``flags``."""
    return np.asarray((np.asarray(flags, dtype=np.uint32) & np.uint32(int(check))) != 0)


def check_names(flags: npt.NDArray[np.uint32] | int) -> list[str]:
    """Names of the checks that fired in any of ``flags`` (bit order)."""
    union = int(np.bitwise_or.reduce(np.atleast_1d(np.asarray(flags, dtype=np.uint32)),
                                     initial=np.uint32(0)))
    return [name for c, name in CHECK_NAMES.items() if union & int(c)]
