"""Administration: API tokens, delivery sinks and the audit log (admins only).

A new token's plaintext is in the answer to ``POST /tokens`` and nowhere else (the store
keeps its SHA-256). Webhook sinks (``http``/``https``) whose host resolves to a loopback,
private, link-local or otherwise non-global address are refused unless
``settings.allow_private_webhooks``: otherwise anyone who can add a sink could make the
server post to services that only trust their own network (SSRF). Broker sinks (``mqtt``,
``nats``) are usually on the local network and are not checked.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from skyfence.api.auth import Role, Who
from skyfence.api.context import Ctx, jsonable

__all__ = ["private_address", "router"]

router = APIRouter(tags=["admin"])

M = TypeVar("M", bound=BaseModel)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["ops-console"])
    role: Role


class NewSink(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["ops-webhook"])
    url: str = Field(min_length=1, examples=["https://hooks.example.com/skyfence"])
    secret: str | None = Field(default=None, description="e.g. to sign webhook bodies")


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


async def _body(request: Request, model: type[M]) -> M:
    """The JSON body as ``model``. Read here rather than by FastAPI, which would parse it
    before the token is checked (a stranger's malformed body must get 401, not 422)."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]
                                     ) from None


@router.get("/tokens", summary="Token names and roles (never the tokens)")
async def list_tokens(ctx: Ctx) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = jsonable(await ctx.read(ctx.store.tokens))
    return out


@router.post("/tokens", status_code=201, openapi_extra=_documented(NewToken),
             summary="Create a token; its plaintext is shown once")
async def create_token(request: Request, ctx: Ctx, who: Who) -> dict[str, Any]:
    body = await _body(request, NewToken)
    token = await ctx.write(ctx.store.create_token, body.name, body.role, who.name)
    return {"name": body.name, "role": body.role, "token": token}


@router.delete("/tokens/{name}", summary="Revoke a token")
async def revoke_token(name: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    await ctx.write(ctx.store.revoke_token, name, who.name)
    return {"name": name, "revoked": True}


def private_address(host: str, port: int | None) -> str | None:
    """The first address ``host`` resolves to that is not a public unicast one, or
    ``None``. Unresolvable hosts raise ``OSError``."""
    infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            return str(ip)
    return None


async def _check_webhook(ctx: Ctx, url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise HTTPException(422, f"field 'url': bad URL: {exc}") from None
    if parts.scheme not in ("http", "https") or ctx.settings.allow_private_webhooks:
        return  # brokers, or allowed; the store checks the scheme and the host
    if not parts.hostname:
        raise HTTPException(422, "field 'url': a webhook URL needs a host")
    try:
        bad = await ctx.read(private_address, parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise HTTPException(422, f"field 'url': cannot resolve {parts.hostname!r}: {exc}"
                            ) from None
    if bad is not None:
        raise HTTPException(422, f"field 'url': {parts.hostname!r} is a private, loopback or "
                            f"reserved address ({bad}); webhooks there are refused unless "
                            "allow_private_webhooks is set")


@router.get("/sinks", summary="Where notifications go (secrets and passwords hidden)")
async def list_sinks(ctx: Ctx) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = jsonable(await ctx.read(ctx.store.sinks))
    return out


@router.post("/sinks", status_code=201, openapi_extra=_documented(NewSink),
             summary="Add a sink (webhook, MQTT or NATS)")
async def add_sink(request: Request, ctx: Ctx, who: Who) -> dict[str, Any]:
    body = await _body(request, NewSink)
    await _check_webhook(ctx, body.url)
    await ctx.write(ctx.store.add_sink, body.name, body.url, body.secret, who.name)
    if body.name not in ctx.service.sinks:
        # new alert changes get a notification for it from now on
        ctx.service.sinks.append(body.name)
    return {"name": body.name, "added": True}


@router.delete("/sinks/{name}", summary="Remove a sink (its pending notifications are dropped)")
async def remove_sink(name: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    await ctx.write(ctx.store.remove_sink, name, who.name)
    if name in ctx.service.sinks:
        ctx.service.sinks.remove(name)
    return {"name": name, "removed": True}


@router.get("/audit-log", summary="Operator actions, newest first")
async def audit_log(
    ctx: Ctx, limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = jsonable(await ctx.read(ctx.store.audit_log, limit))
    return out
