"""Compiled passes that lay a batch out by track: reports grouped by target (counting sort on
dictionary codes, O(n)), then the links between consecutive reports of a target.

``layout_batch`` puts each target's carried report (the last one of the previous batch) before
its new ones, drops new reports older than the carried one (out of order), and gathers the
rows' times, positions and altitudes in that order in the same pass that converts the new
reports' (a position out of range takes no part; altitudes by datum with their fallbacks).
Each target's new reports usually come in time order (recordings and feeds deliver them so);
the targets whose reports do not are sorted by time, alone.
``links`` walks the laid-out rows once and returns the segments, the entries by first
report, the reports before a gap, and each target's last row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from skyfence.detect.batch import datum_altitudes, position_ok

__all__ = ["gather2", "last_valid", "layout_batch", "links"]

I4 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int64]
F8 = npt.NDArray[np.float64]
B1 = npt.NDArray[np.bool_]


@njit(cache=True)
def layout_batch(
    carried: tuple[F8, F8, F8, F8, F8], c_ground: B1, ids: I4, remap: I4,
    t: F8, lat: F8, lon: F8, baro: F8, geo: F8, ground: B1, n_codes: int,
) -> tuple[I8, I4, npt.NDArray[np.float64], B1, int, float]:
    """Lay out one batch: the carried rows (``t, lat, lon, alt_p, alt_g``, compact: carried
    row ``i`` is target ``i``) and the new reports (``ids``: their index in the batch's
    target dictionary, ``-1`` without an identity; ``remap``: dictionary index -> target
    code; raw ``lat, lon``, barometric and geometric altitude, NaN where missing).

    A new report takes part when it has an identity and a position in range, and is not
    older than its target's carried row (else it is counted out of order). Rows are ordered
    by target code, then time, carried rows first among equal times. Returns ``(order,
    codes, block, on_ground, out_of_order, t_min)``: ``order`` indexes carried rows followed
    by all new reports (``n_carried + i`` is new report ``i``); ``codes[k]`` is row ``k``'s
    target; ``block`` holds the rows' ``t, lat, lon, alt_p, alt_g`` (``alt_p``: barometric,
    else geometric; ``alt_g`` the other way round) and ``on_ground`` their ground flags (of
    ``c_ground`` and ``ground``); ``t_min`` the earliest time of the new reports taking part
    or found out of order (``inf`` when none)."""
    c_t = carried[0]
    nc = c_t.shape[0]
    nn = t.shape[0]
    last_t = np.full(n_codes, -np.inf)
    count = np.zeros(n_codes + 1, np.int64)
    for i in range(nc):
        last_t[i] = c_t[i]
        count[i + 1] += 1
    code_new = np.empty(nn, np.int32)
    stale = 0
    t_min = np.inf
    for i in range(nn):
        d = ids[i]
        if d < 0 or not position_ok(lat[i], lon[i]):
            code_new[i] = -1
            continue
        c = remap[d]
        t_min = min(t_min, t[i])
        if t[i] < last_t[c]:
            code_new[i] = -1
            stale += 1
            continue
        code_new[i] = c
        count[c + 1] += 1
    for c in range(n_codes):
        count[c + 1] += count[c]
    n = count[n_codes]
    order = np.empty(n, np.int64)
    codes = np.empty(n, np.int32)
    for i in range(nc):
        order[count[i]] = i
        codes[count[i]] = i
        count[i] += 1
    for i in range(nn):
        c = code_new[i]
        if c >= 0:
            order[count[c]] = nc + i
            codes[count[c]] = c
            count[c] += 1
    block = np.empty((5, n))
    on_ground = np.empty(n, np.bool_)
    for k in range(n):
        o = order[k]
        if o < nc:
            for f in range(5):
                block[f, k] = carried[f][o]
            on_ground[k] = c_ground[o]
        else:
            j = o - nc
            on_ground[k] = ground[j]
            block[0, k] = t[j]
            block[1, k] = lat[j]
            block[2, k] = lon[j]
            block[3, k], block[4, k] = datum_altitudes(baro[j], geo[j])
    _time_sorted(order, codes, block, on_ground)
    return order, codes, block, on_ground, stale, t_min


@njit(cache=True)
def _time_sorted(order: I8, codes: I4, block: npt.NDArray[np.float64], flag: B1) -> None:
    """Sort, by time and stably, the rows of each target whose rows are not in time order
    (feeds and recordings deliver a target's reports in order: this is rare)."""
    n = order.shape[0]
    lo = 0
    while lo < n:
        hi = lo + 1
        ordered = True
        while hi < n and codes[hi] == codes[lo]:
            if block[0, hi] < block[0, hi - 1]:
                ordered = False
            hi += 1
        if not ordered:
            perm = np.argsort(block[0, lo:hi], kind="mergesort")
            order[lo:hi] = order[lo:hi][perm]
            for f in range(block.shape[0]):
                block[f, lo:hi] = block[f, lo:hi][perm]
            flag[lo:hi] = flag[lo:hi][perm]
        lo = hi


@njit(cache=True)
def links(
    codes: I4, t: F8, is_new: B1, max_gap_s: float, watermark: float
) -> tuple[I8, I8, I8, I8, I8, I8]:
    """Over rows sorted by (target, time): ``(seg_b, starts, gap_prev, latest, expired,
    keep_last)``. ``seg_b``: new rows linked to the previous row of their target (at most
    ``max_gap_s`` after it; the segment is ``seg_b - 1 -> seg_b``); ``starts``: new rows
    that begin a track (first of their target, or first after a gap); ``gap_prev``: rows
    followed by a gap; per target, its last row: in ``latest`` if new, in ``expired`` if
    older than ``watermark`` else in ``keep_last``."""
    n = codes.shape[0]
    seg_b = np.empty(n, np.int64)
    starts = np.empty(n, np.int64)
    gap_prev = np.empty(n, np.int64)
    latest = np.empty(n, np.int64)
    expired = np.empty(n, np.int64)
    keep_last = np.empty(n, np.int64)
    ns = nst = ng = nl = ne = nk = 0
    for i in range(n):
        same = i > 0 and codes[i] == codes[i - 1]
        if is_new[i]:
            if same and t[i] - t[i - 1] <= max_gap_s:
                seg_b[ns] = i
                ns += 1
            else:
                starts[nst] = i
                nst += 1
                if same:
                    gap_prev[ng] = i - 1
                    ng += 1
        if i == n - 1 or codes[i + 1] != codes[i]:
            if is_new[i]:
                latest[nl] = i
                nl += 1
            if t[i] < watermark:
                expired[ne] = i
                ne += 1
            else:
                keep_last[nk] = i
                nk += 1
    return (seg_b[:ns], starts[:nst], gap_prev[:ng], latest[:nl], expired[:ne],
            keep_last[:nk])


@njit(cache=True)
def gather2(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic], order: I8
            ) -> npt.NDArray[np.generic]:
    """``concatenate([a, b])[order]`` without building the concatenation."""
    na = a.shape[0]
    out = np.empty(order.shape[0], a.dtype)
    for i in range(order.shape[0]):
        o = order[i]
        out[i] = a[o] if o < na else b[o - na]
    return out


@njit(cache=True)
def last_valid(bits: npt.NDArray[np.uint8], offset: int, perm: I8, codes: I4, at: I8) -> I8:
    """For each row ``at[i]`` (rows sorted by target, time), the last row at or before it
    of the same target whose value is valid in an Arrow validity bitmap (``bits``, bit
    ``offset + perm[row]``); the row itself when there is none. Walks back from each row:
    a value missing for long is rare, and rows queried are few."""
    out = np.empty(at.shape[0], np.int64)
    for i in range(at.shape[0]):
        r = at[i]
        out[i] = r
        k = r
        while k >= 0 and codes[k] == codes[r]:
            j = offset + perm[k]
            if (bits[j >> 3] >> (j & 7)) & 1:
                out[i] = k
                break
            k -= 1
    return out
