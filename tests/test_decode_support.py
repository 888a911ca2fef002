"""Helpers (no tests) for the Mode S tests: locating the traffic sample recordings, building
frames. Named test_decode_* to stay inside the decoder's test files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from skyfence.decode import crc24


def traffic_sample(*parts: str) -> Path:
    """A file of the ``traffic`` package's samples, or skip the test if it is not installed."""
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        pytest.skip("the 'traffic' package (dev extra) is not installed: no sample recordings")
    path = Path(spec.origin).parent.joinpath("data", "samples", *parts)
    if not path.exists():
        pytest.skip(f"traffic sample {'/'.join(parts)} not found in this traffic version")
    return path


def squitter(icao: int, me: int, df: int = 17, ca: int = 5) -> str:
    """A DF 17/18 frame in hex with a correct parity field."""
    data = ((df << 3 | ca).to_bytes(1, "big") + icao.to_bytes(3, "big") + me.to_bytes(7, "big"))
    return (data + crc24(data).to_bytes(3, "big")).hex()


def short_ap(df: int, field13: int, icao: int, flight_status: int = 0) -> str:
    """A DF 0/4/5 frame in hex whose address/parity field encodes ``icao``."""
    word = df << 27 | flight_status << 24 | field13
    data = word.to_bytes(4, "big")
    return (data + (crc24(data) ^ icao).to_bytes(3, "big")).hex()
