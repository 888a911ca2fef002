"""Sources for the live service, chosen by URL.

``tcp://HOST:PORT?format=beast|avr|sbs|jsonl``
    a receiver's feed (dump1090, readsb, jet1090), reconnecting with backoff.
``file://PATH?speed=10[&format=NAME]``
    a recording replayed at ``speed`` times real time (``speed=0``: as fast as possible).
    Raw Mode S formats (Beast, AVR, rs1090 JSONL) are decoded like a live feed; decoded
    recordings (Parquet, CSV, traffic JSON, readsb traces) are read as reports.
``mqtt://HOST:PORT/TOPIC`` and ``nats://HOST:PORT/SUBJECT``
    JSON reports (one object or an array per message, skyfence column names) published
    by other systems.

Every source yields batches through ``batches()`` (the ``Source`` protocol of
:mod:`skyfence.ingest.base`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.errors import ConfigError, SkyfenceError
from skyfence.ingest.base import Batch, FrameBatch, Source
from skyfence.ingest.files import FileSource
from skyfence.ingest.tcp import TcpSource
from skyfence.readers.jsonl import reports_from_lines

__all__ = ["ReplaySource", "make_source", "reports_from_json"]

RAW_FORMATS = ("beast", "avr", "jsonl", "sbs", "aircraft-json")
RAW_SUFFIXES = (".bin", ".beast", ".avr", ".raw", ".sbs", ".jsonl")


def _times(batch: Batch) -> np.ndarray:
    if isinstance(batch, FrameBatch):
        return batch.times
    t = batch.column("time").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.asarray(t.fill_null(0), dtype=np.float64) * 1e-6


class ReplaySource:
    """Replays another source's batches paced by their own timestamps, ``speed`` times
    faster than real time; decoded tables are cut into slices of ``slice_s`` data seconds
    so that pacing stays smooth."""

    def __init__(self, inner: Iterator[Batch], speed: float, slice_s: float = 1.0) -> None:
        if speed < 0:
            raise ConfigError(f"replay speed must be >= 0, got {speed}")
        self.inner = inner
        self.speed = speed
        self.slice_s = slice_s

    def _slices(self, batch: Batch) -> Iterator[Batch]:
        if isinstance(batch, FrameBatch) or len(batch) == 0:
            yield batch
            return
        t = _times(batch)
        edges = np.arange(np.nanmin(t), np.nanmax(t) + self.slice_s, self.slice_s)
        idx = np.r_[np.searchsorted(t, edges[:-1]), len(t)]
        for a, b in itertools.pairwise(idx):
            if b > a:
                yield batch.slice(int(a), int(b - a))

    async def batches(self) -> AsyncIterator[Batch]:
        start_wall = time.monotonic()
        start_data: float | None = None
        while True:
            batch = await asyncio.to_thread(next, self.inner, None)
            if batch is None:
                return
            for piece in self._slices(batch):
                t = _times(piece)
                if self.speed > 0 and len(t) and np.isfinite(t).any():
                    first = float(np.nanmin(t))
                    if start_data is None:
                        start_data = first
                    due = start_wall + (first - start_data) / self.speed
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                yield piece


def reports_from_json(payload: bytes, source: str = "message") -> pa.Table:
    """Reports from a JSON array of objects or JSON lines (skyfence column names); raises
    ``TrafficFormatError`` or ``ValueError`` naming what is wrong."""
    text = payload.strip()
    if text.startswith(b"["):
        records: list[Any] = json.loads(text)
        if not all(isinstance(r, dict) for r in records):
            raise ValueError("expected an array of report objects")
        lines = [json.dumps(r).encode() for r in records]
    else:
        lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return pa.table({})
    return reports_from_lines(lines, source)


class _BrokerSource:
    def __init__(self, scheme: str, host: str, port: int, topic: str) -> None:
        self.scheme, self.host, self.port, self.topic = scheme, host, port, topic
        self.bad_messages = 0

    async def batches(self) -> AsyncIterator[Batch]:
        async for payload in self._messages():
            try:
                table = reports_from_json(payload)
            except (ValueError, UnicodeDecodeError, pa.ArrowInvalid, SkyfenceError):
                self.bad_messages += 1
                continue
            if table.num_rows:
                yield table

    async def _messages(self) -> AsyncIterator[bytes]:
        if self.scheme == "mqtt":
            import aiomqtt

            async with aiomqtt.Client(self.host, self.port) as client:
                await client.subscribe(self.topic, qos=1)
                async for message in client.messages:
                    p = message.payload
                    yield bytes(p) if isinstance(p, bytes | bytearray) else str(p).encode()
        else:
            import nats

            nc = await nats.connect(f"nats://{self.host}:{self.port}")
            sub = await nc.subscribe(self.topic)
            try:
                async for msg in sub.messages:
                    yield bytes(msg.data)
            finally:
                await nc.close()


def make_source(url: str) -> Source:
    """The source a URL names (see the module docstring)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    fmt = query.get("format")
    if parts.scheme == "tcp":
        if fmt is not None and fmt not in RAW_FORMATS:
            raise ConfigError(f"{url}: format must be one of {', '.join(RAW_FORMATS)}")
        return TcpSource(parts.hostname or "127.0.0.1", parts.port or 30005, fmt or "beast")
    if parts.scheme in ("file", ""):
        path = Path(parts.netloc + parts.path if parts.scheme == "file" else url)
        try:
            speed = float(query.get("speed", "1"))
        except ValueError:
            raise ConfigError(f"{url}: speed must be a number") from None
        if not path.is_file():
            raise ConfigError(f"{url}: no such file {path}")
        if fmt in RAW_FORMATS or (fmt is None and path.suffix.lower() in RAW_SUFFIXES
                                  and not _is_reports_jsonl(path)):
            return ReplaySource(iter(FileSource(path, fmt)), speed)
        from skyfence.readers import read_traffic

        chunks = read_traffic(path, fmt=fmt, chunk_rows=200_000)
        return ReplaySource((_time_sorted(c) for c in chunks), speed)
    if parts.scheme in ("mqtt", "nats"):
        topic = parts.path.lstrip("/")
        if not topic:
            raise ConfigError(f"{url}: give a topic or subject after the address")
        return _BrokerSource(parts.scheme, parts.hostname or "127.0.0.1",
                             parts.port or (1883 if parts.scheme == "mqtt" else 4222), topic)
    raise ConfigError(f"{url}: unknown source scheme; expected tcp://, file://, mqtt://, nats://")


def _is_reports_jsonl(path: Path) -> bool:
    """A JSONL of skyfence reports (``time``, ``lat``) rather than of raw frames."""
    if path.suffix.lower() != ".jsonl":
        return False
    with path.open("rb") as fh:
        head = fh.readline()
    return b'"lat"' in head and b'"frame"' not in head and b'"rawmsg"' not in head


def _time_sorted(table: pa.Table) -> pa.Table:
    idx = pc.sort_indices(table, sort_keys=[("time", "ascending")])
    return table.take(idx)
