"""Delimited text: OpenSky state vectors, skyfence's own columns, or any CSV with a mapping.

Layout: one header line naming the columns, one report per line, ``,`` (or tab/``;``,
guessed from the header) between fields, empty fields missing. Recognised without a mapping:

- OpenSky state vectors (``time, icao24, lat, lon, velocity, heading, vertrate, callsign,
  onground, alert, spi, squawk, baroaltitude, geoaltitude, lastposupdate, lastcontact[,
  hour]``): time epoch seconds, altitudes m, velocity and vertrate m/s, heading = track;
- skyfence's own column names (``time, target_id, lat, lon, alt_baro_m, ...``).

Anything else needs ``mapping={"ts": "time", "hex": "icao24", "alt_ft": "alt_baro_ft"}``.

Streams with ``pyarrow.csv.open_csv``: memory is bounded by the block size, not the file.
Every selected column is read with a fixed type (strings for ids, squawks and times), so a
column that looks numeric in the first block cannot change type later.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from skyfence.errors import TrafficFormatError
from skyfence.readers.columns import arrow_type_of, choose_columns, restrict
from skyfence.readers.normalise import check_required, to_reports
from skyfence.readers.registry import ReadOptions, open_binary

__all__ = ["read", "sniff"]

BLOCK_BYTES = 1 << 20  # pyarrow's default; larger blocks made it hold several times more
_TRUE = ["1", "True", "TRUE", "true", "t", "T"]
_FALSE = ["0", "False", "FALSE", "false", "f", "F"]
_NULLS = pacsv.ConvertOptions().null_values


def sniff(head: bytes, path: Path) -> bool:
    line = head.split(b"\n", 1)[0]
    return bool(line) and line.isascii() and any(d in line for d in (b",", b"\t", b";"))


def _header(path: Path) -> tuple[list[str], str]:
    with open_binary(path) as fh:
        first = fh.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not first.strip():
        raise TrafficFormatError("empty file or empty header line: expected column names", line=1)
    delimiter = max(",\t;", key=first.count)
    names = next(csv.reader([first], delimiter=delimiter))
    return [n.strip() for n in names], delimiter


def _stream(path: Path) -> pa.NativeFile:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return pa.input_stream(str(path), compression="gzip" if gz else None)


def _bad_value(value: str, typ: pa.DataType) -> bool:
    if value in _NULLS or pa.types.is_string(typ):
        return False
    if pa.types.is_boolean(typ):
        return value not in _TRUE and value not in _FALSE
    try:
        float(value) if pa.types.is_floating(typ) else int(value)
    except ValueError:
        return True
    return False


def _locate(path: Path, delimiter: str, names: list[str], types: dict[str, pa.DataType]) -> Any:
    """Find the first line pyarrow refused (its messages carry no line number): error path."""
    with open_binary(path) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="replace", newline="")
        rows = csv.reader(text, delimiter=delimiter)
        next(rows, None)
        for row in rows:
            line = rows.line_num
            if len(row) != len(names):
                return TrafficFormatError(
                    f"expected {len(names)} fields, found {len(row)}", line=line
                )
            for name, value in zip(names, row, strict=True):
                typ = types.get(name)
                if typ is not None and _bad_value(value.strip(), typ):
                    return TrafficFormatError(
                        f"cannot read {value!r} as {typ}", line=line, field=name
                    )
    return None


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    names, delimiter = _header(path)
    chosen, ignored = choose_columns(names, options.mapping)
    options.stats.ignored_columns.update(ignored)
    chosen = restrict(chosen, options.columns)
    check_required(chosen.values(), names)
    types = {src: arrow_type_of(name) for src, name in chosen.items()}
    convert = pacsv.ConvertOptions(
        include_columns=list(chosen),
        column_types=types,
        true_values=_TRUE,
        false_values=_FALSE,
        strings_can_be_null=True,
    )
    reader_options = pacsv.ReadOptions(block_size=BLOCK_BYTES)
    parse = pacsv.ParseOptions(delimiter=delimiter)
    rows_before = 0
    try:
        reader = pacsv.open_csv(
            _stream(path), read_options=reader_options, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            first_line = 2 + rows_before  # the header is line 1; one report per line

            def locate(i: int, first_line: int = first_line) -> dict[str, Any]:
                return {"line": first_line + i}

            cols = {chosen[src]: batch.column(src) for src in chosen}
            yield to_reports(cols, source=options.source, stats=options.stats, locate=locate,
                         columns=options.columns)
            rows_before += batch.num_rows
    except pa.ArrowInvalid as exc:
        located = _locate(path, delimiter, names, types)
        if located is None:
            raise TrafficFormatError(f"cannot read as CSV: {exc}") from exc
        raise located from exc
