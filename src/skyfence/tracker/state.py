"""Tracker parameters and state: plain numpy arrays, one row per track."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TrackerParams", "TrackerState"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrackerParams:
    """Tunables, each with its reason.

    - ``q_h``/``q_v``: white-noise acceleration spectral density, m^2/s^3: 25 horizontally
      (about 5 m/s^2 over a second: a multirotor's starts and stops, an airliner's
      standard-rate turn at 120 m/s is 6.3 m/s^2), 4 vertically. With 4 s scans on real
      airliner traffic, q_h = 4 loses a track 5 times as often (benchmarks/results/tracker.md).
    - ``gate``: chi-square gate on 3 degrees of freedom; 16.27 keeps 99.9 % of true plots.
    - ``sigma_v0_mps``: velocity uncertainty of a new track: 100 m/s covers drones up to
      light aircraft; a jet is caught on its second plot because the gate grows with it.
    - ``confirm_m``/``confirm_n``: M-of-N confirmation, 3 hits in the last 5 scans: a
      single missed scan between hits does not cost a target its start (with Pd = 0.9,
      3-of-4 fails 2.8 % of starts, 3-of-5 0.4 %), while clutter at a few false plots per scan over
      10 x 10 km almost never lines up 3 times. The window slides over the track's life; a
      tentative track goes after N - M + 1 = 3 consecutive misses (then its old hits can no
      longer count), so a plot is never spent on a tentative track that is about to go.
    - ``max_misses``: a confirmed track is deleted after 5 consecutive missed scans, or
      ``max_coast_s`` = 30 s without a plot, whichever comes first.
    - ``coop_window_s``/``coop_sigma_m``: a cooperative report within 2 s of a scan, its
      position uncertain by 50 m (NACp 8-9 plus latency), can claim a plot.
    """

    q_h: float = 25.0
    q_v: float = 4.0
    gate: float = 16.27
    sigma_v0_mps: float = 100.0
    sigma_vz0_mps: float = 10.0
    confirm_m: int = 3
    confirm_n: int = 5
    max_misses: int = 5
    max_coast_s: float = 30.0
    coop_window_s: float = 2.0
    coop_sigma_m: float = 50.0


def _f(n: int = 0, *shape: int) -> F64:
    return np.zeros((n, *shape))


@dataclass(frozen=True)
class TrackerState:
    """All tracks, confirmed or tentative, in the plane tangent at ``origin``."""

    origin: tuple[float, float, float] | None = None
    x: F64 = field(default_factory=lambda: _f(0, 6))
    p: F64 = field(default_factory=lambda: _f(0, 6, 6))
    t: F64 = field(default_factory=lambda: _f(0))  # time of x and p, Unix seconds
    t_hit: F64 = field(default_factory=lambda: _f(0))  # last plot, Unix seconds
    track_id: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    history: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # hit bits, newest 0
    age: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # scans since birth
    misses: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # consecutive
    hits: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # total
    confirmed: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    speed_mps: F64 = field(default_factory=lambda: _f(0))  # smoothed, for classification
    turn_dps: F64 = field(default_factory=lambda: _f(0))
    sensor: npt.NDArray[np.object_] = field(default_factory=lambda: np.zeros(0, object))
    next_id: int = 1

    def __len__(self) -> int:
        return len(self.track_id)

    def select(self, keep: npt.NDArray[np.bool_]) -> TrackerState:
        """The tracks where ``keep`` is true."""
        arrays: dict[str, Any] = {k: getattr(self, k)[keep] for k in _ARRAYS}
        return replace(self, **arrays)

    def extend(self, new: dict[str, Any], next_id: int) -> TrackerState:
        """These tracks followed by ``new`` ones (one array per field of ``_ARRAYS``)."""
        arrays: dict[str, Any] = {k: np.concatenate([getattr(self, k), new[k]]) for k in _ARRAYS}
        return replace(self, next_id=next_id, **arrays)


_ARRAYS = ("x", "p", "t", "t_hit", "track_id", "history", "age", "misses", "hits", "confirmed",
           "speed_mps", "turn_dps", "sensor")
