"""AVR text framing (dump1090/readsb port 30002, ``--raw`` output).

One frame per line::

    *8D4840D6202CC371C32CE0576098;            plain: '*', 14 or 28 hex digits, ';'
    @0000F1A2B3C48D4840D6202CC371C32CE0576098;  MLAT: '@', 12 hex digits of a 12 MHz
                                                   timestamp, then the frame, ';'

Lines that match neither form (including Mode A/C ``*XXXX;``) are counted as bad. The
longest valid line is 1 + 12 + 28 + 1 characters; a line longer than ``MAX_LINE`` is dropped.
"""

from __future__ import annotations

import re

import numpy as np

from skyfence.decode.bits import frames_from_hex
from skyfence.ingest.base import FrameBatch, FramerStats
from skyfence.ingest.lines import LineSplitter

__all__ = ["MAX_LINE", "AvrFramer"]

MAX_LINE = 128
_LINE = re.compile(rb"^(?:\*([0-9A-Fa-f]{14}|[0-9A-Fa-f]{28})|@([0-9A-Fa-f]{12})"
                   rb"([0-9A-Fa-f]{14}|[0-9A-Fa-f]{28}));$")


class AvrFramer:
    """Incremental AVR framer."""

    def __init__(self) -> None:
        self.stats = FramerStats()
        self._lines = LineSplitter(MAX_LINE, self.stats)

    def feed(self, data: bytes) -> FrameBatch:
        hexes: list[str] = []
        ticks: list[int] = []
        for line in self._lines.feed(data):
            m = _LINE.match(line)
            if m is None:
                self.stats.bad += 1
                continue
            if m.group(1) is not None:
                hexes.append(m.group(1).decode("ascii"))
                ticks.append(-1)
            else:
                hexes.append(m.group(3).decode("ascii"))
                ticks.append(int(m.group(2), 16))
        frames, lengths = frames_from_hex(hexes)
        self.stats.frames += len(hexes)
        return FrameBatch.of(frames, lengths, mlat_ticks=np.array(ticks, dtype=np.int64))
