"""Distance from points to the nearest of many straight edges in a plane (built once per
zone, queried for many points).

Two grids. The *edge grid* lists each edge in the cells it passes through (found by sampling
it every quarter of a cell; a cell it only clips at a corner may be missed, so searches go
one ring further than the exact bound needs); a search visits the cells around a point ring
by ring until no unseen edge can be nearer. The *candidate grid* (over the edges' bounding
box) lists, per cell, the only edges that can be nearest to a
point in it: with ``D`` the distance from the cell's centre to the nearest edge and ``h``
its half-diagonal, a point of the cell is within ``D + h`` of some edge, so its nearest
edge is within ``D + 2h`` of the centre. Each cell's edges are kept in order of their
distance from its centre, so a query at distance ``r`` from the centre stops at the first
edge farther than its best distance plus ``r`` (a rounding margin added): no later edge can
be nearer. Points outside the box use the ring search.

The point-to-segment distance is the formula GEOS uses (``Distance::pointToSegment``), so
results match shapely's ``distance``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["EdgeGrid"]

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]

CELLS_PER_EDGE = 2  # grid cells per edge: few edges per cell, few empty rings to search
MAX_CELLS = 1 << 20
# candidate grid: 32 x 32 cells. Finer grids list fewer candidates per cell but cost two
# ring searches per cell to build: on the FIRs, 64 x 64 takes ~30 ms a zone and 32 x 32 ~8,
# with queries (a few dozen edges each) under a microsecond either way
QUERY_SIDE = 32


class EdgeGrid:
    """The edges ``(x0, y0, x1, y1)`` (metres) laid on a grid."""

    def __init__(self, edges: F8) -> None:
        self.edges = np.ascontiguousarray(edges, dtype=np.float64)
        xs = np.r_[self.edges[:, 0], self.edges[:, 2]]
        ys = np.r_[self.edges[:, 1], self.edges[:, 3]]
        x0, y0 = float(xs.min()), float(ys.min())
        w = max(float(xs.max()) - x0, 1.0)
        h = max(float(ys.max()) - y0, 1.0)
        n_cells = min(MAX_CELLS, max(16, CELLS_PER_EDGE * len(self.edges)))
        cell = max(math.sqrt(w * h / n_cells), 1.0)
        nx, ny = int(w // cell) + 1, int(h // cell) + 1
        self.params = np.array([x0, y0, cell])
        self.nx, self.ny = nx, ny
        cells, edge_of = _edge_cells(self.edges, x0, y0, cell, nx, ny)
        key = np.unique(cells * len(self.edges) + edge_of)
        cells, edge_of = key // len(self.edges), key % len(self.edges)
        self.cell_start = np.zeros(nx * ny + 1, np.int64)
        np.cumsum(np.bincount(cells, minlength=nx * ny), out=self.cell_start[1:])
        self.cell_edges = np.ascontiguousarray(edge_of, dtype=np.int64)

        self.side = QUERY_SIDE
        self.q_params = np.array([x0, y0, w / self.side, h / self.side])
        self.q_start, self.q_edges, self.q_dist = _candidates(
            self.edges, self.params, nx, ny, self.cell_start, self.cell_edges, self.q_params,
            self.side)

    def distance(self, x: F8, y: F8) -> F8:
        """Distance from each point to the nearest edge."""
        return _query(np.ascontiguousarray(x, dtype=np.float64),
                      np.ascontiguousarray(y, dtype=np.float64), self.edges, self.params,
                      self.nx, self.ny, self.cell_start, self.cell_edges, self.q_params,
                      self.side, self.q_start, self.q_edges, self.q_dist)


@njit(cache=True)
def _edge_cells(edges: F8, x0: float, y0: float, cell: float, nx: int, ny: int
                ) -> tuple[I8, I8]:
    total = 0
    for j in range(edges.shape[0]):
        ln = math.hypot(edges[j, 2] - edges[j, 0], edges[j, 3] - edges[j, 1])
        total += int(ln / (0.25 * cell)) + 2
    cells = np.empty(total, np.int64)
    owner = np.empty(total, np.int64)
    k = 0
    for j in range(edges.shape[0]):
        ax, ay, bx, by = edges[j, 0], edges[j, 1], edges[j, 2], edges[j, 3]
        steps = int(math.hypot(bx - ax, by - ay) / (0.25 * cell)) + 1
        for q in range(steps + 1):
            f = q / steps
            cx = min(nx - 1, max(0, int((ax + f * (bx - ax) - x0) / cell)))
            cy = min(ny - 1, max(0, int((ay + f * (by - ay) - y0) / cell)))
            cells[k] = cy * nx + cx
            owner[k] = j
            k += 1
    return cells[:k], owner[:k]


@njit(cache=True, inline="always")
def _point_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float
                   ) -> float:
    if ax == bx and ay == by:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return math.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@njit(cache=True)
def _ring_search(px: float, py: float, edges: F8, params: F8, nx: int, ny: int,
                 cell_start: I8, cell_edges: I8, within: float, found: I8, found_d: F8
                 ) -> tuple[float, int]:
    """Nearest distance from ``(px, py)``; with ``within >= 0``, also the edges within
    that distance and their distances, written to ``found`` and ``found_d`` (their count
    returned, -1 when too many)."""
    x0, y0, cell = params[0], params[1], params[2]
    ci = min(nx - 1, max(0, math.floor((px - x0) / cell)))
    cj = min(ny - 1, max(0, math.floor((py - y0) / cell)))
    best = np.inf
    n_found = 0
    k = 0
    while True:
        for cy in range(max(0, cj - k), min(ny - 1, cj + k) + 1):
            step = 1 if cy == cj - k or cy == cj + k else 2 * k
            cx = ci - k
            while cx <= ci + k:
                if 0 <= cx < nx:
                    c = cy * nx + cx
                    for e in range(cell_start[c], cell_start[c + 1]):
                        j = cell_edges[e]
                        d = _point_segment(px, py, edges[j, 0], edges[j, 1], edges[j, 2],
                                           edges[j, 3])
                        best = min(best, d)
                        if d <= within:
                            if n_found >= found.shape[0]:
                                return best, -1
                            found[n_found] = j
                            found_d[n_found] = d
                            n_found += 1
                cx += step
        # unseen edges lie beyond ring k: at least (k - 1) cells away, one ring of margin
        # for corners the sampling missed
        if max(best, within) <= (k - 1) * cell or (k > nx and k > ny):
            break
        k += 1
    return best, n_found


@njit(cache=True)
def _candidates(edges: F8, params: F8, nx: int, ny: int, cell_start: I8, cell_edges: I8,
                q: F8, side: int) -> tuple[I8, I8, F8]:
    """Per candidate-grid cell, the edges within ``D + 2h`` of its centre (deduplicated)
    and their distances from it, nearest first."""
    half_diag = 0.5 * math.hypot(q[2], q[3])
    starts = np.zeros(side * side + 1, np.int64)
    out = np.empty(1024, np.int64)
    out_d = np.empty(1024)
    found = np.empty(cell_edges.shape[0] + 16, np.int64)  # never too small
    found_d = np.empty(found.shape[0])
    mark = np.full(edges.shape[0], -1, np.int64)
    n = 0
    for cy in range(side):
        for cx in range(side):
            c = cy * side + cx
            qx = q[0] + (cx + 0.5) * q[2]
            qy = q[1] + (cy + 0.5) * q[3]
            d, _ = _ring_search(qx, qy, edges, params, nx, ny, cell_start, cell_edges, -1.0,
                                found, found_d)
            bound = (d + 2.0 * half_diag) * (1.0 + 1e-9) + 1e-6  # rounding margin
            _, m = _ring_search(qx, qy, edges, params, nx, ny, cell_start, cell_edges, bound,
                                found, found_d)
            for i in np.argsort(found_d[:m], kind="mergesort"):
                j = found[i]
                if mark[j] == c:
                    continue
                mark[j] = c
                if n >= out.shape[0]:
                    out = np.concatenate((out, np.empty(out.shape[0], np.int64)))
                    out_d = np.concatenate((out_d, np.empty(out_d.shape[0])))
                out[n] = j
                out_d[n] = found_d[i]
                n += 1
            starts[c + 1] = n
    return starts, out[:n], out_d[:n]


@njit(cache=True)
def _query(x: F8, y: F8, edges: F8, params: F8, nx: int, ny: int, cell_start: I8,
           cell_edges: I8, q: F8, side: int, q_start: I8, q_edges: I8, q_dist: F8) -> F8:
    out = np.empty(x.shape[0])
    none = np.empty(0, np.int64)
    none_d = np.empty(0)
    for i in range(x.shape[0]):
        px, py = x[i], y[i]
        fx, fy = (px - q[0]) / q[2], (py - q[1]) / q[3]
        if not (0.0 <= fx < side and 0.0 <= fy < side):
            out[i], _ = _ring_search(px, py, edges, params, nx, ny, cell_start, cell_edges,
                                     -1.0, none, none_d)
            continue
        cx, cy = int(fx), int(fy)
        c = cy * side + cx
        # an edge e is at least dist(centre, e) - r from the point
        r = math.hypot(px - (q[0] + (cx + 0.5) * q[2]), py - (q[1] + (cy + 0.5) * q[3]))
        r = r * (1.0 + 1e-9) + 1e-6
        best = np.inf
        for e in range(q_start[c], q_start[c + 1]):
            if q_dist[e] > best + r:
                break
            j = q_edges[e]
            best = min(best, _point_segment(px, py, edges[j, 0], edges[j, 1], edges[j, 2],
                                            edges[j, 3]))
        out[i] = best
    return out
