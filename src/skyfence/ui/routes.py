"""What the web map needs beyond the REST API, and :func:`mount_ui` that adds it to an app.

- ``GET /ui/config`` (viewer): the caller's name and role (the page shows only what the role
  allows), the optional online tile URL (setting ``tile_url``) and the time range held in the
  reports archive (for the replay form).
- ``GET /ui/zones/active?at=`` (viewer): which live zones are active by their schedule at a
  time (default now), so the page need not evaluate IANA time zones itself.
- ``POST /zones/import?format=`` (admin): zones from the text of a zone file in any format the
  zone registry reads (OpenAir, NOTAM, ED-269, GeoJSON...); every zone is checked before any is
  stored, each stored zone is a new version.
- ``GET /replay`` (viewer): see :mod:`skyfence.ui.replay`.

The static files (the page, its scripts, the vendored Leaflet and Natural Earth borders) are
mounted last, at ``/``, and need no token: the page asks for one and sends it with every
data request.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.staticfiles import StaticFiles

from skyfence.api.auth import Who, authorize
from skyfence.api.context import Ctx, iso
from skyfence.ui.replay import archive_root
from skyfence.ui.replay import router as replay_router
from skyfence.zones.geojson import to_geojson
from skyfence.zones.registry import FORMATS, parse_zones

__all__ = ["STATIC_DIR", "archive_range", "mount_ui", "router"]

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(tags=["web map"])

_PARTITION = re.compile(r"date=(\d{4}-\d{2}-\d{2})/hour=(\d{2})$")


def archive_range(root: Path) -> dict[str, str] | None:
    """First and last hour held under the archive ``root`` (from the partition folders
    alone, no file opened): ``{"first": start of the first hour, "last": end of the last}``."""
    if not root.is_dir():
        return None
    hours = sorted(
        f"{m[1]}T{m[2]}" for d in root.glob("date=*/hour=*")
        if (m := _PARTITION.search(d.as_posix())) and any(d.glob("*.parquet"))
    )
    if not hours:
        return None
    first = datetime.strptime(hours[0], "%Y-%m-%dT%H").replace(tzinfo=UTC)
    last = datetime.strptime(hours[-1], "%Y-%m-%dT%H").replace(tzinfo=UTC)
    return {"first": iso(first), "last": iso(last.replace(minute=59, second=59))}


@router.get("/ui/config", summary="What the web map needs to start: role, tiles, archive")
async def ui_config(ctx: Ctx, who: Who) -> dict[str, Any]:
    root = archive_root(ctx)
    return {
        "name": who.name,
        "role": who.role,
        "tile_url": ctx.settings.tile_url,
        "archive": await ctx.read(archive_range, root) if root is not None else None,
        "formats": sorted(FORMATS),
    }


@router.get("/ui/zones/active", summary="Which live zones are active by their schedule")
async def zones_active(
    ctx: Ctx,
    at: Annotated[datetime | None, Query(description="ISO 8601 with a zone; default now")]
    = None,
) -> dict[str, Any]:
    if at is not None and at.utcoffset() is None:
        raise HTTPException(422, "'at' needs a time zone, e.g. 2024-07-06T12:00:00Z")
    when = (at or datetime.now(UTC)).astimezone(UTC)
    t = np.array([when.timestamp()])
    return {"at": iso(when),
            "active": {z.id: bool(z.schedule.active_at(t)[0]) for z in ctx.service.zones}}


@router.post("/zones/import", status_code=201, summary="Import zones from a zone file's text",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/plain": {"schema": {"type": "string"}}}}})
async def import_zones(
    request: Request, ctx: Ctx, who: Who,
    fmt: Annotated[str | None, Query(alias="format", description="a zone format; default: "
                                     "recognised from the text")] = None,
    name: Annotated[str, Query(description="the file's name, for error messages")]
    = "<upload>",
) -> list[dict[str, Any]]:
    """Every zone is parsed and checked before any is stored: one bad zone stores nothing.
    A bad file is a 422 naming the line or feature (``ZoneFormatError``)."""
    body = await request.body()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("latin-1")  # OpenAir files from older tools
    zones = await ctx.read(parse_zones, text, name, fmt)
    if not len(zones):
        raise HTTPException(422, f"{name}: no zones in the file")
    out = []
    for feature in to_geojson(zones)["features"]:
        zid, version = await ctx.write(ctx.store.put_zone, feature, who.name)
        out.append({"id": zid, "version": version})
    await ctx.refresh_zones()
    return out


def mount_ui(app: FastAPI) -> None:
    """Add the web map's routes (behind the token check) and its static files at ``/``.
    Call it after every other route: the static mount answers whatever is left."""
    app.include_router(router, dependencies=[Depends(authorize)])
    app.include_router(replay_router, dependencies=[Depends(authorize)])
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="ui")
