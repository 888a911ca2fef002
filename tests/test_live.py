"""The live driver on the built-in recording, with an in-memory recorder."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from skyfence.alert.model import AlertRecord
from skyfence.cli.audit import sample_paths
from skyfence.errors import StoreError
from skyfence.ingest.base import Batch
from skyfence.pipeline.audit import audit_batches
from skyfence.pipeline.live import LiveConfig, LiveService
from skyfence.pipeline.sources import make_source, reports_from_json
from skyfence.sinks.base import Notification
from skyfence.store import Store, open_store, schema
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


class SpacedSource:
    """Slices ``gap_s`` apart, as a quiet feed delivers them."""

    def __init__(self, tables: list[pa.Table], gap_s: float) -> None:
        self.tables, self.gap_s = tables, gap_s

    async def batches(self) -> AsyncIterator[Batch]:
        for t in self.tables:
            yield t
            await asyncio.sleep(self.gap_s)


def test_an_idle_pipeline_processes_each_arrival_at_once(
        sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    service = LiveService(zones, recorder=MemoryRecorder())  # default batching
    parts = slices(table.slice(0, 4_000), 500)
    asyncio.run(service.run([SpacedSource(parts, 0.2)], until_sources_end=True))
    # nothing held back waiting for a window: one micro-batch (and commit) per arrival
    assert service.metrics.batches._value.get() == len(parts)
    assert len(service.latencies) == len(parts)


class SlowRecorder(MemoryRecorder):
    """A store whose commits take ``delay_s``; remembers what was durable when."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.durable: set[str] = set()
        self.commits = 0

    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None:
        time.sleep(self.delay_s)
        super().record(events, alerts, notifications)
        self.durable.update(a.id for a in alerts)
        self.commits += 1


def test_commits_group_batches_and_come_before_anything_is_sent(
        sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    fast = MemoryRecorder()
    small = LiveConfig(batch_max_rows=2_000, alert_refresh_s=0.0)  # every change written
    reference = LiveService(zones, recorder=fast, sinks=["hook"], config=small)
    parts = slices(table.slice(0, 30_000), 500)
    asyncio.run(reference.run([TableSource(parts)], until_sources_end=True))

    slow = SlowRecorder(0.05)
    woken: list[int] = []
    service = LiveService(zones, recorder=slow, sinks=["hook"], config=small,
                          on_commit=lambda: woken.append(len(slow.notifications)))
    early: list[str] = []

    async def main() -> None:
        messages = service.subscribe(maxsize=100_000)
        run = asyncio.create_task(service.run([TableSource(parts)], until_sources_end=True))
        while not (run.done() and messages.empty()):
            try:
                m = await asyncio.wait_for(messages.get(), 0.01)
            except TimeoutError:
                continue
            if m["type"] == "alert" and m["alert"]["id"] not in slow.durable:
                early.append(m["alert"]["id"])
        await run

    asyncio.run(main())
    assert not early  # no alert was told before the commit that stored it
    assert woken and all(n > 0 for n in woken)  # the dispatcher is woken after commits
    batches = service.metrics.batches._value.get()
    assert slow.commits < batches  # batches processed during a commit share the next one
    # the same results as one commit per batch, in the same order
    events = pa.concat_tables(slow.events)
    assert events.equals(pa.concat_tables(fast.events))
    assert [n.payload["type"] for n in slow.notifications] == [
        n.payload["type"] for n in fast.notifications]
    # each alert's stored state ends the same (ids are random: keyed by target, zone, opening)
    def final(alerts: list[AlertRecord]) -> dict[object, object]:
        return {(a.target_id, a.zone_id, a.opened_at): (a.status, a.n_events, a.updated_at)
                for a in alerts}

    assert final(slow.alerts) == final(fast.alerts)
    assert len(slow.alerts) < len(fast.alerts)  # written once per commit, not per batch


class FailingRecorder(MemoryRecorder):
    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None:
        raise StoreError("record: the sqlite database failed: disk I/O error")


def test_a_failing_store_stops_the_service_with_its_error(
        sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    service = LiveService(zones, recorder=FailingRecorder(), config=LiveConfig(queue_batches=2))
    endless = TableSource(slices(table, 100) * 10)
    with pytest.raises(StoreError, match="disk I/O error"):
        # without until_sources_end the service would otherwise run until cancelled
        asyncio.run(asyncio.wait_for(service.run([endless]), 60))
    assert not service.alerts_changed  # nothing was announced


def test_warm_up_leaves_the_service_state_alone(sample: tuple[pa.Table, ZoneSet]) -> None:
    _, zones = sample
    rec = MemoryRecorder()
    service = LiveService(zones, recorder=rec)
    asyncio.run(service.run([], until_sources_end=True))
    assert service.tracks.table.num_rows == 0 and not service.live_alerts()
    assert not rec.events and service.metrics.batches._value.get() == 0


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


class StoreRecorder:
    """The real store, keeping what each commit carried."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.commits: list[tuple[list[AlertRecord], list[Notification]]] = []

    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None:
        self.store.record(events, alerts, notifications)
        self.commits.append((list(alerts), list(notifications)))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'skyfence.db'}"
    url: str = request.getfixturevalue("pg_empty")
    return url


def test_alert_refreshes_are_throttled_lifecycle_changes_are_not(
        db_url: str, sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    parts = slices(table.slice(0, 30_000), 500)
    written: dict[float, int] = {}
    for refresh_s in (0.0, 3600.0):
        store = open_store(db_url)
        try:
            rec = StoreRecorder(store)
            service = LiveService(zones, recorder=rec, sinks=["hook"],
                                  config=LiveConfig(batch_max_rows=500, alert_refresh_s=refresh_s))
            asyncio.run(service.run([TableSource(parts)], until_sources_end=True))
            written[refresh_s] = sum(len(alerts) for alerts, _ in rec.commits)
            # every notified change (opened, escalated, closed) is in its batch's commit
            # (a commit writes each alert once, in its latest state)
            for alerts, notes in rec.commits:
                states = {a.id: (a.status, a.kind, a.severity) for a in alerts}
                told = {n.payload["alert"]["id"]: n.payload["alert"] for n in notes}
                assert {i: (a["status"], a["kind"], a["severity"]) for i, a in told.items()
                        } == {i: states.get(i) for i in told}
            # at shutdown the store holds every live alert as the service last saw it
            live = service.live_alerts()
            assert live
            assert {a.id: store.alert(a.id) for a in live} == {a.id: a for a in live}
            # and every alert's last write is its final state
            final = {a.id: a for alerts, _ in rec.commits for a in alerts}
            assert {a.id: a for a in store.alerts(limit=10_000)} == final
            with store._engine.begin() as conn:  # the next run starts empty
                for t in (schema.alerts, schema.events, schema.outbox):
                    conn.execute(sa.delete(t))
        finally:
            store.close()
    # without the throttle every refresh is a row; with it, lifecycle changes and one
    # last position per alert
    assert written[3600.0] < written[0.0] / 3


def test_an_alert_closed_by_an_operator_is_forgotten_by_the_write_throttle(
        sample: tuple[pa.Table, ZoneSet]) -> None:
    table, zones = sample
    parts = slices(table.slice(0, 30_000), 500)
    service = LiveService(zones, recorder=MemoryRecorder(),
                          config=LiveConfig(batch_max_rows=500, alert_refresh_s=3600.0))
    closed: list[str] = []

    class ClosingSource:
        """The first parts, then an operator closes an open alert (once the commit step
        has written it), then the rest."""

        async def batches(self) -> AsyncIterator[Batch]:
            for t in parts[:30]:
                await asyncio.sleep(0)
                yield t
            for _ in range(500):
                live = [a for a in service.live_alerts() if service._throttle.keeps(a.id)]
                if live:
                    break
                await asyncio.sleep(0.01)
            assert live
            change = await service.close_alert(live[0].id, "olga")
            assert change is not None and change.status == "closed"
            closed.append(change.id)
            for t in parts[30:]:
                await asyncio.sleep(0)
                yield t

    asyncio.run(service.run([ClosingSource()], until_sources_end=True))
    assert closed and not service._throttle.keeps(closed[0])
    assert all(a.id != closed[0] for a in service.live_alerts())
    assert all(service._throttle.keeps(a.id) for a in service.live_alerts())
