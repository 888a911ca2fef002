"""rs1090 / jet1090 JSON Lines framing.

One JSON object per line, of which two members are read (the rest, rs1090's own decoding,
is ignored)::

    {"timestamp": 1720248189.525094, "frame": "8f393322384a02aea63afc43dcba", ...}

``timestamp`` is epoch seconds (UTC), ``frame`` the Mode S frame in hex. A line that is not
JSON, or lacks either member, is counted as bad; a line longer than ``MAX_LINE`` is dropped.
"""

from __future__ import annotations

import json
import math

import numpy as np

from skyfence.decode.bits import frames_from_hex
from skyfence.ingest.base import FrameBatch, FramerStats
from skyfence.ingest.lines import LineSplitter

__all__ = ["MAX_LINE", "JsonlFramer"]

MAX_LINE = 64 * 1024
"""rs1090 lines are under 1 kB; 64 kB leaves room for verbose decoders."""


class JsonlFramer:
    """Incremental JSONL framer."""

    def __init__(self) -> None:
        self.stats = FramerStats()
        self._lines = LineSplitter(MAX_LINE, self.stats)

    def feed(self, data: bytes) -> FrameBatch:
        hexes: list[str] = []
        times: list[float] = []
        for line in self._lines.feed(data):
            try:
                obj = json.loads(line)
                frame, ts = obj["frame"], float(obj["timestamp"])
            except (ValueError, KeyError, TypeError, RecursionError):
                self.stats.bad += 1
                continue
            if not isinstance(frame, str) or not math.isfinite(ts):
                self.stats.bad += 1
                continue
            hexes.append(frame)
            times.append(ts)
        frames, lengths = frames_from_hex(hexes)
        self.stats.frames += len(hexes)
        return FrameBatch.of(frames, lengths, times=np.array(times, dtype=np.float64))
