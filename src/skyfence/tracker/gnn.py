"""One scan at a time: predict every track, gate, assign plots globally, update, manage.

``step(params, state, t, z, r, sensors)`` runs one scan (all plots of one time) through:

1. predict all tracks to ``t`` (CV Kalman, compiled loops in ``kernels``);
2. gate: squared Mahalanobis distance of every plot to every track, chi-square ``gate``;
3. global nearest neighbour: ``scipy.optimize.linear_sum_assignment`` over the whole
   tracks x plots cost matrix at once (pairs outside the gate cost ``_FORBIDDEN``), called
   when some track or plot gates more than one partner (otherwise the gated pairs are the
   assignment already);
4. update the assigned tracks; each unassigned plot starts a tentative track;
5. M-of-N confirmation (M hits in any N consecutive scans), deletion after ``max_misses``
   misses or ``max_coast_s`` of silence (a tentative track goes after N - M + 1 misses in
   a row).

Returns the new state and the indices (into the new state) of the tracks updated by a plot,
with the plot each got.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from skyfence.tracker.kernels import gate, manage, predict_all, update_smooth
from skyfence.tracker.state import TrackerParams, TrackerState

__all__ = ["assign", "popcount", "step"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_FORBIDDEN = 1e9
_EMPTY = np.zeros(0, np.int64)
_SMOOTH = 0.3  # weight of the newest value in the speed/turn-rate averages


def popcount(bits: I64, n_bits: int) -> I64:
    """Number of set bits among the lowest ``n_bits`` of each element."""
    bits = np.asarray(bits, np.int64)  # an empty gather may come as float
    out = np.zeros(len(bits), np.int64)
    for i in range(n_bits):
        out += (bits >> i) & 1
    return out


def assign(d2: F64, gate: float, cost: F64 | None = None) -> tuple[I64, I64]:
    """Global nearest neighbour: (rows, cols) of the assigned pairs within the gate that
    minimise the summed ``cost`` (default ``d2``). The tracker passes ``d2 + ln det S``,
    the negative log-likelihood, so a new, uncertain track does not win plots from an
    established one just because its wide covariance makes every plot look near."""
    if d2.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    inside = d2 <= gate
    c = np.where(inside, d2 if cost is None else cost, _FORBIDDEN)
    rows, cols = linear_sum_assignment(c)
    ok = inside[rows, cols]
    return rows[ok].astype(np.int64), cols[ok].astype(np.int64)


def _births(params: TrackerParams, state: TrackerState, t: float, z: F64, r: F64,
            sensors: npt.NDArray[np.object_]) -> TrackerState:
    """``state`` with a tentative track started on each of the plots ``z``."""
    m = len(z)
    p = np.zeros((m, 6, 6))
    p[:, :3, :3] = r
    p[:, 3, 3] = p[:, 4, 4] = params.sigma_v0_mps**2
    p[:, 5, 5] = params.sigma_vz0_mps**2
    one = np.ones(m, np.int64)
    tm = np.full(m, t)
    new = {
        "x": np.hstack([z, np.zeros((m, 3))]), "p": p, "t": tm, "t_hit": tm,
        "track_id": np.arange(state.next_id, state.next_id + m, dtype=np.int64),
        "history": one, "age": one, "misses": np.zeros(m, np.int64), "hits": one,
        "confirmed": np.zeros(m, bool), "speed_mps": np.full(m, np.nan),
        "turn_dps": np.zeros(m), "sensor": sensors.astype(object),
    }
    return state.extend(new, state.next_id + m)


def step(
    params: TrackerParams,
    state: TrackerState,
    t: float,
    z: F64,
    r: F64,
    sensors: npt.NDArray[np.object_],
) -> tuple[TrackerState, I64, I64]:
    """One scan at ``t`` (Unix seconds) of (m, 3) ENU plots with (m, 3, 3) noise."""
    k = len(state)
    x, p = state.x.copy(), state.p.copy()
    predict_all(x, p, np.maximum(t - state.t, 0.0), params.q_h, params.q_v)
    rows, cols = _EMPTY, _EMPTY
    if k and len(z):
        d2, cost, conflict = gate(x, p, z, r, params.gate)
        if conflict:  # only then is there an assignment problem to solve
            rows, cols = assign(d2, params.gate, cost)
        else:
            rows, cols = np.nonzero(d2 <= params.gate)
    hit = np.zeros(k, bool)
    hit[rows] = True
    speed_mps, turn_dps, sensor = state.speed_mps, state.turn_dps, state.sensor
    if len(rows):
        speed_mps, turn_dps, sensor = speed_mps.copy(), turn_dps.copy(), sensor.copy()
        update_smooth(x, p, rows, z, r, cols, speed_mps, turn_dps, state.t_hit, t, _SMOOTH)
        sensor[rows] = sensors[cols]
    history, age, misses, hits = (a.copy() for a in (state.history, state.age, state.misses,
                                                      state.hits))
    confirmed, t_hit = state.confirmed.copy(), state.t_hit.copy()
    keep = manage(hit, history, age, misses, hits, confirmed, t_hit, t, params.confirm_m,
                  params.confirm_n, params.max_misses, params.max_coast_s)
    s = replace(state, x=x, p=p, t=np.full(k, t), t_hit=t_hit, history=history, age=age,
                misses=misses, hits=hits, confirmed=confirmed, speed_mps=speed_mps,
                turn_dps=turn_dps, sensor=sensor)
    if keep.all():
        updated, plot_of = rows, cols
    else:
        kept_index = np.cumsum(keep) - 1
        s = s.select(keep)
        updated = kept_index[rows][keep[rows]]
        plot_of = cols[keep[rows]]
    taken = np.zeros(len(z), bool)
    taken[cols] = True
    free = np.flatnonzero(~taken)
    if len(free):
        s = _births(params, s, t, z[free], r[free], sensors[free])
    return s, updated.astype(np.int64), plot_of.astype(np.int64)
