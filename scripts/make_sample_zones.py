"""Write ``src/skyfence/data/sample/paris_zones.geojson``: example drone geozones around the
aerodromes inside the built-in sample's area.

Each zone is a 5 km geodesic circle around the aerodrome reference point, from the surface to
1,500 ft above the aerodrome (the shape of many national "no drones near aerodromes" rules).
Positions and elevations come from the ``airportsdata`` package; the radius and ceiling are
this example's choice. Run: ``python scripts/make_sample_zones.py``.
"""

from __future__ import annotations

from pathlib import Path

import airportsdata

from skyfence.zones.geojson import dumps
from skyfence.zones.geometry import circle_polygon
from skyfence.zones.model import Circle, Kind, Zone, ZoneSet
from skyfence.zones.vertical import FT, parse_limit

RADIUS_M = 5_000.0
CEILING = "1500 ft AGL"
AREA = (48.3, 49.3, 1.7, 3.2)  # lat min, lat max, lon min, lon max
MAJOR = {"LFPG", "LFPO", "LFPB"}
OUT = Path(__file__).resolve().parents[1] / "src/skyfence/data/sample/paris_zones.geojson"


def main() -> None:
    airports = airportsdata.load()
    zones = []
    for icao in sorted(airports):
        a = airports[icao]
        if not (AREA[0] < a["lat"] < AREA[1] and AREA[2] < a["lon"] < AREA[3]):
            continue
        zones.append(
            Zone(
                id=f"{icao}-UAS",
                name=f"{a['name']} drone zone",
                geometry=circle_polygon(a["lat"], a["lon"], RADIUS_M),
                circle=Circle(a["lat"], a["lon"], RADIUS_M),
                floor=parse_limit("SFC"),
                ceiling=parse_limit(CEILING),
                ground_elevation_m=round(a["elevation"] * FT, 1),
                kind=Kind.DRONE,
                severity="critical" if icao in MAJOR else "warning",
                remarks=f"example zone around {icao}: 5 km, SFC-{CEILING}; "
                "position and elevation from airportsdata",
            )
        )
    OUT.write_text(dumps(ZoneSet(zones)) + "\n", encoding="utf-8")
    print(f"wrote {len(zones)} zones to {OUT}")


if __name__ == "__main__":
    main()
