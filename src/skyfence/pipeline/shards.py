"""Sharding for the distributed audit: reports by target partition into time-sorted runs,
and the k-way merge of a partition's runs back into time order.

Pass 1 (:func:`shard_file`, one task per input file) reads a file with ``read_traffic`` in
chunks; each report goes to partition ``blake2b(target_id) mod n`` (:func:`partition_of`:
stable across processes and machines, unlike Python's ``hash``) and is appended, time-sorted,
to a *run* of that partition in the scratch directory (an Arrow IPC stream, lz4, with the
columns detection reads: ``DETECT_COLUMNS``). A run is one file's reports of one partition in
time order; a chunk that goes back in time starts a new run (time-sorted files give one run
per file and partition). Pass 2 reads a partition's runs through :func:`merge_runs`, a
streaming merge by time holding one batch per overlapping run.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect.batch import REPORT_COLUMNS
from skyfence.errors import ConfigError
from skyfence.pipeline.audit import _window
from skyfence.schema.reports import REPORTS

__all__ = [
    "ABORT_MARKER", "CHUNK_ROWS", "DETECT_COLUMNS", "RUN_SCHEMA", "Run", "ShardResult",
    "expand_inputs", "fs_of", "merge_runs", "partition_of", "shard_file",
]

# Rows per chunk read in the shard pass and fed to ``audit_batches`` in the audit pass: the
# single-machine default. A task holds one or two chunks (and, merging, one batch per run
# that overlaps the merge front).
CHUNK_ROWS = 1_000_000
# Rows per batch of a scratch run: the merge holds one batch per run it is merging (a few
# MB each), however long the run.
MERGE_ROWS = 16_384
# Scratch runs are Arrow IPC streams, lz4: private and read once, by this module; 2-3 times
# faster to write and read back than Parquet here (written sequentially: fine on object
# stores too).
_IPC = pa.ipc.IpcWriteOptions(compression="lz4")
# The columns the detect stage reads (``detect.batch.REPORT_COLUMNS``) but the integrity
# ones (the distributed audit grades nothing): the runs carry only these, 12 of the
# ``Reports`` columns (writing, sorting and reading the rest again would cost as much as
# the audit).
DETECT_COLUMNS = tuple(c for c in REPORT_COLUMNS if c not in ("flags", "confidence"))
RUN_SCHEMA = pa.schema([REPORTS.field(name) for name in DETECT_COLUMNS])
# Written in the scratch directory when the audit fails: shard tasks still running stop at
# their next chunk, so that nothing writes there once it is removed.
ABORT_MARKER = ".abort"
_HIDDEN = (".", "_")  # _SUCCESS, _common_metadata, .crc: dataset bookkeeping, not data


# -- partitioning ---------------------------------------------------------------------------

def _digest64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def partition_of(target_ids: pa.Array | pa.ChunkedArray, n: int) -> npt.NDArray[np.int64]:
    """The partition (``0 <= p < n``) of every target id: blake2b of the UTF-8 id, mod
    ``n``. Hashes each distinct id once (a chunk holds thousands of targets, not millions).
    Reports without a target id go to partition 0."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    arr = target_ids.combine_chunks() if isinstance(target_ids, pa.ChunkedArray) else target_ids
    enc = pc.dictionary_encode(arr)
    per_id = np.array([_digest64(s) % n for s in enc.dictionary.to_pylist()], np.int64)
    per_id = np.r_[per_id, 0]  # the null id's slot
    idx = np.asarray(enc.indices.fill_null(len(per_id) - 1), dtype=np.int64)
    out: npt.NDArray[np.int64] = per_id[idx]
    return out


# -- files: local paths, file:// and fsspec URLs ----------------------------------------------

def fs_of(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a path or URL, and the path within it."""
    import fsspec.core  # type: ignore[import-untyped]

    fs, path = fsspec.core.url_to_fs(url)
    return fs, str(path)


def _is_local(fs: Any) -> bool:
    return "file" in ((fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol)


def expand_inputs(paths: Sequence[str | Path]) -> list[str]:
    """Input files in order: each path as given, a directory (a Parquet dataset, or any
    folder of recordings) as its files in sorted order, skipping hidden and ``_`` files, a
    glob as its matches in sorted order. Local files as paths, others as URLs."""
    out: list[str] = []
    for p in paths:
        fs, path = fs_of(str(p))
        if any(c in path for c in "*?["):
            found = sorted(fs.glob(path))
        elif fs.isdir(path):
            found = sorted(f for f in fs.find(path)
                           if not any(part.startswith(_HIDDEN)
                                      for part in f[len(path):].split("/") if part))
        elif fs.isfile(path):
            found = [path]
        else:
            raise ConfigError(f"{p}: no such file or directory")
        if not found:
            raise ConfigError(f"{p}: no input files there")
        out += found if _is_local(fs) else [fs.unstrip_protocol(f) for f in found]
    return out


def _open_traffic(url: str, fmt: str | None, mapping: Mapping[str, str] | None,
                  chunk_rows: int, tmp: Path) -> Iterator[pa.Table]:
    """``read_traffic`` on ``url``: directly when local, else from a copy in ``tmp`` under
    the same name (formats need a seekable file; the ``source`` column is the file name)."""
    from skyfence.readers import read_traffic

    fs, path = fs_of(url)
    if _is_local(fs):
        return read_traffic(path, fmt=fmt, mapping=mapping, chunk_rows=chunk_rows)
    local = tmp / Path(path).name
    fs.get(path, str(local))
    return read_traffic(local, fmt=fmt, mapping=mapping, chunk_rows=chunk_rows)


# -- pass 1: shard ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One time-sorted scratch file of one partition: ``(file, seq)`` orders runs as the
    input orders their reports; ``t_first`` is its earliest time (UTC epoch microseconds)."""

    partition: int
    file: int
    seq: int
    url: str
    rows: int
    t_first: int


@dataclass
class ShardResult:
    runs: list[Run]
    reports: int
    in_window: int


def _times_us(table: pa.Table) -> npt.NDArray[np.int64]:
    col = table.column("time").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.asarray(col.fill_null(0), dtype=np.int64)


def _run_name(root: str, partition: int, file_index: int, seq: int) -> str:
    return f"{root}/p{partition:05d}/f{file_index:06d}-r{seq:05d}.arrows"


def shard_file(
    url: str, file_index: int, scratch: str, n_partitions: int, *, fmt: str | None = None,
    mapping: Mapping[str, str] | None = None, chunk_rows: int = CHUNK_ROWS,
    t_from: datetime | None = None, t_to: datetime | None = None,
) -> ShardResult:
    """Pass 1 for one input file (a task): its reports in ``[t_from, t_to)``, by partition,
    time-sorted, into runs under ``scratch/p<partition>/``. Idempotent: run names depend on
    the file and chunk order only, so a retried task overwrites its own runs."""
    fs, root = fs_of(scratch)
    writers: dict[int, tuple[Any, Any]] = {}  # partition -> (file handle, stream writer)
    last_t: dict[int, int] = {}
    runs: dict[tuple[int, int], list[int]] = {}  # (partition, seq) -> [rows, first time]
    seq: dict[int, int] = {}
    reports = in_window = 0

    def close(p: int) -> None:
        fh, w = writers.pop(p)
        w.close()
        fh.close()

    try:
        with tempfile.TemporaryDirectory(prefix="skyfence-in-") as tmp:
            for chunk in _open_traffic(url, fmt, mapping, chunk_rows, Path(tmp)):
                if fs.exists(f"{root}/{ABORT_MARKER}"):  # the audit failed elsewhere
                    break
                reports += chunk.num_rows
                b = _window(chunk, t_from, t_to)
                in_window += b.num_rows
                if b.num_rows == 0:
                    continue
                b = b.select(list(DETECT_COLUMNS))
                if b.schema != RUN_SCHEMA:
                    b = b.cast(RUN_SCHEMA)
                part = partition_of(b.column("target_id"), n_partitions)
                t = _times_us(b)
                order = np.lexsort((t, part))  # stable: ties keep the file's order
                b = b.take(pa.array(order))
                part, t = part[order], t[order]
                bounds = np.flatnonzero(np.diff(part)) + 1
                for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(part)], strict=True):
                    p = int(part[lo])
                    if p in writers and t[lo] < last_t[p]:  # back in time: a new run
                        close(p)
                        seq[p] += 1
                    if p not in writers:
                        s = seq.setdefault(p, 0)
                        fs.makedirs(f"{root}/p{p:05d}", exist_ok=True)
                        fh = fs.open(_run_name(root, p, file_index, s), "wb")
                        writers[p] = (fh, pa.ipc.new_stream(fh, RUN_SCHEMA, options=_IPC))
                        runs[(p, s)] = [0, int(t[lo])]
                    writers[p][1].write_table(b.slice(int(lo), int(hi - lo)),
                                              max_chunksize=MERGE_ROWS)
                    last_t[p] = int(t[hi - 1])
                    runs[(p, seq[p])][0] += int(hi - lo)
    finally:
        for p in list(writers):
            close(p)
    return ShardResult(
        [Run(p, file_index, s, fs.unstrip_protocol(_run_name(root, p, file_index, s)), n, t0)
         for (p, s), (n, t0) in sorted(runs.items())],
        reports, in_window,
    )


# -- pass 2: merge and audit --------------------------------------------------------------------

class _RunReader:
    """A run read batch by batch, opened when first needed; ``buf`` holds the rows read
    and not yet merged, ``t`` their times."""

    def __init__(self, url: str, t_first: int) -> None:
        self.url = url
        self.t_first = t_first
        self.buf = RUN_SCHEMA.empty_table()
        self.t = np.zeros(0, np.int64)
        self.done = False
        self._fh: Any = None
        self._reader: Any = None

    @property
    def horizon(self) -> float:
        """No unread row of this run is earlier than this."""
        return float(self.t[-1]) if len(self.t) else float(self.t_first)

    def fill(self) -> None:
        """Read the next batch (opening the run first); mark the run done at its end."""
        if self._reader is None and not self.done:
            fs, path = fs_of(self.url)
            self._fh = fs.open(path, "rb")
            self._reader = pa.ipc.open_stream(self._fh)
        while not self.done:
            try:
                nxt = self._reader.read_next_batch()
            except StopIteration:
                self.close()
                return
            if nxt.num_rows:
                tb = pa.Table.from_batches([nxt])
                self.buf = pa.concat_tables([self.buf, tb])
                self.t = np.r_[self.t, _times_us(tb)]
                return

    def take_before(self, t: float) -> pa.Table:
        k = int(np.searchsorted(self.t, t, side="left"))
        head = self.buf.slice(0, k)
        self.buf, self.t = self.buf.slice(k), self.t[k:]
        return head

    def close(self) -> None:
        self.done = True
        if self._fh is not None:
            self._fh.close()
            self._fh = self._reader = None


def merge_runs(runs: Sequence[tuple[str, int]], chunk_rows: int = CHUNK_ROWS
               ) -> Iterator[pa.Table]:
    """The reports of time-sorted runs ``(url, first time in epoch us)``, merged by time into
    chunks of ``chunk_rows`` rows (the last one shorter); equal times keep the order of
    ``runs``, then of each run.

    Every row earlier than the smallest *horizon* of the unfinished runs (the last time
    read, or the first time of a run not opened yet) is final, since runs are sorted: it is
    emitted, concatenated in run order and stably sorted by time. If none is, the runs at
    that horizon read their next batch. So a task holds one batch (``MERGE_ROWS``) per run
    whose time range overlaps the merge front: for inputs cut by time, one or two runs."""
    readers = [_RunReader(u, t0) for u, t0 in runs]
    out: list[pa.Table] = []
    size = 0
    try:
        while True:
            live = [r for r in readers if not r.done]
            w = min(r.horizon for r in live) if live else np.inf
            heads = [h for h in (r.take_before(w) for r in readers) if h.num_rows]
            if heads:
                merged = pa.concat_tables(heads)
                if len(heads) > 1:
                    merged = merged.take(pc.sort_indices(merged, [("time", "ascending")]))
                out.append(merged)
                size += merged.num_rows
                if size >= chunk_rows:
                    ready = pa.concat_tables(out)
                    whole = size - size % chunk_rows
                    for off in range(0, whole, chunk_rows):
                        yield ready.slice(off, chunk_rows).combine_chunks()
                    out, size = [ready.slice(whole)], size - whole
            if not live:
                break
            if not heads:
                for r in live:
                    if r.horizon == w:
                        r.fill()
        if size:
            yield pa.concat_tables(out).combine_chunks()
    finally:
        for r in readers:
            r.close()
