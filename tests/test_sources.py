"""Live sources by URL: reports published on the real MQTT and NATS brokers come through."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from services import MQTT, NATS, require_service
from skyfence.errors import ConfigError
from skyfence.pipeline.sources import make_source

REPORT = {"time": "2021-10-07T12:00:00Z", "target_id": "icao:abc123", "lat": 48.0,
          "lon": 2.0, "alt_baro_m": 300.0}


async def first_batch(url: str, publish: object) -> list[dict[str, object]]:
    source = make_source(url)

    async def consume() -> list[dict[str, object]]:
        async for batch in source.batches():
            return batch.to_pylist()  # type: ignore[union-attr]
        return []

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.5)  # let the subscription settle
    await publish()  # type: ignore[operator]
    return await asyncio.wait_for(task, 10)


def test_mqtt_source_receives_reports() -> None:
    require_service(*MQTT)
    topic = f"skyfence-test/{uuid.uuid4().hex[:8]}/reports"

    async def publish() -> None:
        import aiomqtt

        async with aiomqtt.Client("127.0.0.1", 1883) as c:
            await c.publish(topic, b"not json", qos=1)  # counted and skipped
            await c.publish(topic, json.dumps([REPORT, REPORT]).encode(), qos=1)

    rows = asyncio.run(first_batch(f"mqtt://127.0.0.1:1883/{topic}", publish))
    assert len(rows) == 2 and rows[0]["target_id"] == "icao:abc123"
    assert rows[0]["alt_baro_m"] == 300.0


def test_nats_source_receives_reports() -> None:
    require_service(*NATS)
    subject = f"skyfence.test.{uuid.uuid4().hex[:8]}.reports"

    async def publish() -> None:
        import nats

        nc = await nats.connect("nats://127.0.0.1:4222")
        await nc.publish(subject, (json.dumps(REPORT) + "\n").encode())
        await nc.flush()
        await nc.close()

    rows = asyncio.run(first_batch(f"nats://127.0.0.1:4222/{subject}", publish))
    assert len(rows) == 1 and rows[0]["lat"] == 48.0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x/y", "unknown source scheme"),
        ("tcp://127.0.0.1:30005?format=nope", "format must be one of"),
        ("file:///no/such/file.parquet", "no such file"),
        ("mqtt://127.0.0.1:1883", "give a topic"),
    ],
)
def test_bad_source_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_source(url)


def test_bad_speed(tmp_path: Path) -> None:
    f = tmp_path / "x.parquet"
    f.write_bytes(b"")
    with pytest.raises(ConfigError, match="speed must be a number"):
        make_source(f"file://{f}?speed=fast")
