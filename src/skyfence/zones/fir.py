"""EUROCONTROL-style FIR files and traffic's airspace JSON.

Two dialects, both as shipped in the ``traffic`` package:

- ``eurocontrol/eurofirs.json``: a GeoJSON FeatureCollection whose properties are ``IDENT``
  (e.g. ``EBBU``), ``NAME``, ``TYPE`` (``FIR``/``UIR``), ``LOWERLIMIT``/``LOWERUNIT`` and
  ``UPPERLIMIT``/``UPPERUNIT`` (units ``FL``, ``FT``, ``M``; ``999`` with ``FL`` meaning
  unlimited), ``EFFECTDATE`` (``DD-MM-YYYY``);
- ``samples/airspaces/*.json``: ``{"name", "type", "designator"?, "shapes": [{"lower",
  "upper", "polygon"}]}`` with limits in flight levels, one zone per shape (ids
  ``<designator or name>-<n>``). These files carry no datum: a limit of ``65.0`` is read as
  FL065 whatever the publication said (a TMA floor of 1,500 ft AMSL becomes FL015).

Limits: ``0`` in any unit is the surface (SFC); ``FT`` and ``M`` are above mean sea level
(the EUROCONTROL files give no other datum); ``FL`` is a flight level, and ``999`` FL means
no upper limit (UNL).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import shapely.geometry as sg
from shapely.geometry import MultiPolygon, Polygon

from skyfence.errors import ZoneFormatError
from skyfence.zones.common import load_json, located
from skyfence.zones.geometry import normalise, validity_problem
from skyfence.zones.model import Kind, Zone, ZoneSet
from skyfence.zones.vertical import FT, Datum, VerticalLimit

__all__ = ["parse", "sniff"]

UNLIMITED_FL = 999.0  # EUROCONTROL's "no upper limit" in these files


def sniff(text: str) -> bool:
    head = text[:20_000]
    return ('"IDENT"' in head and '"UPPERLIMIT"' in head) or (
        '"shapes"' in head and '"polygon"' in head
    )


T = TypeVar("T")


def _limit(value: Any, unit: Any) -> VerticalLimit:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"expected a number, got {value!r}")
    try:
        v = float(value)
    except ValueError:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"expected a finite number, got {value!r}")
    u = str(unit).strip().upper()
    if u not in ("FL", "FT", "F", "M"):
        raise ValueError(f"unknown unit {unit!r}: expected FL, FT or M")
    if v == 0:
        return VerticalLimit.surface()
    if u == "FL":
        return VerticalLimit.unlimited() if v >= UNLIMITED_FL else VerticalLimit.flight_level(v)
    if u in ("FT", "F"):
        return VerticalLimit(v * FT, Datum.AMSL, "ft")
    return VerticalLimit(v, Datum.AMSL, "m")


def _polygon(geom: Any, where: str, item: str) -> Polygon | MultiPolygon:
    if not isinstance(geom, dict):
        raise ZoneFormatError("missing geometry", where=where, item=item, field="geometry")
    g = located(lambda: sg.shape(geom), where=where, item=item, field="geometry")
    problem = validity_problem(g)
    if problem:
        raise ZoneFormatError(problem, where=where, item=item, field="geometry")
    return located(lambda: normalise(g), where=where, item=item, field="geometry")


def parse(text: str, where: str = "<string>") -> ZoneSet:
    doc = load_json(text, where)
    if isinstance(doc, dict) and "shapes" in doc:
        return _parse_airspace(doc, where)
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise ZoneFormatError("expected a FeatureCollection of FIRs", where=where)
    zones: list[Zone] = []
    for i, f in enumerate(doc["features"], start=1):
        zones.append(_fir(f, i, where))
    return _zone_set(zones, where)


def _fir(f: Any, i: int, where: str) -> Zone:
    item = f"feature {i}"
    if not isinstance(f, dict):
        raise ZoneFormatError("expected a GeoJSON Feature", where=where, item=item)
    props = f.get("properties") or {}
    if not isinstance(props, dict):
        raise ZoneFormatError("properties must be an object", where=where, item=item)
    ident = props.get("IDENT")
    if not ident or not isinstance(ident, str):
        raise ZoneFormatError("missing IDENT", where=where, item=item, field="IDENT")
    item = f"feature {i} ({ident})"

    def at(name: str, fn: Callable[[], T]) -> T:
        return located(fn, where=where, item=item, field=name)

    lower = at("LOWERLIMIT", lambda: _limit(props["LOWERLIMIT"], props["LOWERUNIT"]))
    upper = at("UPPERLIMIT", lambda: _limit(props["UPPERLIMIT"], props["UPPERUNIT"]))
    geometry = _polygon(f.get("geometry"), where, item)
    ftype = str(props.get("TYPE", "FIR"))
    return at("LOWERLIMIT", lambda: Zone(
        id=f"{ident}-{ftype}" if ftype != "FIR" else ident,
        name=str(props.get("NAME", ident)),
        geometry=geometry,
        floor=lower,
        ceiling=upper,
        kind=Kind.FIR,
        severity="info",
        source=where,
        properties={"icao": props.get("ICAO"), "type": ftype,
                    "effective": props.get("EFFECTDATE")},
    ))


def _zone_set(zones: list[Zone], where: str) -> ZoneSet:
    seen: set[str] = set()
    for z in zones:
        if z.id in seen:
            raise ZoneFormatError(f"duplicate zone id {z.id!r}", where=where, field="IDENT")
        seen.add(z.id)
    return ZoneSet(zones)


def _parse_airspace(doc: dict[str, Any], where: str) -> ZoneSet:
    name = str(doc.get("name", "airspace"))
    base = str(doc.get("designator") or name).strip().replace(" ", "_")
    shapes = doc["shapes"]
    if not isinstance(shapes, list) or not shapes:
        raise ZoneFormatError("'shapes' must be a non-empty list", where=where, field="shapes")
    zones: list[Zone] = []
    for i, shape in enumerate(shapes, start=1):
        zones.append(_airspace_shape(shape, i, name, base, doc.get("type"), where))
    return _zone_set(zones, where)


def _airspace_shape(shape: Any, i: int, name: str, base: str, atype: Any, where: str) -> Zone:
    item = f"shape {i}"
    if not isinstance(shape, dict):
        raise ZoneFormatError("expected an object with lower, upper, polygon", where=where,
                              item=item)

    def at(name: str, fn: Callable[[], T]) -> T:
        return located(fn, where=where, item=item, field=name)

    lower = at("lower", lambda: _limit(shape["lower"], "FL"))
    upper = at("upper", lambda: _limit(shape["upper"], "FL"))
    geometry = _polygon(shape.get("polygon"), where, item)
    return at("lower", lambda: Zone(
        id=f"{base}-{i}", name=f"{name} {i}", geometry=geometry, floor=lower,
        ceiling=upper, kind=Kind.CONTROLLED, severity="info", source=where,
        properties={"type": atype},
    ))
