"""The reports archive: every ``Reports`` row the live service saw, as Parquet files
partitioned by UTC hour::

    <root>/date=2026-11-25/hour=14/part-<uuid4 hex>.parquet

Each :meth:`ReportArchive.append` writes one new file per hour its rows touch (zstd
compressed, rows sorted by time so row-group statistics prune well), never rewriting an
existing file. A file is written under a name starting with ``.`` (which dataset readers
skip), fsynced, then renamed into place and its folder fsynced: a reader or a crash sees a
whole file or none. The partition columns are in the path only; ``time`` in the file is the
truth.

:meth:`ReportArchive.read` uses ``pyarrow.dataset`` with hive partitioning: the hour folders
outside the time range are pruned before any file is opened. DuckDB reads the same layout:
``read_parquet('<root>/*/*/*.parquet', hive_partitioning = true)``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from skyfence.schema.reports import REPORTS, TIME_TYPE

__all__ = ["ReportArchive"]

_PARTITIONS = pa.schema([pa.field("date", pa.string()), pa.field("hour", pa.string())])
_COMPRESSION = "zstd"


def _conform(reports: pa.Table) -> pa.Table:
    extra = [name for name in reports.column_names if name not in REPORTS.names]
    if extra:
        raise ValueError(f"columns not in the REPORTS schema: {extra}")
    columns = [
        reports.column(f.name).cast(f.type) if f.name in reports.column_names
        else pa.nulls(reports.num_rows, f.type)
        for f in REPORTS
    ]
    table = pa.Table.from_arrays(columns, schema=REPORTS)
    if table.column("time").null_count:
        raise ValueError("reports with a null time cannot be archived")
    return table


def _utc(t: datetime, name: str) -> datetime:
    if t.utcoffset() is None:
        raise ValueError(f"{name} must be a tz-aware datetime, got {t!r}")
    return t.astimezone(UTC)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ReportArchive:
    """Append-only Parquet archive of ``Reports`` under ``root`` (module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def append(self, reports: pa.Table) -> int:
        """Archive ``reports`` (``REPORTS`` columns; missing ones are stored as nulls).
        Returns the number of rows written."""
        table = _conform(reports)
        if table.num_rows == 0:
            return 0
        hours = pc.floor_temporal(table.column("time"), unit="hour")
        for hour in pc.unique(hours).sort().to_pylist():
            part = table.filter(pc.equal(hours, pa.scalar(hour, TIME_TYPE))).sort_by("time")
            self._write(part, hour.strftime("%Y-%m-%d"), hour.strftime("%H"))
        return int(table.num_rows)

    def _write(self, part: pa.Table, date: str, hour: str) -> None:
        folder = self.root / f"date={date}" / f"hour={hour}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{uuid.uuid4().hex}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(part, tmp, compression=_COMPRESSION)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
        _fsync_dir(folder)

    def read(self, t_from: datetime, t_to: datetime, *,
             bbox: tuple[float, float, float, float] | None = None,
             target_id: str | Sequence[str] | None = None) -> pa.Table:
        """Reports with ``t_from <= time < t_to``, sorted by time; optionally only inside
        ``bbox`` = ``(min_lon, min_lat, max_lon, max_lat)`` (degrees, GeoJSON order) and for
        one target id or several."""
        t_from, t_to = _utc(t_from, "t_from"), _utc(t_to, "t_to")
        if not self.root.is_dir() or t_to <= t_from:
            return REPORTS.empty_table()
        time, date, hour = ds.field("time"), ds.field("date"), ds.field("hour")
        d0, h0 = t_from.strftime("%Y-%m-%d"), t_from.strftime("%H")
        last = t_to - timedelta(microseconds=1)  # t_to is excluded: 14:00 needs no hour 14
        d1, h1 = last.strftime("%Y-%m-%d"), last.strftime("%H")
        # zero-padded text sorts like the numbers: this prunes whole hour folders
        where = (((date > d0) | ((date == d0) & (hour >= h0)))
                 & ((date < d1) | ((date == d1) & (hour <= h1))))
        where &= (time >= pa.scalar(t_from, TIME_TYPE)) & (time < pa.scalar(t_to, TIME_TYPE))
        if bbox is not None:
            min_lon, min_lat, max_lon, max_lat = bbox
            where &= ((ds.field("lon") >= min_lon) & (ds.field("lon") <= max_lon)
                      & (ds.field("lat") >= min_lat) & (ds.field("lat") <= max_lat))
        if target_id is not None:
            ids = [target_id] if isinstance(target_id, str) else list(target_id)
            where &= ds.field("target_id").isin(ids)
        dataset = ds.dataset(
            self.root, format="parquet",
            schema=pa.unify_schemas([REPORTS, _PARTITIONS]),
            partitioning=ds.partitioning(_PARTITIONS, flavor="hive"),
        )
        table = dataset.to_table(columns=REPORTS.names, filter=where)
        return table.sort_by("time")
