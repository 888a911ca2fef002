"""The HTTP/WebSocket API over a real store (SQLite in a temporary folder) and a live service
fed in memory: zones, tracks, alerts and operator actions, events, reports, the WebSocket
stream, the size limit, sinks and tokens. Who may call what is in ``test_api_auth.py``."""

from __future__ import annotations

import argparse
import functools
import io
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from skyfence.api import ROUTE_ROLES, create_app
from skyfence.cli import token as token_cli
from skyfence.errors import StoreError
from skyfence.pipeline.live import LiveConfig, LiveService
from skyfence.settings import Settings
from skyfence.store import open_store

T0 = datetime(2024, 7, 6, 12, 0, tzinfo=UTC)
INTRUDER, OTHER = "icao:aaaaaa", "icao:bbbbbb"


def square(zone_id: str, x0: float = 0.0, **props: Any) -> dict[str, Any]:
    ring = [[x0, 0.0], [x0 + 1, 0.0], [x0 + 1, 1.0], [x0, 1.0], [x0, 0.0]]
    return {"type": "Feature", "properties": {"id": zone_id, "ceiling": "FL100", **props},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def crossing() -> pa.Table:
    """INTRUDER flies east into Z1 (lon 0..1), OTHER into Z2 (lon 2..3), 1 report a second."""
    rows = [{"time": T0 + timedelta(seconds=i), "target_id": target, "lat": 0.5,
             "lon": x0 + dx, "alt_baro_m": 1000.0}
            for target, x0 in ((INTRUDER, 0.0), (OTHER, 2.0))
            for i, dx in enumerate((-0.2, -0.1, 0.1, 0.2))]
    return pa.Table.from_pylist(rows)


class MemorySource:
    def __init__(self, *tables: pa.Table) -> None:
        self.tables = tables

    async def batches(self) -> AsyncIterator[pa.Table]:
        for t in self.tables:
            yield t


class Env:
    """A store with zones Z1 and Z2, a live service on them that records into the store and
    notifies one sink, the app, and a token per role (named after the role)."""

    def __init__(self, tmp: Path, **settings: Any) -> None:
        self.store = open_store(None, tmp)
        self.store.put_zone(square("Z1"), "setup")
        self.store.put_zone(square("Z2", 2.0), "setup")
        self.service = LiveService(self.store.zone_set(), recorder=self.store, sinks=["hook"],
                                   config=LiveConfig(batch_max_s=0.01))
        self.settings = Settings(data_dir=tmp, **settings)
        self.app = create_app(self.settings, self.service, self.store)
        self.tokens = {r: self.store.create_token(r, r) for r in ("viewer", "operator", "admin")}

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def feed(self, client: TestClient, *tables: pa.Table) -> None:
        """Run the service in the app's event loop until the tables are processed."""
        client.portal.call(functools.partial(
            self.service.run, [MemorySource(*tables)], until_sources_end=True))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    yield e
    e.store.close()


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(env.app) as c:
        yield c


def test_health_and_docs(env: Env, client: TestClient, monkeypatch: pytest.MonkeyPatch
                         ) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] is True and body["version"]
    assert "swagger" in client.get("/docs", headers=env.h("viewer")).text.lower()
    paths = client.get("/openapi.json", headers=env.h("viewer")).json()["paths"]
    assert {"/zones/{zone_id}", "/alerts/{alert_id}/acknowledge", "/reports"} <= set(paths)

    def down(*_: Any) -> Any:
        raise StoreError("database is locked")

    monkeypatch.setattr(env.store, "audit_log", down)
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["database"] is False


def test_zone_changes_are_versions_and_reach_the_live_service(env: Env, client: TestClient
                                                              ) -> None:
    admin = env.h("admin")
    assert client.put("/zones/Z9", json=square("Z9", 5.0), headers=admin).json() == {
        "id": "Z9", "version": 1}
    assert env.service.zones["Z9"].ceiling.to_text() == "FL100"
    # the id may be left out of the body: the URL names the zone
    feature = square("Z9", 5.0, ceiling="FL200")
    del feature["properties"]["id"]
    assert client.put("/zones/Z9", json=feature, headers=admin).json()["version"] == 2
    assert env.service.zones["Z9"].version == 2
    assert env.service.zones["Z9"].ceiling.to_text() == "FL200"
    assert env.service.index.zones  # rebuilt with the new set
    got = client.get("/zones/Z9", headers=env.h("viewer")).json()
    assert got["properties"]["version"] == 2
    listed = client.get("/zones", headers=env.h("viewer")).json()
    assert listed["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in listed["features"]] == ["Z1", "Z2", "Z9"]

    assert client.delete("/zones/Z9", headers=admin).json()["version"] == 3
    assert "Z9" not in env.service.zones
    assert client.get("/zones/Z9", headers=admin).status_code == 404
    assert client.delete("/zones/Z9", headers=admin).status_code == 404
    history = client.get("/zones/Z9/history", headers=admin).json()
    assert [(v["version"], v["deleted"], v["user"]) for v in history] == [
        (1, False, "admin"), (2, False, "admin"), (3, True, "admin")]
    assert history[0]["at"].endswith("Z")
    assert client.get("/zones/nope/history", headers=admin).status_code == 404


def test_bad_zones_are_422_with_the_located_message(env: Env, client: TestClient) -> None:
    admin = env.h("admin")
    r = client.put("/zones/Z9", json=square("Z9", ceiling="FLX"), headers=admin)
    assert r.status_code == 422
    assert "feature 1 (Z9)" in r.json()["detail"] and "'ceiling'" in r.json()["detail"]
    r = client.put("/zones/Z9", json=square("other"), headers=admin)
    assert r.status_code == 422 and "'other'" in r.json()["detail"]
    assert client.put("/zones/Z9", content=b"{nope", headers=admin).status_code == 422
    assert client.put("/zones/Z9", json={"type": "FeatureCollection", "features": []},
                      headers=admin).status_code == 422
    # one bad feature in a collection: nothing stored
    doc = {"type": "FeatureCollection",
           "features": [square("A", 5.0), square("B", 7.0, floor="FL300")]}
    r = client.post("/zones", json=doc, headers=admin)
    assert r.status_code == 422 and "feature 2 (B)" in r.json()["detail"]
    assert client.get("/zones/A", headers=admin).status_code == 404
    doc["features"][1] = square("B", 7.0)
    r = client.post("/zones", json=doc, headers=admin)
    assert r.status_code == 201
    assert r.json() == [{"id": "A", "version": 1}, {"id": "B", "version": 1}]
    assert {"A", "B"} <= {z.id for z in env.service.zones}


def test_tracks_and_events_after_an_incursion(env: Env, client: TestClient) -> None:
    env.feed(client, crossing())
    viewer = env.h("viewer")
    tracks = client.get("/tracks", headers=viewer).json()
    assert {t["target_id"] for t in tracks} == {INTRUDER, OTHER}
    in_box = client.get("/tracks", params={"bbox": "1.5,0,3.5,1"}, headers=viewer).json()
    assert [t["target_id"] for t in in_box] == [OTHER]
    in_zone = client.get("/tracks", params={"zone": "Z1"}, headers=viewer).json()
    assert [(t["target_id"], t["zones"]) for t in in_zone] == [(INTRUDER, ["Z1"])]
    for bad in ("1,2,3", "a,b,c,d", "3,0,1,1", "0,0,200,1"):
        assert client.get("/tracks", params={"bbox": bad}, headers=viewer).status_code == 422

    events = client.get("/events", params={"zone": "Z1"}, headers=viewer).json()
    assert events and {e["zone_id"] for e in events} == {"Z1"}
    assert events[0]["kind"] == "enter" and events[0]["time"].endswith("Z")
    assert client.get("/events", params={"target": OTHER, "limit": 1},
                      headers=viewer).json()[0]["target_id"] == OTHER
    late = (T0 + timedelta(hours=1)).isoformat()
    assert client.get("/events", params={"from": late}, headers=viewer).json() == []
    assert client.get("/events", params={"to": "2024-07-06T12:00:00"},
                      headers=viewer).status_code == 422  # no time zone
    metrics = client.get("/metrics", headers=viewer).text
    assert "skyfence_reports_total 8.0" in metrics
    assert "skyfence_open_alerts 2.0" in metrics
    assert "skyfence_outbox_pending 2.0" in metrics and "skyfence_outbox_dead 0.0" in metrics


def test_acknowledge_and_close_record_who_and_when(env: Env, client: TestClient) -> None:
    env.feed(client, crossing())
    viewer, operator = env.h("viewer"), env.h("operator")
    open_alerts = client.get("/alerts", params={"status": "open", "zone": "Z1"},
                             headers=viewer).json()
    assert [a["target_id"] for a in open_alerts] == [INTRUDER]
    alert_id = open_alerts[0]["id"]
    assert client.get(f"/alerts/{alert_id}", headers=viewer).json()["zone_id"] == "Z1"
    assert client.get("/alerts", params={"status": "nope"}, headers=viewer).status_code == 422

    before = datetime.now(UTC)
    ack = client.post(f"/alerts/{alert_id}/acknowledge", headers=operator)
    after = datetime.now(UTC)
    assert ack.status_code == 200, ack.text
    assert ack.json()["status"] == "acknowledged"
    assert ack.json()["acknowledged_by"] == "operator"
    at = datetime.fromisoformat(ack.json()["acknowledged_at"])
    assert before <= at <= after
    live = {a.id: a for a in env.service.live_alerts()}
    assert live[alert_id].status == "acknowledged"
    assert live[alert_id].acknowledged_by == "operator"
    again = client.post(f"/alerts/{alert_id}/acknowledge", headers=operator)
    assert again.status_code == 409 and "operator" in again.json()["detail"]

    closed = client.post(f"/alerts/{alert_id}/close", headers=operator).json()
    assert closed["status"] == "closed" and closed["closed_by"] == "operator"
    assert before <= datetime.fromisoformat(closed["closed_at"]) <= datetime.now(UTC)
    assert alert_id not in {a.id for a in env.service.live_alerts()}
    assert client.post(f"/alerts/{alert_id}/close", headers=operator).status_code == 409
    assert client.post(f"/alerts/{alert_id}/acknowledge", headers=operator).status_code == 409
    assert client.post("/alerts/nope/close", headers=operator).status_code == 404
    assert client.get("/alerts/nope", headers=viewer).status_code == 404

    stored = env.store.alert(alert_id)
    assert stored is not None and stored.closed_by == "operator"
    assert stored.acknowledged_by == "operator"
    log = client.get("/audit-log", headers=env.h("admin")).json()
    assert [(e["action"], e["user"]) for e in log[:2]] == [
        ("alert.close", "operator"), ("alert.acknowledge", "operator")]
    # 2 openings + this alert's acknowledgement and closing, for the one sink
    assert env.store.outbox_stats()["pending"] == 4


def test_websocket_streams_tracks_and_alerts_filtered_by_zone(env: Env, client: TestClient
                                                             ) -> None:
    token = env.tokens["viewer"]
    with client.websocket_connect(f"/ws?token={token}&zone=Z1") as by_zone, \
            client.websocket_connect(f"/ws?token={token}&bbox=1.5,0,3.5,1") as by_box:
        env.feed(client, crossing())
        alert = by_zone.receive_json()
        assert alert["type"] == "alert" and alert["change"] == "opened"
        assert alert["alert"]["zone_id"] == "Z1" and alert["alert"]["target_id"] == INTRUDER
        track = by_zone.receive_json()
        assert track["type"] == "track" and track["target_id"] == INTRUDER
        assert track["zones"] == ["Z1"] and track["lon"] == pytest.approx(0.2)
        # an operator acts: the Z1 subscriber hears it next (nothing about Z2 came between)
        r = client.post(f"/alerts/{alert['alert']['id']}/acknowledge", headers=env.h("operator"))
        assert r.status_code == 200
        ack = by_zone.receive_json()
        assert (ack["type"], ack["change"], ack["alert"]["acknowledged_by"]) == (
            "alert", "acknowledged", "operator")

        # the box filters tracks only: both openings, then OTHER's track alone
        got = [by_box.receive_json() for _ in range(3)]
        assert sorted(m["alert"]["zone_id"] for m in got if m["type"] == "alert") == [
            "Z1", "Z2"]
        assert [m["target_id"] for m in got if m["type"] == "track"] == [OTHER]
        assert by_box.receive_json()["change"] == "acknowledged"
    assert not env.service._subscribers  # unsubscribed on disconnect


def test_websocket_refuses_a_bad_bbox(env: Env, client: TestClient) -> None:
    from starlette.testclient import WebSocketDenialResponse

    with pytest.raises(WebSocketDenialResponse) as denied:
        client.websocket_connect(f"/ws?token={env.tokens['viewer']}&bbox=1,2").__enter__()
    assert denied.value.status_code == 422


def test_post_reports_json_and_jsonl(env: Env, client: TestClient) -> None:
    operator = env.h("operator")
    rows = [{"time": (T0 + timedelta(seconds=i)).isoformat(), "target_id": INTRUDER,
             "lat": 0.5, "lon": lon, "alt_baro_m": 1000.0}
            for i, lon in enumerate((-0.2, -0.1, 0.1))]
    r = client.post("/reports", json=rows[:2], headers=operator)
    assert r.status_code == 202 and r.json() == {"accepted": 2}
    jsonl = "\n".join(json.dumps(x) for x in rows[2:]) + "\n\n"
    r = client.post("/reports", content=jsonl, headers=operator)
    assert r.json() == {"accepted": 1}
    env.feed(client)  # drain what was queued
    (track,) = client.get("/tracks", headers=operator).json()
    assert track["target_id"] == INTRUDER and track["zones"] == ["Z1"]
    assert [a.zone_id for a in env.service.live_alerts()] == ["Z1"]

    bad_time = {**rows[0], "time": "yesterday"}
    r = client.post("/reports", content=json.dumps(rows[0]) + "\n" + json.dumps(bad_time),
                    headers=operator)
    assert r.status_code == 422 and "line 2" in r.json()["detail"]
    assert "'time'" in r.json()["detail"]
    r = client.post("/reports", json=[rows[0], {**rows[0], "lat": "north"}], headers=operator)
    assert r.status_code == 422
    r = client.post("/reports", json=[rows[0], 3], headers=operator)
    assert r.status_code == 422
    assert client.post("/reports", content=b"[{", headers=operator).status_code == 422
    assert client.post("/reports", content=b"", headers=operator).json() == {"accepted": 0}


def test_request_size_limit_is_413_everywhere(tmp_path: Path) -> None:
    env = Env(tmp_path, max_request_bytes=2000)
    big = b"[" + b" " * 3000 + b"]"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(30):
            yield b" " * 100

    with TestClient(env.app) as client:
        admin = env.h("admin")
        assert client.post("/reports", content=big, headers=admin).status_code == 413
        assert client.post("/reports", content=chunks(), headers=admin).status_code == 413
        assert client.put("/zones/Z1", content=chunks(), headers=admin).status_code == 413
        r = client.post("/tokens", content=chunks(),
                        headers={**admin, "content-type": "application/json"})
        assert r.status_code == 413
        r = client.post("/tokens", content=big, headers={**admin,
                                                         "content-type": "application/json"})
        assert r.status_code == 413
        assert client.post("/reports", content=b"[]", headers=admin).status_code == 202
    env.store.close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "https://localhost:8443/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/hook",
])
def test_private_webhooks_are_refused(url: str, env: Env, client: TestClient) -> None:
    r = client.post("/sinks", json={"name": "internal", "url": url}, headers=env.h("admin"))
    assert r.status_code == 422
    assert "private" in r.json()["detail"]
    assert client.get("/sinks", headers=env.h("admin")).json() == []


def test_sinks_public_and_allowed_private(tmp_path: Path) -> None:
    env = Env(tmp_path / "a")
    with TestClient(env.app) as client:
        admin = env.h("admin")
        body = {"name": "ops", "url": "https://user:pw@93.184.216.34/hook", "secret": "s3"}
        assert client.post("/sinks", json=body, headers=admin).status_code == 201
        assert client.post("/sinks", json=body, headers=admin).status_code == 409
        (sink,) = client.get("/sinks", headers=admin).json()
        assert sink["name"] == "ops" and sink["has_secret"] is True
        assert "pw" not in json.dumps(sink) and "s3" not in json.dumps(sink)
        assert "ops" in env.service.sinks
        r = client.post("/sinks", json={"name": "x", "url": "ftp://93.184.216.34/"},
                        headers=admin)
        assert r.status_code == 422
        assert client.delete("/sinks/ops", headers=admin).status_code == 200
        assert "ops" not in env.service.sinks
        assert client.delete("/sinks/ops", headers=admin).status_code == 404
    env.store.close()
    allowed = Env(tmp_path / "b", allow_private_webhooks=True)
    with TestClient(allowed.app) as client:
        r = client.post("/sinks", json={"name": "local", "url": "http://127.0.0.1:9000/h"},
                        headers=allowed.h("admin"))
        assert r.status_code == 201
    allowed.store.close()


def test_tokens_are_shown_once_and_work(env: Env, client: TestClient) -> None:
    admin = env.h("admin")
    r = client.post("/tokens", json={"name": "ops-console", "role": "operator"}, headers=admin)
    assert r.status_code == 201
    token = r.json()["token"]
    assert env.store.verify_token(token) == ("ops-console", "operator")
    listed = client.get("/tokens", headers=admin).json()
    assert {"name": "ops-console", "role": "operator"}.items() <= next(
        t for t in listed if t["name"] == "ops-console").items()
    assert token not in json.dumps(listed)
    assert client.post("/tokens", json={"name": "ops-console", "role": "viewer"},
                       headers=admin).status_code == 409
    r = client.post("/tokens", json={"name": "x", "role": "root"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "role"]
    assert client.post("/tokens", content=b"{x", headers=admin).status_code == 422
    assert client.delete("/tokens/ops-console", headers=admin).status_code == 200
    assert client.delete("/tokens/ops-console", headers=admin).status_code == 404
    assert client.get("/zones", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_app_with_a_route_missing_from_the_table_is_refused(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTE_ROLES, ("POST", "/reports"))
    with pytest.raises(RuntimeError, match="/reports"):
        create_app(env.settings, env.service, env.store)


def _cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    token_cli.configure(parser)
    out = io.StringIO()
    code = token_cli.run(parser.parse_args(argv), Console(file=out, width=200))
    return code, out.getvalue()


def test_token_cli(tmp_path: Path) -> None:
    where = ("--data-dir", str(tmp_path))
    code, out = _cli("create", "--name", "first-admin", "--role", "admin", *where)
    assert code == 0
    token = out.strip()
    store = open_store(None, tmp_path)
    try:
        assert store.verify_token(token) == ("first-admin", "admin")
        code, out = _cli("list", *where)
        assert code == 0 and "first-admin" in out and "admin" in out and token not in out
        assert _cli("revoke", "--name", "first-admin", *where)[0] == 0
        assert store.verify_token(token) is None
        assert store.audit_log(1)[0]["user"] == "cli"
    finally:
        store.close()
    with pytest.raises(StoreError):
        _cli("revoke", "--name", "first-admin", *where)


def test_interference_layer_from_the_archive(tmp_path: Path) -> None:
    """Reports archived by the service come back as a per-cell interference picture."""
    from skyfence.schema import REPORTS, conform
    from skyfence.store.archive import ReportArchive

    t0 = datetime(2024, 7, 6, 12, 0, tzinfo=UTC)
    n = 40
    reports = conform(pa.table({
        "time": [t0 + timedelta(seconds=i) for i in range(n)],
        "target_id": [f"icao:{i:06x}" for i in range(n)],
        "lat": [48.5] * n, "lon": [2.5] * n,
        "nic": pa.array([3] * 8 + [8] * (n - 8), pa.int8()),  # 8 of 40 aircraft degraded
        "nacp": pa.array([9] * n, pa.int8()),
    }), REPORTS)
    env = Env(tmp_path)
    ReportArchive(tmp_path / "archive").append(reports)
    with TestClient(env.app) as client:
        r = client.get("/interference", params={"from": "2024-07-06T11:00:00Z",
                                                "to": "2024-07-06T13:00:00Z"},
                       headers=env.h("viewer"))
        assert r.status_code == 200, r.text
        (cell,) = r.json()["features"]
        props = cell["properties"]
        assert props["n_aircraft"] == n and props["n_degraded"] == 8
        assert abs(props["share"] - 0.2) < 1e-9 and props["level"] == "high"
        bad = client.get("/interference", params={"from": "2024-07-06T13:00:00Z",
                                                  "to": "2024-07-06T11:00:00Z"},
                         headers=env.h("viewer"))
        assert bad.status_code == 422
    env.store.close()
