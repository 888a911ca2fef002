"""The live driver: sources in, alerts out, through the same stages as the audit.

Each source runs in its own task and puts batches on a bounded queue (a full queue makes the
sources wait: back-pressure, never an unbounded buffer). One processing task gathers
micro-batches (up to ``batch_max_s`` or ``batch_max_rows``), decodes raw frames, runs
the integrity checks (flags, track confidence), detect (with predicted entries) and the
alert stage (which grades incursions by the integrity of their reports), and commits
events, alert changes and their outbox notifications in one transaction before anyone is
told: then the dispatcher is woken and WebSocket subscribers get track and alert messages.
Writes go through one dedicated thread (one writer). Zones can be swapped while running (a
new index is built off the loop). Shutdown drains what was accepted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.alert import stage as alerts
from skyfence.alert.model import AlertChange, AlertRecord
from skyfence.decode import DecoderState, decode_frames
from skyfence.detect import Membership, detect_step
from skyfence.detect.events import events_and_flags
from skyfence.ingest.base import FrameBatch, Source
from skyfence.pipeline.metrics import LiveMetrics
from skyfence.pipeline.tracks import TrackTable
from skyfence.schema import REPORTS, conform
from skyfence.sinks.base import Notification
from skyfence.track import IntegrityState, integrity_step
from skyfence.zones.index import ZoneIndex
from skyfence.zones.model import ZoneSet

__all__ = ["LiveConfig", "LiveService", "Recorder"]


class Recorder(Protocol):
    """What the live service needs from the store (``skyfence.store.Store`` is one)."""

    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None: ...


@dataclass
class LiveConfig:
    batch_max_s: float = 0.1
    batch_max_rows: int = 50_000
    queue_batches: int = 64
    stale_s: float = 60.0
    reference: tuple[float, float] | None = None


@dataclass
class _Pending:
    tables: list[pa.Table] = field(default_factory=list)
    rows: int = 0
    first_at: float = 0.0
    received: list[float] = field(default_factory=list)


class LiveService:
    """Runs the live pipeline; the API reads its tracks, metrics and subscribes to updates."""

    def __init__(
        self,
        zones: ZoneSet,
        *,
        recorder: Recorder | None = None,
        sinks: Sequence[str] = (),
        config: LiveConfig | None = None,
        archive: Callable[[pa.Table], object] | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.config = config or LiveConfig()
        self.zones = zones
        self.index = ZoneIndex(zones)
        self.recorder = recorder
        self.sinks = list(sinks)
        self.archive = archive
        self.on_commit = on_commit
        self.metrics = LiveMetrics()
        self.tracks = TrackTable(self.config.stale_s)
        self._membership = Membership()
        self._integrity = IntegrityState()
        self._alerts = alerts.AlertState()
        self._decoders: dict[int, DecoderState] = {}
        self._queue: asyncio.Queue[tuple[int, FrameBatch | pa.Table, float] | None] = (
            asyncio.Queue(self.config.queue_batches)
        )
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skyfence-writer")
        self._lock = asyncio.Lock()
        self.alerts_changed: list[AlertChange] = []
        # receipt-to-commit seconds of recent batches (benchmarks read percentiles here)
        self.latencies: collections.deque[float] = collections.deque(maxlen=100_000)

    # -- what the API uses -------------------------------------------------------------------

    async def set_zones(self, zones: ZoneSet) -> None:
        """Swap the zones (a new version): the index is built off the event loop."""
        index = await asyncio.to_thread(ZoneIndex, zones)
        async with self._lock:
            self.zones, self.index = zones, index

    def restore(self, records: Sequence[AlertRecord]) -> None:
        """Take back the alerts that were live when the service last stopped, so episodes
        continue across a restart instead of opening twice."""
        for a in records:
            if a.status != "closed":
                self._alerts.live[(a.target_id, a.zone_id)] = a

    def live_alerts(self) -> list[AlertRecord]:
        return list(self._alerts.live.values())

    async def acknowledge(self, alert_id: str, user: str) -> AlertRecord | None:
        return await self._operator(alerts.acknowledge, alert_id, user)

    async def close_alert(self, alert_id: str, user: str) -> AlertRecord | None:
        return await self._operator(alerts.close, alert_id, user)

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[dict[str, Any]]:
        """A queue of ``{"type": "track"|"alert", ...}`` messages; a slow subscriber loses
        the oldest messages rather than slowing the pipeline."""
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(q)

    async def ingest(self, batch: FrameBatch | pa.Table, source: int = -1) -> None:
        """Put one batch on the queue (HTTP POST of reports uses this); waits when full."""
        self.metrics.queue_depth.set(self._queue.qsize())
        await self._queue.put((source, batch, time.monotonic()))

    # -- running ------------------------------------------------------------------------------

    async def run(self, sources: Sequence[Source], *, until_sources_end: bool = False) -> None:
        """Run until cancelled (or, with ``until_sources_end``, until every source is done),
        then drain the queue and stop."""
        feeders = [asyncio.create_task(self._feed(i, s)) for i, s in enumerate(sources)]
        worker = asyncio.create_task(self._work())
        try:
            if until_sources_end:
                await asyncio.gather(*feeders)
            else:
                await asyncio.Event().wait()
        finally:
            for f in feeders:
                f.cancel()
            await asyncio.gather(*feeders, return_exceptions=True)
            await self._queue.put(None)
            await worker
            self._writer.shutdown(wait=True)

    async def _feed(self, i: int, source: Source) -> None:
        async for batch in source.batches():
            if len(batch):
                await self.ingest(batch, i)

    async def _work(self) -> None:
        pending = _Pending()
        loop = asyncio.get_running_loop()
        while True:
            timeout = None
            if pending.rows:
                timeout = max(0.0, pending.first_at + self.config.batch_max_s - loop.time())
            try:
                item = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                await self._flush(pending)
                pending = _Pending()
                continue
            if item is None:
                if pending.rows:
                    await self._flush(pending)
                return
            source, batch, received = item
            table = self._decode(source, batch)
            if not pending.rows:
                pending.first_at = loop.time()
            pending.tables.append(table)
            pending.rows += table.num_rows
            pending.received.append(received)
            if pending.rows >= self.config.batch_max_rows:
                await self._flush(pending)
                pending = _Pending()

    def _decode(self, source: int, batch: FrameBatch | pa.Table) -> pa.Table:
        if isinstance(batch, pa.Table):
            self.metrics.reports_in.inc(batch.num_rows)
            return batch.select([c for c in batch.column_names if c in REPORTS.names])
        self.metrics.frames_in.inc(len(batch))
        table, state = decode_frames(
            batch.frames, batch.lengths, batch.times, reference=self.config.reference,
            state=self._decoders.get(source), mlat_ticks=batch.mlat_ticks,
            signal_dbfs=batch.signal_dbfs,
        )
        self._decoders[source] = state
        decoded = table.column("error").null_count
        self.metrics.decode_errors.inc(table.num_rows - decoded)
        ok = table.filter(table.column("error").is_null())
        self.metrics.reports_in.inc(ok.num_rows)
        return ok

    async def _flush(self, pending: _Pending) -> None:
        started = time.monotonic()
        if not pending.rows:
            return
        # one conformance per micro-batch, not per incoming slice
        reports = conform(pa.concat_tables(pending.tables, promote_options="permissive"),
                          REPORTS)
        async with self._lock:
            self._integrity, reports, conf = integrity_step(self._integrity, reports,
                                                            time.time())
            reports = reports.set_column(reports.schema.get_field_index("confidence"),
                                         "confidence", pa.array(conf, pa.float64()))
            self._membership, det = detect_step(self.index, self._membership, reports,
                                                self.config.stale_s, predict=True)
            events, flags = events_and_flags(det)
            now = datetime.fromtimestamp(float(np.nanmax(det.rows.t)), UTC) if len(
                det.rows) else datetime.now(UTC)
            self._alerts, changes = alerts.alert_step(self._alerts, events, self.zones, now,
                                                      flags=flags)
            self.tracks.update(det)
        notifications = self.notifications_for(changes)
        changed = list({c.alert.id: c.alert for c in changes}.values())
        if self.recorder is not None:
            # the per-batch "inside" summaries feed alerts and the picture; the record keeps
            # transitions and predictions (an inside row per target per batch would dominate)
            kept = events.filter(pc.not_equal(events.column("kind"), "inside"))
            await asyncio.get_running_loop().run_in_executor(
                self._writer, self.recorder.record, kept, changed, notifications)
        if self.archive is not None:
            await asyncio.get_running_loop().run_in_executor(self._writer, self.archive,
                                                             reports)
        if self.on_commit is not None and notifications:
            self.on_commit()
        self.alerts_changed.extend(c for c in changes if c.change in alerts.NOTIFIED)
        self.metrics.batches.inc()
        self.metrics.events.inc(events.num_rows)
        self.metrics.open_alerts.set(len(self._alerts.live))
        done = time.monotonic()
        self.metrics.batch_seconds.observe(done - started)
        for r in pending.received:
            self.metrics.latency_seconds.observe(done - r)
            self.latencies.append(done - r)
        self._broadcast(changes)

    def notifications_for(self, changes: Sequence[AlertChange]) -> list[Notification]:
        """One notification per notified change and sink; ids are stable (a retry or a
        replay of the same change has the same id)."""
        out = []
        now = datetime.now(UTC)
        for c in changes:
            if c.change not in alerts.NOTIFIED:
                continue
            payload = {"type": f"alert.{c.change}", "alert": c.alert.to_json()}
            for sink in self.sinks:
                out.append(Notification(
                    id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{c.alert.id}/{c.change}/{sink}")),
                    sink=sink, topic=f"skyfence.alerts.{c.alert.zone_id}", payload=payload,
                    created_at=now,
                ))
        return out

    def _broadcast(self, changes: Sequence[AlertChange]) -> None:
        if not self._subscribers:
            return
        messages: list[dict[str, Any]] = [
            {"type": "alert", "change": c.change, "alert": c.alert.to_json()} for c in changes
            if c.change != "updated"
        ]
        messages += [{"type": "track", **t} for t in self.tracks.recent()]
        for q in list(self._subscribers):
            for m in messages:
                if q.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        q.get_nowait()
                q.put_nowait(m)

    async def _operator(
        self, action: Callable[[alerts.AlertState, str, str, datetime], AlertChange | None],
        alert_id: str, user: str,
    ) -> AlertRecord | None:
        now = datetime.now(UTC)
        async with self._lock:
            change = action(self._alerts, alert_id, user, now)
        if change is None:
            return None
        self._broadcast([change])
        return change.alert
