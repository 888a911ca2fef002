"""JSON arrays of state vectors, as the traffic library ships its samples (``.json.gz``).

Layout: ``[{"timestamp": 1633608773000, "icao24": "0101de", "latitude": 48.48,
"longitude": 3.83, "altitude": 13650.0, "groundspeed": 325.0, "track": 311.1,
"vertical_rate": -896.0, "callsign": "MSR799", "squawk": "1000", "onground": false}, ...]``

- ``timestamp``: epoch milliseconds in every sample (an ISO string or epoch seconds would
  be recognised too); ``altitude``/``geoaltitude`` ft; ``groundspeed``, ``IAS``, ``TAS`` kt;
  ``vertical_rate`` ft/min; ``track``/``heading`` degrees (some samples use -180..180);
- ``squawk`` is a string, an integer or a float depending on the sample; other keys
  (``origin``, ``hour``, ``last_position``, ``roll``, ...) are ignored;
- a few samples are pandas' ``orient="columns"`` dumps: ``{"timestamp": {"0": ...}, ...}``.

Reading: a compact array (``},{`` between records, as pandas and traffic write it) streams in
blocks of ``BLOCK_BYTES`` that pyarrow parses as JSON lines once the separators are turned
into newlines. Anything else (pretty-printed arrays, a column of mixed types, the
``columns`` orientation) is parsed by the standard library, which needs the whole file in
memory (about 10x its decompressed size); rows already yielded by the fast path are skipped.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.json as pajson

from skyfence.errors import TrafficFormatError
from skyfence.readers.normalise import to_reports
from skyfence.readers.records import KeyChooser, columns_from_records, columns_from_values
from skyfence.readers.registry import ReadOptions, open_binary

__all__ = ["read", "sniff"]

BLOCK_BYTES = 16 << 20
SLOW_BATCH = 64 * 1024  # records per batch on the slow path
_SEP = b"},{"
_COLUMNS_ORIENT = re.compile(rb'\s*\{\s*"[^"]*"\s*:\s*\{\s*"[^"]*"\s*:')


def sniff(head: bytes, path: Path) -> bool:
    start = head.lstrip()[:1]
    if start == b"[":
        return True
    # pandas orient="columns": the first value is an object keyed by row index
    return _COLUMNS_ORIENT.match(head) is not None


class _NotCompact(Exception):
    """The fast path cannot go on: fall back to the standard library."""


def _pieces(fh: IO[bytes]) -> Iterator[bytes]:
    """Turn a compact JSON array into JSON-lines pieces, each ending on a whole record."""
    carry = b""
    started = False
    while True:
        data = fh.read(BLOCK_BYTES)
        buf = carry + data
        if not started:
            buf = buf.lstrip()
            if not buf and data:
                continue
            if not buf.startswith(b"["):
                raise _NotCompact
            buf, started = buf[1:], True
        if not data:
            body = buf.rstrip()
            if not body.endswith(b"]"):
                raise _NotCompact  # truncated, or not an array: let the parser say where
            if body[:-1].strip():
                yield body[:-1].replace(_SEP, b"}\n{")
            return
        cut = buf.rfind(_SEP)
        if cut < 0:
            carry = buf
            continue
        yield buf[: cut + 1].replace(_SEP, b"}\n{")
        carry = buf[cut + 2 :]


def _fast(
    path: Path, options: ReadOptions, keys: KeyChooser, done: list[int]
) -> Iterator[pa.Table]:
    parse = pajson.ParseOptions(newlines_in_values=True)
    with open_binary(path) as fh:
        for piece in _pieces(fh):
            try:
                table = pajson.read_json(io.BytesIO(piece), parse_options=parse)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise _NotCompact from exc
            first = done[0]

            def locate(i: int, first: int = first) -> dict[str, Any]:
                return {"item": f"record {first + i + 1}"}

            chosen = keys.choose(table.column_names)
            cols = {chosen[k]: table.column(k) for k in chosen}
            out = to_reports(cols, source=options.source, stats=options.stats, locate=locate)
            done[0] += table.num_rows
            yield out


def _load(path: Path) -> Any:
    with open_binary(path) as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as exc:
            raise TrafficFormatError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
        except UnicodeDecodeError as exc:
            raise TrafficFormatError(f"not UTF-8 text: {exc}") from None


def _slow(path: Path, options: ReadOptions, keys: KeyChooser, skip: int) -> Iterator[pa.Table]:
    data = _load(path)
    if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
        # pandas orient="columns": {column: {row index: value}}
        values = {k: list(v.values()) for k, v in data.items()}
        chosen = keys.choose(values)

        def at(i: int) -> dict[str, Any]:
            return {"item": f"row {i + 1}"}

        cols = columns_from_values(values, chosen, at)
        yield to_reports(cols, source=options.source, stats=options.stats, locate=at)
        return
    if not isinstance(data, list):
        raise TrafficFormatError(f"expected a JSON array of records, found {type(data).__name__}")
    for start in range(skip, len(data), SLOW_BATCH):
        batch = data[start : start + SLOW_BATCH]
        for i, rec in enumerate(batch):
            if not isinstance(rec, dict):
                raise TrafficFormatError(
                    f"expected a JSON object, found {type(rec).__name__}",
                    item=f"record {start + i + 1}",
                )

        def locate(i: int, start: int = start) -> dict[str, Any]:
            return {"item": f"record {start + i + 1}"}

        chosen = keys.choose(dict.fromkeys(k for r in batch for k in r))
        cols = columns_from_records(batch, chosen, locate)
        yield to_reports(cols, source=options.source, stats=options.stats, locate=locate)


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    keys = KeyChooser(options)
    done = [0]  # records yielded by the fast path
    try:
        yield from _fast(path, options, keys, done)
    except _NotCompact:
        yield from _slow(path, options, keys, done[0])
