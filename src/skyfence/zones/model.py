"""The zone model: :class:`Zone` and :class:`ZoneSet`.

A zone is a horizontal shape (polygon, multipolygon with holes, geodesic circle or corridor,
always held as a lon/lat Polygon/MultiPolygon, and for circles also as centre and radius, for
corridors as centre line and width, so that detection can use the true distance), a floor
and a ceiling, a schedule, exemptions, warning margins, a kind and a severity.

Equality compares what the zone *is*: ``source`` (where it was read from) and
``properties`` (extra keys carried through) take no part, so a zone written to GeoJSON and
read back compares equal.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pyarrow as pa
from shapely.geometry import MultiPolygon, Polygon

from skyfence.zones.geometry import geodesic_area_km2, geodesic_circle_area_km2
from skyfence.zones.schedule import Schedule
from skyfence.zones.vertical import Datum, VerticalLimit

__all__ = [
    "EMERGENCY_SQUAWKS",
    "Circle",
    "Corridor",
    "Exemptions",
    "Kind",
    "Margins",
    "Zone",
    "ZoneSet",
]

EMERGENCY_SQUAWKS = frozenset({"7500", "7600", "7700"})


class Kind(StrEnum):
    PROHIBITED = "prohibited"
    RESTRICTED = "restricted"
    DANGER = "danger"
    TFR = "tfr"
    DRONE = "drone"
    CONTROLLED = "controlled"
    FIR = "fir"
    CUSTOM = "custom"

    @classmethod
    def parse(cls, text: str) -> Kind:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown zone kind {text!r}: expected one of {names}") from None


SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class Circle:
    """A geodesic circle: centre in degrees, radius in metres."""

    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"circle centre ({self.lat}, {self.lon}) out of range")
        if not self.radius_m > 0 or not math.isfinite(self.radius_m):
            raise ValueError(f"circle radius must be positive, got {self.radius_m} m")


@dataclass(frozen=True, slots=True)
class Corridor:
    """A corridor: a centre line of ``(lon, lat)`` points in degrees and a total width in
    metres (``width_m / 2`` on each side)."""

    line: tuple[tuple[float, float], ...]
    width_m: float

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "line", tuple((float(lon), float(lat)) for lon, lat in self.line)
        )
        if len(self.line) < 2:
            raise ValueError("corridor needs at least two points")
        if not self.width_m > 0 or not math.isfinite(self.width_m):
            raise ValueError(f"corridor width must be positive, got {self.width_m} m")


@dataclass(frozen=True, slots=True)
class Exemptions:
    """Targets an incursion is recorded for but not alarmed about.

    ``target_ids``: full ids such as ``icao:3c6444`` or ``rid:1581F5FJD...`` (lower-cased
    for ICAO). ``callsigns``: shell-style patterns (``SAMU*``, ``POL??``), case-insensitive.
    ``emergency_squawks``: when true (the default) a target squawking 7500/7600/7700 is
    still reported, flagged as an emergency (:meth:`is_emergency`), rather than alarmed
    about as an ordinary intruder; when false, emergency squawks get no special treatment.
    """

    target_ids: frozenset[str] = frozenset()
    callsigns: tuple[str, ...] = ()
    emergency_squawks: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.target_ids, str) or isinstance(self.callsigns, str):
            raise TypeError("target_ids and callsigns are lists of strings, not one string")
        object.__setattr__(
            self, "target_ids", frozenset(_normalise_target_id(t) for t in self.target_ids)
        )
        object.__setattr__(self, "callsigns", tuple(c.strip() for c in self.callsigns))

    def matches(self, target_id: str | None, callsign: str | None) -> bool:
        """True when the target is exempt by id or by callsign pattern."""
        if target_id is not None and _normalise_target_id(target_id) in self.target_ids:
            return True
        if callsign and self.callsigns:
            cs = callsign.strip().upper()
            return any(fnmatch.fnmatchcase(cs, p.upper()) for p in self.callsigns)
        return False

    def is_emergency(self, squawk: str | None) -> bool:
        """True when ``squawk`` is 7500, 7600 or 7700 and this zone flags emergencies:
        the incursion is reported, flagged as an emergency."""
        return self.emergency_squawks and squawk is not None and squawk.strip() in (
            EMERGENCY_SQUAWKS
        )

    @property
    def empty(self) -> bool:
        return not self.target_ids and not self.callsigns


def _normalise_target_id(text: str) -> str:
    t = text.strip()
    if re.fullmatch(r"[0-9A-Fa-f]{6}", t):
        return f"icao:{t.lower()}"
    if t.lower().startswith("icao:"):
        return t.lower()
    return t


@dataclass(frozen=True, slots=True)
class Margins:
    """Warning margins: a horizontal buffer in metres and a look-ahead in seconds for
    predicted entry along the current velocity."""

    horizontal_m: float = 0.0
    lookahead_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("horizontal_m", "lookahead_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"warning margin {name} must be a finite number >= 0")


@dataclass(frozen=True, slots=True)
class Zone:
    """One restricted airspace volume."""

    id: str
    name: str
    geometry: Polygon | MultiPolygon
    floor: VerticalLimit = field(default_factory=VerticalLimit.surface)
    ceiling: VerticalLimit = field(default_factory=VerticalLimit.unlimited)
    kind: Kind = Kind.CUSTOM
    severity: str = "warning"
    schedule: Schedule = field(default_factory=Schedule)
    exemptions: Exemptions = field(default_factory=Exemptions)
    margins: Margins = field(default_factory=Margins)
    version: int = 1
    ground_elevation_m: float | None = None
    circle: Circle | None = None
    corridor: Corridor | None = None
    source: str = field(default="", compare=False)
    remarks: str = ""
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("zone id must not be empty")
        if not isinstance(self.geometry, Polygon | MultiPolygon) or self.geometry.is_empty:
            raise TypeError("zone geometry must be a non-empty Polygon or MultiPolygon")
        if self.circle is not None and self.corridor is not None:
            raise ValueError("a zone is a circle or a corridor, not both")
        if self.ground_elevation_m is not None and not math.isfinite(self.ground_elevation_m):
            raise ValueError("ground elevation must be a finite number of metres")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"unknown severity {self.severity!r}: expected one of {', '.join(SEVERITIES)}"
            )
        if self.floor.datum is Datum.UNL:
            raise ValueError("floor cannot be UNL")
        if self.floor_amsl_m > self.ceiling_amsl_m:
            raise ValueError(
                f"floor {self.floor.label()} is above ceiling {self.ceiling.label()}"
            )
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise TypeError(f"zone version must be an integer, got {self.version!r}")
        if self.version < 1:
            raise ValueError("zone version starts at 1")

    @property
    def floor_amsl_m(self) -> float:
        return self.floor.amsl_m(self.ground_elevation_m)

    @property
    def ceiling_amsl_m(self) -> float:
        return self.ceiling.amsl_m(self.ground_elevation_m)

    @property
    def area_km2(self) -> float:
        """Geodesic area on WGS84 in km2: of the true circle for circles, of the polygon
        (holes subtracted) otherwise."""
        if self.circle is not None:
            # not pi r^2, which is 0.05 % too large at 500 km (the surface is curved)
            return geodesic_circle_area_km2(self.circle.lat, self.circle.radius_m)
        return geodesic_area_km2(self.geometry)

    def with_version(self, version: int) -> Zone:
        return replace(self, version=version)


class ZoneSet:
    """An ordered collection of zones with unique ids. Immutable once built."""

    __slots__ = ("_by_id", "_zones")

    def __init__(self, zones: Iterable[Zone] = ()) -> None:
        self._zones: tuple[Zone, ...] = tuple(zones)
        self._by_id: dict[str, Zone] = {}
        for z in self._zones:
            if z.id in self._by_id:
                raise ValueError(f"duplicate zone id {z.id!r}")
            self._by_id[z.id] = z

    def __len__(self) -> int:
        return len(self._zones)

    def __iter__(self) -> Iterator[Zone]:
        return iter(self._zones)

    def __getitem__(self, key: int | str) -> Zone:
        if isinstance(key, str):
            return self._by_id[key]
        return self._zones[key]

    def __contains__(self, zone_id: object) -> bool:
        return zone_id in self._by_id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ZoneSet):
            return NotImplemented
        return self._zones == other._zones

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ZoneSet({len(self)} zones)"

    @property
    def ids(self) -> list[str]:
        return [z.id for z in self._zones]

    def merged(self, other: ZoneSet) -> ZoneSet:
        return ZoneSet([*self._zones, *other._zones])

    def to_arrow(self) -> pa.Table:
        """The zones as columns: geometry as WKB, limits in metres with their datums (UNL as
        +inf), the circle's centre and radius (null for other shapes), the exemptions."""
        zs = self._zones
        return pa.table(
            {
                "id": [z.id for z in zs],
                "name": [z.name for z in zs],
                "kind": [z.kind.value for z in zs],
                "severity": [z.severity for z in zs],
                "geometry_wkb": pa.array([z.geometry.wkb for z in zs], pa.binary()),
                "floor_m": [z.floor.value_m for z in zs],
                "floor_datum": [z.floor.datum.value for z in zs],
                "ceiling_m": [z.ceiling.value_m for z in zs],
                "ceiling_datum": [z.ceiling.datum.value for z in zs],
                "ground_elevation_m": pa.array(
                    [z.ground_elevation_m for z in zs], pa.float64()
                ),
                "circle_lat": pa.array(
                    [z.circle.lat if z.circle else None for z in zs], pa.float64()
                ),
                "circle_lon": pa.array(
                    [z.circle.lon if z.circle else None for z in zs], pa.float64()
                ),
                "circle_radius_m": pa.array(
                    [z.circle.radius_m if z.circle else None for z in zs], pa.float64()
                ),
                "schedule": [z.schedule.label() for z in zs],
                "exempt_target_ids": pa.array(
                    [sorted(z.exemptions.target_ids) for z in zs], pa.list_(pa.string())
                ),
                "exempt_callsigns": pa.array(
                    [list(z.exemptions.callsigns) for z in zs], pa.list_(pa.string())
                ),
                "emergency_squawks": pa.array(
                    [z.exemptions.emergency_squawks for z in zs], pa.bool_()
                ),
                "margin_m": [z.margins.horizontal_m for z in zs],
                "lookahead_s": [z.margins.lookahead_s for z in zs],
                "version": pa.array([z.version for z in zs], pa.int32()),
            }
        )
