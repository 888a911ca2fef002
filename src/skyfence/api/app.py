"""``create_app(settings, service, store)``: the HTTP and WebSocket API of the live service.

Routes are split by resource (``zones``, ``alerts``, ``traffic``, ``admin``, ``stream``,
``system``); who may call each one is in :data:`skyfence.api.auth.ROUTE_ROLES`. Errors from
below are translated here, once: bad input (``InputError``, e.g. a zone the parser refuses)
is 422 with its located message, ``NotFoundError`` 404, ``ConflictError`` 409, any other
``StoreError`` 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from skyfence import __version__
from skyfence.api import admin, alerts, docs, interference, stream, system, traffic, zones
from skyfence.api.auth import authorize, check_routes
from skyfence.api.context import ApiContext
from skyfence.api.limits import BodyLimitMiddleware
from skyfence.errors import InputError, StoreError
from skyfence.pipeline.live import LiveService
from skyfence.settings import Settings
from skyfence.store import ConflictError, NotFoundError, Store
from skyfence.ui import mount_ui

__all__ = ["create_app"]

DESCRIPTION = """Live airspace incursion monitoring.

Every route but `/health` needs `Authorization: Bearer <token>` (create one with
`skyfence token create --name NAME --role ROLE`). Roles: **viewer** reads, **operator** also
acknowledges and closes alerts and posts reports, **admin** also changes zones, tokens and
sinks and reads the audit log.
"""


def _error(status: int) -> object:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status)
    return handler


def create_app(settings: Settings, service: LiveService, store: Store) -> FastAPI:
    """The API over a running (or about to run) ``service`` and its ``store``. The caller
    owns both: the app neither starts the service nor closes the store."""
    ctx = ApiContext(settings, service, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            ctx.writer.shutdown(wait=True)

    app = FastAPI(title="skyfence", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.skyfence = ctx
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    for exc_type, status in ((InputError, 422), (NotFoundError, 404), (ConflictError, 409),
                             (StoreError, 503)):
        app.add_exception_handler(exc_type, _error(status))  # type: ignore[arg-type]
    app.include_router(system.router)
    app.include_router(docs.router)
    for module in (zones, alerts, traffic, interference, admin):
        app.include_router(module.router, dependencies=[Depends(authorize)])
    app.include_router(stream.router)
    mount_ui(app)  # the web map; last: its static files answer whatever is left
    check_routes(app.routes)
    return app
