"""JSON records (dicts) to Arrow columns, for the JSON formats that must parse in Python.

pyarrow infers one type per column and refuses a column that mixes them (a squawk that is
``"7000"`` in one record and ``7000`` or ``7000.0`` in the next, as some traffic samples
do). Here each column is built from the values of its key; a mixed column is coerced to
the type its input name asks for, and a value that cannot be coerced names its record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from skyfence.errors import TrafficFormatError
from skyfence.readers.columns import arrow_type_of, choose_columns
from skyfence.readers.normalise import check_required
from skyfence.readers.registry import ReadOptions

__all__ = ["KeyChooser", "columns_from_records", "columns_from_values"]


_TRUE = frozenset({"true", "t", "1", "yes"})
_FALSE = frozenset({"false", "f", "0", "no"})


def _coerce(
    values: list[Any], name: str, key: str, locate: Callable[[int], dict[str, Any]]
) -> pa.Array:
    typ = arrow_type_of(name)
    if pa.types.is_string(typ):  # text, and times that mix numbers and strings
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    out: list[Any] = []
    for i, v in enumerate(values):
        try:
            if v is None:
                out.append(None)
            elif pa.types.is_boolean(typ):
                word = str(v).strip().lower()
                if word not in _TRUE | _FALSE:
                    raise ValueError(v)
                out.append(word in _TRUE)
            else:
                out.append(float(v))
        except (TypeError, ValueError):
            raise TrafficFormatError(
                f"cannot read {v!r} as {'true/false' if pa.types.is_boolean(typ) else 'a number'}",
                field=key,
                **locate(i),
            ) from None
    return pa.array(out, pa.bool_() if pa.types.is_boolean(typ) else pa.float64())


def columns_from_values(
    values: Mapping[str, Sequence[Any]],
    chosen: Mapping[str, str],
    locate: Callable[[int], dict[str, Any]],
) -> dict[str, pa.Array]:
    """Columns keyed by input name from Python values keyed by source key."""
    cols: dict[str, pa.Array] = {}
    for key, name in chosen.items():
        vals = list(values[key])
        try:
            cols[name] = pa.array(vals)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            cols[name] = _coerce(vals, name, key, locate)
    return cols


def columns_from_records(
    records: Sequence[Mapping[str, Any]],
    chosen: Mapping[str, str],
    locate: Callable[[int], dict[str, Any]],
) -> dict[str, pa.Array]:
    """Columns keyed by input name from ``records``, reading the keys in ``chosen``."""
    return columns_from_values({k: [r.get(k) for r in records] for k in chosen}, chosen, locate)


class KeyChooser:
    """Choose the keys to read per batch of JSON records (an optional key may be missing from
    a whole batch), remembering what was ignored."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options

    def choose(self, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        chosen, ignored = choose_columns(keys, self.options.mapping)
        self.options.stats.ignored_columns.update(ignored)
        check_required(chosen.values(), keys)
        return chosen
