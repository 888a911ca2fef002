"""Parquet: OpenSky state vectors (as the OpenSky history exports them), skyfence's own
``Reports`` (the archive, the built-in sample), or any table with a column mapping.

Column dialects are the CSV reader's (see ``csvfile``). Streams row groups with
``ParquetFile.iter_batches``, reading only the selected columns: memory is bounded by one
batch. pandas-written files carry NaN for missing floats: they become nulls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from skyfence.errors import TrafficFormatError
from skyfence.readers.columns import choose_columns, restrict
from skyfence.readers.normalise import check_required, to_reports
from skyfence.readers.registry import ReadOptions

__all__ = ["read", "sniff"]

BATCH_ROWS = 256 * 1024  # rows per decoded batch: bounds memory independently of chunk_rows


def sniff(head: bytes, path: Path) -> bool:
    return head.startswith(b"PAR1")


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TrafficFormatError(f"not a readable Parquet file: {exc}") from exc
    names = pf.schema_arrow.names
    chosen, ignored = choose_columns(names, options.mapping)
    options.stats.ignored_columns.update(ignored)
    chosen = restrict(chosen, options.columns)
    check_required(chosen.values(), names)
    row = 0
    for batch in pf.iter_batches(
        batch_size=min(BATCH_ROWS, options.chunk_rows), columns=list(chosen)
    ):

        def locate(i: int, first: int = row) -> dict[str, Any]:
            return {"item": f"row {first + i + 1}"}

        cols = {chosen[src]: batch.column(src) for src in chosen}
        yield to_reports(cols, source=options.source, stats=options.stats, locate=locate,
                         columns=options.columns)
        row += batch.num_rows
