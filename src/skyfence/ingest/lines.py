"""Line splitting shared by the text framers: keep the incomplete tail, drop over-long lines.

A text feed is a sequence of lines ended by ``\\n`` (a ``\\r`` before it is ignored). The tail
after the last newline waits for the next chunk, unless it is already longer than the format's
longest sensible line: then it is garbage (or a feed without newlines) and is dropped, together
with the rest of that line when it arrives, and counted in ``stats.dropped``.
"""

from __future__ import annotations

from skyfence.ingest.base import FramerStats

__all__ = ["LineSplitter"]


class LineSplitter:
    """Incremental splitter of byte chunks into complete lines."""

    def __init__(self, max_line: int, stats: FramerStats) -> None:
        self.max_line = max_line
        self.stats = stats
        self._tail = b""
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._tail + data
        lines = buf.split(b"\n")
        tail = lines.pop()
        if self._skipping and lines:
            lines.pop(0)  # the rest of a line already dropped
            self._skipping = False
        if len(tail) > self.max_line:
            if not self._skipping:
                self.stats.dropped += 1
            self._skipping = True
            tail = b""
        self._tail = tail
        out = []
        for line in lines:
            if len(line) > self.max_line:
                self.stats.dropped += 1
                continue
            line = line.strip()
            if line:
                out.append(line)
        return out
