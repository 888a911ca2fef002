"""Depth pruning: the bounds that let samples skip the exact polygon depth are true bounds,
and skipping never changes a run's greatest depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from skyfence.detect.depth import DepthCalculator, _PolygonDepth, sample_runs
from skyfence.zones import Zone, ZoneSet, load_zones

EXCERPT = Path(__file__).parent / "data" / "zones" / "fir_eurofirs_excerpt.json"


@pytest.fixture(scope="module")
def excerpt() -> ZoneSet:
    return load_zones([EXCERPT])


@pytest.fixture(scope="module")
def eurofirs(traffic_data: Path) -> ZoneSet:
    path = traffic_data / "eurocontrol" / "eurofirs.json"
    if not path.exists():
        pytest.skip(f"this version of traffic has no {path.name}")
    return load_zones([path])


def _inside(zone: Zone, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random points inside ``zone`` (lat, lon)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = zone.geometry.bounds
    lat, lon = np.zeros(0), np.zeros(0)
    while len(lat) < n:
        lo, la = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        ok = shapely.contains_xy(zone.geometry, lo, la)
        lat, lon = np.r_[lat, la[ok]], np.r_[lon, lo[ok]]
    return lat[:n], lon[:n]


def _check_bounds(zones: ZoneSet) -> float:
    """Greatest ratio of the approximation's error to its bound, over random points of the
    zones' boxes (projection) and insides (depth)."""
    worst = 0.0
    for k, zone in enumerate(zones):
        calc = _PolygonDepth(zone.geometry)
        eps = calc.proj.eps
        assert np.isfinite(eps), zone.name
        rng = np.random.default_rng(k)
        x0, y0, x1, y1 = zone.geometry.bounds
        lon, lat = rng.uniform(x0, x1, 4_000), rng.uniform(y0, y1, 4_000)
        # node and cell-edge points too, where interpolation meets the grid
        lon = np.r_[lon, x0, x1, x0, x1]
        lat = np.r_[lat, y0, y1, y1, y0]
        ax, ay, ok = calc.proj.approx(lat, lon, np.arange(len(lat)))
        assert ok.all()
        px, py = calc.fwd.transform(lon, lat)
        worst = max(worst, float(np.hypot(ax - px, ay - py).max()) / eps)
        ilat, ilon = _inside(zone, 1_000, k)
        ax, ay, _ = calc.proj.approx(ilat, ilon, np.arange(len(ilat)))
        exact = calc.depth(ilat, ilon)
        worst = max(worst, float(np.abs(calc.grid.distance(ax, ay) - exact).max()) / eps)
    return worst


def test_projection_grid_bounds_hold_on_fir_excerpt(excerpt: ZoneSet) -> None:
    assert _check_bounds(excerpt) < 0.5  # the bound is not merely met: there is margin


def test_projection_grid_bounds_hold_on_all_eurofirs(eurofirs: ZoneSet) -> None:
    assert _check_bounds(eurofirs) < 0.5


def test_points_outside_the_grid_are_not_approximated(excerpt: ZoneSet) -> None:
    calc = _PolygonDepth(excerpt[0].geometry)
    x0, y0, x1, y1 = excerpt[0].geometry.bounds
    lat = np.array([y0 - 0.5, y1 + 0.5, 0.5 * (y0 + y1), np.nan])
    lon = np.array([x0, x1, x1 + 1.0, 0.5 * (x0 + x1)])
    _, _, ok = calc.proj.approx(lat, lon, np.arange(4))
    assert not ok.any()


def test_nearest_edge_early_exit_matches_shapely_on_detailed_firs(eurofirs: ZoneSet) -> None:
    # the FIRs with the most boundary vertices: long candidate lists, cut short by order
    for zone in sorted(eurofirs, key=lambda z: -len(shapely.get_coordinates(z.geometry)))[:3]:
        calc = _PolygonDepth(zone.geometry)
        lat, lon = _inside(zone, 2_000, 3)
        px, py = calc.fwd.transform(lon, lat)
        e = calc.grid.edges
        lines = shapely.linestrings(np.stack([e[:, :2], e[:, 2:]], axis=1))
        tree = shapely.STRtree(lines)
        pts = shapely.points(px, py)
        idx = tree.query_nearest(pts, all_matches=False)
        want = shapely.distance(pts[idx[0]], lines[idx[1]])
        got = calc.grid.distance(np.asarray(px), np.asarray(py))
        assert np.array_equal(got, want), zone.name


def _run_max(depth: np.ndarray, run: np.ndarray, floor: np.ndarray) -> np.ndarray:
    out = floor.copy()
    for r in range(len(floor)):
        d = depth[run == r]
        d = d[~np.isnan(d)]
        if len(d):
            out[r] = max(out[r], d.max())
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 1_000_000), n_runs=st.integers(1, 12),
       parallel=st.booleans(), with_floor=st.booleans())
def test_pruned_run_maximum_is_the_unpruned_one(
    excerpt: ZoneSet, seed: int, n_runs: int, parallel: bool, with_floor: bool
) -> None:
    rng = np.random.default_rng(seed)
    zone = excerpt[seed % len(excerpt)]
    # tracks of points inside the zone: straight-ish walks, or runs that keep nearly the
    # same depth (points a few metres apart: ties and near-ties within the bound)
    lat, lon = _inside(zone, 40 * n_runs, seed)
    sizes = rng.integers(1, 40, n_runs)
    run = np.repeat(np.arange(n_runs), sizes)
    n = len(run)
    lat, lon = lat[:n].copy(), lon[:n].copy()
    if parallel:
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        lat = lat[starts][run] + rng.normal(0, 1e-5, n)
        lon = lon[starts][run] + rng.normal(0, 1e-5, n)
    rows = np.arange(n, dtype=np.int64)
    codes = run.astype(np.int32)  # one target per run: every run starts a target
    t = np.arange(n) * 1_000.0  # every sample opens a bucket
    key = 0
    exact = DepthCalculator().depth_m(key, zone, lat, lon)
    floor = np.full(n_runs, -np.inf)
    if with_floor:
        floor = np.where(rng.random(n_runs) < 0.5, -np.inf,
                         _run_max(exact, run, floor) + rng.normal(0, 3.0, n_runs))
    got = DepthCalculator().polygon_depths(key, zone, rows, codes, t, lat, lon, run, floor)
    measured = ~np.isnan(got)
    assert np.array_equal(got[measured], exact[measured])  # measured means exact
    assert np.array_equal(_run_max(got, run, floor), _run_max(exact, run, floor))
    assert measured.sum() <= n


def test_sample_runs_split_at_exits_and_carry_floors() -> None:
    # groups 3 and 5; group 3 was open with depth 120 m, group 5 with 40 m
    s_g = np.array([3, 3, 3, 5, 5, 7], np.int64)
    s_row = np.arange(6, dtype=np.int64)
    t = np.array([1.0, 2.0, 4.0, 1.0, 2.0, 1.0])
    # an exit of group 3 at t=3 (then an entry), a loss of group 5 before its first sample
    t_g = np.array([3, 3, 5], np.int64)
    t_t = np.array([3.0, 3.5, 0.5])
    t_kind = np.array([2, 1, 3], np.int8)
    init_g = np.array([3, 5], np.int64)
    run, floor = sample_runs(s_g, s_row, t, t_g, t_t, t_kind, init_g, np.array([120.0, 40.0]))
    assert run.tolist() == [0, 0, 1, 2, 2, 3]
    assert floor.tolist() == [120.0, -np.inf, -np.inf, -np.inf]
