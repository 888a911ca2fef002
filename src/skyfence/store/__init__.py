"""Storage for the live service: a SQL database (SQLite embedded by default, PostgreSQL by
URL) for zones, events, alerts, the outbox, tokens, sinks and the audit log, and a Parquet
archive of reports. See ``docs/storage.md``."""

from __future__ import annotations

from skyfence.store.archive import ReportArchive
from skyfence.store.base import ConflictError, NotFoundError
from skyfence.store.migrations import MIGRATIONS, migrate
from skyfence.store.store import Store, open_store

__all__ = [
    "MIGRATIONS",
    "ConflictError",
    "NotFoundError",
    "ReportArchive",
    "Store",
    "migrate",
    "open_store",
]
