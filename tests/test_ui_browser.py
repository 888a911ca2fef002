"""The web map: its server routes through the app (always run), then the page itself in
headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright against ``skyfence
serve`` started as a subprocess, fed by a replay of the built-in Paris sample at 10x real
time:

- the page loads and signs in with a token, with no console error;
- a live incursion shows in the alerts panel within 2 s of the API having it, and an
  operator-level user acknowledges it from the panel;
- a zone drawn in the editor is saved (``PUT /zones/{id}``) and drawn; an OpenAir file
  dropped on the map is imported (``POST /zones/import``);
- a viewer sees no editor and no acknowledge buttons, and the API refuses their edits;
- a replay of an archive window raises its alerts in the panel.

Screenshots go to ``test-artifacts/`` (git-ignored); with ``SKYFENCE_UPDATE_SCREENSHOT=1`` the
live one is also written to ``docs/screenshot.png``. Without Chromium or Playwright the tests
skip, saying what is missing; with ``SKYFENCE_REQUIRE_SERVICES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from services import unavailable
from skyfence.api import create_app
from skyfence.cli.audit import sample_paths
from skyfence.pipeline.live import LiveService
from skyfence.settings import Settings
from skyfence.store import ReportArchive, open_store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("SKYFENCE_CHROMIUM", "/usr/bin/chromium"))
# as root in a sandbox without a GPU; and no calls home (the machine has no network)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SPEED = 10  # the sample's first 25 minutes last 150 s: alerts every few seconds
ALERT_WITHIN_S = 2.0

OPENAIR = """AC R
AN UITEST Paris test area
AH 2500ft AMSL
AL GND
V X=48:51:24N 002:21:08E
DC 2
"""


# ---- the server side, without a browser -------------------------------------------------

T0 = 1720267200.0  # 2024-07-06T12:00:00Z


def square(zone_id: str, x0: float = 0.0, **props: Any) -> dict[str, Any]:
    ring = [[x0, 0.0], [x0 + 1, 0.0], [x0 + 1, 1.0], [x0, 1.0], [x0, 0.0]]
    return {"type": "Feature", "properties": {"id": zone_id, "ceiling": "FL100", **props},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    """The app over a store with zones Z1 (always) and NIGHT (active 22:00-06:00 UTC), an
    archive holding one target crossing Z1, and a header per role."""
    store = open_store(None, tmp_path)
    store.put_zone(square("Z1"), "setup")
    store.put_zone(square("NIGHT", 2.0, schedule="daily 22:00-06:00 UTC"), "setup")
    rows = [{"time": T0 + i, "target_id": "icao:aaaaaa", "lat": 0.5, "lon": lon,
             "alt_baro_m": 1000.0} for i, lon in enumerate((-0.2, -0.1, 0.1, 0.2, 0.3))]
    table = pa.Table.from_pylist(rows)
    table = table.set_column(0, "time", pa.array(
        [int(r["time"] * 1e6) for r in rows], pa.timestamp("us", tz="UTC")))
    ReportArchive(tmp_path / "archive").append(table)
    service = LiveService(store.zone_set(), recorder=store)
    app = create_app(Settings(data_dir=tmp_path), service, store)
    heads = {r: {"Authorization": f"Bearer {store.create_token(r, r)}"}
             for r in ("viewer", "operator", "admin")}
    with TestClient(app) as client:
        yield client, heads, store
    store.close()


def test_page_and_vendor_files_need_no_token_but_data_does(api: Any) -> None:
    client, _, _ = api
    page = client.get("/")
    assert page.status_code == 200 and "skyfence" in page.text
    for path in ("/vendor/leaflet/leaflet.js", "/vendor/world-atlas/countries-110m.json",
                 "/js/app.js", "/style.css"):
        assert client.get(path).status_code == 200, path
    for path in ("/zones", "/ui/config", "/ui/zones/active"):
        assert client.get(path).status_code == 401, path
    assert client.get("/health").status_code == 200


def test_ui_config_tells_role_tiles_and_archive(api: Any) -> None:
    client, heads, _ = api
    cfg = client.get("/ui/config", headers=heads["operator"]).json()
    assert (cfg["name"], cfg["role"], cfg["tile_url"]) == ("operator", "operator", None)
    assert cfg["archive"] == {"first": "2024-07-06T12:00:00Z", "last": "2024-07-06T12:59:59Z"}
    assert "openair" in cfg["formats"]


def test_zone_state_follows_the_schedule(api: Any) -> None:
    client, heads, _ = api
    day = client.get("/ui/zones/active?at=2024-07-06T12:00:00Z", headers=heads["viewer"])
    night = client.get("/ui/zones/active?at=2024-07-06T23:00:00Z", headers=heads["viewer"])
    assert day.json()["active"] == {"Z1": True, "NIGHT": False}
    assert night.json()["active"] == {"Z1": True, "NIGHT": True}
    naive = client.get("/ui/zones/active?at=2024-07-06T23:00:00", headers=heads["viewer"])
    assert naive.status_code == 422


def test_import_takes_openair_and_refuses_a_bad_file_whole(api: Any) -> None:
    client, heads, store = api
    r = client.post("/zones/import?name=paris.txt", content=OPENAIR, headers=heads["admin"])
    assert r.status_code == 201, r.text
    assert r.json() == [{"id": "uitest-paris-test-area", "version": 1}]
    zone = client.get("/zones/uitest-paris-test-area", headers=heads["viewer"]).json()
    assert zone["properties"]["ceiling"] == "2500 ft AMSL"
    bad = OPENAIR + "AC R\nAN second\nAH FLXX\nAL GND\nDP 1:00:00 N 1:00:00 E\n"
    r = client.post("/zones/import?name=bad.txt", content=bad, headers=heads["admin"])
    assert r.status_code == 422 and "bad.txt" in r.json()["detail"]
    assert [h["version"] for h in store.zone_history("uitest-paris-test-area")] == [1]
    assert client.post("/zones/import", content=OPENAIR,
                       headers=heads["operator"]).status_code == 403


def test_replay_streams_alerts_from_a_throwaway_service(api: Any) -> None:
    client, heads, store = api
    r = client.get("/replay?from=2024-07-06T12:00:00Z&to=2024-07-06T12:10:00Z&speed=0",
                   headers=heads["viewer"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    messages = [json.loads(line) for line in r.text.splitlines()]
    assert messages[0] == {"type": "replay", "from": "2024-07-06T12:00:00Z",
                           "to": "2024-07-06T12:10:00Z", "speed": 0.0, "reports": 5}
    assert messages[-1] == {"type": "end"}
    opened = [m["alert"] for m in messages if m["type"] == "alert" and m["change"] == "opened"]
    assert [(a["target_id"], a["zone_id"], a["kind"]) for a in opened] == [
        ("icao:aaaaaa", "Z1", "incursion")]
    assert {m["target_id"] for m in messages if m["type"] == "track"} == {"icao:aaaaaa"}
    # nothing of the replay is recorded
    assert store.alerts() == []
    for bad in ("from=2024-07-06T12:10:00Z&to=2024-07-06T12:00:00Z",
                "from=2024-07-06T12:00:00Z&to=2024-07-08T12:00:00Z",
                "from=2024-07-06T12:00:00&to=2024-07-06T13:00:00"):
        assert client.get(f"/replay?{bad}", headers=heads["viewer"]).status_code == 422, bad


# ---- the page in a browser -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Server:
    """``python -m skyfence serve`` on a free loopback port, with a token per role."""

    def __init__(self, data: Path, zones: Path, source: str) -> None:
        store = open_store(None, data)
        self.tokens = {r: store.create_token(f"ui-{r}", r) for r in ("viewer", "operator", "admin")}
        store.close()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (data / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skyfence", "serve", "--data-dir", str(data),
             "--port", str(self.port), "--zones", str(zones), "--source", source],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._up, 60, "the server to answer /health")

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def request(self, method: str, path: str, role: str = "admin", **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.base}{path}", timeout=10,
                             headers={"Authorization": f"Bearer {self.tokens[role]}"}, **kw)

    def get(self, path: str, role: str = "admin") -> Any:
        r = self.request("GET", path, role)
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("Playwright", "pip install playwright (never 'playwright install': "
                    "the tests use Debian's chromium)")
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            unavailable("Chromium", f"it did not start: {exc}")
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    traffic, zones = sample_paths()
    rec = tmp_path_factory.mktemp("ui-rec") / "paris.parquet"
    pq.write_table(pq.read_table(traffic).slice(0, 60_000), rec)  # 12:00 to ~12:25 UTC
    s = Server(tmp_path_factory.mktemp("ui-data"), zones, f"file://{rec}?speed={SPEED}")
    yield s
    s.stop()


class Page:
    """A page signed in with one role's token, recording console errors."""

    def __init__(self, browser: Any, server: Server, role: str) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.goto(server.base + "/")
        self.page.fill("#token", server.tokens[role])
        self.page.click("#signin-btn")
        self.page.wait_for_selector("#status[data-state=live]", timeout=15_000)
        assert self.page.get_attribute("body", "data-role") == role

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"ui-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.page.close()
        assert self.errors == [], f"console errors: {self.errors}"


def test_live_alert_shows_within_2s_and_is_acknowledged(browser: Any, server: Server) -> None:
    page = Page(browser, server, "operator")
    p = page.page
    # what the API has now; then the next alert that opens while the page listens
    seen = {a["id"] for a in server.get("/alerts?limit=5000")}

    def new_alert() -> dict[str, Any] | None:
        fresh = [a for a in server.get("/alerts?limit=5000")
                 if a["id"] not in seen and a["status"] == "open"]
        return fresh[0] if fresh else None

    alert = wait_for(new_alert, 60, "a new alert from the replayed sample")
    t0 = time.monotonic()
    item = p.wait_for_selector(f'.alert-item[data-alert-id="{alert["id"]}"]',
                               timeout=ALERT_WITHIN_S * 1000)
    assert time.monotonic() - t0 <= ALERT_WITHIN_S + 0.5
    assert alert["zone_id"] in item.inner_text()
    shot = page.shot("live")
    if os.environ.get("SKYFENCE_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "screenshot.png")
    # the open ones come first
    statuses = [e.get_attribute("data-status") for e in p.query_selector_all(".alert-item")]
    assert statuses == sorted(statuses, key=lambda s: ["open", "acknowledged", "closed"].index(s))
    item.click()  # focuses the map on the target
    p.click(f'.alert-item[data-alert-id="{alert["id"]}"] .ack-btn')
    p.wait_for_selector(f'.alert-item[data-alert-id="{alert["id"]}"][data-status="acknowledged"]',
                        timeout=5000)
    stored = server.get(f'/alerts/{alert["id"]}')
    assert stored["status"] == "acknowledged"
    assert stored["acknowledged_by"] == "ui-operator"
    assert p.locator("path.zone").count() >= 26  # the sample's zones
    assert p.locator(".track-icon").count() > 0
    page.shot("acknowledged")
    assert not p.locator("#editor-toggle").is_visible()  # operators do not edit zones
    page.close()


def test_zone_drawn_in_the_editor_is_saved_and_shown(browser: Any, server: Server) -> None:
    page = Page(browser, server, "admin")
    p = page.page
    p.click("#editor-toggle")
    p.click("#draw-polygon")
    box = p.locator("#map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-60, -40), (60, -40), (60, 50), (-60, 50)):
        p.mouse.click(cx + dx, cy + dy)
    p.click("#draw-finish")
    p.fill("#zone-id", "UI-DRAWN")
    p.fill("#zone-name", "Drawn in the browser")
    p.select_option("#zone-kind", "restricted")
    p.fill("#zone-ceiling", "FL50")
    p.fill("#zone-schedule", "Mon-Sun 00:00-24:00 UTC")
    p.fill("#zone-exempt-callsigns", "SAMU*")
    p.click("#zone-save")
    p.wait_for_selector("#editor-msg.ok", timeout=5000)
    p.wait_for_selector("path.zone-id-UI-DRAWN", timeout=5000)
    zone = server.get("/zones/UI-DRAWN")
    props = zone["properties"]
    assert zone["geometry"]["type"] == "Polygon"
    assert len(zone["geometry"]["coordinates"][0]) == 5
    assert (props["kind"], props["ceiling"], props["version"]) == ("restricted", "FL050", 1)
    assert props["exemptions"]["callsigns"] == ["SAMU*"]
    # a circle
    p.click("#draw-circle")
    p.mouse.click(cx + 150, cy)
    p.fill("#zone-id", "UI-CIRCLE")
    p.fill("#zone-radius", "1.5")
    p.click("#zone-save")
    p.wait_for_selector("path.zone-id-UI-CIRCLE", timeout=5000)
    assert server.get("/zones/UI-CIRCLE")["properties"]["radius_m"] == pytest.approx(2778)
    # an OpenAir file dropped on the map
    p.evaluate("""text => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], "test.txt", {type: "text/plain"}));
        document.getElementById("map").dispatchEvent(
            new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", OPENAIR)
    p.wait_for_selector("path.zone-id-uitest-paris-test-area", timeout=5000)
    assert "imported 1 zone" in p.inner_text("#editor-msg")
    page.shot("editor")
    page.close()


def test_viewer_cannot_edit_zones(browser: Any, server: Server) -> None:
    page = Page(browser, server, "viewer")
    p = page.page
    p.wait_for_selector(".alert-item", timeout=10_000)
    assert not p.locator("#editor-toggle").is_visible()
    assert not p.locator("#editor-box").is_visible()
    assert p.locator(".ack-btn:visible, .close-btn:visible").count() == 0
    assert server.request("PUT", "/zones/UI-VIEWER", "viewer", json={
        "type": "Feature", "properties": {},
        "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}).status_code == 403
    assert server.request("POST", "/zones/import", "viewer",
                          content=OPENAIR).status_code == 403
    page.shot("viewer")
    page.close()


def test_replay_of_the_archive_raises_alerts(browser: Any, server: Server) -> None:
    # the live service archives what it sees: wait until five minutes of the sample are in
    wait_for(lambda: max((t["time"] for t in server.get("/tracks")), default=0)
             > 1633608000 + 330, 90, "the archive to hold 12:00-12:05 UTC")
    page = Page(browser, server, "operator")
    p = page.page
    p.click("#replay-toggle")
    p.fill("#replay-from", "2021-10-07T12:00:00")
    p.fill("#replay-to", "2021-10-07T12:05:00")
    p.select_option("#replay-speed", "60")
    p.click("#replay-play")
    p.wait_for_selector("#status[data-state=replay]", timeout=5000)
    p.wait_for_selector(".alert-item", timeout=15_000)
    assert p.locator(".ack-btn").count() == 0  # replayed alerts are history
    p.wait_for_selector("#replay-msg:has-text('replay ended')", timeout=20_000)
    assert "reports" in p.inner_text("#replay-msg")
    page.shot("replay")
    p.click("#replay-stop")
    p.wait_for_selector("#status[data-state=live]", timeout=10_000)
    page.close()
