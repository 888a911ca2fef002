"""Schema migrations: an ordered list of functions of a connection, each run once, in its own
transaction together with the ``schema_migrations`` row that records it, so a migration is
either fully applied and recorded or not at all. :func:`migrate` runs those not yet applied;
running it again is a no-op. On PostgreSQL an advisory lock keeps two processes that open the
same database at once from migrating it twice; on SQLite ``BEGIN IMMEDIATE`` does the same.

Adding a migration: append a :class:`Migration` with the next version. A migration that
creates a table may build it from :mod:`skyfence.store.schema` only while no later
migration alters that table; once one does, the creating migration gets a frozen copy of the
table as it was, so that old databases and new ones go through the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from skyfence.errors import StoreError
from skyfence.store.base import WRITER_OPTION, translate, utc_now
from skyfence.store.schema import (
    alerts,
    audit_log,
    events,
    outbox,
    schema_migrations,
    sinks,
    tokens,
    zone_versions,
)

__all__ = ["MIGRATIONS", "Migration", "applied_versions", "latest_version", "migrate"]

# pg_advisory_xact_lock key: "skyf" in ASCII, so it is recognisable in pg_locks
_PG_LOCK_KEY = 0x736B7966


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sa.Connection], None]


def _create(*tables: sa.Table) -> Callable[[sa.Connection], None]:
    def apply(conn: sa.Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)
    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "zones, events, alerts, outbox, audit log",
              _create(zone_versions, events, alerts, outbox, audit_log)),
    Migration(2, "API tokens", _create(tokens)),
    Migration(3, "sinks", _create(sinks)),
)


def latest_version() -> int:
    return MIGRATIONS[-1].version


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))


def _applied(conn: sa.Connection) -> set[int]:
    return set(conn.execute(sa.select(schema_migrations.c.version)).scalars())


def applied_versions(engine: sa.Engine) -> list[int]:
    """The versions recorded in ``schema_migrations`` (empty for a new database)."""
    with translate("reading the schema version", engine.dialect.name), engine.connect() as conn:
        if not sa.inspect(conn).has_table(schema_migrations.name):
            return []
        return sorted(_applied(conn))


def migrate(engine: sa.Engine, target: int | None = None) -> list[int]:
    """Apply the migrations not yet applied, up to ``target`` (default: all). Returns the
    versions applied now. Refuses a database migrated by a newer skyfence."""
    dialect = engine.dialect.name
    done: list[int] = []
    with translate("migrating the schema", dialect), engine.connect() as conn:
        conn = conn.execution_options(**{WRITER_OPTION: True})
        with conn.begin():
            _lock(conn)
            schema_migrations.create(conn, checkfirst=True)
        for m in MIGRATIONS:
            if target is not None and m.version > target:
                break
            with conn.begin():
                _lock(conn)
                applied = _applied(conn)  # again, under the lock
                if applied and max(applied) > latest_version():
                    raise StoreError(
                        f"the database schema is at version {max(applied)}, newer than this "
                        f"skyfence knows ({latest_version()}): upgrade skyfence")
                if m.version in applied:
                    continue
                m.apply(conn)
                conn.execute(sa.insert(schema_migrations).values(
                    version=m.version, name=m.name, applied_at=utc_now()))
                done.append(m.version)
    return done
