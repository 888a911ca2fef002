"""The track stage's integrity part: checks as flags, track confidence, alert grading
inputs and the GNSS interference picture (see docs/integrity.md).

``check_batch(state, observations(reports), now)`` -> ``(state, flags, confidence)``;
filters compose (``speed_limit() | jump()``); ``grade(flags, confidence)`` for alerts;
``interference_grid(...)`` for the per-cell share of aircraft with degraded NIC/NACp.
"""

from skyfence.track.checks import (
    ALL_CHECKS,
    CHECK_NAMES,
    DATA_QUALITY,
    DEGRADED,
    IMPLAUSIBLE,
    TIMING,
    Check,
    check_names,
    fired,
)
from skyfence.track.filters import (
    IntegrityFilter,
    acceleration,
    all_checks,
    baro_gnss,
    climb_rate,
    cpr_ambiguity,
    data_quality,
    degraded,
    duplicate_address,
    gs_mismatch,
    implausible,
    integrity_levels,
    jump,
    speed_limit,
    timestamps,
    turn_rate,
)
from skyfence.track.grading import UNVERIFIED, VERIFIED, grade
from skyfence.track.integrity import (
    IntegrityState,
    Observations,
    check_batch,
    integrity_step,
    observations,
)
from skyfence.track.interference import (
    INTERFERENCE,
    InterferenceAccumulator,
    interference_geojson,
    interference_grid,
    write_geojson,
)

__all__ = [
    "ALL_CHECKS",
    "CHECK_NAMES",
    "DATA_QUALITY",
    "DEGRADED",
    "IMPLAUSIBLE",
    "INTERFERENCE",
    "TIMING",
    "UNVERIFIED",
    "VERIFIED",
    "Check",
    "IntegrityFilter",
    "IntegrityState",
    "InterferenceAccumulator",
    "Observations",
    "acceleration",
    "all_checks",
    "baro_gnss",
    "check_batch",
    "check_names",
    "climb_rate",
    "cpr_ambiguity",
    "data_quality",
    "degraded",
    "duplicate_address",
    "fired",
    "grade",
    "gs_mismatch",
    "implausible",
    "integrity_levels",
    "integrity_step",
    "interference_geojson",
    "interference_grid",
    "jump",
    "observations",
    "speed_limit",
    "timestamps",
    "turn_rate",
    "write_geojson",
]
