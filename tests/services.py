"""External services for integration tests (PostgreSQL, MQTT, NATS): skip or fail.

A test that needs a service calls :func:`require_service` (or :func:`unavailable` when it
found out some other way, e.g. the server answered but refused the login). Locally a missing
service skips the test, saying what was missing and where; with
``SKYFENCE_REQUIRE_SERVICES=1`` (CI sets it) it fails instead, so CI cannot go green by
quietly skipping.

Where each service is expected (overridable by environment):

- PostgreSQL: ``SKYFENCE_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``
- MQTT broker: ``127.0.0.1:1883``
- NATS server: ``127.0.0.1:4222``
"""

from __future__ import annotations

import os
import socket
from typing import NoReturn

import pytest

__all__ = [
    "MQTT",
    "NATS",
    "POSTGRES_URL",
    "REQUIRE_ENV",
    "require_service",
    "services_required",
    "unavailable",
]

REQUIRE_ENV = "SKYFENCE_REQUIRE_SERVICES"
POSTGRES_URL = os.environ.get("SKYFENCE_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
MQTT = ("MQTT broker", "127.0.0.1", 1883)
NATS = ("NATS server", "127.0.0.1", 4222)


def services_required() -> bool:
    """Whether a missing service is a failure (CI) rather than a skip (a laptop)."""
    return os.environ.get(REQUIRE_ENV, "") == "1"


def unavailable(name: str, reason: str) -> NoReturn:
    """Skip (or, with ``SKYFENCE_REQUIRE_SERVICES=1``, fail) because ``name`` is missing."""
    message = f"{name} is not available: {reason}"
    if services_required():
        pytest.fail(f"{message} ({REQUIRE_ENV}=1, so this fails instead of skipping)",
                    pytrace=False)
    pytest.skip(f"{message} (start it to run these tests; {REQUIRE_ENV}=1 makes this fail)")


def require_service(name: str, host: str, port: int, timeout_s: float = 1.0) -> None:
    """Return if something accepts TCP connections at ``host:port``; else skip or fail."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as exc:
        unavailable(name, f"nothing accepts connections at {host}:{port} ({exc})")
