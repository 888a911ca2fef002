"""How deep inside a zone a report is: its horizontal distance to the zone's boundary, in
metres.

Circles: radius minus the geodesic distance to the centre (exact). Polygons: distance to the
nearest boundary edge in an azimuthal equidistant projection centred on the zone, through a
grid of the boundary's edges (:mod:`skyfence.detect.nearest`); the projection keeps distances
from the zone's centre exact and others within 1 % up to about 1,000 km from it. These
structures and the sampling buckets are built once per zone, on first use, and kept with the
zone index (:func:`depth_calculator`), so repeated audits against one zone version share
them.

Reports are *sampled* for polygon depth: a report is measured when it is a target's first or
when a new bucket of time began since the target's previous report. The bucket grows with
the zone (:func:`depth_bucket_s`: 2 s for a 10 km polygon, 120 s for one the size of a
country), so small zones are measured densely and a FIR costs little. The choice depends only
on report times, never on how the data were split into batches, so chunked and whole audits
agree. The error this allows is at most half the distance flown in one bucket.

Circles are measured on every report inside, but only where it can matter: an episode's
``max_depth_m`` is a maximum, so :func:`circle_candidates` first takes the cheap local-plane
distance of :func:`skyfence.zones.kernels.in_circle` (error below ``circle_band_m``) and keeps
for the exact geodesic only the reports within twice that error of their episode's best.
The result is the same as measuring them all.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon

from skyfence.detect.nearest import EdgeGrid
from skyfence.zones.index import ZoneIndex
from skyfence.zones.kernels import circle_band_m, circle_distances_m
from skyfence.zones.model import Zone

__all__ = ["DepthCalculator", "circle_candidates", "depth_bucket_s", "depth_calculator"]

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
                segs.append(np.column_stack([x[:-1], y[:-1], x[1:], y[1:]]))
        self.grid = EdgeGrid(np.concatenate(segs))

    def depth(self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[
        np.float64
    ]:
        x, y = self.fwd.transform(lon, lat)
        return self.grid.distance(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))


class DepthCalculator:
    """Depth of points inside zones, with per-zone structures built on first use."""

    def __init__(self) -> None:
        self._poly: dict[int, _PolygonDepth] = {}
        self._buckets: dict[int, float] = {}

    def bucket_s(self, key: int, zone: Zone) -> float:
        """:func:`depth_bucket_s` of ``zone``, cached under ``key``."""
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = depth_bucket_s(zone)
        return b

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


def depth_calculator(index: ZoneIndex) -> DepthCalculator:
    """The :class:`DepthCalculator` of ``index``'s zones, kept with the index."""
    calc = index.derived.get("depth")
    if not isinstance(calc, DepthCalculator):
        calc = index.derived["depth"] = DepthCalculator()
    return calc


def circle_candidates(
    circles: npt.NDArray[np.float64], s_zone: npt.NDArray[np.int32],
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], s_g: npt.NDArray[np.int64],
    s_t: npt.NDArray[np.float64], t_g: npt.NDArray[np.int64], t_t: npt.NDArray[np.float64],
    t_kind: npt.NDArray[np.int8],
) -> npt.NDArray[np.bool_]:
    """Which inside samples need their exact depth: all those of polygons; for circles
    (``circles``: the index's circle table), those whose local-plane depth is within twice
    its error of the best of their run. Samples ``s_*`` are sorted by (group, time) and
    transitions ``t_*`` by (group, time, kind), as :func:`skyfence.detect.episodes.walk`
    takes them; a run ends where the group changes or an exit or loss passes, so a run
    never spans two episodes (an episode may span runs: that only measures more)."""
    radius = circles[s_zone, 2]
    is_circle = radius > 0.0
    if not is_circle.any():  # polygons only: every sample is measured
        return np.ones(len(s_zone), np.bool_)
    slack = np.where(is_circle, 4.0 * circle_band_m(radius) + 2e-3, 0.0)
    return _candidates(circles, s_zone, lat, lon, slack, s_g, s_t, t_g, t_t, t_kind)


@njit(cache=True)
def _candidates(
    circles: npt.NDArray[np.float64], s_zone: npt.NDArray[np.int32],
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64],
    slack: npt.NDArray[np.float64], s_g: npt.NDArray[np.int64],
    s_t: npt.NDArray[np.float64], t_g: npt.NDArray[np.int64], t_t: npt.NDArray[np.float64],
    t_kind: npt.NDArray[np.int8],
) -> npt.NDArray[np.bool_]:
    n = s_g.shape[0]
    approx = np.full(n, -np.inf)
    run = np.empty(n, np.int64)
    r = -1
    j = 0
    for i in range(n):
        c = circles[s_zone[i]]
        if c[2] > 0.0:  # local plane, as zones.kernels.in_circle
            dphi = math.radians(lat[i] - c[0])
            d = (lon[i] - c[1] + 540.0) % 360.0 - 180.0
            x = c[4] * (c[5] - 0.5 * c[6] * dphi) * math.radians(d)
            y = c[3] * dphi
            approx[i] = c[2] - math.sqrt(x * x + y * y)
        # the walk takes a transition before this sample when it sorts before it
        split = i == 0 or s_g[i] != s_g[i - 1]
        while j < t_g.shape[0] and (t_g[j] < s_g[i] or (t_g[j] == s_g[i] and (
                t_t[j] < s_t[i] or (t_t[j] == s_t[i] and t_kind[j] == 1)))):
            if t_kind[j] >= 2:
                split = True  # an exit or a loss: a new episode may begin
            j += 1
        if split:
            r += 1
        run[i] = r
    best = np.full(r + 1, -np.inf)
    for i in range(n):
        best[run[i]] = max(best[run[i]], approx[i])
    need = np.empty(n, np.bool_)
    for i in range(n):
        need[i] = slack[i] == 0.0 or approx[i] >= best[run[i]] - slack[i]
    return need
