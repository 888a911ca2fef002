"""The compiled walk over reports grouped by target (arrival order within a target).

State per target is one row of a float matrix (columns below, NaN = unknown), so the walk
over one batch picks up exactly where the previous batch left it. Per report, in order:

1. time: ``time_future`` (after ``now + FUTURE_TOL_S``), ``time_order`` (before the target's
   latest time); a report failing either takes no further part in the kinematic checks;
2. reported values: ``speed`` (ground speed over the class envelope), ``climb`` (vertical
   rate), ``accel`` and ``turn`` against the last accepted velocity (a failing velocity is not
   accepted; the bound grows with time, so a real change is accepted after a while);
3. altitude step against the last accepted altitude (``climb``) and ``baro_gnss``;
4. position, unless it repeats the previous one: within
   ``JUMP_FACTOR x speed x dt + JUMP_MARGIN_M`` of the accepted track it is accepted, else it is
   a ``jump`` and becomes (or extends) a *candidate* track. A candidate that stays
   self-consistent while the accepted track is also heard is a second transmitter:
   ``duplicate`` on both tracks' reports. A candidate confirmed by ``SWITCH_N`` positions
   while the accepted track is silent replaces it. ``speed`` also fires when the distance
   from the accepted track, less the noise margin, needs more than the class's top speed;
5. every ``GS_BASELINE_S`` of accepted positions: derived speed vs reported (``gs_mismatch``,
   and ``speed`` on the derived speed);
6. integrity levels against the version's minima; then the confidence penalty.

Recorders repeat a value until a new one arrives, then catch up. A repeated value says
nothing new; the time allowed for the catch-up is the time since the value last changed,
with at most ``STALE_S`` of credit for the repetition (positions, track), or the class's top
rate since the value was last *reported* plus a realistic rate since it changed (speed:
``ACCEL_CATCHUP``; altitude: twice the last reported vertical rate), so that a spike after a
long level or steady leg is still caught.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from skyfence.track import limits as L
from skyfence.track.checks import Check
from skyfence.track.confidence import TAU_S

__all__ = ["NCOLS", "PEN", "SEEN", "walk"]

F8 = npt.NDArray[np.float64]

# state columns
(SEEN, POS_T, LAT, LON, POS_GS, RAW_LAT, RAW_LON, SPD_T, SPD, TRK_T, TRK, ALT_T, ALT,
 ALT_DATUM, C_T, C_LAT, C_LON, C_N, C_START, ANC_T, ANC_LAT, ANC_LON, ANC_GS, PEN,
 PEN_T, VER, POS_SEEN, SPD_SEEN, TRK_SEEN, ALT_SEEN, VR, O_ALT, O_T, O_N, O_T0,
 NCOLS) = range(36)

_SPEED, _ACCEL, _TURN, _JUMP = int(Check.SPEED), int(Check.ACCEL), int(Check.TURN), \
    int(Check.JUMP)
_CLIMB, _BG, _GSM = int(Check.CLIMB), int(Check.BARO_GNSS), int(Check.GS_MISMATCH)
_ORDER, _FUTURE, _DUP = int(Check.TIME_ORDER), int(Check.TIME_FUTURE), int(Check.DUPLICATE)
_NIC, _NACP, _SIL = int(Check.NIC), int(Check.NACP), int(Check.SIL)
_CPR, _OUTLIER = int(Check.CPR), int(Check.ALT_OUTLIER)
_R_EARTH = 6371008.8


@njit(cache=True)
def _dist(lat1: float, lon1: float, lat2: float, lon2: float) -> float:  # pragma: no cover
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(lon2 - lon1) / 2) ** 2
    return 2.0 * _R_EARTH * math.asin(min(1.0, math.sqrt(a)))


@njit(cache=True)
def _held(t: float, changed: float, seen: float) -> float:  # pragma: no cover
    """Time since a value last changed, but a value repeated by the recorder earns at most
    ``STALE_S`` of extra credit (see :data:`~skyfence.track.limits.STALE_S`)."""
    if math.isnan(seen):
        return t - changed
    return min(t - changed, t - seen + L.STALE_S)


@njit(cache=True)
def _angle(a: float, b: float) -> float:  # pragma: no cover
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


@njit(cache=True)
def _accept_main(s: F8, t: float, lat: float, lon: float, gs: float) -> None:  # pragma: no cover
    s[POS_T], s[POS_SEEN], s[LAT], s[LON] = t, t, lat, lon
    if not math.isnan(gs):
        s[POS_GS] = gs


@njit(cache=True)
def _anchor(s: F8, t: float, lat: float, lon: float, gs: float) -> None:  # pragma: no cover
    s[ANC_T], s[ANC_LAT], s[ANC_LON], s[ANC_GS] = t, lat, lon, gs


@njit(cache=True)
def _position(s: F8, t: float, lat: float, lon: float, gs: float, vmax: float
              ) -> int:  # pragma: no cover
    f = 0
    if lat == s[RAW_LAT] and lon == s[RAW_LON]:
        if lat == s[LAT] and lon == s[LON]:
            s[POS_SEEN] = t
        return 0  # forward-filled: nothing new
    s[RAW_LAT], s[RAW_LON] = lat, lon
    held = _held(t, s[POS_T], s[POS_SEEN])
    if math.isnan(s[POS_T]):
        _accept_main(s, t, lat, lon, gs)
        _anchor(s, t, lat, lon, gs)
        return 0
    vref = max(gs, s[POS_GS]) if not math.isnan(gs) else s[POS_GS]
    if math.isnan(vref):
        vref = vmax
    dt = max(held, 0.0)
    d = _dist(s[LAT], s[LON], lat, lon)
    if d - L.SPEED_MARGIN_M > vmax * max(dt, 1.0):
        f |= _SPEED
    if d <= L.JUMP_FACTOR * vref * dt + L.JUMP_MARGIN_M:
        if s[C_N] >= 2 and t - s[C_T] <= L.DUP_WINDOW_S:
            f |= _DUP  # the other transmitter is alive too
        _accept_main(s, t, lat, lon, gs)
        if math.isnan(s[ANC_T]):
            _anchor(s, t, lat, lon, gs)
        elif t - s[ANC_T] >= L.GS_BASELINE_S:
            f |= _baseline(s, t, lat, lon, gs, dt, vmax)
            _anchor(s, t, lat, lon, gs if not math.isnan(gs) else s[POS_GS])
        return f
    # inconsistent with the accepted track: a candidate track
    dtc = t - s[C_T]
    if s[C_N] >= 1 and dtc <= L.PAIR_MAX_S and _dist(s[C_LAT], s[C_LON], lat, lon) <= (
            L.JUMP_FACTOR * vref * max(dtc, 0.0) + L.JUMP_MARGIN_M):
        s[C_N] += 1
        s[C_T], s[C_LAT], s[C_LON] = t, lat, lon
        if s[POS_T] > s[C_START] and t - s[POS_T] <= L.DUP_WINDOW_S:
            return f | _DUP  # both tracks heard, interleaved
        if s[C_N] >= L.SWITCH_N:
            _accept_main(s, t, lat, lon, gs)
            _anchor(s, t, lat, lon, gs)
            s[C_N] = 0.0
        return f | _JUMP
    s[C_N], s[C_T], s[C_LAT], s[C_LON], s[C_START] = 1.0, t, lat, lon, t
    return f | _JUMP


@njit(cache=True)
def _accept_alt(s: F8, t: float, alt: float, datum: float) -> None:  # pragma: no cover
    s[ALT_T], s[ALT_SEEN], s[ALT], s[ALT_DATUM] = t, t, alt, datum
    s[O_ALT] = np.nan


@njit(cache=True)
def _altitude(s: F8, t: float, alt: float, datum: float, vzmax: float, fresh: bool
              ) -> int:  # pragma: no cover
    """Altitude against the accepted one: ``alt_outlier`` for an isolated value off the
    track, ``climb`` once such a step persists or recurs (see :mod:`skyfence.track.limits`,
    ``OUTLIER_N``). ``fresh``: the report brings a new position (a repeated outlier on a
    report that repeats everything is a recorder holding a value, not a persistence)."""
    same_datum = datum == s[ALT_DATUM]
    if alt == s[ALT] and same_datum:
        s[ALT_SEEN] = t  # forward-filled: nothing new
        return 0
    # since the accepted altitude was last reported, at the class's top rate; plus
    # catching up, at twice the last vertical rate, since it changed
    dt = t - s[ALT_SEEN]
    catch = 0.0 if math.isnan(s[VR]) else 2.0 * abs(s[VR]) * (t - s[ALT_T])
    if not (same_datum and dt >= 0.0 and abs(alt - s[ALT]) > (
            vzmax * dt + L.ALT_MARGIN_M + catch)):
        _accept_alt(s, t, alt, datum)
        return 0
    if alt == s[O_ALT] and not s[ALT_SEEN] > s[O_T]:  # the outlier, repeated
        if fresh and t - s[O_T] > L.STALE_S:
            _accept_alt(s, t, alt, datum)
            return _CLIMB
        return _OUTLIER
    if t - s[O_T] <= L.DUP_WINDOW_S and abs(alt - s[O_ALT]) <= (
            vzmax * (t - s[O_T]) + L.ALT_MARGIN_M):
        # a second value at the outlier's level (after it, or again after the track's own):
        # the step is real, or a second source is alive
        _accept_alt(s, t, alt, datum)
        return _CLIMB
    if math.isnan(s[O_T0]) or t - s[O_T0] > L.DUP_WINDOW_S:
        s[O_T0], s[O_N] = t, 0.0
    s[O_N] += 1.0
    s[O_ALT], s[O_T] = alt, t
    return _CLIMB if s[O_N] >= L.OUTLIER_N else _OUTLIER


@njit(cache=True)
def _baseline(s: F8, t: float, lat: float, lon: float, gs: float, step: float, vmax: float
              ) -> int:  # pragma: no cover
    """Checks over the baseline from the anchor; ``step`` is the time since the previous
    accepted position (the update interval, which sets the timestamp jitter)."""
    dt = t - s[ANC_T]
    d = _dist(s[ANC_LAT], s[ANC_LON], lat, lon)
    v = d / dt
    f = 0
    if (d - L.SPEED_MARGIN_M) / dt > vmax:
        f |= _SPEED
    g1 = gs if not math.isnan(gs) else s[POS_GS]
    g0 = s[ANC_GS] if not math.isnan(s[ANC_GS]) else g1
    if math.isnan(g1) or math.isnan(g0):
        return f
    # only too fast: a recorder's stale positions make the derived speed look too slow
    hi = max(g0, g1)
    noise = L.GS_NOISE_M + L.GS_JITTER * hi * min(step, L.STALE_S)
    if v > hi + L.GS_TOL_MPS + L.GS_TOL_FRAC * hi + noise / dt:
        f |= _GSM
    return f


@njit(cache=True)
def walk(
    order: npt.NDArray[np.int64],
    code: npt.NDArray[np.int64], t: F8, lat: F8, lon: F8, alt_b: F8, alt_g: F8, gmb: F8,
    gs: F8, trk: F8, vr: F8, nic: F8, nacp: F8, sil: F8, ver: F8,
    drone: npt.NDArray[np.bool_], cpr: npt.NDArray[np.bool_], now: float, minima: F8,
    weights: F8, mask: int,
    state: npt.NDArray[np.float64], flags: npt.NDArray[np.uint32], conf: F8,
) -> None:  # pragma: no cover - compiled
    """Walk the rows ``order`` lists (grouped by ``code``, arrival order within a code;
    every other array is the whole batch, indexed by row) updating ``state[code]``; write
    ``flags`` (masked) and ``conf`` of those rows. ``minima[v]`` = (NIC, NACp, SIL) for
    version v. Indexing here rather than gathering each column in NumPy first saves a
    dozen array copies per batch."""
    for i in order:
        s = state[code[i]]
        ti = t[i]
        if not math.isnan(s[SEEN]) and ti - s[SEEN] > L.RESET_S:
            s[:] = np.nan
        if drone[i]:
            vmax, amax, alat = L.MAX_SPEED_DRONE, L.MAX_ACCEL_DRONE, L.MAX_LAT_ACCEL_DRONE
            vzmax, vturn = L.MAX_VRATE_DRONE, L.TURN_MIN_SPEED_DRONE
        else:
            vmax, amax, alat = L.MAX_SPEED_AIRCRAFT, L.MAX_ACCEL_AIRCRAFT, \
                L.MAX_LAT_ACCEL_AIRCRAFT
            vzmax, vturn = L.MAX_VRATE_AIRCRAFT, L.TURN_MIN_SPEED_AIRCRAFT
        f = 0
        if not math.isnan(ver[i]):
            s[VER] = ver[i]
        if not math.isnan(now) and ti > now + L.FUTURE_TOL_S:
            f |= _FUTURE
        elif not math.isnan(s[SEEN]) and ti < s[SEEN] - L.ORDER_TOL_S:
            f |= _ORDER
        else:
            s[SEEN] = ti
            g = gs[i]
            if g > vmax:
                f |= _SPEED
            if abs(vr[i]) > vzmax:
                f |= _CLIMB
            elif not math.isnan(vr[i]):
                s[VR] = vr[i]
            # a value equal to the last accepted one is a recorder's forward-fill: it says
            # nothing new, and its time is when it last changed
            if not math.isnan(g) and g == s[SPD]:
                s[SPD_SEEN] = ti
            elif not math.isnan(g):
                # since the accepted speed was last reported, at the class's top rate; plus
                # catching up, at a realistic rate, since it changed (at most STALE_S)
                dt = ti - s[SPD_SEEN]
                catch = L.ACCEL_CATCHUP * min(ti - s[SPD_T], L.STALE_S)
                if dt >= 0.0 and abs(g - s[SPD]) > amax * dt + L.ACCEL_MARGIN_MPS + catch:
                    f |= _ACCEL
                else:
                    s[SPD_T], s[SPD_SEEN], s[SPD] = ti, ti, g
            if not math.isnan(trk[i]) and trk[i] == s[TRK] and g >= vturn:
                s[TRK_SEEN] = ti
            elif not math.isnan(trk[i]) and g >= vturn:
                dt = _held(ti, s[TRK_T], s[TRK_SEEN])
                if dt >= 0.0 and _angle(trk[i], s[TRK]) > math.degrees(
                        alat / g * dt) + L.TRACK_NOISE_DEG:
                    f |= _TURN
                else:
                    s[TRK_T], s[TRK_SEEN], s[TRK] = ti, ti, trk[i]
            elif not math.isnan(trk[i]):
                s[TRK_T] = np.nan  # slow: the track angle starts afresh
            datum = 0.0 if not math.isnan(alt_b[i]) else 1.0
            alt = alt_b[i] if datum == 0.0 else alt_g[i]
            if not math.isnan(alt):
                fresh = not (math.isnan(lat[i]) or (lat[i] == s[RAW_LAT]
                                                    and lon[i] == s[RAW_LON]))
                f |= _altitude(s, ti, alt, datum, vzmax, fresh)
            diff = alt_g[i] - alt_b[i] if not math.isnan(alt_g[i]) else gmb[i]
            if abs(diff) > L.BARO_GNSS_BASE_M + L.BARO_GNSS_FRAC * abs(alt_b[i]):
                f |= _BG
            if not (math.isnan(lat[i]) or math.isnan(lon[i])):
                if cpr[i]:
                    f |= _CPR  # may be a CPR zone off: not a position to track
                else:
                    f |= _position(s, ti, lat[i], lon[i], g, vmax)
        v = 2 if math.isnan(s[VER]) else int(s[VER])
        if v >= 1 and v < minima.shape[0]:
            known = not math.isnan(s[VER])
            if nic[i] < minima[v, 0]:
                f |= _NIC
            if known and nacp[i] < minima[v, 1]:
                f |= _NACP
            if known and sil[i] < minima[v, 2]:
                f |= _SIL
        good_time = not f & (_ORDER | _FUTURE)  # whether selected or not
        f &= mask
        w = 0.0
        for b in range(32):
            if f & (1 << b):
                w += weights[b]
        pen = 0.0 if math.isnan(s[PEN]) else s[PEN]
        if good_time and not math.isnan(s[PEN_T]) and ti > s[PEN_T]:
            pen *= math.exp(-(ti - s[PEN_T]) / TAU_S)
        if good_time and (math.isnan(s[PEN_T]) or ti > s[PEN_T]):
            s[PEN_T] = ti
        s[PEN] = pen + w
        flags[i] = f
        conf[i] = math.exp(-s[PEN])
