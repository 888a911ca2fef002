"""Incursion episodes: one per stay of a target inside a zone, built from the detector's
transitions and inside reports, batch after batch.

An episode opens at an entry (or a crossing) and closes at the exit; a *lost* target (its
data ends, or stops for longer than the gap, while inside) closes it with no exit time. The
statistics (reports inside, lowest and highest altitude, greatest depth) accumulate across
batches, so episodes spanning batches or input files come out whole.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["FROM_STATE", "N_STATS", "walk"]

I8 = npt.NDArray[np.int64]
F8 = npt.NDArray[np.float64]

FROM_STATE = -1


N_STATS = 7  # n, min_alt, max_alt, max_depth, any_clean, flags (OR), min_confidence


@njit(cache=True, inline="always")
def _reset(st: F8) -> None:
    st[0], st[1], st[2], st[3] = 0.0, np.inf, -np.inf, -np.inf
    st[4], st[5], st[6] = 0.0, 0.0, np.inf


@njit(cache=True, inline="always")
def _integrity(st: F8, clean: float, flags: float, conf: float) -> None:
    st[4] = max(st[4], clean)
    st[5] = float(np.int64(st[5]) | np.int64(flags))
    st[6] = min(st[6], conf)


@njit(cache=True, inline="always")
def _transition_integrity(st: F8, a: int, b: int, r_flags: npt.NDArray[np.uint32], r_conf: F8,
                          checks: int, min_conf: float) -> None:
    ca, cb = r_conf[a], r_conf[b]
    conf = ca if ca <= cb or ca != ca else cb  # as np.minimum: NaN wins
    clean = min(_clean(r_flags[a], ca, checks, min_conf), _clean(r_flags[b], cb, checks, min_conf))
    _integrity(st, clean, float(np.int64(r_flags[a]) | np.int64(r_flags[b])), conf)


@njit(cache=True, inline="always")
def _clean(flags: np.uint32, conf: float, checks: int, min_conf: float) -> float:
    return 1.0 if (np.int64(flags) & checks) == 0 and conf >= min_conf else 0.0


@njit(cache=True)
def walk(
    s_g: I8, s_row: I8, s_depth: F8, t_g: I8, t_t: F8, t_kind: npt.NDArray[np.int8],
    t_a: I8, t_b: I8, r_t: F8, r_alt: F8, r_flags: npt.NDArray[np.uint32], r_conf: F8,
    checks: int, min_conf: float, init_g: I8, init_stats: F8, cap: int,
) -> tuple[I8, F8, int]:
    """Merge the inside samples ``s_*`` (rows ``s_row``) and transitions ``t_*`` (between
    rows ``t_a`` and ``t_b``), each sorted by group and time, transitions also by kind (1
    enter, 2 exit, 3 lost), and follow each group's episodes. Rows have times ``r_t``,
    altitudes ``r_alt``, integrity flags ``r_flags`` and confidences ``r_conf``: a row is
    clean when no flag of ``checks`` is set and its confidence is at least ``min_conf``; a
    transition rests on both of its rows (clean if both are, their flags, the lower
    confidence). ``init_g`` (sorted) are groups open before this batch, with their
    statistics (:data:`N_STATS` columns: n, min_alt, max_alt, max_depth, any clean report,
    integrity flags OR-ed, lowest confidence) in ``init_stats``.

    Returns ``(ints, stats, n_closed)``: one row per episode touched in this batch, closed
    rows first. ``ints[k] = (group, entry, exit)`` where entry is a transition index,
    ``-1`` for an episode carried in, or ``-2 - i`` for one opened by inside sample ``i``
    without a transition (a rounding case); exit is a transition index, or -1 if open.
    ``n_closed`` is -1 when ``cap`` rows were not enough.
    """
    ns, nt = s_g.shape[0], t_g.shape[0]
    ints = np.full((cap, 3), -1, np.int64)
    stats = np.zeros((cap, N_STATS))
    closed = 0
    pending = np.full((cap, 3), -1, np.int64)
    pend_stats = np.zeros((cap, N_STATS))
    n_pend = 0
    i = 0
    j = 0
    g_cur = -1
    is_open = False
    entry = -1
    st = np.zeros(N_STATS)
    while i < ns or j < nt:
        take_sample = j >= nt or (
            i < ns and (s_g[i] < t_g[j] or (s_g[i] == t_g[j] and (
                r_t[s_row[i]] < t_t[j] or (r_t[s_row[i]] == t_t[j] and t_kind[j] >= 2)))))
        g = s_g[i] if take_sample else t_g[j]
        if g != g_cur:
            if is_open:
                pending[n_pend] = (g_cur, entry, -1)
                pend_stats[n_pend] = st
                n_pend += 1
            g_cur = g
            k = np.searchsorted(init_g, g)
            is_open = k < init_g.shape[0] and init_g[k] == g
            entry = FROM_STATE
            if is_open:
                st[:] = init_stats[k]
            if n_pend + closed + 2 >= cap:
                return ints[:0], stats[:0], -1
        if take_sample:
            if not is_open:
                is_open = True
                entry = -2 - i
                _reset(st)
            # the group's samples up to its next transition, in scalars (the statistics
            # array is touched once per run, not once per sample)
            n_in, lo, hi, deep = st[0], st[1], st[2], st[3]
            clean, flags, conf = st[4], st[5], st[6]
            while True:
                r = s_row[i]
                n_in += 1.0
                clean = max(clean, _clean(r_flags[r], r_conf[r], checks, min_conf))
                flags = float(np.int64(flags) | np.int64(float(r_flags[r])))
                conf = min(conf, r_conf[r])
                a = r_alt[r]
                if not np.isnan(a):
                    lo = min(lo, a)
                    hi = max(hi, a)
                if not np.isnan(s_depth[i]):
                    deep = max(deep, s_depth[i])
                i += 1
                # the next sample goes on the run when the merge would take it next
                if i >= ns or s_g[i] != g or not (j >= nt or g < t_g[j] or (
                        g == t_g[j] and (r_t[s_row[i]] < t_t[j] or (
                            r_t[s_row[i]] == t_t[j] and t_kind[j] >= 2)))):
                    break
            st[0], st[1], st[2], st[3] = n_in, lo, hi, deep
            st[4], st[5], st[6] = clean, flags, conf
        else:
            kind = t_kind[j]
            if kind == 1:
                if not is_open:
                    is_open = True
                    entry = j
                    _reset(st)
                    _transition_integrity(st, t_a[j], t_b[j], r_flags, r_conf, checks,
                                          min_conf)
            elif is_open:
                if n_pend + closed + 2 >= cap:
                    return ints[:0], stats[:0], -1
                _transition_integrity(st, t_a[j], t_b[j], r_flags, r_conf, checks, min_conf)
                ints[closed] = (g_cur, entry, j)
                stats[closed] = st
                closed += 1
                is_open = False
            j += 1
    if is_open:
        pending[n_pend] = (g_cur, entry, -1)
        pend_stats[n_pend] = st
        n_pend += 1
    total = closed + n_pend
    ints[closed:total] = pending[:n_pend]
    stats[closed:total] = pend_stats[:n_pend]
    return ints[:total], stats[:total], closed
