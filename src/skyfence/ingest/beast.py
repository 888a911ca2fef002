"""Beast binary framing (Mode-S Beast receivers, dump1090/readsb port 30005).

Record layout, before escaping::

    0x1a | type | MLAT timestamp: 6 bytes | signal: 1 byte | payload
    type '1' (0x31): Mode A/C, payload 2 bytes
    type '2' (0x32): Mode S short, payload 7 bytes
    type '3' (0x33): Mode S long, payload 14 bytes

Every 0x1a byte inside the timestamp, signal or payload is sent twice (``0x1a 0x1a``), so a
single 0x1a always starts a record. The timestamp is a big-endian count of a 12 MHz clock
(receiver-local, free-running: only differences are meaningful). The signal byte is an
amplitude on 0-255; ``20 log10(level / 255)`` gives dBFS (level 0: not given, null).

The scanner below resynchronises on the next lone 0x1a followed by a known type; a record cut
short by a new 0x1a is counted as bad. Mode A/C records are counted and skipped: they carry no
address. A record is at most 2 + 2 * 21 bytes, so the kept tail is bounded.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from skyfence.decode.bits import FRAME_BYTES
from skyfence.ingest.base import FrameBatch, FramerStats

__all__ = ["BeastFramer", "escape"]

ESC = 0x1A
_MAX_RECORD = 2 + 2 * (6 + 1 + 14)


@numba.njit(cache=True, nogil=True)
def _scan(
    buf: npt.NDArray[np.uint8], frames: npt.NDArray[np.uint8], lengths: npt.NDArray[np.uint8],
    ticks: npt.NDArray[np.int64], level: npt.NDArray[np.uint8], counts: npt.NDArray[np.int64],
) -> int:  # pragma: no cover - compiled
    """Scan ``buf``; fill outputs; ``counts`` = [frames, bad, modeac, skipped]; returns the
    offset of the first byte not consumed."""
    n = buf.size
    tmp = np.zeros(21, dtype=np.uint8)
    i = 0
    k = 0
    while i < n:
        if buf[i] != ESC:
            counts[3] += 1
            i += 1
            continue
        if i + 1 >= n:
            break
        kind = buf[i + 1]
        if kind == 0x31:
            plen = 2
        elif kind == 0x32:
            plen = 7
        elif kind == 0x33:
            plen = 14
        else:
            # 0x1a 0x1a outside a record is an escaped data byte: we are out of sync
            counts[3] += 2 if kind == ESC else 1
            i += 2 if kind == ESC else 1
            continue
        need = 7 + plen
        j = i + 2
        got = 0
        cut = False
        while got < need and j < n:
            b = buf[j]
            if b == ESC:
                if j + 1 >= n:
                    break
                if buf[j + 1] != ESC:
                    cut = True
                    break
                j += 1
            tmp[got] = b
            got += 1
            j += 1
        if cut:
            counts[1] += 1
            i = j
            continue
        if got < need:
            break
        i = j
        if plen == 2:
            counts[2] += 1
            continue
        t = np.int64(0)
        for q in range(6):
            t = (t << 8) | np.int64(tmp[q])
        ticks[k] = t
        level[k] = tmp[6]
        for q in range(plen):
            frames[k, q] = tmp[7 + q]
        lengths[k] = plen
        k += 1
    counts[0] = k
    return i


class BeastFramer:
    """Incremental Beast binary framer (see the module docstring)."""

    def __init__(self) -> None:
        self.stats = FramerStats()
        self._tail = b""

    def feed(self, data: bytes) -> FrameBatch:
        buf = np.frombuffer(self._tail + data, dtype=np.uint8)
        cap = buf.size // 11 + 1
        frames = np.zeros((cap, FRAME_BYTES), dtype=np.uint8)
        lengths = np.zeros(cap, dtype=np.uint8)
        ticks = np.zeros(cap, dtype=np.int64)
        level = np.zeros(cap, dtype=np.uint8)
        counts = np.zeros(4, dtype=np.int64)
        used = int(_scan(buf, frames, lengths, ticks, level, counts))
        tail = buf[used:].tobytes()
        if len(tail) > _MAX_RECORD:  # cannot happen with the scanner above; bound it anyway
            self.stats.dropped += 1
            tail = b""
        self._tail = tail
        k = int(counts[0])
        self.stats.frames += k
        self.stats.bad += int(counts[1])
        self.stats.skipped_bytes += int(counts[3])
        self.stats.extra["mode_ac"] = self.stats.extra.get("mode_ac", 0) + int(counts[2])
        lv = level[:k].astype(np.float64)
        with np.errstate(divide="ignore"):
            dbfs = np.where(lv > 0, 20.0 * np.log10(lv / 255.0), np.nan)
        return FrameBatch.of(frames[:k], lengths[:k], mlat_ticks=ticks[:k], signal_dbfs=dbfs)


def escape(kind: int, ticks: int, level: int, payload: bytes) -> bytes:
    """One Beast record (for tests and replays): type byte, 48-bit ticks, level, payload."""
    body = ticks.to_bytes(6, "big") + bytes([level]) + payload
    return bytes([ESC, kind]) + body.replace(b"\x1a", b"\x1a\x1a")
