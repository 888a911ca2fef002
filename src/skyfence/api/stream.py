"""``WS /ws``: the live picture as it changes.

Messages are JSON objects, as the live service publishes them:

- ``{"type": "track", "target_id", "track_id", "callsign", "time" (epoch s), "lat", "lon",
  "alt_m", "gs_mps", "track_deg", "vrate_mps", "on_ground", "zones": [...], "kind"}``, one
  per target updated by a micro-batch;
- ``{"type": "alert", "change": "opened" | "escalated" | "acknowledged" | "closed",
  "alert": {...}}`` (an alert as ``GET /alerts/{id}`` returns it).

Filters (query parameters): ``bbox`` keeps tracks inside the box; ``zone`` keeps tracks
inside that zone and alerts of that zone. A slow client loses the oldest messages (the
service never waits for it).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from skyfence.api.auth import websocket_principal
from skyfence.api.traffic import BBox, parse_bbox

__all__ = ["router", "wanted"]

router = APIRouter()


def wanted(message: dict[str, Any], bbox: BBox | None, zone: str | None) -> bool:
    """Whether a subscriber with these filters gets ``message``."""
    if message.get("type") == "alert":
        return zone is None or message["alert"].get("zone_id") == zone
    if message.get("type") == "track":
        if zone is not None and zone not in message.get("zones", ()):
            return False
        return bbox is None or (bbox[0] <= message["lon"] <= bbox[2]
                                and bbox[1] <= message["lat"] <= bbox[3])
    return True


async def _refuse(websocket: WebSocket, status: int, reason: str) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": reason}, status))
    else:  # servers without the extension answer 403
        await websocket.close(code=1008, reason=reason)


@router.websocket("/ws")
async def stream(websocket: WebSocket) -> None:
    """Live tracks and alert changes (see the module docstring); token as ``?token=`` or
    ``Authorization: Bearer``; filters ``bbox`` and ``zone``."""
    ctx = websocket.app.state.skyfence
    who = await websocket_principal(websocket, ctx)
    if isinstance(who, tuple):
        await _refuse(websocket, *who)
        return
    try:
        bbox = parse_bbox(websocket.query_params.get("bbox"))
    except ValueError as exc:
        await _refuse(websocket, 422, str(exc))
        return
    zone = websocket.query_params.get("zone") or None
    # subscribed before accepting: whatever happens once the client is connected reaches it
    queue = ctx.service.subscribe()
    try:
        await websocket.accept()
        sender = asyncio.create_task(_send(websocket, queue, bbox, zone))
        receiver = asyncio.create_task(_drain(websocket))
        done, pending = await asyncio.wait({sender, receiver},
                                           return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                task.result()
    finally:
        ctx.service.unsubscribe(queue)


async def _send(websocket: WebSocket, queue: asyncio.Queue[dict[str, Any]],
                bbox: BBox | None, zone: str | None) -> None:
    while True:
        message = await queue.get()
        if wanted(message, bbox, zone):
            await websocket.send_json(message)


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
