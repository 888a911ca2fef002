"""The framers by format name, and format detection from a file name or its first bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from skyfence.errors import DecodeError
from skyfence.ingest.aircraft_json import AircraftJsonFramer
from skyfence.ingest.avr import AvrFramer
from skyfence.ingest.base import Framer
from skyfence.ingest.beast import BeastFramer
from skyfence.ingest.jsonl import JsonlFramer
from skyfence.ingest.sbs import SbsFramer

__all__ = ["FORMATS", "detect_format", "make_framer"]

FORMATS: dict[str, Callable[[], Framer]] = {
    "beast": BeastFramer,
    "avr": AvrFramer,
    "sbs": SbsFramer,
    "jsonl": JsonlFramer,
    "aircraft-json": AircraftJsonFramer,
}
"""Built-in formats, registered the way a plugin would add one."""

_SUFFIXES = {".bin": "beast", ".beast": "beast", ".avr": "avr", ".raw": "avr",
             ".sbs": "sbs", ".basestation": "sbs", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".json": "aircraft-json"}


def make_framer(fmt: str) -> Framer:
    try:
        return FORMATS[fmt]()
    except KeyError:
        raise DecodeError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})") from None


def detect_format(name: str, head: bytes) -> str:
    """Format of a file from its suffix, else from its first bytes; ``DecodeError`` if
    neither tells."""
    by_suffix = _SUFFIXES.get(Path(name).suffix.lower())
    if by_suffix is not None:
        return by_suffix
    text = head.lstrip()
    if head[:1] == b"\x1a":
        return "beast"
    if text[:1] in (b"*", b"@"):
        return "avr"
    if text.startswith(b"MSG,"):
        return "sbs"
    if text[:1] == b"{":
        return "aircraft-json" if b'"aircraft"' in head and b'"frame"' not in head else "jsonl"
    raise DecodeError("cannot tell the format; give --format", where=name)
