"""Target class from kinematics: ``drone``, ``light_aircraft``, ``airliner`` or ``unknown``.

Rules on the smoothed ground speed, altitude and turn rate of a track, vectorised:

- ``airliner``: faster than ``AIRLINER_MPS`` = 110 m/s (214 kt; light aircraft cruise below
  ~90 m/s) or above ``AIRLINER_ALT_M`` = 7,500 m (no piston single flies there routinely);
- ``light_aircraft``: between ``DRONE_MPS`` and ``AIRLINER_MPS`` below 7,500 m;
- ``drone``: slower than ``DRONE_MPS`` = 25 m/s (49 kt; below the stall speed of nearly all
  fixed-wing aircraft, above most multirotors' top speed) and below ``DRONE_ALT_M`` = 1,500 m;
  tight turns (over 10 deg/s, a rate-4 turn) at such speeds add to the confidence;
- ``unknown``: slow and high (balloons, gliders in thermals), or too few updates.

Confidence grows with the distance from the nearest threshold (a logistic in m/s) and with
the number of updates (``1 - exp(-n / 4)``): a class is a hint for the alert, not a fact.
Helicopters fall between classes; that is a known limit of kinematics alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["AIRLINER_ALT_M", "AIRLINER_MPS", "DRONE_ALT_M", "DRONE_MPS", "classify"]

DRONE_MPS = 25.0
DRONE_ALT_M = 1500.0
AIRLINER_MPS = 110.0
AIRLINER_ALT_M = 7500.0
_SCALE_MPS = 6.0  # logistic width: 6 m/s from a threshold is 73 % sure
_MIN_UPDATES = 2

F64 = npt.NDArray[np.float64]


def _sure(margin: F64) -> F64:
    return np.asarray(1.0 / (1.0 + np.exp(-margin / _SCALE_MPS)), dtype=np.float64)


def classify(
    speed_mps: F64, alt_m: F64, turn_dps: F64, updates: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.object_], F64]:
    """(classes, confidences) per element; NaN inputs give ``unknown``."""
    v = np.asarray(speed_mps, float)
    alt = np.nan_to_num(np.asarray(alt_m, float), nan=0.0)
    turn = np.nan_to_num(np.abs(np.asarray(turn_dps, float)), nan=0.0)
    airliner = (v > AIRLINER_MPS) | (alt > AIRLINER_ALT_M)
    drone = (v <= DRONE_MPS) & (alt < DRONE_ALT_M)
    light = ~airliner & ~drone & (v > DRONE_MPS)
    cls = np.where(airliner, "airliner",
                   np.where(light, "light_aircraft", np.where(drone, "drone", "unknown")))
    conf = np.where(
        airliner,
        np.maximum(_sure(v - AIRLINER_MPS), np.where(alt > AIRLINER_ALT_M, 0.9, 0.0)),
        np.where(light, np.minimum(_sure(v - DRONE_MPS), _sure(AIRLINER_MPS - v)),
                 np.where(drone, np.minimum(1.0, _sure(DRONE_MPS - v) + 0.1 * (turn > 10)),
                          0.0)),
    )
    n = np.asarray(updates)
    conf = conf * (1.0 - np.exp(-n / 4.0))
    few = ~np.isfinite(v) | (n < _MIN_UPDATES)
    cls = np.where(few, "unknown", cls)
    conf = np.where(few, 0.0, conf)
    out = np.asarray(np.round(conf, 3), dtype=np.float64)
    return np.asarray(cls, dtype=object), out
