"""Frame arrays and bit fields shared by every Mode S message family.

A batch of frames is a ``uint8`` array of shape ``(N, 14)`` plus a length per row (7 bytes for
a 56-bit short reply, 14 bytes for a 112-bit long one); short frames sit left-aligned with
zero padding. Bit numbers in the family docstrings are 1-based from the most significant bit,
as in ICAO Annex 10 Vol IV and "The 1090 MHz Riddle": frame bits 1-5 are the downlink
format (DF), and the 56-bit ME/MB field of a long frame is frame bits 33-88, numbered ME 1-56.

``Fields`` precomputes the words every family reads, so each family extracts its fields with
shifts and masks over whole columns instead of touching rows one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CHARSET",
    "FRAME_BYTES",
    "U8",
    "U32",
    "U64",
    "Fields",
    "field",
    "frames_from_hex",
]

U8 = npt.NDArray[np.uint8]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

FRAME_BYTES = 14
"""A long (112-bit) Mode S frame; short (56-bit) frames use the first 7 bytes."""

CHARSET = b"#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"
"""The 6-bit ICAO character set of aircraft identification (Annex 10 Vol IV, 3.1.2.9):
1-26 letters, 32 space, 48-57 digits; '#' marks codes that carry no character."""

_HEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i


def frames_from_hex(hexes: Sequence[str]) -> tuple[U8, U8]:
    """Parse hex strings into ``(frames (N, 14) uint8, lengths (N,) uint8)``, vectorised.

    A string that is not 14 or 28 hex digits gets length 0 (the decoder reports it as a bad
    frame and keeps its row)."""
    n = len(hexes)
    if n == 0:
        return np.zeros((0, FRAME_BYTES), np.uint8), np.zeros(0, np.uint8)
    full_len = np.fromiter(map(len, hexes), dtype=np.int64, count=n)
    fast = _all_valid(hexes, full_len)
    if fast is not None:
        return fast
    try:
        raw = np.array(hexes, dtype="S28")
    except (UnicodeEncodeError, ValueError):
        raw = np.array([h.encode("ascii", "replace")[:28] for h in hexes], dtype="S28")
    chars = raw.view(np.uint8).reshape(n, 28)
    nibbles = _HEX[chars]
    slen = np.char.str_len(raw)
    pad = np.arange(28)[None, :] >= slen[:, None]
    ok_chars = (nibbles != 255) | pad
    nibbles[pad] = 0
    frames = ((nibbles[:, 0::2] & 0xF) << 4 | (nibbles[:, 1::2] & 0xF)).astype(np.uint8)
    lengths = np.where((slen == 28) | (slen == 14), slen // 2, 0).astype(np.uint8)
    bad = ~ok_chars.all(axis=1) | (full_len != slen)
    lengths[bad] = 0
    frames[lengths == 0] = 0
    return frames, lengths


def _all_valid(hexes: Sequence[str], full_len: npt.NDArray[np.int64]) -> tuple[U8, U8] | None:
    """Fast path when every string is 14 or 28 hex digits: one ``bytes.fromhex`` over the
    joined text. ``None`` when any string is not (the caller then checks row by row)."""
    if not ((full_len == 28) | (full_len == 14)).all():
        return None
    try:
        flat = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8)
    except (ValueError, TypeError):
        return None
    nbytes = full_len // 2
    if flat.size != int(nbytes.sum()):  # fromhex skips whitespace: "8D 48..." is not a frame
        return None
    n = full_len.size
    if flat.size == n * FRAME_BYTES:
        return flat.reshape(n, FRAME_BYTES).copy(), nbytes.astype(np.uint8)
    frames = np.zeros((n, FRAME_BYTES), dtype=np.uint8)
    starts = np.cumsum(nbytes) - nbytes
    rows = np.repeat(np.arange(n), nbytes)
    frames[rows, np.arange(flat.size) - np.repeat(starts, nbytes)] = flat
    return frames, nbytes.astype(np.uint8)


def field(word: U64, start: int, length: int, width: int = 56) -> U64:
    """Bits ``start..start+length-1`` (1-based, MSB first) of a ``width``-bit word."""
    shift = np.uint64(width - start - length + 1)
    return (word >> shift) & np.uint64((1 << length) - 1)


def _be_word(frames: U8, first: int, count: int) -> U64:
    out = np.zeros(frames.shape[0], dtype=np.uint64)
    for k in range(count):
        out = (out << np.uint64(8)) | frames[:, first + k].astype(np.uint64)
    return out


@dataclass(frozen=True)
class Fields:
    """Words of a batch that the families read.

    ``head`` is frame bits 1-32 (DF and the 8-bit/13-bit fields after it), ``me`` the 56-bit
    ME/MB field (frame bits 33-88, long frames only), ``df`` the downlink format with every
    DF 24-31 folded into 24 (only its first two bits are format bits)."""

    frames: U8
    lengths: U8
    head: U64
    me: U64
    df: npt.NDArray[np.int8]

    @classmethod
    def of(cls, frames: U8, lengths: U8) -> Fields:
        head = _be_word(frames, 0, 4)
        me = _be_word(frames, 4, 7)
        df = (head >> np.uint64(27)).astype(np.int8)
        df[df >= 24] = 24
        return cls(frames=frames, lengths=lengths, head=head, me=me, df=df)

    def head_bits(self, start: int, length: int) -> U64:
        """Bits of the first 32 frame bits, 1-based (e.g. ``(20, 13)`` is AC or ID)."""
        return field(self.head, start, length, width=32)

    def me_bits(self, start: int, length: int) -> U64:
        """Bits of the ME/MB field, numbered ME 1-56 as in the ADS-B tables."""
        return field(self.me, start, length)
