"""``skyfence serve`` for real, as a subprocess, with SQLite and with PostgreSQL: a replayed
recording's alerts arrive through the REST API, the WebSocket, a local webhook receiver
(signature verified) and MQTT; and a SIGKILL mid-stream loses no committed event and every
notification is delivered at least once after the restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from services import MQTT, require_service
from skyfence.cli.audit import sample_paths
from skyfence.pipeline.audit import audit_batches
from skyfence.sinks.webhook import generate_secret, verify
from skyfence.store import open_store
from skyfence.store.schema import outbox
from skyfence.zones import load_zones

SECRET = generate_secret()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on 127.0.0.1 that verifies every signature."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.bad = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                try:
                    verify(SECRET, dict(self.headers.items()), body)
                except Exception:
                    outer.bad += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                outer.ids.append(self.headers["webhook-id"])
                outer.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    url: str = request.getfixturevalue("pg_empty")
    yield url


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    traffic, zones = sample_paths()
    part = pq.read_table(traffic).slice(0, 60_000)  # the first ~25 minutes
    path = tmp_path_factory.mktemp("rec") / "rec.parquet"
    pq.write_table(part, path)
    return path, zones


class Server:
    def __init__(self, data: Path, db: str | None, zones: Path, sources: list[str]) -> None:
        self.port = free_port()
        cmd = [sys.executable, "-m", "skyfence", "serve", "--data-dir", str(data),
               "--port", str(self.port), "--zones", str(zones)]
        for s in sources:
            cmd += ["--source", s]
        if db:
            cmd += ["--db", db]
        env = {**os.environ, "SKYFENCE_ALLOW_PRIVATE_WEBHOOKS": "true"}
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for(lambda: self._up(), 60, "the server to answer /health")

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            out = self.proc.stdout.read().decode() if self.proc.stdout else ""
            raise AssertionError(f"serve exited with {self.proc.returncode}: {out}")
        try:
            return httpx.get(f"{self.base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def get(self, path: str, token: str, **params: Any) -> Any:
        r = httpx.get(f"{self.base}{path}", params=params, timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return r.json()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def prepare(data: Path, db: str | None, receiver: Receiver, mqtt_prefix: str | None) -> str:
    store = open_store(db, data)
    token = store.create_token("e2e", "admin")
    store.add_sink("hook", receiver.url, SECRET)
    if mqtt_prefix:
        store.add_sink("mq", f"mqtt://127.0.0.1:1883/{mqtt_prefix}")
    store.close()
    return token


async def _until(stop: threading.Event, consume: Callable[[], Any]) -> None:
    task = asyncio.ensure_future(consume())
    while not stop.is_set() and not task.done():
        await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def mqtt_listener(prefix: str, got: list[dict[str, Any]], ready: threading.Event,
                  stop: threading.Event) -> threading.Thread:
    async def consume() -> None:
        import aiomqtt

        async with aiomqtt.Client("127.0.0.1", 1883) as client:
            await client.subscribe(f"{prefix}/#", qos=1)
            ready.set()
            async for msg in client.messages:
                got.append(json.loads(bytes(msg.payload)))  # type: ignore[arg-type]

    t = threading.Thread(target=lambda: asyncio.run(_until(stop, consume)), daemon=True)
    t.start()
    return t


def ws_listener(url: str, got: list[dict[str, Any]], stop: threading.Event) -> threading.Thread:
    async def consume() -> None:
        import websockets

        with contextlib.suppress(websockets.ConnectionClosed):
            async with websockets.connect(url) as ws:
                async for raw in ws:
                    got.append(json.loads(raw))

    t = threading.Thread(target=lambda: asyncio.run(_until(stop, consume)), daemon=True)
    t.start()
    return t


def test_replay_alerts_arrive_everywhere(tmp_path: Path, db: str | None,
                                         recording: tuple[Path, Path]) -> None:
    require_service(*MQTT)
    rec_path, zones_path = recording
    receiver = Receiver()
    prefix = f"skyfence-e2e-{uuid.uuid4().hex[:8]}"
    token = prepare(tmp_path, db, receiver, prefix)
    mq: list[dict[str, Any]] = []
    ws: list[dict[str, Any]] = []
    ready, stop = threading.Event(), threading.Event()
    mqtt_listener(prefix, mq, ready, stop)
    assert ready.wait(10)
    # a source that starts only once the WebSocket listens: replay at 100x real time
    server = Server(tmp_path, db, zones_path, [f"file://{rec_path}?speed=100"])
    try:
        ws_listener(f"ws://127.0.0.1:{server.port}/ws?token={token}", ws, stop)
        expected = audit_batches([pq.read_table(rec_path)], load_zones([zones_path]))
        want = set(zip(expected.incursions.column("target_id").to_pylist(),
                       expected.incursions.column("zone_id").to_pylist(), strict=True))

        def all_raised() -> bool:
            got = server.get("/alerts", token, limit=5000)
            return {(a["target_id"], a["zone_id"]) for a in got} >= want

        wait_for(all_raised, 90, "every expected alert in the REST API")
        alerts = server.get("/alerts", token, limit=5000)
        assert {(a["target_id"], a["zone_id"]) for a in alerts} == want
        opened_ids = {a["id"] for a in alerts}
        wait_for(lambda: {b["alert"]["id"] for b in receiver.bodies
                          if b["type"] == "alert.opened"} >= opened_ids, 60,
                 "every opened alert at the webhook")
        wait_for(lambda: {m["alert"]["id"] for m in mq
                          if m.get("type") == "alert.opened"} >= opened_ids, 60,
                 "every opened alert on MQTT")
        assert receiver.bad == 0
        assert any(m["type"] == "alert" for m in ws) and any(m["type"] == "track" for m in ws)
        events = server.get("/events", token, limit=100_000)
        assert {"enter", "exit"} <= {e["kind"] for e in events}
    finally:
        stop.set()
        server.stop()
        receiver.close()
    # a graceful stop; uvicorn re-raises the SIGTERM it handled
    assert server.proc.returncode in (0, -signal.SIGTERM)


def test_sigkill_loses_nothing_committed(tmp_path: Path, db: str | None,
                                         recording: tuple[Path, Path]) -> None:
    rec_path, zones_path = recording
    receiver = Receiver()
    token = prepare(tmp_path, db, receiver, None)
    server = Server(tmp_path, db, zones_path, [f"file://{rec_path}?speed=60"])
    try:
        wait_for(lambda: len(server.get("/events", token, limit=100_000)) > 30, 60,
                 "events to be committed")
    finally:
        server.stop(signal.SIGKILL)
    assert server.proc.returncode == -signal.SIGKILL
    store = open_store(db, tmp_path)
    committed = {(e["time"], e["target_id"], e["zone_id"], e["kind"])
                 for e in store.events(limit=1_000_000).to_pylist()}
    with store._engine.connect() as conn:  # the outbox rows as the kill left them
        notes = {r.id for r in conn.execute(sa.select(outbox.c.id))}
    store.close()
    assert committed and notes
    # restart without sources: the undelivered notifications go out again
    again = Server(tmp_path, db, zones_path, [])
    try:
        wait_for(lambda: set(receiver.ids) >= notes, 60, "every notification delivered")
    finally:
        again.stop()
        receiver.close()
    store = open_store(db, tmp_path)
    after = {(e["time"], e["target_id"], e["zone_id"], e["kind"])
             for e in store.events(limit=1_000_000).to_pylist()}
    stats = store.outbox_stats()
    store.close()
    assert committed <= after  # no committed event lost
    assert stats.get("pending", 0) == 0 and stats.get("dead", 0) == 0
    assert receiver.bad == 0


def test_sink_added_through_the_api_delivers_without_restart(
        tmp_path: Path, recording: tuple[Path, Path]) -> None:
    rec_path, zones_path = recording
    receiver = Receiver()
    store = open_store(None, tmp_path)
    token = store.create_token("e2e", "admin")
    store.close()
    server = Server(tmp_path, None, zones_path, [f"file://{rec_path}?speed=60"])
    try:
        r = httpx.post(f"{server.base}/sinks", timeout=10,
                       headers={"Authorization": f"Bearer {token}"},
                       json={"name": "late", "url": receiver.url, "secret": SECRET})
        assert r.status_code in (200, 201), r.text
        wait_for(lambda: any(b["type"] == "alert.opened" for b in receiver.bodies), 60,
                 "an alert at the sink added while running")
    finally:
        server.stop()
        receiver.close()
    assert receiver.bad == 0
