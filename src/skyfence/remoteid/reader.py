"""Remote ID sniffer logs as a traffic format (``*.rid.jsonl``): ``skyfence audit`` reads them.

One JSON object per line, as Wi-Fi (Beacon/NAN) and Bluetooth (legacy/long range) sniffers
export the Remote ID payload they received::

    {"time": "2025-06-01T10:00:00.125Z", "receiver": "rx1", "mac": "60:60:1f:aa:bb:cc",
     "payload": "0d1031353831463546..."}

- ``time``: receive time, ISO 8601 with a zone (``Z``) or Unix epoch seconds; required.
- ``payload``: hex of the ODID message: one 25-byte message or a Message Pack (type 0xF),
  starting at the message header byte (strip the Wi-Fi/Bluetooth framing and the 1-byte
  message counter first); spaces and ``0x`` are tolerated. Required.
- ``mac``: transmitter address; optional, but without it messages of one aircraft can only
  be joined inside a Message Pack.
- ``receiver`` and any other keys are ignored.

The whole file is decoded at once (identity and operator position are joined across
messages); a line that is not valid JSON or lacks ``time``/``payload`` raises
``TrafficFormatError`` with its line number; a payload that does not decode is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from skyfence.errors import TrafficFormatError
from skyfence.readers.registry import ReadOptions, open_binary
from skyfence.remoteid.assemble import to_reports
from skyfence.remoteid.messages import decode_payloads
from skyfence.schema.reports import TIME_TYPE

__all__ = ["parse_time", "read", "read_records", "sniff"]


def sniff(head: bytes, path: Path) -> bool:
    for line in head.split(b"\n")[:3]:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return False
        return isinstance(obj, dict) and isinstance(obj.get("payload"), str) and "time" in obj
    return False


def parse_time(values: list[Any]) -> pa.Array:
    """ISO 8601 strings with a zone, or epoch seconds, to UTC microseconds."""
    out = []
    for v in values:
        if isinstance(v, int | float):
            out.append(pa.scalar(round(v * 1e6), pa.int64()).cast(pa.timestamp("us")).as_py())
        else:
            out.append(None)
    numeric = pa.array(out, pa.timestamp("us")).cast(TIME_TYPE)
    text = pa.array([v if isinstance(v, str) else None for v in values], pa.string())
    text = pc.replace_substring_regex(text, "[zZ]$", "+00:00")
    return pc.coalesce(numeric, pc.cast(text, TIME_TYPE))


def read_records(lines: list[bytes]) -> tuple[pa.Array, list[str | None], list[bytes]]:
    """(times, macs, payloads) of sniffer lines; raises ``TrafficFormatError``."""
    times: list[Any] = []
    macs: list[str | None] = []
    payloads: list[bytes] = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            hexa = str(obj["payload"]).replace(" ", "").removeprefix("0x")
            payloads.append(bytes.fromhex(hexa))
            times.append(obj["time"])
        except (ValueError, TypeError) as exc:
            raise TrafficFormatError(f"not a Remote ID record: {exc}", line=no) from None
        except KeyError as exc:
            raise TrafficFormatError("missing key", line=no, field=str(exc.args[0])) from None
        mac = obj.get("mac")
        macs.append(str(mac).lower() if mac else None)
    try:
        t = parse_time(times)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise TrafficFormatError(f"unparseable time: {exc}", field="time") from None
    if t.null_count:
        raise TrafficFormatError("missing or unparseable time", field="time")
    return t, macs, payloads


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    with open_binary(path) as fh:
        lines = fh.read().split(b"\n")
    times, macs, payloads = read_records(lines)
    reports = to_reports(decode_payloads(payloads), times, macs, source=options.source)
    options.stats.rows += reports.num_rows
    yield reports
