"""The API's own description, for viewers: the OpenAPI schema (``/openapi.json``) and its
Swagger UI page (``/docs``).

A browser opening ``/docs`` by its address cannot send a bearer header, so these two routes
also take the token as ``?token=`` (:data:`skyfence.api.auth.QUERY_TOKEN_ROUTES`); the page
fetches the schema with the token it was opened with. Calls tried from the page need the
token entered once more under "Authorize" (Swagger UI sends it as a bearer header).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from skyfence.api.auth import authorize

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])


@router.get("/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    token = request.query_params.get("token")
    url = "/openapi.json" + (f"?{urlencode({'token': token})}" if token else "")
    return get_swagger_ui_html(openapi_url=url, title=f"{request.app.title} API")
