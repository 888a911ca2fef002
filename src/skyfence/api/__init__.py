"""The HTTP/WebSocket API of the live service (FastAPI; OpenAPI at ``/docs``)."""

from skyfence.api.app import create_app
from skyfence.api.auth import PUBLIC_ROUTES, RANK, ROUTE_ROLES, Principal, route_keys

__all__ = ["PUBLIC_ROUTES", "RANK", "ROUTE_ROLES", "Principal", "create_app", "route_keys"]
