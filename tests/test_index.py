"""The zone index against brute force: shapely for polygons, pyproj for circles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Polygon, box

from skyfence.zones import Circle, Zone, ZoneSet, load_zones
from skyfence.zones.geometry import circle_polygon
from skyfence.zones.index import ZoneIndex

GEOD = Geod(ellps="WGS84")


def brute_force(zones: ZoneSet, lat: np.ndarray, lon: np.ndarray) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for k, z in enumerate(zones):
        if z.circle is not None:
            c = z.circle
            _, _, d = GEOD.inv(np.full(len(lat), c.lon), np.full(len(lat), c.lat), lon, lat)
            inside = np.flatnonzero(d <= c.radius_m)
        else:
            inside = np.flatnonzero(shapely.contains_xy(z.geometry, lon, lat))
        out |= {(int(i), k) for i in inside}
    return out


def pairs(index: ZoneIndex, lat: np.ndarray, lon: np.ndarray) -> set[tuple[int, int]]:
    p, z = index.lookup(lat, lon)
    return set(zip(p.tolist(), z.tolist(), strict=True))


def test_real_firs_agree_with_shapely(traffic_data: Path) -> None:
    zones = load_zones([traffic_data / "eurocontrol" / "eurofirs.json"])
    index = ZoneIndex(zones)
    rng = np.random.default_rng(7)
    lat = rng.uniform(25.0, 75.0, 60_000)
    lon = rng.uniform(-40.0, 50.0, 60_000)
    got = pairs(index, lat, lon)
    assert got == brute_force(zones, lat, lon)
    assert len(got) > 10_000  # the sample really lands in FIRs
    stats = index.stats()
    assert stats["boundary_entries"] < 0.2 * stats["entries"]


def test_circles_agree_with_geodesic_distance() -> None:
    rng = np.random.default_rng(3)
    centres = [(float(a), float(b)) for a, b in zip(rng.uniform(-60, 70, 40),
                                                     rng.uniform(-179, 179, 40), strict=True)]
    radii = rng.uniform(200.0, 30_000.0, 40)
    zones = ZoneSet(
        Zone(id=f"c{k}", name="c", geometry=circle_polygon(la, lo, r), circle=Circle(la, lo, r))
        for k, ((la, lo), r) in enumerate(zip(centres, radii, strict=True))
    )
    index = ZoneIndex(zones)
    # points near each circle's edge, both sides
    k = rng.integers(0, 40, 50_000)
    c = np.array(centres)
    dist = radii[k] * rng.uniform(0.9, 1.1, len(k))
    lon, lat, _ = GEOD.fwd(c[k, 1], c[k, 0], rng.uniform(0, 360, len(k)), dist)
    got = pairs(index, lat, lon)
    ref = brute_force(zones, lat, lon)
    # only points within a millimetre of the edge may be decided either way
    _, _, d = GEOD.inv(c[k, 1], c[k, 0], lon, lat)
    edge = {int(i) for i in np.flatnonzero(np.abs(d - radii[k]) < 1e-3)}
    assert {p for p in got ^ ref if p[0] not in edge} == set()


def test_holes_multipolygons_and_nan() -> None:
    ring = Polygon(box(0, 0, 10, 10).exterior.coords, [box(3, 3, 7, 7).exterior.coords])
    zones = ZoneSet([
        Zone(id="ring", name="ring", geometry=ring),
        Zone(id="multi", name="multi", geometry=shapely.MultiPolygon([box(20, 0, 21, 1),
                                                                      box(22, 0, 23, 1)])),
    ])
    index = ZoneIndex(zones)
    lat = np.array([1.0, 5.0, 0.5, 0.5, 0.5, np.nan])
    lon = np.array([1.0, 5.0, 20.5, 21.5, 22.5, 1.0])
    assert pairs(index, lat, lon) == {(0, 0), (2, 1), (4, 1)}
    assert index.contains(0, 1.0, 1.0) and not index.contains(0, 5.0, 5.0)


def test_antimeridian_circle() -> None:
    zones = ZoneSet([Zone(id="am", name="am", geometry=circle_polygon(-17.0, 179.99, 20_000),
                          circle=Circle(-17.0, 179.99, 20_000))])
    index = ZoneIndex(zones)
    lat = np.array([-17.0, -17.0, -17.0])
    lon = np.array([179.9, -179.9, -179.7])
    assert pairs(index, lat, lon) == {(0, 0), (1, 0)}


def test_empty_zone_set() -> None:
    index = ZoneIndex(ZoneSet())
    p, z = index.lookup(np.array([1.0]), np.array([2.0]))
    assert len(p) == 0 and len(z) == 0


@settings(max_examples=40, deadline=None)
@given(
    boxes=st.lists(
        st.tuples(st.floats(-20, 20), st.floats(-20, 20), st.floats(0.01, 15),
                  st.floats(0.01, 15)),
        min_size=1, max_size=6,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_inside_every_zone_that_contains_it(
    boxes: list[tuple[float, float, float, float]], seed: int
) -> None:
    """Overlapping zones: a point is reported inside exactly the zones that contain it."""
    zones = ZoneSet(
        Zone(id=f"z{k}", name="z", geometry=shapely.affinity.rotate(box(x, y, x + w, y + h), 17))
        for k, (x, y, w, h) in enumerate(boxes)
    )
    index = ZoneIndex(zones)
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-30, 40, 3_000)
    lon = rng.uniform(-30, 40, 3_000)
    assert pairs(index, lat, lon) == brute_force(zones, lat, lon)


@pytest.mark.parametrize("max_cells", [4_096, 100_000])
def test_grid_resolution_does_not_change_answers(traffic_data: Path, max_cells: int) -> None:
    zones = load_zones([traffic_data / "samples" / "airspaces" / "LFBOTMA.json"])
    rng = np.random.default_rng(11)
    lat = rng.uniform(42.0, 46.0, 20_000)
    lon = rng.uniform(-2.0, 3.5, 20_000)
    assert pairs(ZoneIndex(zones, max_cells=max_cells), lat, lon) == brute_force(zones, lat, lon)


def test_subcell_states_agree_with_the_ray_cast(traffic_data: Path) -> None:
    """A polygon boundary entry's sub-cells that the boundary does not cross decide their
    points without the ray: their state must be the ray cast's answer at every point,
    here at random points of boundary cells of the FIRs (most of them near an edge)."""
    zones = load_zones([traffic_data / "eurocontrol" / "eurofirs.json"])
    index = ZoneIndex(zones)
    g = index.grid
    per_cell = np.diff(index.cell_start)
    cell_of = np.repeat(np.arange(g.nx * g.ny), per_cell)
    boundary = np.flatnonzero(index.ent_state == 2)
    rng = np.random.default_rng(5)
    ent = rng.choice(boundary, 4_000, replace=False).repeat(15)
    fx = cell_of[ent] % g.nx + rng.uniform(0.0, 1.0, len(ent))
    fy = cell_of[ent] // g.nx + rng.uniform(0.0, 1.0, len(ent))
    lon, lat = g.lon0 + fx * g.dlon, g.lat0 + fy * g.dlat
    sx = ((lon - g.lon0) / g.dlon % 1.0 * 4).astype(int)
    sy = ((lat - g.lat0) / g.dlat % 1.0 * 4).astype(int)
    state = (index.ent_sub[ent] >> (2 * (sy * 4 + sx)).astype(np.uint32)) & 3
    decided = np.flatnonzero(state != 2)
    assert len(decided) > 0.5 * len(ent)
    exact = np.array([index.contains(int(index.ent_zone[ent[i]]), float(lat[i]), float(lon[i]))
                      for i in decided])
    assert np.array_equal(state[decided] == 1, exact)
    # and the lookup, which uses them, still agrees with shapely on these points
    assert pairs(index, lat, lon) == brute_force(zones, lat, lon)
