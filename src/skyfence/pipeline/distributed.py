"""The audit on a Dask cluster: the same stages as :mod:`skyfence.pipeline.audit`, run per
partition of targets, with the same result.

Two passes, both in parallel on the workers; no process ever holds the whole input:

1. **Shard** (one task per input file, :func:`skyfence.pipeline.shards.shard_file`): each
   report goes, time-sorted, to a run of its target's partition in the scratch directory.
2. **Audit** (one task per partition): the partition's runs are merged by time, streaming
   (:func:`skyfence.pipeline.shards.merge_runs`), into ``audit_batches`` with the zone set
   scattered once to every worker and its ``ZoneIndex`` built once per worker process
   (:func:`_cached_index`, keyed by a digest of the zones).

Every report of a target lands in one partition and reaches ``audit_batches`` in time order,
ties in input order (files in the order given, rows in file order), which is exactly what the
single-machine audit sees for time-ordered inputs; detection state is per target, so the
episodes are the same, cut anywhere across files and chunks. The client concatenates the
partitions' incursions and sorts them with ``sort_incursions``: the same table.

One difference, on purpose: the single-machine audit skips (and counts in ``out_of_order``)
a report older than its target's last one in an earlier chunk; here every partition is
sorted first, so nothing is out of order. On time-ordered inputs the two agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from skyfence.detect import MAX_GAP_S
from skyfence.errors import ConfigError
from skyfence.pipeline.audit import AuditResult, AuditStats, audit_batches, sort_incursions
from skyfence.pipeline.shards import (
    ABORT_MARKER,
    CHUNK_ROWS,
    DETECT_COLUMNS,
    RUN_SCHEMA,
    Run,
    ShardResult,
    expand_inputs,
    fs_of,
    merge_runs,
    partition_of,
    shard_file,
)
from skyfence.schema.incursions import INCURSIONS
from skyfence.zones.index import ZoneIndex
from skyfence.zones.model import ZoneSet

__all__ = [
    "DETECT_COLUMNS", "RUN_SCHEMA", "Progress", "audit_dask", "audit_partition",
    "expand_inputs", "merge_runs", "partition_of", "shard_file",
]

# (completed tasks, total tasks)
Progress = Callable[[int, int], None]

# Partitions per worker thread when not given: enough for the slowest task not to leave the
# others idle at the end, few enough that files x partitions runs stay cheap to open.
PARTITIONS_PER_THREAD = 4
ABORT_WAIT_S = 60.0


_INDEXES: dict[str, ZoneIndex] = {}
_INDEX_LOCK = threading.Lock()
_INDEX_KEEP = 4  # zone versions kept per worker process


def _cached_index(zones: ZoneSet, digest: str) -> tuple[ZoneIndex, float]:
    """The worker process's ``ZoneIndex`` for ``zones`` (built on first use); with the
    seconds spent building it here (0 when cached)."""
    with _INDEX_LOCK:
        index = _INDEXES.get(digest)
        if index is not None:
            return index, 0.0
        t0 = time.perf_counter()
        index = ZoneIndex(zones)
        while len(_INDEXES) >= _INDEX_KEEP:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[digest] = index
        return index, time.perf_counter() - t0


def audit_partition(runs: Sequence[tuple[str, int]], zones: ZoneSet, digest: str, *,
                    max_gap_s: float = MAX_GAP_S, chunk_rows: int = CHUNK_ROWS) -> AuditResult:
    """Pass 2 for one partition (a task): its runs merged by time into ``audit_batches``."""
    index, index_s = _cached_index(zones, digest)
    result = audit_batches(merge_runs(runs, chunk_rows), zones, index=index,
                           max_gap_s=max_gap_s)
    result.stats.index_s = index_s
    return result


# -- the driver ---------------------------------------------------------------------------------

def _zones_digest(zones: ZoneSet) -> str:
    return hashlib.blake2b(pickle.dumps(zones), digest_size=16).hexdigest()


def _check_scratch_reachable(client: Any) -> None:
    """A local scratch directory only works when every worker runs on this host."""
    here = socket.gethostname()
    hosts = set(client.run(socket.gethostname).values())
    if hosts - {here}:
        raise ConfigError(
            f"workers run on other hosts ({', '.join(sorted(hosts - {here}))}): pass a "
            "scratch directory they all can reach (a shared path or an fsspec URL)"
        )


def _abort(scratch: str, futures: list[Any]) -> None:
    """Tell the tasks of a failed audit to stop writing, and wait (a while) until they
    have: queued ones then end at once, running ones at their next chunk."""
    from distributed import wait

    fs, root = fs_of(scratch)
    with contextlib.suppress(OSError):
        fs.makedirs(root, exist_ok=True)
        with fs.open(f"{root}/{ABORT_MARKER}", "wb"):
            pass
    with contextlib.suppress(TimeoutError):
        wait(futures, timeout=ABORT_WAIT_S)  # type: ignore[no-untyped-call]


def _default_partitions(client: Any) -> int:
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    return max(1, PARTITIONS_PER_THREAD * int(threads))


def audit_dask(
    paths: Sequence[str | Path],
    zones: ZoneSet,
    *,
    client: Any,
    t_from: datetime | None = None,
    t_to: datetime | None = None,
    max_gap_s: float = MAX_GAP_S,
    n_partitions: int | None = None,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    scratch: str | None = None,
) -> AuditResult:
    """Audit traffic files on the Dask cluster of ``client`` (a ``distributed.Client``):
    the same ``AuditResult.incursions`` as ``audit_batches`` over the files read in order,
    for time-ordered inputs (see the module docstring).

    ``paths``: files, directories (Parquet datasets) or globs, local or fsspec URLs.
    ``n_partitions``: target partitions (default: 4 per worker thread). ``scratch``: where
    the shards go, a directory or URL every worker can reach (default: a temporary
    directory on this host, refused when workers run elsewhere); removed at the end.
    ``progress(done, total)`` is called as tasks complete (one per file, one per partition).
    ``stats``: ``reports``/``in_window`` as read, ``batches`` the chunks audited in all,
    ``index_s`` the longest index build on a worker, ``elapsed_s`` the wall time.
    """
    from distributed import as_completed

    start = time.perf_counter()
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    files = expand_inputs(paths)
    n = n_partitions if n_partitions is not None else _default_partitions(client)
    if n < 1:
        raise ConfigError(f"n_partitions must be positive, got {n}")
    own_scratch = scratch is None
    if scratch is None:
        _check_scratch_reachable(client)
        scratch = tempfile.mkdtemp(prefix="skyfence-audit-")
    else:
        scratch = f"{scratch.rstrip('/')}/skyfence-audit-{uuid.uuid4().hex}"
    total = len(files) + n
    done = 0
    futures: list[Any] = []
    sharding = True
    try:
        zones_f = client.scatter(zones, broadcast=True, hash=False)
        digest = _zones_digest(zones)
        job = uuid.uuid4().hex[:8]
        futures = [
            client.submit(shard_file, f, i, scratch, n, fmt=fmt, mapping=mapping,
                          chunk_rows=chunk_rows, t_from=t_from, t_to=t_to,
                          key=f"skyfence-shard-{job}-{i}", pure=False)
            for i, f in enumerate(files)
        ]
        by_part: dict[int, list[Run]] = {p: [] for p in range(n)}
        stats = AuditStats(zones=len(zones))
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            shard: ShardResult = fut.result()
            stats.reports += shard.reports
            stats.in_window += shard.in_window
            for run in shard.runs:
                by_part[run.partition].append(run)
            done += 1
            if progress is not None:
                progress(done, total)
        sharding = False
        futures = [
            client.submit(audit_partition,
                          [(r.url, r.t_first)
                           for r in sorted(runs, key=lambda r: (r.file, r.seq))],
                          zones_f, digest, max_gap_s=max_gap_s, chunk_rows=chunk_rows,
                          key=f"skyfence-audit-{job}-{p}", pure=False)
            for p, runs in by_part.items()
        ]
        parts: list[pa.Table] = []
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            res = fut.result()
            parts.append(res.incursions)
            stats.batches += res.stats.batches
            stats.out_of_order += res.stats.out_of_order
            stats.index_s = max(stats.index_s, res.stats.index_s)
            done += 1
            if progress is not None:
                progress(done, total)
    except BaseException:
        if sharding:  # audit tasks only read: nothing to wait for
            _abort(scratch, futures)
        raise
    finally:
        for fut in futures:
            fut.cancel()
        if own_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            fs, root = fs_of(scratch)
            if fs.exists(root):
                fs.rm(root, recursive=True)
    table = pa.concat_tables(parts).combine_chunks() if parts else INCURSIONS.empty_table()
    stats.elapsed_s = time.perf_counter() - start
    return AuditResult(sort_incursions(table), stats)
