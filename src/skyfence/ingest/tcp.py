"""Live TCP client source: ``tcp://HOST:PORT`` with reconnect and exponential backoff.

Receivers serve each format on its own port by convention (dump1090/readsb: 30002 AVR,
30003 SBS-1, 30005 Beast). The client reads chunks, frames them, stamps each batch with the
wall-clock time of receipt (epoch seconds, UTC) and yields it. When the connection fails or
closes it waits ``backoff`` seconds, doubling from ``min_backoff`` up to ``max_backoff`` and
resetting after a successful connect, then tries again, forever unless ``max_connects`` says
otherwise. Each connection gets a fresh framer: a half record from a dead connection is not
glued to the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from skyfence.errors import ConfigError
from skyfence.ingest.base import Batch, FrameBatch, Framer, FramerStats
from skyfence.ingest.registry import make_framer

__all__ = ["TcpSource", "parse_tcp_url"]

Connect = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def parse_tcp_url(url: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` to ``(host, port)``; ``ConfigError`` when malformed."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None:
        raise ConfigError(f"not a tcp://HOST:PORT address: {url!r}")
    return parts.hostname, port


@dataclass
class TcpSource:
    """A receiver feed over TCP (see the module docstring)."""

    host: str
    port: int
    fmt: str
    min_backoff: float = 0.5
    max_backoff: float = 30.0
    read_bytes: int = 65536
    max_connects: int | None = None
    connect: Connect = asyncio.open_connection
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._framer: Framer = make_framer(self.fmt)  # fails early on an unknown format
        self._closed = FramerStats()  # counts of connections already closed
        self.connects = 0
        self.failures = 0

    @property
    def stats(self) -> FramerStats:
        """Counts over every connection so far, the current one included."""
        now = self._framer.stats
        done = self._closed
        return FramerStats(frames=done.frames + now.frames, bad=done.bad + now.bad,
                           dropped=done.dropped + now.dropped,
                           skipped_bytes=done.skipped_bytes + now.skipped_bytes)

    @classmethod
    def from_url(cls, url: str, fmt: str) -> TcpSource:
        host, port = parse_tcp_url(url)
        return cls(host, port, fmt)

    async def batches(self) -> AsyncIterator[Batch]:
        backoff = self.min_backoff
        attempts = 0
        while self.max_connects is None or attempts < self.max_connects:
            attempts += 1
            try:
                reader, writer = await self.connect(self.host, self.port)
            except OSError:
                self.failures += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            self.connects += 1
            backoff = self.min_backoff
            self._closed = self.stats
            self._framer = make_framer(self.fmt)
            try:
                while data := await reader.read(self.read_bytes):
                    batch = self._framer.feed(data)
                    if len(batch):
                        yield self._stamp(batch)
            except OSError:
                self.failures += 1
            finally:
                writer.close()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _stamp(self, batch: Batch) -> Batch:
        if isinstance(batch, FrameBatch) and np.isnan(batch.times).any():
            now = self.clock()
            return batch.with_times(np.where(np.isnan(batch.times), now, batch.times))
        return batch
