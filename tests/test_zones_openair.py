"""OpenAir importer: the sample file, coordinate forms, arcs, circles, airways, limits,
activation times, and the inputs it must refuse (with file, line, airspace and record)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point

from skyfence.errors import ZoneFormatError
from skyfence.zones import Kind, Zone, ZoneSet, load_zones, openair, parse_zones
from skyfence.zones import geojson as gj

DATA = Path(__file__).parent / "data" / "zones"
SAMPLE = DATA / "openair_sample.txt"
GEOD = Geod(ellps="WGS84")
NM = 1852.0


@pytest.fixture(scope="module")
def sample() -> ZoneSet:
    return openair.parse(SAMPLE.read_text(encoding="utf-8"), str(SAMPLE))


def one(text: str) -> Zone:
    zs = openair.parse(text, "t.txt")
    assert len(zs) == 1
    return zs[0]


def fails(text: str) -> ZoneFormatError:
    with pytest.raises(ZoneFormatError) as info:
        openair.parse(text, "bad.txt")
    return info.value


HEAD = "AC R\nAN TEST\nAL SFC\nAH 2000ft AMSL\n"
SQUARE = "DP 48:00:00N 002:00:00E\nDP 48:10:00N 002:00:00E\nDP 48:10:00N 002:10:00E\n"


def test_sample_ids_kinds_and_classes(sample: ZoneSet) -> None:
    assert sample.ids == [
        "ed-r10b-todendorf-putlos-mon-sat", "para-ailertchen-edga", "LFP23", "arc-test-ctr",
        "edd-q-test-activation", "tmz-test", "airway-t1", "drone-zone-stadium",
        "drone-zone-stadium-2",
    ]
    kinds = {z.id: z.kind for z in sample}
    assert kinds["ed-r10b-todendorf-putlos-mon-sat"] is Kind.RESTRICTED
    assert kinds["para-ailertchen-edga"] is Kind.DANGER  # AY Q wins over AC UNC
    assert kinds["LFP23"] is Kind.PROHIBITED
    assert kinds["arc-test-ctr"] is Kind.CONTROLLED
    assert kinds["tmz-test"] is Kind.CUSTOM
    assert kinds["drone-zone-stadium"] is Kind.DRONE
    assert sample["LFP23"].severity == "critical"
    assert sample["tmz-test"].severity == "info"
    assert sample["para-ailertchen-edga"].properties == {
        "class": "UNC", "type": "Q", "frequency": "123.500", "station": "Ailertchen Info"}
    assert sample["tmz-test"].properties["transponder"] == "4567"
    assert sample["ed-r10b-todendorf-putlos-mon-sat"].name == "ED-R10B Todendorf-Putlos MON-SAT+"


def test_sample_limits(sample: ZoneSet) -> None:
    labels = {z.id: (z.floor.label(), z.ceiling.label()) for z in sample}
    assert labels["ed-r10b-todendorf-putlos-mon-sat"] == ("SFC", "40000 ft AMSL")
    assert labels["para-ailertchen-edga"] == ("SFC", "FL100")
    assert labels["LFP23"] == ("SFC", "2000 ft AMSL")
    assert labels["edd-q-test-activation"] == ("1000 ft AGL", "FL065")
    assert labels["tmz-test"] == ("2500 ft AMSL", "FL100")
    assert labels["drone-zone-stadium"] == ("SFC", "UNL")
    assert labels["drone-zone-stadium-2"] == ("SFC", "120 m AGL")


@pytest.mark.parametrize(("text", "label"), [
    ("SFC", "SFC"), ("GND", "SFC"), ("FL65", "FL065"), ("FL 65", "FL065"),
    ("FL65 STD", "FL065"), ("2500ft", "2500 ft AMSL"), ("2500 MSL", "2500 ft AMSL"),
    ("2500 ft AMSL", "2500 ft AMSL"), ("2500F", "2500 ft AMSL"), ("1000ft AGL", "1000 ft AGL"),
    ("1000 FT AGL", "1000 ft AGL"), ("1500m", "1500 m AMSL"), ("UNLIM", "UNL"), ("UNL", "UNL"),
    ("UNLTD", "UNL"),
])
def test_limits(text: str, label: str) -> None:
    z = one(f"AC Q\nAN L\nAL SFC\nAH {text}\n{SQUARE}") if label != "SFC" else one(
        f"AC Q\nAN L\nAL {text}\nAH FL100\n{SQUARE}")
    got = z.ceiling.label() if label != "SFC" else z.floor.label()
    assert got == label


@pytest.mark.parametrize("text", [
    "48:30:00 N 002:20:00 E", "48:30:00N 002:20:00E", "48:30.0N 2:20.0E", "48:30N 002:20E",
    "48.5N 2.3333333333E", "48.5 N 2.3333333333 E", "48:30:00N, 002:20:00E",
    "48:30:00.0 N 002:20:00.0 E",
])
def test_coordinate_forms(text: str) -> None:
    lon, lat = openair.parse_point(text)
    assert lat == pytest.approx(48.5, abs=1e-9)
    assert lon == pytest.approx(2 + 1 / 3, abs=1e-9)


def test_coordinate_hemispheres() -> None:
    assert openair.parse_point("33:52:00S 151:12:30E") == pytest.approx((151.208333, -33.866667))
    assert openair.parse_point("40:38.5N 073:46.75W") == pytest.approx((-73.779167, 40.641667))


@pytest.mark.parametrize("bad", [
    "48:75:00N 002:20:00E", "91:00:00N 002:00:00E", "48:30:00N 181:00:00E", "48:30:00 002:20:00",
    "48:30:00N", "48:3x:00N 002:20:00E", "48.5:30N 002:20:00E",
])
def test_bad_coordinates(bad: str) -> None:
    err = fails(HEAD + f"DP {bad}\n" + SQUARE)
    assert (err.where, err.line, err.field, err.item) == ("bad.txt", 5, "DP", "airspace 'TEST'")
    assert "bad.txt:5" in str(err)


def test_circle_radius_is_true_geodesic(sample: ZoneSet) -> None:
    z = sample["para-ailertchen-edga"]
    assert z.circle is not None
    assert z.circle.radius_m == pytest.approx(2 * NM)
    assert (z.circle.lat, z.circle.lon) == pytest.approx((50 + 35 / 60 + 36 / 3600, 7 + 56 / 60
                                                          + 42 / 3600))
    ring = np.asarray(z.geometry.exterior.coords)
    n = len(ring)
    _, _, dist = GEOD.inv(np.full(n, z.circle.lon), np.full(n, z.circle.lat), ring[:, 0],
                          ring[:, 1])
    assert np.allclose(dist, 2 * NM, atol=1e-3)
    assert z.area_km2 == pytest.approx(np.pi * (2 * 1.852) ** 2, rel=1e-6)


def _at(lat0: float, lon0: float, az: float, dist_m: float) -> Point:
    lon, lat, _ = GEOD.fwd(lon0, lat0, az, dist_m)
    return Point(lon, lat)


def test_arc_directions_annular_sector(sample: ZoneSet) -> None:
    g = sample["arc-test-ctr"].geometry
    # DA 10,0,90 clockwise from north to east, DB back counter-clockwise at 5 NM
    assert g.contains(_at(48.0, 2.0, 45.0, 7.5 * NM))
    assert not g.contains(_at(48.0, 2.0, 225.0, 7.5 * NM))
    assert not g.contains(_at(48.0, 2.0, 45.0, 3.0 * NM))  # inside the inner arc: a hole
    assert not g.contains(_at(48.0, 2.0, 45.0, 11.0 * NM))
    # the DB end points are vertices exactly as published
    coords = list(g.exterior.coords)
    assert (2 + 7.47 / 60, 48.0) in coords
    assert (2.0, 48 + 5 / 60) in coords


def test_arc_counter_clockwise_sweeps_the_long_way() -> None:
    base = "AC R\nAN ARC\nAL SFC\nAH FL50\nV X=48:00:00N 002:00:00E\n"
    cw = one(base + "DP 48:00:00N 002:00:00E\nDA 10,0,90\n").geometry
    ccw = one(base + "V D=-\nDP 48:00:00N 002:00:00E\nDA 10,0,90\n").geometry
    probe = _at(48.0, 2.0, 225.0, 5 * NM)
    assert not cw.contains(probe)
    assert ccw.contains(probe)
    assert ccw.area == pytest.approx(3 * cw.area, rel=0.01)


def test_direction_resets_at_each_airspace() -> None:
    text = ("AC R\nAN A\nAL SFC\nAH FL50\nV X=48:00:00N 002:00:00E\nV D=-\n"
            "DP 48:00:00N 002:00:00E\nDA 10,0,90\n"
            "AC R\nAN B\nAL SFC\nAH FL50\nV X=48:00:00N 002:00:00E\n"
            "DP 48:00:00N 002:00:00E\nDA 10,0,90\n")
    a, b = openair.parse(text, "t.txt")
    assert a.geometry.area == pytest.approx(3 * b.geometry.area, rel=0.01)


def test_airway_corridor(sample: ZoneSet) -> None:
    g = sample["airway-t1"].geometry
    assert g.contains(Point(10.25, 50.25))  # on the centre line
    # 2 NM off the line is inside a 5 NM wide airway, 3 NM is outside
    az, _, _ = GEOD.inv(10.0, 50.0, 10.5, 50.5)
    mid = GEOD.fwd(10.0, 50.0, az, 20_000)
    assert g.contains(_at(mid[1], mid[0], az + 90, 2 * NM))
    assert not g.contains(_at(mid[1], mid[0], az + 90, 3 * NM))


def test_activation_times(sample: ZoneSet) -> None:
    z = sample["edd-q-test-activation"]
    assert z.schedule.periods == (
        (datetime(2026, 5, 2, 6, tzinfo=UTC), datetime(2026, 5, 3, 0, tzinfo=UTC)),
        (datetime(2026, 5, 3, 6, tzinfo=UTC), datetime(2026, 5, 3, 18, tzinfo=UTC)),
    )
    t = np.array([datetime(2026, 5, 2, 23, 59, tzinfo=UTC).timestamp(),
                  datetime(2026, 5, 3, 3, tzinfo=UTC).timestamp()])
    assert z.schedule.active_at(t).tolist() == [True, False]
    stadium2 = sample["drone-zone-stadium-2"]
    assert stadium2.schedule.always and "AA NONE" in stadium2.remarks


def test_open_ended_activation() -> None:
    z = one(HEAD + "AA 2026-05-01T00:00Z/NONE\n" + SQUARE)
    assert z.schedule.periods[0][0] == datetime(2026, 5, 1, tzinfo=UTC)
    assert z.schedule.periods[0][1].year == 9999


def test_comments_blank_lines_and_styling_records_are_ignored() -> None:
    z = one("* header\n\n" + HEAD.replace("AN TEST", "AN TEST * inline comment")
            + "SP 0,1,0,0,255\nSB 255,0,0\nAT 48:05:00N 002:05:00E\n" + SQUARE)
    assert z.name == "TEST"


def test_geojson_round_trip(sample: ZoneSet) -> None:
    back = gj.parse(json.dumps(gj.to_geojson(sample)), "back.geojson")
    assert back.ids == sample.ids
    for a, b in zip(sample, back, strict=True):
        assert (a.name, a.kind, a.severity, a.floor, a.ceiling, a.schedule, a.circle,
                a.remarks, a.properties) == (b.name, b.kind, b.severity, b.floor, b.ceiling,
                                             b.schedule, b.circle, b.remarks, b.properties)
        assert a.geometry.equals_exact(b.geometry, 1e-12)


def test_registry_picks_openair() -> None:
    zs = parse_zones(SAMPLE.read_text(encoding="utf-8"), "zones.txt")
    assert len(zs) == 9
    assert openair.sniff(SAMPLE.read_text(encoding="utf-8"))
    assert not openair.sniff('{"type": "FeatureCollection", "features": []}')


# ---- refusals: each names the file, the line, the airspace and the record ----------------

def test_unknown_record() -> None:
    err = fails(HEAD + "XZ something\n" + SQUARE)
    assert (err.line, err.field, err.item) == (5, "XZ", "airspace 'TEST'")
    assert "unknown OpenAir record 'XZ'" in err.message


def test_unknown_variable() -> None:
    err = fails(HEAD + "V Q=1\n" + SQUARE)
    assert (err.line, err.field) == (5, "V")


def test_floor_above_ceiling() -> None:
    err = fails("\n\nAC R\nAN HIGH\nAL FL100\nAH 2000ft AMSL\n" + SQUARE)
    assert (err.where, err.line, err.field, err.item) == ("bad.txt", 5, "AL", "airspace 'HIGH'")
    assert "above ceiling" in err.message


def test_unknown_unit() -> None:
    err = fails("AC R\nAN U\nAL SFC\nAH 2000 yd\n" + SQUARE)
    assert (err.line, err.field) == (4, "AH")


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    ("AC R\nAN NOFLOOR\nAH FL50\n" + SQUARE, 1, "AL", "no floor"),
    ("AC R\nAN NOCEIL\nAL SFC\n" + SQUARE, 1, "AH", "no ceiling"),
    (HEAD + "DA 10,0,90\n", 5, "DA", "no centre"),
    (HEAD + "V X=48:00:00N 002:00:00E\nDA 10,0\n", 6, "DA", "3 comma-separated"),
    (HEAD + "V X=48:00:00N 002:00:00E\nDC 0\n", 6, "DC", "positive"),
    (HEAD + "V X=48:00:00N 002:00:00E\nDC 1\nDP 48:00:00N 002:00:00E\n", 7, "DP", "DC"),
    (HEAD + "DP 48:00:00N 002:00:00E\nDP 48:10:00N 002:00:00E\n", 5, "DP", "no shape"),
    (HEAD + "DY 48:00:00N 002:00:00E\nDY 48:10:00N 002:00:00E\n", 5, "DY", "width"),
    (HEAD + "V D=x\n" + SQUARE, 5, "V", "direction"),
    (HEAD + "AA 2026-05-02T18:00Z/2026-05-02T06:00Z\n" + SQUARE, 5, "AA", "before it starts"),
    (HEAD + "AA 2026-13-02T06:00Z/2026-05-02T18:00Z\n" + SQUARE, 5, "AA", "bad date"),
    (HEAD + "DP 48:00:00N 002:00:00E\nDP 48:10:00N 002:10:00E\nDP 48:10:00N 002:00:00E\n"
     "DP 48:00:00N 002:10:00E\n", 5, "DP", "Self-intersection"),
])
def test_refusals(text: str, line: int, field: str, words: str) -> None:
    err = fails(text)
    assert (err.where, err.line, err.field) == ("bad.txt", line, field)
    assert words in err.message


def test_record_before_first_ac_and_empty_class() -> None:
    err = fails("AN LOST\n" + HEAD + SQUARE)
    assert (err.line, err.field) == (1, "AN")
    err = fails(HEAD + SQUARE + "AC\n")
    assert (err.line, err.field) == (8, "AC")


@settings(max_examples=200, deadline=None)
@given(st.floats(-89.99, 89.99), st.floats(-179.99, 179.99))
def test_dms_and_ddm_round_trip(lat: float, lon: float) -> None:
    def dms(v: float, hemis: str, width: int) -> str:
        s = round(abs(v) * 3600)
        return f"{s // 3600:0{width}d}:{s // 60 % 60:02d}:{s % 60:02d}{hemis[v < 0]}"

    def ddm(v: float, hemis: str) -> str:
        m = round(abs(v) * 60, 3)
        return f"{int(m // 60)}:{m % 60:06.3f}{hemis[v < 0]}"

    got = openair.parse_point(f"{dms(lat, 'NS', 2)} {dms(lon, 'EW', 3)}")
    assert got == pytest.approx((lon, lat), abs=0.51 / 3600)
    got = openair.parse_point(f"{ddm(lat, 'NS')} {ddm(lon, 'EW')}")
    assert got == pytest.approx((lon, lat), abs=0.0006 / 60)


def test_duplicate_explicit_id() -> None:
    err = fails(HEAD + "AI X1\n" + SQUARE + HEAD + "AI X1\n" + SQUARE)
    assert (err.line, err.field) == (13, "AI")


def test_nothing_half_imported(tmp_path: Path) -> None:
    good = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "zones.txt"
    path.write_text(good + "\nAC R\nAN BROKEN\nAL SFC\nAH FL50\nDP 48:00:00N 002:00:00E\n")
    with pytest.raises(ZoneFormatError) as info:
        load_zones([path])
    assert info.value.where == str(path)
    assert "BROKEN" in (info.value.item or "")


def test_crlf_and_tabs() -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n").replace("DP ", "DP\t")
    assert openair.parse(text, "crlf.txt").ids == openair.parse(
        SAMPLE.read_text(encoding="utf-8"), "lf.txt").ids
