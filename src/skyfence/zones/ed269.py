"""UAS geographical zones: EUROCAE ED-269 JSON and its successor ED-318 (GeoJSON).

Field names as in InterUSS ``uas_standards`` (``eurocae_ed269.py``, ``eurocae_ed318.py``).

ED-269: ``{"title", "description", "features": [UASZoneVersion]}`` (a bare list of features is
accepted too). Each feature: ``identifier``, ``country``, ``name``, ``type`` (``COMMON`` /
``CUSTOMIZED``), ``restriction``, ``restrictionConditions``, ``region``, ``reason``,
``otherReasonInfo``, ``regulationExemption``, ``uSpaceClass``, ``message``, ``zoneAuthority``
(list), ``applicability`` (list of ``{"permanent": "YES"|"NO", "startDateTime",
"endDateTime", "schedule": [{"day": ["MON", ...|"ANY"], "startTime", "endTime"}]}``) and
``geometry``: a list of volumes ``{"uomDimensions": "M"|"FT", "lowerLimit",
"lowerVerticalReference", "upperLimit", "upperVerticalReference", "horizontalProjection":
{"type": "Polygon", "coordinates": [[[lon, lat], ...]]} | {"type": "Circle", "center":
[lon, lat], "radius"}}``. Positions are GeoJSON order (lon, lat), as in the published national
data sets; ``uomDimensions`` applies to the limits and to the circle radius.

ED-318: a GeoJSON ``FeatureCollection`` whose ``properties`` are the zone: ``identifier``,
``country``, ``name`` (``[{"text", "lang"}]``), ``type`` (the restriction: ``PROHIBITED``,
``REQ_AUTHORIZATION``, ``CONDITIONAL``, ``NO_RESTRICTION``, ``USPACE``), ``variant``
(``COMMON``/``CUSTOMIZED``), ``reason``, ``otherReasonInfo``, ``message``,
``limitedApplicability`` (``[{"startDateTime", "endDateTime", "schedule": [{"day",
"startTime"|"startEvent", "endTime"|"endEvent"}]}]``, absent = always), ``zoneAuthority``;
and whose ``geometry`` is a layered GeoJSON ``Polygon``/``MultiPolygon``, or a ``Point`` with
``"extent": {"subType": "Circle", "radius": metres}``, each with ``"layer": {"upper",
"upperReference", "lower", "lowerReference", "uom": "m"|"ft"}``; a ``GeometryCollection``
holds several such volumes.

Mapping: every zone is ``Kind.DRONE``; severity from the restriction: ``PROHIBITED`` critical,
``REQ_AUTHORISATION``/``REQ_AUTHORIZATION``/``USPACE`` warning, ``CONDITIONAL`` and
``NO_RESTRICTION`` info. A feature with several volumes gives one zone per volume with ids
``<identifier>-1``, ``-2``... Vertical reference ``AGL`` stays AGL (``0`` is the surface),
``AMSL`` is AMSL, and ``WGS84`` (height above the ellipsoid) is taken as AMSL with a remark:
the geoid departs from the ellipsoid by tens of metres (about +40 to +55 m over Europe).

Applicability: periods and weekly windows (UTC, or whole-hour offsets) from all entries are
merged, exact when the entries share their period or their days and a superset otherwise (said
in ``remarks``). Sunrise/sunset events (``SR``, ``SS``, ``BMCT``, ``EECT``) make the window the
whole day, with a remark: a watcher then alarms too often rather than miss an activation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from functools import partial
from typing import Any

import shapely.geometry as sg
from shapely.geometry import MultiPolygon, Polygon

from skyfence.errors import ZoneFormatError
from skyfence.zones.common import load_json, located
from skyfence.zones.geometry import circle_polygon, normalise, validity_problem
from skyfence.zones.model import Circle, Kind, Zone, ZoneSet
from skyfence.zones.schedule import DAYS, Schedule, WeeklyWindow, parse_utc
from skyfence.zones.vertical import FT, Datum, VerticalLimit

__all__ = ["SEVERITY", "parse", "sniff"]

SEVERITY = {"PROHIBITED": "critical", "REQ_AUTHORISATION": "warning",
            "REQ_AUTHORIZATION": "warning", "USPACE": "warning", "CONDITIONAL": "info",
            "NO_RESTRICTION": "info"}
OPEN_END = datetime(9999, 1, 1, tzinfo=UTC)
WGS84_REMARK = ("WGS84 ellipsoid heights taken as AMSL: the geoid is tens of metres away "
                "(about +40 to +55 m over Europe)")
_UNITS = {"M": ("m", 1.0), "FT": ("ft", FT)}


def sniff(text: str) -> bool:
    head = text.lstrip()[:50_000]
    if not head.startswith(("{", "[")):
        return False
    return ('"horizontalProjection"' in head and '"restriction"' in head) or (
        '"zoneAuthority"' in head and '"identifier"' in head and '"layer"' in head
    )


def parse(text: str, where: str = "<string>") -> ZoneSet:
    doc = load_json(text, where)
    ed318 = isinstance(doc, dict) and doc.get("type") == "FeatureCollection"
    features = doc if isinstance(doc, list) else (doc or {}).get("features")
    if not isinstance(features, list):
        raise ZoneFormatError("expected an object with a 'features' list (ED-269/ED-318)",
                              where=where, field="features")
    zones: list[Zone] = []
    for i, f in enumerate(features, start=1):
        if not isinstance(f, dict):
            raise ZoneFormatError("a feature must be an object", where=where, item=f"feature {i}")
        zones.extend(_ed318(f, i, where) if ed318 else _ed269(f, i, where))
    return located(lambda: ZoneSet(zones), where=where, item="zones")


def _text(value: Any) -> str:
    """A plain string, or the English (else the first) text of an ED-318 ``[{text, lang}]``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text") or "")
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        en = [v for v in value if str(v.get("lang", "")).lower().startswith("en")]
        return _text((en or value or [None])[0])
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _common(props: dict[str, Any], i: int, where: str, restriction_key: str
            ) -> tuple[str, str, str, str, dict[str, Any]]:
    """Identifier, item label, severity, name and properties shared by both dialects."""
    ident = props.get("identifier")
    if not isinstance(ident, str) or not ident.strip():
        raise ZoneFormatError("every zone needs an identifier", where=where,
                              item=f"feature {i}", field="identifier")
    item = f"feature {i} ({ident})"
    restriction = str(props.get(restriction_key, "")).strip().upper()
    if restriction not in SEVERITY:
        raise ZoneFormatError(
            f"unknown restriction {props.get(restriction_key)!r}: expected one of "
            f"{', '.join(SEVERITY)}", where=where, item=item, field=restriction_key)
    name = located(lambda: _text(props.get("name")), where=where, item=item, field="name")
    keep = ("country", "type", "variant", "region", "reason", "restrictionConditions",
            "regulationExemption", "uSpaceClass", "zoneAuthority", "extendedProperties")
    out = {k: props[k] for k in keep if props.get(k) not in (None, "", [])}
    out["restriction"] = restriction
    for k in ("otherReasonInfo", "message"):
        if props.get(k):
            out[k] = located(partial(_text, props[k]), where=where, item=item, field=k)
    return ident.strip(), item, SEVERITY[restriction], name or ident, out


def _ed269(f: dict[str, Any], i: int, where: str) -> list[Zone]:
    ident, item, severity, name, props = _common(f, i, where, "restriction")
    remarks: list[str] = []
    applic = f.get("applicability")
    schedule = located(lambda: _schedule(applic, remarks, ed318=False), where=where,
                       item=item, field="applicability")
    volumes = f.get("geometry")
    if not isinstance(volumes, list) or not volumes:
        raise ZoneFormatError("'geometry' must be a non-empty list of volumes", where=where,
                              item=item, field="geometry")
    zones = []
    for k, vol in enumerate(volumes, start=1):
        fld = f"geometry[{k}]"
        if not isinstance(vol, dict):
            raise ZoneFormatError("a volume must be an object", where=where, item=item,
                                  field=fld)
        notes = list(remarks)
        uom = str(vol.get("uomDimensions", "")).strip().upper()
        if uom not in _UNITS:
            raise ZoneFormatError(f"unknown unit {vol.get('uomDimensions')!r}: expected M or FT",
                                  where=where, item=item, field=f"{fld}.uomDimensions")
        floor, ceiling = (
            located(partial(_limit, vol.get(f"{end}Limit"), vol.get(f"{end}VerticalReference"),
                            uom, end == "upper", notes),
                    where=where, item=item, field=f"{fld}.{end}Limit")
            for end in ("lower", "upper")
        )
        shape, circle = located(partial(_projection, vol.get("horizontalProjection"),
                                        _UNITS[uom][1]),
                                where=where, item=item, field=f"{fld}.horizontalProjection")
        zones.append(_zone(ident if len(volumes) == 1 else f"{ident}-{k}", name, item, where,
                           f"{fld}.lowerLimit", shape, circle, floor, ceiling, severity,
                           schedule, notes, props, f.get("message")))
    return zones


def _ed318(f: dict[str, Any], i: int, where: str) -> list[Zone]:
    props_in = f.get("properties")
    if f.get("type") != "Feature" or not isinstance(props_in, dict):
        raise ZoneFormatError("expected a GeoJSON Feature with the zone in 'properties'",
                              where=where, item=f"feature {i}", field="properties")
    ident, item, severity, name, props = _common(props_in, i, where, "type")
    remarks: list[str] = []
    schedule = located(lambda: _schedule(props_in.get("limitedApplicability"), remarks,
                                         ed318=True),
                       where=where, item=item, field="limitedApplicability")
    geom = f.get("geometry")
    parts = geom.get("geometries") if isinstance(geom, dict) else None
    if not isinstance(geom, dict) or (geom.get("type") == "GeometryCollection"
                                      and not isinstance(parts, list)):
        raise ZoneFormatError("missing geometry", where=where, item=item, field="geometry")
    volumes = parts if isinstance(parts, list) else [geom]
    zones = []
    for k, g in enumerate(volumes, start=1):
        fld = "geometry" if len(volumes) == 1 else f"geometry.geometries[{k}]"
        notes = list(remarks)
        layer = g.get("layer") if isinstance(g, dict) else None
        if not isinstance(layer, dict):
            raise ZoneFormatError("every geometry needs a 'layer' (vertical extent)",
                                  where=where, item=item, field=f"{fld}.layer")
        uom = str(layer.get("uom", "m")).strip().upper()
        if uom not in _UNITS:
            raise ZoneFormatError(f"unknown unit {layer.get('uom')!r}: expected m or ft",
                                  where=where, item=item, field=f"{fld}.layer.uom")
        floor, ceiling = (
            located(partial(_limit, layer.get(end), layer.get(f"{end}Reference"), uom,
                            end == "upper", notes),
                    where=where, item=item, field=f"{fld}.layer.{end}")
            for end in ("lower", "upper")
        )
        shape, circle = located(partial(_geojson, g), where=where, item=item, field=fld)
        zones.append(_zone(ident if len(volumes) == 1 else f"{ident}-{k}", name, item, where,
                           f"{fld}.layer.lower", shape, circle, floor, ceiling, severity,
                           schedule, notes, props, props.get("message")))
    return zones


def _zone(zid: str, name: str, item: str, where: str, fld: str, shape: Polygon | MultiPolygon,
          circle: Circle | None, floor: VerticalLimit, ceiling: VerticalLimit, severity: str,
          schedule: Schedule, notes: list[str], props: dict[str, Any], message: Any) -> Zone:
    text = _text(message) if not isinstance(message, str) else message
    return located(lambda: Zone(
        id=zid, name=name, geometry=shape, circle=circle, floor=floor, ceiling=ceiling,
        kind=Kind.DRONE, severity=severity, schedule=schedule, source=where,
        remarks="\n".join(dict.fromkeys(n for n in [text, *notes] if n)),
        properties=dict(props),
    ), where=where, item=item, field=fld)


def _limit(value: Any, ref: Any, uom: str, upper: bool, notes: list[str]) -> VerticalLimit:
    if value is None:
        return VerticalLimit.unlimited() if upper else VerticalLimit.surface()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    reference = str(ref or "").strip().upper()
    unit, factor = _UNITS[uom]
    if reference == "AGL":
        if value == 0:
            return VerticalLimit.surface()
        return VerticalLimit(float(value) * factor, Datum.AGL, unit)
    if reference in ("AMSL", "WGS84"):
        if reference == "WGS84" and WGS84_REMARK not in notes:
            notes.append(WGS84_REMARK)
        return VerticalLimit(float(value) * factor, Datum.AMSL, unit)
    raise ValueError(f"unknown vertical reference {ref!r}: expected AGL, AMSL or WGS84")


def _ring_check(shape: Any) -> Polygon | MultiPolygon:
    problem = validity_problem(shape)
    if problem:
        raise ValueError(problem)
    return normalise(shape)


def _circle(lon: Any, lat: Any, radius_m: float) -> tuple[Polygon | MultiPolygon, Circle]:
    lon, lat = float(lon), float(lat)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"centre [{lon}, {lat}] out of range: expected [lon, lat] in degrees")
    c = Circle(lat, lon, radius_m)
    return circle_polygon(lat, lon, radius_m), c


def _projection(p: Any, factor: float) -> tuple[Polygon | MultiPolygon, Circle | None]:
    if not isinstance(p, dict):
        raise TypeError("expected an object with type Polygon or Circle")
    kind = p.get("type")
    if kind == "Circle":
        centre, radius = p.get("center"), p.get("radius")
        if not isinstance(centre, list) or len(centre) != 2 or radius is None:
            raise ValueError("a Circle needs 'center': [lon, lat] and 'radius'")
        return _circle(centre[0], centre[1], float(radius) * factor)
    if kind == "Polygon":
        return _ring_check(sg.shape(p)), None
    raise ValueError(f"unsupported projection {kind!r}: expected Polygon or Circle")


def _geojson(g: dict[str, Any]) -> tuple[Polygon | MultiPolygon, Circle | None]:
    kind = g.get("type")
    if kind == "Point":
        ext = g.get("extent")
        if not isinstance(ext, dict) or ext.get("subType") != "Circle":
            raise ValueError("a Point zone needs 'extent': {'subType': 'Circle', 'radius': m}")
        lon, lat = g["coordinates"][:2]
        return _circle(lon, lat, float(ext["radius"]))
    if kind in ("Polygon", "MultiPolygon"):
        return _ring_check(sg.shape({"type": kind, "coordinates": g.get("coordinates")})), None
    raise ValueError(f"unsupported geometry {kind!r}: expected Polygon, MultiPolygon or "
                     "Point with a Circle extent")


def _clock(text: Any) -> tuple[time, str]:
    """``HH:MM[:SS[.ss]]`` with ``Z``, ``+HH:MM`` or nothing (UTC) -> (time, IANA tz)."""
    m = re.fullmatch(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?",
                     str(text).strip())
    if not m:
        raise ValueError(f"bad time {text!r}: expected HH:MM or HH:MM:SS.ssZ")
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 24 or mi > 59 or (h == 24 and mi):
        raise ValueError(f"bad time {text!r}: hours 00-24, minutes 00-59")
    off = (m.group(4) or "Z").replace(":", "")
    tz = "UTC"
    if off not in ("Z", "+0000", "-0000"):
        if off[3:] != "00":
            raise ValueError(f"time {text!r}: only whole-hour UTC offsets are supported")
        hours = int(off[:3])
        tz = f"Etc/GMT{-hours:+d}"  # POSIX sign: Etc/GMT-2 is UTC+2
    return (time(23, 59, 59, 999999) if h == 24 else time(h, mi)), tz


def _schedule(entries: Any, remarks: list[str], ed318: bool) -> Schedule:
    if entries is None or entries == []:
        if not ed318:
            raise ValueError("'applicability' must list at least one entry")
        return Schedule()
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TypeError("expected a list of objects")
    periods: list[tuple[datetime, datetime]] = []
    weekly: list[WeeklyWindow] = []
    unbounded = always = False
    for e in entries:
        if e.get("permanent", "NO") not in ("YES", "NO"):
            raise ValueError(f"bad permanent {e.get('permanent')!r}: expected YES or NO")
        if e.get("permanent") == "YES" or not (e.get("startDateTime") or e.get("endDateTime")):
            unbounded = True
        else:
            start = parse_utc(str(e["startDateTime"])) if e.get("startDateTime") else None
            end = parse_utc(str(e["endDateTime"])) if e.get("endDateTime") else OPEN_END
            if start is None:
                start = datetime(1970, 1, 1, tzinfo=UTC)
            if end <= start:
                raise ValueError(f"period ends ({e.get('endDateTime')}) before it starts "
                                 f"({e.get('startDateTime')})")
            periods.append((start, end))
        daily = e.get("schedule") or []
        if not daily:
            always = True
        for d in daily:
            weekly.append(_window(d, remarks))
    if len(entries) > 1 and periods and weekly:
        remarks.append("several applicability entries merged: every window applies in every "
                       "period (may be wider than published)")
    return Schedule(periods=() if unbounded else tuple(periods),
                    weekly=() if always else tuple(weekly))


def _window(d: Any, remarks: list[str]) -> WeeklyWindow:
    if not isinstance(d, dict):
        raise TypeError("a daily period must be an object")
    names = d.get("day")
    if not isinstance(names, list) or not names:
        raise ValueError("a daily period needs 'day': ['MON', ...]")
    days: set[int] = set()
    for name in names:
        n = str(name).strip().upper()
        if n == "ANY":
            days.update(range(7))
        elif n in DAYS:
            days.add(DAYS.index(n))
        else:
            raise ValueError(f"bad day {name!r}: expected MON..SUN or ANY")
    if d.get("startEvent") or d.get("endEvent"):
        remarks.append(f"sunrise/sunset window ({d.get('startEvent') or d.get('startTime')}-"
                       f"{d.get('endEvent') or d.get('endTime')}) taken as the whole day")
        return WeeklyWindow(frozenset(days), time(0), time(23, 59, 59, 999999))
    (start, tz1), (end, tz2) = _clock(d.get("startTime")), _clock(d.get("endTime"))
    if tz1 != tz2:
        raise ValueError("startTime and endTime have different UTC offsets")
    return WeeklyWindow(frozenset(days), start, end, tz1)
