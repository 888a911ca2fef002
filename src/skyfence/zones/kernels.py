"""Compiled kernels behind :mod:`skyfence.zones.index`: exact point-in-zone tests.

Polygons are tested by ray casting restricted to the grid: a horizontal ray from the point
goes east through the boundary cells of its row, counting crossings with the edges listed in
each cell, until it reaches a cell whose state is known (inside, or outside because the zone
has no entry there). Crossings use the half-open rule ``(y0 > y) != (y1 > y)`` and are
counted only inside the cell that lists them, so an edge listed in several cells counts once.

A polygon's boundary entry also carries the states of its cell's ``SUB x SUB`` sub-cells
(2 bits each in one ``uint32``, see :func:`skyfence.zones.rasterise.subcell_states`): a
point in a sub-cell that no edge comes near is decided by that state, which is the exact
test's answer at the sub-cell's centre and so at every point of it; only points in
sub-cells an edge crosses are ray cast.

Circles are first tested in a local plane around the centre (scales from the ellipsoid's
radii of curvature, east-west scale corrected to first order in latitude: no trigonometry per
point); only points within a thin band around the radius, wider than that approximation's
error (:func:`circle_band_m`), get the true geodesic distance on WGS84 (Vincenty's inverse
formula, sub-millimetre against pyproj at zone distances).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "circle_band_m",
    "circle_distance_m",
    "circle_distances_m",
    "circle_row",
    "in_circle",
    "lookup_points",
    "subcell_state",
    "zone_contains",
]

WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

INSIDE = np.int8(1)
BOUNDARY = np.int8(2)
# sub-cells per side of a cell, and the 2-bit sub-cell states (SUB_EDGE: to be ray cast)
SUB = 4
SUB_OUT, SUB_IN, SUB_EDGE = 0, 1, 2
SUB_ALL_EDGE = np.uint32(0xAAAAAAAA)  # every sub-cell to be tested (circles)
SUB_ALL_IN = np.uint32(0x55555555)


@njit(cache=True, inline="always")
def subcell_state(word: np.uint32, fx: float, fy: float) -> int:
    """The state in ``word`` (an entry's sub-cell states) of the sub-cell holding the point
    at grid coordinates ``fx``, ``fy`` (in cells from the grid's corner, not negative)."""
    sx = int((fx - int(fx)) * SUB)
    sy = int((fy - int(fy)) * SUB)
    return int((word >> np.uint32(2 * (sy * SUB + sx))) & np.uint32(3))


@njit(cache=True)
def circle_distance_m(lat0: float, lon0: float, lat: float, lon: float) -> float:
    """Geodesic distance in metres on WGS84 by Vincenty's inverse formula (agrees with
    pyproj's geodesic to well under a millimetre for the distances of zones). Falls back to
    a spherical estimate for the nearly antipodal pairs where the iteration does not
    converge, which no zone radius reaches."""
    a = WGS84_A
    f = WGS84_F
    b = a * (1.0 - f)
    big_l = math.radians((lon - lon0 + 540.0) % 360.0 - 180.0)
    u1 = math.atan((1.0 - f) * math.tan(math.radians(lat0)))
    u2 = math.atan((1.0 - f) * math.tan(math.radians(lat)))
    su1, cu1 = math.sin(u1), math.cos(u1)
    su2, cu2 = math.sin(u2), math.cos(u2)
    lam = big_l
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        t1 = cu2 * sl
        t2 = cu1 * su2 - su1 * cu2 * cl
        sin_s = math.sqrt(t1 * t1 + t2 * t2)
        if sin_s == 0.0:
            return 0.0
        cos_s = su1 * su2 + cu1 * cu2 * cl
        sigma = math.atan2(sin_s, cos_s)
        sin_a = cu1 * cu2 * sl / sin_s
        cos2a = 1.0 - sin_a * sin_a
        cos2sm = cos_s - 2.0 * su1 * su2 / cos2a if cos2a != 0.0 else 0.0
        c = f / 16.0 * cos2a * (4.0 + f * (4.0 - 3.0 * cos2a))
        prev = lam
        lam = big_l + (1.0 - c) * f * sin_a * (
            sigma + c * sin_s * (cos2sm + c * cos_s * (-1.0 + 2.0 * cos2sm * cos2sm))
        )
        if abs(lam - prev) < 1e-12:
            u_sq = cos2a * (a * a - b * b) / (b * b)
            big_a = 1.0 + u_sq / 16384.0 * (
                4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq))
            )
            big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)))
            d_sigma = big_b * sin_s * (
                cos2sm + big_b / 4.0 * (
                    cos_s * (-1.0 + 2.0 * cos2sm * cos2sm)
                    - big_b / 6.0 * cos2sm * (-3.0 + 4.0 * sin_s * sin_s)
                    * (-3.0 + 4.0 * cos2sm * cos2sm)
                )
            )
            return b * big_a * (sigma - d_sigma)
    return 6371008.8 * sigma


def circle_band_m(radius_m: float) -> float:
    """Half-width of the band around a circle's radius where the local-plane test is not
    trusted. Measured error of that test against pyproj: 4e-6 relative at 5 km, growing
    about as ``r**2`` (4e-4 at 50 km, 1e-1 at 500 km); the band is set above it."""
    return 0.05 + radius_m * (1e-6 + 6e-13 * radius_m * radius_m)


def circle_row(lat: float, lon: float, radius_m: float) -> npt.NDArray[np.float64]:
    """The circle-table row :func:`in_circle` reads for one circle."""
    p0 = math.radians(lat)
    s = math.sin(p0)
    w = math.sqrt(1.0 - WGS84_E2 * s * s)
    m_rad = WGS84_A * (1.0 - WGS84_E2) / (w * w * w)
    n_rad = WGS84_A / w
    band = circle_band_m(radius_m)
    r_in = max(0.0, radius_m - band)
    r_out = radius_m + band
    return np.array([lat, lon, radius_m, m_rad, n_rad, math.cos(p0), s, r_in**2, r_out**2])


@njit(cache=True, inline="always")
def in_circle(c: npt.NDArray[np.float64], lat: float, lon: float) -> bool:
    """``c`` is one row of the index's circle table:
    ``lat, lon, radius_m, M, N, cos(lat), sin(lat), r_in**2, r_out**2``."""
    dphi = math.radians(lat - c[0])
    y = c[3] * dphi
    if y * y > c[8]:
        return False  # north or south of the circle: no need for the east-west term
    d = lon - c[1]
    if d > 180.0:
        d -= 360.0
    elif d < -180.0:
        d += 360.0
    x = c[4] * (c[5] - 0.5 * c[6] * dphi) * math.radians(d)
    d2 = x * x + y * y
    if d2 <= c[7]:
        return True
    if d2 > c[8]:
        return False
    return bool(circle_distance_m(c[0], c[1], lat, lon) <= c[2])


@njit(cache=True)
def _entry_for(
    cell: int,
    zone: int,
    cell_start: npt.NDArray[np.int64],
    ent_zone: npt.NDArray[np.int32],
) -> int:
    for e in range(cell_start[cell], cell_start[cell + 1]):
        if ent_zone[e] == zone:
            return e
    return -1


@njit(cache=True, inline="always")
def zone_contains(
    z: int,
    lat: float,
    lon: float,
    grid: npt.NDArray[np.float64],
    nx: int,
    ny: int,
    cell_start: npt.NDArray[np.int64],
    ent_zone: npt.NDArray[np.int32],
    ent_state: npt.NDArray[np.int8],
    ent_edge_start: npt.NDArray[np.int64],
    ent_edge_count: npt.NDArray[np.int32],
    edges: npt.NDArray[np.float64],
    circles: npt.NDArray[np.float64],
) -> bool:
    """Is ``(lat, lon)`` horizontally inside zone ``z``?"""
    lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
    fx = (lon - lon0) / dlon
    fy = (lat - lat0) / dlat
    if not (fx >= 0.0 and fy >= 0.0 and fx < nx and fy < ny):
        return False
    ix = int(fx)
    iy = int(fy)
    e = _entry_for(iy * nx + ix, z, cell_start, ent_zone)
    if e < 0:
        return False
    if ent_state[e] == INSIDE:
        return True
    if circles[z, 2] > 0.0:
        return in_circle(circles[z], lat, lon)
    inside = False
    x_lo = lon
    while True:
        x_hi = lon0 + (ix + 1) * dlon
        s = ent_edge_start[e]
        for k in range(s, s + ent_edge_count[e]):
            x0, y0, x1, y1 = edges[k, 0], edges[k, 1], edges[k, 2], edges[k, 3]
            if (y0 > lat) != (y1 > lat):
                xc = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
                if xc > x_lo and xc <= x_hi:
                    inside = not inside
        ix += 1
        if ix >= nx:
            return inside
        x_lo = x_hi
        e = _entry_for(iy * nx + ix, z, cell_start, ent_zone)
        if e < 0:
            return inside
        if ent_state[e] == INSIDE:
            return not inside


@njit(cache=True)
def lookup_points(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    grid: npt.NDArray[np.float64],
    nx: int,
    ny: int,
    cell_start: npt.NDArray[np.int64],
    ent_zone: npt.NDArray[np.int32],
    ent_state: npt.NDArray[np.int8],
    ent_edge_start: npt.NDArray[np.int64],
    ent_edge_count: npt.NDArray[np.int32],
    edges: npt.NDArray[np.float64],
    circles: npt.NDArray[np.float64],
    ent_sub: npt.NDArray[np.uint32],
    out_point: npt.NDArray[np.int64],
    out_zone: npt.NDArray[np.int32],
) -> int:
    """Write every (point, zone) pair with the point inside the zone into ``out_*``; return
    the number of pairs, or ``-1`` if the output arrays were too small. ``ent_sub``: the
    entries' sub-cell states."""
    lon0, lat0, dlon, dlat = grid[0], grid[1], grid[2], grid[3]
    cap = out_point.shape[0]
    k = 0
    for i in range(lat.shape[0]):
        fx = (lon[i] - lon0) / dlon
        fy = (lat[i] - lat0) / dlat
        if not (fx >= 0.0 and fy >= 0.0 and fx < nx and fy < ny):
            continue
        c = int(fy) * nx + int(fx)
        for e in range(cell_start[c], cell_start[c + 1]):
            z = ent_zone[e]
            if ent_state[e] == INSIDE:
                hit = True
            elif circles[z, 2] > 0.0:
                hit = in_circle(circles[z], lat[i], lon[i])
            else:
                sub = subcell_state(ent_sub[e], fx, fy)
                hit = sub == SUB_IN or (sub == SUB_EDGE and zone_contains(
                    z, lat[i], lon[i], grid, nx, ny, cell_start, ent_zone, ent_state,
                    ent_edge_start, ent_edge_count, edges, circles,
                ))
            if hit:
                if k >= cap:
                    return -1
                out_point[k] = i
                out_zone[k] = z
                k += 1
    return k


@njit(cache=True)
def circle_distances_m(
    lat0: float, lon0: float, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """:func:`circle_distance_m` from one centre to many points."""
    out = np.empty(lat.shape[0])
    for i in range(lat.shape[0]):
        out[i] = circle_distance_m(lat0, lon0, lat[i], lon[i])
    return out
