"""The zone model: :class:`Zone` and :class:`ZoneSet`.

A zone is a horizontal shape (polygon, multipolygon with holes, geodesic circle or corridor,
always held as a lon/lat Polygon/MultiPolygon, and for circles also as centre and radius so
that detection can use the true distance), a floor and a ceiling, a schedule, exemptions,
warning margins, a kind and a severity.
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

from skyfence.zones.geometry import geodesic_area_km2
from skyfence.zones.schedule import Schedule
from skyfence.zones.vertical import VerticalLimit

__all__ = [
    "EMERGENCY_SQUAWKS",
    "Circle",
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


@dataclass(frozen=True, slots=True)
class Exemptions:
    """Targets an incursion is recorded for but not alarmed about.

    ``target_ids``: full ids such as ``icao:3c6444`` or ``rid:1581F5FJD...`` (lower-cased
    for ICAO). ``callsigns``: shell-style patterns (``SAMU*``, ``POL??``), case-insensitive.
    ``emergency_squawks``: when true (the default) a target squawking 7500/7600/7700 is
    reported and flagged as an emergency rather than treated as an ordinary intruder.
    """

    target_ids: frozenset[str] = frozenset()
    callsigns: tuple[str, ...] = ()
    emergency_squawks: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "target_ids", frozenset(_normalise_target_id(t) for t in self.target_ids)
        )

    def matches(self, target_id: str | None, callsign: str | None) -> bool:
        if target_id is not None and target_id in self.target_ids:
            return True
        if callsign and self.callsigns:
            cs = callsign.strip().upper()
            return any(fnmatch.fnmatchcase(cs, p.upper()) for p in self.callsigns)
        return False

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
        if self.horizontal_m < 0 or self.lookahead_s < 0:
            raise ValueError("warning margins must not be negative")


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
    source: str = ""
    remarks: str = ""
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("zone id must not be empty")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"unknown severity {self.severity!r}: expected one of {', '.join(SEVERITIES)}"
            )
        if self.floor_amsl_m > self.ceiling_amsl_m:
            raise ValueError(
                f"floor {self.floor.label()} is above ceiling {self.ceiling.label()}"
            )
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
        if self.circle is not None:
            # geodesic circle area on a sphere of the local mean radius is within 0.01 %
            r = self.circle.radius_m / 1000.0
            return math.pi * r * r
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

    def __repr__(self) -> str:
        return f"ZoneSet({len(self)} zones)"

    @property
    def ids(self) -> list[str]:
        return [z.id for z in self._zones]

    def merged(self, other: ZoneSet) -> ZoneSet:
        return ZoneSet([*self._zones, *other._zones])

    def to_arrow(self) -> pa.Table:
        """The zones as columns: geometry as WKB, limits in metres with their datums."""
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
                "schedule": [z.schedule.label() for z in zs],
                "margin_m": [z.margins.horizontal_m for z in zs],
                "lookahead_s": [z.margins.lookahead_s for z in zs],
                "version": pa.array([z.version for z in zs], pa.int32()),
            }
        )
