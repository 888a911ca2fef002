"""Airspace zones: the model, geometry helpers and one parser per format."""

from skyfence.zones.model import Circle, Corridor, Exemptions, Kind, Margins, Zone, ZoneSet
from skyfence.zones.registry import load_zones, parse_zones
from skyfence.zones.schedule import Schedule, WeeklyWindow
from skyfence.zones.vertical import Datum, VerticalLimit, parse_limit

__all__ = [
    "Circle",
    "Corridor",
    "Datum",
    "Exemptions",
    "Kind",
    "Margins",
    "Schedule",
    "VerticalLimit",
    "WeeklyWindow",
    "Zone",
    "ZoneSet",
    "load_zones",
    "parse_limit",
    "parse_zones",
]
