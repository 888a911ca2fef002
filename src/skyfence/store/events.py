"""Detection results: :meth:`EventsMixin.record` writes a step's events, alert changes and
notifications in one transaction (persist first, then notify); :meth:`EventsMixin.events`
reads events back as an ``EVENTS`` Arrow table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pyarrow as pa
import sqlalchemy as sa

from skyfence.alert.model import AlertRecord
from skyfence.schema.events import EVENTS
from skyfence.sinks.base import Notification
from skyfence.store.alerts import upsert_alerts
from skyfence.store.base import StoreBase
from skyfence.store.outbox import insert_notifications
from skyfence.store.schema import events as ev

__all__ = ["EventsMixin"]


def _conform(table: pa.Table) -> pa.Table:
    missing = [name for name in EVENTS.names if name not in table.column_names]
    if missing:
        raise ValueError(f"events table lacks EVENTS columns {missing}")
    try:
        return table.select(EVENTS.names).cast(EVENTS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(f"events table does not match the EVENTS schema: {exc}") from None


class EventsMixin(StoreBase):
    def record(self, events: pa.Table, alerts: Sequence[AlertRecord],
               notifications: Sequence[Notification]) -> None:
        """Store one step's results atomically: the events, the alert upserts and the outbox
        rows are all committed, or (on any error) none of them. Call before notifying."""
        rows = _conform(events).to_pylist() if events.num_rows else []
        with self._write("record") as conn:
            if rows:
                conn.execute(sa.insert(ev), rows)
            stored = upsert_alerts(conn, alerts, self._written)
            insert_notifications(conn, notifications)
        # committed: remember what was written, forget alerts that are over
        for alert_id, alert in stored.items():
            if alert.status == "closed":
                self._written.pop(alert_id, None)
            else:
                self._written[alert_id] = alert

    def events(self, *, t_from: datetime | None = None, t_to: datetime | None = None,
               zone_id: str | None = None, target_id: str | None = None,
               limit: int = 1000) -> pa.Table:
        """Events with ``t_from <= time < t_to``, oldest first, as an ``EVENTS`` table."""
        query = sa.select(*(ev.c[name] for name in EVENTS.names)).order_by(ev.c.time, ev.c.id)
        if t_from is not None:
            query = query.where(ev.c.time >= t_from)
        if t_to is not None:
            query = query.where(ev.c.time < t_to)
        if zone_id is not None:
            query = query.where(ev.c.zone_id == zone_id)
        if target_id is not None:
            query = query.where(ev.c.target_id == target_id)
        with self._read("events") as conn:
            rows = conn.execute(query.limit(limit)).all()
        columns: list[Sequence[object]] = (list(zip(*rows, strict=True)) if rows
                                           else [[] for _ in EVENTS.names])
        return pa.Table.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, EVENTS, strict=True)],
            schema=EVENTS)
