"""EUROCONTROL FIR files and traffic's airspace JSON, on the real files shipped in the
``traffic`` package (skipped when it is not installed) and on a small excerpt."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod
from shapely.geometry import Point, Polygon, shape

from skyfence.errors import ZoneFormatError
from skyfence.zones import Datum, Kind, VerticalLimit, load_zones, parse_limit
from skyfence.zones.fir import parse, sniff
from skyfence.zones.geojson import dumps
from skyfence.zones.geojson import parse as parse_geojson
from skyfence.zones.vertical import FT

EXCERPT = Path(__file__).parent / "data" / "zones" / "fir_eurofirs_excerpt.json"
WGS84 = Geod(ellps="WGS84")

EUROFIR_IDS = {
    "EBBU", "LIMM", "LFMM", "LPPO", "UKBV", "EISN", "EVRR", "UKFV", "UKOV", "LLLL", "LFBB",
    "LFEE", "EETT", "LSAS", "EKDK", "LTBB", "LHCC", "ESAA", "LFRR", "LQSB", "LFFF", "EGPX",
    "EPWW", "EYVL", "LRBB", "LZBB", "LTAA", "LKAA", "LWSS", "LUUU", "UGGG", "EHAA", "UKDV",
    "LIRR", "LBSR", "EDWW", "GCCC", "LAAA", "EDGG", "LMMM", "LECB", "LIBB", "EFIN", "UKLV",
    "LECM", "LPPC", "ENOR", "ENOB", "EGTT", "LGGG", "EDMM", "LJLA", "LOVV", "UDDD", "LDZO",
    "LYBA", "EGGX", "LCCC",
}


@pytest.fixture(scope="module")
def eurofirs_path(traffic_data: Path) -> Path:
    path = traffic_data / "eurocontrol" / "eurofirs.json"
    if not path.exists():
        pytest.skip(f"this version of traffic has no {path.name}")
    return path


@pytest.fixture(scope="module")
def eurofirs(eurofirs_path: Path) -> Any:
    return load_zones([eurofirs_path])


@pytest.fixture(scope="module")
def raw_firs(eurofirs_path: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(eurofirs_path.read_text())
    return {f["properties"]["IDENT"]: f for f in doc["features"]}


def test_all_58_firs(eurofirs: Any, raw_firs: dict[str, dict[str, Any]]) -> None:
    assert len(eurofirs) == 58
    assert set(eurofirs.ids) == EUROFIR_IDS
    for z in eurofirs:
        assert z.kind is Kind.FIR and z.severity == "info"
        assert z.name == raw_firs[z.id]["properties"]["NAME"]
        assert z.properties["icao"] == raw_firs[z.id]["properties"]["ICAO"]
        assert z.properties["effective"] == "30-04-2015"
        assert z.geometry.is_valid
        minx, miny, maxx, maxy = z.geometry.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def test_names(eurofirs: Any) -> None:
    assert eurofirs["EBBU"].name == "BRUSSELS FIR"
    assert eurofirs["LDZO"].name == "ZAGREB FIR/UIR"
    assert eurofirs["UKLV"].name == "L'VIV FIR"
    assert eurofirs["LKAA"].name == "FIR PRAHA"


def test_brussels_is_sfc_to_fl195(eurofirs: Any) -> None:
    z = eurofirs["EBBU"]
    assert z.floor == VerticalLimit.surface()
    assert z.ceiling == VerticalLimit.flight_level(195)
    assert z.ceiling.datum is Datum.STD and z.ceiling.value_m == pytest.approx(5943.6)
    assert (z.floor.label(), z.ceiling.label()) == ("SFC", "FL195")
    # Brussels is in it, Paris is not
    assert z.geometry.contains(Point(4.35, 50.85)) and not z.geometry.contains(Point(2.35, 48.86))


def test_yerevan_has_an_11500_ft_floor(eurofirs: Any) -> None:
    floors = {z.id: z.floor for z in eurofirs if z.floor.datum is not Datum.SFC}
    assert list(floors) == ["UDDD"]
    assert floors["UDDD"] == parse_limit("11500 ft AMSL")
    assert floors["UDDD"].value_m == pytest.approx(11500 * FT)
    assert eurofirs["UDDD"].ceiling == VerticalLimit.unlimited()


def test_999_is_unlimited(eurofirs: Any, raw_firs: dict[str, dict[str, Any]]) -> None:
    unl = {z.id for z in eurofirs if z.ceiling.datum is Datum.UNL}
    nines = {k for k, f in raw_firs.items() if f["properties"]["UPPERLIMIT"] == "999"}
    assert unl == nines and len(unl) == 19
    assert all(eurofirs[i].ceiling_amsl_m == math.inf for i in unl)
    # every other ceiling is a flight level as written
    for z in eurofirs:
        if z.id not in unl:
            assert z.ceiling == VerticalLimit.flight_level(
                float(raw_firs[z.id]["properties"]["UPPERLIMIT"]))


def test_m_lower_unit(eurofirs: Any, raw_firs: dict[str, dict[str, Any]]) -> None:
    metres = {k for k, f in raw_firs.items() if f["properties"]["LOWERUNIT"] == "M"}
    assert metres == {"UKBV", "UKFV", "UKOV", "UKDV", "UKLV"}  # the Ukrainian FIRs
    for ident in metres:
        assert eurofirs[ident].floor == VerticalLimit.surface()  # 0 M is the surface


def test_areas_match_pyproj(eurofirs: Any, raw_firs: dict[str, dict[str, Any]]) -> None:
    for ident in ("EBBU", "LFFF", "EGTT", "LPPO", "UDDD"):
        g = shape(raw_firs[ident]["geometry"])
        assert isinstance(g, Polygon)
        lon, lat = g.exterior.coords.xy
        expected = abs(WGS84.polygon_area_perimeter(lon, lat)[0]) / 1e6
        assert eurofirs[ident].area_km2 == pytest.approx(expected, rel=1e-3)
    # Belgium (30,700 km2) and its part of the North Sea
    assert 33_000 < eurofirs["EBBU"].area_km2 < 38_000


def test_firs_round_trip_through_geojson(eurofirs: Any) -> None:
    back = parse_geojson(dumps(eurofirs), "firs.geojson")
    assert back == eurofirs
    assert back["UDDD"].floor.to_text() == "11500 ft AMSL"


# --- traffic's airspace JSON --------------------------------------------------------------


@pytest.fixture(scope="module")
def lfbo_path(traffic_data: Path) -> Path:
    path = traffic_data / "samples" / "airspaces" / "LFBOTMA.json"
    if not path.exists():
        pytest.skip(f"this version of traffic has no {path.name}")
    return path


def test_lfbotma_sample(lfbo_path: Path) -> None:
    zs = load_zones([lfbo_path])
    # the file is named for the Toulouse-Blagnac (LFBO) area; it holds "SIV TOULOUSE"
    assert zs.ids == ["SIV_TOULOUSE-1", "SIV_TOULOUSE-2", "SIV_TOULOUSE-3"]
    assert [z.name for z in zs] == ["SIV TOULOUSE 1", "SIV TOULOUSE 2", "SIV TOULOUSE 3"]
    assert [(z.floor.label(), z.ceiling.label()) for z in zs] == [
        ("SFC", "FL065"), ("FL065", "FL115"), ("FL115", "FL145")]
    for z in zs:
        assert z.kind is Kind.CONTROLLED and z.properties["type"] == "AUA"
        assert z.geometry.is_valid
        assert 20_000 < z.area_km2 < 40_000
    # the layers stack: each floor is the ceiling below
    assert zs[1].floor == zs[0].ceiling and zs[2].floor == zs[1].ceiling
    # Toulouse-Blagnac is under the lowest layer
    assert zs[0].geometry.contains(Point(1.367, 43.629))
    assert parse_geojson(dumps(zs)) == zs


# --- the excerpt, with or without traffic -------------------------------------------------


def test_excerpt() -> None:
    zs = load_zones([EXCERPT])
    assert sorted(zs.ids) == ["EGTT", "ENOB", "LFRR", "UKFV"]
    assert zs["LFRR"].ceiling == VerticalLimit.flight_level(195)
    assert zs["ENOB"].ceiling == VerticalLimit.unlimited()
    assert zs["UKFV"].floor == VerticalLimit.surface()
    assert zs["EGTT"].ceiling.label() == "FL245"
    assert zs["EGTT"].geometry.contains(Point(-0.12, 51.5))  # London


def test_sniffed_before_plain_geojson() -> None:
    text = EXCERPT.read_text()
    assert sniff(text)
    assert load_zones([EXCERPT])["LFRR"].kind is Kind.FIR  # not read as plain GeoJSON


# --- limits and errors ----------------------------------------------------------------------


def fir(**props: Any) -> dict[str, Any]:
    base = {"IDENT": "XXXX", "NAME": "TEST FIR", "TYPE": "FIR", "UPPERLIMIT": "195",
            "UPPERUNIT": "FL", "LOWERLIMIT": "0", "LOWERUNIT": "FT"}
    base.update(props)
    return {"type": "Feature", "properties": base, "geometry": {
        "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}


def firs(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


@pytest.mark.parametrize(
    ("lower", "unit", "expected"),
    [("0", "M", VerticalLimit.surface()), ("300", "M", VerticalLimit(300.0, Datum.AMSL, "m")),
     ("11500", "FT", parse_limit("11500 ft AMSL")), ("45", "FL", VerticalLimit.flight_level(45)),
     (2500, "F", parse_limit("2500 ft AMSL"))],
)
def test_lower_limits(lower: Any, unit: str, expected: VerticalLimit) -> None:
    z = parse(firs(fir(LOWERLIMIT=lower, LOWERUNIT=unit)))["XXXX"]
    assert z.floor == expected


def test_uir_gets_its_own_id() -> None:
    zs = parse(firs(fir(), fir(TYPE="UIR", LOWERLIMIT="195", LOWERUNIT="FL",
                               UPPERLIMIT="999")))
    assert zs.ids == ["XXXX", "XXXX-UIR"]
    assert zs["XXXX-UIR"].floor == VerticalLimit.flight_level(195)


@pytest.mark.parametrize(
    ("feature", "field", "message"),
    [
        (fir(LOWERUNIT="KM", LOWERLIMIT="3"), "LOWERLIMIT", "unknown unit 'KM'"),
        (fir(UPPERLIMIT="lots"), "UPPERLIMIT", "expected a number"),
        (fir(UPPERLIMIT=None), "UPPERLIMIT", "expected a number"),
        (fir(LOWERLIMIT="300", UPPERLIMIT="2"), "LOWERLIMIT", "above ceiling"),
        (fir(IDENT=""), "IDENT", "missing IDENT"),
        ({**fir(), "geometry": {"type": "Polygon",
                                "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
         "geometry", "Self-intersection"),
        ({**fir(), "geometry": None}, "geometry", "missing geometry"),
    ],
)
def test_bad_firs(feature: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ZoneFormatError) as err:
        parse(firs(fir(IDENT="GOOD"), feature), "firs.json")
    e = err.value
    assert e.where == "firs.json" and e.field == field and message in e.message
    assert e.item is not None and e.item.startswith("feature 2")


def test_bad_fir_documents() -> None:
    with pytest.raises(ZoneFormatError, match="expected a FeatureCollection of FIRs"):
        parse("[]", "x.json")
    with pytest.raises(ZoneFormatError, match="expected a GeoJSON Feature"):
        parse(firs("nonsense"), "x.json")  # type: ignore[arg-type]
    with pytest.raises(ZoneFormatError, match="duplicate zone id 'XXXX'"):
        parse(firs(fir(), fir()), "x.json")
    with pytest.raises(ZoneFormatError, match="'shapes' must be a non-empty list"):
        parse('{"name": "A", "shapes": []}', "a.json")
    with pytest.raises(ZoneFormatError, match=r"shape 1.*field 'upper'.*expected a number"):
        parse('{"name": "A", "shapes": [{"lower": 0, "upper": "x", "polygon": {}}]}', "a.json")
