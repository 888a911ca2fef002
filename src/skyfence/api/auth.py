"""Bearer tokens and roles, with every route's requirement in one table.

Roles are ordered: ``viewer`` (read) < ``operator`` (acknowledge and close alerts, post
reports) < ``admin`` (zones, tokens, sinks, audit log); a role may do everything the roles
below it may. :data:`ROUTE_ROLES` maps ``(method, path template)`` to the least role a route
needs (``WS`` for the WebSocket); :data:`PUBLIC_ROUTES` lists those that need no token: the
health check only. :func:`authorize` looks the matched route up in the table, so a route
that is missing from it is refused to everyone (and :func:`check_routes` refuses to build
such an app).

Missing or unknown token: 401 with ``WWW-Authenticate: Bearer``. Known token, role too low:
403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute, Route, WebSocketRoute

from skyfence.api.context import ApiContext, Ctx

__all__ = [
    "PUBLIC_ROUTES",
    "QUERY_TOKEN_ROUTES",
    "RANK",
    "ROUTE_ROLES",
    "Principal",
    "Role",
    "Who",
    "authorize",
    "check_routes",
    "route_keys",
    "websocket_principal",
]

Role = Literal["viewer", "operator", "admin"]
RANK: dict[str, int] = {"viewer": 0, "operator": 1, "admin": 2}

ROUTE_ROLES: dict[tuple[str, str], Role] = {
    ("GET", "/metrics"): "viewer",
    # zones: anyone may look, only admins change them
    ("GET", "/zones"): "viewer",
    ("GET", "/zones/{zone_id}"): "viewer",
    ("GET", "/zones/{zone_id}/history"): "viewer",
    ("PUT", "/zones/{zone_id}"): "admin",
    ("POST", "/zones"): "admin",
    ("DELETE", "/zones/{zone_id}"): "admin",
    # the air picture and what happened
    ("GET", "/tracks"): "viewer",
    ("GET", "/events"): "viewer",
    ("WS", "/ws"): "viewer",
    # alerts: operators act on them
    ("GET", "/alerts"): "viewer",
    ("GET", "/alerts/{alert_id}"): "viewer",
    ("POST", "/alerts/{alert_id}/acknowledge"): "operator",
    ("POST", "/alerts/{alert_id}/close"): "operator",
    ("POST", "/reports"): "operator",
    ("GET", "/interference"): "viewer",
    # administration
    ("GET", "/tokens"): "admin",
    ("POST", "/tokens"): "admin",
    ("DELETE", "/tokens/{name}"): "admin",
    ("GET", "/sinks"): "admin",
    ("POST", "/sinks"): "admin",
    ("DELETE", "/sinks/{name}"): "admin",
    ("GET", "/audit-log"): "admin",
    # the web map (skyfence.ui): its start-up data, zone schedules, file import, replay
    ("GET", "/ui/config"): "viewer",
    ("GET", "/ui/zones/active"): "viewer",
    ("POST", "/zones/import"): "admin",
    ("GET", "/replay"): "viewer",
    # the API's own description (skyfence.api.docs)
    ("GET", "/docs"): "viewer",
    ("GET", "/openapi.json"): "viewer",
}

# the health check (load balancers have no token)
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", "/health")})

# routes a browser opens by their address (the API's description): the token may also come
# as ``?token=`` there (elsewhere only as a bearer header, kept out of addresses and logs)
QUERY_TOKEN_ROUTES: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/docs"), ("GET", "/openapi.json")})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (recorded as the actor) and its role."""

    name: str
    role: Role


_bearer = HTTPBearer(auto_error=False, description="a token from `skyfence token create`")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _verify(ctx: ApiContext, token: str | None) -> Principal | None:
    if not token:
        return None
    found = await ctx.read(ctx.store.verify_token, token)
    if found is None or found[1] not in RANK:
        return None
    name, role = found
    return Principal(name, role)  # type: ignore[arg-type]  # checked against RANK above


def _allowed(principal: Principal, key: tuple[str, str]) -> bool:
    need = ROUTE_ROLES.get(key)
    return need is not None and RANK[principal.role] >= RANK[need]


async def authorize(
    request: Request, ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, if their token's role may use the matched route (see ``ROUTE_ROLES``)."""
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path", ""))
    token = credentials.credentials if credentials else None
    if token is None and key in QUERY_TOKEN_ROUTES:
        token = request.query_params.get("token")
    principal = await _verify(ctx, token)
    if principal is None:
        raise _unauthorized("missing or invalid bearer token" if token is None
                            else "invalid bearer token")
    if not _allowed(principal, key):
        need = ROUTE_ROLES.get(key)
        raise HTTPException(403, f"role {principal.role!r} may not {key[0]} {key[1]}"
                            + (f": needs {need!r}" if need else ""))
    return principal


Who = Annotated[Principal, Depends(authorize)]


async def websocket_principal(websocket: WebSocket, ctx: ApiContext) -> tuple[int, str] | Principal:
    """The caller of a WebSocket (token as ``?token=`` or ``Authorization: Bearer``), or the
    HTTP status and reason to refuse it with."""
    token = websocket.query_params.get("token")
    header = websocket.headers.get("authorization", "")
    if token is None and header[:7].lower() == "bearer ":
        token = header[7:].strip()
    principal = await _verify(ctx, token)
    if principal is None:
        return 401, "missing or invalid token"
    route = websocket.scope.get("route")
    if not _allowed(principal, ("WS", getattr(route, "path", ""))):
        return 403, f"role {principal.role!r} may not open this stream"
    return principal


def route_keys(routes: Iterable[BaseRoute]) -> list[tuple[str, str]]:
    """``(method, path)`` of every route (``WS`` for WebSockets; HEAD left out)."""
    keys = []
    for r in routes:
        included = getattr(r, "original_router", None)
        if included is not None:
            # newer FastAPI keeps an included router as one route wrapping it (we include
            # routers without a prefix, so the paths inside are the paths served)
            keys += route_keys(included.routes)
        elif isinstance(r, WebSocketRoute):
            keys.append(("WS", r.path))
        elif isinstance(r, Route):
            keys += [(m, r.path) for m in sorted(r.methods or ()) if m != "HEAD"]
    return keys


def check_routes(routes: Iterable[BaseRoute]) -> None:
    """Refuse an app with a route that is neither public nor in ``ROUTE_ROLES``."""
    missing = [k for k in route_keys(routes) if k not in ROUTE_ROLES and k not in PUBLIC_ROUTES]
    if missing:
        raise RuntimeError(f"routes without a role in ROUTE_ROLES: {missing}")
