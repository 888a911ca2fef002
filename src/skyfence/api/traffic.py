"""The air picture and its history: live tracks, recorded events, and reports posted in.

``POST /reports`` takes a JSON array of report objects or JSON Lines (one object per line),
keyed by skyfence's column names (``time`` as ISO 8601 or epoch seconds, ``target_id`` or
``icao24``, ``lat``, ``lon``, ``alt_baro_m``...: the names the JSON Lines reader accepts).
The whole body is checked before anything is queued: a bad report is a 422 naming it.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, HTTPException, Query, Request

from skyfence.api.auth import Who
from skyfence.api.context import Ctx, jsonable
from skyfence.errors import TrafficFormatError
from skyfence.readers.jsonl import reports_from_lines

__all__ = ["parse_bbox", "router"]

router = APIRouter()

BBox = tuple[float, float, float, float]
BBOX_HELP = "min lon,min lat,max lon,max lat (degrees WGS84)"


def parse_bbox(text: str | None) -> BBox | None:
    """``minlon,minlat,maxlon,maxlat``; ``ValueError`` saying what is wrong."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"bbox needs 4 numbers ({BBOX_HELP}), got {len(parts)}")
    try:
        lo_lon, lo_lat, hi_lon, hi_lat = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"bbox must be 4 numbers ({BBOX_HELP}): {text!r}") from None
    if not all(math.isfinite(v) for v in (lo_lon, lo_lat, hi_lon, hi_lat)):
        raise ValueError(f"bbox must be finite numbers: {text!r}")
    if not (-180 <= lo_lon <= hi_lon <= 180 and -90 <= lo_lat <= hi_lat <= 90):
        raise ValueError(f"bbox out of range or min above max ({BBOX_HELP}): {text!r}")
    return lo_lon, lo_lat, hi_lon, hi_lat


@router.get("/tracks", tags=["tracks"], summary="Live tracks, optionally in a box or a zone")
async def tracks(
    ctx: Ctx,
    bbox: Annotated[str | None, Query(description=BBOX_HELP, examples=["14,49,24,55"])] = None,
    zone: Annotated[str | None, Query(description="only targets inside this zone")] = None,
) -> list[dict[str, Any]]:
    try:
        box = parse_bbox(bbox)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return ctx.service.tracks.query(box, zone)


def _aware(t: datetime | None, name: str) -> datetime | None:
    if t is not None and t.utcoffset() is None:
        raise HTTPException(422, f"{name!r} needs a time zone, e.g. 2024-07-06T12:00:00Z")
    return t


@router.get("/events", tags=["events"], summary="Recorded events, oldest first")
async def events(
    ctx: Ctx,
    t_from: Annotated[datetime | None, Query(alias="from", description="ISO 8601, inclusive")]
    = None,
    t_to: Annotated[datetime | None, Query(alias="to", description="ISO 8601, exclusive")]
    = None,
    zone: str | None = None,
    target: Annotated[str | None, Query(description="a target id, e.g. icao:3c6444")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[dict[str, Any]]:
    table = await ctx.read(ctx.store.events, t_from=_aware(t_from, "from"),
                           t_to=_aware(t_to, "to"), zone_id=zone, target_id=target,
                           limit=limit)
    out: list[dict[str, Any]] = jsonable(table.to_pylist())
    return out


_REPORTS_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "application/x-ndjson": {"schema": {"type": "string"}},
}}}


def _lines(body: bytes) -> tuple[list[bytes], str]:
    """The reports as JSON lines, and what a line number means (array item or line)."""
    text = body.lstrip()
    if not text.startswith(b"["):
        return [ln.rstrip(b"\r") for ln in body.split(b"\n") if ln.strip()], "line"
    try:
        items = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HTTPException(422, f"<request>: not valid JSON: {exc}") from None
    if not all(isinstance(i, dict) for i in items):
        raise HTTPException(422, "<request>: expected an array of report objects")
    try:
        return [json.dumps(i, allow_nan=False).encode() for i in items], "report"
    except ValueError as exc:
        raise HTTPException(422, f"<request>: {exc}") from None


@router.post("/reports", tags=["reports"], status_code=202, openapi_extra=_REPORTS_BODY,
             summary="Queue reports for detection (JSON array or JSON Lines)")
async def post_reports(request: Request, ctx: Ctx, who: Who) -> dict[str, Any]:
    lines, unit = _lines(await request.body())
    if not lines:
        return {"accepted": 0}
    try:
        table: pa.Table = await ctx.read(reports_from_lines, lines, f"http:{who.name}")
    except TrafficFormatError as exc:
        where = "<request>" + (f": {unit} {exc.line}" if exc.line is not None else "")
        field = f": field {exc.field!r}" if exc.field else ""
        raise HTTPException(422, f"{where}{field}: {exc.message}") from None
    except (pa.ArrowException, ValueError, TypeError) as exc:
        # the reader names most problems; a value pyarrow refuses to cast lands here
        raise HTTPException(422, f"<request>: cannot read the reports: {exc}") from None
    await ctx.service.ingest(table)
    return {"accepted": table.num_rows}
