"""The request size limit (``settings.max_request_bytes``), for every HTTP route.

A pure ASGI middleware, so it sees the body before any route parses it: a ``Content-Length``
above the limit is refused at once with 413 (nothing is read); a body without one (chunked)
is counted as it streams and refused as soon as it passes the limit. The error raised while
streaming is an ``HTTPException``, so FastAPI's body parsing passes it through unchanged
rather than turning it into a 400.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimitMiddleware", "RequestTooLarge"]


class RequestTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await _refuse(send, 400, "bad Content-Length")
                return
            if too_big:
                await _refuse(send, 413, f"request body larger than {self.max_bytes} bytes")
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise RequestTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except RequestTooLarge as exc:
            # raised where nothing caught it (a route that reads the body itself)
            if started:
                raise
            await _refuse(send, 413, str(exc.detail))


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
