"""Alerts: upserted by the pipeline (:meth:`~skyfence.store.Store.record`), acknowledged and
closed by operators, each operator action with who and when, an audit log row and its
notifications in one transaction.

Operator decisions win over the pipeline's copy: an upsert never moves ``status`` backwards
(``open`` < ``acknowledged`` < ``closed``) and never clears ``acknowledged_at``,
``acknowledged_by``, ``closed_at`` or ``closed_by``. The alert stage keeps its state in
memory and may not yet know that someone acknowledged; without this rule its next update
would silently undo the acknowledgement.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from skyfence.alert.model import ALERT_STATUSES, AlertRecord
from skyfence.sinks.base import Notification
from skyfence.store.base import ConflictError, NotFoundError, StoreBase, audit
from skyfence.store.outbox import insert_notifications
from skyfence.store.schema import alerts as al

__all__ = ["AlertsMixin", "upsert_alerts"]

_FIELDS = tuple(f.name for f in dataclasses.fields(AlertRecord))
_RANK = {status: i for i, status in enumerate(ALERT_STATUSES)}
_OPERATOR_FIELDS = ("acknowledged_at", "acknowledged_by", "closed_at", "closed_by")
# SQLite allows 32766 bound parameters per statement; stay far below for "id IN (...)"
_CHUNK = 500


def _values(alert: AlertRecord) -> dict[str, Any]:
    if alert.status not in _RANK:
        raise ValueError(f"alert {alert.id!r}: unknown status {alert.status!r}")
    return {name: getattr(alert, name) for name in _FIELDS}


def _record(row: Any) -> AlertRecord:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["details"] = values["details"] or {}
    values["exempt"] = bool(values["exempt"])
    return AlertRecord(**values)


def _merge(stored: AlertRecord, new: AlertRecord) -> AlertRecord:
    keep: dict[str, Any] = {name: getattr(stored, name) for name in _OPERATOR_FIELDS
                            if getattr(new, name) is None and getattr(stored, name) is not None}
    if _RANK[stored.status] > _RANK[new.status]:
        keep["status"] = stored.status
    return new.with_(**keep) if keep else new


def _fetch(conn: sa.Connection, ids: Iterable[str]) -> dict[str, AlertRecord]:
    ids = list(ids)
    found: dict[str, AlertRecord] = {}
    for i in range(0, len(ids), _CHUNK):
        rows = conn.execute(sa.select(al).where(al.c.id.in_(ids[i:i + _CHUNK])))
        found.update((r.id, _record(r)) for r in rows)
    return found


def _update(conn: sa.Connection, records: Sequence[AlertRecord]) -> None:
    if records:
        conn.execute(
            sa.update(al).where(al.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(name) for name in _FIELDS if name != "id"}),
            [{**_values(r), "b_id": r.id} for r in records])


def upsert_alerts(conn: sa.Connection, alerts: Sequence[AlertRecord]) -> None:
    """Insert new alerts and update known ones (merged as the module docstring says), inside
    the caller's transaction. For an id given twice, the last one wins."""
    latest = {a.id: a for a in alerts}
    stored = _fetch(conn, latest)
    new = [a for a in latest.values() if a.id not in stored]
    if new:
        conn.execute(sa.insert(al), [_values(a) for a in new])
    _update(conn, [_merge(stored[a.id], a) for a in latest.values() if a.id in stored])


class AlertsMixin(StoreBase):
    def alerts(self, *, status: str | None = None, zone_id: str | None = None,
               limit: int = 1000) -> list[AlertRecord]:
        """Alerts, most recently updated first."""
        query = sa.select(al).order_by(al.c.updated_at.desc(), al.c.id).limit(limit)
        if status is not None:
            query = query.where(al.c.status == status)
        if zone_id is not None:
            query = query.where(al.c.zone_id == zone_id)
        with self._read("alerts") as conn:
            return [_record(r) for r in conn.execute(query)]

    def alert(self, alert_id: str) -> AlertRecord | None:
        with self._read("alert") as conn:
            return _fetch(conn, [alert_id]).get(alert_id)

    def acknowledge(self, alert_id: str, user: str,
                    notifications: Sequence[Notification] = ()) -> AlertRecord:
        """An operator has seen an open alert. :class:`ConflictError` if it is not open."""
        return self._operator_action(alert_id, user, notifications, "acknowledge")

    def close_alert(self, alert_id: str, user: str,
                    notifications: Sequence[Notification] = ()) -> AlertRecord:
        """An operator closes an alert. :class:`ConflictError` if it is already closed."""
        return self._operator_action(alert_id, user, notifications, "close")

    def _operator_action(self, alert_id: str, user: str,
                         notifications: Sequence[Notification], action: str) -> AlertRecord:
        with self._write(f"alert {action}") as conn:
            current = _fetch(conn, [alert_id]).get(alert_id)
            if current is None:
                raise NotFoundError(f"no alert {alert_id!r}")
            allowed = ("open",) if action == "acknowledge" else ("open", "acknowledged")
            if current.status not in allowed:
                by = current.closed_by or current.acknowledged_by
                raise ConflictError(f"cannot {action} alert {alert_id!r}: it is already "
                                    f"{current.status}" + (f" (by {by})" if by else ""))
            now = self._now()
            if action == "acknowledge":
                updated = current.with_(status="acknowledged", acknowledged_at=now,
                                        acknowledged_by=user, updated_at=now)
            else:
                updated = current.with_(status="closed", closed_at=now, closed_by=user,
                                        updated_at=now)
            _update(conn, [updated])
            audit(conn, now, user, f"alert.{action}", alert_id,
                  {"zone_id": current.zone_id, "target_id": current.target_id,
                   "previous_status": current.status})
            insert_notifications(conn, notifications)
        return updated
