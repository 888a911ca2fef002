"""GeoJSON FeatureCollection of zones, read and written. The properties are documented in
``docs/zones.md``; in short:

``id`` (or the feature id), ``name``, ``kind``, ``severity``, ``floor``, ``ceiling``
(text such as ``SFC``, ``FL95``, ``2500 ft AMSL``, ``150 m AGL``, ``UNL``),
``ground_elevation_m``, ``schedule`` (``{"periods": [[start, end]], "weekly": ["Mon-Fri
06:00-22:00 Europe/Warsaw"]}``), ``exemptions`` (``{"target_ids": [], "callsigns": [],
"emergency_squawks": true}``), ``margin_m``, ``lookahead_s``, ``version``, ``remarks``.

Shapes: a ``Polygon``/``MultiPolygon`` geometry; a circle as a ``Point`` geometry with
``radius`` and ``radius_unit`` (m, km, NM, ft), or any geometry with ``shape: "circle"``,
``center: [lon, lat]`` and ``radius_m`` (what the exporter writes, so viewers see a polygon
and the round trip is exact); a corridor as a ``LineString`` with ``width`` and
``width_unit`` (total width), or any geometry with ``shape: "corridor"``, ``line`` and
``width_m`` (again what the exporter writes).

Every error is a :class:`ZoneFormatError` naming the file, the feature (``feature 3
(EPR16)``) and the property.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely.geometry as sg
from shapely.geometry import MultiPolygon, Polygon

from skyfence.errors import ZoneFormatError
from skyfence.zones.common import distance_m, field_value, load_json, located
from skyfence.zones.geojson_export import KNOWN_PROPERTIES, dumps, to_geojson
from skyfence.zones.geometry import (
    circle_polygon,
    corridor_polygon,
    normalise,
    validity_problem,
)
from skyfence.zones.model import (
    SEVERITIES,
    Circle,
    Corridor,
    Exemptions,
    Kind,
    Margins,
    Zone,
    ZoneSet,
)
from skyfence.zones.schedule import Schedule, WeeklyWindow, parse_utc
from skyfence.zones.vertical import VerticalLimit, parse_limit

__all__ = ["KNOWN_PROPERTIES", "dumps", "parse", "sniff", "to_geojson"]


def sniff(text: str) -> bool:
    head = text.lstrip()[:4096]
    if not head.startswith("{"):
        return False
    return '"FeatureCollection"' in text[:200_000] or '"Feature"' in head


def parse(text: str, where: str = "<string>") -> ZoneSet:
    doc = load_json(text, where)
    if not isinstance(doc, dict):
        raise ZoneFormatError("expected a GeoJSON object", where=where)
    features: Any
    if doc.get("type") == "Feature":
        features = [doc]
    elif doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise ZoneFormatError("'features' must be a list", where=where, field="features")
    else:
        raise ZoneFormatError(
            f"expected type FeatureCollection or Feature, got {doc.get('type')!r}",
            where=where, field="type",
        )
    zones: list[Zone] = []
    first_seen: dict[str, int] = {}
    for i, f in enumerate(features, start=1):
        z = _zone(f, i, where)
        if z.id in first_seen:
            raise ZoneFormatError(
                f"duplicate zone id {z.id!r} (first used by feature {first_seen[z.id]})",
                where=where, item=f"feature {i}", field="id",
            )
        first_seen[z.id] = i
        zones.append(z)
    return ZoneSet(zones)


def _number(props: dict[str, Any], name: str) -> float:
    """``props[name]`` as a finite float; TypeError/ValueError otherwise."""
    if name not in props or props[name] is None:
        raise KeyError(name)
    value = props[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def _zone(feature: Any, i: int, where: str) -> Zone:
    item = f"feature {i}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ZoneFormatError("expected a GeoJSON Feature", where=where, item=item)
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ZoneFormatError("properties must be an object", where=where, item=item,
                              field="properties")
    zid = props.get("id", feature.get("id"))
    if zid is None or isinstance(zid, bool) or not isinstance(zid, str | int) or str(zid) == "":
        raise ZoneFormatError("every zone needs an id (text or integer)", where=where,
                              item=item, field="id")
    zid = str(zid)
    item = f"feature {i} ({zid})"

    def at(name: str, fn: Callable[[], Any]) -> Any:
        return located(fn, where=where, item=item, field=name)

    def get(name: str, kind: type[Any], default: Any) -> Any:
        return at(name, lambda: field_value(props, name, kind, default))

    def fail(name: str, message: str) -> ZoneFormatError:
        return ZoneFormatError(message, where=where, item=item, field=name)

    def limit(name: str, default: VerticalLimit) -> VerticalLimit:
        value = props.get(name)
        if value is None:
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            # a bare number is metres AMSL; positional digits, since the grammar has no
            # exponent (repr(1e-05) would not read back)
            if not math.isfinite(value):
                raise fail(name, f"expected a finite number, got {value!r}")
            value = f"{np.format_float_positional(float(value), unique=True, trim='-')} m"
        if not isinstance(value, str):
            raise ZoneFormatError("expected text such as 'FL95' or '2500 ft AMSL'",
                                  where=where, item=item, field=name)
        text = value
        result: VerticalLimit = at(name, lambda: parse_limit(text))
        return result



    geometry, circle, corridor = _shape(feature.get("geometry"), props, where, item)
    floor = limit("floor", VerticalLimit.surface())
    ceiling = limit("ceiling", VerticalLimit.unlimited())
    margins = Margins(
        at("margin_m", lambda: Margins(get("margin_m", float, 0.0)).horizontal_m),
        at("lookahead_s", lambda: Margins(0.0, get("lookahead_s", float, 0.0)).lookahead_s),
    )
    severity = get("severity", str, "warning")
    if severity not in SEVERITIES:
        raise fail("severity", f"unknown severity {severity!r}: expected one of "
                   f"{', '.join(SEVERITIES)}")
    version = get("version", int, 1)
    if version < 1:
        raise fail("version", f"zone version starts at 1, got {version}")
    ground = get("ground_elevation_m", float, None)
    if ground is not None and not math.isfinite(ground):
        raise fail("ground_elevation_m", f"expected a finite number, got {ground!r}")
    zone_kwargs: dict[str, Any] = dict(
        id=zid,
        name=str(get("name", str, zid)),
        geometry=geometry,
        circle=circle,
        corridor=corridor,
        floor=floor,
        ceiling=ceiling,
        kind=at("kind", lambda: Kind.parse(get("kind", str, "custom"))),
        severity=severity,
        schedule=_schedule(props.get("schedule"), where, item),
        exemptions=_exemptions(props.get("exemptions"), where, item),
        margins=margins,
        version=version,
        ground_elevation_m=ground,
        remarks=get("remarks", str, ""),
        source=where,
        properties={k: v for k, v in props.items() if k not in KNOWN_PROPERTIES},
    )
    # what is left to fail is between fields, i.e. the floor above the ceiling
    return located(lambda: Zone(**zone_kwargs), where=where, item=item, field="floor")




_SHAPES = ("polygon", "circle", "corridor")


def _shape(
    geom: Any, props: dict[str, Any], where: str, item: str
) -> tuple[Polygon | MultiPolygon, Circle | None, Corridor | None]:
    shape = props.get("shape")
    if shape is not None and shape not in _SHAPES:
        raise ZoneFormatError(f"unknown shape {shape!r}: expected one of {', '.join(_SHAPES)}",
                              where=where, item=item, field="shape")

    def at(name: str, fn: Callable[[], Any]) -> Any:
        return located(fn, where=where, item=item, field=name)

    if shape == "circle" and "center" in props:
        centre = props["center"]
        if not isinstance(centre, list) or len(centre) != 2:
            raise ZoneFormatError(f"expected [lon, lat], got {centre!r}", where=where,
                                  item=item, field="center")
        lon, lat = at("center", lambda: _positions([centre])[0])
        radius = at("radius_m", lambda: _distance(props, "radius"))
        c: Circle = at("radius_m", lambda: Circle(lat, lon, radius))
        return at("radius_m", lambda: circle_polygon(c.lat, c.lon, c.radius_m)), c, None
    if shape == "corridor" and "line" in props:
        cor: Corridor = at("line", lambda: Corridor(_positions(props["line"]), 1.0))
        width = at("width_m", lambda: _distance(props, "width"))
        return at("line", lambda: corridor_polygon(list(cor.line), width)), None, Corridor(
            cor.line, width)
    if not isinstance(geom, dict):
        raise ZoneFormatError("missing geometry", where=where, item=item, field="geometry")
    gtype = geom.get("type")
    coords = geom.get("coordinates")
    if gtype in ("Polygon", "MultiPolygon"):
        polys = coords if gtype == "MultiPolygon" else [coords]
        at("geometry", lambda: _check_rings(polys))
        g = at("geometry", lambda: sg.shape(geom))
        problem = validity_problem(g)
        if problem:
            raise ZoneFormatError(problem, where=where, item=item, field="geometry")
        return at("geometry", lambda: normalise(g)), None, None
    if gtype == "Point":
        if "radius" not in props and "radius_m" not in props:
            raise ZoneFormatError("a Point zone needs a radius (circle)",
                                  where=where, item=item, field="radius")
        plon, plat = at("geometry", lambda: _positions([coords])[0])
        radius = at("radius", lambda: _distance(props, "radius"))
        c = at("radius", lambda: Circle(plat, plon, radius))
        return at("radius", lambda: circle_polygon(c.lat, c.lon, c.radius_m)), c, None
    if gtype == "LineString":
        if "width" not in props and "width_m" not in props:
            raise ZoneFormatError("a LineString zone (corridor) needs a width",
                                  where=where, item=item, field="width")
        line = at("geometry", lambda: _positions(coords))
        width = at("width", lambda: _distance(props, "width"))
        cor = at("geometry", lambda: Corridor(line, width))
        return at("geometry", lambda: corridor_polygon(list(cor.line), width)), None, cor
    raise ZoneFormatError(
        f"unsupported geometry {gtype!r}: expected Polygon, MultiPolygon, Point or LineString",
        where=where, item=item, field="geometry",
    )


def _distance(props: dict[str, Any], name: str) -> float:
    """``<name>_m``, else ``<name>`` in ``<name>_unit`` (default m), as metres > 0."""
    if props.get(f"{name}_m") is None and props.get(name) is None:
        raise ValueError(f"needs {name}_m, or {name} with {name}_unit (m, km, NM, ft)")
    if props.get(f"{name}_m") is not None:
        value = _number(props, f"{name}_m")
    else:
        unit = props.get(f"{name}_unit", "m")
        if not isinstance(unit, str):
            raise TypeError(f"{name}_unit must be text (m, km, NM, ft), got {unit!r}")
        value = distance_m(_number(props, name), unit)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def _positions(coords: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(coords, list):
        raise TypeError(f"expected a list of [lon, lat] positions, got {coords!r}")
    out = []
    for pos in coords:
        if not isinstance(pos, list) or len(pos) < 2:
            raise ValueError(f"bad position {pos!r}: expected [lon, lat]")
        lon, lat = _number({"lon": pos[0]}, "lon"), _number({"lat": pos[1]}, "lat")
        _check_lonlat(lon, lat)
        out.append((lon, lat))
    return tuple(out)


def _check_lonlat(lon: float, lat: float) -> None:
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} out of range [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} out of range [-90, 90]")


def _check_rings(polys: Any) -> None:
    if not isinstance(polys, list) or not polys:
        raise TypeError("coordinates must be a non-empty list")
    for k_poly, rings in enumerate(polys, start=1):
        which = f"polygon {k_poly}: " if len(polys) > 1 else ""
        if not isinstance(rings, list) or not rings:
            raise ValueError(f"{which}a polygon needs at least one ring")
        for k, ring in enumerate(rings):
            what = f"{which}{'outer ring' if k == 0 else f'hole {k}'}"
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError(f"{what} needs at least 4 positions")
            try:
                pts = _positions(ring)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{what}: {exc}") from None
            if pts[0] != pts[-1]:
                raise ValueError(
                    f"{what} is not closed: first position {list(pts[0])} != last "
                    f"{list(pts[-1])}"
                )


def _schedule(value: Any, where: str, item: str) -> Schedule:
    if value is None or value == "always":
        return Schedule()

    def build() -> Schedule:
        if isinstance(value, str):
            return Schedule(weekly=(WeeklyWindow.parse(value),))
        if not isinstance(value, dict):
            raise TypeError("expected 'always', a weekly window text or an object")
        unknown = set(value) - {"periods", "weekly"}
        if unknown:
            raise ValueError(f"unknown schedule keys {sorted(unknown)}: expected periods, weekly")
        periods_in = value.get("periods", [])
        weekly_in = value.get("weekly", [])
        if not isinstance(periods_in, list) or not isinstance(weekly_in, list):
            raise TypeError("periods and weekly must be lists")
        periods = []
        for p in periods_in:
            if not isinstance(p, list) or len(p) != 2 or not all(isinstance(x, str) for x in p):
                raise ValueError(f"bad period {p!r}: expected [start, end] as ISO 8601 text")
            periods.append((parse_utc(p[0]), parse_utc(p[1])))
        weekly = []
        for w in weekly_in:
            if not isinstance(w, str):
                raise TypeError(f"bad weekly window {w!r}: expected text")
            weekly.append(WeeklyWindow.parse(w))
        return Schedule(tuple(periods), tuple(weekly))
    result: Schedule = located(build, where=where, item=item, field="schedule")
    return result


def _exemptions(value: Any, where: str, item: str) -> Exemptions:
    if value is None:
        return Exemptions()

    def build() -> Exemptions:
        if not isinstance(value, dict):
            raise TypeError("expected an object with target_ids, callsigns, emergency_squawks")
        unknown = set(value) - {"target_ids", "callsigns", "emergency_squawks"}
        if unknown:
            raise ValueError(f"unknown exemption keys {sorted(unknown)}")
        ids = value.get("target_ids", [])
        calls = value.get("callsigns", [])
        emergency = value.get("emergency_squawks", True)
        for name, lst in (("target_ids", ids), ("callsigns", calls)):
            if not isinstance(lst, list) or not all(isinstance(x, str) for x in lst):
                raise TypeError(f"{name} must be a list of text")
        if not isinstance(emergency, bool):
            raise TypeError(f"emergency_squawks must be true or false, got {emergency!r}")
        return Exemptions(frozenset(ids), tuple(calls), emergency)
    result: Exemptions = located(build, where=where, item=item, field="exemptions")
    return result
