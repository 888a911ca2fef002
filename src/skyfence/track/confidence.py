"""Track confidence: a number in ``(0, 1]`` per report, from the checks fired on its target.

Each target carries a *penalty* ``P`` that decays exponentially with data time and grows by
the weight of every check that fires::

    P_i = P_{i-1} * exp(-(t_i - t_{i-1}) / TAU_S) + sum(WEIGHTS[k] for each check k fired at i)
    confidence_i = exp(-P_i)

So a target no check ever fired on has confidence 1; one jump (weight 2) drops it to
``e^-2 = 0.14``, back to 0.5 after ~80 s and 0.9 after ~180 s of clean reports; a target that
keeps failing stays near 0. Reports with a bad timestamp (``time_order``/``time_future``) add
their penalty without decaying it (their time cannot be trusted). The window is thus a
sliding exponential one with time constant :data:`TAU_S`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.track.checks import Check

__all__ = ["TAU_S", "WEIGHTS", "weight_vector"]

TAU_S = 60.0
"""Penalties halve in 42 s (one minute time constant): a glitch a minute ago still matters, one
five minutes ago no longer does."""

WEIGHTS: dict[Check, float] = {
    Check.SPEED: 2.0,  # nothing real flies that fast: as strong as a jump
    Check.ACCEL: 1.0,
    Check.TURN: 1.0,
    Check.JUMP: 2.0,  # the position itself is wrong
    Check.CLIMB: 1.0,
    Check.BARO_GNSS: 0.5,  # often the atmosphere or a GNSS problem, not the target
    Check.GS_MISMATCH: 1.0,
    Check.TIME_ORDER: 1.0,
    Check.TIME_FUTURE: 2.0,  # a report from the future was made up or mis-stamped
    Check.DUPLICATE: 2.0,  # two transmitters claim the address: which one is real?
    Check.NIC: 0.3,  # the target honestly says its position is poor
    Check.NACP: 0.3,
    Check.SIL: 0.2,
    Check.CPR: 2.0,  # the position may be hundreds of km off
    Check.ALT_OUTLIER: 0.0,  # one doubtful altitude says nothing against the target
}
"""Penalty added when each check fires (``confidence`` multiplies by ``exp(-w)``)."""


def weight_vector(mask: int) -> npt.NDArray[np.float64]:
    """Weights by bit number (32 entries), zero for bits outside ``mask``."""
    w = np.zeros(32)
    for check, weight in WEIGHTS.items():
        if mask & int(check):
            w[int(check).bit_length() - 1] = weight
    return w
