"""The Parquet reader's shortcuts give the tables of the plain path: text columns taken as
Parquet's dictionaries, batches joined across row groups, positions checked by range."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyfence.readers import ReadStats, read_traffic
from skyfence.readers.normalise import to_reports
from skyfence.schema import REPORTS

N = 5_000


def _locate(i: int) -> dict[str, Any]:
    return {"item": f"row {i + 1}"}


def _messy() -> pa.Table:
    """OpenSky-named columns with repeats, odd spellings, nulls, NaN and bad positions."""
    ids = [None if i % 17 == 0 else (f" ~{i % 40:06X}" if i % 9 == 0 else f"{i % 40:06x}")
           for i in range(N)]
    ids[3] = "zzz"
    lat = [None if i % 31 == 0 else (95.0 if i % 29 == 0 else 40.0 + i % 7) for i in range(N)]
    lon = [None if i % 37 == 0 else (math.nan if i % 41 == 0 else 2.0) for i in range(N)]
    return pa.table({
        "time": pa.array([1_700_000_000 + i for i in range(N)], pa.int64()),
        "icao24": ids,
        "lat": lat,
        "lon": lon,
        "baroaltitude": [math.inf if i % 11 == 0 else 1000.0 + i for i in range(N)],
        "heading": [-90.0 + i % 400 for i in range(N)],
        "callsign": [None if i % 19 == 0 else ["  AFR1 ", "", "BAW2", " "][i % 4]
                     for i in range(N)],
        "squawk": [None if i % 23 == 0 else ["7700", "123", " 0456 ", "8888", "7500.0"][i % 5]
                   for i in range(N)],
    })


def _convert(table: pa.Table, stats: ReadStats, source: str = "t.parquet") -> pa.Table:
    names = {"time": "time", "icao24": "icao24", "lat": "lat", "lon": "lon",
             "baroaltitude": "alt_baro_m", "heading": "track_deg", "callsign": "callsign",
             "squawk": "squawk"}
    cols = {names[c]: table.column(c) for c in table.column_names}
    return to_reports(cols, source=source, stats=stats, locate=_locate)


def test_dictionary_columns_convert_as_plain_ones() -> None:
    plain = _messy()
    encoded = plain
    for name in ("icao24", "callsign", "squawk"):
        i = plain.schema.get_field_index(name)
        encoded = encoded.set_column(i, name, plain.column(name).dictionary_encode())
    a, b = ReadStats(), ReadStats()
    want, got = _convert(plain, a), _convert(encoded, b)
    assert got.equals(want)
    assert got.schema.equals(REPORTS)
    assert (b.invalid_ids, b.invalid_positions) == (a.invalid_ids, a.invalid_positions)
    assert a.invalid_ids > 0 and a.invalid_positions > 0


def _stats(s: ReadStats) -> tuple[int, int, int, int]:
    return s.rows, s.chunks, s.invalid_ids, s.invalid_positions


@pytest.mark.parametrize(("chunk_rows", "rows"), [(1, 40), (997, N), (1_700, N), (4_096, N),
                                                  (1_000_000, N)])
def test_row_groups_of_any_size_give_exact_chunks(
    tmp_path: Path, chunk_rows: int, rows: int
) -> None:
    table = _messy().slice(0, rows)
    path = tmp_path / "t.parquet"
    with pq.ParquetWriter(path, table.schema) as w:  # row groups of uneven sizes
        for start, size in [(0, 7), (7, 1_700), (1_707, 300), (2_007, N)]:
            w.write_table(table.slice(start, size))
    stats = ReadStats()
    chunks = list(read_traffic(path, chunk_rows=chunk_rows, stats=stats))
    sizes = [c.num_rows for c in chunks]
    assert all(r == chunk_rows for r in sizes[:-1]) and 0 < sizes[-1] <= chunk_rows
    want_stats = ReadStats()
    assert pa.concat_tables(chunks).equals(_convert(table, want_stats))
    assert _stats(stats)[2:] == _stats(want_stats)[2:]
    assert stats.rows == rows and stats.chunks == len(chunks)


def test_high_cardinality_text_falls_back(tmp_path: Path) -> None:
    # more distinct callsigns than a batch has rows: the dictionary pages are not used as is
    n = 20_000
    table = pa.table({
        "time": pa.array(range(n), pa.int64()),
        "target_id": [f"icao:{i % 300:06x}" for i in range(n)],
        "lat": [1.0] * n,
        "lon": [2.0] * n,
        "callsign": [f" C{i:06d} " for i in range(n)],
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=9_000, dictionary_pagesize_limit=2_000)
    got = pa.concat_tables(read_traffic(path, chunk_rows=1_000))
    assert got.column("callsign").to_pylist() == [f"C{i:06d}" for i in range(n)]
    assert got.column("id_kind").to_pylist() == ["icao"] * n
    assert got.column("target_id").equals(table.column("target_id"))


def test_reports_file_keeps_null_ids_and_counts_lone_coordinates(tmp_path: Path) -> None:
    table = pa.table({
        "time": pa.array([0, 1, 2, 3], pa.timestamp("us", tz="UTC")),
        "target_id": ["icao:000001", None, "icao:000001", "rid:x"],
        "lat": [1.0, None, None, 91.0],
        "lon": [2.0, None, 3.0, 0.0],
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    stats = ReadStats()
    rows = pa.concat_tables(read_traffic(path, stats=stats, columns=["callsign"])).to_pylist()
    assert [r["target_id"] for r in rows] == ["icao:000001", None, "icao:000001", "rid:x"]
    assert [(r["lat"], r["lon"]) for r in rows] == [(1.0, 2.0), (None, None), (None, None),
                                                    (None, None)]
    assert stats.invalid_positions == 2


def test_pandas_categorical_text(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    table = _messy()
    df = table.to_pandas()
    df["callsign"] = df["callsign"].astype("category")
    df["icao24"] = df["icao24"].astype("category")
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    assert isinstance(pd.read_parquet(path)["callsign"].dtype, pd.CategoricalDtype)
    stats, want_stats = ReadStats(), ReadStats()
    got = pa.concat_tables(read_traffic(path, stats=stats, chunk_rows=1_234))
    assert got.equals(_convert(table, want_stats))
    assert _stats(stats)[2:] == _stats(want_stats)[2:]


def test_memory_stays_bounded_by_a_batch_however_long_the_file(tmp_path: Path) -> None:
    """pyarrow keeps pre-buffered column chunks for the reader's life: the reader must not
    pre-buffer, or Arrow memory grows with every row group read."""
    rows = 20_000
    groups = 80
    rng = np.random.default_rng(3)  # random numbers: chunks that do not compress away
    table = pa.table({
        "time": pa.array(range(rows), pa.timestamp("s", tz="UTC")),
        "target_id": [f"icao:{i % 500:06x}" for i in range(rows)],
        "lat": rng.uniform(44, 46, rows),
        "lon": rng.uniform(4, 6, rows),
        "alt_baro_m": rng.uniform(0, 12_000, rows),
    })
    path = tmp_path / "long.parquet"
    with pq.ParquetWriter(path, table.schema) as w:
        for _ in range(groups):
            w.write_table(table, row_group_size=rows)
    before = pa.total_allocated_bytes()
    pool: list[int] = []
    for batch in read_traffic(path, chunk_rows=rows):
        pool.append(pa.total_allocated_bytes() - before)
        del batch
    assert len(pool) == groups
    # a batch's worth, not the file's (pre-buffered, the file's column chunks stay held)
    assert max(pool) < path.stat().st_size / 3, (max(pool), path.stat().st_size)
    assert max(pool[groups // 2:]) <= max(pool[:groups // 4]) + table.nbytes, pool
