"""``skyfence serve --zones FILE... --source URL...``: the live monitoring service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
from typing import Any

from rich.console import Console

from skyfence.errors import ConfigError

HELP = "Run the live service: receivers in, alerts out, with the API and WebSocket."


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--zones", nargs="*", default=[], metavar="FILE",
                   help="zone files to load (each zone becomes a new version if it changed)")
    p.add_argument("--source", action="append", default=[], metavar="URL",
                   help="tcp://HOST:PORT?format=beast|avr|sbs|jsonl, file://PATH?speed=10, "
                   "mqtt://HOST:PORT/TOPIC, nats://HOST:PORT/SUBJECT (repeatable)")
    p.add_argument("--sink", action="append", default=[], metavar="NAME=URL",
                   help="deliver alerts to https://..., mqtt://HOST:PORT/PREFIX or "
                   "nats://HOST:PORT/PREFIX (repeatable; kept in the database)")
    p.add_argument("--data-dir", type=Path, help="database, archive (default skyfence-data)")
    p.add_argument("--db", help="database URL, e.g. postgresql://user@host/db "
                   "(default: SQLite in the data directory)")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8080)")
    p.add_argument("--reference", metavar="LAT,LON", help="receiver position (surface CPR)")
    p.add_argument("--config", type=Path, help="TOML settings file")
    p.add_argument("--exit-when-sources-end", action="store_true",
                   help="stop once every source has ended (replays, tests)")


def _reference(text: str | None) -> tuple[float | None, float | None]:
    if not text:
        return None, None
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--reference {text!r}: expected LAT,LON") from None
    return lat, lon


def run(args: argparse.Namespace, console: Console) -> int:
    from skyfence.settings import load_settings

    ref_lat, ref_lon = _reference(args.reference)
    settings = load_settings(
        args.config, data_dir=args.data_dir, db=args.db, host=args.host, port=args.port,
        reference_lat=ref_lat, reference_lon=ref_lon,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings, args.zones, args.source, args.sink, console,
                          exit_when_sources_end=args.exit_when_sources_end))
    return 0


async def serve(settings: Any, zone_files: list[str], source_urls: list[str],
                sink_specs: list[str], console: Console, *,
                exit_when_sources_end: bool = False) -> None:
    """Open the store, import zones, start sources, pipeline, dispatcher and API."""
    import uvicorn

    from skyfence.api import create_app
    from skyfence.pipeline.live import LiveConfig, LiveService
    from skyfence.pipeline.sources import make_source
    from skyfence.sinks.outbox import Dispatcher
    from skyfence.sinks.registry import sink_from_url
    from skyfence.store import ReportArchive, open_store
    from skyfence.zones.geojson import to_geojson
    from skyfence.zones.model import ZoneSet
    from skyfence.zones.registry import load_zones

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.db, settings.data_dir)
    try:
        live = {f["properties"]["id"]: f for f in store.zones()}
        for zone in load_zones(zone_files):
            feature = to_geojson(ZoneSet([zone]))["features"][0]
            old = live.get(zone.id)
            if old is None or _without_version(old) != _without_version(feature):
                store.put_zone(feature, "serve")
        for spec in sink_specs:
            name, sep, url = spec.partition("=")
            if not sep:
                raise ConfigError(f"--sink {spec!r}: expected NAME=URL")
            sink_from_url(name, url, allow_private=settings.allow_private_webhooks)
            if name not in {s["name"] for s in store.sinks()}:
                store.add_sink(name, url, user="serve")
        sinks = {
            s["name"]: sink_from_url(s["name"], s["url"], s.get("secret"),
                                     allow_private=settings.allow_private_webhooks)
            for s in store.sinks(with_secrets=True)
        }
        sources = [make_source(u) for u in source_urls]
        dispatcher = Dispatcher(store, sinks)
        archive = ReportArchive(settings.data_dir / "archive") if settings.archive_reports \
            else None
        reference = None
        if settings.reference_lat is not None and settings.reference_lon is not None:
            reference = (settings.reference_lat, settings.reference_lon)
        service = LiveService(
            store.zone_set(), recorder=store, sinks=list(sinks),
            config=LiveConfig(settings.batch_max_s, settings.batch_max_rows,
                              settings.queue_batches, settings.stale_s, reference,
                              settings.alert_refresh_s),
            archive=archive.append if archive is not None else None,
            on_commit=dispatcher.wake,
        )
        service.restore(store.alerts(status="open") + store.alerts(status="acknowledged"))
        app = create_app(settings, service, store)
        server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                                               log_level="warning", lifespan="off"))
        console.print(f"skyfence serving on http://{settings.host}:{settings.port} "
                      f"({len(service.zones)} zones, {len(sources)} sources, "
                      f"{len(sinks)} sinks)", highlight=False)
        dispatcher.start()
        watcher = asyncio.create_task(_follow_sinks(store, dispatcher, service, settings))
        pipeline = asyncio.create_task(
            service.run(sources, until_sources_end=exit_when_sources_end))
        api = asyncio.create_task(server.serve())
        done, _ = await asyncio.wait({pipeline, api}, return_when=asyncio.FIRST_COMPLETED)
        if pipeline in done:
            server.should_exit = True
            await api
        else:
            pipeline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pipeline
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        await dispatcher.stop()
    finally:
        store.close()


SINK_POLL_S = 2.0  # how soon a sink added through the API starts delivering


async def _follow_sinks(store: Any, dispatcher: Any, service: Any, settings: Any) -> None:
    """Pick up sinks added through the API while the service runs."""
    from skyfence.errors import ConfigError as SinkConfigError
    from skyfence.sinks.registry import sink_from_url

    while True:
        await asyncio.sleep(SINK_POLL_S)
        for s in await asyncio.to_thread(store.sinks, with_secrets=True):
            if s["name"] in dispatcher.sinks:
                continue
            try:
                sink = sink_from_url(s["name"], s["url"], s.get("secret"),
                                     allow_private=settings.allow_private_webhooks)
            except SinkConfigError:
                continue  # refused when it was added; nothing to deliver to
            dispatcher.add_sink(s["name"], sink)
            if s["name"] not in service.sinks:
                service.sinks.append(s["name"])


def _without_version(feature: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in feature.get("properties", {}).items() if k != "version"}
    return {**feature, "properties": props}
