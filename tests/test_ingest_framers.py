"""Framers and sources: real recordings, escaping, resynchronisation, over-long lines, TCP."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from skyfence.decode import decode_frames, frames_from_hex
from skyfence.errors import ConfigError, DecodeError
from skyfence.ingest import FileSource, FrameBatch, TcpSource, detect_format, parse_tcp_url
from skyfence.ingest.aircraft_json import AircraftJsonFramer
from skyfence.ingest.avr import AvrFramer
from skyfence.ingest.beast import BeastFramer, escape
from skyfence.ingest.jsonl import JsonlFramer
from skyfence.ingest.sbs import SbsFramer
from test_decode_support import traffic_sample

IDENT = "8D4840D6202CC371C32CE0576098"
VEL = "8D485020994409940838175B284F"
SHORT = "5D4840D6" + "000000"


def beast_stream(hexes: list[str], tick0: int = 0x1A1A1A) -> bytes:
    return b"".join(escape(0x33 if len(h) == 28 else 0x32, tick0 + 1000 * k, 0x1A + k,
                           bytes.fromhex(h)) for k, h in enumerate(hexes))


def test_beast_real_recording_in_any_chunking() -> None:
    data = traffic_sample("dump1090", "sample_dump1090.bin").read_bytes()
    whole = BeastFramer().feed(data)
    assert len(whole) == 239
    table, _ = decode_frames(whole.frames, whole.lengths, whole.mlat_ticks / 12e6)
    assert table.column("error").null_count == 239
    ids = table.column("target_id").to_pylist()
    # every address is confirmed by a DF 11 or DF 17 frame (clear address, CRC checked)
    assert set(ids) == {"icao:3981e4", "icao:48520a", "icao:44ce69", "icao:440062"}
    assert (np.diff(whole.mlat_ticks) > 0).all() and np.isfinite(whole.signal_dbfs).all()
    for step in (1, 7, 100):
        f = BeastFramer()
        parts = [f.feed(data[i:i + step]) for i in range(0, len(data), step)]
        assert np.array_equal(np.concatenate([p.frames for p in parts]), whole.frames)
        assert f.stats.bad == 0 and f.stats.skipped_bytes == 0


def test_beast_escaping_round_trip() -> None:
    hexes = [IDENT, "8D1A1A1A" + IDENT[8:], SHORT]
    b = BeastFramer().feed(beast_stream(hexes))
    expected, lengths = frames_from_hex(hexes)
    assert np.array_equal(b.frames, expected) and np.array_equal(b.lengths, lengths)
    assert b.mlat_ticks.tolist() == [0x1A1A1A, 0x1A1A1A + 1000, 0x1A1A1A + 2000]
    assert b.signal_dbfs[0] == pytest.approx(20 * np.log10(0x1A / 255))


def test_beast_resynchronises_after_garbage_and_cut_records() -> None:
    rec = beast_stream([IDENT])
    stream = b"\x00garbage" + rec + rec[:4] + rec + b"\x1a\x1a\xff" + rec + escape(
        0x31, 5, 9, b"\x12\x34")
    f = BeastFramer()
    b = f.feed(stream)
    assert len(b) == 3
    assert f.stats.bad == 1 and f.stats.skipped_bytes > 0 and f.stats.extra["mode_ac"] == 1


def test_avr_plain_mlat_and_bad_lines() -> None:
    f = AvrFramer()
    text = f"*{IDENT};\r\n@0000000012AB{VEL};\n*12AB;\nnoise\n*{SHORT};\n"
    b = f.feed(text[:20].encode())
    b2 = f.feed(text[20:].encode())
    frames = np.concatenate([b.frames, b2.frames])
    assert np.array_equal(frames, frames_from_hex([IDENT, VEL, SHORT])[0])
    assert np.concatenate([b.mlat_ticks, b2.mlat_ticks]).tolist() == [-1, 0x12AB, -1]
    assert f.stats.bad == 2 and f.stats.frames == 3


@pytest.mark.parametrize("framer", [AvrFramer, JsonlFramer, SbsFramer])
def test_over_long_line_is_dropped(framer: type) -> None:
    f = framer()
    f.feed(b"*" + b"A" * 200_000)  # no newline yet: dropped, not buffered
    f.feed(b"B" * 200_000)
    assert f.stats.dropped == 1 and len(f._lines._tail) == 0
    b = f.feed(f"\n*{IDENT};\n".encode())
    assert f.stats.dropped == 1
    if framer is AvrFramer:
        assert len(b) == 1


def test_jsonl_counts_bad_lines() -> None:
    f = JsonlFramer()
    good = json.dumps({"timestamp": 1.5, "frame": IDENT, "df": "17"})
    b = f.feed(f'{good}\n{{"frame": 3}}\nnot json\n{{"timestamp": 2}}\n{good}\n'.encode())
    assert len(b) == 2 and f.stats.bad == 3 and b.times.tolist() == [1.5, 1.5]


def test_sbs_lines_become_reports() -> None:
    lines = (
        "MSG,3,1,1,4CA2D6,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525,,37000,,,"
        "51.4,-0.9,,,0,0,0,0\n"
        "MSG,4,1,1,4CA2D6,1,2024/07/06,06:43:10.000,2024/07/06,06:43:10.000,,,450,90.5,,,"
        "-1024,,0,0,0,0\n"
        "MSG,1,1,1,4CA2D6,1,2024/07/06,06:43:11.000,,,RYR12AB ,,,,,,,7000,,,,-1\n"
        "MSG,3,1,1,XYZ,1,2024/07/06,06:43:09.525,,,,37000,,,,,,,,,,\n"
        "garbage\n"
    )
    f = SbsFramer()
    t = f.feed(lines.encode()).to_pylist()
    assert f.stats.bad == 2 and len(t) == 3
    assert t[0]["target_id"] == "icao:4ca2d6" and t[0]["alt_baro_m"] == pytest.approx(11277.6)
    assert t[1]["gs_mps"] == pytest.approx(450 * 1852 / 3600)
    assert t[1]["vrate_mps"] == pytest.approx(-1024 * 0.3048 / 60)
    assert (t[2]["callsign"], t[2]["squawk"], t[2]["on_ground"]) == ("RYR12AB", "7000", True)
    assert t[0]["time"].tzinfo is not None


def test_aircraft_json() -> None:
    doc = {"now": 1720248200.0, "aircraft": [
        {"hex": "3c6444", "flight": "DLH9LF  ", "alt_baro": 38000, "gs": 451.0, "lat": 49.1,
         "lon": 2.5, "seen_pos": 0.5, "seen": 0.1, "squawk": "1000", "nac_p": 9},
        {"hex": "~1a2b3c", "alt_baro": "ground", "seen": 2.0},
        "not an aircraft",
    ]}
    raw = json.dumps(doc).encode()
    f = AircraftJsonFramer()
    assert f.feed(raw[:30]).num_rows == 0
    t = f.feed(raw[30:]).to_pylist()
    assert f.stats.bad == 1 and len(t) == 2
    assert t[0]["target_id"] == "icao:3c6444" and t[0]["callsign"] == "DLH9LF"
    assert t[0]["time"].timestamp() == pytest.approx(1720248199.5) and t[0]["nacp"] == 9
    assert t[1]["error"] == "non-icao address" and t[1]["on_ground"] is True


def test_detect_format_and_urls(tmp_path: object) -> None:
    assert detect_format("x.bin", b"") == "beast"
    assert detect_format("feed", b"\x1a3abc") == "beast"
    assert detect_format("feed", b"*8D48;\n") == "avr"
    assert detect_format("feed", b"MSG,3,") == "sbs"
    assert detect_format("feed", b'{"timestamp": 1, "frame": "8d"}') == "jsonl"
    assert detect_format("feed", b'{"now": 1, "aircraft": []}') == "aircraft-json"
    with pytest.raises(DecodeError, match="feed"):
        detect_format("feed", b"hello")
    assert parse_tcp_url("tcp://localhost:30005") == ("localhost", 30005)
    with pytest.raises(ConfigError):
        parse_tcp_url("tcp://localhost")
    with pytest.raises(DecodeError, match=r"nope\.bin"):
        FileSource("nope.bin")


def test_tcp_source_reconnects_with_backoff() -> None:
    payload = beast_stream([IDENT, VEL])
    served = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        served += 1
        writer.write(payload[:17])
        await writer.drain()
        writer.write(payload[17:])
        await writer.drain()
        writer.close()

    async def main() -> tuple[list[FrameBatch], TcpSource]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        src = TcpSource("127.0.0.1", port, "beast", min_backoff=0.01, max_connects=3,
                        clock=lambda: 1000.0)
        got = [b async for b in src.batches()]
        server.close()
        await server.wait_closed()
        # nothing listens any more: failures are counted, backoff grows, no exception
        src2 = TcpSource("127.0.0.1", port, "beast", min_backoff=0.01, max_backoff=0.02,
                         max_connects=3)
        assert [b async for b in src2.batches()] == [] and src2.failures == 3
        return got, src  # type: ignore[return-value]

    got, src = asyncio.run(main())
    assert served == 3 and src.connects == 3
    assert sum(len(b) for b in got) == 6 and src.stats.frames == 6
    assert all((b.times == 1000.0).all() for b in got)


def test_tcp_source_counts_bad_records_over_connections() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"*{IDENT};\nnoise\n*{VEL};\n".encode())
        await writer.drain()
        writer.close()

    async def main() -> TcpSource:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        src = TcpSource.from_url(f"tcp://127.0.0.1:{port}", "avr")
        src.min_backoff, src.max_connects = 0.01, 2
        frames = sum([len(b) async for b in src.batches()])
        server.close()
        await server.wait_closed()
        assert frames == 4
        return src

    src = asyncio.run(main())
    assert (src.stats.frames, src.stats.bad, src.connects) == (4, 2, 2)


def test_file_replay_at_a_speed_factor(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "two.jsonl"
    path.write_text("".join(json.dumps({"timestamp": t, "frame": IDENT}) + "\n"
                            for t in (100.0, 101.0)))

    async def replay(speed: float) -> tuple[int, float]:
        src = FileSource(path, chunk_bytes=60, speed=speed)  # one line per chunk
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        n = sum([len(b) async for b in src.batches()])
        return n, loop.time() - t0

    n, took = asyncio.run(replay(10.0))  # 1 s of recording in about 0.1 s
    assert n == 2 and 0.08 <= took < 1.0
    beast = FileSource(traffic_sample("dump1090", "sample_dump1090.bin"), start=1e9)
    first = next(iter(beast))
    assert isinstance(first, FrameBatch) and first.times[0] == 1e9
    assert (np.diff(first.times) >= 0).all()
