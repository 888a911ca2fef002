"""OpenAir airspace files (WinPilot 1998, with the Naviter/SeeYou 2.x extensions).

One record per line, ``*`` starts a comment (whole line, or after a space). Every airspace
starts with ``AC``; the records up to the next ``AC`` describe it.

Records read:

``AC class``   ``P`` prohibited, ``R`` restricted, ``Q`` danger, ``A``-``G``/``CTR``/``TMA``/...
               controlled, ``TMZ``/``RMZ``/``W``/``GP``/``GSEC``/... custom, ``UAS...`` drone
               (see :data:`KINDS`). Kept in ``properties["class"]``.
``AY type``    the airspace type of OpenAir 2 (``AC`` is then only the ICAO class); when
               present and not ``NONE`` it chooses the kind. Kept in ``properties["type"]``.
``AN name``    ``AI id``: the zone id; without it, a slug of ``AN`` (``-2``, ``-3``... on repeats).
``AL``/``AH``  floor and ceiling: ``SFC``, ``GND``, ``FL65``, ``2500ft``, ``2500 MSL``,
               ``1000ft AGL``, ``1500m``, ``UNL``/``UNLIM``/``UNLTD``.
``AA a/b``     activation in UTC as an ISO 8601 interval; ``NONE`` for an open end. ``AA NONE``
               alone (activated by NOTAM) keeps the zone always active, with a remark.
``V X=point``  centre of the following ``DA``/``DB``/``DC``.
``V D=+|-``    arc direction, ``+`` clockwise (default). ``V X`` and ``V D`` reset at ``AC``.
``V W=nm``     airway width for ``DY``. (``V Z=`` is a display zoom and is ignored.)
``DP point``   polygon vertex; edges straight in lon/lat, the ring closed for you.
``DA r,a1,a2`` arc of radius ``r`` NM from bearing ``a1`` to ``a2`` (degrees true).
``DB p1,p2``   arc from ``p1`` to ``p2`` around ``V X``; ends are kept exactly.
``DC r``       circle of radius ``r`` NM around ``V X``: the whole shape, kept as a true circle.
``DY point``   airway segment point: the points make a corridor ``V W`` wide.

Ignored on purpose: ``AF`` frequency, ``AG`` station, ``AX`` transponder code (all three kept
in ``properties``), ``SP``/``SB`` pen and brush, ``AT`` label position. Any other record is
an error.

Points: ``48:30:00 N 002:20:00 E``, ``48:30:00N 002:20:00E``, ``48:30.5N 2:20.25E`` (minutes
with decimals), ``48.5N 2.3375E`` (decimal degrees), with or without a comma between latitude
and longitude. Distances are nautical miles (1852 m). Curves are geodesic on WGS84, densified
by :mod:`skyfence.zones.geometry`.

Every error names the file, the line, the airspace and the record; nothing is returned
until the whole file has been read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from shapely.geometry import MultiPolygon, Polygon

from skyfence.errors import ZoneFormatError
from skyfence.zones.common import located
from skyfence.zones.geometry import (
    GEOD,
    arc_points,
    circle_polygon,
    corridor_polygon,
    normalise,
    validity_problem,
)
from skyfence.zones.model import Circle, Kind, Zone, ZoneSet
from skyfence.zones.schedule import Schedule, parse_utc
from skyfence.zones.vertical import NM, Datum, VerticalLimit, parse_limit

__all__ = ["KINDS", "parse", "parse_point", "sniff"]

_CONTROLLED = ("A", "B", "C", "D", "E", "F", "G", "CTR", "TMA", "CTA", "ATZ", "MATZ", "HTZ",
               "TIZ", "TIA", "AWY", "CLASSA", "CLASSB", "CLASSC", "CLASSD", "CLASSE")
_CUSTOM = ("TMZ", "RMZ", "TRZ", "W", "GP", "GSEC", "UNC", "UNCLASSIFIED", "NONE", "CUSTOM",
           "VFRR", "VFRSEC", "ACCSEC", "LTA", "UTA", "ASRA", "OFR", "FIS", "MTR", "TRAFR",
           "ADIZ", "N", "RMZ/TMZ", "TMZ/RMZ")
KINDS: dict[str, Kind] = {
    "P": Kind.PROHIBITED, "PROHIBITED": Kind.PROHIBITED,
    "R": Kind.RESTRICTED, "RESTRICTED": Kind.RESTRICTED, "TRA": Kind.RESTRICTED,
    "TSA": Kind.RESTRICTED, "MTA": Kind.RESTRICTED,
    "Q": Kind.DANGER, "DANGER": Kind.DANGER, "WARNING": Kind.DANGER, "ALERT": Kind.DANGER,
    "TFR": Kind.TFR, "FIR": Kind.FIR, "UIR": Kind.FIR,
    **dict.fromkeys(_CONTROLLED, Kind.CONTROLLED),
    **dict.fromkeys(_CUSTOM, Kind.CUSTOM),
}
"""OpenAir class/type -> zone kind. Unknown classes become ``custom``; anything starting with
``UAS``, ``UAV``, ``RPAS`` or ``DRONE`` becomes ``drone``."""

SEVERITY = {Kind.PROHIBITED: "critical", Kind.TFR: "critical", Kind.RESTRICTED: "warning",
            Kind.DANGER: "warning", Kind.DRONE: "warning"}  # the others: "info"

_IGNORED = {"SP", "SB", "AT"}
_KEPT = {"AF": "frequency", "AG": "station", "AX": "transponder"}
_FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)

_NUM = r"\d+(?:[.:]\d+)*"
_POINT = rf"({_NUM})\s*([NS])\s*,?\s*({_NUM})\s*([EW])"
_POINT_RE = re.compile(rf"\s*{_POINT}\s*", re.IGNORECASE)
_TWO_POINTS_RE = re.compile(rf"\s*{_POINT}\s*,?\s*{_POINT}\s*", re.IGNORECASE)


def kind_of(text: str) -> Kind:
    t = text.strip().upper()
    if t.startswith(("UAS", "UAV", "RPAS", "DRONE")):
        return Kind.DRONE
    return KINDS.get(t, Kind.CUSTOM)


def sniff(text: str) -> bool:
    lines = [ln.strip().upper() for ln in text[:20_000].splitlines()]
    return any(ln.startswith("AC ") for ln in lines) and any(
        ln.startswith(("DP ", "DC ", "DA ", "DB ", "V X=")) for ln in lines
    )


def _angle(text: str, hemi: str, limit: float) -> float:
    parts = text.split(":")
    if len(parts) > 3 or any(not p for p in parts):
        raise ValueError(f"bad angle {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"bad angle {text!r}: expected DD:MM:SS, DD:MM.mm or DD.dd") from None
    if any(v != int(v) for v in values[:-1]):
        raise ValueError(f"bad angle {text!r}: only the last part may have decimals")
    if any(v >= 60 for v in values[1:]):
        raise ValueError(f"bad angle {text!r}: minutes and seconds must be below 60")
    deg = sum(v / 60.0**k for k, v in enumerate(values))
    if deg > limit:
        raise ValueError(f"{text}{hemi} out of range: at most {limit:g} degrees")
    return -deg if hemi.upper() in "SW" else deg


def _to_point(groups: tuple[str | Any, ...]) -> tuple[float, float]:
    return _angle(groups[2], groups[3], 180.0), _angle(groups[0], groups[1], 90.0)


def parse_point(text: str) -> tuple[float, float]:
    """``(lon, lat)`` of an OpenAir point such as ``48:30:00 N 002:20:00 E``."""
    m = _POINT_RE.fullmatch(text)
    if not m:
        raise ValueError(
            f"bad coordinates {text.strip()!r}: expected e.g. '48:30:00 N 002:20:00 E' "
            "or '48:30.5N 2:20.25E'"
        )
    return _to_point(m.groups())


def _numbers(text: str, n: int, what: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    ok = all(re.fullmatch(r"[-+]?\d+(?:\.\d*)?|[-+]?\.\d+", p) for p in parts)
    values = [float(p) for p in parts] if ok else []
    if len(values) != n:
        raise ValueError(f"bad {what} {text.strip()!r}: expected {n} comma-separated numbers")
    return values


def _limit(text: str) -> VerticalLimit:
    t = re.sub(r"\s+", " ", text.strip().upper())
    t = re.sub(r"^FL\s*(\d+(?:\.\d+)?)(?: STD)?$", r"FL\1", t)
    t = re.sub(r"^(\d+(?:\.\d+)?) ?FT\b", r"\1 FT", t)
    t = {"MSL": "0 ft AMSL", "UNLIMITED": "UNL"}.get(t, t)
    return parse_limit(t, Datum.AMSL)


def _iso(text: str) -> datetime:
    t = text.strip()
    m = re.fullmatch(r"(.*T)24:00(?::00)?(Z?)", t, re.IGNORECASE)
    if m:
        return parse_utc(f"{m.group(1)}00:00{m.group(2)}") + timedelta(days=1)
    return parse_utc(t)


def _period(text: str) -> tuple[datetime, datetime]:
    parts = text.strip().split("/")
    if len(parts) != 2:
        raise ValueError(f"bad activation {text.strip()!r}: expected START/END in ISO 8601 UTC")
    a, b = parts
    start = _FAR_PAST if a.upper() == "NONE" else _iso(a)
    end = _FAR_FUTURE if b.upper() == "NONE" else _iso(b)
    if end <= start:
        raise ValueError(f"activation {text.strip()!r} ends before it starts")
    return start, end


@dataclass
class _Block:
    """An airspace being read: everything between one ``AC`` and the next."""

    line: int
    cls: str
    name: str = ""
    ident: str = ""
    type: str = ""
    floor: VerticalLimit | None = None
    ceiling: VerticalLimit | None = None
    centre: tuple[float, float] | None = None  # (lon, lat)
    clockwise: bool = True
    width_nm: float | None = None
    ring: list[tuple[float, float]] = field(default_factory=list)
    airway: list[tuple[float, float]] = field(default_factory=list)
    circle: Circle | None = None
    periods: list[tuple[datetime, datetime]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # first line of each record

    @property
    def label(self) -> str:
        return f"airspace {self.name!r}" if self.name else f"airspace at line {self.line}"


def parse(text: str, where: str = "<string>") -> ZoneSet:
    zones: list[Zone] = []
    used: set[str] = set()
    block: _Block | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)\*.*$", "", raw).strip()
        if not line:
            continue
        key, _, arg = line.replace("\t", " ").partition(" ")
        key = key.upper()
        if key == "AC":
            if block is not None:
                zones.append(_finish(block, where, used))
            if not arg.strip():
                raise ZoneFormatError("AC needs a class, e.g. 'AC R'", where=where, line=n,
                                      field="AC")
            block = _Block(n, arg.strip())
            continue
        if block is None:
            raise ZoneFormatError(f"record {key} before the first AC", where=where, line=n,
                                  field=key)
        located(partial(_record, block, key, arg), where=where, line=n, item=block.label,
                field=key)
        block.lines.setdefault(key, n)
    if block is not None:
        zones.append(_finish(block, where, used))
    return located(lambda: ZoneSet(zones), where=where, item="zones")


def _record(b: _Block, key: str, arg: str) -> None:
    """Apply one record (other than ``AC``) to the airspace being read."""
    if key == "AN":
        b.name = arg.strip()
    elif key == "AI":
        b.ident = arg.strip()
    elif key == "AY":
        b.type = arg.strip()
    elif key == "AL":
        b.floor = _limit(arg)
    elif key == "AH":
        b.ceiling = _limit(arg)
    elif key == "AA":
        if arg.strip().upper() == "NONE":
            b.remarks.append("AA NONE: activated by NOTAM; watched as always active")
        else:
            b.periods.append(_period(arg))
    elif key in _KEPT:
        b.props[_KEPT[key]] = arg.strip()
    elif key in _IGNORED:
        pass
    elif key == "V":
        _variable(b, arg)
    elif key in ("DP", "DA", "DB"):
        if b.circle is not None or b.airway:
            raise ValueError(f"{key} after DC or DY: an airspace is one polygon, circle or airway")
        b.ring.extend(_outline(b, key, arg))
    elif key == "DC":
        if b.ring or b.airway or b.circle is not None:
            raise ValueError("DC must be the only shape record of its airspace")
        lon, lat = _centre(b)
        r = _numbers(arg, 1, "radius")[0]
        if not r > 0:
            raise ValueError(f"circle radius must be positive, got {r:g} NM")
        b.circle = Circle(lat, lon, r * NM)
    elif key == "DY":
        if b.ring or b.circle is not None:
            raise ValueError("DY cannot be mixed with DP/DA/DB/DC in one airspace")
        b.airway.append(parse_point(arg))
    else:
        raise ValueError(
            f"unknown OpenAir record {key!r}: expected AC, AN, AI, AY, AL, AH, AA, AF, AG, AX, "
            "SP, SB, AT, V, DP, DA, DB, DC or DY"
        )


def _variable(b: _Block, arg: str) -> None:
    name, eq, value = arg.partition("=")
    name = name.strip().upper()
    if not eq:
        raise ValueError(f"bad variable {arg!r}: expected V X=, V D=, V W= or V Z=")
    if name == "X":
        b.centre = parse_point(value)
    elif name == "D":
        v = value.strip()
        if v not in ("+", "-"):
            raise ValueError(f"bad direction {v!r}: expected + (clockwise) or -")
        b.clockwise = v == "+"
    elif name == "W":
        w = _numbers(value, 1, "width")[0]
        if not w > 0:
            raise ValueError(f"airway width must be positive, got {w:g} NM")
        b.width_nm = w
    elif name != "Z":
        raise ValueError(f"unknown variable V {name}=: expected X, D, W or Z")


def _centre(b: _Block) -> tuple[float, float]:
    if b.centre is None:
        raise ValueError("no centre: give 'V X=<point>' before DA/DB/DC")
    return b.centre


def _outline(b: _Block, key: str, arg: str) -> list[tuple[float, float]]:
    if key == "DP":
        return [parse_point(arg)]
    lon0, lat0 = _centre(b)
    if key == "DA":
        r, a1, a2 = _numbers(arg, 3, "arc (radius, start, end)")
        if not r > 0:
            raise ValueError(f"arc radius must be positive, got {r:g} NM")
        pts = arc_points(lat0, lon0, r * NM, a1, a2, clockwise=b.clockwise)
        return [(float(x), float(y)) for x, y in pts]
    m = _TWO_POINTS_RE.fullmatch(arg)
    if not m:
        raise ValueError(f"bad arc {arg.strip()!r}: expected two points 'P1, P2'")
    p1, p2 = _to_point(m.groups()[:4]), _to_point(m.groups()[4:])
    az1, _, r1 = GEOD.inv(lon0, lat0, p1[0], p1[1])
    az2, _, r2 = GEOD.inv(lon0, lat0, p2[0], p2[1])
    if min(r1, r2) <= 0:
        raise ValueError("arc end point is on the centre")
    pts = arc_points(lat0, lon0, (r1 + r2) / 2.0, az1 % 360.0, az2 % 360.0,
                     clockwise=b.clockwise)
    # the two ends exactly as published (their radii differ by rounding only)
    return [p1, *((float(x), float(y)) for x, y in pts[1:-1]), p2]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "airspace"


def _finish(b: _Block, where: str, used: set[str]) -> Zone:
    def at(fld: str) -> int:  # the first line of that record, else the AC line
        return b.lines.get(fld, b.line)

    def err(msg: str, fld: str) -> ZoneFormatError:
        return ZoneFormatError(msg, where=where, line=at(fld), item=b.label, field=fld)

    if b.floor is None:
        raise err("no floor: every airspace needs an AL record", "AL")
    if b.ceiling is None:
        raise err("no ceiling: every airspace needs an AH record", "AH")
    geometry: Polygon | MultiPolygon
    if b.circle is not None:
        c = b.circle
        geometry = located(lambda: circle_polygon(c.lat, c.lon, c.radius_m), where=where,
                           line=at("DC"), item=b.label, field="DC")
    elif b.airway:
        if b.width_nm is None:
            raise err("DY airway without a width: give 'V W=<NM>' first", "DY")
        width = b.width_nm * NM
        geometry = located(lambda: corridor_polygon(b.airway, width), where=where,
                           line=at("DY"), item=b.label, field="DY")
    else:
        ring = list(b.ring)
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring.pop()
        if len(set(ring)) < 3:
            raise err(f"no shape: {len(ring)} distinct points, need at least 3 "
                      "(DP/DA/DB) or a DC circle or DY airway", "DP")
        poly = Polygon(ring)
        problem = validity_problem(poly)
        if problem:
            raise err(problem, "DP")
        geometry = normalise(poly)
    ident = b.ident or _slug(b.name or b.cls)
    zid, k = ident, 1
    while zid in used:
        if b.ident:
            raise err(f"duplicate zone id {ident!r}", "AI")
        k += 1
        zid = f"{ident}-{k}"
    used.add(zid)
    kind = kind_of(b.type) if b.type and b.type.upper() != "NONE" else kind_of(b.cls)
    props: dict[str, Any] = {"class": b.cls, **({"type": b.type} if b.type else {}), **b.props}
    floor, ceiling = b.floor, b.ceiling
    return located(
        lambda: Zone(
            id=zid,
            name=b.name or zid,
            geometry=geometry,
            circle=b.circle,
            floor=floor,
            ceiling=ceiling,
            kind=kind,
            severity=SEVERITY.get(kind, "info"),
            schedule=Schedule(periods=tuple(b.periods)),
            source=where,
            remarks="; ".join(b.remarks),
            properties=props,
        ),
        where=where, line=at("AL"), item=b.label, field="AL",
    )
