"""The pieces of the live driver around its three threads: what one processed micro-batch
hands to the writer, how a group of them becomes one transaction, a per-stage stopwatch, the
GIL switch interval while running, and the made-up reports of the warm-up."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from skyfence.alert.model import AlertChange, AlertRecord
from skyfence.schema import REPORTS, conform
from skyfence.sinks.base import Notification
from skyfence.zones.model import Zone

__all__ = ["Processed", "Stopwatch", "merge", "put_unless_done", "switch_interval",
           "warm_up_reports"]


@dataclass
class Processed:
    """One micro-batch after the stages, waiting for its commit."""

    received: list[float]
    events: pa.Table  # what is recorded (transitions and predictions)
    n_events: int  # every event, "inside" summaries included
    changes: list[AlertChange]
    notifications: list[Notification]
    reports: pa.Table
    tracks: pa.Table  # the air picture's rows updated by this batch
    open_alerts: int


def merge(group: list[Processed]) -> tuple[pa.Table, list[AlertRecord], list[Notification]]:
    """One transaction's worth of a group of batches, in order: their recorded events, each
    changed alert once in its latest state, every notification."""
    recorded = [g.events for g in group if g.events.num_rows]
    events = (pa.concat_tables(recorded) if len(recorded) > 1 else
              recorded[0] if recorded else group[0].events)
    changed = list({c.alert.id: c.alert for g in group for c in g.changes}.values())
    return events, changed, [n for g in group for n in g.notifications]


@dataclass
class Stopwatch:
    """Seconds per stage of one batch (``skyfence_stage_seconds``)."""

    laps: dict[str, float] = field(default_factory=dict)
    t: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = now - self.t
        self.t = now


@contextlib.contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """Lower the GIL switch interval (never raise it) for the block."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


async def put_unless_done(queue: asyncio.Queue[Any], item: Any, consumer: asyncio.Task[Any]
                           ) -> None:
    """Put ``item`` for ``consumer``; give up if the consumer has ended (a full queue
    would wait for it forever)."""
    put = asyncio.ensure_future(queue.put(item))
    await asyncio.wait({put, consumer}, return_when=asyncio.FIRST_COMPLETED)
    if not put.done():
        put.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await put


def warm_up_reports(zone: Zone, t: datetime) -> pa.Table:
    """Two reports of a made-up target flying into ``zone`` (the second at ``t``)."""
    point = zone.geometry.representative_point()
    return conform(pa.table({
        "time": pa.array([t - timedelta(seconds=5), t], REPORTS.field("time").type),
        "target_id": ["warm:0", "warm:0"], "lat": [point.y - 0.5, point.y],
        "lon": [point.x, point.x], "alt_baro_m": [300.0, 300.0], "gs_mps": [100.0, 100.0],
        "track_deg": [0.0, 0.0],
    }), REPORTS)
