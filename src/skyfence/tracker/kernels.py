"""Compiled per-scan kernels: the Kalman algebra of ``kalman`` written as loops over tracks
and plots, so a scan costs a few microseconds instead of a few hundred numpy calls.

Same model and same numbers as ``kalman`` (the tests check one against the other): CV state
``[e, n, u, ve, vn, vu]``, continuous white-noise acceleration, position measurements, 3 x 3
innovation covariances inverted by cofactors, Joseph-form update.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["gate", "manage", "predict_all", "update_pairs", "update_smooth"]

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]


@njit(cache=True)
def predict_all(x: F8, p: F8, dt: F8, q_h: float, q_v: float) -> None:
    """Predict (k, 6) states and (k, 6, 6) covariances in place by (k,) seconds."""
    for i in range(x.shape[0]):
        d = dt[i]
        if d == 0.0:
            continue
        for a in range(3):
            x[i, a] += d * x[i, a + 3]
        pi = p[i]
        for a in range(3):  # F P: row a += d * row a+3
            for c in range(6):
                pi[a, c] += d * pi[a + 3, c]
        for a in range(3):  # (F P) F': column a += d * column a+3
            for r in range(6):
                pi[r, a] += d * pi[r, a + 3]
        for a in range(3):
            q = q_h if a < 2 else q_v
            pi[a, a] += q * d**3 / 3.0
            pi[a, a + 3] += q * d**2 / 2.0
            pi[a + 3, a] += q * d**2 / 2.0
            pi[a + 3, a + 3] += q * d


@njit(cache=True)
def _inv3(s: F8, out: F8) -> float:
    """Inverse of a symmetric positive 3 x 3 into ``out``; returns the determinant."""
    c00 = s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1]
    c01 = s[1, 2] * s[2, 0] - s[1, 0] * s[2, 2]
    c02 = s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]
    det = s[0, 0] * c00 + s[0, 1] * c01 + s[0, 2] * c02
    out[0, 0] = c00 / det
    out[1, 0] = c01 / det
    out[2, 0] = c02 / det
    out[0, 1] = (s[0, 2] * s[2, 1] - s[0, 1] * s[2, 2]) / det
    out[1, 1] = (s[0, 0] * s[2, 2] - s[0, 2] * s[2, 0]) / det
    out[2, 1] = (s[0, 1] * s[2, 0] - s[0, 0] * s[2, 1]) / det
    out[0, 2] = (s[0, 1] * s[1, 2] - s[0, 2] * s[1, 1]) / det
    out[1, 2] = (s[0, 2] * s[1, 0] - s[0, 0] * s[1, 2]) / det
    out[2, 2] = (s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]) / det
    return float(det)


@njit(cache=True)
def gate(x: F8, p: F8, z: F8, r: F8, threshold: float) -> tuple[F8, F8, bool]:
    """(k, m) squared Mahalanobis distances and assignment costs (``d2 + ln det S``) of
    plots to predicted tracks, and whether any track or plot gates more than one partner
    (only then is an assignment problem left to solve)."""
    k, m = x.shape[0], z.shape[0]
    d2 = np.empty((k, m))
    cost = np.empty((k, m))
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    nu = np.empty(3)
    per_plot = np.zeros(m, np.int64)
    conflict = False
    for i in range(k):
        n_in = 0
        for j in range(m):
            for a in range(3):
                nu[a] = z[j, a] - x[i, a]
                for b in range(3):
                    s[a, b] = p[i, a, b] + r[j, a, b]
            det = _inv3(s, si)
            v = 0.0
            for a in range(3):
                for b in range(3):
                    v += nu[a] * si[a, b] * nu[b]
            d2[i, j] = v
            cost[i, j] = v + math.log(det)
            if v <= threshold:
                n_in += 1
                per_plot[j] += 1
        if n_in > 1:
            conflict = True
    for j in range(m):
        if per_plot[j] > 1:
            conflict = True
    return d2, cost, conflict


@njit(cache=True)
def update_pairs(x: F8, p: F8, rows: I8, z: F8, r: F8, cols: I8) -> None:
    """Kalman update in place of tracks ``rows`` with plots ``cols`` (Joseph form)."""
    _update(x, p, rows, z, r, cols, np.empty(0), np.empty(0), np.empty(0), 0.0, 0.0)


@njit(cache=True)
def update_smooth(x: F8, p: F8, rows: I8, z: F8, r: F8, cols: I8, speed: F8, turn: F8,
                  t_hit: F8, t: float, weight: float) -> None:
    """``update_pairs``, then the smoothed ground speed and turn rate (deg/s since the last
    plot) of the updated tracks, in place; NaN speed means no average yet."""
    _update(x, p, rows, z, r, cols, speed, turn, t_hit, t, weight)


@njit(cache=True)
def _update(x: F8, p: F8, rows: I8, z: F8, r: F8, cols: I8, speed: F8, turn: F8,
            t_hit: F8, t: float, weight: float) -> None:
    smooth = speed.shape[0] > 0
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    gain = np.empty((6, 3))
    nu = np.empty(3)
    ikh = np.empty((6, 6))
    tmp = np.empty((6, 6))
    for n in range(rows.shape[0]):
        i, j = rows[n], cols[n]
        pi = p[i]
        course0 = math.degrees(math.atan2(x[i, 3], x[i, 4]))
        for a in range(3):
            for b in range(3):
                s[a, b] = pi[a, b] + r[j, a, b]
        _inv3(s, si)
        for a in range(6):  # K = P H' S^-1
            for b in range(3):
                v = 0.0
                for c in range(3):
                    v += pi[a, c] * si[c, b]
                gain[a, b] = v
        for b in range(3):
            nu[b] = z[j, b] - x[i, b]
        for a in range(6):
            v = 0.0
            for b in range(3):
                v += gain[a, b] * nu[b]
            x[i, a] += v
        for a in range(6):
            for b in range(6):
                ikh[a, b] = (1.0 if a == b else 0.0) - (gain[a, b] if b < 3 else 0.0)
        for a in range(6):  # tmp = (I - KH) P
            for b in range(6):
                v = 0.0
                for c in range(6):
                    v += ikh[a, c] * pi[c, b]
                tmp[a, b] = v
        for a in range(6):  # P = tmp (I - KH)' + K R K'
            for b in range(6):
                v = 0.0
                for c in range(6):
                    v += tmp[a, c] * ikh[b, c]
                w = 0.0
                for c in range(3):
                    for e in range(3):
                        w += gain[a, c] * r[j, c, e] * gain[b, e]
                pi[a, b] = v + w
        if smooth:
            course1 = math.degrees(math.atan2(x[i, 3], x[i, 4]))
            dturn = abs((course1 - course0 + 180.0) % 360.0 - 180.0) / max(t - t_hit[i], 1e-3)
            v_now = math.hypot(x[i, 3], x[i, 4])
            speed[i] = v_now if math.isnan(speed[i]) else (
                (1 - weight) * speed[i] + weight * v_now)
            turn[i] = (1 - weight) * turn[i] + weight * dturn


@njit(cache=True)
def manage(hit: B1, history: I8, age: I8, misses: I8, hits: I8, confirmed: B1, t_hit: F8,
           t: float, confirm_m: int, confirm_n: int, max_misses: int,
           max_coast_s: float) -> B1:
    """Hit history, M-of-N confirmation, miss counts, in place; returns the tracks to keep.

    Confirmation slides: M hits in any N consecutive scans of a track's life, not only its
    first N. A tentative track goes after N - M + 1 consecutive misses: a window of N scans
    that still holds one of its hits then has room for at most M - 2 new ones, so the old
    hits can no longer count and a new track started on the next plot does as well."""
    keep = np.empty(hit.shape[0], np.bool_)
    mask = (1 << confirm_n) - 1
    for i in range(hit.shape[0]):
        h = 1 if hit[i] else 0
        history[i] = ((history[i] << 1) | h) & mask
        age[i] += 1
        hits[i] += h
        if h:
            misses[i] = 0
            t_hit[i] = t
        else:
            misses[i] += 1
        count = 0
        for b in range(confirm_n):
            count += (history[i] >> b) & 1
        if count >= confirm_m:
            confirmed[i] = True
        if confirmed[i]:
            keep[i] = misses[i] < max_misses and t - t_hit[i] <= max_coast_s
        else:
            keep[i] = misses[i] <= confirm_n - confirm_m
    return keep
