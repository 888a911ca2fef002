"""Small helpers shared by the zone parsers: JSON loading with located errors and the
building of a Zone with errors that name where they come from."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from shapely.errors import GEOSException

from skyfence.errors import ZoneFormatError

__all__ = ["field_value", "load_json", "located"]

T = TypeVar("T")

DISTANCE_UNITS = {"m": 1.0, "km": 1000.0, "nm": 1852.0, "ft": 0.3048}


def load_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ZoneFormatError(f"not valid JSON: {exc.msg}", where=where, line=exc.lineno) from None


def located(fn: Callable[[], T], *, where: str, item: str, field: str | None = None,
            line: int | None = None) -> T:
    """Run ``fn``; turn a ValueError/TypeError/KeyError it raises, or a GEOS error from
    shapely, into a ZoneFormatError that names ``where``, ``item`` and ``field``."""
    try:
        return fn()
    except ZoneFormatError:
        raise
    except (ValueError, TypeError, KeyError, GEOSException) as exc:
        msg = str(exc) if not isinstance(exc, KeyError) else f"missing {exc.args[0]!r}"
        raise ZoneFormatError(msg, where=where, item=item, field=field, line=line) from None


def field_value(props: dict[str, Any], name: str, kind: type[T], default: T) -> T:
    """``props[name]`` checked to be of type ``kind`` (ints accepted for floats)."""
    if name not in props or props[name] is None:
        return default
    value = props[name]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


def distance_m(value: float, unit: str) -> float:
    """``value`` in ``unit`` (m, km, NM, ft) as metres."""
    try:
        return value * DISTANCE_UNITS[unit.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown distance unit {unit!r}: expected m, km, NM or ft") from None
