"""From columns with input names (see ``columns``) to a ``Reports`` table, vectorised.

Strict for structure, lenient per row: a missing required column or a time that cannot be
read stops the file with a ``TrafficFormatError`` that says where; a row whose position is
out of range or whose address is malformed keeps its place with nulls and is counted in
``ReadStats``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from skyfence.errors import TrafficFormatError
from skyfence.readers.columns import REQUIRED, TIME_UNITS, UNIT_SUFFIXES, target_of
from skyfence.schema.reports import REPORTS, TIME_TYPE
from skyfence.schema.types import conform

__all__ = ["DICTIONARY_INPUTS", "Locate", "ReadStats", "check_required", "rebatch", "to_reports"]

# Input names whose text columns ``to_reports`` converts once per distinct value: a reader
# may hand them over dictionary-encoded (Parquet's own dictionary pages) to skip the hashing.
DICTIONARY_INPUTS = frozenset({"icao24", "target_id", "callsign", "squawk"})

# Locate(i) -> keyword arguments of TrafficFormatError naming row i of the batch
Locate = Callable[[int], dict[str, Any]]

# Epoch magnitudes used to guess the unit of a bare number: 1e11 s is the year 5138, 1e11 ms
# is March 1973; 1e14 us is 1973 too. Recorded traffic is never before 1973.
_MS_ABOVE = 1e11
_US_ABOVE = 1e14
_ZONE = r"(Z|z|[+-]\d\d(:?\d\d)?)$"
_ICAO = r"^[0-9a-f]{6}$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_SQUAWK = r"^[0-7]{4}$"  # four octal digits


@dataclass
class ReadStats:
    """What a read did besides yielding rows; pass one to ``read_traffic(stats=...)``."""

    format: str | None = None
    rows: int = 0
    chunks: int = 0
    invalid_positions: int = 0  # lat/lon out of range, not finite, or one of them missing
    invalid_ids: int = 0  # an address that is not 6 hex digits: target_id left null
    ignored_columns: set[str] = field(default_factory=set)


def _floats(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """float64 with NaN and infinities as nulls (pandas writes NaN for missing)."""
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.float64())
    a = arr if arr.type == pa.float64() else pc.cast(arr, pa.float64())
    finite = pc.is_finite(a)
    if finite.false_count == 0:
        return a
    return pc.if_else(finite, a, pa.scalar(None, pa.float64()))


def _first_bad(values: pa.Array, ok: Callable[[pa.Array], Any]) -> int:
    """Index of the first element of ``values`` that ``ok`` refuses (error path only)."""
    for i in range(len(values)):
        try:
            ok(values.slice(i, 1))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
            return i
    return 0


def _iso_times(s: pa.Array) -> pa.Array:
    zoned = pc.match_substring_regex(s, _ZONE)
    none = pa.scalar(None, pa.string())
    with_zone = pc.cast(pc.if_else(zoned, s, none), TIME_TYPE)
    naive = pc.cast(pc.cast(pc.if_else(zoned, none, s), pa.timestamp("us")), TIME_TYPE)
    return pc.coalesce(with_zone, naive)


def _epoch_times(num: pa.Array, seconds_per_unit: float | None) -> pa.Array:
    if seconds_per_unit is None:
        peak = pc.max(pc.abs(num)).as_py() or 0
        seconds_per_unit = 1e-6 if peak > _US_ABOVE else 1e-3 if peak > _MS_ABOVE else 1.0
    factor = round(seconds_per_unit * 1e6)
    if pa.types.is_integer(num.type):
        us = pc.multiply_checked(pc.cast(num, pa.int64()), factor)
    else:
        us = pc.cast(pc.round(pc.multiply(_floats(num), float(factor))), pa.int64())
    return pc.cast(us, pa.timestamp("us")).cast(TIME_TYPE)


def _convert_times(arr: pa.Array, unit: float | None) -> pa.Array:
    if pa.types.is_timestamp(arr.type):
        a = arr if arr.type.tz else arr.cast(pa.timestamp(arr.type.unit, tz="UTC"))
        return a.cast(TIME_TYPE)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        # numbers written as text (CSV) are epoch times, the rest ISO 8601, row by row
        s = pc.utf8_trim_whitespace(arr)
        numeric = pc.match_substring_regex(s, _NUMBER)
        none = pa.scalar(None, pa.string())
        epoch = _epoch_times(pc.cast(pc.if_else(numeric, s, none), pa.float64()), unit)
        return pc.coalesce(epoch, _iso_times(pc.if_else(numeric, none, s)))
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return _epoch_times(arr, unit)
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), TIME_TYPE)
    raise TypeError(arr.type)


def _times(arr: pa.Array, name: str, locate: Locate) -> pa.Array:
    unit = TIME_UNITS[name]
    try:
        out = _convert_times(arr, unit)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError) as exc:
        i = _first_bad(arr, lambda v: _convert_times(v, unit))
        raise TrafficFormatError(
            f"unparseable time {arr[i].as_py()!r}: expected ISO 8601 or epoch seconds",
            field=name,
            **locate(i),
        ) from exc
    if out.null_count:
        i = pc.index(pc.is_null(out), True).as_py()
        raise TrafficFormatError("missing time: every report needs one", field=name, **locate(i))
    return out


def _target_ids(arr: pa.Array, stats: ReadStats) -> tuple[pa.Array, pa.Array]:
    """``icao24`` -> (target_id, id_kind), computed once per distinct address."""
    enc = _distinct(arr)
    h = pc.utf8_lower(pc.utf8_trim_whitespace(enc.dictionary))
    non_icao = pc.starts_with(h, "~")
    h = pc.if_else(non_icao, pc.utf8_slice_codeunits(h, 1), h)
    ok = pc.match_substring_regex(h, _ICAO)
    stats.invalid_ids += ok.take(enc.indices).false_count
    kind = pc.if_else(non_icao, "non_icao", "icao")
    kind = pc.if_else(ok, kind, pa.scalar(None, pa.string()))
    tid = pc.binary_join_element_wise(kind, h, ":")
    return tid.take(enc.indices), kind.take(enc.indices)


def _distinct(arr: pa.Array) -> pa.DictionaryArray:
    """``arr`` as strings, dictionary-encoded: as given when it already is (with no more
    dictionary entries than rows), otherwise hashed here."""
    if pa.types.is_dictionary(arr.type) and len(arr.dictionary) <= len(arr):
        values = arr.type.value_type
        if pa.types.is_string(values):
            return arr
        if pa.types.is_large_string(values):
            return pa.DictionaryArray.from_arrays(arr.indices, pc.cast(arr.dictionary, pa.string()))
    enc: pa.DictionaryArray = pc.cast(arr, pa.string()).dictionary_encode()
    return enc


def _per_distinct(arr: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` (element-wise, null to null) applied once per distinct string: callsigns and
    squawks repeat over a target's reports, and the regular expressions cost more than
    the hashing."""
    enc = _distinct(arr)
    return fn(enc.dictionary).take(enc.indices)


def _id_kinds(tid: pa.Array) -> pa.Array:
    """The ``kind`` of ``kind:id`` target ids (null when there is no colon)."""
    kind = pc.replace_substring_regex(tid, r"^([^:]+):.*$", r"\1")
    return pc.if_else(pc.equal(kind, tid), pa.scalar(None, pa.string()), kind)


def _squawk_strings(s: pa.Array) -> pa.Array:
    s = pc.utf8_trim_whitespace(s)
    s = pc.utf8_lpad(pc.replace_substring_regex(s, r"\.0*$", ""), 4, "0")
    return pc.if_else(pc.match_substring_regex(s, _SQUAWK), s, pa.scalar(None, pa.string()))


def _squawks(arr: pa.Array) -> pa.Array:
    if pa.types.is_floating(arr.type):
        arr = pc.cast(pc.round(_floats(arr)), pa.int64())
    return _per_distinct(arr, _squawk_strings)


def _callsign_strings(s: pa.Array) -> pa.Array:
    s = pc.utf8_trim_whitespace(s)
    return pc.if_else(pc.equal(pc.utf8_length(s), 0), pa.scalar(None, pa.string()), s)


def _callsigns(arr: pa.Array) -> pa.Array:
    return _per_distinct(arr, _callsign_strings)


def _within(a: pa.Array, low: float, high: float) -> bool:
    """Whether every value of ``a`` (no NaN: see ``_floats``) lies in [low, high]."""
    if not a.null_count:
        v = a.to_numpy(zero_copy_only=True)
        return len(v) == 0 or bool(v.min() >= low and v.max() <= high)
    mm = pc.min_max(a)
    least, most = mm["min"].as_py(), mm["max"].as_py()
    return least is None or (least >= low and most <= high)


def _positions(cols: dict[str, pa.Array], stats: ReadStats) -> None:
    """Null the positions out of range or with one coordinate missing, and count them."""
    lat, lon = cols["lat"], cols["lon"]
    null = pa.scalar(None, pa.float64())
    if _within(lat, -90.0, 90.0) and _within(lon, -180.0, 180.0):
        # the common case, decided without a pass per row: only a lone coordinate is invalid
        if not lat.null_count and not lon.null_count:
            return
        both = pc.and_(pc.is_null(lat), pc.is_null(lon)).true_count
        lone = lat.null_count + lon.null_count - 2 * both
        if lone:
            stats.invalid_positions += lone
            present = pc.and_(pc.is_valid(lat), pc.is_valid(lon))
            cols["lat"] = pc.if_else(present, lat, null)
            cols["lon"] = pc.if_else(present, lon, null)
        return
    ok = pc.and_kleene(
        pc.and_kleene(pc.greater_equal(lat, -90.0), pc.less_equal(lat, 90.0)),
        pc.and_kleene(pc.greater_equal(lon, -180.0), pc.less_equal(lon, 180.0)),
    )
    # one coordinate without the other is no position either
    ok = pc.if_else(pc.and_(pc.is_null(lat), pc.is_null(lon)), None, pc.fill_null(ok, False))
    stats.invalid_positions += int(pc.sum(pc.invert(ok)).as_py() or 0)
    cols["lat"] = pc.if_else(pc.fill_null(ok, False), lat, null)
    cols["lon"] = pc.if_else(pc.fill_null(ok, False), lon, null)


def _degrees_360(a: pa.Array) -> pa.Array:
    """Angles into [0, 360): some recordings carry tracks as -180..180."""
    return pc.subtract(a, pc.multiply(pc.floor(pc.divide(a, 360.0)), 360.0))


def check_required(names: Iterable[str], found: Iterable[str] | None = None) -> None:
    """Raise ``TrafficFormatError`` unless input names give a time, an identity and a
    position; ``found`` (the source columns) is quoted in the message."""
    have = set(names)
    need = [
        ("time", TIME_UNITS.keys()),
        ("icao24", ("icao24", "target_id")),
        ("lat", ("lat",)),
        ("lon", ("lon",)),
    ]
    for label, options in need:
        if not have & set(options):
            hint = f" (found {', '.join(found)}; a column mapping can name it)" if found else ""
            raise TrafficFormatError(f"missing required column {label!r}{hint}", field=label)


def to_reports(
    source_cols: Mapping[str, pa.Array | pa.ChunkedArray],
    *,
    source: str,
    stats: ReadStats,
    locate: Locate,
    columns: frozenset[str] | None = None,
) -> pa.Table:
    """Convert columns keyed by input name to a ``Reports`` table (SI, nulls, ids); with
    ``columns``, only those ``Reports`` columns and the required ones (``REQUIRED``)."""
    raw = {
        k: v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v
        for k, v in source_cols.items()
    }
    n = len(next(iter(raw.values()))) if raw else 0
    check_required(raw)
    time_names = [k for k in raw if k in TIME_UNITS]
    cols: dict[str, pa.Array] = {"time": _times(raw.pop(time_names[0]), time_names[0], locate)}
    icao24 = raw.pop("icao24", None)
    for name, arr in raw.items():
        target = target_of(name)
        if target is None or target in cols:
            continue
        factor = 1.0
        for suffix, (_, f) in UNIT_SUFFIXES.items():
            if name.endswith(suffix):
                factor = f
        ftype = REPORTS.field(target).type
        if target == "squawk":
            cols[target] = _squawks(arr)
        elif target == "callsign":
            cols[target] = _callsigns(arr)
        elif pa.types.is_float64(ftype):
            a = _floats(arr)
            cols[target] = pc.multiply(a, factor) if factor != 1.0 else a
        elif pa.types.is_null(arr.type):
            cols[target] = pa.nulls(n, ftype)
        elif target == "target_id":
            cols[target] = arr if pa.types.is_dictionary(arr.type) else pc.cast(arr, ftype)
        else:
            cols[target] = pc.cast(arr, ftype)
    wanted = None if columns is None else columns | REQUIRED
    if "target_id" in cols and "id_kind" not in cols and (wanted is None or "id_kind" in wanted):
        cols["id_kind"] = _per_distinct(cols["target_id"], _id_kinds)
    if "target_id" in cols and pa.types.is_dictionary(cols["target_id"].type):
        tids = cols["target_id"]
        cols["target_id"] = pc.cast(tids.dictionary, pa.string()).take(tids.indices)
    if icao24 is not None:  # fills the rows without a target_id
        tid, kind = _target_ids(icao24, stats)
        if "target_id" in cols:
            tid = pc.coalesce(cols["target_id"], tid)
            kind = pc.coalesce(cols["id_kind"], kind) if "id_kind" in cols else kind
        cols["target_id"], cols["id_kind"] = tid, kind
    for angle in ("track_deg", "heading_deg"):
        if angle in cols:
            cols[angle] = _degrees_360(cols[angle])
    _positions(cols, stats)
    if wanted is None or "source" in wanted:
        src = pa.repeat(pa.scalar(source, pa.string()), n)
        cols["source"] = pc.coalesce(cols["source"], src) if "source" in cols else src
    schema = REPORTS
    if wanted is not None:
        schema = pa.schema([f for f in REPORTS if f.name in wanted])
        cols = {k: v for k, v in cols.items() if k in wanted}
    table = conform(pa.table(cols), schema)
    stats.rows += table.num_rows
    return table


def rebatch(tables: Iterable[pa.Table], chunk_rows: int, stats: ReadStats) -> Iterator[pa.Table]:
    """Regroup tables into chunks of exactly ``chunk_rows`` rows (the last one shorter)."""
    pending: list[pa.Table] = []
    count = 0
    for t in tables:
        pending.append(t)
        count += t.num_rows
        while count >= chunk_rows:
            whole = pa.concat_tables(pending)
            out, rest = whole.slice(0, chunk_rows), whole.slice(chunk_rows)
            stats.chunks += 1
            yield out.combine_chunks()
            pending, count = [rest], rest.num_rows
    if count:
        stats.chunks += 1
        yield pa.concat_tables(pending).combine_chunks()
