"""What every part of the :class:`~skyfence.store.Store` shares: the engine, the clock, the
read and write transactions, the translation of database errors, and the audit log writer.

Errors::

    StoreError              the backend failed (connection lost, disk full, locked too long)
    ├── NotFoundError       no such zone, alert, notification, token or sink
    └── ConflictError       the change contradicts what is stored (a duplicate id or name,
                            acknowledging a closed alert)

Every ``sqlalchemy.exc`` error is turned into one of these at the boundary
(:func:`translate`); nothing from SQLAlchemy or the driver leaks to callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from skyfence.alert.model import AlertRecord
from skyfence.errors import StoreError
from skyfence.store.schema import audit_log

__all__ = ["ConflictError", "NotFoundError", "StoreBase", "audit", "translate", "utc_now"]

#: the execution option that marks a connection as the writer (SQLite: ``BEGIN IMMEDIATE``)
WRITER_OPTION = "skyfence_writer"


class NotFoundError(StoreError, LookupError):
    """No such zone, alert, notification, token or sink."""


class ConflictError(StoreError):
    """The change contradicts what is stored: a duplicate id or name, or a state change that
    is not allowed (acknowledging an alert that is not open)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _reason(exc: sa_exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def translate(what: str, dialect: str) -> Iterator[None]:
    """Run a block, turning SQLAlchemy/driver errors into :class:`StoreError`s that say what
    was being done, on which backend, and why."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise ConflictError(f"{what}: rejected by the {dialect} database: {_reason(exc)}"
                            ) from exc
    except sa_exc.DBAPIError as exc:
        raise StoreError(f"{what}: the {dialect} database failed: {_reason(exc)}") from exc
    except sa_exc.StatementError as exc:
        # raised before the database saw anything: a value that cannot be stored
        raise StoreError(f"{what}: cannot store a value: {_reason(exc)}") from exc
    except sa_exc.SQLAlchemyError as exc:
        raise StoreError(f"{what}: {_reason(exc)}") from exc


def audit(conn: sa.Connection, at: datetime, user: str, action: str, target: str,
          detail: dict[str, Any] | None = None) -> None:
    """One operator action in the audit log, inside the caller's transaction."""
    conn.execute(sa.insert(audit_log).values(
        at=at, actor=user, action=action, target=target, detail=detail or {}))


class StoreBase:
    """The engine and the two kinds of transaction. Writes are serialised by the caller (one
    writer thread); reads may run on any thread, each on its own pooled connection."""

    url: str
    dialect: str

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._clock = clock or utc_now
        self.url = engine.url.render_as_string(hide_password=True)
        self.dialect = engine.dialect.name
        # the alerts record() last wrote, by id (writer thread only): see upsert_alerts
        self._written: dict[str, AlertRecord] = {}

    def close(self) -> None:
        """Close every pooled connection. The store is not usable afterwards."""
        self._engine.dispose()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the store's clock must return tz-aware datetimes")
        return now.astimezone(UTC)

    @contextmanager
    def _write(self, what: str) -> Iterator[sa.Connection]:
        """One write transaction: committed when the block ends, rolled back (all of it) if
        it raises."""
        with translate(what, self.dialect), self._engine.connect() as conn:
            conn = conn.execution_options(**{WRITER_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self, what: str) -> Iterator[sa.Connection]:
        """One read-only transaction (a consistent snapshot in both backends)."""
        with translate(what, self.dialect), self._engine.connect() as conn, conn.begin():
            yield conn
