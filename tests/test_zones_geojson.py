"""GeoJSON zones: every documented property read, the exporter, the round trip, and bad
input reported with file, feature and field."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from skyfence.errors import ZoneFormatError
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
    load_zones,
    parse_limit,
    parse_zones,
)
from skyfence.zones.geojson import dumps, parse, sniff, to_geojson
from skyfence.zones.geometry import circle_polygon, corridor_polygon
from skyfence.zones.model import Corridor

SAMPLE = Path(__file__).parent / "data" / "zones" / "geojson_sample.geojson"
WGS84 = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def sample() -> ZoneSet:
    return load_zones([SAMPLE])


def test_sample_reads_every_property(sample: ZoneSet) -> None:
    assert sample.ids == ["EPR16", "ISLANDS", "DRONE-KRK", "CORRIDOR-1", "DATELINE"]
    z = sample["EPR16"]
    assert z.name == "Restricted area with a hole"
    assert z.kind is Kind.RESTRICTED and z.severity == "critical"
    assert z.floor == VerticalLimit.surface() and z.ceiling == VerticalLimit.flight_level(95)
    assert z.schedule.weekly == (WeeklyWindow.parse("Mon-Fri 06:00-22:00 Europe/Warsaw"),)
    assert z.exemptions.target_ids == frozenset({"icao:48ae21", "rid:1581F5FJD22E1"})
    assert z.exemptions.callsigns == ("SAMU*", "POL??")
    assert z.exemptions.emergency_squawks
    assert z.margins == Margins(500.0, 60.0)
    assert z.version == 2 and z.remarks == "Excerpt written for the tests"
    assert z.properties == {"operator": "test"}
    assert z.source == str(SAMPLE)
    # the feature id is used when properties have none; the hole is honoured
    assert not z.geometry.contains(Point(20.15, 52.15))
    assert z.geometry.contains(Point(20.05, 52.05))


def test_multipolygon_with_hole(sample: ZoneSet) -> None:
    z = sample["ISLANDS"]
    assert isinstance(z.geometry, MultiPolygon) and len(z.geometry.geoms) == 2
    assert z.geometry.contains(Point(18.1, 54.05)) and z.geometry.contains(Point(18.52, 54.05))
    assert not z.geometry.contains(Point(18.6, 54.05))  # in the second part's hole
    assert z.floor == parse_limit("1000 ft AMSL") and z.ceiling == parse_limit("4500 ft AMSL")
    assert z.schedule.periods == ((datetime(2026, 5, 1, 6, tzinfo=UTC),
                                   datetime(2026, 5, 31, 18, tzinfo=UTC)),)


def test_point_with_radius_is_a_geodesic_circle(sample: ZoneSet) -> None:
    z = sample["DRONE-KRK"]
    assert z.circle == Circle(50.06, 19.9, 2.5 * 1852.0)
    assert z.kind is Kind.DRONE
    assert z.ceiling.datum is Datum.AGL and z.ground_elevation_m == 219.0
    assert z.ceiling_amsl_m == pytest.approx(339.0)
    assert not z.exemptions.emergency_squawks
    # the boundary is really at 2.5 NM
    assert isinstance(z.geometry, Polygon)
    for lon, lat in list(z.geometry.exterior.coords)[:-1:17]:
        _, _, d = WGS84.inv(19.9, 50.06, lon, lat)
        assert d == pytest.approx(4630.0, abs=0.01)


def test_linestring_with_width_is_a_corridor(sample: ZoneSet) -> None:
    z = sample["CORRIDOR-1"]
    assert z.corridor == Corridor(((17.0, 51.0), (17.3, 51.1), (17.6, 51.05)), 2000.0)
    assert z.geometry.contains(Point(17.3, 51.1))
    lon, lat, _ = WGS84.fwd(17.3, 51.1, 0.0, 900.0)
    assert z.geometry.contains(Point(lon, lat))
    lon, lat, _ = WGS84.fwd(17.3, 51.1, 0.0, 1100.0)
    assert not z.geometry.contains(Point(lon, lat))
    assert z.floor_amsl_m == pytest.approx(150 + 152.4)


def test_polygon_across_the_antimeridian(sample: ZoneSet) -> None:
    g = sample["DATELINE"].geometry
    assert isinstance(g, MultiPolygon) and g.is_valid
    assert g.contains(Point(179.8, -16.5)) and g.contains(Point(-179.8, -16.5))
    assert not g.contains(Point(0.0, -16.5))


# --- the exporter and the round trip --------------------------------------------------------


def test_round_trip_of_the_sample(sample: ZoneSet) -> None:
    text = dumps(sample)
    back = parse(text, "again.geojson")
    assert back == sample
    for a, b in zip(sample, back, strict=True):
        assert a.properties == b.properties
        assert a.geometry.equals_exact(b.geometry, tolerance=0.0)
    assert dumps(back) == text  # a fixed point


def test_exporter_output(sample: ZoneSet) -> None:
    doc = to_geojson(sample)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 5
    by_id = {f["properties"]["id"]: f for f in doc["features"]}
    for f in doc["features"]:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")  # viewers draw it
        assert shape(f["geometry"]).is_valid
    p = by_id["EPR16"]["properties"]
    assert p == {
        "id": "EPR16", "name": "Restricted area with a hole", "kind": "restricted",
        "severity": "critical", "floor": "SFC", "ceiling": "FL095", "version": 2,
        "schedule": {"periods": [], "weekly": ["Mon,Tue,Wed,Thu,Fri 06:00-22:00 Europe/Warsaw"]},
        "exemptions": {"target_ids": ["icao:48ae21", "rid:1581F5FJD22E1"],
                       "callsigns": ["SAMU*", "POL??"], "emergency_squawks": True},
        "margin_m": 500.0, "lookahead_s": 60.0, "remarks": "Excerpt written for the tests",
        "operator": "test",
    }
    c = by_id["DRONE-KRK"]["properties"]
    assert (c["shape"], c["center"], c["radius_m"]) == ("circle", [19.9, 50.06], 4630.0)
    assert c["ceiling"] == "120 m AGL" and c["ground_elevation_m"] == 219.0
    k = by_id["CORRIDOR-1"]["properties"]
    assert k["shape"] == "corridor" and k["width_m"] == 2000.0
    assert k["line"] == [[17.0, 51.0], [17.3, 51.1], [17.6, 51.05]]
    d = by_id["DATELINE"]["properties"]
    assert d["ceiling"] == "FL195" and d["floor"] == "SFC"
    assert set(d) == {"id", "name", "kind", "severity", "floor", "ceiling", "version"}
    json.loads(dumps(sample))  # strict JSON: no NaN or Infinity


def test_extra_properties_never_override_known_ones() -> None:
    z = Zone("A", "A", Polygon([(0, 0), (1, 0), (1, 1)]), properties={"id": "B", "x": 1})
    props = to_geojson(ZoneSet([z]))["features"][0]["properties"]
    assert props["id"] == "A" and props["x"] == 1


lats = st.floats(-70.0, 70.0)
lons = st.floats(-179.0, 179.0)


@st.composite
def zones(draw: st.DrawFn, i: int) -> Zone:
    kind = draw(st.sampled_from(["polygon", "circle", "corridor"]))
    lat, lon = draw(lats), draw(lons)
    circle = corridor = None
    if kind == "circle":
        r = draw(st.floats(50.0, 200_000.0))
        circle = Circle(lat, lon, r)
        geom: Polygon | MultiPolygon = circle_polygon(lat, lon, r)
    elif kind == "corridor":
        dlon, dlat = draw(st.floats(0.01, 1.0)), draw(st.floats(-1.0, 1.0))
        line = ((lon, lat), (lon + dlon, lat + dlat))
        width = draw(st.floats(100.0, 10_000.0))
        corridor = Corridor(line, width)
        geom = corridor_polygon(list(line), width)
    else:
        w, h = draw(st.floats(0.001, 2.0)), draw(st.floats(0.001, 2.0))
        geom = Polygon([(lon, lat), (lon + w, lat), (lon + w, lat + h), (lon, lat + h)])
    floor = draw(st.sampled_from([VerticalLimit.surface(), parse_limit("500 ft AGL"),
                                  VerticalLimit(draw(st.floats(0.0, 1000.0)), Datum.AMSL, "m"),
                                  VerticalLimit.flight_level(draw(st.integers(1, 100)))]))
    ceiling = draw(st.sampled_from([VerticalLimit.unlimited(), VerticalLimit.flight_level(660),
                                    VerticalLimit(draw(st.floats(40_000.0, 50_000.0)),
                                                  Datum.AMSL, "ft")]))
    periods = draw(st.lists(st.tuples(st.integers(1_700_000_000, 1_800_000_000),
                                      st.integers(1, 10_000_000)), max_size=2))
    weekly = draw(st.lists(st.sampled_from([
        "Mon-Fri 06:00-22:00 Europe/Warsaw", "Sat,Sun 00:00-24:00 UTC",
        "daily 22:00-06:00 America/New_York"]), max_size=2))
    return Zone(
        id=f"Z{i}",
        name=draw(st.text(max_size=20)),
        geometry=geom,
        floor=floor,
        ceiling=ceiling,
        kind=draw(st.sampled_from(list(Kind))),
        severity=draw(st.sampled_from(["info", "warning", "critical"])),
        schedule=Schedule(
            tuple((datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(a + d, UTC))
                  for a, d in periods),
            tuple(WeeklyWindow.parse(w) for w in weekly),
        ),
        exemptions=Exemptions(
            frozenset(draw(st.lists(st.sampled_from(["3c6444", "icao:abcdef", "rid:X1"])))),
            tuple(draw(st.lists(st.sampled_from(["SAMU*", "POL??"]), unique=True))),
            draw(st.booleans()),
        ),
        margins=Margins(draw(st.floats(0.0, 5000.0)), draw(st.floats(0.0, 600.0))),
        version=draw(st.integers(1, 1000)),
        ground_elevation_m=draw(st.none() | st.floats(-400.0, 4000.0)),
        circle=circle,
        corridor=corridor,
        remarks=draw(st.text(max_size=30)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*(zones(i) for i in range(n)))))
def test_round_trip_property(zs: tuple[Zone, ...]) -> None:
    original = ZoneSet(zs)
    back = parse(dumps(original), "<round trip>")
    assert back == original


# --- shapes in their other encodings ---------------------------------------------------------


def fc(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(props: dict[str, Any], geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    if geometry is None:
        geometry = {"type": "Polygon",
                    "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    return {"type": "Feature", "properties": props, "geometry": geometry}


@pytest.mark.parametrize(("radius", "unit", "metres"),
                         [(500, "m", 500.0), (5, "km", 5000.0), (2, "NM", 3704.0),
                          (1000, "ft", 304.8), (3, "nm", 5556.0)])
def test_circle_radius_units(radius: float, unit: str, metres: float) -> None:
    zs = parse(fc(feature({"id": "C", "radius": radius, "radius_unit": unit},
                          {"type": "Point", "coordinates": [5.0, 45.0]})))
    c = zs["C"].circle
    assert c is not None and (c.lat, c.lon) == (45.0, 5.0)
    assert c.radius_m == pytest.approx(metres)


def test_single_feature_and_numeric_limits() -> None:
    doc = feature({"id": 7, "floor": 100, "ceiling": "UNL"})
    z = parse(json.dumps(doc))["7"]
    assert z.floor == VerticalLimit(100.0, Datum.AMSL, "m")  # a bare number is metres AMSL
    doc = feature({"id": "tiny", "floor": 1e-05, "ceiling": 2500.5})
    z = parse(json.dumps(doc))["tiny"]
    assert (z.floor.value_m, z.ceiling.value_m) == (1e-05, 2500.5)


def test_sniff() -> None:
    assert sniff(SAMPLE.read_text())
    assert sniff(json.dumps(feature({"id": "x"})))
    assert not sniff("AC R\nAN test\n")
    assert not sniff('{"shapes": []}')


# --- bad input ------------------------------------------------------------------------------


BAD = [
    # (feature, field, message fragment)
    (feature({"id": "X"}, {"type": "Polygon",
                           "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
     "geometry", "Self-intersection"),
    (feature({"id": "X"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
     "geometry", "outer ring is not closed"),
    (feature({"id": "X"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
     "geometry", "at least 4 positions"),
    (feature({"id": "X"}, {"type": "Polygon",
                           "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]}),
     "geometry", "latitude 95.0 out of range"),
    (feature({"id": "X"}, {"type": "Polygon",
                           "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}),
     "geometry", "longitude 200.0 out of range"),
    (feature({"id": "X"}, {"type": "Polygon",
                           "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
                                           [[2, 2], [3, 2], [3, 3], [2, 2]]]}),
     "geometry", "Hole lies outside shell"),
    (feature({"id": "X"}, {"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1],
                                                                [0, 0]]]}),
     "geometry", "expected a number"),
    (feature({"id": "X", "floor": "FL100", "ceiling": "2500 ft"}), "floor",
     "floor FL100 is above ceiling 2500 ft AMSL"),
    (feature({"id": "X", "ceiling": "2500 yd"}), "ceiling", "cannot read vertical limit"),
    (feature({"id": "X", "floor": ["SFC"]}), "floor", "expected text such as"),
    (feature({"id": "X", "radius": 5, "radius_unit": "furlong"},
             {"type": "Point", "coordinates": [5, 45]}), "radius", "unknown distance unit"),
    (feature({"id": "X", "radius": -5}, {"type": "Point", "coordinates": [5, 45]}),
     "radius", "must be positive"),
    (feature({"id": "X"}, {"type": "Point", "coordinates": [5, 45]}), "radius",
     "needs a radius"),
    (feature({"id": "X", "radius": 5}, {"type": "Point", "coordinates": [5, 91]}), "geometry",
     "latitude 91.0 out of range"),
    (feature({"id": "X", "width": 500}, {"type": "LineString", "coordinates": [[5, 45]]}),
     "geometry", "at least two points"),
    (feature({"id": "X"}, {"type": "LineString", "coordinates": [[5, 45], [6, 45]]}),
     "width", "needs a width"),
    (feature({"id": "X", "shape": "circle", "center": [5, 45]}), "radius_m",
     "needs radius_m, or radius with radius_unit"),
    (feature({"id": "X", "shape": "circle", "center": [5, 145, 3], "radius_m": 5}), "center",
     "expected [lon, lat]"),
    (feature({"id": "X", "shape": "corridor", "line": [[5, 45], [6, 45]]}), "width_m",
     "needs width_m, or width with width_unit"),
    (feature({"id": "X", "shape": "ellipse"}), "shape", "unknown shape 'ellipse'"),
    (feature({"id": "X", "schedule": {"periods": [["2026-13-01T00:00Z", "2026-12-02T00:00Z"]]}}),
     "schedule", "bad date '2026-13-01T00:00Z'"),
    (feature({"id": "X", "schedule": {"periods": [["2026-05-02T00:00Z", "2026-05-01T00:00Z"]]}}),
     "schedule", "before it starts"),
    (feature({"id": "X", "schedule": {"periods": [["2026-05-02T00:00Z"]]}}), "schedule",
     "expected [start, end]"),
    (feature({"id": "X", "schedule": "Mon-Fri SR-SS"}), "schedule",
     "sunrise/sunset times are not supported"),
    (feature({"id": "X", "schedule": {"weekly": ["Mon-Fri 06:00-22:00 Mars/Olympus"]}}),
     "schedule", "unknown timezone"),
    (feature({"id": "X", "schedule": {"daily": []}}), "schedule", "unknown schedule keys"),
    (feature({"id": "X", "kind": "nofly"}), "kind", "unknown zone kind 'nofly'"),
    (feature({"id": "X", "severity": "fatal"}), "severity", "unknown severity 'fatal'"),
    (feature({"id": "X", "version": 0}), "version", "starts at 1"),
    (feature({"id": "X", "version": "2"}), "version", "expected int, got str"),
    (feature({"id": "X", "margin_m": -5}), "margin_m", "must be a finite number >= 0"),
    (feature({"id": "X", "lookahead_s": "soon"}), "lookahead_s", "expected float"),
    (feature({"id": "X", "ground_elevation_m": "high"}), "ground_elevation_m", "expected float"),
    (feature({"id": "X", "exemptions": {"target_ids": "3c6444"}}), "exemptions",
     "must be a list of text"),
    (feature({"id": "X", "exemptions": {"squawks": []}}), "exemptions",
     "unknown exemption keys"),
    (feature({"id": "X", "name": 5}), "name", "expected str, got int"),
    (feature({"name": "no id"}), "id", "every zone needs an id"),
    (feature({"id": "X"}, {"type": "GeometryCollection", "geometries": []}), "geometry",
     "unsupported geometry 'GeometryCollection'"),
    ({"type": "Feature", "properties": {"id": "X"}}, "geometry", "missing geometry"),
]


@pytest.mark.parametrize(("feat", "field", "message"), BAD,
                         ids=[f"{b[1]}:{b[2][:30]}" for b in BAD])
def test_bad_features_name_file_feature_and_field(
    tmp_path: Path, feat: dict[str, Any], field: str, message: str
) -> None:
    good = feature({"id": "OK"})
    path = tmp_path / "zones.geojson"
    path.write_text(fc(good, feat))
    with pytest.raises(ZoneFormatError) as err:
        load_zones([path])
    e = err.value
    assert e.where == str(path)
    assert e.item is not None and e.item.startswith("feature 2")
    assert e.field == field
    assert message in e.message
    text = str(e)
    assert str(path) in text and "feature 2" in text and f"field {field!r}" in text


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{\n "type": "FeatureCollection",\n "features": [\n  {"type": }\n ]\n}\n')
    with pytest.raises(ZoneFormatError, match=r"broken.geojson:4: not valid JSON") as err:
        parse_zones(path.read_text(), str(path), fmt="geojson")
    assert err.value.line == 4


@pytest.mark.parametrize(
    ("doc", "message"),
    [({"type": "Topology"}, "expected type FeatureCollection or Feature"),
     ({"type": "FeatureCollection", "features": {}}, "'features' must be a list"),
     ([1, 2], "expected a GeoJSON object"),
     ({"type": "FeatureCollection", "features": [5]}, "expected a GeoJSON Feature")],
)
def test_bad_documents(doc: Any, message: str) -> None:
    with pytest.raises(ZoneFormatError, match=message):
        parse(json.dumps(doc), "x.geojson")


def test_duplicate_ids_name_both_features() -> None:
    with pytest.raises(ZoneFormatError) as err:
        parse(fc(feature({"id": "A"}), feature({"id": "B"}), feature({"id": "A"})), "d.json")
    assert err.value.item == "feature 3" and err.value.field == "id"
    assert "first used by feature 1" in err.value.message


def test_nan_and_infinity_are_refused() -> None:
    # Python's json reads NaN and Infinity; a zone must not
    text = fc(feature({"id": "X", "radius": math.nan}, {"type": "Point", "coordinates": [5, 45]}))
    with pytest.raises(ZoneFormatError, match="finite"):
        parse(text)
    text = fc(feature({"id": "X", "margin_m": math.inf}))
    with pytest.raises(ZoneFormatError, match="margin"):
        parse(text)


# --- the registry -------------------------------------------------------------------------


def test_load_zones_merges_files_and_refuses_duplicates(tmp_path: Path) -> None:
    a, b = tmp_path / "a.geojson", tmp_path / "b.json"
    a.write_text(fc(feature({"id": "A"})))
    b.write_text(fc(feature({"id": "B"})))
    assert load_zones([a, b]).ids == ["A", "B"]
    b.write_text(fc(feature({"id": "A"})))
    with pytest.raises(ZoneFormatError, match="zone id 'A' already defined") as err:
        load_zones([a, b])
    assert err.value.where == str(b)


def test_load_zones_errors(tmp_path: Path) -> None:
    with pytest.raises(ZoneFormatError, match="cannot read"):
        load_zones([tmp_path / "missing.geojson"])
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    with pytest.raises(ZoneFormatError, match="not a zone file in any known format"):
        load_zones([junk])
    with pytest.raises(ZoneFormatError, match="unknown zone format 'kml'"):
        parse_zones("{}", "x", fmt="kml")
