"""Alert delivery: the outbox dispatcher and one sink per transport, chosen by URL scheme.

See ``docs/delivery.md`` for the wire format, headers, verification and retry policy.

The roles (:mod:`skyfence.sinks.base`) load at once; the transports load on first use, so
code that only needs :class:`Notification` (the store, the live pipeline) does not pay for
httpx, aiomqtt and nats-py (about half a second).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from skyfence.sinks.base import DeliveryError, Notification, Outbox, Sink

if TYPE_CHECKING:
    from skyfence.sinks.mqtt import MqttSink
    from skyfence.sinks.nats import NatsSink
    from skyfence.sinks.outbox import Dispatcher, MemoryOutbox, encode_payload
    from skyfence.sinks.registry import SCHEMES, sink_from_url
    from skyfence.sinks.webhook import (
        RetryAfter,
        SignatureError,
        WebhookSink,
        generate_secret,
        verify,
    )

__all__ = [
    "SCHEMES",
    "DeliveryError",
    "Dispatcher",
    "MemoryOutbox",
    "MqttSink",
    "NatsSink",
    "Notification",
    "Outbox",
    "RetryAfter",
    "SignatureError",
    "Sink",
    "WebhookSink",
    "encode_payload",
    "generate_secret",
    "sink_from_url",
    "verify",
]

_LAZY = {
    "MqttSink": "mqtt", "NatsSink": "nats",
    "Dispatcher": "outbox", "MemoryOutbox": "outbox", "encode_payload": "outbox",
    "SCHEMES": "registry", "sink_from_url": "registry",
    "RetryAfter": "webhook", "SignatureError": "webhook", "WebhookSink": "webhook",
    "generate_secret": "webhook", "verify": "webhook",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
