"""``skyfence zones validate | show | convert`` through ``skyfence.cli.main``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from skyfence.cli import main
from skyfence.zones import load_zones
from skyfence.zones.geojson import parse

DATA = Path(__file__).parent / "data" / "zones"
SAMPLE = DATA / "geojson_sample.geojson"
FIRS = DATA / "fir_eurofirs_excerpt.json"


def run(*argv: str, width: int | None = 300) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), console=Console(file=out, width=width, color_system=None))
    return code, out.getvalue()


def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "OK"}, "geometry": {
            "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}},
        {"type": "Feature", "properties": {"id": "LOW", "floor": "FL100", "ceiling": "FL50"},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}},
    ]}))
    return path


# --- validate -----------------------------------------------------------------------------


def test_validate_good_files() -> None:
    code, out = run("zones", "validate", str(SAMPLE), str(FIRS))
    assert code == 0
    assert f"✓ {SAMPLE}: 5 zones" in out
    assert f"✓ {FIRS}: 4 zones" in out


def test_validate_reports_each_bad_file_and_exits_1(tmp_path: Path) -> None:
    bad = bad_file(tmp_path)
    unclosed = tmp_path / "unclosed.geojson"
    unclosed.write_text(json.dumps({"type": "Feature", "properties": {"id": "U"}, "geometry": {
        "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}))
    code, out = run("zones", "validate", str(bad), str(SAMPLE), str(unclosed), width=300)
    assert code == 1
    assert (f"✗ {bad}: feature 2 (LOW): field 'floor': floor FL100 is above ceiling FL050"
            in out)
    assert f"✓ {SAMPLE}: 5 zones" in out  # the good file between them is still checked
    assert (f"✗ {unclosed}: feature 1 (U): field 'geometry': outer ring is not closed"
            in out)


def test_validate_missing_file_and_unknown_format(tmp_path: Path) -> None:
    code, out = run("zones", "validate", str(tmp_path / "nope.geojson"))
    assert code == 1 and "cannot read" in out
    junk = tmp_path / "junk.txt"
    junk.write_text("not zones\n")
    code, out = run("zones", "validate", str(junk))
    assert code == 1 and "not a zone file in any known format" in out


def test_validate_with_a_forced_format() -> None:
    code, out = run("zones", "validate", "--format", "fir", str(SAMPLE), width=300)
    assert code == 1 and "missing IDENT" in out
    code, _ = run("zones", "validate", "--format", "geojson", str(SAMPLE))
    assert code == 0


# --- show ---------------------------------------------------------------------------------


def test_show_prints_every_column() -> None:
    code, out = run("zones", "show", str(SAMPLE), width=200)
    assert code == 0
    assert "5 zones" in out
    for header in ("id", "name", "kind", "floor", "ceiling", "area km²", "schedule"):
        assert header in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    row = lines["EPR16"]
    for cell in ("Restricted area with a hole", "restricted", "SFC", "FL095",
                 "Mon,Tue,Wed,Thu,Fri 06:00-22:00 Europe/Warsaw"):
        assert cell in row
    drone = lines["DRONE-KRK"]
    assert "drone" in drone and "120 m AGL" in drone and "always" in drone
    # a 2.5 NM circle: pi * 4.63^2 = 67.3 km2
    assert "67.3" in drone
    assert "2026-05-01T06:00Z/2026-05-31T18:00Z" in lines["ISLANDS"]
    assert "1000 ft AMSL" in lines["ISLANDS"] and "4500 ft AMSL" in lines["ISLANDS"]


def test_show_keeps_ids_whole_on_a_narrow_console() -> None:
    code, out = run("zones", "show", str(SAMPLE), width=80)
    assert code == 0
    for zid in ("EPR16", "ISLANDS", "DRONE-KRK", "CORRIDOR-1", "DATELINE"):
        assert zid in out
    assert "…" not in out


def test_show_bad_file(tmp_path: Path) -> None:
    code, out = run("zones", "show", str(bad_file(tmp_path)), width=300)
    assert code == 1
    assert "error:" in out and "feature 2 (LOW)" in out and "field 'floor'" in out


# --- convert ------------------------------------------------------------------------------


def test_convert_writes_geojson_that_reads_back_equal(tmp_path: Path) -> None:
    out_path = tmp_path / "out.geojson"
    code, out = run("zones", "convert", str(SAMPLE), str(FIRS), "-o", str(out_path))
    assert code == 0
    assert f"wrote 9 zones to {out_path}" in out
    assert load_zones([out_path]) == load_zones([SAMPLE, FIRS])
    doc = json.loads(out_path.read_text())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 9


def test_convert_to_stdout() -> None:
    code, out = run("zones", "convert", str(FIRS))
    assert code == 0
    assert parse(out, "<stdout>") == load_zones([FIRS])


def test_convert_real_firs(traffic_data: Path, tmp_path: Path) -> None:
    src = traffic_data / "eurocontrol" / "eurofirs.json"
    out_path = tmp_path / "firs.geojson"
    code, _ = run("zones", "convert", str(src), "--out", str(out_path))
    assert code == 0
    back = load_zones([out_path])
    assert len(back) == 58 and back == load_zones([src])


def test_messages_with_brackets_are_not_taken_for_markup(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {
        "id": "X", "schedule": {"periods": [["2026-05-02T00:00Z"]]}}, "geometry": {
        "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}))
    for action in ("validate", "show", "convert"):
        code, out = run("zones", action, str(path))
        assert code == 1
        assert "expected [start, end] as ISO 8601 text" in out, action


def test_convert_unwritable_output(tmp_path: Path) -> None:
    code, out = run("zones", "convert", str(SAMPLE), "-o", str(tmp_path / "no" / "x.geojson"),
                    width=300)
    assert code == 1 and "cannot write" in out


def test_convert_bad_input_writes_nothing(tmp_path: Path) -> None:
    out_path = tmp_path / "out.geojson"
    code, _ = run("zones", "convert", str(bad_file(tmp_path)), "-o", str(out_path))
    assert code == 1 and not out_path.exists()


def test_usage_errors() -> None:
    with pytest.raises(SystemExit) as err:
        run("zones")
    assert err.value.code == 2
    with pytest.raises(SystemExit):
        run("zones", "validate")  # needs at least one file
