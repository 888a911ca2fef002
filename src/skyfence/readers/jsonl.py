"""JSON Lines: one JSON object per line, as skyfence writes ``Reports``.

Keys are skyfence's input names (``time`` as ISO 8601 or epoch seconds, ``target_id`` or
``icao24``, ``lat``, ``lon``, ``alt_baro_m``, or unit-suffixed ``alt_baro_ft``, ...; see
``columns``). Lines keyed like the traffic library (``timestamp``, ``latitude``,
``altitude`` in ft, ...: e.g. rs1090's decoded output) are recognised by their names;
``mapping`` renames any other keys. Blank lines are skipped.

Streams: lines are grouped in blocks that pyarrow parses in C++; a block it refuses (mixed
types in a column, a bad line) is parsed again line by line, so a bad line is named.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson

from skyfence.errors import TrafficFormatError
from skyfence.readers.normalise import to_reports
from skyfence.readers.records import KeyChooser, columns_from_records
from skyfence.readers.registry import ReadOptions, open_binary

__all__ = ["read", "sniff"]

BLOCK_LINES = 64 * 1024


def sniff(head: bytes, path: Path) -> bool:
    lines = [ln for ln in head.split(b"\n")[:2] if ln.strip()]
    if not lines or not lines[0].lstrip().startswith(b"{"):
        return False
    try:
        first = json.loads(lines[0])
    except ValueError:
        return False
    return isinstance(first, dict) and not any(isinstance(v, dict | list) for v in first.values())


def _slow(block: list[bytes], lines: list[int]) -> list[dict[str, Any]]:
    records = []
    for text, line in zip(block, lines, strict=True):
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise TrafficFormatError(f"not valid JSON: {exc}", line=line) from None
        if not isinstance(obj, dict):
            raise TrafficFormatError(
                f"expected a JSON object, found {type(obj).__name__}", line=line
            )
        records.append(obj)
    return records


class _Blocks:
    """Turn each block of lines into Reports, the fast way when pyarrow accepts it."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.keys = KeyChooser(options)

    def convert(self, block: list[bytes], lines: list[int]) -> pa.Table:
        def locate(i: int) -> dict[str, Any]:
            return {"line": lines[i]}

        try:
            table = pajson.read_json(
                io.BytesIO(b"\n".join(block)),
                parse_options=pajson.ParseOptions(unexpected_field_behavior="infer"),
            )
            if table.num_rows != len(block):
                raise pa.ArrowInvalid("row count differs from line count")
            chosen = self.keys.choose(table.column_names)
            cols: dict[str, Any] = {chosen[k]: table.column(k) for k in chosen}
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            records = _slow(block, lines)
            keys = list(dict.fromkeys(k for r in records for k in r))
            chosen = self.keys.choose(keys)
            cols = columns_from_records(records, chosen, locate)
        return to_reports(cols, source=self.options.source, stats=self.options.stats, locate=locate)


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    blocks = _Blocks(options)
    size = min(BLOCK_LINES, options.chunk_rows)
    block: list[bytes] = []
    lines: list[int] = []
    with open_binary(path) as fh:
        for number, text in enumerate(fh, 1):
            if not text.strip():
                continue
            block.append(text.rstrip(b"\r\n"))
            lines.append(number)
            if len(block) >= size:
                yield blocks.convert(block, lines)
                block, lines = [], []
    if block:
        yield blocks.convert(block, lines)


def reports_from_lines(lines: list[bytes], source: str) -> pa.Table:
    """Reports from JSON lines already in memory (an HTTP body, a broker message); errors
    name the line within ``lines``."""
    return _Blocks(ReadOptions(source=source)).convert(lines, list(range(1, len(lines) + 1)))
