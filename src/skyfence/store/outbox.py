"""The outbox: notifications written in the same transaction as what they report, then
handed to sinks until delivered. Implements :class:`skyfence.sinks.base.Outbox`.

A row is ``pending`` (due when ``next_attempt_at`` is null or has passed), ``delivered``
or ``dead`` (given up: ``failed(..., next_attempt_at=None)``, or its sink was removed).
``attempts`` counts every try, successful or not; ``last_error`` keeps the latest failure.
:meth:`OutboxMixin.delivered` and :meth:`OutboxMixin.failed` only change pending rows, so a
confirmation that arrives twice (at-least-once) changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from skyfence.sinks.base import Notification
from skyfence.store.base import NotFoundError, StoreBase
from skyfence.store.schema import outbox

__all__ = ["OUTBOX_STATES", "OutboxMixin", "insert_notifications"]

OUTBOX_STATES = ("pending", "delivered", "dead")


def insert_notifications(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
    """Queue notifications inside the caller's transaction (a duplicate id fails it all)."""
    if not notifications:
        return
    conn.execute(sa.insert(outbox), [
        {"id": n.id, "sink": n.sink, "topic": n.topic, "payload": n.payload,
         "headers": dict(n.headers), "created_at": n.created_at, "attempts": n.attempts,
         "next_attempt_at": n.next_attempt_at, "state": "pending", "delivered_at": None,
         "last_error": None}
        for n in notifications
    ])


def _notification(row: Any) -> Notification:
    return Notification(
        id=row.id, sink=row.sink, topic=row.topic, payload=row.payload,
        created_at=row.created_at, attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at, headers=dict(row.headers or {}),
    )


class OutboxMixin(StoreBase):
    def pending(self, sink: str, now: datetime, limit: int = 100) -> list[Notification]:
        """Notifications for ``sink`` due at ``now``, oldest (by ``created_at``) first."""
        due = sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)
        query = (sa.select(outbox)
                 .where(outbox.c.state == "pending", outbox.c.sink == sink, due)
                 .order_by(outbox.c.created_at, outbox.c.seq).limit(limit))
        with self._read("outbox pending") as conn:
            return [_notification(r) for r in conn.execute(query)]

    def delivered(self, notification_id: str, at: datetime) -> None:
        """The sink confirmed delivery at ``at``."""
        with self._write("outbox delivered") as conn:
            self._update_pending(conn, notification_id, {
                "state": "delivered", "delivered_at": at, "next_attempt_at": None,
                "attempts": outbox.c.attempts + 1})

    def failed(self, notification_id: str, error: str, next_attempt_at: datetime | None
               ) -> None:
        """A failed try: retry at ``next_attempt_at``, or give up (dead letter) on ``None``."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error,
                                  "next_attempt_at": next_attempt_at}
        if next_attempt_at is None:
            values["state"] = "dead"
        with self._write("outbox failed") as conn:
            self._update_pending(conn, notification_id, values)

    def outbox_stats(self) -> dict[str, int]:
        """How many notifications are pending, delivered and dead (every state present)."""
        query = sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state)
        with self._read("outbox stats") as conn:
            counts = {str(state): int(n) for state, n in conn.execute(query)}
        return {state: counts.get(state, 0) for state in OUTBOX_STATES}

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """Given-up notifications, newest first, with their attempts and last error."""
        query = (sa.select(outbox).where(outbox.c.state == "dead")
                 .order_by(outbox.c.seq.desc()).limit(limit))
        with self._read("outbox dead letters") as conn:
            return [{"notification": _notification(r), "attempts": int(r.attempts),
                     "last_error": r.last_error} for r in conn.execute(query)]

    def purge_delivered(self, before: datetime) -> int:
        """Forget notifications delivered before ``before``; returns how many."""
        with self._write("outbox purge") as conn:
            result = conn.execute(sa.delete(outbox).where(
                outbox.c.state == "delivered", outbox.c.delivered_at < before))
            return int(result.rowcount)

    @staticmethod
    def _update_pending(conn: sa.Connection, notification_id: str,
                        values: dict[str, Any]) -> None:
        result = conn.execute(sa.update(outbox).where(
            outbox.c.id == notification_id, outbox.c.state == "pending").values(**values))
        if result.rowcount == 0:
            exists = conn.execute(
                sa.select(outbox.c.seq).where(outbox.c.id == notification_id)).first()
            if exists is None:
                raise NotFoundError(f"no notification {notification_id!r} in the outbox")
