"""Every route of the API against every kind of caller.

The routes are enumerated from ``app.routes``, so a route added without an entry in
``ROUTE_ROLES`` (or without a sample request here) fails the first test; each protected
route is then called without a token, with a bad one, and with each role's token, and must
answer 401, 401, and 2xx or 403 exactly as the table says.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from skyfence.alert.model import AlertRecord
from skyfence.api import PUBLIC_ROUTES, RANK, ROUTE_ROLES, create_app, route_keys
from skyfence.pipeline.live import LiveService
from skyfence.schema import EVENTS
from skyfence.settings import Settings
from skyfence.store import Store, open_store

ROLES = ("viewer", "operator", "admin")


def square(zone_id: str, x0: float = 0.0) -> dict[str, Any]:
    ring = [[x0, 0.0], [x0 + 1, 0.0], [x0 + 1, 1.0], [x0, 1.0], [x0, 0.0]]
    return {"type": "Feature", "properties": {"id": zone_id, "ceiling": "FL100"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def new_alert(store: Store) -> str:
    now = datetime.now(UTC)
    alert = AlertRecord(id=str(uuid.uuid4()), target_id="icao:abcdef", zone_id="Z1",
                        zone_version=1, kind="incursion", status="open", severity="warning",
                        opened_at=now, updated_at=now)
    store.record(EVENTS.empty_table(), [alert], [])
    return alert.id


def fresh() -> str:
    return uuid.uuid4().hex[:12]


def new_zone(store: Store) -> str:
    zid = f"tmp-{fresh()}"
    store.put_zone(square(zid), "test")
    return zid


def new_token(store: Store) -> str:
    name = f"t-{fresh()}"
    store.create_token(name, "viewer")
    return name


def new_sink(store: Store) -> str:
    name = f"s-{fresh()}"
    store.add_sink(name, "https://93.184.216.34/hook")
    return name


OPENAIR = b"AC R\nAN UI import\nAH FL50\nAL GND\nV X=0:30:00N 0:30:00E\nDC 2\n"
REPORT = b'{"time": "2024-07-06T12:00:00Z", "target_id": "icao:abcdef", "lat": 0.5, "lon": 0.5}\n'

# (method, path template) -> store -> (url, keyword arguments of client.request); a request
# that a caller with enough rights sees succeed (2xx), making what it needs first
Sample = Callable[[Store], tuple[str, dict[str, Any]]]
REQUESTS: dict[tuple[str, str], Sample] = {
    ("GET", "/metrics"): lambda s: ("/metrics", {}),
    ("GET", "/zones"): lambda s: ("/zones", {}),
    ("GET", "/zones/{zone_id}"): lambda s: ("/zones/Z1", {}),
    ("GET", "/zones/{zone_id}/history"): lambda s: ("/zones/Z1/history", {}),
    ("PUT", "/zones/{zone_id}"): lambda s: ("/zones/Z1", {"json": square("Z1")}),
    ("POST", "/zones"): lambda s: ("/zones", {"json": {
        "type": "FeatureCollection", "features": [square(f"new-{fresh()}")]}}),
    ("DELETE", "/zones/{zone_id}"): lambda s: (f"/zones/{new_zone(s)}", {}),
    ("GET", "/tracks"): lambda s: ("/tracks?bbox=-1,-1,2,2", {}),
    ("GET", "/events"): lambda s: ("/events?zone=Z1&from=2024-01-01T00:00:00Z", {}),
    ("GET", "/alerts"): lambda s: ("/alerts?status=open", {}),
    ("GET", "/alerts/{alert_id}"): lambda s: (f"/alerts/{new_alert(s)}", {}),
    ("POST", "/alerts/{alert_id}/acknowledge"):
        lambda s: (f"/alerts/{new_alert(s)}/acknowledge", {}),
    ("POST", "/alerts/{alert_id}/close"): lambda s: (f"/alerts/{new_alert(s)}/close", {}),
    ("POST", "/reports"): lambda s: ("/reports", {"content": REPORT}),
    ("GET", "/tokens"): lambda s: ("/tokens", {}),
    ("POST", "/tokens"): lambda s: ("/tokens", {"json": {"name": fresh(), "role": "viewer"}}),
    ("DELETE", "/tokens/{name}"): lambda s: (f"/tokens/{new_token(s)}", {}),
    ("GET", "/sinks"): lambda s: ("/sinks", {}),
    ("POST", "/sinks"): lambda s: ("/sinks", {"json": {
        "name": fresh(), "url": "https://93.184.216.34/hook"}}),
    ("DELETE", "/sinks/{name}"): lambda s: (f"/sinks/{new_sink(s)}", {}),
    ("GET", "/audit-log"): lambda s: ("/audit-log?limit=5", {}),
    ("GET", "/interference"): lambda s: (
        "/interference?from=2024-07-06T12:00:00Z&to=2024-07-06T13:00:00Z", {}),
    ("GET", "/ui/config"): lambda s: ("/ui/config", {}),
    ("GET", "/ui/zones/active"): lambda s: ("/ui/zones/active?at=2024-07-06T12:00:00Z", {}),
    ("POST", "/zones/import"): lambda s: ("/zones/import?name=t.txt", {"content": OPENAIR}),
    ("GET", "/replay"): lambda s: (
        "/replay?from=2024-07-06T12:00:00Z&to=2024-07-06T13:00:00Z&speed=0", {}),
    ("GET", "/docs"): lambda s: ("/docs", {}),
    ("GET", "/openapi.json"): lambda s: ("/openapi.json", {}),
}
HTTP_ROUTES = sorted(REQUESTS)


class Env:
    def __init__(self, tmp: Path) -> None:
        self.store = open_store(None, tmp)
        self.store.put_zone(square("Z1"), "test")
        self.service = LiveService(self.store.zone_set(), recorder=self.store)
        self.app = create_app(Settings(data_dir=tmp), self.service, self.store)
        self.tokens = {role: self.store.create_token(role, role) for role in ROLES}

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(tmp_path_factory.mktemp("api-auth"))
    yield e
    e.store.close()


@pytest.fixture(scope="module")
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(env.app) as c:
        yield c


def test_every_route_is_in_the_role_table_and_sampled(env: Env) -> None:
    keys = route_keys(env.app.routes)
    assert len(keys) == len(set(keys))
    protected = {k for k in keys if k not in PUBLIC_ROUTES}
    assert protected == set(ROUTE_ROLES), "a route is missing from ROUTE_ROLES (or stale)"
    assert {k for k in keys if k in PUBLIC_ROUTES} == set(PUBLIC_ROUTES)
    assert set(REQUESTS) | {("WS", "/ws")} == set(ROUTE_ROLES), "add a sample request"


@pytest.mark.parametrize("route", HTTP_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_route_refuses_strangers_and_low_roles(route: tuple[str, str], env: Env,
                                               client: TestClient) -> None:
    method, _ = route
    url, kwargs = REQUESTS[route](env.store)
    no_token = client.request(method, url, **kwargs)
    assert no_token.status_code == 401, no_token.text
    assert no_token.headers["www-authenticate"] == "Bearer"
    if method in ("POST", "PUT"):  # the token is checked before the body is parsed
        r = client.request(method, url, content=b"{not json",
                           headers={"content-type": "application/json"})
        assert r.status_code == 401, r.text
    for bad in ("Bearer not-a-token", "Bearer ", f"Basic {env.tokens['admin']}",
                env.tokens["admin"]):
        url, kwargs = REQUESTS[route](env.store)
        r = client.request(method, url, headers={"Authorization": bad}, **kwargs)
        assert r.status_code == 401, (bad, r.text)
    need = RANK[ROUTE_ROLES[route]]
    for role in ROLES:
        url, kwargs = REQUESTS[route](env.store)
        r = client.request(method, url, headers=env.headers(role), **kwargs)
        if RANK[role] >= need:
            assert 200 <= r.status_code < 300, (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)


def test_websocket_needs_a_token(env: Env, client: TestClient) -> None:
    for url in ("/ws", "/ws?token=not-a-token"):
        with pytest.raises(WebSocketDenialResponse) as denied:
            client.websocket_connect(url).__enter__()
        assert denied.value.status_code == 401
    for role in ROLES:  # viewers and above; as a query parameter or a header
        assert RANK[role] >= RANK[ROUTE_ROLES[("WS", "/ws")]]
        with client.websocket_connect(f"/ws?token={env.tokens[role]}"):
            pass
        with client.websocket_connect("/ws", headers=env.headers(role)):
            pass


def test_only_the_health_check_needs_no_token(client: TestClient) -> None:
    assert {("GET", "/health")} == PUBLIC_ROUTES
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["database"] is True


def test_the_api_description_takes_its_token_from_the_address(env: Env,
                                                              client: TestClient) -> None:
    viewer = env.tokens["viewer"]
    page = client.get(f"/docs?token={viewer}")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert f"/openapi.json?token={viewer}" in page.text  # the page fetches it so
    schema = client.get(f"/openapi.json?token={viewer}")
    assert schema.status_code == 200 and "/alerts/{alert_id}/close" in schema.json()["paths"]
    assert client.get("/openapi.json?token=not-a-token").status_code == 401
    # elsewhere a token in the address is not taken
    assert client.get(f"/zones?token={env.tokens['admin']}").status_code == 401


def test_a_revoked_token_is_refused(env: Env, client: TestClient) -> None:
    token = env.store.create_token("short-lived", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/zones", headers=headers).status_code == 200
    assert client.delete("/tokens/short-lived", headers=env.headers("admin")).status_code == 200
    assert client.get("/zones", headers=headers).status_code == 401
