"""Sources and framers: bytes from files or receivers in, ``FrameBatch`` or ``Reports`` out.

One module per wire format (``beast``, ``avr``, ``jsonl``, ``sbs``, ``aircraft_json``), each
opening with its layout; ``registry.FORMATS`` maps format names to framers. ``FileSource`` and
``TcpSource`` implement the one-method ``Source`` protocol (``batches()``).
"""

from skyfence.ingest.base import MLAT_HZ, Batch, FrameBatch, Framer, FramerStats, Source
from skyfence.ingest.files import FileSource
from skyfence.ingest.registry import FORMATS, detect_format, make_framer
from skyfence.ingest.tcp import TcpSource, parse_tcp_url

__all__ = [
    "FORMATS",
    "MLAT_HZ",
    "Batch",
    "FileSource",
    "FrameBatch",
    "Framer",
    "FramerStats",
    "Source",
    "TcpSource",
    "detect_format",
    "make_framer",
    "parse_tcp_url",
]
