"""File sources: read a recording in chunks through its framer.

Frames without their own time (Beast, AVR) are stamped from the file: the first frame gets
``start`` (default: the file's modification time) and later ones add their 12 MHz tick
difference (``MLAT_HZ``), so CPR pairing sees true intervals; frames without ticks all get
``start``. ``batches()`` can replay a recording at a speed factor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np

from skyfence.errors import DecodeError
from skyfence.ingest.aircraft_json import AircraftJsonFramer
from skyfence.ingest.base import MLAT_HZ, Batch, FrameBatch, Framer
from skyfence.ingest.registry import detect_format, make_framer

__all__ = ["CHUNK_BYTES", "FileSource", "TickClock"]

CHUNK_BYTES = 1 << 20


class TickClock:
    """Epoch seconds from 12 MHz ticks, anchored at the first tick seen."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.first_tick: int | None = None

    def stamp(self, batch: FrameBatch) -> FrameBatch:
        if not np.isnan(batch.times).any():
            return batch
        ticks = batch.mlat_ticks
        times = np.full(len(batch), self.start)
        has = ticks >= 0
        if has.any():
            if self.first_tick is None:
                self.first_tick = int(ticks[has][0])
            times[has] = self.start + (ticks[has] - self.first_tick) / MLAT_HZ
        return batch.with_times(np.where(np.isnan(batch.times), times, batch.times))


class FileSource:
    """A recording on disk; ``fmt`` ``None`` detects the format."""

    def __init__(self, path: str | Path, fmt: str | None = None,
                 chunk_bytes: int = CHUNK_BYTES, start: float | None = None,
                 speed: float | None = None) -> None:
        self.path = Path(path)
        try:
            with self.path.open("rb") as fh:
                head = fh.read(4096)
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            raise DecodeError(f"cannot read: {exc.strerror}", where=str(path)) from None
        self.fmt = fmt or detect_format(self.path.name, head)
        self.framer: Framer = make_framer(self.fmt)
        self.chunk_bytes = chunk_bytes
        self.clock = TickClock(mtime if start is None else start)
        self.speed = speed

    def __iter__(self) -> Iterator[Batch]:
        try:
            with self.path.open("rb") as fh:
                while chunk := fh.read(self.chunk_bytes):
                    batch = self.framer.feed(chunk)
                    if isinstance(batch, FrameBatch):
                        batch = self.clock.stamp(batch)
                    if len(batch):
                        yield batch
        except OSError as exc:
            raise DecodeError(f"cannot read: {exc.strerror}", where=str(self.path)) from None
        tail = self.framer.feed(b"\n") if self.fmt in ("avr", "jsonl", "sbs") else None
        if tail is not None and len(tail):
            yield self.clock.stamp(tail) if isinstance(tail, FrameBatch) else tail
        if isinstance(self.framer, AircraftJsonFramer):
            self.framer.close()

    async def batches(self) -> AsyncIterator[Batch]:
        """The batches, read in a worker thread; with ``speed`` set, paced so that recorded
        time passes ``speed`` times faster than wall-clock time (a replay)."""
        it = iter(self)
        loop = asyncio.get_running_loop()
        origin: tuple[float, float] | None = None  # (first recorded time, wall time then)
        while True:
            batch = await asyncio.to_thread(next, it, None)
            if batch is None:
                return
            first = _first_time(batch)
            if self.speed and first is not None:
                if origin is None:
                    origin = (first, loop.time())
                due = origin[1] + (first - origin[0]) / self.speed
                await asyncio.sleep(max(0.0, due - loop.time()))
            yield batch


def _first_time(batch: Batch) -> float | None:
    if isinstance(batch, FrameBatch):
        finite = batch.times[np.isfinite(batch.times)]
        return float(finite[0]) if finite.size else None
    times = batch.column("time")
    return None if times.null_count == len(times) else float(
        times.drop_null()[0].value) / 1e6
