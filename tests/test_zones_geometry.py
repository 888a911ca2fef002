"""Zone geometry against pyproj's geodesic on WGS84, the independent reference.

Property tests: circle vertices at the radius, circle and polygon areas, corridor widths,
antimeridian splits; then the fixed cases that once broke.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon

from skyfence.zones.geometry import (
    DENSIFY_TOLERANCE_M,
    MIN_CIRCLE_VERTICES,
    arc_points,
    circle_polygon,
    corridor_polygon,
    geodesic_area_km2,
    geodesic_circle_area_km2,
    n_vertices_for,
    normalise,
    validity_problem,
)

WGS84 = Geod(ellps="WGS84")

lats = st.floats(-84.0, 84.0)
lons = st.floats(-180.0, 180.0)
radii = st.floats(50.0, 500_000.0)
# centres within a few km of the antimeridian, on either side
near_antimeridian = st.floats(179.9, 180.0) | st.floats(-180.0, -179.9)


def _pole_distance_m(lat: float, lon: float) -> float:
    _, _, d = WGS84.inv(lon, lat, lon, 90.0 if lat >= 0 else -90.0)
    return float(d)


def _pieces(g: Polygon | MultiPolygon) -> list[Polygon]:
    return list(g.geoms) if isinstance(g, MultiPolygon) else [g]


def _dist_from(lat: float, lon: float, pts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    n = len(pts)
    _, _, d = WGS84.inv(np.full(n, lon), np.full(n, lat), pts[:, 0], pts[:, 1])
    return np.asarray(d)


def _true_circle_area_m2(lat: float, lon: float, radius_m: float, n: int = 20_000) -> float:
    """pyproj's area of a polygon of ``n`` vertices on the circle: the reference."""
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lo, la, _ = WGS84.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
    area, _ = WGS84.polygon_area_perimeter(lo, la)
    return abs(float(area))


# --- circles ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(lat=lats, lon=lons | near_antimeridian, radius=radii)
def test_circle_vertices_lie_at_the_radius(lat: float, lon: float, radius: float) -> None:
    assume(radius < _pole_distance_m(lat, lon) - 2000.0)
    poly = circle_polygon(lat, lon, radius)
    assert poly.is_valid
    for piece in _pieces(poly):
        xy = shapely.get_coordinates(piece)
        assert np.all(np.abs(xy[:, 0]) <= 180.0)
        # vertices made by cutting at the antimeridian lie on an edge, not on the circle
        on_circle = xy[np.abs(xy[:, 0]) < 180.0]
        d = _dist_from(lat, lon, on_circle)
        assert np.max(np.abs(d - radius)) < 1.0


@settings(max_examples=60, deadline=None)
@given(lat=lats, lon=lons, radius=radii)
def test_circle_edges_stay_within_the_densify_tolerance(
    lat: float, lon: float, radius: float
) -> None:
    """The documented tolerance: the straight lon/lat edge between two vertices comes at
    most DENSIFY_TOLERANCE_M inside the circle (measured at its midpoint)."""
    assume(radius < _pole_distance_m(lat, lon) - 2000.0)
    poly = circle_polygon(lat, lon, radius)
    for piece in _pieces(poly):
        xy = shapely.get_coordinates(piece)
        # edges along or up to the antimeridian cut are pieces of chords, not chords
        whole = (np.abs(xy[1:, 0]) < 180.0) & (np.abs(xy[:-1, 0]) < 180.0)
        mid = ((xy[1:] + xy[:-1]) / 2.0)[whole]
        inside_by = radius - _dist_from(lat, lon, mid)
        assert np.all(inside_by >= -0.01)  # chords are inside
        assert np.max(inside_by) <= DENSIFY_TOLERANCE_M + 0.01


@settings(max_examples=60, deadline=None)
@given(lat=lats, lon=lons | near_antimeridian, radius=radii)
def test_circle_polygon_area_matches_the_geodesic_circle(
    lat: float, lon: float, radius: float
) -> None:
    assume(radius < _pole_distance_m(lat, lon) - 2000.0)
    true_km2 = _true_circle_area_m2(lat, lon, radius) / 1e6
    poly_km2 = geodesic_area_km2(circle_polygon(lat, lon, radius))
    assert poly_km2 == pytest.approx(true_km2, rel=1e-3)
    # the model's area for circles (closed form on the Gaussian radius) is tighter still
    assert geodesic_circle_area_km2(lat, radius) == pytest.approx(true_km2, rel=1e-5)


def test_small_circle_keeps_its_area() -> None:
    """A 50 m circle was a 16-gon, 2.5 % short of the circle's area."""
    assert n_vertices_for(50.0) == MIN_CIRCLE_VERTICES
    poly = circle_polygon(48.0, 2.0, 50.0)
    true_km2 = _true_circle_area_m2(48.0, 2.0, 50.0) / 1e6
    assert geodesic_area_km2(poly) == pytest.approx(true_km2, rel=5e-4)


def test_antimeridian_circle_is_split_into_valid_pieces() -> None:
    poly = circle_polygon(-16.0, 179.99, 20_000.0)
    assert isinstance(poly, MultiPolygon)
    assert poly.is_valid
    assert len(poly.geoms) == 2
    for piece in poly.geoms:
        minx, _, maxx, _ = piece.bounds
        assert minx >= -180.0 and maxx <= 180.0
    # contains points on both sides of the antimeridian, and the centre
    assert poly.contains(Point(179.995, -16.0))
    assert poly.contains(Point(-179.95, -16.0))
    assert poly.intersects(Point(179.99, -16.0))
    assert not poly.contains(Point(0.0, -16.0))  # not the rest of the world
    true_km2 = _true_circle_area_m2(-16.0, 179.99, 20_000.0) / 1e6
    assert geodesic_area_km2(poly) == pytest.approx(true_km2, rel=1e-3)


@pytest.mark.parametrize("lat", [0.0, 70.0, 84.0, -84.0])
@pytest.mark.parametrize("lon", [179.9, -179.99])
@pytest.mark.parametrize("radius", [5_000.0, 500_000.0])
def test_circle_across_the_antimeridian_is_valid(lat: float, lon: float, radius: float) -> None:
    """Regression: the unwrapped ring lost its closing vertex by 3e-14 degrees (np.unwrap's
    corrections are not exact multiples of 360) and came out self-intersecting."""
    poly = circle_polygon(lat, lon, radius)
    assert poly.is_valid, shapely.is_valid_reason(poly)
    assert validity_problem(poly) is None


@pytest.mark.parametrize(("lat", "radius"), [(89.0, 200_000.0), (-88.0, 300_000.0),
                                             (85.0, 1_000_000.0)])
def test_circle_reaching_a_pole_is_refused(lat: float, radius: float) -> None:
    """A circle around the pole has no lon/lat polygon (its ring winds round); refuse it
    rather than build a wrong shape. 85N 1000 km has every vertex below 89.9."""
    with pytest.raises(ValueError, match="pole"):
        circle_polygon(lat, 10.0, radius)


@pytest.mark.parametrize("radius", [0.0, -5.0, math.nan, math.inf])
def test_circle_radius_must_be_positive_and_finite(radius: float) -> None:
    with pytest.raises(ValueError, match="radius"):
        circle_polygon(45.0, 5.0, radius)


def test_circle_centre_out_of_range() -> None:
    with pytest.raises(ValueError, match="latitude"):
        circle_polygon(95.0, 5.0, 1000.0)
    with pytest.raises(ValueError, match="longitude"):
        circle_polygon(45.0, 185.0, 1000.0)


def test_arc_points_ends_and_radius() -> None:
    pts = arc_points(45.0, 5.0, 10_000.0, 90.0, 180.0, clockwise=True)
    d = _dist_from(45.0, 5.0, pts)
    assert np.max(np.abs(d - 10_000.0)) < 1e-3
    az_first, _, _ = WGS84.inv(5.0, 45.0, pts[0, 0], pts[0, 1])
    az_last, _, _ = WGS84.inv(5.0, 45.0, pts[-1, 0], pts[-1, 1])
    assert az_first == pytest.approx(90.0, abs=1e-6)
    assert az_last % 360.0 == pytest.approx(180.0, abs=1e-6)
    # a quarter turn gets about a quarter of a full circle's vertices
    assert len(pts) >= MIN_CIRCLE_VERTICES // 4
    ccw = arc_points(45.0, 5.0, 10_000.0, 90.0, 0.0, clockwise=False)
    az_mid, _, _ = WGS84.inv(5.0, 45.0, ccw[len(ccw) // 2, 0], ccw[len(ccw) // 2, 1])
    assert az_mid == pytest.approx(45.0, abs=1.0)


# --- corridors -------------------------------------------------------------------------


def _distance_to_line(pts: npt.NDArray[np.float64], line: npt.NDArray[np.float64]
                      ) -> npt.NDArray[np.float64]:
    """Geodesic distance from each point to the polyline ``line`` (lon, lat), each segment
    taken as the geodesic between its ends: a coarse-to-fine search along each segment."""
    best = np.full(len(pts), np.inf)
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(line):
        az, _, seg = WGS84.inv(lon1, lat1, lon2, lat2)
        lo = np.zeros(len(pts))
        hi = np.full(len(pts), seg)
        for _ in range(3):  # 21 samples, then around the best one: seg / 8000 at the end
            s = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, 21)[None, :]
            flat = s.ravel()
            qlon, qlat, _ = WGS84.fwd(np.full(flat.size, lon1), np.full(flat.size, lat1),
                                      np.full(flat.size, az), flat)
            plon = np.repeat(pts[:, 0], 21)
            plat = np.repeat(pts[:, 1], 21)
            _, _, d = WGS84.inv(plon, plat, qlon, qlat)
            d = np.asarray(d).reshape(len(pts), 21)
            k = np.argmin(d, axis=1)
            step = (hi - lo) / 20.0
            centre = lo + k * step
            lo = np.clip(centre - step, 0.0, seg)
            hi = np.clip(centre + step, 0.0, seg)
            best = np.minimum(best, d[np.arange(len(pts)), k])
    return best


@settings(max_examples=20, deadline=None)
@given(
    lat=st.floats(-70.0, 70.0),
    lon=lons | near_antimeridian,
    width=st.floats(100.0, 20_000.0),
    legs=st.lists(st.tuples(st.floats(0.0, 360.0), st.floats(2_000.0, 30_000.0)),
                  min_size=1, max_size=3),
)
def test_corridor_boundary_is_at_half_the_width(
    lat: float, lon: float, width: float, legs: list[tuple[float, float]]
) -> None:
    """Round ends, so that every boundary vertex is at half the width from the line (a flat
    end's edge is closer to the line where it cuts into another leg at a sharp turn)."""
    pts = [(lon, lat)]
    for az, dist in legs:
        nlon, nlat, _ = WGS84.fwd(pts[-1][0], pts[-1][1], az, dist)
        pts.append((float(nlon), float(nlat)))
    line = np.array(pts)
    poly = corridor_polygon(pts, width, flat_ends=False)
    assert poly.is_valid
    for piece in _pieces(poly):
        xy = shapely.get_coordinates(piece)
        assert np.all(np.abs(xy[:, 0]) <= 180.0)
        on_boundary = xy[np.abs(xy[:, 0]) < 180.0]  # cut vertices lie on an edge
        on_boundary = on_boundary[:: max(1, len(on_boundary) // 150)]
        d = _distance_to_line(on_boundary, line)
        # true metres: within 0.5 % of the half-width, or 1 m for narrow corridors
        assert np.max(np.abs(d - width / 2.0)) <= max(1.0, 0.005 * width / 2.0)


@settings(max_examples=20, deadline=None)
@given(lat=st.floats(-70.0, 70.0), lon=lons, az=st.floats(0.0, 360.0),
       length=st.floats(1_000.0, 100_000.0), width=st.floats(100.0, 20_000.0))
def test_straight_corridor_with_flat_ends(
    lat: float, lon: float, az: float, length: float, width: float
) -> None:
    end_lon, end_lat, _ = WGS84.fwd(lon, lat, az, length)
    line = np.array([(lon, lat), (float(end_lon), float(end_lat))])
    poly = corridor_polygon([tuple(p) for p in line], width)
    xy = shapely.get_coordinates(_pieces(poly)[0])
    xy = xy[np.abs(xy[:, 0]) < 180.0]
    d = _distance_to_line(xy, line)
    assert np.max(np.abs(d - width / 2.0)) <= max(1.0, 0.005 * width / 2.0)
    # area: length times width, to the curvature of the earth
    assert geodesic_area_km2(poly) == pytest.approx(length * width / 1e6, rel=2e-3)


def test_corridor_is_as_wide_as_asked() -> None:
    line = [(2.0, 48.0), (2.5, 48.2), (3.0, 48.1)]
    poly = corridor_polygon(line, 2 * 1852.0)  # 2 NM wide
    # a point 0.9 NM from the centre line is inside, 1.1 NM is outside
    mid_lon, mid_lat = 2.25, 48.1
    az, _, _ = WGS84.inv(2.0, 48.0, 2.5, 48.2)
    for off, inside in ((0.9 * 1852.0, True), (1.1 * 1852.0, False)):
        plon, plat, _ = WGS84.fwd(mid_lon, mid_lat, az + 90.0, off)
        assert poly.contains(Point(plon, plat)) is inside
    # flat ends: nothing beyond the last point along the line
    az_end, _, _ = WGS84.inv(2.5, 48.2, 3.0, 48.1)
    plon, plat, _ = WGS84.fwd(3.0, 48.1, az_end, 200.0)
    assert not poly.contains(Point(plon, plat))


def test_corridor_across_the_antimeridian() -> None:
    poly = corridor_polygon([(179.8, 10.0), (-179.8, 10.2)], 5_000.0)
    assert isinstance(poly, MultiPolygon)
    assert poly.is_valid
    assert poly.contains(Point(179.9, 10.05)) and poly.contains(Point(-179.9, 10.15))
    assert not poly.contains(Point(0.0, 10.1))


@pytest.mark.parametrize(
    ("coords", "width", "match"),
    [([(2.0, 48.0)], 100.0, "two points"), ([(2.0, 48.0), (3.0, 48.0)], 0.0, "width"),
     ([(2.0, 48.0), (3.0, 98.0)], 100.0, "latitude")],
)
def test_corridor_bad_input(coords: list[tuple[float, float]], width: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        corridor_polygon(coords, width)


# --- polygons, areas, the antimeridian ------------------------------------------------------


def _ring_area_m2(ring: list[tuple[float, float]]) -> float:
    lo, la = zip(*ring, strict=True)
    area, _ = WGS84.polygon_area_perimeter(lo, la)
    return abs(float(area))


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-75.0, 75.0), lon=lons, size=st.floats(0.01, 5.0),
    hole=st.floats(0.1, 0.8), ccw=st.booleans(), hole_ccw=st.booleans(),
)
def test_polygon_area_with_hole_matches_pyproj(
    lat: float, lon: float, size: float, hole: float, ccw: bool, hole_ccw: bool
) -> None:
    """Whatever the winding of shell and hole, the area is shell minus hole (pyproj on each
    ring, taken separately). The model used to add a hole wound like its shell."""
    half = size / 2.0
    shell = [(lon - half, lat - half), (lon + half, lat - half), (lon + half, lat + half),
             (lon - half, lat + half), (lon - half, lat - half)]
    h = half * hole
    inner = [(lon - h, lat - h), (lon - h, lat + h), (lon + h, lat + h), (lon + h, lat - h),
             (lon - h, lat - h)]
    if not ccw:
        shell.reverse()
    if hole_ccw:
        inner.reverse()
    expected = (_ring_area_m2(shell) - _ring_area_m2(inner)) / 1e6
    geom = normalise(Polygon(shell, [inner]))
    assert geodesic_area_km2(geom) == pytest.approx(expected, rel=1e-3)


def test_multipolygon_area_adds_parts_of_either_winding() -> None:
    """Regression: a clockwise part cancelled a counter-clockwise one (area 0)."""
    a = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    b = [(3.0, 0.0), (3.0, 1.0), (4.0, 1.0), (4.0, 0.0), (3.0, 0.0)]
    mp = MultiPolygon([Polygon(a), Polygon(b)])
    expected = (_ring_area_m2(a) + _ring_area_m2(b)) / 1e6
    assert geodesic_area_km2(mp) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(lat=st.floats(-75.0, 75.0), west=st.floats(0.01, 20.0), east=st.floats(0.01, 20.0),
       height=st.floats(0.01, 10.0))
def test_polygon_across_the_antimeridian_is_split_with_its_area(
    lat: float, west: float, east: float, height: float
) -> None:
    """A box from 180-west to 180+east, written with the jump as GeoJSON has it (with a
    vertex on the antimeridian, where the split puts one: area counts edges as geodesics,
    and a 14-degree edge cut in two is a different geodesic by 0.1 %)."""
    x0, x1 = 180.0 - west, -180.0 + east
    ring = [(x0, lat), (180.0, lat), (x1, lat), (x1, lat + height), (-180.0, lat + height),
            (x0, lat + height), (x0, lat)]
    raw = Polygon(ring)
    assert validity_problem(raw) is None
    geom = normalise(raw)
    assert isinstance(geom, MultiPolygon) and geom.is_valid
    for piece in geom.geoms:
        minx, _, maxx, _ = piece.bounds
        assert minx >= -180.0 and maxx <= 180.0
    assert geom.contains(Point(180.0 - west / 2, lat + height / 2))
    assert geom.contains(Point(-180.0 + east / 2, lat + height / 2))
    assert not geom.contains(Point(0.0, lat + height / 2))
    # pyproj unwraps longitudes itself: the area of the ring as written is the reference
    assert geodesic_area_km2(geom) == pytest.approx(_ring_area_m2(ring) / 1e6, rel=1e-3)


def test_normalise_keeps_coordinates_bit_for_bit() -> None:
    """Regression: unwrapping through radians moved 2.35 to 2.3500000000000005, so a zone
    read, written and read again was no longer equal to itself."""
    ring = [(2.35, 48.85), (2.36, 48.85), (2.36, 48.86), (2.35, 48.86), (2.35, 48.85)]
    poly = Polygon(ring)
    out = normalise(poly)
    assert isinstance(out, Polygon) and out.equals_exact(poly, tolerance=0.0)
    assert list(out.exterior.coords) == ring


@pytest.mark.parametrize(
    ("geom", "match"),
    [
        (Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)]), "Self-intersection"),
        (Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], [[(2, 2), (3, 2), (3, 3), (2, 2)]]),
         "Hole"),
        (Polygon([(0, 0), (1, 0), (1, 91), (0, 0)]), "latitude out of range"),
        (Polygon([(179, 0), (181, 0), (181, 1), (179, 0)]), "longitude out of range"),
        (Polygon(), "empty"),
        (Point(0, 0), "expected a Polygon"),
    ],
)
def test_validity_problem_names_what_is_wrong(geom: object, match: str) -> None:
    problem = validity_problem(geom)  # type: ignore[arg-type]
    assert problem is not None and match in problem


def test_normalise_refuses_an_invalid_polygon() -> None:
    with pytest.raises(ValueError, match="invalid polygon"):
        normalise(Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)]))
