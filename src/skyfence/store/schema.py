"""The tables, as SQLAlchemy Core ``Table`` objects: the *current* schema, which
:mod:`skyfence.store.migrations` builds step by step (see ``docs/storage.md``).

Times are :class:`UTCDateTime`: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, integer
microseconds since 1970-01-01T00:00Z on SQLite (exact, compact, sorts and compares as
numbers, the same resolution as the Arrow ``timestamp[us, UTC]`` of the batch types). They
must be tz-aware going in and are tz-aware UTC coming out. JSON payloads are ``JSONB`` on
PostgreSQL and JSON text on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

__all__ = [
    "UTCDateTime", "alerts", "audit_log", "events", "metadata", "outbox", "schema_migrations",
    "sinks", "tokens", "zone_versions",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A tz-aware UTC instant (see the module docstring for the storage per backend)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"expected a tz-aware datetime, got {value!r}")
        if dialect.name == "sqlite":
            return (value - EPOCH) // ONE_US
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return EPOCH + value * ONE_US
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        raise TypeError(f"unexpected stored time {value!r}")


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# an autoincrementing 64-bit key; on SQLite it must be spelled INTEGER to alias the rowid
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(200)

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

# every change to a zone is a new row; the live zone is the latest version, unless deleted
zone_versions = sa.Table(
    "zone_versions", metadata,
    sa.Column("zone_id", ID, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("feature", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("track_id", sa.BigInteger),
    sa.Column("target_id", ID),
    sa.Column("zone_id", ID),
    sa.Column("zone_version", sa.Integer),
    sa.Column("kind", sa.String(32)),
    sa.Column("lat", sa.Double),
    sa.Column("lon", sa.Double),
    sa.Column("alt_m", sa.Double),
    sa.Column("time_to_boundary_s", sa.Double),
    sa.Column("confidence", sa.Double),
    sa.Column("exempt", sa.Boolean),
    sa.Index("ix_events_time", "time"),
    sa.Index("ix_events_zone_time", "zone_id", "time"),
    sa.Index("ix_events_target_time", "target_id", "time"),
)

# one row per alert (AlertRecord field names), upserted by record()
alerts = sa.Table(
    "alerts", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("target_id", ID, nullable=False),
    sa.Column("zone_id", ID, nullable=False),
    sa.Column("zone_version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(32), nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("lat", sa.Double),
    sa.Column("lon", sa.Double),
    sa.Column("alt_m", sa.Double),
    sa.Column("callsign", sa.String(32)),
    sa.Column("time_to_boundary_s", sa.Double),
    sa.Column("entered_at", UTCDateTime),
    sa.Column("exited_at", UTCDateTime),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("closed_by", sa.String(200)),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("acknowledged_by", sa.String(200)),
    sa.Column("exempt", sa.Boolean, nullable=False),
    sa.Column("n_events", sa.Integer, nullable=False),
    sa.Column("target_kind", sa.String(32), nullable=False),
    sa.Column("details", JSON, nullable=False),
    sa.Index("ix_alerts_status_updated", "status", "updated_at"),
    sa.Index("ix_alerts_zone_updated", "zone_id", "updated_at"),
)

# notifications waiting for (or done with) delivery; state: pending | delivered | dead
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("seq", SERIAL, primary_key=True, autoincrement=True),
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("sink", sa.String(200), nullable=False),
    sa.Column("topic", sa.String(500), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("headers", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_due", "state", "sink", "created_at"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("detail", JSON, nullable=False),
)

# API tokens: only the SHA-256 of the token is kept
tokens = sa.Table(
    "tokens", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

sinks = sa.Table(
    "sinks", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)
