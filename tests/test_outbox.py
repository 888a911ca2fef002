"""The outbox dispatcher with in-memory sinks: backoff timing on an injected clock, dead
letters, isolation between sinks, wake-up, graceful stop, metrics."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from skyfence.sinks import DeliveryError, Dispatcher, MemoryOutbox, Notification, RetryAfter
from skyfence.sinks.outbox import encode_payload

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, t: datetime = T0) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


class FakeSink:
    """Records sends; ``behaviour(n)`` decides: return to succeed, raise to fail."""

    def __init__(self, name: str, behaviour: Callable[[Notification], None] | None = None,
                 delay_s: float = 0.0) -> None:
        self.name = name
        self.behaviour = behaviour
        self.delay_s = delay_s
        self.sent: list[str] = []
        self.closed = False

    async def send(self, notification: Notification) -> None:
        self.sent.append(notification.id)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.behaviour is not None:
            self.behaviour(notification)

    async def close(self) -> None:
        self.closed = True


def note(i: int, sink: str = "a", at: datetime = T0) -> Notification:
    return Notification(id=f"{sink}-{i}", sink=sink, topic="skyfence.alerts.Z1",
                        payload={"i": i}, created_at=at + timedelta(microseconds=i))


def always(retry: bool) -> Callable[[Notification], None]:
    def fail(n: Notification) -> None:
        raise DeliveryError("nope", retry=retry)
    return fail


def test_backoff_timing_on_an_injected_clock() -> None:
    clock, box = Clock(), MemoryOutbox()
    box.add(note(1))
    sink = FakeSink("a", always(True))
    d = Dispatcher(box, {"a": sink}, clock=clock, base_backoff_s=1, max_backoff_s=8,
                   max_attempts=6, rng=lambda: 0.0)  # no jitter: exact delays

    async def run() -> None:
        expected = [1, 2, 4, 8, 8]  # doubling, capped at max_backoff_s
        for attempt, delay in enumerate(expected, start=1):
            assert await d.poll_once("a") == 1
            item = box.items["a-1"]
            assert item.attempts == attempt
            assert item.next_attempt_at == clock.t + timedelta(seconds=delay)
            clock.advance(delay - 0.001)
            assert await d.poll_once("a") == 0  # not due yet: not sent
            clock.advance(0.001)
        assert await d.poll_once("a") == 1  # the 6th failure is the last
        assert "a-1" in box.dead and "a-1" not in box.items

    asyncio.run(run())
    assert len(sink.sent) == 6
    assert d.metrics["a"] == {"delivered": 0, "failed": 5, "dead": 1}


def test_jitter_stays_between_half_and_full_delay() -> None:
    for r in (0.0, 0.3, 0.999):
        d = Dispatcher(MemoryOutbox(), {}, base_backoff_s=2, max_backoff_s=300,
                       rng=functools.partial(float, r))
        for attempt in range(1, 12):
            full = min(300.0, 2.0 * 2 ** (attempt - 1))
            assert full / 2 <= d.backoff_s(attempt) <= full


def test_permanent_failure_is_dead_at_once_and_retry_after_is_honoured() -> None:
    clock, box = Clock(), MemoryOutbox()
    box.add(note(1))
    box.add(note(2))

    def behaviour(n: Notification) -> None:
        if n.id == "a-1":
            raise DeliveryError("HTTP 400", retry=False)
        raise RetryAfter("HTTP 429", 120.0)

    d = Dispatcher(box, {"a": FakeSink("a", behaviour)}, clock=clock, rng=lambda: 0.0)
    asyncio.run(d.poll_once("a"))
    assert box.dead == {"a-1": "HTTP 400"}
    assert box.items["a-2"].next_attempt_at == T0 + timedelta(seconds=120)  # not 1 s


def test_success_after_failures_and_unexpected_exceptions_are_retried() -> None:
    clock, box = Clock(), MemoryOutbox()
    box.add(note(1))
    calls = iter([RuntimeError("bug"), DeliveryError("503"), None])

    def behaviour(n: Notification) -> None:
        e = next(calls)
        if e is not None:
            raise e

    d = Dispatcher(box, {"a": FakeSink("a", behaviour)}, clock=clock, rng=lambda: 0.0)

    async def run() -> None:
        for _ in range(3):
            await d.poll_once("a")
            clock.advance(10)

    asyncio.run(run())
    assert "a-1" in box.delivered_at
    assert box.errors["a-1"] == ["RuntimeError: bug", "503"]
    assert d.metrics["a"] == {"delivered": 1, "failed": 2, "dead": 0}


def test_a_down_endpoint_is_probed_not_hammered() -> None:
    box = MemoryOutbox()
    for i in range(10):
        box.add(note(i))
    sink = FakeSink("a", always(True))
    d = Dispatcher(box, {"a": sink}, rng=lambda: 0.0)
    asyncio.run(d.poll_once("a"))
    assert len(sink.sent) == 2  # two failures in a row: stop the batch
    assert sum(n.attempts for n in box.items.values()) == 2  # the others keep their attempts


def test_one_bad_notification_does_not_block_the_rest() -> None:
    box = MemoryOutbox()
    for i in range(5):
        box.add(note(i))

    def poison(n: Notification) -> None:
        if n.id == "a-0":
            raise DeliveryError("500 for this payload only")

    d = Dispatcher(box, {"a": FakeSink("a", poison)}, rng=lambda: 0.0)
    asyncio.run(d.poll_once("a"))
    assert set(box.delivered_at) == {"a-1", "a-2", "a-3", "a-4"}


def test_a_failing_sink_does_not_delay_another() -> None:
    box = MemoryOutbox()
    for i in range(20):
        box.add(note(i, "slow"))
        box.add(note(i, "good"))
    slow = FakeSink("slow", always(True), delay_s=5.0)  # every send hangs 5 s, then fails
    good = FakeSink("good")

    async def run() -> float:
        t = time.monotonic()
        async with Dispatcher(box, {"slow": slow, "good": good}, poll_interval_s=0.05) as d:
            while len(box.delivered_at) < 20 and time.monotonic() - t < 5:
                await asyncio.sleep(0.01)
            elapsed = time.monotonic() - t
            await d.stop(grace_s=0.1)  # slow's send is still hanging: cancelled
        return elapsed

    elapsed = asyncio.run(run())
    assert len(box.delivered_at) == 20 and elapsed < 1.0
    assert all(k.startswith("good-") for k in box.delivered_at)
    assert slow.closed and good.closed


def test_wake_polls_at_once_and_stop_is_graceful() -> None:
    box = MemoryOutbox()
    sink = FakeSink("a", delay_s=0.2)

    async def run() -> tuple[float, float]:
        d = Dispatcher(box, {"a": sink}, poll_interval_s=60)  # only wake() can trigger it
        d.start()
        await asyncio.sleep(0.05)
        box.add(note(1, at=datetime.now(UTC)))
        t = time.monotonic()
        d.wake()
        while not sink.sent and time.monotonic() - t < 2:
            await asyncio.sleep(0.005)
        woke = time.monotonic() - t
        await d.stop(grace_s=2)  # lets the 0.2 s send in flight finish
        return woke, time.monotonic() - t

    woke, total = asyncio.run(run())
    assert woke < 0.5 and total < 1.5
    assert "a-1" in box.delivered_at and sink.closed


def test_dispatcher_survives_an_outbox_that_raises() -> None:
    class Flaky(MemoryOutbox):
        calls = 0

        def pending(self, sink: str, now: datetime, limit: int = 100) -> list[Notification]:
            self.calls += 1
            if self.calls <= 2:
                raise OSError("database is locked")
            return super().pending(sink, now, limit)

    box = Flaky()
    box.add(note(1, at=datetime.now(UTC)))

    async def run() -> None:
        async with Dispatcher(box, {"a": FakeSink("a")}, poll_interval_s=0.02):
            for _ in range(200):
                if box.delivered_at:
                    break
                await asyncio.sleep(0.01)

    asyncio.run(run())
    assert "a-1" in box.delivered_at


def test_payload_encoding() -> None:
    assert encode_payload({"a": 1, "é": [1.5, None]}) == '{"a":1,"é":[1.5,null]}'.encode()
    for bad in ({"t": T0}, {"x": float("nan")}):
        with pytest.raises(DeliveryError) as e:
            encode_payload(bad)
        assert e.value.retry is False


def test_a_sink_added_while_running_delivers() -> None:
    box = MemoryOutbox()

    async def run() -> FakeSink:
        d = Dispatcher(box, {}, poll_interval_s=60)  # started with no sink at all
        d.start()
        late = FakeSink("b")
        d.add_sink("b", late)
        box.add(note(1, sink="b", at=datetime.now(UTC)))
        d.wake("b")
        for _ in range(200):
            if late.sent:
                break
            await asyncio.sleep(0.01)
        await d.stop(grace_s=2)
        return late

    late = asyncio.run(run())
    assert late.sent == ["b-1"] and "b-1" in box.delivered_at
