"""Compiled segment kernel: where along the segment between two reports a target's 3-D,
time-aware membership of a zone changes.

For one segment and one zone the membership can only change at a *breakpoint*: where the
segment crosses the zone's horizontal boundary (edges listed in the grid cells the segment
touches, or the circle), where its interpolated altitude crosses the floor or ceiling, or
where the zone's schedule switches. Between breakpoints it is constant, so it is evaluated
exactly once per piece, at the piece's midpoint, with the same point-in-zone test as single
reports. Position, altitude and time are interpolated linearly along the segment
(longitude/latitude straight, like the zones' own edges).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from skyfence.zones.kernels import zone_contains

__all__ = ["active", "in_band", "out_of_band", "segment_events", "segment_events_looked_up"]

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]
I4 = npt.NDArray[np.int32]
B1 = npt.NDArray[np.bool_]

ENTER = np.int8(1)
EXIT = np.int8(2)
MAX_BREAKS = 512


@njit(cache=True, inline="always")
def in_band(
    z: int, alt_p: float, alt_g: float, ground: bool, vert: F8
) -> bool:
    """Vertical test. ``vert[z]`` = floor_m, floor_is_pressure, floor_is_sfc, ceiling_m,
    ceiling_is_pressure. Unknown altitude is inside the band (it cannot be ruled out), except
    on the ground, which is inside only when the floor is the surface."""
    floor, floor_p, floor_sfc = vert[z, 0], vert[z, 1], vert[z, 2]
    ceil, ceil_p = vert[z, 3], vert[z, 4]
    if ground and math.isnan(alt_p) and math.isnan(alt_g):
        return bool(floor_sfc > 0.0)
    af = alt_p if floor_p > 0.0 else alt_g
    ac = alt_p if ceil_p > 0.0 else alt_g
    if not math.isnan(af) and af < floor:
        return False
    return math.isnan(ac) or ac <= ceil


@njit(cache=True, inline="always")
def active(z: int, t: float, sched: npt.NDArray[np.int64], sched_iv: F8) -> bool:
    """Schedule test: ``sched[z, 0] == -1`` means always active, else the zone's merged
    active intervals are ``sched_iv[sched[z, 0]:sched[z, 1]]``."""
    lo = sched[z, 0]
    if lo < 0:
        return True
    for k in range(lo, sched[z, 1]):  # noqa: SIM110 - numba compiles no generators
        if sched_iv[k, 0] <= t < sched_iv[k, 1]:
            return True
    return False


@njit(cache=True)
def _interp(v0: float, v1: float, s: float) -> float:
    if math.isnan(v0):
        return v1
    if math.isnan(v1):
        return v0
    return v0 + s * (v1 - v0)


@njit(cache=True)
def segment_events(
    seg_a: I8, seg_b: I8,
    t: F8, lat: F8, lon: F8, alt_p: F8, alt_g: F8, ground: B1,
    grid: F8, nx: int, ny: int, cell_start: I8, ent_zone: I4,
    ent_state: npt.NDArray[np.int8], ent_edge_start: I8, ent_edge_count: I4,
    edges: F8, circles: F8,
    vert: F8, sched: I8, sched_iv: F8,
    out_seg: I8, out_zone: I4, out_s: F8, out_kind: npt.NDArray[np.int8],
) -> int:
    """For every segment ``seg_a[k] -> seg_b[k]`` (row indices) and every zone whose cells
    it touches, write membership changes as ``(k, zone, s in [0, 1], ENTER|EXIT)``. Returns
    the count, or -1 when the output arrays are too small."""
    none = np.zeros(0, np.int32)
    return segment_events_looked_up(
        seg_a, seg_b, none, none, none, np.zeros(0, np.int64), t, lat, lon, alt_p, alt_g,
        ground, grid, nx, ny, cell_start, ent_zone, ent_state, ent_edge_start,
        ent_edge_count, edges, circles, vert, sched, sched_iv, out_seg, out_zone, out_s,
        out_kind)


@njit(cache=True)
def segment_events_looked_up(
    seg_a: I8, seg_b: I8, cell_x: I4, cell_y: I4, pair_zone: I4, pair_start: I8,
    t: F8, lat: F8, lon: F8, alt_p: F8, alt_g: F8, ground: B1,
    grid: F8, nx: int, ny: int, cell_start: I8, ent_zone: I4,
    ent_state: npt.NDArray[np.int8], ent_edge_start: I8, ent_edge_count: I4,
    edges: F8, circles: F8,
    vert: F8, sched: I8, sched_iv: F8,
    out_seg: I8, out_zone: I4, out_s: F8, out_kind: npt.NDArray[np.int8],
) -> int:
    """:func:`segment_events` for reports already looked up: ``cell_x[r]``, ``cell_y[r]``
    are row ``r``'s grid column and row (-1 outside the grid), and
    ``pair_zone[pair_start[r]:pair_start[r + 1]]`` the zones it is horizontally inside
    (:func:`skyfence.detect.rowpass.rows_in_zones`). Empty arrays: not looked up."""
    lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
    known = cell_x.shape[0] > 0
    seen = np.full(vert.shape[0], -1, np.int64)
    breaks = np.empty(MAX_BREAKS)
    cap = out_seg.shape[0]
    n_out = 0
    for k in range(seg_a.shape[0]):
        a, b = seg_a[k], seg_b[k]
        xa, ya, xb, yb = lon[a], lat[a], lon[b], lat[b]
        if abs(xb - xa) > 180.0:
            continue  # across the antimeridian: endpoints only (see module docs)
        pa, ga, pb, gb = alt_p[a], alt_g[a], alt_p[b], alt_g[b]
        gra, grb = ground[a], ground[b]
        if known and cell_x[a] >= 0 and cell_x[b] >= 0:
            c0, c1 = min(cell_x[a], cell_x[b]), max(cell_x[a], cell_x[b])
            r0, r1 = min(cell_y[a], cell_y[b]), max(cell_y[a], cell_y[b])
        else:
            c0 = max(0, math.floor((min(xa, xb) - lon0) / dlon))
            c1 = min(nx - 1, math.floor((max(xa, xb) - lon0) / dlon))
            r0 = max(0, math.floor((min(ya, yb) - lat0) / dlat))
            r1 = min(ny - 1, math.floor((max(ya, yb) - lat0) / dlat))
        # a zone that horizontally covers the whole segment (its cell is wholly inside, or
        # both ends are well inside its circle) changes membership only with altitude or
        # schedule, which is cheap to rule out; a circle the segment stays clear of, skipped
        single = r0 == r1 and c0 == c1
        if single:
            # the common case first: every zone of the one cell either covers it with no
            # schedule and both ends in the band, or is above or below both ends
            cell = r0 * nx + c0
            quiet = True
            for e in range(cell_start[cell], cell_start[cell + 1]):
                z = ent_zone[e]
                if not ((ent_state[e] == 1 and sched[z, 0] < 0 and in_band(
                        z, pa, ga, gra, vert) and in_band(z, pb, gb, grb, vert))
                        or out_of_band(z, pa, ga, pb, gb, vert)):
                    quiet = False
                    break
            if quiet:
                continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cell = r * nx + c
                for e in range(cell_start[cell], cell_start[cell + 1]):
                    z = ent_zone[e]
                    if not single:  # a zone has one entry per cell: seen only once
                        if seen[z] == k:
                            continue
                        seen[z] = k
                    if out_of_band(z, pa, ga, pb, gb, vert):
                        continue
                    is_circle = circles[z, 2] > 0.0
                    if is_circle and _clear_of_circle(circles[z], ya, xa, yb, xb):
                        continue
                    band_a = in_band(z, pa, ga, gra, vert)
                    band_b = in_band(z, pb, gb, grb, vert)
                    steady = sched[z, 0] < 0 and band_a and band_b
                    covered = ent_state[e] == 1 and (single or _all_inside(
                        z, r0, r1, c0, c1, nx, cell_start, ent_zone, ent_state))
                    if is_circle and not covered:
                        covered = _within_circle(circles[z], ya, xa, yb, xb)
                    if covered and steady:
                        # in the band at both ends: the band is convex and the altitudes
                        # are interpolated linearly, so inside all along
                        continue
                    if covered and _level_breaks(
                        z, a, b, t, alt_p, alt_g, vert, sched, sched_iv, breaks, 0
                    ) == 0:
                        m0 = active(z, t[a], sched, sched_iv) and band_a
                        m1 = active(z, t[b], sched, sched_iv) and band_b
                        if m0 == m1:
                            continue
                    nb = _boundary_breaks(
                        z, xa, ya, xb - xa, yb - ya, r0, r1, c0, c1, nx, cell_start,
                        ent_zone, ent_state, ent_edge_start, ent_edge_count, edges, circles,
                        breaks)
                    h0 = _listed(z, a, pair_zone, pair_start)
                    h1 = _listed(z, b, pair_zone, pair_start)
                    if nb == 0 and h0 == 0 and h1 == 0:
                        continue  # horizontally outside from end to end
                    nb = _level_breaks(z, a, b, t, alt_p, alt_g, vert, sched, sched_iv,
                                       breaks, nb)
                    if nb == 0 and h0 >= 0 and h1 >= 0 and (
                            h0 == 1 and band_a and active(z, t[a], sched, sched_iv)) == (
                            h1 == 1 and band_b and active(z, t[b], sched, sched_iv)):
                        continue  # nothing changes along it, and the ends agree
                    n_out = _emit(
                        z, k, a, b, nb, breaks, h0, h1, t, lat, lon, alt_p, alt_g, ground,
                        grid, nx, ny, cell_start, ent_zone, ent_state, ent_edge_start,
                        ent_edge_count, edges, circles, vert, sched, sched_iv, out_seg,
                        out_zone, out_s, out_kind, n_out, cap,
                    )
                    if n_out < 0:
                        return -1
    return n_out


@njit(cache=True, inline="always")
def _listed(z: int, r: int, pair_zone: npt.NDArray[np.int32], pair_start: I8) -> int:
    """1 when zone ``z`` is among row ``r``'s zones, 0 when not, -1 when not known."""
    if pair_start.shape[0] == 0:
        return -1
    for j in range(pair_start[r], pair_start[r + 1]):
        if pair_zone[j] == z:
            return 1
    return 0


@njit(cache=True, inline="always")
def out_of_band(z: int, alt_p_a: float, alt_g_a: float, alt_p_b: float, alt_g_b: float,
                vert: F8) -> bool:
    """True when both ends (altitudes ``alt_p``, ``alt_g`` at ``a`` and ``b``) are above the
    ceiling, or both below the floor, with known altitudes: the interpolated altitude then
    stays there, so the target is outside the zone along the whole segment whatever its
    position or the schedule (most segments near a zone pass over or under it). Scalars,
    not the altitude arrays: an array handed to an inlined helper costs reference counting
    on every call, which in this per-segment test cost more than the test."""
    ac_a = alt_p_a if vert[z, 4] > 0.0 else alt_g_a
    ac_b = alt_p_b if vert[z, 4] > 0.0 else alt_g_b
    if ac_a > vert[z, 3] and ac_b > vert[z, 3]:
        return True  # NaN compares false: unknown altitude is never ruled out
    af_a = alt_p_a if vert[z, 1] > 0.0 else alt_g_a
    af_b = alt_p_b if vert[z, 1] > 0.0 else alt_g_b
    return bool(af_a < vert[z, 0] and af_b < vert[z, 0])


@njit(cache=True)
def _all_inside(z: int, r0: int, r1: int, c0: int, c1: int, nx: int, cell_start: I8,
                ent_zone: npt.NDArray[np.int32], ent_state: npt.NDArray[np.int8]) -> bool:
    """Is every cell of the block wholly inside zone ``z``?"""
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            cell = r * nx + c
            found = False
            for e in range(cell_start[cell], cell_start[cell + 1]):
                if ent_zone[e] == z:
                    if ent_state[e] != 1:
                        return False
                    found = True
                    break
            if not found:
                return False
    return True


@njit(cache=True, inline="always")
def _clear_of_circle(cr: F8, ya: float, xa: float, yb: float, xb: float) -> bool:
    """True when the whole segment stays well outside the circle, so that neither end nor
    anything between is inside: its closest approach in the local plane exceeds the radius
    by 1 % + 10 m (far more than the plane's error at zone distances)."""
    ea = cr[4] * cr[5] * math.radians((xa - cr[1] + 540.0) % 360.0 - 180.0)
    na = cr[3] * math.radians(ya - cr[0])
    de = cr[4] * cr[5] * math.radians(xb - xa)
    dn = cr[3] * math.radians(yb - ya)
    qa = de * de + dn * dn
    s = 0.0 if qa == 0.0 else min(1.0, max(0.0, -(ea * de + na * dn) / qa))
    ex, nx_ = ea + s * de, na + s * dn
    clear = cr[2] * 1.01 + 10.0
    return bool(ex * ex + nx_ * nx_ > clear * clear)


@njit(cache=True, inline="always")
def _within_circle(cr: F8, ya: float, xa: float, yb: float, xb: float) -> bool:
    """True when both ends (so the whole straight segment) are well inside the circle:
    1 % + 10 m inside the radius in the local plane."""
    inner = cr[2] * 0.99 - 10.0
    if inner <= 0.0:
        return False
    for y, x in ((ya, xa), (yb, xb)):
        e = cr[4] * cr[5] * math.radians((x - cr[1] + 540.0) % 360.0 - 180.0)
        n = cr[3] * math.radians(y - cr[0])
        if e * e + n * n >= inner * inner:
            return False
    return True


@njit(cache=True)
def _member(
    z: int, a: int, b: int, s: float,
    t: F8, lat: F8, lon: F8, alt_p: F8, alt_g: F8, ground: npt.NDArray[np.bool_],
    grid: F8, nx: int, ny: int, cell_start: I8, ent_zone: npt.NDArray[np.int32],
    ent_state: npt.NDArray[np.int8], ent_edge_start: I8, ent_edge_count: npt.NDArray[np.int32],
    edges: F8, circles: F8, vert: F8, sched: I8, sched_iv: F8,
) -> bool:
    if s <= 0.0:
        y, x, ap, ag, gr, tt = lat[a], lon[a], alt_p[a], alt_g[a], ground[a], t[a]
    elif s >= 1.0:
        y, x, ap, ag, gr, tt = lat[b], lon[b], alt_p[b], alt_g[b], ground[b], t[b]
    else:
        y = lat[a] + s * (lat[b] - lat[a])
        x = lon[a] + s * (lon[b] - lon[a])
        ap = _interp(alt_p[a], alt_p[b], s)
        ag = _interp(alt_g[a], alt_g[b], s)
        gr = ground[a] and ground[b]
        tt = t[a] + s * (t[b] - t[a])
    if not active(z, tt, sched, sched_iv):
        return False
    if not in_band(z, ap, ag, gr, vert):
        return False
    return zone_contains(z, y, x, grid, nx, ny, cell_start, ent_zone, ent_state,
                         ent_edge_start, ent_edge_count, edges, circles)


@njit(cache=True, inline="always")
def _end_member(
    z: int, r: int, h: int,
    t: F8, lat: F8, lon: F8, alt_p: F8, alt_g: F8, ground: npt.NDArray[np.bool_],
    grid: F8, nx: int, ny: int, cell_start: I8, ent_zone: npt.NDArray[np.int32],
    ent_state: npt.NDArray[np.int8], ent_edge_start: I8, ent_edge_count: npt.NDArray[np.int32],
    edges: F8, circles: F8, vert: F8, sched: I8, sched_iv: F8,
) -> bool:
    """Membership of report ``r`` in zone ``z``; ``h``: its horizontal membership when
    known (1 or 0), else -1."""
    if h >= 0:
        return bool(h == 1 and active(z, t[r], sched, sched_iv)
                    and in_band(z, alt_p[r], alt_g[r], ground[r], vert))
    return _member(z, r, r, 0.0, t, lat, lon, alt_p, alt_g, ground, grid, nx, ny,
                   cell_start, ent_zone, ent_state, ent_edge_start, ent_edge_count, edges,
                   circles, vert, sched, sched_iv)


@njit(cache=True, inline="always")
def _boundary_breaks(
    z: int, xa: float, ya: float, dx: float, dy: float, r0: int, r1: int, c0: int, c1: int,
    nx: int, cell_start: I8, ent_zone: npt.NDArray[np.int32], ent_state: npt.NDArray[np.int8],
    ent_edge_start: I8, ent_edge_count: npt.NDArray[np.int32], edges: F8, circles: F8,
    breaks: F8,
) -> int:
    """Where the segment from ``(xa, ya)`` by ``(dx, dy)`` crosses zone ``z``'s horizontal
    boundary (its circle, or its edges listed in the block's cells), into ``breaks``;
    returns the count."""
    nb = 0
    if circles[z, 2] > 0.0:
        cr = circles[z]
        # local plane around the centre (see zones.kernels.in_circle)
        ea = cr[4] * cr[5] * math.radians((xa - cr[1] + 540.0) % 360.0 - 180.0)
        na = cr[3] * math.radians(ya - cr[0])
        de = cr[4] * cr[5] * math.radians(dx)
        dn = cr[3] * math.radians(dy)
        qa = de * de + dn * dn
        qb = 2.0 * (ea * de + na * dn)
        qc = ea * ea + na * na - cr[2] * cr[2]
        disc = qb * qb - 4.0 * qa * qc
        if qa > 0.0 and disc >= 0.0:
            sq = math.sqrt(disc)
            for s in ((-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa)):
                if 0.0 < s < 1.0 and nb < MAX_BREAKS:
                    breaks[nb] = s
                    nb += 1
    else:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cell = r * nx + c
                for e in range(cell_start[cell], cell_start[cell + 1]):
                    if ent_zone[e] != z or ent_state[e] != 2:
                        continue
                    s0 = ent_edge_start[e]
                    for j in range(s0, s0 + ent_edge_count[e]):
                        ex, ey = edges[j, 0], edges[j, 1]
                        fx, fy = edges[j, 2] - ex, edges[j, 3] - ey
                        den = dx * fy - dy * fx
                        if den == 0.0:
                            continue
                        s = ((ex - xa) * fy - (ey - ya) * fx) / den
                        u = ((ex - xa) * dy - (ey - ya) * dx) / den
                        if 0.0 < s < 1.0 and 0.0 <= u <= 1.0 and nb < MAX_BREAKS:
                            breaks[nb] = s
                            nb += 1
    return nb


@njit(cache=True, inline="always")
def _level_breaks(
    z: int, a: int, b: int, t: F8, alt_p: F8, alt_g: F8, vert: F8, sched: I8, sched_iv: F8,
    breaks: F8, nb: int,
) -> int:
    """Add the floor, ceiling and schedule breakpoints of the segment to ``breaks[nb:]``;
    return the new count."""
    for col, pcol in ((0, 1), (3, 4)):
        level = vert[z, col]
        if math.isinf(level):
            continue
        src = alt_p if vert[z, pcol] > 0.0 else alt_g
        h0, h1 = src[a], src[b]
        if math.isnan(h0) or math.isnan(h1) or h0 == h1:
            continue
        s = (level - h0) / (h1 - h0)
        if 0.0 < s < 1.0 and nb < MAX_BREAKS:
            breaks[nb] = s
            nb += 1
    if sched[z, 0] >= 0 and t[b] > t[a]:
        for q in range(sched[z, 0], sched[z, 1]):
            for edge_t in (sched_iv[q, 0], sched_iv[q, 1]):
                s = (edge_t - t[a]) / (t[b] - t[a])
                if 0.0 < s < 1.0 and nb < MAX_BREAKS:
                    breaks[nb] = s
                    nb += 1
    return nb


@njit(cache=True)
def _emit(
    z: int, k: int, a: int, b: int, nb: int, breaks: F8, h0: int, h1: int,
    t: F8, lat: F8, lon: F8, alt_p: F8, alt_g: F8, ground: npt.NDArray[np.bool_],
    grid: F8, nx: int, ny: int, cell_start: I8, ent_zone: npt.NDArray[np.int32],
    ent_state: npt.NDArray[np.int8], ent_edge_start: I8, ent_edge_count: npt.NDArray[np.int32],
    edges: F8, circles: F8, vert: F8, sched: I8, sched_iv: F8,
    out_seg: I8, out_zone: npt.NDArray[np.int32], out_s: F8, out_kind: npt.NDArray[np.int8],
    n_out: int, cap: int,
) -> int:
    """Membership changes of segment ``k`` in zone ``z`` from its ``nb`` breakpoints: the
    membership is evaluated at both ends and at the midpoint of every piece between them.
    ``h0``/``h1``: whether the ends are horizontally inside ``z`` (1 or 0), or -1 when
    that is to be tested."""
    prev = _end_member(z, a, h0, t, lat, lon, alt_p, alt_g, ground, grid, nx, ny,
                       cell_start, ent_zone, ent_state, ent_edge_start, ent_edge_count,
                       edges, circles, vert, sched, sched_iv)
    end = _end_member(z, b, h1, t, lat, lon, alt_p, alt_g, ground, grid, nx, ny,
                      cell_start, ent_zone, ent_state, ent_edge_start, ent_edge_count,
                      edges, circles, vert, sched, sched_iv)
    if nb == 0 and prev == end:
        # no boundary, level or schedule change along the segment: only the ends matter
        return n_out
    # a change with no breakpoint inside the segment happens at one of its ends (an
    # altitude exactly on a limit, a position exactly on an edge): the midpoint says which
    bs = np.sort(breaks[:nb])
    last_s = 0.0
    for q in range(nb + 1):
        hi = bs[q] if q < nb else 1.0
        if q < nb and hi - last_s < 1e-12:
            continue
        mid = 0.5 * (last_s + hi)
        m = _member(z, a, b, mid, t, lat, lon, alt_p, alt_g, ground, grid, nx, ny,
                    cell_start, ent_zone, ent_state, ent_edge_start, ent_edge_count, edges,
                    circles, vert, sched, sched_iv)
        if m != prev:
            if n_out >= cap:
                return -1
            out_seg[n_out], out_zone[n_out], out_s[n_out] = k, z, last_s
            out_kind[n_out] = ENTER if m else EXIT
            n_out += 1
            prev = m
        last_s = hi
    if end != prev:
        if n_out >= cap:
            return -1
        out_seg[n_out], out_zone[n_out], out_s[n_out] = k, z, 1.0
        out_kind[n_out] = ENTER if end else EXIT
        n_out += 1
    return n_out
