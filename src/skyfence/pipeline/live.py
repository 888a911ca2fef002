"""The live driver: sources in, alerts out, through the same stages as the audit.

Each source runs in its own task and puts batches on a bounded queue (a full queue makes the
sources wait: back-pressure, never an unbounded buffer). Three steps run side by side, each
on its own thread, in order:

1. *gather* (the event loop): whatever is queued when the processor is free is the next
   micro-batch (at most ``batch_max_rows``; ``batch_max_s`` > 0 lets an idle processor wait
   that long for more). Under load batches grow by themselves; at a trickle each batch is
   processed as soon as it arrives, never held back by a fixed window.
2. *process* (one processing thread): decode raw frames, the integrity checks, detect (with
   predicted entries), the alert stage and the air picture; the event loop stays free for
   sources, the API and WebSocket subscribers meanwhile.
3. *commit* (the one writer thread): the events, alert changes and outbox notifications of
   every batch processed since the last commit go to the store in **one transaction**
   (group commit: one fsync for all of them, each alert written once with its latest
   state), while the next batch is being processed. Only after that commit are the
   dispatcher woken and WebSocket subscribers told, batch by batch, in order. Lifecycle
   changes of alerts are written with their batch; a mere refresh of a live alert
   (position, count) at most once per ``alert_refresh_s`` per alert, and every held one at
   shutdown (:mod:`skyfence.alert.writes`): the stored alert lags the live one by at most
   that long.

A batch's latency (``latencies``, ``skyfence_latency_seconds``) runs from its receipt to
the return of the commit that made its events and alerts durable. Before the first report
the stages are warmed up (compiled kernels loaded) and what is alive is frozen out of the
cyclic garbage collector; while running, the GIL switch interval is 0.5 ms. Zones can be swapped
while running (a new index is built off the loop). Shutdown drains what was accepted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.alert import stage as alerts
from skyfence.alert.model import AlertChange, AlertRecord
from skyfence.alert.writes import WriteThrottle
from skyfence.decode import DecoderState, decode_frames
from skyfence.detect import Membership, detect_step
from skyfence.detect.events import events_and_flags
from skyfence.ingest.base import FrameBatch, Source
from skyfence.pipeline.batching import (
    Processed,
    Stopwatch,
    merge,
    put_unless_done,
    switch_interval,
    warm_up_reports,
)
from skyfence.pipeline.metrics import LiveMetrics
from skyfence.pipeline.tracks import TrackTable
from skyfence.schema import REPORTS, conform
from skyfence.sinks.base import Notification
from skyfence.track import IntegrityState, integrity_step
from skyfence.zones.index import ZoneIndex
from skyfence.zones.model import ZoneSet

__all__ = ["LiveConfig", "LiveService", "Recorder"]

# processed batches waiting for the writer before processing waits too (back-pressure from
# a slow store); a commit takes all of them at once
_COMMIT_QUEUE = 8
# the interpreter's GIL switch interval while the service runs (default 5 ms): a thread
# coming back from an fsync or a SQLite step waits up to this long for the GIL while the
# processing thread computes; at 5 ms a 300-alert commit took 14-24 ms instead of 4
SWITCH_INTERVAL_S = 0.0005

_Item = tuple[int, FrameBatch | pa.Table, float]


class Recorder(Protocol):
    """What the live service needs from the store (``skyfence.store.Store`` is one)."""

    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None: ...


@dataclass
class LiveConfig:
    batch_max_s: float = 0.0
    batch_max_rows: int = 50_000
    queue_batches: int = 64
    stale_s: float = 60.0
    reference: tuple[float, float] | None = None
    # a live alert's position-only refreshes reach the store at most this often (seconds;
    # 0: every batch); lifecycle changes are never held back
    alert_refresh_s: float = 1.0


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
        self._throttle = WriteThrottle(self.config.alert_refresh_s)  # the commit step's
        # alerts an operator closed, for the commit step's throttle to forget (any thread)
        self._closed_by_operator: collections.deque[str] = collections.deque()
        self._no_events: pa.Table | None = None  # an empty events table, for timed writes
        self._decoders: dict[int, DecoderState] = {}
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue(self.config.queue_batches)
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
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
        then drain the queue and stop. A failure of the pipeline (the store refusing a
        commit) stops the sources and is raised here."""
        with switch_interval(SWITCH_INTERVAL_S):
            await self._run(sources, until_sources_end)

    async def _run(self, sources: Sequence[Source], until_sources_end: bool) -> None:
        processor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skyfence-process")
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skyfence-writer")
        commits: asyncio.Queue[Processed | None] = asyncio.Queue(_COMMIT_QUEUE)
        try:
            # compiled kernels load on first use (hundreds of ms, seconds without a cache):
            # before the first report, not in its latency
            await asyncio.get_running_loop().run_in_executor(processor, self._warm_up)
        except BaseException:
            processor.shutdown(wait=True)
            writer.shutdown(wait=True)
            raise
        # everything alive now (modules, zones, kernels) lives as long as the process: out
        # of the cyclic collector's sight, whose full passes over it paused the pipeline for
        # 100-300 ms (8 times in a 5 s run at 200 k reports/s) before
        gc.freeze()
        feeders = [asyncio.create_task(self._feed(i, s)) for i, s in enumerate(sources)]
        worker = asyncio.create_task(self._work(processor, commits))
        committer = asyncio.create_task(self._commit(writer, commits))
        sources_done: asyncio.Future[Any] = (
            asyncio.gather(*feeders) if until_sources_end else asyncio.Future())
        try:
            await asyncio.wait({sources_done, worker, committer},
                               return_when=asyncio.FIRST_COMPLETED)
            if sources_done.done():
                sources_done.result()  # a source that failed
        finally:
            for f in feeders:
                f.cancel()
            await asyncio.gather(*feeders, return_exceptions=True)
            if not sources_done.done():
                sources_done.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(sources_done, return_exceptions=True)
            # drain: the worker ends at the None, the committer after the worker's None; a
            # committer that failed stops the worker (it would wait for room forever)
            await put_unless_done(self._queue, None, worker)
            while not worker.done():
                await asyncio.wait({worker, committer}, return_when=asyncio.FIRST_COMPLETED)
                if committer.done():
                    worker.cancel()
                    await asyncio.wait({worker})
            if worker.cancelled() or worker.exception() is not None:
                committer.cancel()
            await asyncio.wait({committer})
            processor.shutdown(wait=True)
            writer.shutdown(wait=True)
        for task in (worker, committer):
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    def _warm_up(self) -> None:
        """Run the stages once on two made-up reports crossing the first zone, with states
        of their own (the service's are not touched)."""
        if not len(self.zones):
            return
        t0 = datetime.now(UTC)
        reports = warm_up_reports(self.zones[0], t0)
        _, reports, conf = integrity_step(IntegrityState(), reports, time.time())
        reports = reports.set_column(reports.schema.get_field_index("confidence"),
                                     "confidence", pa.array(conf, pa.float64()))
        _, det = detect_step(self.index, Membership(), reports, self.config.stale_s,
                             predict=True)
        events, flags = events_and_flags(det)
        alerts.alert_step(alerts.AlertState(), events, self.zones, t0, flags=flags)
        TrackTable(self.config.stale_s).update(det)

    async def _feed(self, i: int, source: Source) -> None:
        async for batch in source.batches():
            if len(batch):
                await self.ingest(batch, i)

    async def _gather(self) -> tuple[list[_Item], bool]:
        """The next micro-batch: what is queued now (waiting for the first item when
        nothing is), plus what arrives within ``batch_max_s``; and whether the queue has
        ended."""
        loop = asyncio.get_running_loop()
        item = await self._queue.get()
        if item is None:
            return [], True
        items, rows = [item], len(item[1])
        deadline = loop.time() + self.config.batch_max_s
        while rows < self.config.batch_max_rows:
            if self._queue.empty():
                wait = deadline - loop.time()
                if wait <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), wait)
                except TimeoutError:
                    break
            else:
                item = self._queue.get_nowait()
            if item is None:
                return items, True
            items.append(item)
            rows += len(item[1])
        return items, False

    async def _work(self, processor: ThreadPoolExecutor,
                    commits: asyncio.Queue[Processed | None]) -> None:
        loop = asyncio.get_running_loop()
        ended = False
        while not ended:
            items, ended = await self._gather()
            self.metrics.queue_depth.set(self._queue.qsize())
            if not items:
                continue
            async with self._lock:
                done = await loop.run_in_executor(processor, self._process, items)
            if done is not None:
                await commits.put(done)
        await commits.put(None)

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

    def _process(self, items: list[_Item]) -> Processed | None:
        """The stages on one micro-batch (the processing thread, under the service lock)."""
        clock = Stopwatch()
        tables = [self._decode(source, batch) for source, batch, _ in items]
        clock.lap("decode")
        # one conformance per micro-batch, not per incoming slice
        reports = conform(pa.concat_tables(tables, promote_options="permissive"), REPORTS)
        if reports.num_rows == 0:
            return None
        self._integrity, reports, conf = integrity_step(self._integrity, reports, time.time())
        reports = reports.set_column(reports.schema.get_field_index("confidence"),
                                     "confidence", pa.array(conf, pa.float64()))
        clock.lap("integrity")
        self._membership, det = detect_step(self.index, self._membership, reports,
                                            self.config.stale_s, predict=True)
        events, flags = events_and_flags(det)
        clock.lap("detect")
        now = datetime.fromtimestamp(float(np.nanmax(det.rows.t)), UTC) if len(
            det.rows) else datetime.now(UTC)
        self._alerts, changes = alerts.alert_step(self._alerts, events, self.zones, now,
                                                  flags=flags)
        notifications = self.notifications_for(changes)
        # the per-batch "inside" summaries feed alerts and the picture; the record keeps
        # transitions and predictions (an inside row per target per batch would dominate)
        kept = events.filter(pc.not_equal(events.column("kind"), "inside"))
        clock.lap("alerts")
        tracks = self.tracks.update(det)
        clock.lap("tracks")
        for stage, seconds in clock.laps.items():
            self.metrics.stage_seconds.labels(stage).observe(seconds)
        self.metrics.batch_seconds.observe(sum(clock.laps.values()))
        return Processed(
            received=[r for _, _, r in items], events=kept, n_events=events.num_rows,
            changes=changes, notifications=notifications, reports=reports, tracks=tracks,
            open_alerts=len(self._alerts.live))

    async def _commit(self, writer: ThreadPoolExecutor,
                      commits: asyncio.Queue[Processed | None]) -> None:
        """Group commit: everything processed since the last commit, in one transaction."""
        loop = asyncio.get_running_loop()
        ended = False
        while not ended:
            try:
                item = await asyncio.wait_for(commits.get(), self._refresh_wait())
            except TimeoutError:  # no batch came: write the refreshes that are due
                await loop.run_in_executor(writer, self._record_held, False)
                continue
            group: list[Processed] = []
            while item is not None:
                group.append(item)
                if commits.empty():
                    break
                item = commits.get_nowait()
            ended = item is None
            if not group:
                continue
            if self.recorder is not None:
                committed = await loop.run_in_executor(writer, self._record, group)
            else:
                committed = time.monotonic()
            self._committed(group, committed)
            if self.archive is not None:
                reports = pa.concat_tables([g.reports for g in group],
                                           promote_options="permissive")
                await loop.run_in_executor(writer, self.archive, reports)
        await loop.run_in_executor(writer, self._record_held, True)

    def _refresh_wait(self) -> float | None:
        """How long the committer may wait for a batch before held refreshes are due."""
        due = self._throttle.next_due() if self.recorder is not None else None
        return None if due is None else max(due - time.monotonic(), 0.001)

    def _record(self, group: list[Processed]) -> float:
        """One transaction for a group of batches (the writer thread); returns when it was
        durable (``time.monotonic``)."""
        assert self.recorder is not None
        started = time.perf_counter()
        events, changed, notifications = merge(group)
        self._no_events = events.slice(0, 0)
        changed = self._throttle.select(changed, time.monotonic())
        # after the selection: a refresh of this group, processed before the close, is
        # written (the store keeps the operator's close) and not kept
        self._forget_closed()
        self.recorder.record(events, changed, notifications)
        self.metrics.stage_seconds.labels("commit").observe(time.perf_counter() - started)
        self.metrics.commit_batches.observe(len(group))
        self.metrics.alert_writes.inc(len(changed))
        self.metrics.alert_refreshes_held.set(self._throttle.held)
        return time.monotonic()

    def _record_held(self, everything: bool) -> None:
        """Write the held refreshes that are due, or all of them (shutdown), on their own
        (the writer thread)."""
        self._forget_closed()
        now = time.monotonic()
        held = self._throttle.flush(now) if everything else self._throttle.due(now)
        if held and self.recorder is not None and self._no_events is not None:
            self.recorder.record(self._no_events, held, [])
            self.metrics.alert_writes.inc(len(held))
        self.metrics.alert_refreshes_held.set(self._throttle.held)

    def _forget_closed(self) -> None:
        while self._closed_by_operator:
            self._throttle.forget(self._closed_by_operator.popleft())

    def _committed(self, group: list[Processed], committed: float) -> None:
        """After the commit: wake the dispatcher, account, tell subscribers (the loop)."""
        if self.on_commit is not None and any(g.notifications for g in group):
            self.on_commit()
        for g in group:
            self.alerts_changed.extend(c for c in g.changes if c.change in alerts.NOTIFIED)
            self.metrics.batches.inc()
            self.metrics.events.inc(g.n_events)
            for r in g.received:
                self.metrics.latency_seconds.observe(committed - r)
                self.latencies.append(committed - r)
            self._broadcast(g.changes, g.tracks)
        self.metrics.open_alerts.set(group[-1].open_alerts)

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

    def _broadcast(self, changes: Sequence[AlertChange], tracks: pa.Table | None = None
                   ) -> None:
        if not self._subscribers:
            return
        messages: list[dict[str, Any]] = [
            {"type": "alert", "change": c.change, "alert": c.alert.to_json()} for c in changes
            if c.change != "updated"
        ]
        if tracks is not None:
            messages += [{"type": "track", **t} for t in TrackTable.as_dicts(tracks)]
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
        if change.alert.status == "closed" and self.recorder is not None:
            self._closed_by_operator.append(alert_id)
        self._broadcast([change])
        return change.alert
