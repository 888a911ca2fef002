"""ICAO NOTAMs in their text form (ICAO Annex 15 / PANS-AIM Doc 10066, Appendix 3).

A file holds one or many NOTAMs, each starting with its series, number and year and its type,
optionally in parentheses::

    (A1234/26 NOTAMN
    Q) EPWW/QRTCA/IV/BO/W/000/120/5213N02100E005
    A) EPWW B) 2605010600 C) 2605312200 EST
    D) MON-FRI 0600-2200
    E) TEMPORARY RESTRICTED AREA EP R42 ACTIVATED.
    F) SFC G) 12000FT AMSL)

Items read:

``Q)``  ``FIR/Qxxyy/traffic/purpose/scope/lower/upper/DDMMNDDDMMERRR``: the subject ``xx``
        chooses the kind (:data:`SUBJECT_KINDS`: ``RT`` tfr, ``RP`` prohibited, ``RR``/``RA``/
        ``RM``/``RO`` restricted, ``RD`` and every ``W..`` danger, ``A..`` controlled, else
        custom); lower/upper are flight levels (``000`` is the surface, ``999`` unlimited);
        the centre and radius (NM) are the shape unless E) gives one.
``A)``  location indicators, kept in ``properties["locations"]``.
``B)``  start, ``YYMMDDHHMM`` UTC. ``C)`` end, the same, ``EST`` (kept, with a remark) or
        ``PERM`` (open end). The zone is active only in ``[B, C)``.
``D)``  simple schedules become weekly UTC windows inside B-C: ``H24``, ``DAILY 0700-1500``,
        ``MON-FRI 0600-2200``, ``SAT SUN 0800-1200``, ``0600-1800`` (daily), several groups
        separated by commas. Anything else -- dates (``MAY 01 05 0600-1800``), ``EXC``, and
        sunrise/sunset (``SR``/``SS``) -- is kept in ``remarks`` and the zone is active over the
        whole of B-C: a watcher then alarms too often rather than miss an activation.
``E)``  kept as ``remarks``. If it holds a circle (``RADIUS 2NM CENTERED ON 5213N02100E``)
        that is the shape; three or more positions (``PSN 521300N0210000E ...``, ``AREA
        BOUNDED BY ...``, ``WI ...``) are a polygon. Positions: ``DDMM[SS][.s]N
        DDDMM[SS][.s]E``.
``F)``/``G)``  floor and ceiling (``SFC``, ``GND``, ``2000FT AMSL``, ``FL100``, ``UNL``) replace
        the Q line's flight levels.

``NOTAMC`` (cancel) gives no zone; it and ``NOTAMR`` (replace) remove the NOTAM they name if
it is in the same file. The zone id is the NOTAM id, e.g. ``A1234/26``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import MultiPolygon, Polygon

from skyfence.errors import ZoneFormatError
from skyfence.zones.common import distance_m, located
from skyfence.zones.geometry import circle_polygon, normalise, validity_problem
from skyfence.zones.model import Circle, Kind, Zone, ZoneSet
from skyfence.zones.schedule import Schedule, WeeklyWindow
from skyfence.zones.vertical import NM, VerticalLimit, parse_limit

__all__ = ["SUBJECT_KINDS", "parse", "parse_position", "sniff"]

SUBJECT_KINDS = {"RT": Kind.TFR, "RP": Kind.PROHIBITED, "RD": Kind.DANGER,
                 "RR": Kind.RESTRICTED, "RA": Kind.RESTRICTED, "RM": Kind.RESTRICTED,
                 "RO": Kind.RESTRICTED}
SEVERITY = {Kind.PROHIBITED: "critical", Kind.TFR: "critical", Kind.RESTRICTED: "warning",
            Kind.DANGER: "warning", Kind.DRONE: "warning"}  # the others: "info"
UNLIMITED_FL = 999  # Q line: "no upper limit"
PERM_END = datetime(9999, 1, 1, tzinfo=UTC)

_HEADER = re.compile(
    r"^\s*\(?\s*([A-Z]\d{4}/\d{2})\s+NOTAM([NRC])\b(?:\s+([A-Z]\d{4}/\d{2}))?", re.MULTILINE
)
_ITEM = re.compile(r"(?:^|(?<=\s))([QABCDEFG])\)\s*")
_ORDER = "QABCDEFG"
_POS = re.compile(r"(?<![\d.])(\d{4,6}(?:\.\d+)?)([NS])\s*(\d{5,7}(?:\.\d+)?)([EW])\b")
_RADIUS = re.compile(
    r"RADIUS\s+(?:OF\s+)?(\d+(?:\.\d+)?)\s*(NM|KM|M)\b|(\d+(?:\.\d+)?)\s*(NM|KM|M)\s+RADIUS"
)
_DAYS = r"(?:MON|TUE|WED|THU|FRI|SAT|SUN)"
_DAYSPEC = rf"(?:DAILY|{_DAYS}(?:-{_DAYS})?(?:[ ,]+{_DAYS}(?:-{_DAYS})?)*)"
_TIMES = r"(?:\d{4}-\d{4})(?:[ ,]+\d{4}-\d{4})*"
_GROUP = re.compile(rf"(?:({_DAYSPEC})\s+)?({_TIMES})")


def sniff(text: str) -> bool:
    return bool(_HEADER.search(text[:20_000])) and "Q)" in text[:20_000]


def parse_position(lat: str, ns: str, lon: str, ew: str) -> tuple[float, float]:
    """``(lon, lat)`` of a NOTAM position: ``5213N`` ``02100E`` or ``521300N`` ``0210000E``."""

    def angle(text: str, deg_digits: int, hemi: str, limit: float) -> float:
        whole, _, frac = text.partition(".")
        if len(whole) not in (deg_digits + 2, deg_digits + 4):
            raise ValueError(f"bad position {lat}{ns}{lon}{ew}: expected DDMM[SS]N DDDMM[SS]E")
        d = int(whole[:deg_digits])
        m = float(whole[deg_digits:deg_digits + 2])
        s = float(whole[deg_digits + 2:] or 0)
        if frac and len(whole) == deg_digits + 2:
            m += float("0." + frac)
        elif frac:
            s += float("0." + frac)
        if m >= 60 or s >= 60:
            raise ValueError(f"bad position {lat}{ns}{lon}{ew}: minutes and seconds below 60")
        value = d + m / 60.0 + s / 3600.0
        if value > limit:
            raise ValueError(f"bad position {lat}{ns}{lon}{ew}: beyond {limit:g} degrees")
        return -value if hemi in "SW" else value

    return angle(lon, 3, ew, 180.0), angle(lat, 2, ns, 90.0)


def _when(text: str) -> datetime:
    t = text.strip()
    if not re.fullmatch(r"\d{10}", t):
        raise ValueError(f"bad date {t!r}: expected YYMMDDHHMM (UTC)")
    try:
        return datetime.strptime(t, "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"bad date {t!r}: not a valid YYMMDDHHMM time") from None


def _weekly(text: str) -> tuple[WeeklyWindow, ...] | None:
    """D) as weekly UTC windows, ``()`` for H24, None when it is not one of the simple forms."""
    t = re.sub(r"\s+", " ", text.strip().upper()).rstrip(".")
    if t in ("H24", "DAILY H24"):
        return ()
    if re.search(r"\b(SR|SS|HJ|HN|EXC|PLUS|MINUS)\b", t):
        return None
    pos, out = 0, []
    while pos < len(t):
        m = _GROUP.match(t, pos)
        if not m:
            return None
        days = (m.group(1) or "DAILY").replace(" ", ",").replace(",,", ",")
        for rng in re.findall(r"\d{4}-\d{4}", m.group(2)):
            out.append(WeeklyWindow.parse(f"{days} {rng} UTC"))
        pos = m.end()
        sep = re.match(r"[ ,]*", t[pos:])
        pos += sep.end() if sep else 0
    return tuple(out)


@dataclass
class _Notam:
    ident: str
    type: str
    ref: str | None
    line: int
    items: dict[str, tuple[str, int]]  # letter -> (text, line)


def _split(text: str) -> list[_Notam]:
    heads = list(_HEADER.finditer(text))
    out = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body_start = h.end()
        body = text[body_start:end]
        items: dict[str, tuple[str, int]] = {}
        matches = []
        rank = -1
        for m in _ITEM.finditer(body):
            r = _ORDER.index(m.group(1))
            if r > rank:
                matches.append(m)
                rank = r
        for k, m in enumerate(matches):
            stop = matches[k + 1].start() if k + 1 < len(matches) else len(body)
            value = body[m.end():stop].strip()
            if k + 1 == len(matches):
                value = re.sub(r"\)\s*$", "", value).strip()
            items[m.group(1)] = (value, text.count("\n", 0, body_start + m.start()) + 1)
        line = text.count("\n", 0, h.start() + len(h.group(0)) - len(h.group(0).lstrip())) + 1
        out.append(_Notam(h.group(1), h.group(2), h.group(3), line, items))
    return out


def parse(text: str, where: str = "<string>") -> ZoneSet:
    notams = _split(text.replace("\r\n", "\n"))
    if not notams:
        raise ZoneFormatError("no NOTAM found: expected e.g. 'A1234/26 NOTAMN'", where=where)
    gone = {n.ref for n in notams if n.ref}
    zones: dict[str, Zone] = {}
    for n in notams:
        if n.type == "C":
            continue
        if n.ident in zones:
            raise ZoneFormatError(f"NOTAM {n.ident} appears twice", where=where, line=n.line,
                                  item=f"NOTAM {n.ident}")
        zones[n.ident] = _zone(n, where)
    return located(lambda: ZoneSet(z for k, z in zones.items() if k not in gone),
                   where=where, item="zones")


def _zone(n: _Notam, where: str) -> Zone:
    item = f"NOTAM {n.ident}"

    def need(letter: str) -> tuple[str, int]:
        if letter not in n.items or not n.items[letter][0]:
            raise ZoneFormatError(f"missing item {letter})", where=where, line=n.line,
                                  item=item, field=f"{letter})")
        return n.items[letter]

    def at(letter: str, fn: Any) -> Any:
        line = n.items[letter][1] if letter in n.items else n.line
        return located(fn, where=where, line=line, item=item, field=f"{letter})")

    q, _ = need("Q")
    fields = [f.strip() for f in q.split("/")]
    if len(fields) != 8 or not re.fullmatch(r"Q[A-Z]{4}", fields[1]):
        at("Q", lambda: _raise(f"bad Q) line {q!r}: expected FIR/QCODE/TRAFFIC/PURPOSE/"
                               "SCOPE/LOWER/UPPER/DDMMNDDDMMERRR"))
    fir, code, traffic, purpose, scope, low, up, where_q = fields
    qm = re.fullmatch(r"(\d{4})([NS])(\d{5})([EW])(\d{3})", where_q)
    if not qm:
        at("Q", lambda: _raise(f"bad Q) position {where_q!r}: expected e.g. 5213N02100E005"))
    assert qm is not None
    lon, lat = at("Q", lambda: parse_position(*qm.groups()[:4]))
    radius_nm = int(qm.group(5))
    floor = at("Q", lambda: _fl(low))
    ceiling = at("Q", lambda: _fl(up))
    if "F" in n.items:
        floor = at("F", lambda: parse_limit(_alt(n.items["F"][0])))
    if "G" in n.items:
        ceiling = at("G", lambda: parse_limit(_alt(n.items["G"][0])))

    b_text, _ = need("B")
    start = at("B", lambda: _when(b_text))
    c_text, _ = need("C")
    remarks: list[str] = []
    c_clean = c_text.strip().upper()
    if c_clean == "PERM":
        end = PERM_END
    else:
        if c_clean.endswith("EST"):
            c_clean = c_clean[:-3].strip()
            remarks.append("C) end time is estimated (EST)")
        end = at("C", lambda: _when(c_clean))
    if end <= start:
        at("C", lambda: _raise(f"C) {c_text.strip()} is not after B) {b_text.strip()}"))

    weekly: tuple[WeeklyWindow, ...] = ()
    if "D" in n.items:
        d_text = n.items["D"][0]
        found = at("D", lambda: _weekly(d_text))
        if found is None:
            remarks.append(f"D) {d_text.strip()} kept as text: not a simple weekly schedule "
                           "(dates, SR/SS, EXC); the zone is active for the whole of B)-C)")
        else:
            weekly = found

    e_text = n.items.get("E", ("", n.line))[0]
    shape, circle = at("E", lambda: _shape(e_text, lat, lon, radius_nm, remarks))
    limits = "F" if "F" in n.items else "Q"
    kind = _kind(code)
    subject = code[1:3]
    return located(lambda: Zone(
        id=n.ident,
        name=f"NOTAM {n.ident}" + (f" {n.items['A'][0]}" if "A" in n.items else ""),
        geometry=shape,
        circle=circle,
        floor=floor,
        ceiling=ceiling,
        kind=kind,
        severity=SEVERITY.get(kind, "info"),
        schedule=Schedule(periods=((start, end),), weekly=weekly),
        source=where,
        remarks="\n".join([e_text.strip(), *remarks]).strip(),
        properties={"notam_type": f"NOTAM{n.type}", "fir": fir, "qcode": code,
                    "subject": subject, "condition": code[3:5], "traffic": traffic,
                    "purpose": purpose, "scope": scope,
                    "locations": n.items.get("A", ("", 0))[0].split(),
                    **({"replaces": n.ref} if n.ref else {})},
    ), where=where, line=n.items[limits][1], item=item, field=f"{limits})")


def _raise(msg: str) -> None:
    raise ValueError(msg)


def _kind(code: str) -> Kind:
    subject = code[1:3]
    if subject in SUBJECT_KINDS:
        return SUBJECT_KINDS[subject]
    if subject.startswith("W"):
        return Kind.DANGER
    if subject.startswith("A"):
        return Kind.CONTROLLED
    return Kind.CUSTOM


def _fl(text: str) -> VerticalLimit:
    if not re.fullmatch(r"\d{3}", text):
        raise ValueError(f"bad flight level {text!r} in Q): expected three digits, e.g. 000")
    fl = int(text)
    if fl == 0:
        return VerticalLimit.surface()
    if fl >= UNLIMITED_FL:
        return VerticalLimit.unlimited()
    return VerticalLimit.flight_level(fl)


def _alt(text: str) -> str:
    t = re.sub(r"\s+", " ", text.strip().upper().rstrip(")").strip())
    t = re.sub(r"^(\d+(?:\.\d+)?) ?(FT|M)\b", r"\1 \2", t)
    return {"MSL": "0 FT AMSL"}.get(t, t)


def _shape(
    e: str, lat: float, lon: float, radius_nm: int, remarks: list[str]
) -> tuple[Polygon | MultiPolygon, Circle | None]:
    text = e.upper()
    points = [parse_position(*m.groups()) for m in _POS.finditer(text)]
    r = _RADIUS.search(text)
    if r and points:
        cm = re.search(r"CENT(?:ER|RE)D?\s+(?:ON|AT)?\s*", text)
        after = [parse_position(*m.groups()) for m in _POS.finditer(text, cm.end())] if cm else []
        clon, clat = (after or points)[0]
        value, unit = (r.group(1), r.group(2)) if r.group(1) else (r.group(3), r.group(4))
        c = Circle(clat, clon, distance_m(float(value), unit))
        return circle_polygon(c.lat, c.lon, c.radius_m), c
    if len(points) >= 3:
        ring = points[:-1] if points[0] == points[-1] else points
        poly = Polygon(ring)
        problem = validity_problem(poly)
        if problem is None and len(set(ring)) >= 3:
            return normalise(poly), None
        remarks.append(f"E) positions do not make one valid polygon ({problem}); "
                       "the Q) circle is used")
    if radius_nm <= 0:
        raise ValueError("Q) radius is 000 and E) gives no shape")
    c = Circle(lat, lon, radius_nm * NM)
    return circle_polygon(lat, lon, c.radius_m), c
