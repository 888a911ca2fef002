"""ED-269 and ED-318 UAS geographical zones: mapping, volumes, circles, applicability, vertical
references, GeoJSON round trip, and the refusals (file, feature and field)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Geod

from skyfence.errors import ZoneFormatError
from skyfence.zones import Kind, ZoneSet, ed269, load_zones, parse_zones
from skyfence.zones import geojson as gj

DATA = Path(__file__).parent / "data" / "zones"
ED269 = DATA / "ed269_sample.json"
ED318 = DATA / "ed318_sample.json"
GEOD = Geod(ellps="WGS84")


def doc269() -> dict[str, Any]:
    d: dict[str, Any] = json.loads(ED269.read_text(encoding="utf-8"))
    return d


def doc318() -> dict[str, Any]:
    d: dict[str, Any] = json.loads(ED318.read_text(encoding="utf-8"))
    return d


@pytest.fixture(scope="module")
def zs269() -> ZoneSet:
    return ed269.parse(ED269.read_text(encoding="utf-8"), str(ED269))


@pytest.fixture(scope="module")
def zs318() -> ZoneSet:
    return ed269.parse(ED318.read_text(encoding="utf-8"), str(ED318))


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def fails(doc: Any) -> ZoneFormatError:
    with pytest.raises(ZoneFormatError) as info:
        ed269.parse(json.dumps(doc), "bad.json")
    return info.value


def test_ed269_mapping(zs269: ZoneSet) -> None:
    assert zs269.ids == ["CHE0001", "CHE0002-1", "CHE0002-2", "CHE0003-1", "CHE0003-2"]
    assert {z.kind for z in zs269} == {Kind.DRONE}
    assert [z.severity for z in zs269] == ["critical", "warning", "warning", "info", "info"]
    m = zs269["CHE0001"]
    assert m.name == "Montreux concert area"
    assert (m.floor.label(), m.ceiling.label()) == ("SFC", "1000 m AMSL")
    assert m.properties["restriction"] == "PROHIBITED"
    assert m.properties["country"] == "CHE"
    assert m.properties["zoneAuthority"][0]["purpose"] == "AUTHORIZATION"
    assert m.remarks == "Concert area - no flights during active times"
    lau = zs269["CHE0003-1"]
    assert (lau.floor.label(), lau.ceiling.label()) == ("30 m AGL", "150 m AGL")
    assert lau.schedule.always


def test_ed269_circles_and_units(zs269: ZoneSet) -> None:
    near, far = zs269["CHE0002-1"], zs269["CHE0002-2"]
    assert near.circle is not None and far.circle is not None
    assert near.circle.radius_m == pytest.approx(1000.0)
    assert far.circle.radius_m == pytest.approx(9843 * 0.3048)  # uomDimensions FT
    assert far.ceiling.label() == "400 ft AGL"
    assert (far.circle.lon, far.circle.lat) == (7.6775, 46.6128)  # [lon, lat]
    ring = np.asarray(far.geometry.exterior.coords)
    _, _, dist = GEOD.inv(np.full(len(ring), 7.6775), np.full(len(ring), 46.6128),
                          ring[:, 0], ring[:, 1])
    assert np.allclose(dist, 9843 * 0.3048, atol=1e-3)


def test_ed269_schedule(zs269: ZoneSet) -> None:
    s = zs269["CHE0001"].schedule
    assert [w.label() for w in s.weekly] == ["Sat,Sun 16:00-23:00 UTC"]
    t = np.array([ts(2026, 6, 20, 17), ts(2026, 6, 22, 17), ts(2026, 6, 13, 17)])
    assert s.active_at(t).tolist() == [True, False, False]  # Sat in, Mon out, before start
    assert zs269["CHE0002-1"].schedule.periods == (
        (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),)


def test_ed269_utc_offset_and_open_end() -> None:
    d = doc269()
    d["features"][0]["applicability"] = [{
        "permanent": "NO", "startDateTime": "2026-06-15T00:00:00Z",
        "schedule": [{"day": ["ANY"], "startTime": "08:00+02:00", "endTime": "10:00+02:00"}]}]
    z = ed269.parse(json.dumps(d), "t.json")["CHE0001"]
    assert z.schedule.weekly[0].tz == "Etc/GMT-2"
    assert z.schedule.periods[0][1].year == 9999
    assert z.schedule.active_at(np.array([ts(2026, 6, 16, 6, 30), ts(2026, 6, 16, 8, 30)])
                                ).tolist() == [True, False]


def test_ed269_bare_list_accepted() -> None:
    zs = ed269.parse(json.dumps(doc269()["features"][:1]), "t.json")
    assert zs.ids == ["CHE0001"]


def test_ed318_mapping(zs318: ZoneSet) -> None:
    assert zs318.ids == ["DEU0101", "DEU0102-1", "DEU0102-2", "DEU0103"]
    assert [z.severity for z in zs318] == ["critical", "warning", "warning", "info"]
    assert zs318["DEU0101"].name == "Prison"  # the English text of the name list
    assert zs318["DEU0101"].remarks == "Flights prohibited"
    s1, s2 = zs318["DEU0102-1"], zs318["DEU0102-2"]
    assert s1.circle is not None and s1.circle.radius_m == 1000.0  # extent radius: metres
    assert s2.circle is not None and s2.circle.radius_m == 3000.0
    assert s1.ceiling.label() == "492 ft AMSL"
    assert "WGS84" in s1.remarks and "WGS84" not in s2.remarks
    assert (s2.floor.label(), s2.ceiling.label()) == ("50 m AGL", "120 m AGL")
    assert [w.label() for w in s1.schedule.weekly] == ["Sat 12:00-20:00 UTC"]
    assert zs318["DEU0101"].schedule.always
    nature = zs318["DEU0103"]
    assert nature.geometry.geom_type == "MultiPolygon"
    assert "sunrise/sunset" in nature.remarks
    assert nature.schedule.active_at(np.array([ts(2026, 12, 21, 2)])).tolist() == [True]


@pytest.mark.parametrize("path", [ED269, ED318])
def test_geojson_round_trip(path: Path) -> None:
    zs = ed269.parse(path.read_text(encoding="utf-8"), str(path))
    back = gj.parse(json.dumps(gj.to_geojson(zs)), "back.geojson")
    for a, b in zip(zs, back, strict=True):
        assert (a.id, a.name, a.kind, a.severity, a.floor, a.ceiling, a.schedule, a.circle,
                a.remarks, a.properties) == (b.id, b.name, b.kind, b.severity, b.floor,
                                             b.ceiling, b.schedule, b.circle, b.remarks,
                                             b.properties)
        assert a.geometry.equals_exact(b.geometry, 1e-12)


def test_registry_picks_ed269_not_plain_geojson(zs269: ZoneSet) -> None:
    assert parse_zones(ED269.read_text(encoding="utf-8"), "zones.json").ids == zs269.ids
    assert len(parse_zones(ED318.read_text(encoding="utf-8"), "zones.json")) == 4
    plain = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "id": "x"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]}
    assert not ed269.sniff(json.dumps(plain))


# ---- refusals ---------------------------------------------------------------------------

def _vol(d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(d)
    d["features"][0]["geometry"][0].update(changes)
    return d


@pytest.mark.parametrize(("doc", "field", "words"), [
    (_vol(doc269(), uomDimensions="KM"), "geometry[1].uomDimensions", "unknown unit"),
    (_vol(doc269(), upperVerticalReference="QNH"), "geometry[1].upperLimit",
     "vertical reference"),
    (_vol(doc269(), lowerLimit="low"), "geometry[1].lowerLimit", "expected a number"),
    (_vol(doc269(), lowerLimit=2000, lowerVerticalReference="AMSL"), "geometry[1].lowerLimit",
     "above ceiling"),
    (_vol(doc269(), horizontalProjection={"type": "Circle", "center": [46.4, 196.9],
                                          "radius": 500}),
     "geometry[1].horizontalProjection", "out of range"),
    (_vol(doc269(), horizontalProjection={"type": "Polygon", "coordinates": [[
        [6.0, 95.0], [6.1, 46.0], [6.1, 46.1], [6.0, 95.0]]]}),
     "geometry[1].horizontalProjection", "latitude out of range"),
    (_vol(doc269(), horizontalProjection={"type": "Ellipse"}),
     "geometry[1].horizontalProjection", "unsupported projection"),
])
def test_volume_refusals(doc: dict[str, Any], field: str, words: str) -> None:
    err = fails(doc)
    assert (err.where, err.item, err.field) == ("bad.json", "feature 1 (CHE0001)", field)
    assert words in err.message


def _applic(entry: dict[str, Any]) -> dict[str, Any]:
    d = doc269()
    d["features"][0]["applicability"] = [entry]
    return d


@pytest.mark.parametrize(("entry", "words"), [
    ({"permanent": "NO", "startDateTime": "2026-13-01T00:00:00Z",
      "endDateTime": "2026-12-01T00:00:00Z"}, "bad date"),
    ({"permanent": "NO", "startDateTime": "2026-12-01T00:00:00Z",
      "endDateTime": "2026-11-01T00:00:00Z"}, "before it starts"),
    ({"permanent": "MAYBE"}, "YES or NO"),
    ({"permanent": "YES", "schedule": [{"day": ["MONDAY"], "startTime": "08:00Z",
                                        "endTime": "09:00Z"}]}, "bad day"),
    ({"permanent": "YES", "schedule": [{"day": ["MON"], "startTime": "25:00Z",
                                        "endTime": "09:00Z"}]}, "bad time"),
    ({"permanent": "YES", "schedule": [{"day": ["MON"], "startTime": "08:00+05:30",
                                        "endTime": "09:00+05:30"}]}, "whole-hour"),
])
def test_applicability_refusals(entry: dict[str, Any], words: str) -> None:
    err = fails(_applic(entry))
    assert (err.item, err.field) == ("feature 1 (CHE0001)", "applicability")
    assert words in err.message


def test_feature_refusals() -> None:
    d = doc269()
    d["features"][1]["restriction"] = "FORBIDDEN"
    err = fails(d)
    assert (err.item, err.field) == ("feature 2 (CHE0002)", "restriction")
    d = doc269()
    del d["features"][2]["identifier"]
    assert (fails(d).item, fails(d).field) == ("feature 3", "identifier")
    d = doc269()
    d["features"][0]["geometry"] = []
    assert fails(d).field == "geometry"
    assert fails({"title": "x"}).field == "features"
    with pytest.raises(ZoneFormatError) as info:
        ed269.parse("{not json", "bad.json")
    assert info.value.line == 1


def test_ed318_refusals() -> None:
    d = doc318()
    del d["features"][0]["geometry"]["layer"]
    err = fails(d)
    assert (err.item, err.field) == ("feature 1 (DEU0101)", "geometry.layer")
    d = doc318()
    d["features"][1]["geometry"]["geometries"][1]["layer"]["uom"] = "yd"
    err = fails(d)
    assert (err.item, err.field) == ("feature 2 (DEU0102)", "geometry.geometries[2].layer.uom")
    d = doc318()
    d["features"][1]["geometry"]["geometries"][0]["layer"]["lower"] = 600
    d["features"][1]["geometry"]["geometries"][0]["layer"]["lowerReference"] = "AMSL"
    err = fails(d)
    assert err.field == "geometry.geometries[1].layer.lower" and "above" in err.message
    d = doc318()
    d["features"][0]["properties"]["type"] = "COMMON"
    assert fails(d).field == "type"
    d = doc318()
    d["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]],
                                    "layer": d["features"][0]["geometry"]["layer"]}
    assert "unsupported geometry" in fails(d).message


def test_nothing_half_imported(tmp_path: Path) -> None:
    d = doc269()
    d["features"][2]["geometry"][0]["uomDimensions"] = "NM"
    path = tmp_path / "zones.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ZoneFormatError) as info:
        load_zones([path])
    assert info.value.where == str(path) and info.value.item == "feature 3 (CHE0003)"
