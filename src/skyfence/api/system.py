"""``GET /health`` (no token: for load balancers and probes) and ``GET /metrics``
(Prometheus text: the live service's metrics plus the outbox, read from the store at each
scrape)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from skyfence import __version__
from skyfence.api.auth import authorize
from skyfence.api.context import Ctx
from skyfence.errors import StoreError

__all__ = ["router"]

router = APIRouter(tags=["system"])


@router.get("/health", summary="Liveness and database reachability (no token needed)",
            responses={503: {"description": "the database cannot be reached"}})
async def health(ctx: Ctx) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "version": __version__, "database": True}
    try:
        await ctx.read(ctx.store.audit_log, 1)
    except StoreError:
        body.update(status="degraded", database=False)
    return JSONResponse(body, 200 if body["database"] else 503)


@router.get("/metrics", dependencies=[Depends(authorize)], response_class=Response,
            summary="Prometheus metrics")
async def metrics(ctx: Ctx) -> Response:
    stats = await ctx.read(ctx.store.outbox_stats)
    # operator closes change the live count between batches: refresh it at each scrape
    ctx.service.metrics.open_alerts.set(len(ctx.service.live_alerts()))
    text = ctx.service.metrics.exposition() + ctx.store_metrics.exposition(stats)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
