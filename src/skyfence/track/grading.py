"""Alert grading inputs: is an incursion seen through trustworthy reports?

``grade(flags, confidence)`` takes the reports on which an incursion rests (its events'
reports: the segment ends of an ``enter``/``cross``, the ``inside`` reports) and says:

- ``"verified"`` when at least one of them passed every grading check
  (``flags & GRADING_CHECKS == 0``) with confidence >= :data:`VERIFIED_MIN_CONFIDENCE`;
- ``"unverified"`` otherwise (every report flagged or low confidence, or no report at all).

It also returns the names of every check that fired on any of them (sorted by bit), to be
recorded with the alert whatever the grade. An unverified alert should never get the top
severity; the alert stage decides what to do with that (see docs/integrity.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from skyfence.track.checks import ALL_CHECKS, check_names

__all__ = ["GRADING_CHECKS", "UNVERIFIED", "VERIFIED", "VERIFIED_MIN_CONFIDENCE", "grade"]

VERIFIED, UNVERIFIED = "verified", "unverified"
VERIFIED_MIN_CONFIDENCE = 0.5
"""A report counts as clean only if its target's confidence is at least 0.5: one jump
(confidence 0.14) keeps a target's next ~80 s of reports from verifying anything."""
GRADING_CHECKS = ALL_CHECKS
"""Every check counts: degraded NIC/NACp (interference) makes a position as doubtful as a
spoofed one for deciding that a target is inside a zone."""


def grade(flags: npt.NDArray[np.uint32], confidence: npt.NDArray[np.float64]
          ) -> tuple[str, list[str]]:
    """``("verified" | "unverified", names of the checks fired)``, see the module docstring."""
    f = np.asarray(flags, dtype=np.uint32)
    c = np.asarray(confidence, dtype=np.float64)
    clean = ((f & np.uint32(GRADING_CHECKS)) == 0) & (c >= VERIFIED_MIN_CONFIDENCE)
    return (VERIFIED if bool(clean.any()) else UNVERIFIED), check_names(f)
