"""``skyfence audit`` end to end: the built-in sample, output files, errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from skyfence.cli import main
from skyfence.schema import INCURSIONS

COLUMNS = [
    "target_id", "callsign", "zone_id", "zone_name", "entry_time", "exit_time", "duration_s",
    "entry_lat", "entry_lon", "entry_alt_m", "exit_lat", "exit_lon", "exit_alt_m",
    "max_depth_m", "min_alt_m", "max_alt_m", "n_reports_inside", "exempt",
]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def run(*args: str) -> tuple[int, str]:
    buf = io.StringIO()
    code = main(list(args), console=Console(file=buf, width=160))
    return code, buf.getvalue()


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("audit") / "incursions.csv"
    code, text = run("audit", "--sample", "--quiet", "--out", str(out))
    assert code == 0, text
    return out, text


def test_schema_has_exactly_the_published_columns() -> None:
    assert INCURSIONS.names == COLUMNS


def test_sample_summary_and_csv(sample_csv: tuple[Path, str]) -> None:
    out, text = sample_csv
    assert "Audited 284,505 reports against 26 zones" in text
    assert "Incursions per zone" in text and "LFPO-UAS" in text
    with out.open(newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert len(rows) > 100
    for r in rows:
        assert r["target_id"].startswith("icao:") and len(r["target_id"]) == 11
        assert ISO_MS.match(r["entry_time"])
        assert r["exit_time"] == "" or ISO_MS.match(r["exit_time"])
        if r["exit_time"]:
            assert float(r["duration_s"]) >= 0
        assert r["exempt"] in ("true", "false")
    assert any(r["exit_time"] == "" for r in rows)  # aircraft still on the ground at the end


def test_parquet_and_geojson_outputs(tmp_path: Path, sample_csv: tuple[Path, str]) -> None:
    pq_out = tmp_path / "i.parquet"
    gj_out = tmp_path / "i.geojson"
    assert run("audit", "--sample", "--quiet", "-o", str(pq_out))[0] == 0
    assert run("audit", "--sample", "--quiet", "-o", str(gj_out))[0] == 0
    table = pq.read_table(pq_out)
    assert table.schema.names == COLUMNS
    doc = json.loads(gj_out.read_text())
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == table.num_rows
    with sample_csv[0].open() as fh:
        assert len(fh.readlines()) - 1 == table.num_rows
    feat = doc["features"][0]
    assert feat["geometry"]["type"] in ("LineString", "Point")
    assert set(feat["properties"]) == set(COLUMNS)


def test_time_window(tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    code, text = run("audit", "--sample", "--quiet", "--from", "2021-10-07T13:00Z",
                     "--to", "2021-10-07T13:30:00+00:00", "-o", str(out))
    assert code == 0, text
    rows = list(csv.DictReader(out.open()))
    assert rows and all("2021-10-07T13:" in r["entry_time"] for r in rows)


def test_no_incursions_exits_zero(tmp_path: Path) -> None:
    zones = tmp_path / "far.geojson"
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "FAR"},
        "geometry": {"type": "Point", "coordinates": [100.0, 10.0]},
    }]}).replace('"FAR"}', '"FAR", "radius": 5, "radius_unit": "km"}'))
    code, text = run("audit", "--sample", "--quiet", "--zones", str(zones))
    assert code == 0 and ": 0 incursions" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "--quiet", "--sample", "-o", "x.txt"], "expected a .csv, .parquet"),
        (["audit", "--quiet", "--sample", "--from", "yesterday"], "bad date"),
        (["audit", "--quiet", "nothere.csv", "--zones", "z.geojson"], "z.geojson"),
        (["audit", "--quiet"], "no traffic files"),
    ],
)
def test_bad_input_is_a_clear_error(args: list[str], message: str) -> None:
    code, text = run(*args)
    assert code == 1
    assert message in text


def test_bad_traffic_file_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,icao24,lat\nnot-a-time,abc123,48.0\n")
    code, text = run("audit", "--quiet", str(bad), "--sample")
    assert code == 1
    assert "bad.csv" in text


def test_integrity_columns(tmp_path: Path) -> None:
    out = tmp_path / "i.csv"
    code, text = run("audit", "--sample", "--quiet", "--integrity", "-o", str(out))
    assert code == 0, text
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [*COLUMNS, "integrity", "checks", "min_confidence"]
    assert {r["integrity"] for r in rows} <= {"verified", "unverified"}
    assert any(r["integrity"] == "verified" for r in rows)


def test_reads_only_audit_columns_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --integrity the CLI reads only the columns detection needs, and writes the
    same episodes as an audit of every column."""
    import skyfence.readers as readers
    from skyfence.cli.audit import sample_paths
    from skyfence.pipeline.audit import AUDIT_COLUMNS, audit_batches
    from skyfence.zones.registry import load_zones

    asked: list[object] = []
    real = readers.read_traffic

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("columns"))
        return real(*args, **kwargs)

    monkeypatch.setattr(readers, "read_traffic", spy)
    out = tmp_path / "cols.parquet"
    code, text = run("audit", "--sample", "--quiet", "-o", str(out))
    assert code == 0, text
    assert asked == [AUDIT_COLUMNS]
    traffic, zones = sample_paths()
    full = audit_batches(real(traffic, chunk_rows=1_000_000), load_zones([zones]))
    assert full.incursions.num_rows > 100
    assert pq.read_table(out).equals(full.incursions)
