"""Compiled helpers that lay one zone onto the index grid.

A polygon's edges are rasterised conservatively: every cell an edge touches (widened by
``EPS_CELL`` of a cell on each side, so that rounding can never leave out a cell the edge
crosses) becomes a *boundary* cell and lists that edge. The runs of cells between boundary
cells in a row are uniform, so one exact ray-casting test per run decides the whole run.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["classify_runs", "rasterise_edges"]

EPS_CELL = 1e-7


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
