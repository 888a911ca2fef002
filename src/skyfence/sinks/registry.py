"""Sinks by URL scheme, registered the way a plugin would add one.

=====================================  =========================================================
``https://host/path``                  :class:`~skyfence.sinks.webhook.WebhookSink`, signed
                                       with ``secret`` (``whsec_<base64>``)
``http://host/path``                   the same, unencrypted: only with ``allow_private=True``
                                       (tests, a receiver on the same host or network)
``mqtt://[user[:pw]@]host[:1883]/pfx``  :class:`~skyfence.sinks.mqtt.MqttSink`; ``secret`` is
``mqtts://...`` (TLS, port 8883)       the password if the URL has none
``nats://[user[:pw]@]host[:4222]/pfx``  :class:`~skyfence.sinks.nats.NatsSink`; ``secret`` is
                                       the password with a user, else a token;
                                       ``?jetstream=true`` for JetStream publish with acks
=====================================  =========================================================

The brokers also take ``?timeout=<seconds>``; their path (``/pfx``) is a topic/subject prefix.
A webhook URL is used as it is, query included.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from skyfence.errors import ConfigError
from skyfence.sinks.base import Sink
from skyfence.sinks.mqtt import MqttSink
from skyfence.sinks.nats import NatsSink
from skyfence.sinks.webhook import WebhookSink

__all__ = ["SCHEMES", "sink_from_url"]

SinkFactory = Callable[[str, str, SplitResult, str | None, bool], Sink]


def _options(parts: SplitResult, allowed: set[str]) -> dict[str, str]:
    opts = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(opts) - allowed - {"timeout"}
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(sorted(unknown))} in sink URL "
                          f"(known: {', '.join(sorted(allowed | {'timeout'}))})")
    return opts


def _timeout(opts: dict[str, str], default: float) -> float:
    try:
        value = float(opts.get("timeout", default))
    except ValueError:
        raise ConfigError(f"timeout must be a number of seconds: {opts['timeout']!r}") from None
    if not 0 < value <= 600:
        raise ConfigError(f"timeout must be in (0, 600] seconds: {value}")
    return value


def _flag(opts: dict[str, str], key: str) -> bool:
    value = opts.get(key, "false").lower()
    if value not in ("1", "true", "yes", "0", "false", "no"):
        raise ConfigError(f"{key} must be true or false: {value!r}")
    return value in ("1", "true", "yes")


def _webhook(name: str, url: str, parts: SplitResult, secret: str | None,
             allow_private: bool) -> Sink:
    # the query string belongs to the receiver's URL and is sent as it is
    return WebhookSink(name, url, secret, allow_private=allow_private)


def _host(name: str, parts: SplitResult) -> str:
    if not parts.hostname:
        raise ConfigError(f"sink {name!r}: URL has no host: {parts.geturl()!r}")
    return parts.hostname


def _mqtt(name: str, url: str, parts: SplitResult, secret: str | None,
          allow_private: bool) -> Sink:
    opts = _options(parts, set())
    tls = parts.scheme == "mqtts"
    return MqttSink(name, _host(name, parts), parts.port or (8883 if tls else 1883),
                    unquote(parts.path), username=unquote(parts.username or "") or None,
                    password=unquote(parts.password or "") or secret, tls=tls,
                    timeout_s=_timeout(opts, 10.0))


def _nats(name: str, url: str, parts: SplitResult, secret: str | None,
          allow_private: bool) -> Sink:
    opts = _options(parts, {"jetstream"})
    server = f"nats://{parts.netloc}"  # nats-py reads user:password@ from it
    user_in_url = parts.username is not None
    return NatsSink(name, server, unquote(parts.path), jetstream=_flag(opts, "jetstream"),
                    timeout_s=_timeout(opts, 5.0),
                    password=secret if user_in_url and not parts.password else None,
                    token=secret if not user_in_url else None)


SCHEMES: dict[str, SinkFactory] = {
    "https": _webhook,
    "http": _webhook,
    "mqtt": _mqtt,
    "mqtts": _mqtt,
    "nats": _nats,
}
"""Built-in sink factories by URL scheme; a plugin adds its own the same way."""


def sink_from_url(name: str, url: str, secret: str | None = None, *,
                  allow_private: bool = False) -> Sink:
    """Make the sink ``name`` for ``url`` (see the module docstring); :class:`ConfigError`
    for an unknown scheme, a malformed URL or a refused target."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as e:
        raise ConfigError(f"sink {name!r}: bad URL {url!r}: {e}") from None
    factory = SCHEMES.get(parts.scheme.lower())
    if factory is None:
        raise ConfigError(f"sink {name!r}: unknown URL scheme {parts.scheme!r} in {url!r} "
                          f"(known: {', '.join(sorted(SCHEMES))})")
    return factory(name, url, parts, secret, allow_private)
