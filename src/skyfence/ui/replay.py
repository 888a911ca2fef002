"""``GET /replay?from=&to=&speed=``: a window of the reports archive played again, streamed
to the page as it plays.

The design, chosen as the simplest that is correct: the archived reports of the window
(``ReportArchive.read``) go through a separate, throw-away :class:`LiveService` (no store,
no sinks, no archive: nothing it does is recorded or notified) fed by a
:class:`ReplaySource` paced at ``speed`` times real time. Its subscriber messages are the
very messages of ``/ws`` (``{"type": "track", ...}`` and ``{"type": "alert", "change", "alert"}``),
so the page draws a replay with the code that draws the live picture, and the alerts appear
at the moment they were raised, as detection and the alert stage raise them. The zones are
today's live zones: a replay answers "what would these zones have caught then" (zone
versions of the time are in the recorded ``/events``).

The answer is JSON Lines (``application/x-ndjson``), one message per line: first
``{"type": "replay", "from", "to", "speed", "reports"}``, then the messages, last
``{"type": "end"}``. Replay alerts exist only in the stream: they cannot be acknowledged or
closed. A client that goes away stops the replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from skyfence.api.context import ApiContext, Ctx, check_window, iso
from skyfence.pipeline.live import LiveConfig, LiveService
from skyfence.pipeline.sources import ReplaySource
from skyfence.store.archive import ReportArchive

__all__ = ["MAX_WINDOW_S", "archive_root", "replay_messages", "router"]

router = APIRouter(tags=["web map"])

# a day of a busy receiver is a few million reports: more than one request should hold in
# memory (the archive window is read whole before it plays)
MAX_WINDOW_S = 24 * 3600.0
# micro-batches of the throw-away service: 0.05 s keeps alerts prompt at high speeds
_BATCH_S = 0.05


def archive_root(ctx: ApiContext) -> Path | None:
    """Where ``skyfence serve`` archives reports (``None`` when archiving is off)."""
    return ctx.settings.data_dir / "archive" if ctx.settings.archive_reports else None


async def replay_messages(reports: pa.Table, service: LiveService,
                          speed: float) -> AsyncIterator[dict[str, Any]]:
    """The messages ``service`` publishes while ``reports`` play at ``speed`` (0: as fast as
    possible), in order; ends when the reports are processed."""
    queue = service.subscribe(maxsize=100_000)
    source = ReplaySource(iter([reports]), speed)
    run = asyncio.create_task(service.run([source], until_sources_end=True))
    try:
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, run}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
                continue
            getter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await getter
            while not queue.empty():
                yield queue.get_nowait()
            run.result()  # re-raise what stopped it
            return
    finally:
        service.unsubscribe(queue)
        if not run.done():
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


@router.get("/replay", summary="Play a window of the reports archive (JSON Lines stream)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
async def replay(
    ctx: Ctx,
    t_from: Annotated[datetime, Query(alias="from", description="ISO 8601, inclusive")],
    t_to: Annotated[datetime, Query(alias="to", description="ISO 8601, exclusive")],
    speed: Annotated[float, Query(ge=0, le=10_000, description="times real time; 0: at "
                                  "once")] = 10.0,
) -> StreamingResponse:
    check_window(t_from, t_to, MAX_WINDOW_S)
    root = archive_root(ctx)
    reports = (await ctx.read(ReportArchive(root).read, t_from, t_to) if root is not None
               else None)
    zones = await ctx.read(ctx.store.zone_set)
    head = {"type": "replay", "from": iso(t_from), "to": iso(t_to), "speed": speed,
            "reports": 0 if reports is None else reports.num_rows}

    async def body() -> AsyncIterator[bytes]:
        yield _line(head)
        if reports is not None and reports.num_rows:
            service = LiveService(zones, config=LiveConfig(
                batch_max_s=_BATCH_S, stale_s=ctx.settings.stale_s))
            async for message in replay_messages(reports, service, speed):
                yield _line(message)
        yield _line({"type": "end"})

    return StreamingResponse(body(), media_type="application/x-ndjson",
                             headers={"Cache-Control": "no-store"})
