"""Compiled pass over a batch's rows that finds each report's zones and its part in
membership: the point lookup of :mod:`skyfence.zones.kernels` with, in the same pass, the
3-D and schedule tests of the pairs that matter for the row's role, and what the segment
kernel (:func:`skyfence.detect.kernels.segment_events_looked_up`) reuses: each row's grid
cell and its zones.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from skyfence.detect.kernels import active, in_band
from skyfence.zones.kernels import SUB_EDGE, SUB_IN, in_circle, subcell_state, zone_contains

__all__ = ["LOST_AFTER", "NEW", "START", "rows_in_zones"]

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]
I4 = npt.NDArray[np.int32]

INSIDE = np.int8(1)
# roles of a row for the membership of its report (bits)
NEW, START, LOST_AFTER = np.int8(1), np.int8(2), np.int8(4)


@njit(cache=True)
def rows_in_zones(
    role: npt.NDArray[np.int8], t: F8, lat: F8, lon: F8, alt_p: F8, alt_g: F8,
    ground: npt.NDArray[np.bool_],
    grid: F8, nx: int, ny: int, cell_start: I8, ent_zone: I4,
    ent_state: npt.NDArray[np.int8], ent_edge_start: I8, ent_edge_count: I4,
    edges: F8, circles: F8, ent_sub: npt.NDArray[np.uint32], vert: F8, sched: I8,
    sched_iv: F8, cell_x: I4, cell_y: I4, pair_zone: I4, pair_start: I8,
    in_r: I8, in_z: I4, st_r: I8, st_z: I4, lo_r: I8, lo_z: I4,
) -> tuple[int, int, int, int]:
    """For every row: its grid cell (``cell_x``, ``cell_y``; -1 outside the grid) and the
    zones it is horizontally inside, ``pair_zone[pair_start[r]:pair_start[r + 1]]`` (as
    ``lookup_points`` finds them, in the same order; ``ent_sub``: the index's sub-cell
    states). Of those pairs, the ones also inside in 3-D and active, split by the row's
    ``role`` bits: ``NEW`` into ``in_*``, ``START`` into ``st_*``, ``LOST_AFTER`` into
    ``lo_*``.

    Returns the counts ``(pairs, in, start, lost)``, or all -1 when ``pair_zone`` (whose
    length also bounds the three role lists) is too small."""
    lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
    cap = pair_zone.shape[0]
    n_pair = ni = ns = nl = 0
    for i in range(lat.shape[0]):
        pair_start[i] = n_pair
        y, x = lat[i], lon[i]
        fx = (x - lon0) / dlon
        fy = (y - lat0) / dlat
        if not (fx >= 0.0 and fy >= 0.0 and fx < nx and fy < ny):
            cell_x[i] = cell_y[i] = -1
            continue
        ix, iy = int(fx), int(fy)
        cell_x[i], cell_y[i] = ix, iy
        c = iy * nx + ix
        ro = role[i]
        for e in range(cell_start[c], cell_start[c + 1]):
            z = ent_zone[e]
            if ent_state[e] == INSIDE:
                hit = True
            elif circles[z, 2] > 0.0:
                hit = in_circle(circles[z], y, x)
            else:
                sub = subcell_state(ent_sub[e], fx, fy)
                hit = sub == SUB_IN or (sub == SUB_EDGE and zone_contains(
                    z, y, x, grid, nx, ny, cell_start, ent_zone, ent_state, ent_edge_start,
                    ent_edge_count, edges, circles))
            if not hit:
                continue
            if n_pair >= cap:
                return -1, -1, -1, -1
            pair_zone[n_pair] = z
            n_pair += 1
            # (the schedule tested here only for zones that have one: a call costs)
            if ro == 0 or not ((sched[z, 0] < 0 or active(z, t[i], sched, sched_iv))
                               and in_band(z, alt_p[i], alt_g[i], ground[i], vert)):
                continue
            if ro & NEW:
                in_r[ni], in_z[ni] = i, z
                ni += 1
            if ro & START:
                st_r[ns], st_z[ns] = i, z
                ns += 1
            if ro & LOST_AFTER:
                lo_r[nl], lo_z[nl] = i, z
                nl += 1
    pair_start[lat.shape[0]] = n_pair
    return n_pair, ni, ns, nl
