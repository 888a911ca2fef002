"""Sinks against real endpoints: a local webhook receiver that verifies signatures, Mosquitto
on 127.0.0.1:1883 and NATS (with JetStream) on 127.0.0.1:4222.

A broker that cannot be reached skips its tests with the reason, unless
``SKYFENCE_REQUIRE_SERVICES=1`` (CI), where it fails them (``tests/services.py``). Topic,
subject and stream names are unique per run, so parallel runs and left-overs do not
interfere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiomqtt
import nats
import nats.errors
import pytest

from services import MQTT, NATS, require_service, unavailable
from skyfence.errors import ConfigError
from skyfence.sinks import (
    DeliveryError,
    Dispatcher,
    MemoryOutbox,
    MqttSink,
    NatsSink,
    Notification,
    RetryAfter,
    SignatureError,
    WebhookSink,
    generate_secret,
    sink_from_url,
    verify,
)
from skyfence.sinks.mqtt import mqtt_topic
from skyfence.sinks.nats import nats_subject
from skyfence.sinks.webhook import sign

RUN = uuid.uuid4().hex[:10]


def note(i: int = 1, sink: str = "hook", zone: str = "EDR4") -> Notification:
    return Notification(id=f"ntf-{RUN}-{sink}-{i}", sink=sink, topic=f"skyfence.alerts.{zone}",
                        payload={"type": "alert.opened", "data": {"zone_id": zone, "i": i}},
                        created_at=datetime.now(UTC))


# --- a webhook receiver ------------------------------------------------------------------

class Receiver:
    """HTTP server on 127.0.0.1 (own thread). ``script`` holds the replies in order, each a
    status or ``(sleep_s, status)``; after it runs out, ``default``. Every request is kept
    with whether its signature verified."""

    def __init__(self, secret: str | None, script: list[Any] | None = None,
                 default: Any = 200) -> None:
        self.secret = secret
        self.script = list(script or [])
        self.default = default
        self.requests: list[tuple[dict[str, str], bytes, bool]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = True
                if outer.secret is not None:
                    try:
                        verify(outer.secret, headers, body)
                    except SignatureError:
                        ok = False
                with outer.lock:
                    outer.requests.append((headers, body, ok))
                    reply = outer.script.pop(0) if outer.script else outer.default
                sleep_s, status = reply if isinstance(reply, tuple) else (0, reply)
                time.sleep(sleep_s)
                with contextlib.suppress(OSError):  # the client may have given up
                    self.send_response(status if ok else 401)
                    self.send_header("content-length", "0")
                    self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        with self.lock:
            return [h["webhook-id"] for h, _, _ in self.requests]


async def wait_for(cond: Any, timeout_s: float = 5.0) -> None:
    t = time.monotonic()
    while not cond():
        if time.monotonic() - t > timeout_s:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# --- webhooks ----------------------------------------------------------------------------

def test_webhook_delivery_is_signed_and_verifies() -> None:
    secret = generate_secret()
    with Receiver(secret) as rx:
        sink = sink_from_url("hook", rx.url, secret, allow_private=True)
        n = note()

        async def run() -> None:
            await sink.send(n)
            await sink.close()

        asyncio.run(run())
    [(headers, body, ok)] = rx.requests
    assert ok, "signature did not verify"
    assert headers["webhook-id"] == n.id
    assert headers["content-type"] == "application/json"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert json.loads(body) == n.payload


def test_verify_rejects_what_it_should() -> None:
    secret, body, now = generate_secret(), b'{"a":1}', 1_700_000_000
    good = {"webhook-id": "m1", "webhook-timestamp": str(now),
            "webhook-signature": sign(secret, "m1", now, body)}
    verify(secret, good, body, now=now)
    verify(secret, {k.title(): v for k, v in good.items()}, body.decode(), now=now + 299)
    rotated = {**good, "webhook-signature": "v1,AAAA " + good["webhook-signature"]}
    verify(secret, rotated, body, now=now)
    bad_cases = [
        (generate_secret(), good, body, now),  # another secret
        (secret, good, b'{"a":2}', now),  # tampered body
        (secret, good, body, now + 301),  # replayed too late
        (secret, {**good, "webhook-id": "m2"}, body, now),  # id swapped
        (secret, {k: v for k, v in good.items() if k != "webhook-signature"}, body, now),
    ]
    for s, h, b, t in bad_cases:
        with pytest.raises(SignatureError):
            verify(s, h, b, now=t)


def test_standard_webhooks_test_vector() -> None:
    # the vector of the Standard Webhooks reference library (libraries/python/tests,
    # test_sign_function), so any of its implementations verifies what we send
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, ts, body = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, msg_id, ts, body) == expected
    assert sign(secret.removeprefix("whsec_"), msg_id, ts, body) == expected
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts),
               "webhook-signature": f"v2,{expected[3:]} {expected}"}  # v2 entries are skipped
    verify(secret, headers, body, now=ts)


def test_status_codes_decide_retry() -> None:
    cases = {204: None, 400: False, 404: False, 301: False, 408: True, 429: True, 500: True,
             503: True}
    with Receiver(None, script=list(cases)) as rx:
        sink = WebhookSink("hook", rx.url, allow_private=True, timeout_s=2)

        async def run() -> dict[int, bool | None]:
            out: dict[int, bool | None] = {}
            for status in cases:
                try:
                    await sink.send(note(status))
                    out[status] = None
                except DeliveryError as e:
                    out[status] = e.retry
            await sink.close()
            return out

        assert asyncio.run(run()) == cases


def test_errors_name_the_endpoint_without_credentials() -> None:
    with Receiver(None, default=500) as rx:
        url = rx.url.replace("http://", "http://user:hunter2@") + "?token=s3cret"
        sink = WebhookSink("hook", url, allow_private=True)
        with pytest.raises(DeliveryError) as e:
            asyncio.run(sink.send(note()))
    assert "HTTP 500" in str(e.value) and "127.0.0.1" in str(e.value)
    assert "hunter2" not in str(e.value) + repr(sink)
    assert "s3cret" not in str(e.value) + repr(sink)
    assert rx.requests[0][0]["authorization"].startswith("Basic ")  # still sent as auth


def test_retry_after_header_is_read() -> None:
    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(429)
            self.send_header("retry-after", "42")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sink = WebhookSink("h", f"http://127.0.0.1:{server.server_address[1]}/",
                           allow_private=True)
        with pytest.raises(RetryAfter) as e:
            asyncio.run(sink.send(note()))
        assert e.value.retry_after_s == 42.0
    finally:
        server.shutdown()
        server.server_close()


def test_retries_after_500s_then_succeeds() -> None:
    secret = generate_secret()
    with Receiver(secret, script=[500, 503]) as rx:
        box = MemoryOutbox()
        n = note(sink="hook")
        box.add(n)
        sink = WebhookSink("hook", rx.url, secret, allow_private=True, timeout_s=2)

        async def run() -> dict[str, int]:
            async with Dispatcher(box, {"hook": sink}, base_backoff_s=0.05,
                                  poll_interval_s=0.02) as d:
                await wait_for(lambda: n.id in box.delivered_at)
                return d.metrics["hook"]

        metrics = asyncio.run(run())
    assert rx.ids() == [n.id] * 3  # stable webhook-id across retries
    assert all(ok for _, _, ok in rx.requests)
    assert metrics == {"delivered": 1, "failed": 2, "dead": 0}


def test_at_least_once_when_the_reply_is_lost() -> None:
    """The receiver gets the POST but answers after the sender's timeout: the sender cannot
    know, retries, and the receiver sees the same webhook-id twice (and deduplicates)."""
    secret = generate_secret()
    with Receiver(secret, script=[(1.0, 200)]) as rx:
        box = MemoryOutbox()
        n = note(sink="hook")
        box.add(n)
        sink = WebhookSink("hook", rx.url, secret, allow_private=True, timeout_s=0.3)

        async def run() -> None:
            async with Dispatcher(box, {"hook": sink}, base_backoff_s=0.05,
                                  poll_interval_s=0.02):
                await wait_for(lambda: n.id in box.delivered_at)

        asyncio.run(run())
    assert rx.ids() == [n.id, n.id]
    assert "ReadTimeout" in box.errors[n.id][0]


def test_a_hanging_endpoint_does_not_delay_another() -> None:
    with Receiver(None, default=(3.0, 500)) as bad, Receiver(None) as good:
        box = MemoryOutbox()
        for i in range(5):
            box.add(note(i, sink="bad"))
            box.add(note(i, sink="good"))
        sinks = {"bad": WebhookSink("bad", bad.url, allow_private=True, timeout_s=2),
                 "good": WebhookSink("good", good.url, allow_private=True, timeout_s=2)}

        async def run() -> float:
            t = time.monotonic()
            d = Dispatcher(box, dict(sinks), poll_interval_s=0.02)
            d.start()
            await wait_for(lambda: len(box.delivered_at) == 5, timeout_s=2)
            elapsed = time.monotonic() - t
            await d.stop(grace_s=0.1)
            return elapsed

        elapsed = asyncio.run(run())
    assert elapsed < 1.5  # the bad endpoint alone would take 5 x 2 s
    assert sorted(box.delivered_at) == sorted(f"ntf-{RUN}-good-{i}" for i in range(5))


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook",
    "https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://169.254.169.254/latest",
    "https://100.64.0.1/hook", "https://0.0.0.0/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://[fd00::1]/hook", "https://224.0.0.1/hook",
])
def test_private_targets_are_refused_at_configuration(url: str) -> None:
    with pytest.raises(ConfigError, match="non-public address"):
        sink_from_url("hook", url, generate_secret())
    WebhookSink("hook", url, allow_private=True)  # the setting permits it


def test_public_and_http_rules() -> None:
    WebhookSink("hook", "https://93.184.215.14/hook")  # an IP literal: no DNS needed
    with pytest.raises(ConfigError, match="http://"):
        sink_from_url("hook", "http://93.184.215.14/hook")
    with pytest.raises(ConfigError, match="whsec_"):
        sink_from_url("hook", "https://93.184.215.14/hook", "whsec_not base64!")


def test_a_name_that_later_resolves_private_is_refused_at_send(
        monkeypatch: pytest.MonkeyPatch) -> None:
    answer = ["93.184.215.14"]

    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer[0], 443))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    sink = WebhookSink("hook", "https://hooks.example.test/x")
    answer[0] = "127.0.0.1"  # DNS rebinding
    with pytest.raises(DeliveryError, match="non-public") as e:
        asyncio.run(sink.send(note()))
    assert e.value.retry is False


# --- registry ----------------------------------------------------------------------------

def test_registry_by_scheme() -> None:
    m = sink_from_url("m", "mqtt://user@broker.local:1884/site1?timeout=3", "pw")
    assert isinstance(m, MqttSink)
    assert (m.host, m.port, m.prefix, m.timeout_s) == ("broker.local", 1884, "/site1", 3.0)
    n = sink_from_url("n", "nats://nats.local/site1?jetstream=true")
    assert isinstance(n, NatsSink) and n.jetstream and n.servers == ["nats://nats.local"]
    for url, msg in [("ftp://x/y", "unknown URL scheme 'ftp'"),
                     ("smtp://x", "known: http, https, mqtt"),
                     ("mqtt://x/p?qos=2", "unknown option"),
                     ("nats://x?jetstream=maybe", "true or false"),
                     ("mqtt://x:99999/", "bad URL"),
                     ("mqtt:///nohost", "no host")]:
        with pytest.raises(ConfigError, match=msg):
            sink_from_url("s", url)


def test_topic_and_subject_names() -> None:
    assert mqtt_topic("skyfence.alerts.EDR4") == "skyfence/alerts/EDR4"
    assert mqtt_topic("skyfence.alerts.A+B#", "/site1/") == "site1/skyfence/alerts/A_B_"
    assert nats_subject("skyfence.alerts.EDR 4", "site1/x") == "site1.x.skyfence.alerts.EDR_4"
    assert nats_subject("skyfence.alerts.*.>") == "skyfence.alerts._._"


# --- a TCP proxy whose connections can be cut, to test reconnects ------------------------

class Proxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        w.close()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        ur, uw = await asyncio.open_connection(*self.upstream)
        self.writers += [w, uw]
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    def cut(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Proxy]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            self.cut()
            server.close()


# --- MQTT --------------------------------------------------------------------------------

@pytest.fixture
def mqtt_broker() -> Iterator[tuple[str, int]]:
    require_service(*MQTT)
    yield MQTT[1:]


def test_mqtt_publishes_qos1_and_reconnects(mqtt_broker: tuple[str, int]) -> None:
    prefix = f"skyfence-test-{RUN}"

    async def run() -> list[aiomqtt.Message]:
        got: list[aiomqtt.Message] = []
        async with Proxy(mqtt_broker).running() as proxy, aiomqtt.Client(
                *mqtt_broker, protocol=aiomqtt.ProtocolVersion.V5) as sub:
            await sub.subscribe(f"{prefix}/skyfence/alerts/#", qos=1)
            sink = sink_from_url("m", f"mqtt://127.0.0.1:{proxy.port}/{prefix}?timeout=3")
            await sink.send(note(1, "m"))
            proxy.cut()  # the broker connection drops under the sink
            await asyncio.sleep(0.1)
            await sink.send(note(2, "m"))  # reconnects by itself
            await sink.close()
            async with asyncio.timeout(5):
                async for msg in sub.messages:
                    got.append(msg)
                    if len(got) == 2:
                        break
        return got

    got = asyncio.run(run())
    assert [str(m.topic) for m in got] == [f"{prefix}/skyfence/alerts/EDR4"] * 2
    assert [json.loads(m.payload)["data"]["i"] for m in got] == [1, 2]
    assert all(m.qos == 1 for m in got)
    props = got[0].properties
    assert props is not None
    assert ("id", note(1, "m").id) in props.UserProperty  # type: ignore[attr-defined]
    assert props.ContentType == "application/json"  # type: ignore[attr-defined]


def test_mqtt_unreachable_broker_is_a_retryable_error() -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = MqttSink("m", "127.0.0.1", port, timeout_s=1)
    with pytest.raises(DeliveryError) as e:
        asyncio.run(sink.send(note()))
    assert e.value.retry is True


# --- NATS --------------------------------------------------------------------------------

@pytest.fixture
def nats_server() -> Iterator[tuple[str, int]]:
    require_service(*NATS)
    yield NATS[1:]


def test_nats_core_publish_and_reconnect(nats_server: tuple[str, int]) -> None:
    prefix = f"skyfence-test-{RUN}"

    async def run() -> list[Any]:
        nc = await nats.connect(f"nats://{nats_server[0]}:{nats_server[1]}")
        sub = await nc.subscribe(f"{prefix}.skyfence.alerts.>")
        async with Proxy(nats_server).running() as proxy:
            sink = NatsSink("n", f"nats://127.0.0.1:{proxy.port}", prefix, timeout_s=3,
                            reconnect_wait_s=0.1)
            await sink.send(note(1, "n"))
            proxy.cut()
            await sink.send(note(2, "n"))  # nats-py reconnects; the flush waits for it
            msgs = [await sub.next_msg(timeout=5) for _ in range(2)]
            await sink.close()
        await nc.close()
        return msgs

    msgs = asyncio.run(run())
    assert [m.subject for m in msgs] == [f"{prefix}.skyfence.alerts.EDR4"] * 2
    assert [json.loads(m.data)["data"]["i"] for m in msgs] == [1, 2]
    assert msgs[0].headers["Nats-Msg-Id"] == note(1, "n").id


async def _jetstream_error(server: tuple[str, int]) -> str | None:
    nc = await nats.connect(f"nats://{server[0]}:{server[1]}")
    try:
        await nc.jetstream(timeout=2).account_info()
        return None
    except nats.errors.Error as e:
        return f"{type(e).__name__}: {e}"
    finally:
        await nc.close()


def test_nats_jetstream_acks_and_deduplicates(nats_server: tuple[str, int]) -> None:
    prefix = f"skyfence-test-{RUN}-js"
    stream = f"SKYFENCE_TEST_{RUN}"
    error = asyncio.run(_jetstream_error(nats_server))
    if error is not None:
        unavailable("NATS JetStream", f"the server at {nats_server[0]}:{nats_server[1]} "
                    f"answered {error} (start nats-server with -js)")

    async def run() -> tuple[int, bool | None]:
        nc = await nats.connect(f"nats://{nats_server[0]}:{nats_server[1]}")
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{prefix}.>"])
        try:
            sink = NatsSink("n", f"nats://{nats_server[0]}:{nats_server[1]}", prefix,
                            jetstream=True, timeout_s=3)
            await sink.send(note(1, "n"))
            await sink.send(note(1, "n"))  # a retry of the same notification: dropped
            await sink.send(note(2, "n"))
            info = await js.stream_info(stream)
            uncovered = NatsSink("u", f"nats://{nats_server[0]}:{nats_server[1]}",
                                 f"no-stream-{RUN}", jetstream=True, timeout_s=2)
            retry: bool | None = None
            try:
                await uncovered.send(note(3, "u"))
            except DeliveryError as e:
                retry = e.retry
            await sink.close()
            await uncovered.close()
            return info.state.messages, retry
        finally:
            await js.delete_stream(stream)
            await nc.close()

    messages, retry = asyncio.run(run())
    assert messages == 2
    assert retry is True
