"""``GET /interference``: the GNSS interference layer from the reports archive.

Per grid cell and time window, the share of aircraft that reported degraded NIC or NACp
(:mod:`skyfence.track.interference`: low under 2 %, medium 2-10 %, high over 10 %), as a
GeoJSON FeatureCollection of cells for the map.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from skyfence.api.context import Ctx, check_window
from skyfence.store.archive import ReportArchive
from skyfence.track.interference import interference_geojson, interference_grid

__all__ = ["MAX_WINDOW_S", "router"]

router = APIRouter(tags=["integrity"])

MAX_WINDOW_S = 7 * 24 * 3600.0  # a week of archive is read whole for one picture


@router.get("/interference", summary="GNSS interference picture from the reports archive")
async def interference(
    ctx: Ctx,
    t_from: Annotated[datetime, Query(alias="from", description="ISO 8601, inclusive")],
    t_to: Annotated[datetime, Query(alias="to", description="ISO 8601, exclusive")],
    cell_deg: Annotated[float, Query(gt=0, le=10)] = 1.0,
    window_s: Annotated[float, Query(gt=0, le=MAX_WINDOW_S)] = 3600.0,
) -> dict[str, Any]:
    check_window(t_from, t_to, MAX_WINDOW_S)
    if not ctx.settings.archive_reports:
        raise HTTPException(409, "the reports archive is off (archive_reports = false)")
    root = ctx.settings.data_dir / "archive"
    reports = await ctx.read(ReportArchive(root).read, t_from, t_to)
    grid = await ctx.read(interference_grid, reports, cell_deg, window_s)
    return interference_geojson(grid)
