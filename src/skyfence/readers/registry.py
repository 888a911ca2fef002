"""Traffic formats, registered by name, and :func:`read_traffic` that picks one per file.

Each format is a module exposing ``read(path, options) -> Iterator[pa.Table]`` (the
``TrafficReader`` role: ``Reports`` tables of any size, the registry regroups them into
``chunk_rows``) and ``sniff(head, path) -> bool`` (``head``: the first 64 KiB, decompressed).
Built-ins are registered the same way a third party would register one, with :func:`register`.
"""

from __future__ import annotations

import gzip
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import pyarrow as pa

from skyfence.errors import TrafficFormatError
from skyfence.readers.columns import REQUIRED, check_mapping
from skyfence.readers.normalise import ReadStats, rebatch
from skyfence.schema.reports import REPORTS

__all__ = [
    "FORMATS",
    "ReadOptions",
    "TrafficFormat",
    "TrafficReader",
    "detect_format",
    "open_binary",
    "read_traffic",
    "register",
]

HEAD_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class ReadOptions:
    """What a format reader is told besides the path."""

    source: str  # the value of the ``source`` column: the file name
    mapping: Mapping[str, str] | None = None
    chunk_rows: int = 1_000_000
    stats: ReadStats = field(default_factory=ReadStats)
    # the Reports columns wanted (None: all); formats that can skip source columns (Parquet,
    # CSV) read only those that fill them
    columns: frozenset[str] | None = None


class TrafficReader(Protocol):
    def __call__(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]: ...


@dataclass(frozen=True)
class TrafficFormat:
    name: str
    module: str
    extensions: tuple[str, ...]

    def _attr(self, name: str) -> object:
        return getattr(importlib.import_module(self.module), name)

    @property
    def read(self) -> TrafficReader:
        fn: TrafficReader = self._attr("read")  # type: ignore[assignment]
        return fn

    @property
    def sniff(self) -> Callable[[bytes, Path], bool]:
        fn: Callable[[bytes, Path], bool] = self._attr("sniff")  # type: ignore[assignment]
        return fn


FORMATS: dict[str, TrafficFormat] = {}


def register(name: str, module: str, extensions: Iterable[str] = ()) -> None:
    """Register a traffic format: ``module`` must expose ``read`` and ``sniff``."""
    FORMATS[name] = TrafficFormat(name, module, tuple(e.lower() for e in extensions))


# Order matters for sniffing: magic numbers first, then the most specific JSON shapes.
register("parquet", "skyfence.readers.parquet", (".parquet", ".pq"))
register("readsb", "skyfence.readers.readsb", (".json",))
register("jsonl", "skyfence.readers.jsonl", (".jsonl", ".ndjson", ".json"))
register("traffic-json", "skyfence.readers.traffic_json", (".json",))
register("csv", "skyfence.readers.csvfile", (".csv", ".tsv", ".txt"))


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing gzip whatever the file is called
    (readsb serves gzip-compressed ``trace_full_*.json``)."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _head(path: Path) -> bytes:
    with open_binary(path) as fh:
        try:
            return fh.read(HEAD_BYTES)
        except (OSError, EOFError) as exc:
            raise TrafficFormatError(f"cannot read: {exc}", where=str(path)) from exc


def _extension(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def detect_format(path: str | Path) -> str:
    """Name the format of ``path``: by extension when only one format claims it, otherwise
    (``.json``, unknown extensions) by sniffing the first bytes."""
    p = Path(path)
    ext = _extension(p)
    claim = [f for f in FORMATS.values() if ext in f.extensions]
    if len(claim) == 1:
        return claim[0].name
    head = _head(p)
    for f in claim or FORMATS.values():
        if f.sniff(head, p):
            return f.name
    raise TrafficFormatError(
        f"cannot tell the traffic format: expected one of {', '.join(FORMATS)} "
        "(pass the format explicitly)",
        where=str(p),
    )


def read_traffic(
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int = 1_000_000,
    stats: ReadStats | None = None,
    columns: Iterable[str] | None = None,
) -> Iterator[pa.Table]:
    """Read a recorded traffic file as ``Reports`` chunks of ``chunk_rows`` rows (the last
    one shorter), SI units, nulls for missing values, ``source`` the file name.

    The file, format and mapping are checked now; rows are read as the iterator is consumed.
    Pass a ``ReadStats`` to learn the row count, nulled positions and ignored columns.
    ``columns`` (``Reports`` column names) limits the tables to those columns, plus time,
    ``target_id``, ``lat`` and ``lon``, in ``Reports`` order; Parquet and CSV then read
    only the source columns that fill them (an audit reads a dozen of the 40).
    Raises ``TrafficFormatError`` naming the file and line, record or field.
    """
    p = Path(path)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    if not p.is_file():
        raise TrafficFormatError("no such file", where=str(p))
    name = fmt if fmt is not None else detect_format(p)
    if name not in FORMATS:
        raise TrafficFormatError(
            f"unknown traffic format {name!r}: expected one of {', '.join(FORMATS)}", where=str(p)
        )
    if mapping is not None:
        check_mapping(mapping)
    wanted = None
    if columns is not None:
        wanted = frozenset(columns)
        unknown = sorted(wanted - set(REPORTS.names))
        if unknown:
            raise ValueError(f"not Reports columns: {', '.join(unknown)}")
    st = stats if stats is not None else ReadStats()
    st.format = name
    options = ReadOptions(source=p.name, mapping=mapping, chunk_rows=chunk_rows, stats=st,
                          columns=wanted)
    chunks = rebatch(FORMATS[name].read(p, options), chunk_rows, st)
    if wanted is not None:
        keep = [c for c in REPORTS.names if c in wanted or c in REQUIRED]
        chunks = (t.select(keep) for t in chunks)
    return _located(p, chunks)


def _located(path: Path, chunks: Iterator[pa.Table]) -> Iterator[pa.Table]:
    where = str(path)
    try:
        yield from chunks
    except TrafficFormatError as exc:
        located = exc.located(where)
        if located is exc:
            raise
        raise located from exc.__cause__
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
        OSError,
        EOFError,
        UnicodeDecodeError,
    ) as exc:
        raise TrafficFormatError(f"cannot read as traffic: {exc}", where=where) from exc

# Drones and non-cooperative targets (issue 7): Remote ID sniffer logs and sensor plots.
# They share .jsonl with the generic reader (``_extension`` sees only the last suffix of
# ``x.rid.jsonl``), so those files are sniffed, these specific shapes first.
register("remoteid", "skyfence.remoteid.reader", (".jsonl", ".ndjson"))
register("plots", "skyfence.plots.reader", (".jsonl",))  # CSV plots: --format plots
register("asterix", "skyfence.plots.asterix", (".ast", ".asterix"))  # CAT048 data blocks
for _generic in ("jsonl", "traffic-json", "csv"):
    FORMATS[_generic] = FORMATS.pop(_generic)
