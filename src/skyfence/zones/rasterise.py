"""Compiled helpers that lay one zone onto the index grid.

A polygon's edges are rasterised conservatively: every cell an edge touches (widened by
``EPS_CELL`` of a cell on each side, so that rounding can never leave out a cell the edge
crosses) becomes a *boundary* cell and lists that edge. The runs of cells between boundary
cells in a row are uniform, so one exact ray-casting test per run decides the whole run.

Each boundary cell of a polygon is then split into ``SUB x SUB`` sub-cells: one that no
edge listed in the cell meets (the sub-cell widened by ``SUB_MARGIN`` of a cell, far more
than rounding can move a point or an edge) is wholly on one side of the boundary, so the
exact test at its centre holds for every point of it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from skyfence.zones.kernels import SUB, SUB_ALL_EDGE, SUB_ALL_IN, SUB_EDGE, SUB_IN, zone_contains

__all__ = ["classify_runs", "rasterise_edges", "subcell_states"]

EPS_CELL = 1e-7
SUB_MARGIN = 1e-6


@njit(cache=True)
def rasterise_edges(
    edges: npt.NDArray[np.float64],
    lon0: float,
    lat0: float,
    dlon: float,
    dlat: float,
    nx: int,
    ny: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return ``(cell, edge)`` pairs: every grid cell each edge touches."""
    cap = edges.shape[0] * 4 + 16
    out_c = np.empty(cap, np.int64)
    out_e = np.empty(cap, np.int64)
    k = 0
    for j in range(edges.shape[0]):
        x0, y0, x1, y1 = edges[j, 0], edges[j, 1], edges[j, 2], edges[j, 3]
        ylo, yhi = min(y0, y1), max(y0, y1)
        r0 = max(0, math.floor((ylo - lat0) / dlat - EPS_CELL))
        r1 = min(ny - 1, math.floor((yhi - lat0) / dlat + EPS_CELL))
        for r in range(r0, r1 + 1):
            b0 = max(ylo, lat0 + r * dlat)
            b1 = min(yhi, lat0 + (r + 1) * dlat)
            if y1 != y0:
                xa = x0 + (b0 - y0) * (x1 - x0) / (y1 - y0)
                xb = x0 + (b1 - y0) * (x1 - x0) / (y1 - y0)
            else:
                xa, xb = x0, x1
            xlo, xhi = min(xa, xb), max(xa, xb)
            c0 = max(0, math.floor((xlo - lon0) / dlon - EPS_CELL))
            c1 = min(nx - 1, math.floor((xhi - lon0) / dlon + EPS_CELL))
            for c in range(c0, c1 + 1):
                if k >= cap:
                    cap *= 2
                    nc = np.empty(cap, np.int64)
                    ne = np.empty(cap, np.int64)
                    nc[:k] = out_c[:k]
                    ne[:k] = out_e[:k]
                    out_c, out_e = nc, ne
                out_c[k] = r * nx + c
                out_e[k] = j
                k += 1
    return out_c[:k], out_e[:k]


@njit(cache=True)
def _ray_inside(x: float, y: float, edges: npt.NDArray[np.float64]) -> bool:
    inside = False
    for j in range(edges.shape[0]):
        x0, y0, x1, y1 = edges[j, 0], edges[j, 1], edges[j, 2], edges[j, 3]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


@njit(cache=True)
def classify_runs(
    boundary_cells: npt.NDArray[np.int64],
    edges: npt.NDArray[np.float64],
    lon0: float,
    lat0: float,
    dlon: float,
    dlat: float,
    nx: int,
    col0: int,
    col1: int,
    row0: int,
    row1: int,
) -> npt.NDArray[np.int64]:
    """Cells of rows ``row0..row1``, columns ``col0..col1`` that are not boundary cells and
    lie inside the polygon. ``boundary_cells`` must be sorted."""
    out = np.empty(16, np.int64)
    k = 0
    b = 0
    nb = boundary_cells.shape[0]
    for r in range(row0, row1 + 1):
        yc = lat0 + (r + 0.5) * dlat
        c = col0
        while c <= col1:
            cell = r * nx + c
            while b < nb and boundary_cells[b] < cell:
                b += 1
            if b < nb and boundary_cells[b] == cell:
                c += 1
                continue
            # a run of non-boundary cells from c to the next boundary cell (or col1)
            end = col1
            if b < nb and boundary_cells[b] < r * nx + col1 + 1:
                end = boundary_cells[b] - r * nx - 1
            if _ray_inside(lon0 + (c + 0.5) * dlon, yc, edges):
                need = k + end - c + 1
                if need > out.shape[0]:
                    grown = np.empty(max(need, 2 * out.shape[0]), np.int64)
                    grown[:k] = out[:k]
                    out = grown
                for cc in range(c, end + 1):
                    out[k] = r * nx + cc
                    k += 1
            c = end + 1
    return out[:k]


@njit(cache=True, inline="always")
def _meets_box(x0: float, y0: float, x1: float, y1: float, bx0: float, by0: float,
               bx1: float, by1: float) -> bool:
    """Does the segment meet the box? (Separating axes: the box's two and the segment's
    normal; touching counts.)"""
    if max(x0, x1) < bx0 or min(x0, x1) > bx1 or max(y0, y1) < by0 or min(y0, y1) > by1:
        return False
    dx, dy = x1 - x0, y1 - y0
    above = below = False
    for cx, cy in ((bx0, by0), (bx1, by0), (bx0, by1), (bx1, by1)):
        side = dx * (cy - y0) - dy * (cx - x0)
        above = above or side >= 0.0
        below = below or side <= 0.0
    return above and below


@njit(cache=True)
def subcell_states(
    grid: npt.NDArray[np.float64], nx: int, ny: int, cell_start: npt.NDArray[np.int64],
    ent_zone: npt.NDArray[np.int32], ent_state: npt.NDArray[np.int8],
    ent_edge_start: npt.NDArray[np.int64], ent_edge_count: npt.NDArray[np.int32],
    edges: npt.NDArray[np.float64], circles: npt.NDArray[np.float64],
) -> npt.NDArray[np.uint32]:
    """Per entry of a built index, its sub-cell states (2 bits each, sub-cell ``(sx, sy)``
    at bit ``2 * (sy * SUB + sx)``, see :func:`skyfence.zones.kernels.subcell_state`):
    inside entries all inside, circles' boundary entries all to be tested, polygons' as the
    module says."""
    lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
    out = np.empty(ent_zone.shape[0], np.uint32)
    mx, my = SUB_MARGIN * dlon, SUB_MARGIN * dlat
    for cell in range(nx * ny):
        for e in range(cell_start[cell], cell_start[cell + 1]):
            z = ent_zone[e]
            if ent_state[e] != 2 or circles[z, 2] > 0.0:
                out[e] = SUB_ALL_IN if ent_state[e] != 2 else SUB_ALL_EDGE
                continue
            ix, iy = cell % nx, cell // nx
            word = 0
            for sy in range(SUB):
                by0 = lat0 + (iy + sy / SUB) * dlat - my
                by1 = lat0 + (iy + (sy + 1) / SUB) * dlat + my
                for sx in range(SUB):
                    bx0 = lon0 + (ix + sx / SUB) * dlon - mx
                    bx1 = lon0 + (ix + (sx + 1) / SUB) * dlon + mx
                    state = 0
                    first = ent_edge_start[e]
                    for j in range(first, first + ent_edge_count[e]):
                        if _meets_box(edges[j, 0], edges[j, 1], edges[j, 2], edges[j, 3],
                                      bx0, by0, bx1, by1):
                            state = SUB_EDGE
                            break
                    if state == 0 and zone_contains(
                            z, lat0 + (iy + (sy + 0.5) / SUB) * dlat,
                            lon0 + (ix + (sx + 0.5) / SUB) * dlon, grid, nx, ny, cell_start,
                            ent_zone, ent_state, ent_edge_start, ent_edge_count, edges,
                            circles):
                        state = SUB_IN
                    word |= state << (2 * (sy * SUB + sx))
            out[e] = np.uint32(word)
    return out
