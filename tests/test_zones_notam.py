"""NOTAM importer: Q line, validity, simple and complex D) schedules, shapes from E), F)/G)
limits, replacement and cancellation, and the refusals (file, line, NOTAM and item)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from skyfence.errors import ZoneFormatError
from skyfence.zones import Kind, ZoneSet, load_zones, notam, parse_zones
from skyfence.zones import geojson as gj

DATA = Path(__file__).parent / "data" / "zones"
SAMPLE = DATA / "notam_sample.notam"
GEOD = Geod(ellps="WGS84")
NM = 1852.0


@pytest.fixture(scope="module")
def sample() -> ZoneSet:
    return notam.parse(SAMPLE.read_text(encoding="utf-8"), str(SAMPLE))


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def make(q: str = "EPWW/QRTCA/IV/BO/W/000/120/5213N02100E005", b: str = "2605010600",
         c: str = "2605312200", rest: str = "E) TEST AREA.", ident: str = "A0001/26") -> str:
    return f"({ident} NOTAMN\nQ) {q}\nA) EPWW B) {b} C) {c}\n{rest})\n"


def fails(text: str) -> ZoneFormatError:
    with pytest.raises(ZoneFormatError) as info:
        notam.parse(text, "bad.notam")
    return info.value


def test_sample_ids_kinds_limits(sample: ZoneSet) -> None:
    assert sample.ids == ["A1234/26", "A1235/26", "B0456/26", "C0789/26", "C0790/26",
                          "A1240/26"]
    kinds = {z.id: z.kind for z in sample}
    assert kinds == {"A1234/26": Kind.TFR, "A1235/26": Kind.PROHIBITED,
                     "B0456/26": Kind.DANGER, "C0789/26": Kind.DANGER,
                     "C0790/26": Kind.RESTRICTED, "A1240/26": Kind.TFR}
    assert sample["A1235/26"].severity == "critical"
    assert sample["C0790/26"].severity == "warning"
    # F)/G) override the Q line's FL000/FL120; without them the Q line is used
    a = sample["A1234/26"]
    assert (a.floor.label(), a.ceiling.label()) == ("SFC", "12000 ft AMSL")
    c = sample["C0789/26"]
    assert (c.floor.label(), c.ceiling.label()) == ("SFC", "FL050")
    assert sample["B0456/26"].ceiling.label() == "FL065"
    assert a.properties["qcode"] == "QRTCA"
    assert a.properties["fir"] == "EPWW"
    assert a.properties["locations"] == ["EPWW"]
    assert a.name == "NOTAM A1234/26 EPWW"
    assert a.remarks.startswith("TEMPORARY RESTRICTED AREA EP R42")


def test_validity_and_weekly_schedule(sample: ZoneSet) -> None:
    s = sample["A1234/26"].schedule
    assert s.periods == ((datetime(2026, 5, 1, 6, tzinfo=UTC),
                          datetime(2026, 5, 31, 22, tzinfo=UTC)),)
    assert [w.label() for w in s.weekly] == ["Mon,Tue,Wed,Thu,Fri 06:00-22:00 UTC"]
    t = np.array([
        ts(2026, 5, 4, 7),    # Monday, in the window
        ts(2026, 5, 4, 23),   # Monday night
        ts(2026, 5, 9, 7),    # Saturday
        ts(2026, 4, 27, 7),   # Monday before B)
        ts(2026, 6, 1, 7),    # Monday after C)
    ])
    assert s.active_at(t).tolist() == [True, False, False, False, False]


def test_complex_d_kept_as_text_and_active_all_period(sample: ZoneSet) -> None:
    for zid in ("C0789/26", "C0790/26"):
        z = sample[zid]
        assert z.schedule.weekly == ()
        assert "kept as text" in z.remarks and "whole of B)-C)" in z.remarks
    assert "SR-SS" in sample["C0790/26"].remarks
    s = sample["C0790/26"].schedule
    assert s.active_at(np.array([ts(2026, 6, 3, 2), ts(2026, 6, 16)])).tolist() == [True, False]


@pytest.mark.parametrize(("d", "labels"), [
    ("H24", []),
    ("DAILY 0700-1500", ["Mon,Tue,Wed,Thu,Fri,Sat,Sun 07:00-15:00 UTC"]),
    ("0600-1800", ["Mon,Tue,Wed,Thu,Fri,Sat,Sun 06:00-18:00 UTC"]),
    ("MON-FRI 0600-1000 1400-1800, SAT 0800-1200",
     ["Mon,Tue,Wed,Thu,Fri 06:00-10:00 UTC", "Mon,Tue,Wed,Thu,Fri 14:00-18:00 UTC",
      "Sat 08:00-12:00 UTC"]),
    ("SAT SUN 2200-0400", ["Sat,Sun 22:00-04:00 UTC"]),
    ("TUE, THU 0900-1100", ["Tue,Thu 09:00-11:00 UTC"]),
])
def test_simple_d_schedules(d: str, labels: list[str]) -> None:
    z = notam.parse(make(rest=f"D) {d}\nE) TEST."), "t.notam")[0]
    assert [w.label() for w in z.schedule.weekly] == labels
    assert "kept as text" not in z.remarks


def test_shape_from_q_line_circle(sample: ZoneSet) -> None:
    z = sample["A1234/26"]
    assert z.circle is not None
    assert (z.circle.lat, z.circle.lon, z.circle.radius_m) == pytest.approx(
        (52 + 13 / 60, 21.0, 5 * NM))
    ring = np.asarray(z.geometry.exterior.coords)
    _, _, dist = GEOD.inv(np.full(len(ring), 21.0), np.full(len(ring), 52 + 13 / 60),
                          ring[:, 0], ring[:, 1])
    assert np.allclose(dist, 5 * NM, atol=1e-3)


def test_shape_from_e_polygon(sample: ZoneSet) -> None:
    z = sample["A1235/26"]
    assert z.circle is None
    got = sorted(set(z.geometry.exterior.coords))
    want = sorted([(21.0, 52 + 13 / 60), (21.0, 52.25), (21.05, 52.25), (21.05, 52 + 13 / 60)])
    assert np.allclose(got, want, atol=1e-12)


def test_shape_from_e_circle(sample: ZoneSet) -> None:
    z = sample["B0456/26"]
    assert z.circle is not None  # E) radius 2 NM wins over the Q line's 3 NM
    assert z.circle.radius_m == pytest.approx(2 * NM)
    assert (z.circle.lat, z.circle.lon) == pytest.approx(
        (50 + 35 / 60 + 36 / 3600, 7 + 56 / 60 + 42 / 3600))


@pytest.mark.parametrize(("e", "radius_m", "lat"), [
    ("E) PJE WI 2NM RADIUS OF 503536N0075642E.", 2 * NM, 50 + 35 / 60 + 36 / 3600),
    ("E) UAS FLIGHTS WI RADIUS 500M CENTRED ON 5213N02100E.", 500.0, 52 + 13 / 60),
    ("E) AREA RADIUS 1.5KM CENTERED ON 5200N02000E REF 5213N02100E.", 1500.0, 52.0),
    ("E) CRANE PSN 521300N0210000E HGT 300FT.", 5 * NM, 52 + 13 / 60),  # Q) circle
])
def test_e_circle_phrasings(e: str, radius_m: float, lat: float) -> None:
    z = notam.parse(make(rest=e), "t.notam")[0]
    assert z.circle is not None
    assert (z.circle.radius_m, z.circle.lat) == pytest.approx((radius_m, lat))


def test_invalid_e_polygon_falls_back_to_q_circle() -> None:
    rest = "E) AREA 5200N02000E 5210N02010E 5210N02000E 5200N02010E."
    z = notam.parse(make(rest=rest), "t.notam")[0]
    assert z.circle is not None and "Q) circle is used" in z.remarks


def test_perm_and_est(sample: ZoneSet) -> None:
    assert sample["A1235/26"].schedule.periods[0][1].year == 9999
    assert "estimated (EST)" in sample["B0456/26"].remarks
    assert sample["B0456/26"].schedule.periods[0][1] == datetime(2026, 5, 3, 18, tzinfo=UTC)


def test_replace_and_cancel() -> None:
    text = (make(ident="A0001/26") + make(ident="A0002/26")
            + "(A0003/26 NOTAMR A0001/26\nQ) EPWW/QRTCA/IV/BO/W/000/120/5213N02100E005\n"
              "A) EPWW B) 2606010600 C) 2606302200\nE) REPLACEMENT.)\n"
            + "(A0004/26 NOTAMC A0002/26\nQ) EPWW/QRTXX/IV/BO/W/000/120/5213N02100E005\n"
              "A) EPWW B) 2605150000\nE) CANCELLED.)\n")
    zs = notam.parse(text, "t.notam")
    assert zs.ids == ["A0003/26"]
    assert zs[0].properties["replaces"] == "A0001/26"


@pytest.mark.parametrize(("args", "lonlat"), [
    (("5213", "N", "02100", "E"), (21.0, 52 + 13 / 60)),
    (("521330", "N", "0210015", "E"), (21 + 15 / 3600, 52 + 13.5 / 60)),
    (("5213.5", "S", "02100.25", "W"), (-(21 + 0.25 / 60), -(52 + 13.5 / 60))),
])
def test_positions(args: tuple[str, str, str, str], lonlat: tuple[float, float]) -> None:
    assert notam.parse_position(*args) == pytest.approx(lonlat)


def test_geojson_round_trip(sample: ZoneSet) -> None:
    back = gj.parse(json.dumps(gj.to_geojson(sample)), "back.geojson")
    for a, b in zip(sample, back, strict=True):
        assert (a.id, a.kind, a.floor, a.ceiling, a.schedule, a.circle, a.remarks,
                a.properties) == (b.id, b.kind, b.floor, b.ceiling, b.schedule, b.circle,
                                  b.remarks, b.properties)
        assert a.geometry.equals_exact(b.geometry, 1e-12)


def test_registry_picks_notam() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert len(parse_zones(text, "feed.txt")) == 6
    assert len(parse_zones(text, "feed.notam")) == 6
    assert notam.sniff(text)
    assert not notam.sniff("AC R\nAN X\n")


# ---- refusals ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "field", "words"), [
    (make(b="2613011200"), 4, "B)", "bad date"),
    (make(b="26050106"), 4, "B)", "YYMMDDHHMM"),
    (make(c="2604010600"), 4, "C)", "not after"),
    (make(c="SOON"), 4, "C)", "bad date"),
    (make(q="EPWW/QRTCA/IV/BO/W/000/120"), 3, "Q)", "bad Q) line"),
    (make(q="EPWW/QRTCA/IV/BO/W/000/120/5275N02100E005"), 3, "Q)", "below 60"),
    (make(q="EPWW/QRTCA/IV/BO/W/000/120/9513N02100E005"), 3, "Q)", "beyond 90"),
    (make(q="EPWW/QRTCA/IV/BO/W/0A0/120/5213N02100E005"), 3, "Q)", "flight level"),
    (make(rest="E) TEST.\nF) FL100 G) 2000FT AMSL"), 6, "F)", "above ceiling"),
    (make(rest="E) TEST.\nF) SFC G) 2000 YD"), 6, "G)", "vertical limit"),
    (make(rest="E) PSN 5275N02100E 5200N02100E 5210N02110E."), 5, "E)", "below 60"),
])
def test_refusals(text: str, line: int, field: str, words: str) -> None:
    err = fails("\n" + text)
    assert (err.where, err.line, err.field, err.item) == ("bad.notam", line, field,
                                                           "NOTAM A0001/26")
    assert words in err.message
    assert f"bad.notam:{line}" in str(err)


def test_missing_items() -> None:
    err = fails("(A0001/26 NOTAMN\nQ) EPWW/QRTCA/IV/BO/W/000/120/5213N02100E005\nA) EPWW\n"
                "E) TEST.)\n")
    assert (err.line, err.field) == (1, "B)")
    err = fails("(A0001/26 NOTAMN\nA) EPWW B) 2605010600 C) 2605312200\nE) TEST.)\n")
    assert err.field == "Q)"


def test_duplicate_and_empty() -> None:
    err = fails(make() + make())
    assert err.line == 5 and "twice" in err.message
    assert "no NOTAM" in fails("nothing here\n").message


def test_nothing_half_imported(tmp_path: Path) -> None:
    path = tmp_path / "feed.notam"
    path.write_text(SAMPLE.read_text(encoding="utf-8") + make(b="2699999999"))
    with pytest.raises(ZoneFormatError) as info:
        load_zones([path])
    assert info.value.where == str(path) and info.value.field == "B)"


def test_crlf(sample: ZoneSet) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n")
    zs = notam.parse(text, "crlf.notam")
    assert zs.ids == sample.ids
    assert [z.remarks for z in zs] == [z.remarks for z in sample]
