"""The benchmarks run, end to end, on a tiny corpus (one recording, a few thousand
reports, 200 airport zones), so the scripts under ``benchmarks/`` do not rot. Peers that are
not installed are skipped by the benchmarks themselves; the corpus needs ``traffic`` and
the airport zones ``airportsdata`` (both in the ``dev`` and ``bench`` extras)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("traffic") is None
    or importlib.util.find_spec("airportsdata") is None,
    reason="the benchmarks' corpus needs 'traffic' and 'airportsdata' (pip install -e '.[dev]')",
)


@pytest.fixture(scope="module")
def bench_path() -> None:
    sys.path.insert(0, str(BENCH))
    yield
    sys.path.remove(str(BENCH))


def test_replicas_are_distinct_targets_in_time_order(bench_path: None) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    import common

    base = common.base_reports(["switzerland"]).slice(0, 1_000)
    out = pa.concat_tables(list(common.replicated(base, 2_500, 400)))
    assert out.num_rows == 2_500
    assert out.schema == base.schema
    ids = out.column("target_id").to_pylist()
    assert ids[1_000] == ids[0] + "~1" and ids[2_000] == ids[0] + "~2"
    shift = pc.subtract(out.column("time")[1_000], out.column("time")[0]).as_py()
    assert shift == common.REPLICA_SHIFT
    lat, lon = common.point_arrays(base, 2_500)
    assert lat.shape == lon.shape == (2_500,) and lat[1_000] == lat[0]


def test_bench_zones_runs(bench_path: None, tmp_path: Path) -> None:
    import bench_zones

    logs: list[str] = []
    info = bench_zones.run(5_000, quick=True, collections=["switzerland"], n_airports=200,
                           log=logs.append)
    assert [r.name for r in info["results"]] == [
        "FIRs", "airports near traffic", "airports world-wide"]
    for res in info["results"]:
        ours = res.rows[0]
        assert ours.engine.startswith("skyfence") and ours.timing is not None
        assert ours.timing.n == 5_000 and ours.timing.rate > 0
        for row in res.rows[1:]:
            if row.agree is None:  # peer not installed
                assert row.note.startswith("skipped")
                continue
            # circles: the peers see a polygon whose chords lie <= 10 m inside the circle
            assert row.agree.only_theirs <= 5
            assert row.agree.only_ours <= max(5, row.agree.ours // 100)
    fir = info["results"][0]
    assert fir.rows[0].timing.result[0].size > 4_000  # Swiss traffic is inside a FIR
    text = bench_zones.report(info)
    assert "| skyfence ZoneIndex.lookup |" in text and "## Versions" in text


def test_bench_audit_runs(bench_path: None, tmp_path: Path) -> None:
    import bench_audit

    info = bench_audit.run(20_000, quick=True, file_sizes=(5_000, 20_000),
                           traffic_budget_s=0.5, collections=["switzerland"], n_airports=200,
                           log=lambda _: None, workdir=tmp_path)
    audits = {a["name"]: a for a in info["audit"]}
    assert audits["FIRs"]["timing"].n == 20_000
    assert audits["FIRs"]["out_of_order"] == 0
    runs = info["file_runs"]
    assert [r["reports"] for r in runs] == [5_000, 20_000]
    assert all(r["peak_rss"] > 0 for r in runs)
    text = bench_audit.report(info)
    assert "## 2. From a Parquet file" in text
    if "skipped" not in info["traffic"]:
        assert "`Flight.intersects`" in text
