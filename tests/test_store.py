"""The live service's store, against SQLite (a temporary folder) and PostgreSQL (a database
created for this test session and dropped after it; skipped, or failed under
``SKYFENCE_REQUIRE_SERVICES=1``, when no server is reachable: see ``tests/services.py``)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from skyfence.alert.model import AlertRecord
from skyfence.errors import ConfigError, InputError, StoreError, ZoneFormatError
from skyfence.schema.events import EVENTS
from skyfence.sinks.base import Notification
from skyfence.store import ConflictError, NotFoundError, Store, migrate, open_store
from skyfence.store.engine import make_engine
from skyfence.store.migrations import applied_versions, latest_version
from skyfence.store.schema import metadata, schema_migrations

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or the session's PostgreSQL database emptied
    after each test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'skyfence.db'}"
        return
    url: str = request.getfixturevalue("pg_empty")
    yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    s = open_store(db_url, clock=clock)
    yield s
    s.close()


# -- builders -------------------------------------------------------------------------------

def circle(zone_id: str, radius_km: float = 5.0, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [21.0, 52.2]},
            "properties": {"id": zone_id, "radius": radius_km, "radius_unit": "km",
                           "floor": "SFC", "ceiling": "FL95", **props}}


def events_table(n: int, zone_id: str = "Z1", target_id: str = "icao:3c6444",
                 start: datetime = T0) -> pa.Table:
    rows = [{"time": start + timedelta(seconds=i), "track_id": 7, "target_id": target_id,
             "zone_id": zone_id, "zone_version": 1, "kind": "enter" if i == 0 else "inside",
             "lat": 52.2 + i * 1e-3, "lon": 21.0, "alt_m": 300.0, "time_to_boundary_s": None,
             "confidence": 0.9, "exempt": False} for i in range(n)]
    return pa.Table.from_pylist(rows, schema=EVENTS)


def alert(alert_id: str = "A1", **changes: Any) -> AlertRecord:
    base = AlertRecord(id=alert_id, target_id="icao:3c6444", zone_id="Z1", zone_version=1,
                       kind="incursion", status="open", severity="warning", opened_at=T0,
                       updated_at=T0, lat=52.2, lon=21.0, alt_m=300.0, callsign="LOT123",
                       entered_at=T0, n_events=1, details={"why": "enter"})
    return base.with_(**changes)


def note(nid: str, sink: str = "hook", created_at: datetime = T0,
         next_attempt_at: datetime | None = None) -> Notification:
    return Notification(id=nid, sink=sink, topic="skyfence.alerts.Z1",
                        payload={"alert": nid, "n": 1}, created_at=created_at,
                        next_attempt_at=next_attempt_at, headers={"x-skyfence": "1"})


# -- migrations and engines -----------------------------------------------------------------

def test_open_migrates_once_and_reopen_is_a_no_op(db_url: str) -> None:
    open_store(db_url).close()
    engine = make_engine(db_url)
    try:
        assert applied_versions(engine) == list(range(1, latest_version() + 1))
        assert migrate(engine) == []
        with engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(schema_migrations))
            assert count.scalar() == latest_version()
    finally:
        engine.dispose()
    open_store(db_url).close()


@pytest.mark.parametrize("start", [1, 2])
def test_database_at_an_older_version_upgrades(db_url: str, start: int) -> None:
    engine = make_engine(db_url)
    assert migrate(engine, target=start) == list(range(1, start + 1))
    old = Store(engine)  # zones exist from version 1 on
    old.put_zone(circle("Z1"), "alice")
    old.close()  # disposes the engine; it reconnects on next use
    store = open_store(db_url)
    try:
        assert applied_versions(engine) == list(range(1, latest_version() + 1))
        assert [f["properties"]["id"] for f in store.zones()] == ["Z1"]
        assert store.verify_token(store.create_token("ops", "operator")) == ("ops", "operator")
    finally:
        store.close()
        engine.dispose()


def test_a_newer_database_is_refused(db_url: str) -> None:
    open_store(db_url).close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(schema_migrations).values(version=99, name="future",
                                                         applied_at=T0))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this skyfence"):
        open_store(db_url)


def test_urls_and_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        open_store()
    with pytest.raises(ConfigError, match="unsupported database"):
        open_store("mysql://localhost/x")
    store = open_store(data_dir=tmp_path / "new")
    assert store.dialect == "sqlite"
    assert (tmp_path / "new" / "skyfence.db").exists()
    store.close()
    assert make_engine("postgres://u:pw@h/db").url.drivername == "postgresql+psycopg"


def test_sqlite_durability_settings(tmp_path: Path) -> None:
    engine = make_engine(data_dir=tmp_path)
    with engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000
    engine.dispose()


def test_backend_errors_become_store_errors(store: Store) -> None:
    with pytest.raises(StoreError, match="postgresql database failed"):
        open_store("postgresql://nobody@127.0.0.1:1/none")
    naive = note("n1", created_at=datetime(2026, 1, 1))  # noqa: DTZ001 - on purpose
    with pytest.raises(StoreError, match="cannot store a value: expected a tz-aware"):
        store.record(events_table(0), [], [naive])


def test_one_writer_many_readers(store: Store) -> None:
    """Readers on several threads while the writer records: no errors, no torn reads."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        while not stop.is_set():
            try:
                n = store.events().num_rows
                assert n % 10 == 0, n  # whole batches only
                store.alerts()
            except BaseException as exc:  # reported below
                errors.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for i in range(20):
            store.record(events_table(10), [alert(n_events=i)], [note(f"n{i}")])
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert store.events(limit=10_000).num_rows == 200


# -- zones ----------------------------------------------------------------------------------

def test_zone_versions_history_and_delete(store: Store, clock: Clock) -> None:
    assert store.put_zone(circle("Z1", name="First"), "alice") == ("Z1", 1)
    clock.now = T0 + timedelta(minutes=1)
    assert store.put_zone(circle("Z1", 8.0, version=42), "bob") == ("Z1", 2)
    assert store.put_zone(circle("Z2"), "bob") == ("Z2", 1)
    live = store.zones()
    assert [(f["properties"]["id"], f["properties"]["version"]) for f in live] == [
        ("Z1", 2), ("Z2", 1)]
    assert live[0]["properties"]["radius_m"] == 8000.0
    zs = store.zone_set()
    assert zs.ids == ["Z1", "Z2"] and zs["Z1"].version == 2

    assert store.delete_zone("Z1", "carol") == 3
    assert [f["properties"]["id"] for f in store.zones()] == ["Z2"]
    with pytest.raises(NotFoundError):
        store.delete_zone("Z1", "carol")
    assert store.put_zone(circle("Z1"), "dave") == ("Z1", 4)

    history = store.zone_history("Z1")
    assert [(h["version"], h["deleted"], h["user"]) for h in history] == [
        (1, False, "alice"), (2, False, "bob"), (3, True, "carol"), (4, False, "dave")]
    assert history[0]["at"] == T0 and history[0]["at"].tzinfo is not None
    assert history[0]["feature"]["properties"]["name"] == "First"
    assert store.zone_history("nope") == []
    actions = [(a["action"], a["target"], a["user"]) for a in store.audit_log()]
    assert actions[:2] == [("zone.put", "Z1", "dave"), ("zone.delete", "Z1", "carol")]


def test_invalid_zone_is_rejected_and_nothing_stored(store: Store) -> None:
    bad = circle("Z1")
    bad["properties"]["floor"] = "FL200"
    bad["properties"]["ceiling"] = "FL100"
    with pytest.raises(ZoneFormatError):
        store.put_zone(bad, "alice")
    with pytest.raises(ZoneFormatError):
        store.put_zone({"type": "FeatureCollection", "features": []}, "alice")
    assert store.zones() == [] and store.audit_log() == []


# -- record(): events, alerts and notifications in one transaction ---------------------------

def test_record_then_read_events_back(store: Store) -> None:
    table = events_table(5)
    other = events_table(2, zone_id="Z2", target_id="icao:abcdef",
                         start=T0 + timedelta(seconds=2))
    store.record(pa.concat_tables([table, other]), [alert()], [note("n1")])
    got = store.events(zone_id="Z1")
    assert got.schema == EVENTS
    assert got.equals(table)
    window = store.events(t_from=T0 + timedelta(seconds=1), t_to=T0 + timedelta(seconds=3))
    assert window.num_rows == 3  # [1 s, 3 s): Z1 at 1 s and 2 s, Z2 at 2 s
    assert store.events(target_id="icao:abcdef").num_rows == 2
    assert store.events(limit=3).num_rows == 3
    assert store.events(zone_id="none").num_rows == 0
    assert store.alert("A1") == alert()
    assert [n.id for n in store.pending("hook", T0)] == ["n1"]


def test_record_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(ConflictError):
        store.record(events_table(3), [alert()], [note("n1"), note("n1")])
    assert store.events().num_rows == 0
    assert store.alerts() == []
    assert store.outbox_stats() == {"pending": 0, "delivered": 0, "dead": 0}

    store.record(events_table(1), [alert()], [note("n1")])
    with pytest.raises(ConflictError):  # clashes with a committed id
        store.record(events_table(4), [alert(n_events=9), alert("A2")], [note("n1")])
    assert store.events().num_rows == 1
    assert [a.id for a in store.alerts()] == ["A1"] and store.alert("A1") == alert()
    assert store.outbox_stats()["pending"] == 1


def test_record_rejects_a_table_that_is_not_events(store: Store) -> None:
    with pytest.raises(ValueError, match="lacks EVENTS columns"):
        store.record(events_table(1).drop_columns(["kind"]), [], [])


# -- alerts -----------------------------------------------------------------------------------

def test_alert_upsert_and_queries(store: Store) -> None:
    store.record(events_table(0), [alert("A1"), alert("A2", zone_id="Z2")], [])
    later = T0 + timedelta(seconds=30)
    store.record(events_table(0), [alert("A1", n_events=5, updated_at=later, lat=52.3)], [])
    a1 = store.alert("A1")
    assert a1 is not None and a1.n_events == 5 and a1.lat == 52.3 and a1.updated_at == later
    assert a1.opened_at.tzinfo is not None and a1.details == {"why": "enter"}
    assert [a.id for a in store.alerts()] == ["A1", "A2"]  # most recently updated first
    assert [a.id for a in store.alerts(zone_id="Z2")] == ["A2"]
    assert store.alerts(status="closed") == []
    assert store.alert("nope") is None


def test_alert_upsert_merges_in_the_database(store: Store, clock: Clock) -> None:
    # one statement inserts new alerts and updates known ones; the same id twice: last wins
    store.record(events_table(0), [alert("A1")], [])
    later = T0 + timedelta(seconds=10)
    store.record(events_table(0), [alert("A1", n_events=2), alert("A2", zone_id="Z2"),
                                   alert("A1", n_events=3, updated_at=later, lat=None)], [])
    a1, a2 = store.alert("A1"), store.alert("A2")
    assert a1 == alert("A1", n_events=3, updated_at=later, lat=None)
    assert a2 == alert("A2", zone_id="Z2")
    # an operator closed A1; the pipeline, not knowing, sends it "open": still closed, by whom
    clock.now = T0 + timedelta(minutes=1)
    closed = store.close_alert("A1", "olga")
    store.record(events_table(0), [alert("A1", n_events=4, updated_at=clock.now)], [])
    kept = store.alert("A1")
    assert kept is not None and kept.n_events == 4
    assert (kept.status, kept.closed_by, kept.closed_at) == ("closed", "olga", closed.closed_at)
    with pytest.raises(ValueError, match="unknown status"):
        store.record(events_table(0), [alert("A3", status="snoozed")], [])
    assert store.alert("A3") is None


def test_an_alert_that_only_moved_is_updated_narrowly(store: Store, clock: Clock) -> None:
    store.record(events_table(0), [alert("A1")], [])
    clock.now = T0 + timedelta(seconds=5)
    store.acknowledge("A1", "olga")
    # the pipeline's next updates only move the alert (position, count, time)
    for k in (1, 2):
        moved = alert("A1", lat=52.2 + k * 0.01, n_events=1 + k,
                      updated_at=T0 + timedelta(seconds=10 * k))
        store.record(events_table(0), [moved], [])
        got = store.alert("A1")
        assert got is not None and (got.lat, got.n_events, got.updated_at) == (
            moved.lat, moved.n_events, moved.updated_at)
        assert (got.status, got.acknowledged_by) == ("acknowledged", "olga")  # kept
    # any other change is a full upsert again
    store.record(events_table(0), [alert("A1", severity="critical", n_events=9)], [])
    got = store.alert("A1")
    assert got is not None and (got.severity, got.n_events, got.status) == (
        "critical", 9, "acknowledged")
    # a row gone from under the store comes back whole
    with store._engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM alerts"))
    store.record(events_table(0), [alert("A1", severity="critical", n_events=10)], [])
    assert store.alert("A1") == alert("A1", severity="critical", n_events=10)


def test_acknowledge_and_close_record_who_when_and_audit(store: Store, clock: Clock) -> None:
    store.record(events_table(1), [alert()], [])
    clock.now = T0 + timedelta(minutes=2)
    acked = store.acknowledge("A1", "olga", [note("ack-1")])
    assert (acked.status, acked.acknowledged_by, acked.acknowledged_at) == (
        "acknowledged", "olga", clock.now)
    assert store.alert("A1") == acked
    assert [n.id for n in store.pending("hook", clock.now)] == ["ack-1"]

    # the pipeline's next update does not know about the acknowledgement: it is kept
    store.record(events_table(0), [alert(n_events=3, updated_at=clock.now)], [])
    merged = store.alert("A1")
    assert merged is not None and merged.status == "acknowledged" and merged.n_events == 3
    assert merged.acknowledged_by == "olga"
    with pytest.raises(ConflictError, match="already acknowledged"):
        store.acknowledge("A1", "piotr")

    clock.now = T0 + timedelta(minutes=5)
    closed = store.close_alert("A1", "piotr")
    assert (closed.status, closed.closed_by, closed.closed_at) == ("closed", "piotr", clock.now)
    assert closed.acknowledged_by == "olga"
    with pytest.raises(ConflictError):
        store.close_alert("A1", "piotr")
    with pytest.raises(NotFoundError):
        store.acknowledge("nope", "olga")

    log = store.audit_log()
    assert [(e["action"], e["target"], e["user"], e["at"]) for e in log] == [
        ("alert.close", "A1", "piotr", T0 + timedelta(minutes=5)),
        ("alert.acknowledge", "A1", "olga", T0 + timedelta(minutes=2))]
    assert log[1]["detail"]["previous_status"] == "open"
    assert store.audit_log(limit=1)[0]["action"] == "alert.close"


def test_acknowledge_rolls_back_with_its_notifications(store: Store) -> None:
    store.record(events_table(0), [alert()], [note("n1")])
    with pytest.raises(ConflictError):
        store.acknowledge("A1", "olga", [note("n1")])
    still = store.alert("A1")
    assert still is not None and still.status == "open" and still.acknowledged_by is None
    assert store.audit_log() == []


# -- outbox -----------------------------------------------------------------------------------

def test_outbox_order_backoff_and_dead_letters(store: Store) -> None:
    store.record(events_table(0), [], [
        note("n2", created_at=T0 + timedelta(seconds=2)),
        note("n1", created_at=T0 + timedelta(seconds=1)),
        note("later", created_at=T0, next_attempt_at=T0 + timedelta(minutes=1)),
        note("m1", sink="mqtt", created_at=T0),
    ])
    now = T0 + timedelta(seconds=10)
    due = store.pending("hook", now)
    assert [n.id for n in due] == ["n1", "n2"]
    assert due[0].payload == {"alert": "n1", "n": 1} and due[0].headers == {"x-skyfence": "1"}
    assert due[0].created_at == T0 + timedelta(seconds=1) and due[0].attempts == 0
    assert [n.id for n in store.pending("hook", now, limit=1)] == ["n1"]
    assert [n.id for n in store.pending("mqtt", now)] == ["m1"]

    retry_at = now + timedelta(minutes=1)  # "later" is due by then too
    store.failed("n1", "HTTP 503", retry_at)
    assert [n.id for n in store.pending("hook", now)] == ["n2"]
    store.delivered("n2", now)
    store.delivered("n2", now)  # a second confirmation changes nothing
    at_retry = store.pending("hook", retry_at)
    assert [n.id for n in at_retry] == ["later", "n1"]  # oldest first, whatever the retries
    assert at_retry[1].attempts == 1 and at_retry[1].next_attempt_at == retry_at

    store.failed("n1", "HTTP 410", None)  # give up
    assert [n.id for n in store.pending("hook", retry_at)] == ["later"]
    assert store.outbox_stats() == {"pending": 2, "delivered": 1, "dead": 1}
    dead = store.dead_letters()
    assert [(d["notification"].id, d["attempts"], d["last_error"]) for d in dead] == [
        ("n1", 2, "HTTP 410")]
    with pytest.raises(NotFoundError):
        store.delivered("nope", now)
    with pytest.raises(NotFoundError):
        store.failed("nope", "x", None)
    assert store.purge_delivered(now + timedelta(seconds=1)) == 1
    assert store.outbox_stats()["delivered"] == 0


# -- tokens and sinks -------------------------------------------------------------------------

def _all_stored_text(db_url: str, tmp_paths: list[Path]) -> str:
    """Everything in every table, as text; plus the raw SQLite files if any."""
    engine = make_engine(db_url)
    parts = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in conn.execute(sa.select(table)))
    engine.dispose()
    for path in tmp_paths:
        if path.exists():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def test_tokens_are_stored_hashed(store: Store, db_url: str) -> None:
    token = store.create_token("ops-desk", "operator", user="root")
    assert len(token) >= 43
    assert store.verify_token(token) == ("ops-desk", "operator")
    assert store.verify_token(token + "x") is None
    assert store.verify_token("") is None
    assert store.tokens()[0].keys() == {"name", "role", "created_at", "created_by"}

    db_file = Path(make_url(db_url).database or "") if db_url.startswith("sqlite") else None
    files = [db_file, Path(f"{db_file}-wal")] if db_file else []
    stored = _all_stored_text(db_url, files)
    assert token not in stored
    assert token.encode().hex() not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored

    with pytest.raises(ConflictError):
        store.create_token("ops-desk", "viewer")
    with pytest.raises(InputError, match="unknown role"):
        store.create_token("x", "root")
    store.revoke_token("ops-desk", user="root")
    assert store.verify_token(token) is None and store.tokens() == []
    with pytest.raises(NotFoundError):
        store.revoke_token("ops-desk")
    assert [(e["action"], e["user"]) for e in store.audit_log()] == [
        ("token.revoke", "root"), ("token.create", "root")]


def test_sinks_configuration(store: Store) -> None:
    store.add_sink("hook", "https://example.org/skyfence", secret="s3cret", user="root")
    store.add_sink("broker", "mqtt://bot:pw@broker.local:1883")
    listed = store.sinks()
    assert [s["name"] for s in listed] == ["broker", "hook"]
    assert listed[0]["url"] == "mqtt://bot:***@broker.local:1883"
    assert listed[1]["has_secret"] and "secret" not in listed[1]
    full = store.sinks(with_secrets=True)
    assert full[0]["url"] == "mqtt://bot:pw@broker.local:1883" and full[1]["secret"] == "s3cret"
    with pytest.raises(ConflictError):
        store.add_sink("hook", "https://example.org/other")
    with pytest.raises(InputError):
        store.add_sink("bad", "ftp://example.org/")

    store.record(events_table(0), [], [note("h1", sink="hook")])
    store.remove_sink("hook", user="root")
    assert [s["name"] for s in store.sinks()] == ["broker"]
    assert store.outbox_stats()["dead"] == 1
    with pytest.raises(NotFoundError):
        store.remove_sink("hook")
    log = store.audit_log()
    assert [e["action"] for e in log] == ["sink.remove", "sink.add", "sink.add"]
    assert "pw" not in str(log) and "s3cret" not in str(log)


# -- crash safety (SQLite) --------------------------------------------------------------------

CRASH_CHILD = textwrap.dedent("""
    import os, signal, sys
    from datetime import UTC, datetime
    import pyarrow as pa
    from skyfence.alert.model import AlertRecord
    from skyfence.schema.events import EVENTS
    from skyfence.sinks.base import Notification
    from skyfence.store import open_store

    t0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    store = open_store(sys.argv[1])
    events = pa.Table.from_pylist(
        [{"time": t0, "target_id": "icao:3c6444", "zone_id": "Z1", "kind": "enter"}] * 100,
        schema=EVENTS)
    alert = AlertRecord(id="A1", target_id="icao:3c6444", zone_id="Z1", zone_version=1,
                        kind="incursion", status="open", severity="critical",
                        opened_at=t0, updated_at=t0)
    store.record(events, [alert], [Notification("n1", "hook", "t", {"a": 1}, t0)])
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint, no atexit
""")


def test_sqlite_commit_survives_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "skyfence.db"
    url = f"sqlite:///{db}"
    child = subprocess.run([sys.executable, "-c", CRASH_CHILD, url], capture_output=True,
                           timeout=120, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    assert child.returncode == -signal.SIGKILL, child.stderr
    # the commit is in the write-ahead log, not yet checkpointed into the database file
    assert Path(f"{db}-wal").stat().st_size > 0
    store = open_store(url)
    try:
        assert store.events().num_rows == 100
        assert store.alert("A1") is not None
        assert [n.id for n in store.pending("hook", T0)] == ["n1"]
    finally:
        store.close()
