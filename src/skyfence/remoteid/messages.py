"""Frames in, one row per Remote ID message out, dispatched by message type.

``decode_payloads(payloads)`` splits each frame (a single 25-byte message or a Message Pack)
into messages, decodes every type over its whole batch at once with the module that owns its
byte layout (``MESSAGE_TABLE``) and returns a table with one row per message: ``frame`` (the
index of the input frame), ``msg_type``, ``proto_version``, the decoded fields (nulls where a
message type has no such field) and ``error``. A frame that cannot be split gives one row with
``error`` set; nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.remoteid import auth, basic_id, location, operator_id, pack, self_id, system
from skyfence.remoteid.fields import MESSAGE_SIZE, U8, Columns

__all__ = ["MESSAGE_TABLE", "MESSAGE_TYPES", "decode_messages", "decode_payloads"]

MESSAGE_TABLE: dict[int, Callable[[U8], Columns]] = {
    0x0: basic_id.decode,
    0x1: location.decode,
    0x2: auth.decode,
    0x3: self_id.decode,
    0x4: system.decode,
    0x5: operator_id.decode,
}
MESSAGE_TYPES = {0x0: "basic_id", 0x1: "location", 0x2: "auth", 0x3: "self_id",
                 0x4: "system", 0x5: "operator_id", 0xF: "message_pack"}
_MAX_PROTOCOL = 2  # F3411-22a; higher versions may change layouts
_INTEGERS = frozenset({
    "id_type", "auth_type", "auth_page", "auth_last_page", "auth_length", "description_type",
    "classification_type", "area_count", "ua_category", "ua_class", "operator_id_type",
    "h_accuracy", "v_accuracy",
})


def _split(payloads: Sequence[bytes]) -> tuple[U8, npt.NDArray[np.int64], list[str | None]]:
    """Messages as an (m, 25) array, the frame of each, and one error per message."""
    rows: list[bytes] = []
    frames: list[int] = []
    errors: list[str | None] = []
    blank = bytes(MESSAGE_SIZE)
    for i, p in enumerate(payloads):
        if len(p) and p[0] >> 4 == 0xF:
            msgs, err = pack.unpack(p)
        elif len(p) < MESSAGE_SIZE:
            msgs, err = [], f"message of {len(p)} bytes, expected {MESSAGE_SIZE}"
        else:
            msgs, err = [p[:MESSAGE_SIZE]], None
        if err is not None:
            rows.append(blank)
            frames.append(i)
            errors.append(err)
        for m in msgs:
            rows.append(m)
            frames.append(i)
            errors.append(None)
    arr = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(-1, MESSAGE_SIZE)
    return arr, np.array(frames, dtype=np.int64), errors


def decode_messages(
    msgs: U8, frames: npt.NDArray[np.int64], errors: list[str | None]
) -> pa.Table:
    """Decode an (m, 25) array of messages; ``errors`` marks rows that are not messages."""
    n = len(msgs)
    failed = np.array([e is not None for e in errors], dtype=bool)
    mtype = (msgs[:, 0] >> 4).astype(np.int64)
    version = (msgs[:, 0] & 0x0F).astype(np.int64)
    errs = list(errors)
    cols: dict[str, npt.NDArray[np.generic]] = {}
    for t, fn in MESSAGE_TABLE.items():
        sel = np.flatnonzero((mtype == t) & ~failed & (version <= _MAX_PROTOCOL))
        if not len(sel):
            continue
        for name, values in fn(msgs[sel]).items():
            if name not in cols:
                cols[name] = (np.full(n, np.nan) if values.dtype.kind == "f"
                              else np.full(n, None, dtype=object))
            cols[name][sel] = values
    for i in np.flatnonzero(~failed & (version > _MAX_PROTOCOL)):
        errs[i] = f"protocol version {version[i]} not supported (at most {_MAX_PROTOCOL})"
    for i in np.flatnonzero(~failed & ~np.isin(mtype, list(MESSAGE_TABLE))):
        errs[i] = errs[i] or f"unknown message type {mtype[i]:#x}"
    out: dict[str, pa.Array] = {
        "frame": pa.array(frames, pa.int64()),
        "msg_type": pa.array(mtype, pa.int8(), mask=failed),
        "proto_version": pa.array(version, pa.int8(), mask=failed),
    }
    for name, values in cols.items():
        if values.dtype.kind == "f":
            a = pa.array(values, pa.float64(), from_pandas=True)
            out[name] = a.cast(pa.int16()) if name in _INTEGERS else a
        else:
            out[name] = pa.array(values.tolist(), pa.string())
    out["error"] = pa.array(errs, pa.string())
    return pa.table(out)


def decode_payloads(payloads: Sequence[bytes]) -> pa.Table:
    """One row per message of ``payloads`` (single messages or packs), aligned by ``frame``."""
    msgs, frames, errors = _split(payloads)
    return decode_messages(msgs, frames, errors)
