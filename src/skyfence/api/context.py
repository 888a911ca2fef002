"""What every route needs: the settings, the live service and the store, and the two ways to
call the (synchronous) store from the event loop.

Reads run on the thread pool, any number at once. Writes run on one dedicated thread (the
store's rule: one writer), so two operators clicking at once queue instead of racing for
SQLite's lock.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from skyfence.api.metrics import StoreMetrics
from skyfence.pipeline.live import LiveService
from skyfence.settings import Settings
from skyfence.store import Store

__all__ = ["ApiContext", "Ctx", "iso", "jsonable"]

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class ApiContext:
    settings: Settings
    service: LiveService
    store: Store
    writer: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="skyfence-api-writer"))
    store_metrics: StoreMetrics = field(default_factory=StoreMetrics)

    async def read(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(fn, *args, **kwargs)

    async def write(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.writer, functools.partial(fn, *args, **kwargs))

    async def refresh_zones(self) -> None:
        """Hand the store's live zones to the service (a new index, built off the loop)."""
        await self.service.set_zones(await self.read(self.store.zone_set))


def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.skyfence
    return ctx


Ctx = Annotated[ApiContext, Depends(_context)]


def check_window(t_from: datetime, t_to: datetime, max_s: float) -> None:
    """A ``from``/``to`` query window: both with a time zone, ``to`` after ``from``, at most
    ``max_s`` long; else a 422 saying which."""
    for name, t in (("from", t_from), ("to", t_to)):
        if t.utcoffset() is None:
            raise HTTPException(422, f"{name!r} needs a time zone, e.g. 2024-07-06T12:00:00Z")
    span = (t_to - t_from).total_seconds()
    if not 0 < span <= max_s:
        raise HTTPException(422, f"'to' must be after 'from' and at most {max_s:.0f} s "
                            f"later (got {span:.0f} s)")


def iso(t: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, as :meth:`AlertRecord.to_json` writes times."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """``value`` with every datetime (at any depth in dicts and lists) as :func:`iso` text."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
