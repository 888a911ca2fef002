"""The audit on Dask (``skyfence.pipeline.distributed``): a real ``dask scheduler`` and two
``dask worker`` processes on loopback give exactly the single-machine audit's incursions,
however the input is cut into files and chunks."""

from __future__ import annotations

import contextlib
import hashlib
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from rich.console import Console

pytest.importorskip("distributed")

from distributed import Client

from skyfence.cli import main
from skyfence.errors import SkyfenceError
from skyfence.pipeline.audit import audit_batches, sort_incursions
from skyfence.pipeline.distributed import (
    DETECT_COLUMNS,
    RUN_SCHEMA,
    audit_dask,
    merge_runs,
    partition_of,
)
from skyfence.readers import read_traffic
from skyfence.report import write_incursions
from skyfence.schema.reports import REPORTS
from skyfence.zones.model import ZoneSet
from skyfence.zones.registry import load_zones

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "skyfence" / "data" / "sample"
TRAFFIC = SAMPLE / "paris_traffic.parquet"
ZONES = SAMPLE / "paris_zones.geojson"
START_TIMEOUT_S = 60.0


# -- a real cluster on loopback ---------------------------------------------------------------

def _dask_cli() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dask"]


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in reversed(procs):  # workers first, the scheduler last
        if p.poll() is None:
            p.terminate()
    for p in reversed(procs):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` + two ``dask worker --nthreads 1`` processes on 127.0.0.1; yields
    the scheduler address. Everything is terminated at the end, also on failure."""
    d = tmp_path_factory.mktemp("dask")
    sched_file = d / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        log = (d / "scheduler.log").open("wb")
        logs.append(log)
        procs.append(subprocess.Popen(
            [*_dask_cli(), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sched_file)],
            stdout=log, stderr=subprocess.STDOUT, cwd=d))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not sched_file.exists():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dask scheduler did not start: {(d / 'scheduler.log').read_text()}")
            time.sleep(0.1)
        for i in range(2):
            log = (d / f"worker{i}.log").open("wb")
            logs.append(log)
            procs.append(subprocess.Popen(
                [*_dask_cli(), "worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
                 "--nworkers", "1", "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
                 "--local-directory", str(d / f"w{i}"), "--death-timeout", "60"],
                stdout=log, stderr=subprocess.STDOUT, cwd=d))
        with Client(scheduler_file=str(sched_file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
            address = client.scheduler.address
        yield str(address)
        with contextlib.suppress(OSError, TimeoutError), Client(
                str(address), timeout="10s") as client:
            client.shutdown()  # workers and scheduler close at once, more quickly than on TERM
    finally:
        _stop(procs)
        for log in logs:
            log.close()


@pytest.fixture
def client(cluster: str) -> Iterator[Client]:
    with Client(cluster, timeout="30s") as c:
        yield c


# -- the reference ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zones() -> ZoneSet:
    return load_zones([ZONES])


@pytest.fixture(scope="module")
def reference(zones: ZoneSet) -> pa.Table:
    """The single-machine audit of the sample, one file, default chunks."""
    return audit_batches(read_traffic(TRAFFIC), zones).incursions


def csv_bytes(table: pa.Table, path: Path) -> bytes:
    write_incursions(table, path)
    return path.read_bytes()


def test_sample_gives_the_same_csv_bytes(client: Client, zones: ZoneSet, reference: pa.Table,
                                         tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    res = audit_dask([TRAFFIC], zones, client=client, progress=lambda d, t: seen.append((d, t)))
    assert reference.num_rows > 100
    assert csv_bytes(res.incursions, tmp_path / "dask.csv") == csv_bytes(
        reference, tmp_path / "local.csv")
    assert res.incursions.equals(reference)
    assert res.stats.reports == res.stats.in_window == 284_505
    assert res.stats.out_of_order == 0
    # 1 file + 4 partitions per worker thread; every task reported, in order
    assert seen == [(k, 9) for k in range(1, 10)]


def test_cli_engine_dask_on_the_scheduler(cluster: str, tmp_path: Path) -> None:
    outs = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"{engine}.csv"
        extra = ["--scheduler", cluster] if engine == "dask" else []
        buf = io.StringIO()
        code = main(["audit", "--sample", "--quiet", "--engine", engine, *extra,
                     "--out", str(out)], console=Console(file=buf, width=160))
        assert code == 0, buf.getvalue()
        assert "Audited 284,505 reports against 26 zones" in buf.getvalue()
        outs[engine] = out.read_bytes()
    assert outs["dask"] == outs["local"]


# -- cut into files and chunks ----------------------------------------------------------------

def split_by_time(dest: Path, pieces: int) -> list[Path]:
    """The sample cut at uneven times into ``pieces`` Parquet files (names sort in time
    order), so most targets' tracks span several files."""
    table = pq.read_table(TRAFFIC)
    t = pc.cast(table.column("time"), pa.int64()).to_numpy()
    cuts = np.quantile(t, np.sort(np.random.default_rng(7).uniform(0, 1, pieces - 1)))
    edges = [t.min(), *cuts, t.max() + 1]
    dest.mkdir()
    paths = []
    for k in range(pieces):
        mask = (t >= edges[k]) & (t < edges[k + 1])
        p = dest / f"part-{k:02d}.parquet"
        pq.write_table(table.filter(pa.array(mask)), p, row_group_size=10_000)
        paths.append(p)
    return paths


def test_many_files_and_small_chunks_find_the_same_episodes(
    client: Client, zones: ZoneSet, reference: pa.Table, tmp_path: Path
) -> None:
    paths = split_by_time(tmp_path / "split", 7)
    # the single-machine audit of the pieces agrees with the one file (the rule it keeps)
    local = audit_batches((b for p in paths for b in read_traffic(p, chunk_rows=4_999)), zones)
    assert local.incursions.equals(reference)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for inputs, n in (
        (paths, 5),  # files in order
        ([tmp_path / "split"], 3),  # a directory, as a Parquet dataset
        ([f"file://{p}" for p in reversed(paths)], 1),  # URLs, in reverse order
    ):
        res = audit_dask(inputs, zones, client=client, n_partitions=n, chunk_rows=3_001,
                         scratch=str(scratch))
        assert res.incursions.equals(reference), (inputs, n)
        assert res.stats.reports == 284_505
        assert res.stats.batches >= 284_505 // 3_001
        assert list(scratch.iterdir()) == []  # the shards are removed


def test_time_window_as_single_machine(client: Client, zones: ZoneSet) -> None:
    from skyfence.zones.schedule import parse_utc

    t_from, t_to = parse_utc("2021-10-07T12:40:00Z"), parse_utc("2021-10-07T13:55:00Z")
    local = audit_batches(read_traffic(TRAFFIC), zones, t_from=t_from, t_to=t_to)
    res = audit_dask([TRAFFIC], zones, client=client, t_from=t_from, t_to=t_to,
                     n_partitions=3, chunk_rows=20_000)
    assert res.incursions.equals(local.incursions)
    assert (res.stats.reports, res.stats.in_window) == (local.stats.reports,
                                                        local.stats.in_window)


def test_a_traffic_recording_in_another_format(client: Client, traffic_data: Path,
                                               tmp_path: Path) -> None:
    """A real recording of the ``traffic`` package (traffic JSON, gzip), against the
    European FIRs: a format other than Parquet, read on the workers."""
    rec = traffic_data / "samples" / "collections" / "switzerland.json.gz"
    firs = load_zones([traffic_data / "eurocontrol" / "eurofirs.json"])
    # the reader's rows sorted by time: the order of a recording
    table = pa.concat_tables(list(read_traffic(rec)))
    table = table.take(pc.sort_indices(table, [("time", "ascending")]))
    sorted_file = tmp_path / "switzerland.parquet"
    pq.write_table(table, sorted_file)
    local = audit_batches(read_traffic(sorted_file, chunk_rows=50_000), firs)
    assert local.incursions.num_rows > 10
    res = audit_dask([sorted_file], firs, client=client, n_partitions=4, chunk_rows=50_000)
    assert res.incursions.equals(local.incursions)


def test_a_bad_file_is_reported_and_nothing_left(client: Client, zones: ZoneSet,
                                                 tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,icao24,lat,lon\nnot-a-time,3c6444,48.7,2.3\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(SkyfenceError, match=r"bad\.csv"):
        audit_dask([TRAFFIC, bad], zones, client=client, scratch=str(scratch))
    assert list(scratch.iterdir()) == []
    with pytest.raises(SkyfenceError, match="no such file"):
        audit_dask([tmp_path / "missing.parquet"], zones, client=client)


# -- the pieces -------------------------------------------------------------------------------

def test_fsspec_urls_for_inputs_and_scratch(zones: ZoneSet, reference: pa.Table) -> None:
    """The two passes run here (no cluster) on fsspec ``memory://`` URLs: the input found in
    a folder and copied to a local file to be read, the runs written and merged there."""
    import fsspec

    from skyfence.pipeline.distributed import (
        _zones_digest,
        audit_partition,
        expand_inputs,
        shard_file,
    )

    fs = fsspec.filesystem("memory")
    fs.pipe("/skyfence-test/in/sample.parquet", TRAFFIC.read_bytes())
    fs.pipe("/skyfence-test/in/_SUCCESS", b"")
    try:
        files = expand_inputs(["memory://skyfence-test/in/"])
        assert len(files) == 1 and files[0].startswith("memory://")
        assert files[0].endswith("/skyfence-test/in/sample.parquet")
        shard = shard_file(files[0], 0, "memory://skyfence-test/scratch", 3, chunk_rows=40_000)
        assert shard.reports == 284_505 and {r.partition for r in shard.runs} == {0, 1, 2}
        parts = [audit_partition([(r.url, r.t_first) for r in shard.runs if r.partition == p],
                                 zones, _zones_digest(zones), chunk_rows=40_000)
                 for p in range(3)]
        table = sort_incursions(pa.concat_tables([r.incursions for r in parts]))
        assert table.equals(reference)
    finally:
        fs.rm("/skyfence-test", recursive=True)


def test_partition_is_a_stable_hash_of_the_id() -> None:
    ids = ["icao:3c6444", "icao:4ca7b3", None, "rid:1581F5FJD", "icao:3c6444"]
    expect = [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") % 7
              if s else 0 for s in ids]
    assert partition_of(pa.array(ids, pa.string()), 7).tolist() == expect
    chunked = pa.chunked_array([pa.array(ids[:2]), pa.array(ids[2:], pa.string())])
    assert partition_of(chunked, 7).tolist() == expect


def test_merge_runs_is_a_stable_sort_by_time(tmp_path: Path) -> None:
    """Runs overlapping in time, with many equal times, some empty, batches of any size."""
    rng = np.random.default_rng(3)
    runs, tables = [], []
    for k in range(6):
        n = int(rng.integers(0, 3_000)) if k != 2 else 0
        t = (np.sort(rng.integers(0, 500, n)) + 100 * k) * 1_000_000  # many equal times
        tb = _as_reports(pa.table({
            "time": pa.array(t, pa.timestamp("us", tz="UTC")),
            "target_id": pa.array([f"run{k}:{i}" for i in range(n)], pa.string())}))
        p = tmp_path / f"r{k}.arrows"
        with p.open("wb") as fh, pa.ipc.new_stream(fh, RUN_SCHEMA) as w:
            w.write_table(tb, max_chunksize=int(rng.integers(1, 900)))
        runs.append((str(p), int(t[0]) if n else 0))
        tables.append(tb)
    whole = pa.concat_tables(tables)
    expect = whole.take(pc.sort_indices(whole, [("time", "ascending")]))
    for chunk_rows in (1, 1_000, 100_000):
        chunks = list(merge_runs(runs, chunk_rows))
        assert all(c.num_rows == chunk_rows for c in chunks[:-1])
        got = pa.concat_tables(chunks)
        assert got.column("target_id").equals(expect.column("target_id"))


def _as_reports(tb: pa.Table) -> pa.Table:
    cols: dict[str, Any] = {}
    for f in RUN_SCHEMA:
        cols[f.name] = tb.column(f.name) if f.name in tb.column_names else pa.nulls(
            tb.num_rows, f.type)
    return pa.Table.from_pydict(cols, schema=RUN_SCHEMA)


def test_runs_carry_every_column_detection_reads() -> None:
    """Drift guard: the runs keep only ``DETECT_COLUMNS``; every column name that
    ``rows_from_reports`` (and the time window) mentions must be among them."""
    import inspect

    from skyfence.detect import batch

    src = inspect.getsource(batch.rows_from_reports)
    mentioned = {n for n in REPORTS.names if f'"{n}"' in src}
    assert mentioned <= set(DETECT_COLUMNS), mentioned - set(DETECT_COLUMNS)
    assert len(mentioned) >= 10


def test_cli_refuses_dask_options_without_the_engine() -> None:
    buf = io.StringIO()
    code = main(["audit", "--sample", "--quiet", "--workers", "2"],
                console=Console(file=buf, width=160))
    assert code != 0 and "--engine dask" in buf.getvalue()


def test_cli_local_cluster(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    buf = io.StringIO()
    code = main(["audit", "--sample", "--quiet", "--engine", "dask", "--workers", "1",
                 "--out", str(out)], console=Console(file=buf, width=160))
    assert code == 0, buf.getvalue()
    ref = tmp_path / "ref.csv"
    assert main(["audit", "--sample", "--quiet", "--out", str(ref)],
                console=Console(file=io.StringIO())) == 0
    assert out.read_bytes() == ref.read_bytes()
