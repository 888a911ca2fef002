"""Delivery from the outbox: one asyncio task per sink, retries with backoff, dead letters.

Each sink has its own task, so a dead or slow endpoint holds back only its own queue. A task
polls ``outbox.pending(sink, now)`` every ``poll_interval_s`` (or at once after
:meth:`Dispatcher.wake`), sends what is due oldest first, and records the outcome:

- success: ``outbox.delivered(id, now)``;
- a retryable failure: ``outbox.failed(id, error, now + backoff)`` with
  ``backoff = min(max_backoff_s, base_backoff_s * 2 ** (attempt - 1))``, less up to half of
  it at random (jitter, so receivers coming back are not hit by every sender at once), and at
  least a receiver's ``Retry-After`` (itself capped at ``max_backoff_s``);
- a permanent failure (``DeliveryError(retry=False)``), or the ``max_attempts``-th failure:
  ``outbox.failed(id, error, None)``, a dead letter.

Two retryable failures in a row make the task stop the batch and pause (the same backoff,
by consecutive failures): the endpoint is probably down, and trying every queued
notification against it would only burn their attempts. One bad notification alone does not
stop the others behind it.

Outbox calls are synchronous and run on the event loop: an outbox backed by a database
should make them quick (one small indexed query or update each).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from skyfence.sinks.base import DeliveryError, Notification, Outbox, Sink

__all__ = ["Dispatcher", "MemoryOutbox", "encode_payload"]

log = logging.getLogger(__name__)


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The wire body, the same bytes on every transport: compact UTF-8 JSON, no NaN."""
    try:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode()
    except (TypeError, ValueError) as e:  # retrying cannot make a payload serialisable
        raise DeliveryError(f"payload is not JSON: {e}", retry=False) from e


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MemoryOutbox:
    """In-memory :class:`~skyfence.sinks.base.Outbox`, for tests and embedded use.

    ``delivered_at`` and ``dead`` (id -> last error) record outcomes; ``errors`` keeps every
    failure message per id.
    """

    def __init__(self) -> None:
        self.items: dict[str, Notification] = {}
        self.delivered_at: dict[str, datetime] = {}
        self.dead: dict[str, str] = {}
        self.errors: dict[str, list[str]] = {}

    def add(self, notification: Notification) -> None:
        self.items[notification.id] = notification

    def pending(self, sink: str, now: datetime, limit: int = 100) -> list[Notification]:
        due = [n for n in self.items.values()
               if n.sink == sink and (n.next_attempt_at is None or n.next_attempt_at <= now)]
        due.sort(key=lambda n: n.created_at)
        return due[:limit]

    def delivered(self, notification_id: str, at: datetime) -> None:
        if self.items.pop(notification_id, None) is not None:
            self.delivered_at[notification_id] = at

    def failed(self, notification_id: str, error: str, next_attempt_at: datetime | None
               ) -> None:
        n = self.items.get(notification_id)
        if n is None:
            return
        self.errors.setdefault(notification_id, []).append(error)
        if next_attempt_at is None:
            del self.items[notification_id]
            self.dead[notification_id] = error
        else:
            self.items[notification_id] = replace(n, attempts=n.attempts + 1,
                                                  next_attempt_at=next_attempt_at)


class Dispatcher:
    """Delivers ``outbox`` entries through ``sinks`` (name -> sink); see the module docstring.

    Use ``async with Dispatcher(...)`` or :meth:`start` / :meth:`stop`. :meth:`stop` lets a
    send in flight finish (up to ``grace_s``), then closes the sinks. ``metrics`` counts, per
    sink, ``delivered``, ``failed`` (attempts to be retried) and ``dead`` (given up).
    """

    def __init__(self, outbox: Outbox, sinks: dict[str, Sink], *,
                 clock: Callable[[], datetime] = _utcnow, base_backoff_s: float = 1.0,
                 max_backoff_s: float = 300.0, max_attempts: int = 20,
                 poll_interval_s: float = 1.0, batch_size: int = 100,
                 rng: Callable[[], float] = random.random) -> None:
        self.outbox = outbox
        self.sinks = dict(sinks)
        self.clock = clock
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_attempts = max_attempts
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self._rng = rng
        self.metrics: dict[str, dict[str, int]] = {
            name: {"delivered": 0, "failed": 0, "dead": 0} for name in self.sinks}
        self._wake = {name: asyncio.Event() for name in self.sinks}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False
        self._running = False
        self._stop = asyncio.Event()
        self._streak = dict.fromkeys(self.sinks, 0)  # consecutive retryable failures

    def backoff_s(self, attempt: int) -> float:
        """Delay after the ``attempt``-th failure (1-based), jitter included."""
        full = min(self.max_backoff_s, self.base_backoff_s * 2.0 ** min(attempt - 1, 62))
        return full * (1.0 - 0.5 * self._rng())

    async def deliver(self, sink_name: str, n: Notification) -> bool:
        """One attempt for one notification, outcome recorded; True if delivered."""
        sink = self.sinks[sink_name]
        counts = self.metrics[sink_name]
        try:
            await sink.send(n)
        except DeliveryError as e:
            retry, error, wait_s = e.retry, str(e), getattr(e, "retry_after_s", None)
        except Exception as e:  # a bug in one sink must not stop its delivery task
            log.exception("sink %s raised on %s", sink_name, n.id)
            retry, error, wait_s = True, f"{type(e).__name__}: {e}", None
        else:
            self.outbox.delivered(n.id, self.clock())
            counts["delivered"] += 1
            self._streak[sink_name] = 0
            return True
        attempt = n.attempts + 1
        if not retry or attempt >= self.max_attempts:
            log.warning("sink %s gave up on %s after %d attempt(s): %s",
                        sink_name, n.id, attempt, error)
            self.outbox.failed(n.id, error, None)
            counts["dead"] += 1
            return False
        delay = max(self.backoff_s(attempt), min(wait_s or 0.0, self.max_backoff_s))
        log.info("sink %s: %s attempt %d failed, retry in %.1f s: %s",
                 sink_name, n.id, attempt, delay, error)
        self.outbox.failed(n.id, error, self.clock() + timedelta(seconds=delay))
        counts["failed"] += 1
        self._streak[sink_name] += 1
        return False

    async def poll_once(self, sink_name: str) -> int:
        """Send what is due now for one sink; return how many were attempted. Stops early
        once the sink has failed twice in a row (counting earlier polls)."""
        batch = self.outbox.pending(sink_name, self.clock(), self.batch_size)
        done = 0
        for n in batch:
            if self._stopping:
                break
            await self.deliver(sink_name, n)
            done += 1
            if self._streak[sink_name] >= 2:
                break
        return done

    async def _run(self, sink_name: str) -> None:
        wake = self._wake[sink_name]
        while not self._stopping:
            wake.clear()
            try:
                done = await self.poll_once(sink_name)
            except Exception:  # the outbox (a database) failed: keep the task, try later
                log.exception("outbox poll for sink %s failed", sink_name)
                done = 0
            streak = self._streak[sink_name]
            if streak >= 2:  # endpoint down: pause (stop() ends it, wake() does not)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.backoff_s(streak - 1))
                continue
            if done >= self.batch_size:
                continue  # a full batch: more may be due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll_interval_s)

    def start(self) -> None:
        """Start one task per sink (inside a running event loop)."""
        self._running = True
        self._stopping = False
        self._stop.clear()
        for name in self.sinks:
            if name not in self._tasks or self._tasks[name].done():
                self._tasks[name] = asyncio.create_task(self._run(name),
                                                        name=f"skyfence-sink-{name}")

    def add_sink(self, name: str, sink: Sink) -> None:
        """Deliver to one more sink from now on (one added while the service runs); its
        task starts at once when the dispatcher is running."""
        if name in self.sinks:
            return
        self.sinks[name] = sink
        self.metrics[name] = {"delivered": 0, "failed": 0, "dead": 0}
        self._wake[name] = asyncio.Event()
        self._streak[name] = 0
        if self._running and not self._stopping:
            self._tasks[name] = asyncio.create_task(self._run(name),
                                                    name=f"skyfence-sink-{name}")

    def wake(self, sink: str | None = None) -> None:
        """Poll now (one sink, or all): new outbox rows were just committed. Call it from
        the event loop's thread (elsewhere: ``loop.call_soon_threadsafe(d.wake)``)."""
        for name in [sink] if sink is not None else list(self._wake):
            self._wake[name].set()

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop polling, let sends in flight finish for up to ``grace_s``, close the sinks."""
        self._stopping = True
        self._running = False
        self._stop.set()
        self.wake()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace_s)
            for t in late:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        for name, sink in self.sinks.items():
            try:
                await sink.close()
            except Exception:  # closing is best effort; the others must still close
                log.exception("closing sink %s failed", name)

    async def __aenter__(self) -> Dispatcher:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
