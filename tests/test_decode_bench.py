"""``benchmarks/bench_decode.py`` runs end to end on a slice of its corpus (so it does not
rot); peers that are not installed are skipped."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_decode_support import traffic_sample

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_decode.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_decode", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("kind", ["skyfence_bytes", "skyfence_hex", "rs1090", "pymodes"])
def test_each_contender_decodes_a_slice(kind: str) -> None:
    traffic_sample("rs1090", "full_flight_short.jsonl")
    if kind in ("rs1090", "pymodes"):
        pytest.importorskip("rs1090" if kind == "rs1090" else "pyModeS")
    bench = _module()
    hexes, times, _ = bench.corpus()
    out = bench.prepare(kind, hexes[:300], times[:300])()
    rows = out[0].num_rows if isinstance(out, tuple) else len(out)
    assert rows == 300


def test_child_reports_timings() -> None:
    traffic_sample("rs1090", "full_flight_short.jsonl")
    proc = subprocess.run([sys.executable, str(BENCH), "--one", "skyfence_bytes", "--runs", "1"],
                          capture_output=True, text=True, check=True, timeout=120)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["frames"] == 57_793 and len(res["secs"]) == 1 and res["secs"][0] > 0
    bench = _module()
    res["median"] = res["secs"][0]
    md = bench.report({"skyfence (frames as bytes)": res}, Path("x.jsonl"), 1, 0.5)
    assert "| skyfence (frames as bytes) |" in md and "frames/s" in md
