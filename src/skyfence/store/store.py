"""The :class:`Store` and :func:`open_store`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from skyfence.store.admin import AdminMixin
from skyfence.store.alerts import AlertsMixin
from skyfence.store.engine import make_engine
from skyfence.store.events import EventsMixin
from skyfence.store.migrations import migrate
from skyfence.store.outbox import OutboxMixin
from skyfence.store.zones import ZonesMixin

__all__ = ["Store", "open_store"]


class Store(ZonesMixin, EventsMixin, AlertsMixin, OutboxMixin, AdminMixin):
    """The live service's database: zones (versioned), events, alerts, the notification
    outbox, API tokens, sinks and the audit log.

    One writer, many readers: every method is synchronous and runs in its own transaction.
    Reads may be called from any number of threads at once. Writes (``put_zone``,
    ``delete_zone``, ``record``, ``acknowledge``, ``close_alert``, ``delivered``,
    ``failed``, token and sink administration) must be serialised by the caller: the live
    driver runs them all on one dedicated thread. SQLite would serialise concurrent writers
    anyway (waiting up to the busy timeout), but a single writer never waits.

    Errors are :class:`~skyfence.errors.StoreError` (and its ``NotFoundError``,
    ``ConflictError``), or an :class:`~skyfence.errors.InputError` for bad input.
    """


def open_store(url: str | None = None, data_dir: Path | None = None, *,
               clock: Callable[[], datetime] | None = None) -> Store:
    """Open (creating and migrating as needed) the database at ``url``, or
    ``sqlite:///<data_dir>/skyfence.db`` without one. ``clock`` (tz-aware UTC) stamps
    operator actions; tests inject one."""
    engine = make_engine(url, data_dir)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, clock)
