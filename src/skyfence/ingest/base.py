"""What framers and sources hand to the decoder, and the two small protocols they follow.

A *framer* turns bytes into frames incrementally: ``feed(data)`` returns the complete frames
in ``data`` plus whatever was left over from the previous call, keeps an incomplete tail for
the next call, skips garbage until the next recognisable frame, and drops a line or frame that
grows beyond its format's maximum instead of buffering forever. What it skipped is counted in
``stats``; a framer never raises on bad bytes.

A *source* (file, TCP client, ...) yields batches through ``batches()``: ``FrameBatch`` for
raw Mode S formats, or an already decoded ``Reports`` table for formats that carry decoded
values (SBS-1 BaseStation, ``aircraft.json``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.decode.bits import FRAME_BYTES

__all__ = ["MLAT_HZ", "Batch", "FrameBatch", "Framer", "FramerStats", "Source"]

MLAT_HZ = 12_000_000
"""Beast and AVR-with-timestamp receivers count time in ticks of a 12 MHz clock."""


@dataclass(frozen=True)
class FrameBatch:
    """Frames ready for ``decode_frames``: ``frames (N, 14) uint8`` left-aligned, ``lengths``
    in bytes, ``times`` epoch seconds (NaN until a source sets them), ``mlat_ticks`` (-1:
    none) and ``signal_dbfs`` (NaN: none)."""

    frames: npt.NDArray[np.uint8]
    lengths: npt.NDArray[np.uint8]
    times: npt.NDArray[np.float64]
    mlat_ticks: npt.NDArray[np.int64]
    signal_dbfs: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> FrameBatch:
        return cls.of(np.zeros((0, FRAME_BYTES), np.uint8), np.zeros(0, np.uint8))

    @classmethod
    def of(
        cls,
        frames: npt.NDArray[np.uint8],
        lengths: npt.NDArray[np.uint8],
        times: npt.NDArray[np.float64] | None = None,
        mlat_ticks: npt.NDArray[np.int64] | None = None,
        signal_dbfs: npt.NDArray[np.float64] | None = None,
    ) -> FrameBatch:
        n = frames.shape[0]
        return cls(
            frames=frames,
            lengths=lengths,
            times=np.full(n, np.nan) if times is None else times,
            mlat_ticks=np.full(n, -1, np.int64) if mlat_ticks is None else mlat_ticks,
            signal_dbfs=np.full(n, np.nan) if signal_dbfs is None else signal_dbfs,
        )

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def with_times(self, times: npt.NDArray[np.float64]) -> FrameBatch:
        return FrameBatch(self.frames, self.lengths, times, self.mlat_ticks, self.signal_dbfs)


Batch: TypeAlias = FrameBatch | pa.Table


@dataclass
class FramerStats:
    """Counters of a framer: ``frames`` emitted, ``bad`` records rejected (bad sync, bad hex,
    unparsable line), ``dropped`` over-long records, ``skipped_bytes`` garbage skipped."""

    frames: int = 0
    bad: int = 0
    dropped: int = 0
    skipped_bytes: int = 0
    extra: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class Framer(Protocol):
    """Bytes in, batches out, leftover kept between calls."""

    stats: FramerStats

    def feed(self, data: bytes) -> Batch: ...


@runtime_checkable
class Source(Protocol):
    """Anything that yields batches: a file, a TCP feed, a test double."""

    def batches(self) -> AsyncIterator[Batch]: ...
