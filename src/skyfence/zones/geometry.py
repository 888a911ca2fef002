"""Zone geometry: polygons, geodesic circles and corridors, in longitude/latitude degrees.

Edges between two given vertices are straight in longitude/latitude, as in GeoJSON
(RFC 7946 section 3.1.1) and OpenAir ``DP`` polygons. Curves (circles, arcs, corridor ends)
are densified:

``DENSIFY_TOLERANCE_M = 10.0``: a curve is replaced by vertices placed *exactly* on it by
pyproj's geodesic on WGS84, with enough vertices that the chord between two of them
departs from the true curve by at most 10 m, and never fewer than
``MIN_CIRCLE_VERTICES = 128`` per full turn, so that small circles keep their area too: a
128-gon inscribed in a circle has 0.04 % less area, and its chords come at most 0.03 % of the
radius inside it (15 cm on a 500 m drone zone). The edge is a straight line in
longitude/latitude, which bows away from the geodesic towards the poles; the vertex count
starts from the sagitta ``r (1 - cos(pi / n)) <= 10 m`` and is raised until the midpoints of
the lon/lat edges measure within 10 m of the circle. The detector does not rely on this
polygon for circles: it tests the true geodesic distance to the centre, so a 5 km circle is
exact.

Antimeridian: a ring is first unwrapped so consecutive longitudes never jump by more than
180 degrees (an edge is never taken to go the long way round, as RFC 7946 section 3.1.9
asks); a shape that then reaches past +-180 is split into a MultiPolygon of pieces inside
[-180, 180]. A circle that reaches a pole is refused (its ring would wind round the pole);
give such an area as a polygon that stops short of the pole.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Geod, Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

__all__ = [
    "DENSIFY_TOLERANCE_M",
    "GEOD",
    "MIN_CIRCLE_VERTICES",
    "arc_points",
    "circle_polygon",
    "corridor_polygon",
    "geodesic_area_km2",
    "geodesic_circle_area_km2",
    "n_vertices_for",
    "normalise",
    "validity_problem",
]

DENSIFY_TOLERANCE_M = 10.0
# 128 vertices: area within 0.04 % and chords within 0.03 % of the radius for any circle,
# which the 10 m tolerance alone would not give a 50 m circle (16 vertices: 2.5 % less area).
MIN_CIRCLE_VERTICES = 128
GEOD = Geod(ellps="WGS84")
# WGS84, for the Gaussian radius of curvature in geodesic_circle_area_km2
_A = 6378137.0
_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)

Polygonal = Polygon | MultiPolygon


def n_vertices_for(radius_m: float, tolerance_m: float = DENSIFY_TOLERANCE_M) -> int:
    """Vertices on a full circle of ``radius_m`` so that no chord departs more than
    ``tolerance_m`` from it (sagitta ``r (1 - cos(pi / n)) <= tol``), and at least
    :data:`MIN_CIRCLE_VERTICES`."""
    if not math.isfinite(radius_m) or radius_m <= tolerance_m:
        return MIN_CIRCLE_VERTICES
    n = math.pi / math.acos(1.0 - tolerance_m / radius_m)
    return max(MIN_CIRCLE_VERTICES, math.ceil(n))


def _check_centre(lat: float, lon: float) -> None:
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} out of range [-90, 90]")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} out of range [-180, 180]")


def _check_pole(lat: float, lon: float, radius_m: float) -> None:
    pole = 90.0 if lat >= 0 else -90.0
    _, _, dist = GEOD.inv(lon, lat, lon, pole)
    # 1 km of room: a ring that passes within it of the pole is all but degenerate in lon/lat
    if radius_m >= dist - 1000.0:
        raise ValueError(
            f"a circle of {radius_m:.0f} m around ({lat}, {lon}) reaches the pole "
            f"({dist:.0f} m away): give the zone as a polygon"
        )


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
    ``start_az`` to ``end_az`` (degrees true), both ends included, densified as a full
    circle would be. Longitudes are as pyproj gives them, inside [-180, 180]; the polygon
    they end up in is made antimeridian-safe by :func:`normalise`."""
    if not radius_m > 0 or not math.isfinite(radius_m):
        raise ValueError(f"arc radius must be positive, got {radius_m} m")
    sweep = (end_az - start_az) % 360.0 if clockwise else -((start_az - end_az) % 360.0)
    if sweep == 0.0:
        sweep = 360.0 if clockwise else -360.0
    n = max(2, math.ceil(n_vertices_for(radius_m, tolerance_m) * abs(sweep) / 360.0) + 1)
    return _on_circle(lat, lon, radius_m, start_az, sweep, n, tolerance_m, endpoint=True)


def _on_circle(
    lat: float, lon: float, radius_m: float, start_az: float, sweep: float, n: int,
    tolerance_m: float, endpoint: bool,
) -> npt.NDArray[np.float64]:
    """``n`` or more points on the geodesic circle from ``start_az`` over ``sweep`` degrees,
    so many that the straight lon/lat edge between neighbours comes within ``tolerance_m``
    of the circle at its midpoint. The sagitta count of :func:`n_vertices_for` is enough at
    the equator; towards the poles a straight lon/lat edge bows away from the geodesic (at
    80 degrees a 500 km circle's edges came 18 m inside), so the count is raised until the
    midpoints measure within tolerance."""
    for _ in range(6):
        az = start_az + np.linspace(0.0, sweep, n, endpoint=endpoint)
        lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
        ring = np.column_stack([lons, lats])
        closed = ring if endpoint else np.vstack([ring, ring[:1]])
        unwrapped = closed.copy()
        unwrapped[:, 0] = _unwrap_lon(unwrapped[:, 0])
        mid = (unwrapped[1:] + unwrapped[:-1]) / 2.0
        _, _, d = GEOD.inv(np.full(len(mid), lon), np.full(len(mid), lat), mid[:, 0], mid[:, 1])
        worst = float(np.max(np.abs(radius_m - np.asarray(d))))
        if worst <= tolerance_m:
            break
        # the departure goes as the square of the edge length
        n = math.ceil(n * math.sqrt(worst / tolerance_m) * 1.05) + 1
    return ring


def circle_polygon(
    lat: float, lon: float, radius_m: float, tolerance_m: float = DENSIFY_TOLERANCE_M
) -> Polygonal:
    """The geodesic circle of ``radius_m`` around ``(lat, lon)`` as a polygon whose vertices
    lie exactly at that distance (pyproj's geodesic on WGS84), split in two at the
    antimeridian when it crosses it. Raises ``ValueError`` for a radius that is not positive
    and finite, a centre out of range, or a circle that reaches a pole."""
    if not radius_m > 0 or not math.isfinite(radius_m):
        raise ValueError(f"circle radius must be positive, got {radius_m} m")
    _check_centre(lat, lon)
    _check_pole(lat, lon, radius_m)
    n = n_vertices_for(radius_m, tolerance_m)
    # clockwise from north, as azimuths go; normalise() does not care about orientation
    ring = _on_circle(lat, lon, radius_m, 0.0, 360.0, n, tolerance_m, endpoint=False)
    return normalise(Polygon(ring))


def corridor_polygon(
    coords: list[tuple[float, float]], width_m: float, flat_ends: bool = True
) -> Polygonal:
    """A corridor: the line through ``coords`` ``(lon, lat)`` widened to ``width_m`` in all
    (``width_m / 2`` on each side), built in an azimuthal equidistant projection centred on
    the line, so widths are true metres for corridors up to a few hundred km."""
    if len(coords) < 2:
        raise ValueError("corridor needs at least two points")
    if not width_m > 0 or not math.isfinite(width_m):
        raise ValueError(f"corridor width must be positive, got {width_m} m")
    arr = np.asarray(coords, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError("corridor points must be (lon, lat) pairs")
    for lon_i, lat_i in arr:
        _check_centre(float(lat_i), float(lon_i))
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
    """``lon`` with multiples of 360 added so that neighbours never differ by more than 180.

    Whole multiples only, counted as integers: a point with no net jump before it comes back
    bit for bit, so a closed ring stays closed. (``np.unwrap`` through radians moved 2.35 to
    2.3500000000000005, and its corrections of "360" are not exact either: a circle across
    the antimeridian lost its closing vertex by 3e-14 and became self-intersecting.)"""
    lon = np.asarray(lon, dtype=np.float64)
    out = lon.copy()
    if lon.size > 1:
        turns = np.cumsum(np.round(np.diff(lon) / 360.0))
        out[1:] = lon[1:] - 360.0 * turns
    return out


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


def _unwrapped(geom: BaseGeometry, unwrap: bool) -> list[Polygon]:
    polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    out = []
    for p in polys:
        if not isinstance(p, Polygon):
            raise ValueError(f"expected a polygon, got {p.geom_type}")
        out.append(_unwrap_polygon(p) if unwrap else p)
    return out


def normalise(geom: BaseGeometry, unwrap: bool = True) -> Polygonal:
    """Make ``geom`` antimeridian-safe: unwrap its rings, then split what reaches past
    +-180 into pieces inside [-180, 180]. Returns a Polygon or MultiPolygon. A shape
    already inside the range with no jump comes back with the same coordinates. Raises
    ``ValueError`` for a shape that is not a valid polygon once unwrapped (check with
    :func:`validity_problem` first for a message fit for users)."""
    pieces: list[Polygon] = []
    for q in _unwrapped(geom, unwrap):
        if not q.is_valid:
            raise ValueError(f"invalid polygon: {shapely.is_valid_reason(q)}")
        minx, _, maxx, _ = q.bounds
        if minx >= -180.0 and maxx <= 180.0:
            pieces.append(q)
            continue
        for shift in (-360.0, 0.0, 360.0):
            part = shapely.intersection(
                affinity.translate(q, xoff=shift), box(-180.0, -90.0, 180.0, 90.0)
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
    wrong (self-intersection, out-of-range coordinate, empty...). Validity is judged on the
    unwrapped rings, as :func:`normalise` will see them, so a ring that crosses the
    antimeridian is not mistaken for one that goes round the world."""
    if geom.is_empty:
        return "empty geometry"
    if not isinstance(geom, Polygon | MultiPolygon):
        return f"expected a Polygon or MultiPolygon, got {geom.geom_type}"
    coords = shapely.get_coordinates(geom)
    if not np.all(np.isfinite(coords)):
        return "coordinates must be finite numbers"
    minx, miny, maxx, maxy = geom.bounds
    if miny < -90 or maxy > 90:
        return f"latitude out of range [-90, 90]: {miny if miny < -90 else maxy}"
    if minx < -180 or maxx > 180:
        return f"longitude out of range [-180, 180]: {minx if minx < -180 else maxx}"
    raw_valid = bool(geom.is_valid)
    for p in _unwrapped(geom, unwrap=True):
        if not p.is_valid:
            how = " once unwrapped across the antimeridian" if raw_valid else ""
            return f"invalid polygon{how}: {shapely.is_valid_reason(p)}"
    if isinstance(geom, MultiPolygon):
        whole = normalise(geom)
        if not whole.is_valid:
            return f"invalid multipolygon: {shapely.is_valid_reason(whole)}"
    return None


def geodesic_area_km2(geom: BaseGeometry) -> float:
    """Geodesic area on WGS84 in km2 (edges taken as geodesics between the vertices; for
    the densified shapes of this module that differs from straight lon/lat edges by far
    less than 0.1 %). Each polygon is oriented first, so holes are subtracted whatever the
    winding the file used and the parts of a MultiPolygon add up."""
    polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    total = 0.0
    for p in polys:
        if not isinstance(p, Polygon):
            raise ValueError(f"expected a polygon, got {p.geom_type}")
        # pyproj gives a signed area per ring (counter-clockwise positive) and adds the
        # rings up: a hole wound like its shell was added, and a clockwise part of a
        # MultiPolygon cancelled a counter-clockwise one
        area, _ = GEOD.geometry_area_perimeter(orient(p, sign=1.0))
        total += float(area)
    return abs(total) / 1e6


def geodesic_circle_area_km2(lat: float, radius_m: float) -> float:
    """Area in km2 of the geodesic circle of ``radius_m`` centred at latitude ``lat``: the
    spherical cap ``2 pi R^2 (1 - cos(r / R))`` on the Gaussian radius of curvature
    ``R = sqrt(M N)`` there. Within 1e-5 of pyproj's area of a finely densified circle up to
    2,000 km, where ``pi r^2`` is already 0.8 % too large (0.05 % at 500 km)."""
    s = math.sin(math.radians(lat))
    w = 1.0 - _E2 * s * s
    r_gauss = _A * math.sqrt(1.0 - _E2) / w
    return 2.0 * math.pi * r_gauss**2 * (1.0 - math.cos(radius_m / r_gauss)) / 1e6
