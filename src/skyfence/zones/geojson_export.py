"""Zones back to GeoJSON: the writer that :func:`skyfence.zones.geojson.parse` reads back
equal (the schema is in ``docs/zones.md``)."""

from __future__ import annotations

import json
from typing import Any

import shapely.geometry as sg

from skyfence.zones.model import ZoneSet

__all__ = ["KNOWN_PROPERTIES", "dumps", "to_geojson"]

KNOWN_PROPERTIES = frozenset({
    "id", "name", "kind", "severity", "floor", "ceiling", "schedule", "exemptions",
    "margin_m", "lookahead_s", "version", "ground_elevation_m", "remarks", "shape",
    "center", "radius", "radius_unit", "radius_m", "width", "width_unit", "width_m", "line",
    "area_km2",
})
"""Properties the schema defines; any other property of a feature rides along as is."""


def _instant(dt: Any) -> str:
    return str(dt.isoformat()).replace("+00:00", "Z")


def to_geojson(zones: ZoneSet) -> dict[str, Any]:
    """The zones as a GeoJSON FeatureCollection that :func:`parse` reads back equal.

    The geometry is always the zone's polygon (so any GeoJSON viewer draws it); circles and
    corridors also carry their exact definition in ``shape``/``center``/``radius_m`` and
    ``shape``/``line``/``width_m``, which the reader prefers. Limits are written by
    :meth:`VerticalLimit.to_text`; properties at their default values are left out.
    """
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
                "periods": [[_instant(s), _instant(e)] for s, e in z.schedule.periods],
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
        elif z.corridor is not None:
            props.update(shape="corridor", line=[list(p) for p in z.corridor.line],
                         width_m=z.corridor.width_m)
        # extra keys ride along, but never over the ones above
        props.update({k: v for k, v in z.properties.items() if k not in KNOWN_PROPERTIES})
        features.append(
            {"type": "Feature", "properties": props, "geometry": sg.mapping(z.geometry)}
        )
    return {"type": "FeatureCollection", "features": features}


def dumps(zones: ZoneSet) -> str:
    """:func:`to_geojson` as text (``allow_nan=False``: UNL is written as ``"UNL"``)."""
    return json.dumps(to_geojson(zones), indent=1, allow_nan=False)
