"""Webhook sink: an HTTP POST of the notification's JSON, signed as in Standard Webhooks.

Headers (https://www.standardwebhooks.com/)::

    webhook-id:        the notification id, the same on every retry (receivers deduplicate on it)
    webhook-timestamp: Unix seconds of *this attempt* (so a retry hours later still verifies)
    webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>

The key is the base64 part of a ``whsec_<base64>`` secret. Outcome of a POST: 2xx delivered;
408, 429, 5xx and network errors are retried; any other status (3xx included: redirects are
not followed) gives up.

Targets on private, loopback, link-local, multicast or otherwise non-global addresses are
refused when the sink is made (the host is resolved then) and again before each send (a
name may resolve elsewhere later), unless ``allow_private=True``: a webhook must not become a
way to reach the machine's own network. A small window remains between our resolution and
httpx's own; closing it would need a transport pinned to the resolved address.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import ipaddress
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from skyfence.errors import ConfigError, SkyfenceError
from skyfence.sinks.base import DeliveryError, Notification
from skyfence.sinks.outbox import encode_payload

__all__ = [
    "RetryAfter",
    "SignatureError",
    "WebhookSink",
    "check_public_host",
    "generate_secret",
    "sign",
    "verify",
]

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
TOLERANCE_S = 300  # the spec's 5 minutes: wide enough for clock skew, narrow against replays
RETRY_STATUSES = frozenset({408, 429})  # plus every 5xx
USER_AGENT = "skyfence-webhooks/1"
ERROR_BODY_BYTES = 200  # of a refusal's body, kept in the outbox as the error
_OURS = frozenset({"content-type", "user-agent", "webhook-id", "webhook-timestamp",
                   "webhook-signature"})


class SignatureError(SkyfenceError):
    """A webhook whose headers or signature do not verify."""


class RetryAfter(DeliveryError):
    """A retryable failure whose receiver said when to come back (``Retry-After``); the
    :class:`~skyfence.sinks.outbox.Dispatcher` waits at least ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, retry=True)
        self.retry_after_s = retry_after_s


def _secret_key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("webhook secret must be 'whsec_' followed by base64") from None
    if not key:
        raise ConfigError("webhook secret is empty")
    return key


def generate_secret(n_bytes: int = 24) -> str:
    """A fresh ``whsec_<base64>`` secret (24 random bytes = 192 bits, as most providers)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(n_bytes)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value ``v1,<base64>`` for one message."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes | str,
           tolerance_s: float = TOLERANCE_S, *, now: float | None = None) -> None:
    """Check a received webhook; raise :class:`SignatureError` saying why it fails.

    ``headers`` may use any case; ``body`` must be the raw bytes received (not re-serialised
    JSON). Any one of several space-separated ``v1,`` signatures may match (key rotation).
    """
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not (msg_id and ts and sigs):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(ts)
    except ValueError:
        raise SignatureError(f"bad webhook-timestamp {ts!r}") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError(f"webhook-timestamp {timestamp} is more than {tolerance_s:g} s "
                             f"from now ({now:.0f})")
    raw = body.encode() if isinstance(body, str) else body
    expected = sign(secret, msg_id, timestamp, raw).encode()
    for candidate in sigs.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureError("no matching v1 signature")


def _refused(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, CGNAT, unspecified and reserved
    # ranges; multicast is "global" to Python 3.11 but is never a webhook receiver
    return not ip.is_global or ip.is_multicast


def _check_addresses(host: str, addresses: Iterable[str]) -> None:
    bad = sorted({a for a in addresses if _refused(a)})
    if bad:
        raise ConfigError(f"webhook host {host!r} resolves to non-public address "
                          f"{', '.join(bad)}; refused (allow_private=True to permit it)")


def _addresses(infos: Iterable[tuple[object, ...]]) -> list[str]:
    return [str(info[4][0]) for info in infos]  # type: ignore[index]


def check_public_host(host: str, port: int) -> None:
    """Resolve ``host`` and raise :class:`ConfigError` if any address is not public."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise ConfigError(f"webhook host {host!r} does not resolve: {e}") from None
    _check_addresses(host, _addresses(infos))


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class WebhookSink:
    """POSTs each notification to ``url``; see the module docstring for headers and outcomes.

    ``timeout_s`` bounds each phase (connect, write, read) of one attempt; the whole attempt
    is also bounded by twice that, so one slow endpoint holds its own dispatcher task only.
    """

    def __init__(self, name: str, url: str, secret: str | None = None, *,
                 allow_private: bool = False, timeout_s: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"webhook URL must be http(s)://host/...: {url!r}")
        if parts.scheme == "http" and not allow_private:
            raise ConfigError(f"webhook {name!r}: plain http:// sends alerts unencrypted; "
                              "use https://, or allow_private=True for a local receiver")
        if secret is not None:
            _secret_key(secret)  # fail now, not on the first alert
        self.name = name
        self.url = url
        # for messages and logs: no credentials, no query (either may hold a token)
        self.display_url = f"{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else "") + parts.path
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self._secret = secret
        self._clock = clock
        self._client: httpx.AsyncClient | None = None
        if not allow_private:
            check_public_host(self.host, self.port)

    def __repr__(self) -> str:  # never the secret
        return f"WebhookSink({self.name!r}, {self.display_url!r})"

    def headers_for(self, notification: Notification, body: bytes) -> dict[str, str]:
        ts = int(self._clock())
        extra = {k: v for k, v in notification.headers.items() if k.lower() not in _OURS}
        headers = {**extra, "content-type": "application/json",
                   "user-agent": USER_AGENT, "webhook-id": notification.id,
                   "webhook-timestamp": str(ts)}
        if self._secret is not None:
            headers["webhook-signature"] = sign(self._secret, notification.id, ts, body)
        return headers

    async def _recheck(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(self.host, self.port, proto=socket.IPPROTO_TCP)
        except OSError as e:
            raise DeliveryError(f"cannot resolve {self.host!r}: {e}") from e
        try:
            _check_addresses(self.host, _addresses(infos))
        except ConfigError as e:
            raise DeliveryError(str(e), retry=False) from e

    async def send(self, notification: Notification) -> None:
        body = encode_payload(notification.payload)
        if not self.allow_private:
            await self._recheck()
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_s), follow_redirects=False)
        headers = self.headers_for(notification, body)
        snippet = b""
        try:
            async with asyncio.timeout(2 * self.timeout_s), self._client.stream(
                    "POST", self.url, content=body, headers=headers) as resp:
                if resp.is_success:
                    return
                async for chunk in resp.aiter_bytes():  # enough to explain, never a flood
                    snippet += chunk
                    if len(snippet) >= ERROR_BODY_BYTES:
                        break
        except (httpx.TransportError, TimeoutError) as e:
            raise DeliveryError(f"POST {self.display_url}: {type(e).__name__}: {e}") from e
        status = resp.status_code
        text = snippet[:ERROR_BODY_BYTES].decode("utf-8", "replace")
        msg = f"POST {self.display_url}: HTTP {status} {text!r}"
        retry = status in RETRY_STATUSES or status >= 500
        delay = _retry_after_s(resp.headers.get("retry-after")) if retry else None
        raise RetryAfter(msg, delay) if delay is not None else DeliveryError(msg, retry=retry)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
