"""The zone model: Zone, ZoneSet, kinds, severities, exemptions, margins, areas."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon

import skyfence.zones as zones_pkg
from skyfence.zones import (
    Circle,
    Datum,
    Exemptions,
    Kind,
    Margins,
    Schedule,
    VerticalLimit,
    WeeklyWindow,
    Zone,
    ZoneSet,
    parse_limit,
)
from skyfence.zones.geometry import circle_polygon, corridor_polygon
from skyfence.zones.model import EMERGENCY_SQUAWKS, Corridor

WGS84 = Geod(ellps="WGS84")
SQUARE = Polygon([(2.0, 48.0), (2.1, 48.0), (2.1, 48.1), (2.0, 48.1)])


def zone(**kw: object) -> Zone:
    base: dict[str, object] = {"id": "Z1", "name": "Zone one", "geometry": SQUARE}
    base.update(kw)
    return Zone(**base)  # type: ignore[arg-type]


def test_exports_are_complete() -> None:
    for name in zones_pkg.__all__:
        assert hasattr(zones_pkg, name), name
    assert sorted(zones_pkg.__all__) == sorted(set(zones_pkg.__all__))


def test_defaults() -> None:
    z = zone()
    assert z.floor == VerticalLimit.surface() and z.ceiling == VerticalLimit.unlimited()
    assert z.kind is Kind.CUSTOM and z.severity == "warning"
    assert z.schedule.always and z.exemptions.empty and z.exemptions.emergency_squawks
    assert z.margins == Margins(0.0, 0.0)
    assert z.version == 1
    assert z.floor_amsl_m == 0.0 and z.ceiling_amsl_m == math.inf


def test_limits_in_metres_with_their_datum() -> None:
    z = zone(floor=parse_limit("500 ft AGL"), ceiling=parse_limit("FL95"),
             ground_elevation_m=300.0)
    assert z.floor.datum is Datum.AGL and z.floor.value_m == pytest.approx(152.4)
    assert z.floor_amsl_m == pytest.approx(452.4)
    assert z.ceiling.datum is Datum.STD and z.ceiling_amsl_m == pytest.approx(2895.6)


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        ({"id": ""}, ValueError, "id must not be empty"),
        ({"severity": "fatal"}, ValueError, "unknown severity 'fatal'"),
        ({"floor": parse_limit("FL100"), "ceiling": parse_limit("2500 ft")}, ValueError,
         "floor FL100 is above ceiling 2500 ft AMSL"),
        ({"floor": VerticalLimit.unlimited()}, ValueError, "floor cannot be UNL"),
        ({"version": 0}, ValueError, "starts at 1"),
        ({"version": 1.5}, TypeError, "integer"),
        ({"geometry": Point(0, 0)}, TypeError, "Polygon or MultiPolygon"),
        ({"geometry": Polygon()}, TypeError, "non-empty"),
        ({"ground_elevation_m": math.nan}, ValueError, "finite"),
    ],
)
def test_bad_zones(kw: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        zone(**kw)


def test_agl_floor_above_amsl_ceiling_counts_the_ground() -> None:
    with pytest.raises(ValueError, match="above ceiling"):
        zone(floor=parse_limit("500 ft AGL"), ceiling=parse_limit("1000 ft AMSL"),
             ground_elevation_m=300.0)  # 452 m AMSL over 305 m AMSL


def test_kind_parse() -> None:
    assert Kind.parse(" Prohibited ") is Kind.PROHIBITED
    assert {k.value for k in Kind} >= {"prohibited", "restricted", "danger", "tfr", "drone",
                                       "controlled", "fir", "custom"}
    with pytest.raises(ValueError, match="unknown zone kind 'nofly': expected one of"):
        Kind.parse("nofly")


def test_exemptions_match_ids_and_callsign_patterns() -> None:
    ex = Exemptions(frozenset({"3C6444", "rid:1581F5FJD123"}), ("SAMU*", "pol??"))
    assert ex.target_ids == frozenset({"icao:3c6444", "rid:1581F5FJD123"})
    assert ex.matches("icao:3c6444", None)
    assert ex.matches("ICAO:3C6444", None)  # the query is normalised too
    assert ex.matches("rid:1581F5FJD123", None)
    assert not ex.matches("rid:1581f5fjd123", None)  # Remote ID serials are case-sensitive
    assert ex.matches(None, "samu31 ")
    assert ex.matches("icao:000001", "POL12")
    assert not ex.matches("icao:000001", "POL123")
    assert not ex.matches(None, None)
    assert not Exemptions().matches("icao:3c6444", "SAMU31")


def test_emergency_squawks_are_reported_flagged() -> None:
    assert frozenset({"7500", "7600", "7700"}) == EMERGENCY_SQUAWKS
    ex = Exemptions()
    assert ex.is_emergency("7700") and ex.is_emergency("7500") and ex.is_emergency("7600 ")
    assert not ex.is_emergency("7000") and not ex.is_emergency(None)
    # an emergency is not an exemption: the incursion is still reported
    assert not ex.matches("icao:3c6444", "AFR123")
    off = Exemptions(emergency_squawks=False)
    assert not off.is_emergency("7700")
    assert off.empty  # no ids, no callsigns: nothing exempt


def test_exemptions_refuse_one_string_for_a_list() -> None:
    with pytest.raises(TypeError, match="lists of strings"):
        Exemptions(target_ids="3c6444")  # type: ignore[arg-type]


@pytest.mark.parametrize(("h", "la"), [(-1.0, 0.0), (0.0, -5.0), (math.nan, 0.0),
                                       (0.0, math.inf)])
def test_margins_must_be_finite_and_not_negative(h: float, la: float) -> None:
    with pytest.raises(ValueError, match="margin"):
        Margins(h, la)


def test_circle_and_corridor_records() -> None:
    with pytest.raises(ValueError, match="out of range"):
        Circle(91.0, 0.0, 100.0)
    with pytest.raises(ValueError, match="radius"):
        Circle(45.0, 0.0, 0.0)
    c = Corridor([[2.0, 48.0], [2.1, 48.1]], 500.0)  # type: ignore[arg-type]
    assert c.line == ((2.0, 48.0), (2.1, 48.1))
    with pytest.raises(ValueError, match="two points"):
        Corridor(((2.0, 48.0),), 500.0)
    with pytest.raises(ValueError, match="width"):
        Corridor(((2.0, 48.0), (2.1, 48.1)), -1.0)
    with pytest.raises(ValueError, match="circle or a corridor"):
        zone(circle=Circle(48.0, 2.0, 100.0), corridor=c)


# --- areas ----------------------------------------------------------------------------


def _true_circle_km2(lat: float, lon: float, r: float, n: int = 20_000) -> float:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lo, la, _ = WGS84.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, r))
    return abs(float(WGS84.polygon_area_perimeter(lo, la)[0])) / 1e6


@settings(max_examples=40, deadline=None)
@given(lat=st.floats(-80.0, 80.0), lon=st.floats(-180.0, 180.0), r=st.floats(50.0, 500_000.0))
def test_circle_zone_area_is_the_geodesic_circle(lat: float, lon: float, r: float) -> None:
    """Used to be pi r^2: 0.05 % too large at 500 km."""
    _, _, to_pole = WGS84.inv(lon, lat, lon, 90.0 if lat >= 0 else -90.0)
    if r > to_pole - 2000.0:
        return
    z = zone(geometry=circle_polygon(lat, lon, r), circle=Circle(lat, lon, r))
    assert z.area_km2 == pytest.approx(_true_circle_km2(lat, lon, r), rel=1e-4)


@settings(max_examples=40, deadline=None)
@given(lat=st.floats(-75.0, 75.0), lon=st.floats(-170.0, 170.0), w=st.floats(0.01, 3.0),
       h=st.floats(0.01, 3.0), reverse=st.booleans())
def test_polygon_zone_area_matches_pyproj(
    lat: float, lon: float, w: float, h: float, reverse: bool
) -> None:
    ring = [(lon, lat), (lon + w, lat), (lon + w, lat + h), (lon, lat + h), (lon, lat)]
    if reverse:
        ring.reverse()
    lo, la = zip(*ring, strict=True)
    expected = abs(float(WGS84.polygon_area_perimeter(lo, la)[0])) / 1e6
    assert zone(geometry=Polygon(ring)).area_km2 == pytest.approx(expected, rel=1e-3)


def test_multipolygon_with_hole_area() -> None:
    outer = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    hole = [(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4), (0.2, 0.2)]  # same winding
    other = [(3.0, 0.0), (3.0, 1.0), (4.0, 1.0), (4.0, 0.0), (3.0, 0.0)]  # opposite
    def ring_km2(r: list[tuple[float, float]]) -> float:
        lo, la = zip(*r, strict=True)
        return abs(float(WGS84.polygon_area_perimeter(lo, la)[0])) / 1e6
    mp = MultiPolygon([Polygon(outer, [hole]), Polygon(other)])
    expected = ring_km2(outer) - ring_km2(hole) + ring_km2(other)
    assert zone(geometry=mp).area_km2 == pytest.approx(expected, rel=1e-9)
    # the hole is honoured by containment too
    assert not mp.contains(Point(0.3, 0.3)) and mp.contains(Point(0.7, 0.7))


# --- ZoneSet ----------------------------------------------------------------------------


def test_zoneset_basics() -> None:
    a, b = zone(id="A"), zone(id="B", kind=Kind.DANGER)
    zs = ZoneSet([a, b])
    assert len(zs) == 2 and zs.ids == ["A", "B"]
    assert zs["B"] is b and zs[0] is a and "A" in zs and "C" not in zs
    assert list(zs) == [a, b]
    assert repr(zs) == "ZoneSet(2 zones)"
    with pytest.raises(ValueError, match="duplicate zone id 'A'"):
        ZoneSet([a, a])
    with pytest.raises(ValueError, match="duplicate"):
        zs.merged(ZoneSet([zone(id="A")]))
    assert zs.merged(ZoneSet([zone(id="C")])).ids == ["A", "B", "C"]


def test_equality_ignores_provenance() -> None:
    a = zone(source="a.geojson", properties={"x": 1})
    b = zone(source="b.json", properties={"y": 2})
    assert a == b and ZoneSet([a]) == ZoneSet([b])
    assert a != zone(version=2) and a.with_version(2) == zone(version=2)
    assert ZoneSet([a]) != ZoneSet([zone(id="other")])
    assert ZoneSet() == ZoneSet()


def test_to_arrow_columns() -> None:
    c = Circle(48.0, 2.0, 5000.0)
    zs = ZoneSet([
        zone(id="A", floor=parse_limit("500 ft AGL"), ceiling=parse_limit("FL95"),
             ground_elevation_m=120.0,
             schedule=Schedule(weekly=(WeeklyWindow.parse("Mon-Fri 06:00-22:00 "
                                                          "Europe/Warsaw"),)),
             exemptions=Exemptions(frozenset({"3c6444"}), ("SAMU*",), False),
             margins=Margins(500.0, 60.0), version=3),
        zone(id="B", geometry=circle_polygon(48.0, 2.0, 5000.0), circle=c),
        zone(id="C", geometry=corridor_polygon([(2.0, 48.0), (2.5, 48.0)], 1000.0),
             corridor=Corridor(((2.0, 48.0), (2.5, 48.0)), 1000.0)),
    ])
    t = zs.to_arrow()
    assert t.num_rows == 3
    d = t.to_pydict()
    assert d["id"] == ["A", "B", "C"]
    assert d["floor_m"][0] == pytest.approx(152.4) and d["floor_datum"][0] == "AGL"
    assert d["ceiling_datum"][0] == "STD" and d["ceiling_m"][1] == math.inf
    assert d["ground_elevation_m"] == [120.0, None, None]
    assert d["circle_radius_m"] == [None, 5000.0, None]
    assert d["circle_lat"][1] == 48.0 and d["circle_lon"][1] == 2.0
    assert d["exempt_target_ids"][0] == ["icao:3c6444"]
    assert d["exempt_callsigns"][0] == ["SAMU*"]
    assert d["emergency_squawks"] == [False, True, True]
    assert d["margin_m"][0] == 500.0 and d["lookahead_s"][0] == 60.0
    assert d["version"] == [3, 1, 1]
    assert t.schema.field("version").type == pa.int32()
    assert d["schedule"][0].startswith("Mon,Tue,Wed,Thu,Fri 06:00-22:00")
    from shapely import wkb
    assert wkb.loads(d["geometry_wkb"][1]).equals(zs["B"].geometry)
    assert ZoneSet().to_arrow().num_rows == 0
