"""MQTT sink: publish the notification's JSON with QoS 1 (the broker acknowledges each one).

Topic: the notification's ``topic`` with dots as levels (``skyfence.alerts.EDR4`` ->
``skyfence/alerts/EDR4``), after the sink's ``prefix`` if it has one (``mqtt://host/site1``
-> ``site1/skyfence/alerts/EDR4``). The wildcards ``+`` and ``#`` and NUL cannot appear in a
topic name and become ``_``.

The sink keeps one connection (MQTT 5, so each message carries its notification id as the
user property ``id`` and the content type ``application/json``). A publish that fails on an
existing connection is tried once more on a fresh one at once; if that fails too the send
raises a retryable :class:`DeliveryError` and the next send connects again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from skyfence.sinks.base import DeliveryError, Notification
from skyfence.sinks.outbox import encode_payload

__all__ = ["MqttSink", "mqtt_topic"]

log = logging.getLogger(__name__)

_BAD_TOPIC_CHARS = str.maketrans({"+": "_", "#": "_", "\0": "_"})


def mqtt_topic(topic: str, prefix: str = "") -> str:
    """MQTT topic name for a dotted notification topic, under ``prefix``."""
    levels = [lv.translate(_BAD_TOPIC_CHARS) for lv in topic.split(".")]
    head = prefix.strip("/").translate(_BAD_TOPIC_CHARS)
    return "/".join([head, *levels] if head else levels)


class MqttSink:
    """Publishes to an MQTT broker at ``host:port``; see the module docstring."""

    def __init__(self, name: str, host: str, port: int = 1883, prefix: str = "", *,
                 username: str | None = None, password: str | None = None,
                 tls: bool = False, timeout_s: float = 10.0, qos: int = 1) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.qos = qos
        self._username = username
        self._password = password
        self._tls = ssl.create_default_context() if tls else None
        self._client: aiomqtt.Client | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"MqttSink({self.name!r}, {self.host}:{self.port}, prefix={self.prefix!r})"

    async def _connect(self) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.host, self.port, username=self._username, password=self._password,
            protocol=aiomqtt.ProtocolVersion.V5, timeout=self.timeout_s,
            tls_context=self._tls)
        stack = contextlib.AsyncExitStack()
        try:
            async with asyncio.timeout(self.timeout_s):
                await stack.enter_async_context(client)
        except (aiomqtt.MqttError, OSError, TimeoutError) as e:
            raise DeliveryError(f"MQTT connect to {self.host}:{self.port}: {e}") from e
        self._stack = stack
        log.info("sink %s connected to mqtt://%s:%d", self.name, self.host, self.port)
        return client

    async def _drop(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            try:
                await stack.aclose()
            except (aiomqtt.MqttError, OSError, TimeoutError, RuntimeError) as e:
                log.debug("sink %s: closing a broken MQTT connection: %s", self.name, e)

    async def _publish(self, client: aiomqtt.Client, topic: str, body: bytes,
                       props: Properties) -> None:
        async with asyncio.timeout(self.timeout_s):
            await client.publish(topic, body, qos=self.qos, properties=props,
                                 timeout=self.timeout_s)

    async def send(self, notification: Notification) -> None:
        body = encode_payload(notification.payload)
        topic = mqtt_topic(notification.topic, self.prefix)
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ContentType = "application/json"
        props.UserProperty = [("id", notification.id)]
        async with self._lock:
            fresh = self._client is None
            if self._client is None:
                self._client = await self._connect()
            try:
                await self._publish(self._client, topic, body, props)
                return
            except (aiomqtt.MqttError, OSError, TimeoutError) as e:
                await self._drop()
                if fresh:
                    raise DeliveryError(f"MQTT publish to {topic}: {e}") from e
                log.info("sink %s: publish failed (%s), reconnecting", self.name, e)
            self._client = await self._connect()
            try:
                await self._publish(self._client, topic, body, props)
            except (aiomqtt.MqttError, OSError, TimeoutError) as e:
                await self._drop()
                raise DeliveryError(f"MQTT publish to {topic}: {e}") from e

    async def close(self) -> None:
        async with self._lock:
            await self._drop()
