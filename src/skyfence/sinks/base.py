"""Delivery roles: what a notification is, where pending ones wait (the outbox), and what
sends them (a sink). Transports are chosen by URL scheme (``https://``, ``mqtt://``,
``nats://``); every implementation stands behind these small interfaces, with an in-memory
double for tests.

At-least-once: a notification is written to the outbox in the same transaction as the event
or alert change it reports, before anyone is told; it leaves the outbox only when its sink
confirmed delivery. A receiver may therefore see one twice and must deduplicate on ``id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = ["DeliveryError", "Notification", "Outbox", "Sink"]


class DeliveryError(Exception):
    """A sink could not deliver; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Notification:
    """One message for one sink. ``id`` is stable across retries (receivers deduplicate on
    it); ``payload`` is the JSON body; ``topic`` is the subject or topic for brokers
    (e.g. ``skyfence.alerts.<zone_id>``)."""

    id: str
    sink: str
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Outbox(Protocol):
    """Where notifications wait until delivered."""

    def pending(self, sink: str, now: datetime, limit: int = 100) -> list[Notification]:
        """Notifications for ``sink`` due at ``now``, oldest first."""
        ...

    def delivered(self, notification_id: str, at: datetime) -> None: ...

    def failed(self, notification_id: str, error: str, next_attempt_at: datetime | None
               ) -> None:
        """Record a failed attempt; ``None`` for ``next_attempt_at`` gives up (dead letter)."""
        ...


class Sink(Protocol):
    """Sends notifications to one destination."""

    name: str

    async def send(self, notification: Notification) -> None:
        """Deliver, or raise :class:`DeliveryError`."""
        ...

    async def close(self) -> None: ...
