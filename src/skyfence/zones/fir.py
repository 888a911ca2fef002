"""EUROCONTROL-style FIR files and traffic's airspace JSON.

Two dialects, both as shipped in the ``traffic`` package:

- ``eurocontrol/eurofirs.json``: a GeoJSON FeatureCollection whose properties are ``IDENT``
  (e.g. ``EBBU``), ``NAME``, ``TYPE`` (``FIR``/``UIR``), ``LOWERLIMIT``/``LOWERUNIT`` and
  ``UPPERLIMIT``/``UPPERUNIT`` (units ``FL``, ``FT``, ``M``; ``999`` with ``FL`` meaning
  unlimited), ``EFFECTDATE`` (``DD-MM-YYYY``);
- ``samples/airspaces/*.json``: ``{"name", "type", "designator"?, "shapes": [{"lower",
  "upper", "polygon"}]}`` with limits in flight levels, one zone per shape.
"""

from __future__ import annotations

from typing import Any

import shapely.geometry as sg

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


def _limit(value: Any, unit: Any) -> VerticalLimit:
    v = float(value)
    u = str(unit).strip().upper()
    if v == 0 and u in ("FL", "FT", "F", "M"):
        return VerticalLimit.surface()
    if u == "FL":
        return VerticalLimit.unlimited() if v >= UNLIMITED_FL else VerticalLimit.flight_level(v)
    if u in ("FT", "F"):
        return VerticalLimit(v * FT, Datum.AMSL, "ft")
    if u == "M":
        return VerticalLimit(v, Datum.AMSL, "m")
    raise ValueError(f"unknown unit {unit!r}: expected FL, FT or M")


def _polygon(geom: Any, where: str, item: str) -> Any:
    g = located(lambda: sg.shape(geom), where=where, item=item, field="geometry")
    problem = validity_problem(g)
    if problem:
        raise ZoneFormatError(problem, where=where, item=item, field="geometry")
    return normalise(g)


def parse(text: str, where: str = "<string>") -> ZoneSet:
    doc = load_json(text, where)
    if isinstance(doc, dict) and "shapes" in doc:
        return _parse_airspace(doc, where)
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise ZoneFormatError("expected a FeatureCollection of FIRs", where=where)
    zones = []
    for i, f in enumerate(doc["features"], start=1):
        props = f.get("properties") or {}
        ident = props.get("IDENT")
        item = f"feature {i}" + (f" ({ident})" if ident else "")
        if not ident:
            raise ZoneFormatError("missing IDENT", where=where, item=item, field="IDENT")
        lower = located(lambda p=props: _limit(p["LOWERLIMIT"], p["LOWERUNIT"]),
                        where=where, item=item, field="LOWERLIMIT")
        upper = located(lambda p=props: _limit(p["UPPERLIMIT"], p["UPPERUNIT"]),
                        where=where, item=item, field="UPPERLIMIT")
        geometry = _polygon(f.get("geometry"), where, item)
        ftype = str(props.get("TYPE", "FIR"))
        zones.append(located(
            lambda ident=ident, props=props, geometry=geometry, lower=lower, upper=upper,
            ftype=ftype: Zone(
                id=f"{ident}-{ftype}" if ftype != "FIR" else str(ident),
                name=str(props.get("NAME", ident)),
                geometry=geometry,
                floor=lower,
                ceiling=upper,
                kind=Kind.FIR,
                severity="info",
                source=where,
                properties={"icao": props.get("ICAO"), "type": ftype,
                            "effective": props.get("EFFECTDATE")},
            ),
            where=where, item=item,
        ))
    return located(lambda: ZoneSet(zones), where=where, item="zones")


def _parse_airspace(doc: dict[str, Any], where: str) -> ZoneSet:
    name = str(doc.get("name", "airspace"))
    base = str(doc.get("designator") or name).replace(" ", "_")
    shapes = doc["shapes"]
    if not isinstance(shapes, list) or not shapes:
        raise ZoneFormatError("'shapes' must be a non-empty list", where=where, field="shapes")
    zones = []
    for i, shape in enumerate(shapes, start=1):
        item = f"shape {i}"
        lower = located(lambda s=shape: _limit(s["lower"], "FL"),
                        where=where, item=item, field="lower")
        upper = located(lambda s=shape: _limit(s["upper"], "FL"),
                        where=where, item=item, field="upper")
        geometry = _polygon(shape.get("polygon"), where, item)
        zones.append(located(
            lambda i=i, geometry=geometry, lower=lower, upper=upper: Zone(
                id=f"{base}-{i}", name=f"{name} {i}", geometry=geometry, floor=lower,
                ceiling=upper, kind=Kind.CONTROLLED, severity="info", source=where,
                properties={"type": doc.get("type")},
            ),
            where=where, item=item,
        ))
    return located(lambda: ZoneSet(zones), where=where, item="zones")
