"""NATS sink: publish the notification's JSON to a subject, with JetStream acks if asked.

Subject: the notification's ``topic`` (``skyfence.alerts.EDR4``), after the sink's
``prefix`` if it has one (``nats://host/site1`` -> ``site1.skyfence.alerts.EDR4``).
Whitespace and the wildcards ``*`` and ``>`` cannot appear in a subject and become ``_``.

Every message carries the header ``Nats-Msg-Id`` = notification id: JetStream drops a
duplicate within the stream's duplicate window (2 minutes by default), and plain subscribers
can deduplicate on it.

- ``jetstream=False`` (default): core publish, then a flush (a PING/PONG round trip), so the
  send returns once the server has the message; if the connection was replaced in between,
  the message is published again on the new one (a possible duplicate, never a loss). Core
  NATS keeps nothing for absent subscribers: use it for live dashboards.
- ``jetstream=True``: JetStream publish, which returns once a stream covering the subject
  has stored the message. No stream covering the subject is a retryable failure (the
  stream may be created later), reported as such.

The connection is kept; nats-py reconnects by itself (``max_reconnect_attempts=-1``) and
buffers publishes meanwhile; a send that cannot be confirmed within ``timeout_s`` raises a
retryable :class:`DeliveryError`. A closed connection is replaced on the next send.
"""

from __future__ import annotations

import asyncio
import logging
import re

import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js.client import JetStreamContext

from skyfence.sinks.base import DeliveryError, Notification
from skyfence.sinks.outbox import encode_payload

__all__ = ["NatsSink", "nats_subject"]

log = logging.getLogger(__name__)

_BAD_TOKEN = re.compile(r"[\s*>]")


def nats_subject(topic: str, prefix: str = "") -> str:
    """NATS subject for a dotted notification topic, under ``prefix`` (dots or slashes)."""
    head = [t for t in re.split(r"[./]", prefix) if t]
    tokens = [*head, *topic.split(".")]
    return ".".join(_BAD_TOKEN.sub("_", t) or "_" for t in tokens)


class NatsSink:
    """Publishes to NATS ``servers`` (``nats://host:port``, credentials in the URL or as
    ``user``/``password``/``token``); see the module docstring."""

    def __init__(self, name: str, servers: str | list[str], prefix: str = "", *,
                 jetstream: bool = False, timeout_s: float = 5.0, user: str | None = None,
                 password: str | None = None, token: str | None = None,
                 reconnect_wait_s: float = 1.0) -> None:
        self.name = name
        self.servers = [servers] if isinstance(servers, str) else list(servers)
        self.prefix = prefix
        self.jetstream = jetstream
        self.timeout_s = timeout_s
        self.reconnect_wait_s = reconnect_wait_s
        self._auth = {k: v for k, v in
                      (("user", user), ("password", password), ("token", token)) if v}
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"NatsSink({self.name!r}, prefix={self.prefix!r}, jetstream={self.jetstream})"

    async def _on_error(self, e: Exception) -> None:
        # connection errors repeat on every reconnect attempt: not worth a warning each
        log.log(logging.INFO if isinstance(e, OSError) else logging.WARNING,
                "sink %s: NATS: %s", self.name, e)

    async def _on_disconnected(self) -> None:
        log.info("sink %s: NATS disconnected, reconnecting", self.name)

    async def _connection(self) -> NatsClient:
        if self._nc is not None and not self._nc.is_closed:
            return self._nc
        try:
            nc = await asyncio.wait_for(nats.connect(
                self.servers, name=f"skyfence-{self.name}", connect_timeout=self.timeout_s,
                allow_reconnect=True, max_reconnect_attempts=-1,
                reconnect_time_wait=self.reconnect_wait_s, error_cb=self._on_error,
                disconnected_cb=self._on_disconnected, **self._auth), 2 * self.timeout_s)
        except (nats.errors.Error, OSError, TimeoutError) as e:
            raise DeliveryError(f"NATS connect to {', '.join(self.servers)}: "
                                f"{type(e).__name__}: {e}") from e
        self._nc, self._js = nc, nc.jetstream(timeout=self.timeout_s)
        return nc

    async def _until_connected(self, nc: NatsClient) -> None:
        while not nc.is_connected:  # reconnecting: nats-py is on it
            if nc.is_closed:
                raise nats.errors.ConnectionClosedError
            await asyncio.sleep(0.02)

    async def _confirmed(self, nc: NatsClient, reconnects: int) -> bool:
        """Flush (PING/PONG); False if the connection was replaced since the publish: what
        was written to the old socket may be lost, and nats-py drops pending PONG waiters
        on reconnect, so the flush would never return."""
        flush = asyncio.ensure_future(nc.flush(timeout=max(1, round(self.timeout_s))))
        try:
            while not flush.done():
                if nc.stats["reconnects"] != reconnects:
                    return False
                await asyncio.wait({flush}, timeout=0.05)
            flush.result()
            return nc.stats["reconnects"] == reconnects
        finally:
            flush.cancel()

    async def _publish_core(self, nc: NatsClient, subject: str, body: bytes,
                            headers: dict[str, str]) -> None:
        while True:  # bounded by the caller's timeout
            await self._until_connected(nc)
            reconnects = nc.stats["reconnects"]
            await nc.publish(subject, body, headers=headers)
            if await self._confirmed(nc, reconnects):
                return
            log.info("sink %s: NATS reconnected during a publish; publishing again", self.name)

    async def send(self, notification: Notification) -> None:
        body = encode_payload(notification.payload)
        subject = nats_subject(notification.topic, self.prefix)
        headers = {"Nats-Msg-Id": notification.id, "Content-Type": "application/json"}
        async with self._lock:
            nc = await self._connection()
        try:
            async with asyncio.timeout(2 * self.timeout_s):
                if self.jetstream:
                    assert self._js is not None
                    await self._until_connected(nc)
                    await self._js.publish(subject, body, timeout=self.timeout_s,
                                           headers=headers)
                else:
                    await self._publish_core(nc, subject, body, headers)
        except nats.errors.NoRespondersError as e:
            raise DeliveryError(f"NATS: no JetStream stream covers {subject!r}") from e
        except (nats.errors.Error, OSError, TimeoutError) as e:
            raise DeliveryError(f"NATS publish to {subject}: {type(e).__name__}: {e}") from e

    async def close(self) -> None:
        async with self._lock:
            nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.drain(), self.timeout_s)
            except (nats.errors.Error, OSError, TimeoutError) as e:
                log.debug("sink %s: NATS drain: %s", self.name, e)
                await nc.close()
