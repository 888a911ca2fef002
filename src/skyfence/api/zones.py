"""Zones: read by anyone, changed by admins. Every change is a new version in the store
(the history keeps every one), then the live service gets the new zone set.

Bodies are GeoJSON as ``docs/zones.md`` describes, checked by skyfence's own zone parser: a
bad one is a 422 whose ``detail`` names the feature and the property (``<request>: feature 2
(EPR16): field 'ceiling': ...``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from skyfence.api.auth import Who
from skyfence.api.context import Ctx, jsonable
from skyfence.zones import geojson

__all__ = ["router"]

router = APIRouter(tags=["zones"])

_FEATURE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/geo+json": {"schema": {"type": "object"}},
    "application/json": {"schema": {"type": "object"}},
}}}


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError) as exc:
        raise HTTPException(422, f"<request>: not valid JSON: {exc}") from None


def _feature_id(feature: dict[str, Any]) -> Any:
    props = feature.get("properties")
    return props.get("id", feature.get("id")) if isinstance(props, dict) else feature.get("id")


@router.get("/zones", summary="The live zones as a GeoJSON FeatureCollection")
async def list_zones(ctx: Ctx) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": await ctx.read(ctx.store.zones)}


@router.get("/zones/{zone_id}", summary="One live zone as a GeoJSON Feature")
async def get_zone(zone_id: str, ctx: Ctx) -> dict[str, Any]:
    for feature in await ctx.read(ctx.store.zones):
        if str(_feature_id(feature)) == zone_id:
            return feature
    raise HTTPException(404, f"no live zone {zone_id!r}")


@router.get("/zones/{zone_id}/history", summary="Every version of a zone, oldest first")
async def zone_history(zone_id: str, ctx: Ctx) -> list[dict[str, Any]]:
    history = await ctx.read(ctx.store.zone_history, zone_id)
    if not history:
        raise HTTPException(404, f"no zone {zone_id!r} was ever stored")
    out: list[dict[str, Any]] = jsonable(history)
    return out


@router.put("/zones/{zone_id}", summary="Create or replace a zone (a new version)",
            openapi_extra=_FEATURE_BODY)
async def put_zone(zone_id: str, request: Request, ctx: Ctx, who: Who) -> dict[str, Any]:
    feature = await _json_body(request)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise HTTPException(422, "<request>: field 'type': expected one GeoJSON Feature")
    given = _feature_id(feature)
    if given is None:
        props = feature.get("properties")
        feature = {**feature, "properties": {**(props if isinstance(props, dict) else {}),
                                             "id": zone_id}}
    elif str(given) != zone_id:
        raise HTTPException(422, f"<request>: field 'id': the feature's id {given!r} is not "
                            f"the zone in the URL ({zone_id!r})")
    zid, version = await ctx.write(ctx.store.put_zone, feature, who.name)
    await ctx.refresh_zones()
    return {"id": zid, "version": version}


@router.post("/zones", status_code=201, openapi_extra=_FEATURE_BODY,
             summary="Create or replace zones from a Feature or a FeatureCollection")
async def post_zones(request: Request, ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    """All features are checked before any is stored: one bad feature stores nothing."""
    doc = await _json_body(request)
    if not isinstance(doc, dict):
        raise HTTPException(422, "<request>: expected a GeoJSON Feature or FeatureCollection")
    try:
        geojson.parse(json.dumps(doc, allow_nan=False), where="<request>")
    except ValueError as exc:  # NaN or infinity: not JSON
        raise HTTPException(422, f"<request>: not valid JSON: {exc}") from None
    features = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    out = []
    for feature in features:
        zid, version = await ctx.write(ctx.store.put_zone, feature, who.name)
        out.append({"id": zid, "version": version})
    await ctx.refresh_zones()
    return out


@router.delete("/zones/{zone_id}", summary="Delete a zone (a new version marks it deleted)")
async def delete_zone(zone_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    version = await ctx.write(ctx.store.delete_zone, zone_id, who.name)
    await ctx.refresh_zones()
    return {"id": zone_id, "version": version, "deleted": True}

