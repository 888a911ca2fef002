"""The Parquet reports archive: hour partitions, atomic files, read filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyfence.schema.reports import REPORTS
from skyfence.store import ReportArchive

T0 = datetime(2026, 11, 25, 23, 58, tzinfo=UTC)


def reports(times: list[datetime], targets: list[str] | None = None,
            lats: list[float] | None = None) -> pa.Table:
    n = len(times)
    return pa.table({
        "time": pa.array(times, REPORTS.field("time").type),
        "target_id": targets or ["icao:3c6444"] * n,
        "lat": lats or [52.2] * n,
        "lon": [21.0] * n,
        "alt_baro_m": [300.0] * n,
    })


def test_append_partitions_by_utc_hour(tmp_path: Path) -> None:
    archive = ReportArchive(tmp_path)
    times = [T0 + timedelta(minutes=m) for m in (0, 1, 3, 65)]  # 23:58, 23:59, 00:01, 01:03
    assert archive.append(reports(times)) == 4
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                   if p.is_file())
    assert [f.rsplit("/", 1)[0] for f in files] == [
        "date=2026-11-25/hour=23", "date=2026-11-26/hour=00", "date=2026-11-26/hour=01"]
    assert all(f.rsplit("/", 1)[1].startswith("part-") and f.endswith(".parquet")
               for f in files)
    first = pq.ParquetFile(tmp_path / files[0])
    assert first.metadata.num_rows == 2
    assert first.metadata.row_group(0).column(0).compression == "ZSTD"
    assert first.schema_arrow.equals(REPORTS)  # partition values live in the path only
    assert archive.append(reports([])) == 0


def test_read_filters_by_time_box_and_target(tmp_path: Path) -> None:
    archive = ReportArchive(tmp_path)
    times = [T0 + timedelta(minutes=m) for m in range(6)]
    targets = ["icao:aaaaaa", "icao:bbbbbb"] * 3
    lats = [50.0, 52.0, 54.0, 50.0, 52.0, 54.0]
    archive.append(reports(times[3:], targets[3:], lats[3:]))  # two appends, same hours
    archive.append(reports(times[:3], targets[:3], lats[:3]))

    everything = archive.read(T0, T0 + timedelta(hours=1))
    assert everything.schema == REPORTS
    assert everything.column("time").to_pylist() == times  # sorted, whatever the files
    assert everything.column("alt_geo_m").null_count == 6  # absent columns stored as nulls

    window = archive.read(T0 + timedelta(minutes=1), T0 + timedelta(minutes=3))
    assert window.column("time").to_pylist() == times[1:3]  # [t_from, t_to)
    boxed = archive.read(T0, T0 + timedelta(hours=1), bbox=(20.0, 51.0, 22.0, 53.0))
    assert boxed.column("lat").to_pylist() == [52.0, 52.0]
    one = archive.read(T0, T0 + timedelta(hours=1), target_id="icao:aaaaaa")
    assert set(one.column("target_id").to_pylist()) == {"icao:aaaaaa"} and one.num_rows == 3
    both = archive.read(T0, T0 + timedelta(hours=1), target_id=["icao:aaaaaa", "icao:bbbbbb"])
    assert both.num_rows == 6
    assert archive.read(T0 + timedelta(days=2), T0 + timedelta(days=3)).num_rows == 0


def test_read_ignores_unfinished_files_and_missing_root(tmp_path: Path) -> None:
    assert ReportArchive(tmp_path / "none").read(T0, T0 + timedelta(hours=1)).equals(
        REPORTS.empty_table())
    archive = ReportArchive(tmp_path)
    archive.append(reports([T0]))
    folder = tmp_path / "date=2026-11-25" / "hour=23"
    (folder / ".part-crashed.parquet.tmp").write_bytes(b"PAR1 half a file")
    assert archive.read(T0, T0 + timedelta(hours=1)).num_rows == 1


def test_read_opens_only_the_hours_in_range(tmp_path: Path) -> None:
    archive = ReportArchive(tmp_path)
    archive.append(reports([T0]))
    for folder in ("date=2026-11-24/hour=23", "date=2026-11-25/hour=22",
                   "date=2026-11-26/hour=00"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "part-garbage.parquet").write_bytes(b"not parquet")
    # pruned by partition: the unreadable files are never opened
    assert archive.read(T0, T0 + timedelta(minutes=2)).num_rows == 1
    with pytest.raises(pa.ArrowInvalid):
        archive.read(T0, T0 + timedelta(hours=1))  # reaches hour 00 of the next day


def test_append_rejects_what_is_not_reports(tmp_path: Path) -> None:
    archive = ReportArchive(tmp_path)
    with pytest.raises(ValueError, match="not in the REPORTS schema"):
        archive.append(reports([T0]).append_column("altitude", pa.array([1.0])))
    with pytest.raises(ValueError, match="tz-aware"):
        archive.read(datetime(2026, 1, 1), T0)  # noqa: DTZ001 - naive on purpose


def test_duckdb_reads_the_layout(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb", reason="duckdb is a bench extra")
    ReportArchive(tmp_path).append(reports([T0, T0 + timedelta(hours=1)]))
    pattern = str(tmp_path / "*" / "*" / "*.parquet")
    rows = duckdb.execute(
        "SELECT date, hour, count(*) FROM read_parquet(?, hive_partitioning = true) "
        "GROUP BY ALL ORDER BY ALL", [pattern]).fetchall()
    assert [(str(d), int(h), n) for d, h, n in rows] == [
        ("2026-11-25", 23, 1), ("2026-11-26", 0, 1)]
