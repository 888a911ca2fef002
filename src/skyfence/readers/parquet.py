"""Parquet: OpenSky state vectors (as the OpenSky history exports them), skyfence's own
``Reports`` (the archive, the built-in sample), or any table with a column mapping.

Column dialects are the CSV reader's (see ``csvfile``). Streams row groups with
``ParquetFile.iter_batches``, reading only the selected columns and without pre-buffering:
memory is bounded by one batch, whatever the file's size. Identity, callsign and squawk
text columns are read as Parquet stores them, as a dictionary per row group, so they are
normalised once per distinct value. pandas-written files carry NaN for missing floats: they
become nulls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from skyfence.errors import TrafficFormatError
from skyfence.readers.columns import choose_columns, restrict
from skyfence.readers.normalise import DICTIONARY_INPUTS, check_required, to_reports
from skyfence.readers.registry import ReadOptions

__all__ = ["read", "sniff"]

BATCH_ROWS = 256 * 1024  # rows per decoded batch: bounds memory independently of chunk_rows


def sniff(head: bytes, path: Path) -> bool:
    return head.startswith(b"PAR1")


def _batches(pf: pq.ParquetFile, columns: list[str], rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of ``rows`` rows (the last one shorter). Parquet ends a batch of
    dictionary-encoded columns where a row group ends: the pieces are joined here, while the
    text is still dictionary indices, so that the tables need no regrouping downstream."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in pf.iter_batches(batch_size=rows, columns=columns):
        if not pending and batch.num_rows == rows:
            yield batch
            continue
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            whole = _joined(pending)
            for start in range(0, count - rows + 1, rows):
                yield whole.slice(start, rows)
            rest = whole.slice(count - count % rows)
            pending, count = ([rest] if rest.num_rows else []), rest.num_rows
    if count:
        yield _joined(pending)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """One record batch of ``batches`` (dictionaries unified)."""
    if len(batches) == 1:
        return batches[0]
    schema = batches[0].schema
    arrays = [pa.concat_arrays([b.column(i) for b in batches]) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    try:
        # without pre-buffering: pyarrow keeps pre-buffered column chunks for the life of
        # the reader, so memory would grow with the file
        pf = pq.ParquetFile(path, pre_buffer=False)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TrafficFormatError(f"not a readable Parquet file: {exc}") from exc
    names = pf.schema_arrow.names
    chosen, ignored = choose_columns(names, options.mapping)
    options.stats.ignored_columns.update(ignored)
    chosen = restrict(chosen, options.columns)
    check_required(chosen.values(), names)
    types = {f.name: f.type for f in pf.schema_arrow}
    as_dictionary = [
        src for src, name in chosen.items()
        if name in DICTIONARY_INPUTS and pa.types.is_string(types[src])
    ]
    if as_dictionary:
        pf = pq.ParquetFile(path, metadata=pf.metadata, read_dictionary=as_dictionary,
                            pre_buffer=False)
    row = 0
    for batch in _batches(pf, list(chosen), min(BATCH_ROWS, options.chunk_rows)):

        def locate(i: int, first: int = row) -> dict[str, Any]:
            return {"item": f"row {first + i + 1}"}

        cols = {chosen[src]: batch.column(src) for src in chosen}
        yield to_reports(cols, source=options.source, stats=options.stats, locate=locate,
                         columns=options.columns)
        row += batch.num_rows
