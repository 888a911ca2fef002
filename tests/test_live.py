"""The live driver on the built-in recording, with an in-memory recorder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyfence.alert.model import AlertRecord
from skyfence.cli.audit import sample_paths
from skyfence.ingest.base import Batch
from skyfence.pipeline.audit import audit_batches
from skyfence.pipeline.live import LiveConfig, LiveService
from skyfence.pipeline.sources import make_source, reports_from_json
from skyfence.sinks.base import Notification
from skyfence.zones import Margins, ZoneSet, load_zones


class MemoryRecorder:
    def __init__(self) -> None:
        self.events: list[pa.Table] = []
        self.alerts: list[AlertRecord] = []
        self.notifications: list[Notification] = []

    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None:
        self.events.append(events)
        self.alerts.extend(alerts)
        self.notifications.extend(notifications)


class TableSource:
    def __init__(self, tables: list[pa.Table]) -> None:
        self.tables = tables

    async def batches(self) -> AsyncIterator[Batch]:
        for t in self.tables:
            await asyncio.sleep(0)
            yield t


@pytest.fixture(scope="module")
def sample() -> tuple[pa.Table, ZoneSet]:
    traffic, zones = sample_paths()
    table = pq.read_table(traffic).slice(0, 120_000)  # the first ~70 minutes
    return table, load_zones([zones])


def slices(table: pa.Table, rows: int) -> list[pa.Table]:
    return [table.slice(i, rows) for i in range(0, table.num_rows, rows)]


def test_replay_raises_the_audits_incursions(sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    rec = MemoryRecorder()
    service = LiveService(zones, recorder=rec, sinks=["hook"],
                          config=LiveConfig(batch_max_s=0.01, batch_max_rows=5_000))
    asyncio.run(service.run([TableSource(slices(table, 2_000))], until_sources_end=True))
    opened = {a.id for a in rec.alerts if a.kind == "incursion"}
    episodes = audit_batches([table], zones).incursions
    # alerts merge re-entries within the hold time, so never more alerts than episodes
    assert 0.8 * episodes.num_rows <= len(opened) <= episodes.num_rows
    pairs = {(a.target_id, a.zone_id) for a in rec.alerts}
    assert pairs == set(zip(episodes.column("target_id").to_pylist(),
                            episodes.column("zone_id").to_pylist(), strict=True))
    # every notified change has its notification, ids stable and unique
    notes = [n for n in rec.notifications if n.payload["type"] == "alert.opened"]
    assert len({n.id for n in notes}) == len(notes) == len(
        {a.id for a in rec.alerts if a.opened_at})
    assert all(n.sink == "hook" and n.topic.startswith("skyfence.alerts.") for n in notes)
    kinds = set(pa.concat_tables(rec.events).column("kind").to_pylist())
    assert {"enter", "exit"} <= kinds and "inside" not in kinds  # inside: picture only
    assert service.metrics.reports_in._value.get() == table.num_rows
    assert service.tracks.by_target  # an air picture was kept


def test_predicted_entry_alerts_before_entry(sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    ahead = ZoneSet([replace(z, margins=Margins(0.0, 90.0)) for z in zones])
    rec = MemoryRecorder()
    # batches of a few seconds of traffic, as a live feed gives
    service = LiveService(ahead, recorder=rec,
                          config=LiveConfig(batch_max_s=0.01, batch_max_rows=300))
    asyncio.run(service.run([TableSource(slices(table, 300))], until_sources_end=True))
    opened = [c.alert for c in service.alerts_changed if c.change == "opened"]
    predicted = [a for a in opened if a.kind == "predicted"]
    assert predicted and all(0 <= a.time_to_boundary_s <= 90.0 for a in predicted)
    escalated = {c.alert.id for c in service.alerts_changed if c.change == "escalated"}
    # some predictions came true, keeping their alert id
    assert escalated and escalated <= {a.id for a in predicted}
    assert {a.id for a in rec.alerts if a.kind == "incursion"} >= escalated


def test_back_pressure_bounds_the_queue(sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    service = LiveService(zones, config=LiveConfig(queue_batches=2, batch_max_rows=100))
    sizes: list[int] = []

    async def main() -> None:
        task = asyncio.create_task(service.run([TableSource(slices(table, 500))],
                                               until_sources_end=True))
        while not task.done():
            sizes.append(service._queue.qsize())
            await asyncio.sleep(0)
        await task

    asyncio.run(main())
    assert max(sizes) <= 2


def test_file_replay_source_at_speed(tmp_path: Path, sample: tuple[pa.Table, ZoneSet]) -> None:
    table, _ = sample
    path = tmp_path / "rec.parquet"
    part = table.slice(0, 3_000)  # 248 s of traffic
    pq.write_table(part, path)
    span = (part.column("time")[-1].value - part.column("time")[0].value) / 1e6
    source = make_source(f"file://{path}?speed=200")

    async def collect() -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        async for b in source.batches():
            n += len(b)
        return n, loop.time() - start

    n, elapsed = asyncio.run(collect())
    assert n == 3_000
    assert span / 200 * 0.8 < elapsed < span / 200 + 2.0  # paced at 200x real time


def test_reports_from_json_posts() -> None:
    body = b'[{"time": "2021-10-07T12:00:00Z", "target_id": "icao:abc123", "lat": 48.0, ' \
           b'"lon": 2.0, "alt_baro_m": 300}]'
    table = reports_from_json(body)
    assert table.num_rows == 1 and table.column("alt_baro_m").to_pylist() == [300.0]
    lines = b'{"time": 1633608000, "target_id": "icao:abc123", "lat": 48.0, "lon": 2.0}\n'
    assert reports_from_json(lines).num_rows == 1
