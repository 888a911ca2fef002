"""Zone geometry: polygons, geodesic circles and corridors, in longitude/latitude degrees.

Edges between two given vertices are straight in longitude/latitude, as in GeoJSON
(RFC 7946 section 3.1.1) and OpenAir ``DP`` polygons. Curves (circles, arcs, corridor ends)
are densified:

``DENSIFY_TOLERANCE_M = 10.0``: a curve is replaced by vertices placed *exactly* on it by
pyproj's geodesic on WGS84, with enough vertices that the chord between two of them
departs from the true curve by at most 10 m. The detector does not rely on this polygon for
circles: it tests the true geodesic distance to the centre, so a 5 km circle is exact.

Antimeridian: a ring is first unwrapped so consecutive longitudes never jump by more than
180 degrees; a shape that then reaches past +-180 is split into a MultiPolygon of pieces
inside [-180, 180].
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

__all__ = [
    "DENSIFY_TOLERANCE_M",
    "GEOD",
    "arc_points",
    "circle_polygon",
    "corridor_polygon",
    "geodesic_area_km2",
    "n_vertices_for",
    "normalise",
    "validity_problem",
]

DENSIFY_TOLERANCE_M = 10.0
GEOD = Geod(ellps="WGS84")

Polygonal = Polygon | MultiPolygon


def n_vertices_for(radius_m: float, tolerance_m: float = DENSIFY_TOLERANCE_M) -> int:
    """Vertices on a full circle of ``radius_m`` so that no chord departs more than
    ``tolerance_m`` from it: sagitta ``r (1 - cos(pi / n)) <= tol``."""
    if radius_m <= tolerance_m:
        return 16
    n = math.pi / math.acos(1.0 - tolerance_m / radius_m)
    return max(16, math.ceil(n))


def arc_points(
    lat: float,
    lon: float,
    radius_m: float,
    start_az: float,
    end_az: float,
    clockwise: bool = True,
    tolerance_m: float = DENSIFY_TOLERANCE_M,
) -> npt.NDArray[np.float64]:
    """Points ``(lon, lat)`` on the geodesic circle around ``(lat, lon)`` from azimuth
    ``start_az`` to ``end_az`` (degrees true), both ends included."""
    sweep = (end_az - start_az) % 360.0 if clockwise else -((start_az - end_az) % 360.0)
    if sweep == 0.0:
        sweep = 360.0 if clockwise else -360.0
    n = max(2, math.ceil(n_vertices_for(radius_m, tolerance_m) * abs(sweep) / 360.0) + 1)
    az = start_az + np.linspace(0.0, sweep, n)
    lons, lats, _ = GEOD.fwd(
        np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m)
    )
    return np.column_stack([lons, lats])


def circle_polygon(
    lat: float, lon: float, radius_m: float, tolerance_m: float = DENSIFY_TOLERANCE_M
) -> Polygonal:
    """The geodesic circle of ``radius_m`` around ``(lat, lon)`` as a polygon whose vertices
    lie exactly at that distance."""
    if not radius_m > 0:
        raise ValueError(f"circle radius must be positive, got {radius_m} m")
    n = n_vertices_for(radius_m, tolerance_m)
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
    if np.any(np.abs(lats) > 89.9):
        raise ValueError("circle reaches a pole: give it as a polygon")
    return normalise(Polygon(np.column_stack([lons, lats])))


def corridor_polygon(
    coords: list[tuple[float, float]], width_m: float, flat_ends: bool = True
) -> Polygonal:
    """A corridor: the line through ``coords`` ``(lon, lat)`` widened to ``width_m`` in all
    (``width_m / 2`` on each side), built in an azimuthal equidistant projection centred on
    the line, so widths are true metres for corridors up to a few hundred km."""
    if len(coords) < 2:
        raise ValueError("corridor needs at least two points")
    if not width_m > 0:
        raise ValueError(f"corridor width must be positive, got {width_m} m")
    arr = np.asarray(coords, dtype=np.float64)
    arr[:, 0] = _unwrap_lon(arr[:, 0])
    lon0, lat0 = float(arr[:, 0].mean()), float(arr[:, 1].mean())
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    inv = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)
    x, y = fwd.transform(arr[:, 0], arr[:, 1])
    quad = max(4, n_vertices_for(width_m / 2) // 4)
    buf = LineString(np.column_stack([x, y])).buffer(
        width_m / 2, quad_segs=quad, cap_style="flat" if flat_ends else "round"
    )
    ring = np.asarray(buf.exterior.coords)
    lon, lat = inv.transform(ring[:, 0], ring[:, 1])
    lon = np.asarray(lon) + 360.0 * np.round((lon0 - np.asarray(lon)) / 360.0)
    return normalise(Polygon(np.column_stack([lon, lat])), unwrap=False)


def _unwrap_lon(lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.rad2deg(np.unwrap(np.deg2rad(lon)))


def _unwrap_polygon(poly: Polygon) -> Polygon:
    shell = np.asarray(poly.exterior.coords)[:, :2].copy()
    shell[:, 0] = _unwrap_lon(shell[:, 0])
    holes = []
    for ring in poly.interiors:
        h = np.asarray(ring.coords)[:, :2].copy()
        h[:, 0] = _unwrap_lon(h[:, 0])
        # bring the hole next to the shell
        h[:, 0] += 360.0 * np.round((shell[0, 0] - h[0, 0]) / 360.0)
        holes.append(h)
    return Polygon(shell, holes)


def normalise(geom: BaseGeometry, unwrap: bool = True) -> Polygonal:
    """Make ``geom`` antimeridian-safe: unwrap its rings, then split what reaches past
    +-180 into pieces inside [-180, 180]. Returns a Polygon or MultiPolygon."""
    polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    pieces: list[Polygon] = []
    for p in polys:
        if not isinstance(p, Polygon):
            raise ValueError(f"expected a polygon, got {p.geom_type}")
        q = _unwrap_polygon(p) if unwrap else p
        minx, _, maxx, _ = q.bounds
        if minx >= -180.0 and maxx <= 180.0:
            pieces.append(q)
            continue
        for shift in (-360.0, 0.0, 360.0):
            part = shapely.intersection(
                shapely.affinity.translate(q, xoff=shift), box(-180.0, -90.0, 180.0, 90.0)
            )
            pieces.extend(_polygons(part))
    if len(pieces) == 1:
        return pieces[0]
    return MultiPolygon(pieces)


def _polygons(g: BaseGeometry) -> list[Polygon]:
    if g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g] if g.area > 0 else []
    if hasattr(g, "geoms"):
        return [p for sub in g.geoms for p in _polygons(sub)]
    return []


def validity_problem(geom: BaseGeometry) -> str | None:
    """``None`` if ``geom`` is a valid polygonal shape inside the lon/lat range, else what is
    wrong (self-intersection, out-of-range coordinate, empty...)."""
    if geom.is_empty:
        return "empty geometry"
    minx, miny, maxx, maxy = geom.bounds
    if miny < -90 or maxy > 90:
        return f"latitude out of range [-90, 90]: {miny if miny < -90 else maxy}"
    if minx < -180 or maxx > 180:
        return f"longitude out of range [-180, 180]: {minx if minx < -180 else maxx}"
    if not geom.is_valid:
        return f"invalid polygon: {shapely.is_valid_reason(geom)}"
    return None


def geodesic_area_km2(geom: BaseGeometry) -> float:
    """Geodesic area on WGS84 in km2 (edges taken as geodesics between the vertices)."""
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(float(area)) / 1e6
