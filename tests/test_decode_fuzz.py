"""Robustness: random and mutated frames and byte streams never raise; bad input is counted.

Hypothesis drives every framer with random bytes in random chunkings and the decoder with
random and bit-flipped frames. The properties: no exception escapes, one output row per input
frame, rows are either decoded or carry an ``error``, framers resynchronise after garbage.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skyfence.decode import decode_frames, decode_hex, frames_from_hex
from skyfence.ingest import FORMATS, FrameBatch
from skyfence.ingest.beast import BeastFramer, escape
from skyfence.schema import REPORTS
from test_decode_support import squitter

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
GOOD = ["8D4840D6202CC371C32CE0576098", "8D40621D58C382D690C8AC2863A7",
        "8D40621D58C386435CC412692AD6", "8D485020994409940838175B284F",
        "8C4841753AAB238733C8CD4020B1", "212800bf40f1ef", "2928080069049e",
        "a12800bf200464b3d1a1e0c10c34"]


@FUZZ
@given(st.lists(st.binary(min_size=14, max_size=14), min_size=1, max_size=200),
       st.lists(st.sampled_from([0, 3, 7, 14]), min_size=200, max_size=200),
       st.booleans())
def test_random_frames_never_raise(raw: list[bytes], lens: list[int], repair: bool) -> None:
    frames = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(-1, 14)
    lengths = np.array(lens[: len(raw)], dtype=np.uint8)
    times = np.sort(np.random.default_rng(0).uniform(0, 100, len(raw)))
    table, _ = decode_frames(frames, lengths, times, reference=(49.0, 2.5), repair=repair)
    assert table.num_rows == len(raw) and table.schema == REPORTS
    err = table.column("error").to_pylist()
    tid = table.column("target_id").to_pylist()
    assert all((e is None) != (t is None) for e, t in zip(err, tid, strict=True))
    assert all(e is not None for e, n in zip(err, lengths, strict=True) if n < 7)
    lat = table.column("lat").to_numpy(zero_copy_only=False)
    ok = ~np.isnan(lat)
    assert (np.abs(lat[ok]) <= 90).all()


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(GOOD[:5]), st.integers(0, 111)), min_size=1,
                max_size=50))
def test_bit_flipped_squitters_fail_crc_or_are_repaired(flips: list[tuple[str, int]]) -> None:
    hexes = []
    for h, bit in flips:
        b = bytearray.fromhex(h)
        b[bit // 8] ^= 0x80 >> (bit % 8)
        hexes.append(b.hex())
    table, _ = decode_hex(hexes, np.zeros(len(hexes)))
    err = table.column("error").to_pylist()
    # one flipped bit is always detected (CRC-24 has distance >= 3 over 112 bits)
    # a flip inside the DF (bits 0-4) makes another format: unchecked replies then come from
    # an address nobody confirmed
    assert all(e in ("crc", "unsupported df", "bad length", "unconfirmed address")
               or (e is None and bit < 5)
               for e, (_, bit) in zip(err, flips, strict=True))
    assert all(e is not None for e, (_, bit) in zip(err, flips, strict=True) if bit >= 5)
    fixed, _ = decode_hex(hexes, np.zeros(len(hexes)), repair=True)
    rerr = fixed.column("error").to_pylist()
    assert all(e is None for e, (_, bit) in zip(rerr, flips, strict=True) if bit >= 5)


@FUZZ
@given(st.sampled_from(sorted(FORMATS)), st.binary(max_size=3000),
       st.lists(st.integers(1, 400), min_size=1, max_size=20))
def test_framers_survive_random_bytes(fmt: str, data: bytes, cuts: list[int]) -> None:
    framer = FORMATS[fmt]()
    pos, rows = 0, 0
    for c in [*cuts, len(data)]:
        out = framer.feed(data[pos:pos + c])
        rows += len(out) if isinstance(out, FrameBatch) else out.num_rows
        pos += c
    s = framer.stats
    assert min(s.frames, s.bad, s.dropped, s.skipped_bytes) >= 0 and rows == s.frames


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(GOOD), st.binary(max_size=40)), min_size=1,
                max_size=30))
def test_beast_resynchronises(items: list[tuple[str, bytes]]) -> None:
    """Garbage between records loses at most the record right after it."""
    stream = b""
    for h, junk in items:
        raw = bytes.fromhex(h)
        stream += junk + escape(0x33 if len(raw) == 14 else 0x32, 42, 200, raw)
    f = BeastFramer()
    b = f.feed(stream)
    got = {bytes(r[: n]).hex() for r, n in zip(b.frames, b.lengths, strict=True)}
    want = [h.lower() for h, _ in items]
    missing = sum(h not in got for h in want)
    dirty = sum(1 for _, junk in items if junk)
    assert missing <= dirty
    if dirty == 0:
        assert missing == 0 and f.stats.bad == 0 and len(b) == len(items)


@FUZZ
@given(st.sampled_from(["avr", "jsonl"]),
       st.lists(st.tuples(st.sampled_from(GOOD), st.text(max_size=30)), min_size=1,
                max_size=30), st.integers(1, 50))
def test_text_framers_resynchronise(fmt: str, items: list[tuple[str, str]],
                                    chunk: int) -> None:
    """Garbage lines between frames are counted and skipped; every frame comes through."""
    line = "*{};\n" if fmt == "avr" else '{{"timestamp": 1.0, "frame": "{}"}}\n'
    text = "".join(f"{junk}\n" + line.format(h) for h, junk in items).encode("utf-8", "replace")
    f = FORMATS[fmt]()
    frames = [b.frames for i in range(0, len(text), chunk)
              if isinstance(b := f.feed(text[i:i + chunk]), FrameBatch)]
    got = np.concatenate(frames)
    assert np.array_equal(got, frames_from_hex([h for h, _ in items])[0])


def test_over_long_frames_lose_nothing_else() -> None:
    good = squitter(0x3C6444, 4 << 51)
    f = FORMATS["jsonl"]()
    b = f.feed(b'{"frame": "' + b"8" * 100_000 + b'"}\n{"timestamp": 1, "frame": "'
               + good.encode() + b'"}\n')
    assert f.stats.dropped == 1 and len(b) == 1


@FUZZ
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20))
def test_any_reception_time_is_handled(times: list[float]) -> None:
    table, _ = decode_hex([GOOD[0]] * len(times), times)
    ok = [0 <= t < 1e10 for t in times]
    assert [e is None for e in table.column("error").to_pylist()] == ok
    assert table.column("time").null_count == 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)


@FUZZ
@given(st.fixed_dictionaries({"now": JSON_VALUES, "aircraft": st.lists(
    st.dictionaries(st.sampled_from(["hex", "lat", "lon", "alt_baro", "gs", "seen", "seen_pos",
                                     "flight", "squawk", "nic", "category", "baro_rate"]),
                    JSON_VALUES | st.just("3c6444"), max_size=10), max_size=5)}))
def test_aircraft_json_any_values(doc: dict[str, object]) -> None:
    import json

    framer = FORMATS["aircraft-json"]()
    table = framer.feed(json.dumps(doc).encode())
    assert table.schema == REPORTS and table.num_rows == framer.stats.frames


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(GOOD), st.text("0123456789abcdefABCDEF ", min_size=13,
                                                         max_size=29), st.text(max_size=30)),
                min_size=1, max_size=40))
def test_hex_parsing_matches_bytes_fromhex(hexes: list[str]) -> None:
    frames, lengths = frames_from_hex(hexes)
    for h, row, n in zip(hexes, frames, lengths, strict=True):
        try:
            want = bytes.fromhex(h) if len(h) in (14, 28) and " " not in h else None
        except ValueError:
            want = None
        if want is None:
            assert n == 0 and not row.any()
        else:
            assert n == len(want) and bytes(row[:n]) == want and not row[n:].any()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 0xFFFFFF), st.integers(0, (1 << 56) - 1),
                          st.sampled_from([17, 18]), st.integers(0, 7),
                          st.floats(0, 60)), min_size=1, max_size=60),
       st.lists(st.tuples(st.sampled_from([0, 4, 5, 16, 20, 21]), st.integers(0, (1 << 56) - 1)),
                max_size=20))
def test_random_content_with_valid_parity(
    squitters: list[tuple[int, int, int, int, float]], replies: list[tuple[int, int]],
) -> None:
    """Every family sees arbitrary field values (the parity is made right): no exception,
    values within their physical ranges."""
    hexes = [squitter(icao, me, df, ca) for icao, me, df, ca, _ in squitters]
    times = sorted(t for *_, t in squitters)
    for df, body in replies:  # the address/parity field then yields some address
        raw = (df << 51 | body & ((1 << 51) - 1)).to_bytes(7, "big")
        raw = raw[:4] if df < 16 else raw + bytes(4)
        hexes.append((raw + bytes(3)).hex())
        times.append(times[-1])
    table, state = decode_hex(hexes, times, reference=(49.0, 2.5), confirm=False)
    assert table.num_rows == len(hexes) and table.schema == REPORTS
    assert table.column("error").null_count >= len(squitters) - sum(
        df == 18 and ca != 0 for _, _, df, ca, _ in squitters)
    cols = table.to_pydict()
    for lat in filter(None, cols["lat"]):
        assert -90 <= lat <= 90
    for lon in filter(None, cols["lon"]):
        assert -180 <= lon < 180
    for trk in filter(None, cols["track_deg"] + cols["heading_deg"]):
        assert 0 <= trk < 360
    for gs in filter(None, cols["gs_mps"]):
        assert 0 <= gs < 4 * 1023 * 0.515
    assert len(state.cpr) <= len(squitters)
