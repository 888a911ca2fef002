"""Compiled passes that lay a batch out by track: reports grouped by target (counting sort on
dictionary codes, O(n)), then the links between consecutive reports of a target.

``layout`` puts each target's carried report (the last one of the previous batch) before its
new ones and drops new reports older than the carried one (out of order). Each target's new
reports usually come in time order (recordings and feeds deliver them so); the targets whose
reports do not are sorted by time, alone.
``links`` walks the laid-out rows once and returns the segments, the entries by first
report, the reports before a gap, and each target's last row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["gather2", "gather_rows", "last_valid", "layout", "links"]

I4 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int64]
F8 = npt.NDArray[np.float64]
B1 = npt.NDArray[np.bool_]


@njit(cache=True)
def layout(codes: I4, t: F8, n_carried: int, n_codes: int) -> tuple[I8, int]:
    """Row order by target code, then time, carried rows first among equal times (carried
    rows are rows ``0 .. n_carried - 1``, one per target at most), without the new rows
    older than their target's carried row. Returns ``(order, out_of_order)``."""
    n = codes.shape[0]
    last_t = np.full(n_codes, -np.inf)
    for i in range(n_carried):
        last_t[codes[i]] = t[i]
    keep = np.ones(n, np.bool_)
    count = np.zeros(n_codes + 1, np.int64)
    stale = 0
    for i in range(n):
        c = codes[i]
        if i >= n_carried and t[i] < last_t[c]:
            keep[i] = False
            stale += 1
        else:
            count[c + 1] += 1
    for c in range(n_codes):
        count[c + 1] += count[c]
    order = np.empty(n - stale, np.int64)
    for i in range(n):
        if keep[i]:
            c = codes[i]
            order[count[c]] = i
            count[c] += 1
    # a target whose new reports are not in time order: sort its rows by time, stably
    # (its carried row stays first among equal times)
    lo = 0
    while lo < order.shape[0]:
        hi = lo + 1
        ordered = True
        while hi < order.shape[0] and codes[order[hi]] == codes[order[lo]]:
            if t[order[hi]] < t[order[hi - 1]]:
                ordered = False
            hi += 1
        if not ordered:
            part = order[lo:hi].copy()
            order[lo:hi] = part[np.argsort(t[part], kind="mergesort")]
        lo = hi
    return order, stale


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
def gather_rows(a: tuple[F8, ...], b: tuple[F8, ...], order: I8, new_idx: I8, filtered: bool
                ) -> tuple[npt.NDArray[np.float64], I8]:
    """Several columns gathered in one pass: for each ``c``,
    ``concatenate([a[c], b[c][new_idx]])[order]`` (all of ``b[c]`` unless ``filtered``),
    as row ``c`` of the result; and ``src``, the row of ``concatenate([a[c], b[c]])`` each
    output row came from (for other columns, through :func:`gather2`)."""
    k = len(a)
    n = order.shape[0]
    na = a[0].shape[0]
    out = np.empty((k, n))
    src = np.empty(n, np.int64)
    for i in range(n):
        o = order[i]
        if o < na:
            src[i] = o
            for c in range(k):
                out[c, i] = a[c][o]
        else:
            j = new_idx[o - na] if filtered else o - na
            src[i] = na + j
            for c in range(k):
                out[c, i] = b[c][j]
    return out, src


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
