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
import functools
import operator
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from skyfence.alert.model import ALERT_STATUSES, AlertRecord
from skyfence.alert.writes import REFRESHED, refresh_only
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


def _record(row: Any) -> AlertRecord:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["details"] = values["details"] or {}
    values["exempt"] = bool(values["exempt"])
    return AlertRecord(**values)


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
            [{**_fields(r), "b_id": r.id} for r in records])


def _rank(status: sa.ColumnElement[Any]) -> sa.Case[Any]:
    return sa.case(_RANK, value=status)


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """``INSERT ... ON CONFLICT (id) DO UPDATE`` (SQLite and PostgreSQL spell it alike)
    with the merge rule of the module docstring done by the database: one statement per
    batch, no read of the stored rows."""
    insert = postgresql.insert(al) if dialect == "postgresql" else sqlite.insert(al)
    new = insert.excluded
    merged: dict[str, Any] = {name: new[name] for name in _FIELDS
                              if name not in ("id", "status", *_OPERATOR_FIELDS)}
    merged.update({name: sa.func.coalesce(new[name], al.c[name]) for name in _OPERATOR_FIELDS})
    merged["status"] = sa.case((_rank(al.c.status) > _rank(new.status), al.c.status),
                               else_=new.status)
    return insert.on_conflict_do_update(index_elements=[al.c.id], set_=merged)


# what an alert's update moves while its target stays inside (every batch, the alert
# stage's refresh): the rest of the row is usually as last written
_MOVING = tuple(sorted(REFRESHED))


@functools.cache
def _move() -> sa.Update:
    """The narrow update of :data:`_MOVING`, for alerts whose other fields are unchanged."""
    return (sa.update(al).where(al.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(name) for name in _MOVING}))


@dataclass(frozen=True)
class _Compiled:
    """A statement compiled once per dialect, with each parameter's bind processor: a batch
    of alerts then goes to the driver as plain parameter rows (SQLAlchemy's per-row
    parameter processing costs tens of microseconds an alert, and the live service writes
    hundreds per commit)."""

    sql: str
    positional: bool
    constants: dict[str, Any]  # the CASE's literals
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]  # the parameters that have one
    ordered: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row as positional parameters

    @classmethod
    def of(cls, statement: sa.Insert | sa.Update, dialect: Dialect) -> _Compiled:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or compiled.binds)
        processors = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect)
                      for c in al.c if c.name in names}
        return cls(str(compiled), bool(compiled.positional),
                   {n: v for n, v in compiled.params.items()
                    if n not in processors and n not in _FIELDS and n != "b_id"},
                   tuple((n, p) for n, p in processors.items() if p is not None),
                   operator.itemgetter(*names))

    def row(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """Parameters from ``values`` (changed in place)."""
        for name, process in self.processors:
            if values[name] is not None:
                values[name] = process(values[name])
        values.update(self.constants)
        return self.ordered(values) if self.positional else values


_COMPILED: weakref.WeakKeyDictionary[Dialect, tuple[_Compiled, _Compiled]] = (
    weakref.WeakKeyDictionary())


def _compiled(dialect: Dialect) -> tuple[_Compiled, _Compiled]:
    """The upsert and the narrow update for ``dialect``."""
    found = _COMPILED.get(dialect)
    if found is None:
        found = _COMPILED[dialect] = (_Compiled.of(_upsert(dialect.name), dialect),
                                      _Compiled.of(_move(), dialect))
    return found


def _fields(alert: AlertRecord) -> dict[str, Any]:
    if alert.status not in _RANK:
        raise ValueError(f"alert {alert.id!r}: unknown status {alert.status!r}")
    return dict(alert.__dict__)  # every field of the frozen dataclass


def upsert_alerts(conn: sa.Connection, alerts: Sequence[AlertRecord],
                  written: dict[str, AlertRecord] | None = None) -> dict[str, AlertRecord]:
    """Insert new alerts and update known ones (merged as the module docstring says), inside
    the caller's transaction. For an id given twice, the last one wins. Returns what was
    written by id.

    ``written``: what this writer last wrote of each alert (kept by the caller, updated
    only once the transaction committed). An alert that only moved since (:data:`_MOVING`)
    is written by a narrow ``UPDATE`` of those columns: the others, operator fields and
    status included, are left as stored, which is what the merge rule would keep."""
    latest = {a.id: a for a in alerts}
    if not latest:
        return latest
    upsert, move = _compiled(conn.dialect)
    full: list[AlertRecord] = []
    moved: list[AlertRecord] = []
    for a in latest.values():
        before = written.get(a.id) if written is not None else None
        if (before is not None and conn.dialect.supports_sane_multi_rowcount
                and refresh_only(a, before)):
            moved.append(a)
        else:
            full.append(a)
    if moved:
        rows = [move.row({**{k: a.__dict__[k] for k in _MOVING}, "b_id": a.id})
                for a in moved]
        if conn.exec_driver_sql(move.sql, rows).rowcount != len(rows):
            full += moved  # a row is gone from under us: the upsert puts it back
    if full:
        conn.exec_driver_sql(upsert.sql, [upsert.row(_fields(a)) for a in full])
    return latest


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
