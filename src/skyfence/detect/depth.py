"""How deep inside a zone a report is: its horizontal distance to the zone's boundary, in
metres.

Circles: radius minus the geodesic distance to the centre (exact). Polygons: distance to the
nearest boundary edge in an azimuthal equidistant projection centred on the zone, through a
tree of the boundary's edges built once per zone; the projection keeps distances from the
zone's centre exact and others within 1 % up to about 1,000 km from it.

Reports are *sampled* for polygon depth: a report is measured when it is a target's first or
when a new bucket of time began since the target's previous report. The bucket grows with
the zone (:func:`depth_bucket_s`: 2 s for a 10 km polygon, 120 s for one the size of a
country), so small zones are measured densely and a FIR costs little. The choice depends only
on report times, never on how the data were split into batches, so chunked and whole audits
agree. The error this allows is at most half the distance flown in one bucket.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon

from skyfence.zones.kernels import circle_distances_m
from skyfence.zones.model import Zone

__all__ = ["DepthCalculator", "depth_bucket_s"]

# bucket = sqrt(area) / BUCKET_SCALE_M seconds, clamped to [MIN_BUCKET_S, MAX_BUCKET_S]
BUCKET_SCALE_M = 5_000.0
MIN_BUCKET_S = 2.0
MAX_BUCKET_S = 120.0


def depth_bucket_s(zone: Zone) -> float:
    """Sampling interval for ``zone``'s depth, from its size."""
    size_m = math.sqrt(max(zone.area_km2, 0.0)) * 1000.0
    return min(MAX_BUCKET_S, max(MIN_BUCKET_S, size_m / BUCKET_SCALE_M))


class _PolygonDepth:
    def __init__(self, geom: Polygon | MultiPolygon) -> None:
        c = geom.representative_point()
        crs = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")
        self.fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        segs = []
        for p in parts:
            for ring in (p.exterior, *p.interiors):
                xy = np.asarray(ring.coords)[:, :2]
                x, y = self.fwd.transform(xy[:, 0], xy[:, 1])
                pts = np.column_stack([x, y])
                segs.append(np.stack([pts[:-1], pts[1:]], axis=1))
        self.edges = np.asarray(shapely.linestrings(np.concatenate(segs)), dtype=object)
        self.tree = shapely.STRtree(self.edges)

    def depth(self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[
        np.float64
    ]:
        x, y = self.fwd.transform(lon, lat)
        pts = shapely.points(x, y)
        _, dist = self.tree.query_nearest(pts, return_distance=True, all_matches=False)
        out: npt.NDArray[np.float64] = np.asarray(dist, dtype=np.float64)
        return out


class DepthCalculator:
    """Depth of points inside zones, with per-zone structures built on first use."""

    def __init__(self) -> None:
        self._poly: dict[int, _PolygonDepth] = {}

    def depth_m(
        self, key: int, zone: Zone, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Depth of each point, assumed inside ``zone``; ``key`` identifies the zone in the
        cache (its position in the zone set)."""
        if len(lat) == 0:
            return np.zeros(0)
        if zone.circle is not None:
            c = zone.circle
            d = circle_distances_m(c.lat, c.lon, np.ascontiguousarray(lat),
                                   np.ascontiguousarray(lon))
            return np.maximum(0.0, c.radius_m - d)
        calc = self._poly.get(key)
        if calc is None:
            calc = self._poly[key] = _PolygonDepth(zone.geometry)
        return calc.depth(lat, lon)
