"""Engines: which URL means which backend, and the settings that make each one durable.

SQLite (embedded, the default): ``sqlite:///<data_dir>/skyfence.db``. Every connection gets
``journal_mode=WAL`` (readers never block the writer, and a crash leaves either the whole
transaction or none of it), ``synchronous=FULL`` (the WAL is fsynced at every commit, so a
commit that returned survives power loss, not just a process crash), ``foreign_keys=ON``
and ``busy_timeout=5000`` (a connection waits up to 5 s for a lock rather than failing at
once). Python's ``sqlite3`` transaction handling is switched off and the store emits
``BEGIN`` itself: ``BEGIN IMMEDIATE`` for the writer (it takes the write lock up front, so a
write never fails half-way on lock upgrade), plain ``BEGIN`` for readers.

PostgreSQL: ``postgresql://`` (or ``postgres://``) is mapped to the psycopg 3 driver
(``postgresql+psycopg://``); sessions run in UTC; dead pooled connections are replaced
(``pool_pre_ping``). Durability is the server's (``fsync``, ``synchronous_commit``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from skyfence.errors import ConfigError
from skyfence.store.base import WRITER_OPTION

__all__ = ["BUSY_TIMEOUT_MS", "DB_FILENAME", "make_engine", "resolve_url"]

DB_FILENAME = "skyfence.db"
#: how long a SQLite connection waits for a lock held by another connection or process
BUSY_TIMEOUT_MS = 5000

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",  # = BUSY_TIMEOUT_MS; a constant, never formatted in
)


def resolve_url(url: str | None, data_dir: Path | None) -> sa.URL:
    """The SQLAlchemy URL for a user-facing ``url`` (or the default database in
    ``data_dir``)."""
    if url is None:
        if data_dir is None:
            raise ConfigError("the store needs a database URL or a data directory")
        return sa.URL.create("sqlite", database=str(Path(data_dir) / DB_FILENAME))
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}") from exc
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise ConfigError(f"PostgreSQL is used through psycopg 3, not {driver!r}: "
                              "write the URL as postgresql://...")
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigError(f"SQLite is used through the standard sqlite3 module, not "
                              f"{driver!r}: write the URL as sqlite:///path/to/skyfence.db")
        return parsed.set(drivername="sqlite")
    raise ConfigError(f"unsupported database {backend!r}: use sqlite:///path or "
                      "postgresql://user@host/dbname")


def make_engine(url: str | None = None, data_dir: Path | None = None) -> sa.Engine:
    """An engine set up for durability (module docstring). Creates the SQLite file's folder."""
    resolved = resolve_url(url, data_dir)
    if resolved.drivername == "sqlite":
        return _sqlite_engine(resolved)
    return sa.create_engine(
        resolved,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 10},
    )


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    database = url.database or ""
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if database in ("", ":memory:"):
        # one in-memory database, shared by every user of this engine
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # autocommit at the driver level: the "begin" hook below opens transactions itself
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITER_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
