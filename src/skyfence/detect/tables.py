"""Per-zone arrays the detection kernels read: vertical limits and schedule intervals.

Altitudes are compared datum by datum: a flight-level limit (``STD``) against barometric
(pressure) altitude, an AMSL or AGL limit against geometric altitude; each falls back to the
other altitude when a report lacks the preferred one. AGL limits are turned into AMSL with
the zone's ground elevation. A surface floor is minus infinity (a report below the field's
elevation by a bad altimeter setting is still "above the surface"), UNL is plus infinity.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from skyfence.zones.model import ZoneSet
from skyfence.zones.vertical import Datum

__all__ = ["schedule_tables", "scheduled_zones", "vertical_table"]


def vertical_table(zones: ZoneSet) -> npt.NDArray[np.float64]:
    """Rows ``floor_m, floor_is_pressure, floor_is_sfc, ceiling_m, ceiling_is_pressure``."""
    out = np.zeros((max(len(zones), 1), 5))
    for k, z in enumerate(zones):
        sfc = z.floor.datum is Datum.SFC
        out[k, 0] = -math.inf if sfc else z.floor_amsl_m
        out[k, 1] = float(z.floor.pressure)
        out[k, 2] = float(sfc)
        out[k, 3] = z.ceiling_amsl_m
        out[k, 4] = float(z.ceiling.pressure)
    return out


def scheduled_zones(zones: ZoneSet) -> list[int]:
    """Positions of the zones that are not always active."""
    return [k for k, z in enumerate(zones) if not z.schedule.always]


def schedule_tables(
    zones: ZoneSet, t0: float, t1: float, scheduled: list[int] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """``(sched, intervals)``: ``sched[z] = (lo, hi)`` rows of ``intervals`` (UTC epoch
    seconds) when zone ``z`` is active within ``[t0, t1]``; ``lo == -1`` for always-active
    zones. Built per batch: only the ``scheduled`` zones (default: found here) cost
    anything."""
    if scheduled is None:
        scheduled = scheduled_zones(zones)
    sched = np.full((max(len(zones), 1), 2), -1, np.int64)
    rows: list[tuple[float, float]] = []
    for k in scheduled:
        z = zones[k]
        ivs = z.schedule.intervals(t0 - 1.0, t1 + 1.0)
        sched[k] = (len(rows), len(rows) + len(ivs))
        # intervals clipped to the window are widened again so that clipping never shows
        # up as a schedule switch
        rows.extend(
            (-math.inf if a <= t0 - 1.0 else a, math.inf if b >= t1 + 1.0 else b)
            for a, b in ivs
        )
    iv = np.array(rows, dtype=np.float64).reshape(-1, 2) if rows else np.zeros((1, 2))
    return sched, iv
