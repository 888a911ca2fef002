"""GeoJSON FeatureCollection of zones, read and written. The properties are documented in
``docs/zones.md``; in short:

``id`` (or the feature id), ``name``, ``kind``, ``severity``, ``floor``, ``ceiling``
(text such as ``SFC``, ``FL95``, ``2500 ft AMSL``, ``150 m AGL``, ``UNL``),
``ground_elevation_m``, ``schedule`` (``{"periods": [[start, end]], "weekly": ["Mon-Fri
06:00-22:00 Europe/Warsaw"]}``), ``exemptions`` (``{"target_ids": [], "callsigns": [],
"emergency_squawks": true}``), ``margin_m``, ``lookahead_s``, ``version``, ``remarks``.

Shapes: a ``Polygon``/``MultiPolygon`` geometry; a circle as a ``Point`` geometry with
``radius`` and ``radius_unit`` (m, km, NM), or any geometry with ``shape: "circle"``,
``center: [lon, lat]`` and ``radius_m`` (what the exporter writes, so viewers see a polygon
and the round trip is exact); a corridor as a ``LineString`` with ``width`` and
``width_unit`` (total width), or ``shape: "corridor"`` with ``line`` and ``width_m``.
"""

from __future__ import annotations

import json
from typing import Any

import shapely.geometry as sg
from shapely.geometry import MultiPolygon, Polygon

from skyfence.errors import ZoneFormatError
from skyfence.zones.common import distance_m, field_value, load_json, located
from skyfence.zones.geometry import (
    circle_polygon,
    corridor_polygon,
    normalise,
    validity_problem,
)
from skyfence.zones.model import Circle, Exemptions, Kind, Margins, Zone, ZoneSet
from skyfence.zones.schedule import Schedule, WeeklyWindow, parse_utc
from skyfence.zones.vertical import VerticalLimit, parse_limit

__all__ = ["dumps", "parse", "sniff", "to_geojson"]


def sniff(text: str) -> bool:
    head = text.lstrip()[:4096]
    return head.startswith("{") and '"FeatureCollection"' in text[:200_000] or (
        head.startswith("{") and '"Feature"' in head
    )


def parse(text: str, where: str = "<string>") -> ZoneSet:
    doc = load_json(text, where)
    if not isinstance(doc, dict):
        raise ZoneFormatError("expected a GeoJSON object", where=where)
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
    zones = [_zone(f, i, where) for i, f in enumerate(features, start=1)]
    return located(lambda: ZoneSet(zones), where=where, item="zones")


def _zone(feature: Any, i: int, where: str) -> Zone:
    item = f"feature {i}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ZoneFormatError("expected a GeoJSON Feature", where=where, item=item)
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ZoneFormatError("properties must be an object", where=where, item=item)
    zid = props.get("id", feature.get("id"))
    if zid is None or str(zid) == "":
        raise ZoneFormatError("every zone needs an id", where=where, item=item, field="id")
    zid = str(zid)
    item = f"feature {i} ({zid})"

    def get(name: str, kind: type[Any], default: Any) -> Any:
        return located(lambda: field_value(props, name, kind, default),
                       where=where, item=item, field=name)

    def limit(name: str, default: VerticalLimit) -> VerticalLimit:
        value = props.get(name)
        if value is None:
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = f"{value} m"
        if not isinstance(value, str):
            raise ZoneFormatError("expected text such as 'FL95' or '2500 ft AMSL'",
                                  where=where, item=item, field=name)
        return located(lambda: parse_limit(value), where=where, item=item, field=name)

    geometry, circle = _shape(feature.get("geometry"), props, where, item)
    zone_kwargs: dict[str, Any] = dict(
        id=zid,
        name=str(get("name", str, zid)),
        geometry=geometry,
        circle=circle,
        floor=limit("floor", VerticalLimit.surface()),
        ceiling=limit("ceiling", VerticalLimit.unlimited()),
        kind=located(lambda: Kind.parse(get("kind", str, "custom")),
                     where=where, item=item, field="kind"),
        severity=get("severity", str, "warning"),
        schedule=_schedule(props.get("schedule"), where, item),
        exemptions=_exemptions(props.get("exemptions"), where, item),
        margins=located(
            lambda: Margins(get("margin_m", float, 0.0), get("lookahead_s", float, 0.0)),
            where=where, item=item, field="margin_m",
        ),
        version=get("version", int, 1),
        ground_elevation_m=get("ground_elevation_m", float, None),
        remarks=get("remarks", str, ""),
        source=where,
        properties={k: v for k, v in props.items() if k not in _KNOWN},
    )
    return located(lambda: Zone(**zone_kwargs), where=where, item=item)


_KNOWN = {
    "id", "name", "kind", "severity", "floor", "ceiling", "schedule", "exemptions",
    "margin_m", "lookahead_s", "version", "ground_elevation_m", "remarks", "shape",
    "center", "radius", "radius_unit", "radius_m", "width", "width_unit", "width_m", "line",
    "area_km2",
}


def _shape(
    geom: Any, props: dict[str, Any], where: str, item: str
) -> tuple[Polygon | MultiPolygon, Circle | None]:
    shape = props.get("shape")
    if shape == "circle" and "center" in props:
        def circle_from_props() -> Circle:
            lon, lat = props["center"]
            return Circle(float(lat), float(lon), float(props["radius_m"]))
        c = located(circle_from_props, where=where, item=item, field="center")
        return _circle(c, where, item), c
    if shape == "corridor" and "line" in props:
        line = props["line"]
        width = props.get("width_m")
        poly = located(lambda: corridor_polygon([tuple(p) for p in line], float(width)),
                       where=where, item=item, field="line")
        return poly, None
    if not isinstance(geom, dict):
        raise ZoneFormatError("missing geometry", where=where, item=item, field="geometry")
    gtype = geom.get("type")
    coords = geom.get("coordinates")
    if gtype in ("Polygon", "MultiPolygon"):
        rings = coords if gtype == "MultiPolygon" else [coords]
        _check_rings(rings, where, item)
        g = located(lambda: sg.shape(geom), where=where, item=item, field="geometry")
        problem = validity_problem(g)
        if problem:
            raise ZoneFormatError(problem, where=where, item=item, field="geometry")
        return normalise(g), None
    if gtype == "Point":
        if "radius" not in props and "radius_m" not in props:
            raise ZoneFormatError("a Point zone needs a radius (circle)",
                                  where=where, item=item, field="radius")

        def point_circle() -> Circle:
            lon, lat = (float(v) for v in coords[:2])
            _check_lonlat(lon, lat)
            if "radius_m" in props:
                r = float(props["radius_m"])
            else:
                r = distance_m(float(props["radius"]), str(props.get("radius_unit", "m")))
            return Circle(lat, lon, r)
        c = located(point_circle, where=where, item=item, field="radius")
        return _circle(c, where, item), c
    if gtype == "LineString":
        def line_corridor() -> Polygon | MultiPolygon:
            pts = [(float(p[0]), float(p[1])) for p in coords]
            for lon, lat in pts:
                _check_lonlat(lon, lat)
            if "width_m" in props:
                w = float(props["width_m"])
            elif "width" in props:
                w = distance_m(float(props["width"]), str(props.get("width_unit", "m")))
            else:
                raise ValueError("a LineString zone (corridor) needs a width")
            return corridor_polygon(pts, w)
        return located(line_corridor, where=where, item=item, field="width"), None
    raise ZoneFormatError(
        f"unsupported geometry {gtype!r}: expected Polygon, MultiPolygon, Point or LineString",
        where=where, item=item, field="geometry",
    )


def _circle(c: Circle, where: str, item: str) -> Polygon | MultiPolygon:
    return located(lambda: circle_polygon(c.lat, c.lon, c.radius_m),
                   where=where, item=item, field="radius")


def _check_lonlat(lon: float, lat: float) -> None:
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} out of range [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} out of range [-90, 90]")


def _check_rings(polys: Any, where: str, item: str) -> None:
    if not isinstance(polys, list):
        raise ZoneFormatError("coordinates must be a list", where=where, item=item,
                              field="geometry")
    for rings in polys:
        if not isinstance(rings, list) or not rings:
            raise ZoneFormatError("a polygon needs at least one ring", where=where, item=item,
                                  field="geometry")
        for k, ring in enumerate(rings):
            what = "outer ring" if k == 0 else f"hole {k}"
            if not isinstance(ring, list) or len(ring) < 4:
                raise ZoneFormatError(f"{what} needs at least 4 positions",
                                      where=where, item=item, field="geometry")
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise ZoneFormatError(
                    f"{what} is not closed: first position {ring[0]} != last {ring[-1]}",
                    where=where, item=item, field="geometry",
                )
            for pos in ring:
                located(lambda pos=pos: _check_lonlat(float(pos[0]), float(pos[1])),
                        where=where, item=item, field="geometry")


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
        periods = tuple(
            (parse_utc(str(a)), parse_utc(str(b))) for a, b in value.get("periods", [])
        )
        weekly = tuple(WeeklyWindow.parse(str(w)) for w in value.get("weekly", []))
        return Schedule(periods, weekly)
    return located(build, where=where, item=item, field="schedule")


def _exemptions(value: Any, where: str, item: str) -> Exemptions:
    if value is None:
        return Exemptions()

    def build() -> Exemptions:
        if not isinstance(value, dict):
            raise TypeError("expected an object with target_ids, callsigns, emergency_squawks")
        unknown = set(value) - {"target_ids", "callsigns", "emergency_squawks"}
        if unknown:
            raise ValueError(f"unknown exemption keys {sorted(unknown)}")
        return Exemptions(
            frozenset(str(t) for t in value.get("target_ids", [])),
            tuple(str(c) for c in value.get("callsigns", [])),
            bool(value.get("emergency_squawks", True)),
        )
    return located(build, where=where, item=item, field="exemptions")


def to_geojson(zones: ZoneSet) -> dict[str, Any]:
    """The zones as a GeoJSON FeatureCollection that :func:`parse` reads back unchanged."""
    features = []
    for z in zones:
        props: dict[str, Any] = {
            "id": z.id,
            "name": z.name,
            "kind": z.kind.value,
            "severity": z.severity,
            "floor": z.floor.to_text(),
            "ceiling": z.ceiling.to_text(),
            "version": z.version,
        }
        if z.ground_elevation_m is not None:
            props["ground_elevation_m"] = z.ground_elevation_m
        if not z.schedule.always:
            props["schedule"] = {
                "periods": [
                    [s.isoformat().replace("+00:00", "Z"), e.isoformat().replace("+00:00", "Z")]
                    for s, e in z.schedule.periods
                ],
                "weekly": [w.label() for w in z.schedule.weekly],
            }
        ex = z.exemptions
        if not ex.empty or not ex.emergency_squawks:
            props["exemptions"] = {
                "target_ids": sorted(ex.target_ids),
                "callsigns": list(ex.callsigns),
                "emergency_squawks": ex.emergency_squawks,
            }
        if z.margins.horizontal_m:
            props["margin_m"] = z.margins.horizontal_m
        if z.margins.lookahead_s:
            props["lookahead_s"] = z.margins.lookahead_s
        if z.remarks:
            props["remarks"] = z.remarks
        if z.circle is not None:
            props.update(shape="circle", center=[z.circle.lon, z.circle.lat],
                         radius_m=z.circle.radius_m)
        props.update(z.properties)
        features.append(
            {"type": "Feature", "properties": props, "geometry": sg.mapping(z.geometry)}
        )
    return {"type": "FeatureCollection", "features": features}


def dumps(zones: ZoneSet) -> str:
    return json.dumps(to_geojson(zones), indent=1)

