"""Output buffers of the decoder and their conversion to a ``Reports`` table.

Each family writes its values into whole numpy columns at the rows it owns. Inside the
decoder a float NaN or an integer ``-1`` means "not decoded"; they become Arrow nulls here and
never leave the decoder as numbers. A row with an error keeps only its time, error and
reception columns (MLAT ticks, signal); everything else is null. Text columns are fixed-width
byte matrices turned into Arrow string arrays straight from buffers (no Python string per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.decode.cpr import AMBIGUITIES, DECODINGS
from skyfence.schema import REPORTS

__all__ = ["ERRORS", "MAX_TIME_S", "Out", "ok_time", "string_array"]

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]

ERRORS = (
    "",
    "bad length",
    "crc",
    "unsupported df",
    "non-icao address",
    "unsupported cf",
    "unconfirmed address",
    "bad time",
)
"""Error codes of the ``error`` column; index 0 means no error (null). ``bad time``: a
reception time that is not a finite number of seconds between 1970 and 2286; since ``time``
may not be null, such a row carries the epoch (1970-01-01) as its time."""

MAX_TIME_S = 1e10
"""Year 2286: beyond any receiver clock, and well inside ``datetime64[us]``."""

_FLOATS = (
    "lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "track_deg", "vrate_mps",
    "ias_mps", "tas_mps", "heading_deg", "geo_minus_baro_m", "signal_dbfs",
)
_INT8S = ("df", "tc", "nic", "nacp", "sil", "adsb_version", "nic_supplement", "on_ground")

_HEXDIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEXPAIRS = np.stack([_HEXDIGITS[np.arange(256) >> 4], _HEXDIGITS[np.arange(256) & 15]], axis=1)
_PREFIX = np.frombuffer(b"icao:", dtype=np.uint8)
_ICAO = np.frombuffer(b"icao", dtype=np.uint8)


def _nan(n: int) -> F64:
    return np.full(n, np.nan)


@dataclass
class Out:
    """Columns being filled for ``n`` frames."""

    n: int
    icao: npt.NDArray[np.uint32] = field(init=False)
    error: I8 = field(init=False)
    f: dict[str, F64] = field(init=False)
    i8: dict[str, I8] = field(init=False)
    callsign: npt.NDArray[np.uint8] = field(init=False)
    squawk: npt.NDArray[np.uint8] = field(init=False)
    category: npt.NDArray[np.uint8] = field(init=False)
    emergency: I8 = field(init=False)
    mlat_ticks: npt.NDArray[np.int64] = field(init=False)
    # CPR fields handed from the position family to the CPR resolver (not output columns):
    # kind -1 none, 0 airborne, 1 surface; odd 0/1; lat/lon the 17-bit encoded values
    cpr_kind: I8 = field(init=False)
    cpr_odd: I8 = field(init=False)
    cpr_lat: npt.NDArray[np.int32] = field(init=False)
    cpr_lon: npt.NDArray[np.int32] = field(init=False)
    nic_b: I8 = field(init=False)  # ME bit 8 of airborne positions (see ``integrity``)
    # how the CPR resolver placed each position (``cpr.DECODINGS``/``cpr.AMBIGUITIES``, -1)
    cpr_decoding: I8 = field(init=False)
    cpr_ambiguity: I8 = field(init=False)

    def __post_init__(self) -> None:
        n = self.n
        self.icao = np.zeros(n, dtype=np.uint32)
        self.error = np.zeros(n, dtype=np.int8)
        self.f = {name: _nan(n) for name in _FLOATS}
        self.i8 = {name: np.full(n, -1, dtype=np.int8) for name in _INT8S}
        self.callsign = np.zeros((n, 8), dtype=np.uint8)
        self.squawk = np.zeros((n, 4), dtype=np.uint8)
        self.category = np.zeros((n, 2), dtype=np.uint8)
        self.emergency = np.full(n, -1, dtype=np.int8)
        self.mlat_ticks = np.full(n, -1, dtype=np.int64)
        self.cpr_kind = np.full(n, -1, dtype=np.int8)
        self.cpr_odd = np.zeros(n, dtype=np.int8)
        self.cpr_lat = np.zeros(n, dtype=np.int32)
        self.cpr_lon = np.zeros(n, dtype=np.int32)
        self.nic_b = np.full(n, -1, dtype=np.int8)
        self.cpr_decoding = np.full(n, -1, dtype=np.int8)
        self.cpr_ambiguity = np.full(n, -1, dtype=np.int8)

    def to_table(self, times: F64, emergency_names: tuple[str, ...],
                 source: str | None = None) -> pa.Table:
        """The ``Reports`` table of this batch (columns not filled here are null)."""
        ok = self.error == 0
        self._clear(np.flatnonzero(~ok))
        cols: dict[str, pa.Array] = {
            "time": pa.array((np.where(ok_time(times), times, 0.0) * 1e6).round().astype(
                "datetime64[us]"), REPORTS.field("time").type),
            "target_id": string_array(self._target_ids(), ok),
            "id_kind": string_array(np.broadcast_to(_ICAO, (self.n, 4)), ok),
        }
        for name, v in self.f.items():
            cols[name] = pa.array(v, mask=np.isnan(v))
        for name, iv in self.i8.items():
            cols[name] = pa.array(iv, mask=iv < 0)
        cols["on_ground"] = cols["on_ground"].cast(pa.bool_())
        cols["callsign"] = _text(self.callsign)
        cols["squawk"] = string_array(self.squawk, self.squawk[:, 0] != 0)
        cols["category"] = string_array(self.category, self.category[:, 0] != 0)
        cols["emergency"] = _dictionary(self.emergency, emergency_names)
        cols["mlat_ticks"] = pa.array(self.mlat_ticks, mask=self.mlat_ticks < 0)
        cols["cpr_decoding"] = _dictionary(self.cpr_decoding, DECODINGS)
        cols["cpr_ambiguity"] = _dictionary(self.cpr_ambiguity, AMBIGUITIES)
        cols["error"] = _dictionary(np.where(ok, -1, self.error).astype(np.int8), ERRORS)
        if source:
            label = np.frombuffer(source.encode("utf-8"), dtype=np.uint8)
            cols["source"] = string_array(np.broadcast_to(label, (self.n, label.size)),
                                          np.ones(self.n, dtype=np.bool_))
        # straight into the schema's order and types; columns no decoder fills stay null
        arrays = [cols[f.name] if f.name in cols else pa.nulls(self.n, f.type)
                  for f in REPORTS]
        return pa.Table.from_arrays(arrays, schema=REPORTS)

    def _clear(self, rows: npt.NDArray[np.intp]) -> None:
        """Blank what was decoded on error rows (an unconfirmed reply had been decoded)."""
        if rows.size == 0:
            return
        for name, v in self.f.items():
            if name != "signal_dbfs":  # a property of the reception, not of the frame
                v[rows] = np.nan
        for iv in self.i8.values():
            iv[rows] = -1
        for chars in (self.callsign, self.squawk, self.category):
            chars[rows] = 0
        self.emergency[rows] = -1
        self.cpr_decoding[rows] = -1
        self.cpr_ambiguity[rows] = -1

    def _target_ids(self) -> npt.NDArray[np.uint8]:
        """``icao:`` and six lower-case hex digits per row, two digits per address byte."""
        chars = np.empty((self.n, 11), dtype=np.uint8)
        chars[:, :5] = _PREFIX
        address = self.icao.astype(">u4").view(np.uint8).reshape(self.n, 4)[:, 1:]
        chars[:, 5:] = _HEXPAIRS[address].reshape(self.n, 6)
        return chars


def ok_time(times: F64) -> npt.NDArray[np.bool_]:
    """Reception times that can be represented (see ``MAX_TIME_S``)."""
    with np.errstate(invalid="ignore"):
        return (times >= 0) & (times < MAX_TIME_S)


def string_array(
    chars: npt.NDArray[np.uint8],
    valid: npt.NDArray[np.bool_],
    lengths: npt.NDArray[np.int64] | None = None,
) -> pa.Array:
    """Arrow strings from a ``(N, W)`` byte matrix: every row ``W`` bytes long, or the first
    ``lengths[i]`` bytes of row ``i``; rows where ``valid`` is false are null."""
    n, width = chars.shape
    offsets = np.empty(n + 1, dtype=np.int32)
    offsets[0] = 0
    if lengths is None:
        data = np.ascontiguousarray(chars).reshape(-1)
        offsets[1:] = np.arange(1, n + 1, dtype=np.int32) * width
    else:
        lengths = np.where(valid, lengths, 0)
        np.cumsum(lengths, out=offsets[1:])
        rows = np.flatnonzero(lengths)
        keep = np.arange(width)[None, :] < lengths[rows, None]
        data = np.ascontiguousarray(chars[rows][keep])
    nulls = int(n - np.count_nonzero(valid))
    validity = pa.array(valid).buffers()[1] if nulls else None
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data),
                                       validity, nulls)


def _text(chars: npt.NDArray[np.uint8]) -> pa.Array:
    """Callsign-like text: trailing spaces dropped, empty or unset rows null."""
    n, width = chars.shape
    lengths = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(chars[:, 0])  # a set row never holds a zero byte
    nonblank = chars[rows] != ord(" ")
    lengths[rows] = np.where(nonblank.any(axis=1),
                             width - np.argmax(nonblank[:, ::-1], axis=1), 0)
    return string_array(chars, lengths > 0, lengths)


def _dictionary(codes: I8, names: tuple[str, ...]) -> pa.Array:
    """Strings from small integer codes (negative: null)."""
    if (codes < 0).all():
        return pa.nulls(codes.size, pa.string())
    return pa.array(list(names)).take(pa.array(codes, mask=codes < 0))
