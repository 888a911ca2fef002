"""``ZoneIndex``: the zones of a :class:`ZoneSet` laid on one lon/lat grid, built once per
zone version, so that most reports are decided without an exact geometric test.

Each grid cell lists the zones that touch it, each marked *inside* (the whole cell is in the
zone: decided at once) or *boundary* (an exact test is needed: true distance for circles,
ray casting against the few edges listed in the cell for polygons). A cell with no entry for
a zone is outside it. A polygon's boundary entry also holds the states of its cell's 4 x 4
sub-cells (:func:`skyfence.zones.rasterise.subcell_states`), so a point in a sub-cell the
boundary does not cross is decided without the ray. The grid covers the bounding box of all
zones; its cells are about square on the ground, and their number follows the zones'
complexity: ``16 x (polygon vertices + circles x 64)`` cells, between ``MIN_CELLS`` and
``MAX_CELLS`` (8 million cells: 64 MiB of offsets; fine enough that 10,000 circles of 5 km get cells
smaller than themselves, so most points near them are decided without a distance test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon, Polygon

from skyfence.zones.kernels import circle_distances_m, circle_row, lookup_points, zone_contains
from skyfence.zones.model import Zone, ZoneSet
from skyfence.zones.rasterise import classify_runs, rasterise_edges, subcell_states

__all__ = ["MAX_CELLS", "MIN_CELLS", "ZoneIndex"]

MIN_CELLS = 4_096
MAX_CELLS = 8_000_000
# A circle cell is decided without a distance test only when it is clear of the circle's
# edge by this much: covers the distance formula's error (2e-5 relative) and cell-corner
# sampling on cells far smaller than the circle.
CIRCLE_SAFETY_M = 2.0
CIRCLE_SAFETY_REL = 1e-3

Int64s = npt.NDArray[np.int64]


class KernelArgs(NamedTuple):
    """The index arrays, in the order the compiled kernels take them."""

    grid: npt.NDArray[np.float64]
    nx: int
    ny: int
    cell_start: npt.NDArray[np.int64]
    ent_zone: npt.NDArray[np.int32]
    ent_state: npt.NDArray[np.int8]
    ent_edge_start: npt.NDArray[np.int64]
    ent_edge_count: npt.NDArray[np.int32]
    edges: npt.NDArray[np.float64]
    circles: npt.NDArray[np.float64]


def _polygon_edges(geom: Polygon | MultiPolygon) -> npt.NDArray[np.float64]:
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    rings = [np.asarray(r.coords)[:, :2] for p in parts for r in (p.exterior, *p.interiors)]
    edges = [np.column_stack([r[:-1], r[1:]]) for r in rings if len(r) > 1]
    return np.ascontiguousarray(np.concatenate(edges), dtype=np.float64)


@dataclass(frozen=True)
class _Grid:
    lon0: float
    lat0: float
    dlon: float
    dlat: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], n_cells: int) -> _Grid:
        minx, miny, maxx, maxy = bounds
        pad_x = max(1e-6, (maxx - minx) * 1e-6)
        pad_y = max(1e-6, (maxy - miny) * 1e-6)
        minx, maxx, miny, maxy = minx - pad_x, maxx + pad_x, miny - pad_y, maxy + pad_y
        w, h = maxx - minx, maxy - miny
        k = max(0.2, math.cos(math.radians(0.5 * (miny + maxy))))
        dlat = math.sqrt(w * h * k / n_cells)
        dlon = dlat / k
        nx = max(1, math.ceil(w / dlon))
        ny = max(1, math.ceil(h / dlat))
        return cls(minx, miny, dlon, dlat, nx, ny)

    def span(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        minx, miny, maxx, maxy = bounds
        c0 = max(0, math.floor((minx - self.lon0) / self.dlon))
        c1 = min(self.nx - 1, math.floor((maxx - self.lon0) / self.dlon))
        r0 = max(0, math.floor((miny - self.lat0) / self.dlat))
        r1 = min(self.ny - 1, math.floor((maxy - self.lat0) / self.dlat))
        return c0, c1, r0, r1


class ZoneIndex:
    """The spatial index of one :class:`ZoneSet` version. Build with ``ZoneIndex(zones)``."""

    def __init__(self, zones: ZoneSet, max_cells: int = MAX_CELLS) -> None:
        self.zones = zones
        # tables other stages derive from the zones, built once per index (zone version)
        self.derived: dict[str, object] = {}
        n = len(zones)
        self.circles = np.zeros((max(n, 1), 9))
        for k, z in enumerate(zones):
            if z.circle is not None:
                self.circles[k] = circle_row(z.circle.lat, z.circle.lon, z.circle.radius_m)
        if n == 0:
            self.grid = _Grid(0.0, 0.0, 1.0, 1.0, 1, 1)
        else:
            bounds = np.array([z.geometry.bounds for z in zones])
            total = (
                bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()
            )
            vertices = sum(
                64 if z.circle is not None else len(_polygon_edges(z.geometry)) for z in zones
            )
            self.grid = _Grid.covering(total, int(np.clip(16 * vertices, MIN_CELLS, max_cells)))
        self._build()

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        g = self.grid
        cells: list[Int64s] = []
        zone_ids: list[npt.NDArray[np.int32]] = []
        states: list[npt.NDArray[np.int8]] = []
        edge_blocks: list[npt.NDArray[np.float64]] = []
        edge_counts: list[npt.NDArray[np.int32]] = []
        for k, z in enumerate(self.zones):
            if z.circle is not None:
                c, s = self._circle_cells(z)
                counts = np.zeros(len(c), np.int32)
            else:
                c, s, block, counts = self._polygon_cells(z)
                edge_blocks.append(block)
            cells.append(c)
            states.append(s)
            zone_ids.append(np.full(len(c), k, np.int32))
            edge_counts.append(counts)
        if cells:
            cell = np.concatenate(cells)
            zone = np.concatenate(zone_ids)
            state = np.concatenate(states)
            count = np.concatenate(edge_counts)
        else:
            cell, zone = np.zeros(0, np.int64), np.zeros(0, np.int32)
            state, count = np.zeros(0, np.int8), np.zeros(0, np.int32)
        start = np.zeros(len(count), np.int64)
        start[1:] = np.cumsum(count[:-1], dtype=np.int64)
        order = np.argsort(cell, kind="stable")
        self.ent_zone = np.ascontiguousarray(zone[order])
        self.ent_state = np.ascontiguousarray(state[order])
        self.ent_edge_start = np.ascontiguousarray(start[order])
        self.ent_edge_count = np.ascontiguousarray(count[order])
        per_cell = np.bincount(cell, minlength=g.nx * g.ny)
        self.cell_start = np.zeros(g.nx * g.ny + 1, np.int64)
        np.cumsum(per_cell, out=self.cell_start[1:])
        self.edges = (
            np.ascontiguousarray(np.concatenate(edge_blocks)) if edge_blocks
            else np.zeros((1, 4))
        )
        self.grid_params = np.array([g.lon0, g.lat0, g.dlon, g.dlat])
        self.ent_sub = subcell_states(*self.kernel_args)

    def _circle_cells(self, z: Zone) -> tuple[Int64s, npt.NDArray[np.int8]]:
        assert z.circle is not None
        g = self.grid
        minx, miny, maxx, maxy = z.geometry.bounds
        # chords of the polygon lie inside the true circle: pad by the densify tolerance
        pad = (CIRCLE_SAFETY_M + 20.0) / 111_000.0
        pad_x = pad / max(0.01, math.cos(math.radians(z.circle.lat)))
        c0, c1, r0, r1 = g.span((minx - pad_x, miny - pad, maxx + pad_x, maxy + pad))
        col_grid, row_grid = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
        cols, rows = col_grid.ravel(), row_grid.ravel()
        x0 = (g.lon0 + cols * g.dlon).astype(np.float64)
        y0 = (g.lat0 + rows * g.dlat).astype(np.float64)
        lat_c, lon_c, r = z.circle.lat, z.circle.lon, z.circle.radius_m
        corner = np.max(
            [circle_distances_m(lat_c, lon_c, y0 + dy * g.dlat, x0 + dx * g.dlon)
             for dx in (0, 1) for dy in (0, 1)],
            axis=0,
        )
        # the centre's longitude as seen from each cell (across the antimeridian if nearer)
        lon_seen = lon_c + 360.0 * np.round((x0 + 0.5 * g.dlon - lon_c) / 360.0)
        near = circle_distances_m(
            lat_c, lon_c, np.clip(lat_c, y0, y0 + g.dlat).astype(np.float64),
            np.clip(lon_seen, x0, x0 + g.dlon).astype(np.float64),
        )
        safety = CIRCLE_SAFETY_M + CIRCLE_SAFETY_REL * r
        inside = corner < r - safety
        keep = near <= r + safety
        state = np.where(inside, np.int8(1), np.int8(2)).astype(np.int8)
        return (rows * g.nx + cols)[keep].astype(np.int64), state[keep]

    def _polygon_cells(
        self, z: Zone
    ) -> tuple[Int64s, npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.int32]]:
        g = self.grid
        edges = _polygon_edges(z.geometry)
        pc, pe = rasterise_edges(edges, g.lon0, g.lat0, g.dlon, g.dlat, g.nx, g.ny)
        order = np.lexsort((pe, pc))
        pc, pe = pc[order], pe[order]
        bcells, first, counts = np.unique(pc, return_index=True, return_counts=True)
        del first
        c0, c1, r0, r1 = g.span(z.geometry.bounds)
        inside = classify_runs(bcells, edges, g.lon0, g.lat0, g.dlon, g.dlat, g.nx,
                               c0, c1, r0, r1)
        cells = np.concatenate([bcells, inside])
        state = np.concatenate(
            [np.full(len(bcells), 2, np.int8), np.full(len(inside), 1, np.int8)]
        )
        edge_counts = np.concatenate([counts.astype(np.int32), np.zeros(len(inside), np.int32)])
        return cells, state, edges[pe], edge_counts

    # -- queries ----------------------------------------------------------------------------

    @property
    def kernel_args(self) -> KernelArgs:
        """The arrays the compiled kernels take, in their order."""
        g = self.grid
        return KernelArgs(
            self.grid_params, g.nx, g.ny, self.cell_start, self.ent_zone, self.ent_state,
            self.ent_edge_start, self.ent_edge_count, self.edges, self.circles,
        )

    def lookup(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        """All ``(point, zone)`` pairs with the point horizontally inside the zone, ordered
        by point. NaN positions are inside nothing."""
        la = np.ascontiguousarray(lat, dtype=np.float64)
        lo = np.ascontiguousarray(lon, dtype=np.float64)
        cap = max(16, la.shape[0] + la.shape[0] // 2)
        while True:
            out_p = np.empty(cap, np.int64)
            out_z = np.empty(cap, np.int32)
            k = lookup_points(la, lo, *self.kernel_args, self.ent_sub, out_p, out_z)
            if k >= 0:
                return out_p[:k], out_z[:k]
            cap *= 4

    def contains(self, zone: int, lat: float, lon: float) -> bool:
        """Is one point horizontally inside zone number ``zone``?"""
        return bool(zone_contains(zone, lat, lon, *self.kernel_args))

    def stats(self) -> dict[str, float]:
        """Grid size and how the cells split between inside and boundary entries."""
        return {
            "cells": float(self.grid.nx * self.grid.ny),
            "cell_deg_lat": self.grid.dlat,
            "entries": float(len(self.ent_zone)),
            "boundary_entries": float(np.count_nonzero(self.ent_state == 2)),
            "edges": float(len(self.edges)),
        }
