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

Only the samples that can matter are measured exactly: an episode's ``max_depth_m`` is a
maximum, so a sample is skipped when a cheap upper bound of its depth is below a cheap lower
bound of another's in its run, or below the depth its episode carried in. Circles bound by
the local-plane distance of :func:`skyfence.zones.kernels.in_circle` (error below
``circle_band_m``; :func:`circle_candidates`); polygons by the nearest-edge distance of an
approximate projection, bilinear between projected nodes of a lon/lat grid over the zone,
whose error is bounded from the grid's second differences (:class:`ProjectionGrid`).
Distance to a set of edges is 1-Lipschitz, so the bound carries over to the depth. The
result is the same as measuring every sample.
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

__all__ = [
    "DepthCalculator",
    "ProjectionGrid",
    "circle_candidates",
    "depth_bucket_s",
    "depth_calculator",
    "sample_runs",
]

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]

# bucket = sqrt(area) / BUCKET_SCALE_M seconds, clamped to [MIN_BUCKET_S, MAX_BUCKET_S]
BUCKET_SCALE_M = 5_000.0
MIN_BUCKET_S = 2.0
MAX_BUCKET_S = 120.0


# projection grid: PROJ_CELLS x PROJ_CELLS cells over the zone's lon/lat box, more where
# those would be wider than MAX_CELL_DEG, none when a side needs more than MAX_PROJ_CELLS
PROJ_CELLS = 32
MAX_CELL_DEG = 1.5
MAX_PROJ_CELLS = 128
MAX_PROJ_RADIUS_M = 5.0e6  # a node farther from the projection's centre: no grid
R_MAX_M = 6.4e6  # above WGS84's greatest radius of curvature (6,399,594 m)


def depth_bucket_s(zone: Zone) -> float:
    """Sampling interval for ``zone``'s depth, from its size."""
    size_m = math.sqrt(max(zone.area_km2, 0.0)) * 1000.0
    return min(MAX_BUCKET_S, max(MIN_BUCKET_S, size_m / BUCKET_SCALE_M))


class ProjectionGrid:
    """A projection approximated over a lon/lat box: bilinear between the projected nodes of
    a grid, within ``eps`` metres of the projection everywhere in the box (``eps`` infinite
    when the box is too large or too far from the projection's centre).

    Bilinear interpolation errs by at most ``hu**2 / 8 |P_uu| + hv**2 / 8 |P_vv|`` (sup
    norms over the cell). The nodes' second differences are those derivatives averaged over
    two cells; twice their greatest value, a cubic term for how much the derivatives vary
    within two cells, and a metre for rounding bound the error."""

    def __init__(self, bounds: tuple[float, float, float, float], fwd: Transformer) -> None:
        lon0, lat0, lon1, lat1 = bounds
        w, h = max(lon1 - lon0, 1e-6), max(lat1 - lat0, 1e-6)
        nu = max(PROJ_CELLS, math.ceil(w / MAX_CELL_DEG))
        nv = max(PROJ_CELLS, math.ceil(h / MAX_CELL_DEG))
        self.nu, self.nv = nu, nv
        self.params = np.array([lon0, lat0, w / nu, h / nv, np.inf])
        self.x = self.y = np.zeros((0, 0))
        if nu > MAX_PROJ_CELLS or nv > MAX_PROJ_CELLS:
            return
        lon, lat = np.meshgrid(lon0 + np.arange(nu + 1) * (w / nu),
                               lat0 + np.arange(nv + 1) * (h / nv))
        px, py = fwd.transform(lon, lat)
        x, y = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
        if not (np.isfinite(x).all() and np.isfinite(y).all()
                and float(np.hypot(x, y).max()) < MAX_PROJ_RADIUS_M):
            return
        du = np.hypot(x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2],
                      y[:, 2:] - 2.0 * y[:, 1:-1] + y[:, :-2]).max()
        dv = np.hypot(x[2:] - 2.0 * x[1:-1] + x[:-2], y[2:] - 2.0 * y[1:-1] + y[:-2]).max()
        hu, hv = math.radians(w / nu), math.radians(h / nv)
        self.params[4] = 0.25 * float(du + dv) + 4.0 * R_MAX_M * (hu**3 + hv**3) + 1.0
        self.x, self.y = np.ascontiguousarray(x), np.ascontiguousarray(y)

    @property
    def eps(self) -> float:
        """Greatest distance between the approximation and the projection, metres."""
        return float(self.params[4])

    def approx(self, lat: F8, lon: F8, rows: I8) -> tuple[F8, F8, npt.NDArray[np.bool_]]:
        """The approximate projection of points ``rows`` of ``lat``/``lon``, and whether
        each lies in the box (the others get ``(0, 0)``)."""
        return _bilinear(lat, lon, rows, self.params, self.nu, self.nv, self.x, self.y)


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
        self.proj = ProjectionGrid(geom.bounds, self.fwd)

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
        return self._polygon(key, zone).depth(lat, lon)

    def _polygon(self, key: int, zone: Zone) -> _PolygonDepth:
        calc = self._poly.get(key)
        if calc is None:
            calc = self._poly[key] = _PolygonDepth(zone.geometry)
        return calc

    def polygon_depths(
        self, key: int, zone: Zone, rows: I8, codes: npt.NDArray[np.integer], t: F8,
        lat: F8, lon: F8, run: I8, floor: F8,
    ) -> F8:
        """Depth of polygon ``zone``'s inside samples at ``rows`` (of ``t``, ``lat``,
        ``lon``; sorted by target and time, ``codes`` the rows' targets) where it is
        measured, NaN elsewhere. Measured: the samples that open a bucket (a target's first
        row, or a new bucket since its previous row) and whose depth can be the greatest of
        their run (``run``: the samples' run ids, increasing; ``floor``: by run id, a depth
        already reached, or ``-inf``)."""
        calc = self._polygon(key, zone)
        out = np.full(len(rows), np.nan)
        idx = _bucket_samples(rows, codes, t, self.bucket_s(key, zone))
        eps = calc.proj.eps
        if math.isfinite(eps) and len(idx) > 0:
            r = rows[idx]
            ax, ay, ok = calc.proj.approx(lat, lon, r)
            d = calc.grid.distance(ax, ay)
            idx = idx[_can_be_deepest(run[idx], d, ok, eps, floor)]
        if len(idx):
            r = rows[idx]
            out[idx] = calc.depth(lat[r], lon[r])
        return out


def depth_calculator(index: ZoneIndex) -> DepthCalculator:
    """The :class:`DepthCalculator` of ``index``'s zones, kept with the index."""
    calc = index.derived.get("depth")
    if not isinstance(calc, DepthCalculator):
        calc = index.derived["depth"] = DepthCalculator()
    return calc


@njit(cache=True)
def sample_runs(
    s_g: I8, s_row: I8, t: F8, t_g: I8, t_t: F8, t_kind: npt.NDArray[np.int8], init_g: I8,
    init_depth: F8,
) -> tuple[I8, F8]:
    """Split inside samples into runs that never span two episodes, for pruning depths.
    Samples ``s_*`` (rows ``s_row`` of times ``t``) are sorted by (group, time) and
    transitions ``t_*`` by (group, time, kind), as :func:`skyfence.detect.episodes.walk`
    takes them; a run ends where the group changes or an exit or loss passes (an episode
    may span runs: that only measures more). Returns each sample's run id and, per run, the
    depth its episode carried in (``init_depth`` of its group in ``init_g``, sorted) when it
    is its group's first and no exit or loss of the group came before it, else ``-inf``."""
    n = s_g.shape[0]
    run = np.empty(n, np.int64)
    floor = np.empty(n, np.float64)
    r = -1
    j = 0
    for i in range(n):
        g, ti = s_g[i], t[s_row[i]]
        new_group = i == 0 or g != s_g[i - 1]
        split = new_group
        closed = False
        # the walk takes a transition before this sample when it sorts before it
        while j < t_g.shape[0] and (t_g[j] < g or (t_g[j] == g and (
                t_t[j] < ti or (t_t[j] == ti and t_kind[j] == 1)))):
            if t_kind[j] >= 2:
                split = True  # an exit or a loss: a new episode may begin
                closed = closed or t_g[j] == g
            j += 1
        if split:
            r += 1
            floor[r] = -np.inf
            if new_group and not closed:
                k = np.searchsorted(init_g, g)
                if k < init_g.shape[0] and init_g[k] == g:
                    floor[r] = init_depth[k]
        run[i] = r
    return run, floor[:r + 1]


def circle_candidates(
    circles: F8, s_zone: npt.NDArray[np.int32], s_row: I8, lat: F8, lon: F8, run: I8,
    floor: F8,
) -> npt.NDArray[np.bool_]:
    """Which inside samples need their exact depth: all those of polygons; for circles
    (``circles``: the index's circle table), those whose local-plane depth (of rows
    ``s_row`` of ``lat``/``lon``) is within twice its error of the best of their run
    (:func:`sample_runs`) and within its error of the run's ``floor``."""
    radius = circles[:, 2]
    is_circle = radius > 0.0
    if not is_circle.any():  # polygons only: every sample is measured
        return np.ones(len(s_zone), np.bool_)
    band = circle_band_m(radius)  # type: ignore[arg-type]  # elementwise on arrays
    slack = np.where(is_circle, 4.0 * band + 2e-3, 0.0)
    return _candidates(circles, slack, s_zone, s_row, lat, lon, run, floor)


@njit(cache=True)
def _candidates(
    circles: F8, slack: F8, s_zone: npt.NDArray[np.int32], s_row: I8, lat: F8, lon: F8,
    run: I8, floor: F8,
) -> npt.NDArray[np.bool_]:
    n = s_zone.shape[0]
    approx = np.full(n, -np.inf)
    best = np.full(floor.shape[0], -np.inf)
    for i in range(n):
        c = circles[s_zone[i]]
        if c[2] > 0.0:  # local plane, as zones.kernels.in_circle
            la, lo = lat[s_row[i]], lon[s_row[i]]
            dphi = math.radians(la - c[0])
            d = (lo - c[1] + 540.0) % 360.0 - 180.0
            x = c[4] * (c[5] - 0.5 * c[6] * dphi) * math.radians(d)
            y = c[3] * dphi
            approx[i] = c[2] - math.sqrt(x * x + y * y)
            best[run[i]] = max(best[run[i]], approx[i])
    need = np.empty(n, np.bool_)
    for i in range(n):
        sl = slack[s_zone[i]]
        need[i] = sl == 0.0 or (approx[i] >= best[run[i]] - sl
                                and approx[i] + 0.5 * sl >= floor[run[i]])
    return need


@njit(cache=True)
def _bucket_samples(rows: I8, codes: npt.NDArray[np.integer], t: F8, b: float) -> I8:
    """Positions of ``rows`` that are a target's first or open a new ``b``-second bucket
    since the target's previous row."""
    out = np.empty(rows.shape[0], np.int64)
    n = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        p = max(r - 1, 0)
        if r == 0 or codes[r] != codes[p] or np.floor(t[r] / b) != np.floor(t[p] / b):
            out[n] = i
            n += 1
    return out[:n]


@njit(cache=True)
def _bilinear(lat: F8, lon: F8, rows: I8, params: F8, nu: int, nv: int, gx: F8, gy: F8
              ) -> tuple[F8, F8, npt.NDArray[np.bool_]]:
    n = rows.shape[0]
    ax, ay = np.zeros(n), np.zeros(n)
    ok = np.zeros(n, np.bool_)
    for i in range(n):
        u = (lon[rows[i]] - params[0]) / params[2]
        v = (lat[rows[i]] - params[1]) / params[3]
        if not (0.0 <= u <= nu and 0.0 <= v <= nv):  # outside the box, or NaN
            continue
        iu, iv = min(int(u), nu - 1), min(int(v), nv - 1)
        fu, fv = u - iu, v - iv
        w00, w01 = (1.0 - fu) * (1.0 - fv), fu * (1.0 - fv)
        w10, w11 = (1.0 - fu) * fv, fu * fv
        ax[i] = (w00 * gx[iv, iu] + w01 * gx[iv, iu + 1] + w10 * gx[iv + 1, iu]
                 + w11 * gx[iv + 1, iu + 1])
        ay[i] = (w00 * gy[iv, iu] + w01 * gy[iv, iu + 1] + w10 * gy[iv + 1, iu]
                 + w11 * gy[iv + 1, iu + 1])
        ok[i] = True
    return ax, ay, ok


@njit(cache=True)
def _can_be_deepest(run: I8, d: F8, ok: npt.NDArray[np.bool_], eps: float, floor: F8
                    ) -> npt.NDArray[np.bool_]:
    """Which samples' depth (within ``eps`` of ``d`` where ``ok``, unknown elsewhere) can
    be the greatest of their run (``run``: increasing ids), given the run's ``floor``."""
    n = run.shape[0]
    keep = np.empty(n, np.bool_)
    s = 0
    while s < n:
        best = floor[run[s]]
        e = s
        while e < n and run[e] == run[s]:
            if ok[e]:
                best = max(best, d[e] - eps)
            e += 1
        for i in range(s, e):
            keep[i] = not ok[i] or d[i] + eps >= best
        s = e
    return keep
