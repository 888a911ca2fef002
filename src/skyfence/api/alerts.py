"""Alerts: listed by anyone, acknowledged and closed by operators.

An operator action changes two copies: the live service's (so the alert stage knows, and
WebSocket subscribers hear of it at once) and the store's, where the action, who did it and
when, its audit-log row and its notifications are written in one transaction. The store's
copy decides: an unknown alert is 404, acknowledging one that is not open or closing one
that is closed is 409, and these are checked before the live state is touched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from skyfence.alert.model import AlertChange, AlertRecord
from skyfence.api.auth import Who
from skyfence.api.context import ApiContext, Ctx
from skyfence.sinks.base import Notification

__all__ = ["router"]

router = APIRouter(tags=["alerts"])

Status = Literal["open", "acknowledged", "closed"]


@router.get("/alerts", summary="Alerts, most recently updated first")
async def list_alerts(
    ctx: Ctx,
    status: Status | None = None,
    zone: Annotated[str | None, Query(description="only this zone's alerts")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    found = await ctx.read(ctx.store.alerts, status=status, zone_id=zone, limit=limit)
    return [a.to_json() for a in found]


@router.get("/alerts/{alert_id}", summary="One alert")
async def get_alert(alert_id: str, ctx: Ctx) -> dict[str, Any]:
    return (await _stored(ctx, alert_id)).to_json()


async def _stored(ctx: ApiContext, alert_id: str) -> AlertRecord:
    alert = await ctx.read(ctx.store.alert, alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id!r}")
    return alert


async def _act(
    ctx: ApiContext, alert_id: str, user: str, change: str, allowed: tuple[str, ...],
    live_action: Callable[[str, str], Awaitable[AlertRecord | None]],
    store_action: Callable[[str, str, Sequence[Notification]], AlertRecord],
    fields: Callable[[datetime, str], dict[str, Any]],
) -> dict[str, Any]:
    stored = await _stored(ctx, alert_id)
    if stored.status not in allowed:
        by = stored.closed_by or stored.acknowledged_by
        raise HTTPException(409, f"alert {alert_id!r} is already {stored.status}"
                            + (f" (by {by})" if by else ""))
    now = datetime.now(UTC)
    # the live copy is newer (position, events) when the alert is still live
    live = await live_action(alert_id, user)
    record = live or stored.with_(updated_at=now, **fields(now, user))
    notifications = ctx.service.notifications_for([AlertChange(change, record)])
    done = await ctx.write(store_action, alert_id, user, notifications)
    return done.to_json()


def _acknowledged(now: datetime, user: str) -> dict[str, Any]:
    return {"status": "acknowledged", "acknowledged_at": now, "acknowledged_by": user}


def _closed(now: datetime, user: str) -> dict[str, Any]:
    return {"status": "closed", "closed_at": now, "closed_by": user}


@router.post("/alerts/{alert_id}/acknowledge", summary="An operator has seen an open alert")
async def acknowledge(alert_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return await _act(ctx, alert_id, who.name, "acknowledged", ("open",),
                      ctx.service.acknowledge, ctx.store.acknowledge, fields=_acknowledged)


@router.post("/alerts/{alert_id}/close", summary="An operator closes an alert")
async def close(alert_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return await _act(ctx, alert_id, who.name, "closed", ("open", "acknowledged"),
                      ctx.service.close_alert, ctx.store.close_alert, fields=_closed)
