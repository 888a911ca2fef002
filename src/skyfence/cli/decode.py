"""``skyfence decode SOURCE [--format F] [--out FILE] [--reference LAT,LON]``

SOURCE is a recording (Beast binary, AVR text, SBS-1 CSV, rs1090 JSONL, aircraft.json) or a
live feed ``tcp://HOST:PORT``. Reports go out as JSON Lines (standard output by default), or
CSV or Parquet when ``--out`` ends in ``.csv`` or ``.parquet``. Frames that cannot be decoded
are counted (and kept as rows with ``error`` set); a file with nothing decodable is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
from rich.console import Console

from skyfence.decode import DecoderState, decode_frames
from skyfence.errors import DecodeError, SkyfenceError
from skyfence.ingest import FORMATS, Batch, FileSource, FrameBatch, TcpSource
from skyfence.schema import REPORTS

HELP = "Decode Mode S / ADS-B frames from a file or a tcp:// feed into reports."


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE", help="a file, or tcp://HOST:PORT")
    p.add_argument("--format", choices=list(FORMATS),
                   help="input format (files: detected by default; tcp: beast)")
    p.add_argument("-o", "--out", metavar="FILE",
                   help="output file: .jsonl (default, standard output), .csv or .parquet")
    p.add_argument("--reference", metavar="LAT,LON", type=_latlon,
                   help="receiver position, needed for surface positions")
    p.add_argument("--repair", action="store_true",
                   help="repair single-bit errors in DF 17/18 frames (off by default)")


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON, got {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"out of range: {text!r}")
    return lat, lon


class _Writer:
    """Reports to JSON Lines, CSV or Parquet, batch by batch."""

    def __init__(self, out: str | None, stream: IO[str]) -> None:
        self.kind = Path(out).suffix.lower() if out else ".jsonl"
        self.path = out
        self._sink: Any = None
        try:
            if self.kind == ".parquet":
                import pyarrow.parquet as pq

                self._sink = pq.ParquetWriter(out, REPORTS)
            elif self.kind == ".csv":
                import pyarrow.csv as pacsv

                self._sink = pacsv.CSVWriter(out, REPORTS)
            else:
                self._text = open(out, "w", encoding="utf-8") if out else stream  # noqa: SIM115
        except OSError as exc:
            raise SkyfenceError(f"{out}: cannot write: {exc.strerror}") from None

    def write(self, table: pa.Table) -> None:
        if self._sink is not None:
            self._sink.write_table(table)
            return
        for row in table.to_pylist():
            obj = {k: (v.isoformat() if isinstance(v, datetime) else v)
                   for k, v in row.items() if v is not None}
            self._text.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
        elif self.path:
            self._text.close()


class _Decoder:
    """Batches to Reports, carrying the CPR state and counting bad rows."""

    def __init__(self, reference: tuple[float, float] | None, repair: bool) -> None:
        self.source: str | None = None
        self.state = DecoderState.empty()
        self.reference = reference
        self.repair = repair
        self.rows = 0
        self.bad = 0

    def __call__(self, batch: Batch) -> pa.Table:
        if isinstance(batch, FrameBatch):
            table, self.state = decode_frames(
                batch.frames, batch.lengths, batch.times, reference=self.reference,
                state=self.state, repair=self.repair, source=self.source,
                mlat_ticks=batch.mlat_ticks,
                signal_dbfs=batch.signal_dbfs)
        else:
            table = batch
        self.rows += table.num_rows
        self.bad += table.num_rows - table.column("error").null_count
        return table


def _drain(batches: Iterable[Batch], decoder: _Decoder, writer: _Writer) -> None:
    for batch in batches:
        writer.write(decoder(batch))


async def _drain_live(batches: AsyncIterator[Batch], decoder: _Decoder,
                      writer: _Writer) -> None:
    async for batch in batches:
        writer.write(decoder(batch))


def run(args: argparse.Namespace, console: Console) -> int:
    decoder = _Decoder(args.reference, args.repair)
    writer = _Writer(args.out, console.file)
    live = args.source.startswith("tcp://")
    try:
        if live:
            src = TcpSource.from_url(args.source, args.format or "beast")
            decoder.source = src.fmt
            asyncio.run(_drain_live(src.batches(), decoder, writer))
            stats = src.stats
        else:
            fsrc = FileSource(args.source, args.format)
            decoder.source = fsrc.fmt
            _drain(fsrc, decoder, writer)
            stats = fsrc.framer.stats
    finally:
        writer.close()
    if not live and decoder.rows == decoder.bad and (stats.bad or stats.dropped or decoder.bad
                                                     or stats.skipped_bytes):
        raise DecodeError(f"no decodable {fsrc.fmt} records", where=args.source)
    note = (f"{decoder.rows} reports, {decoder.bad} undecodable frames, {stats.bad} bad "
            f"records, {stats.dropped} over-long records dropped")
    # with reports on standard output, the summary goes to standard error
    (console if args.out else Console(stderr=True)).print(note, highlight=False)
    return 0
