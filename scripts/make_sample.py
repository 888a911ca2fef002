"""Build skyfence's built-in sample traffic from the traffic library's ``quickstart`` sample.

    python scripts/make_sample.py [--input PATH] [--output PATH]

Input: ``traffic/data/samples/collections/quickstart.json.gz`` from the installed ``traffic``
package (MIT licence; OpenSky Network state vectors around Paris, 2021-10-07 12:00-15:00
UTC). Output: ``src/skyfence/data/sample/paris_traffic.parquet``, every record converted by
``skyfence.readers`` to ``Reports`` (SI units), sorted by time then target, zstd level 19.

The whole recording fits the ~4 MB budget (about 3.2 MB), so nothing is cut. The output is
byte-for-byte reproducible for a given pyarrow version. The summary printed at the end is
what ``src/skyfence/data/sample/README.md`` quotes.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from skyfence.readers import ReadStats, read_traffic
from skyfence.schema import REPORTS

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src" / "skyfence" / "data" / "sample" / "paris_traffic.parquet"
# Aerodrome reference points (AIP France), for the summary only
AIRPORTS = {
    "LFPG": (49.0097, 2.5479),
    "LFPO": (48.7233, 2.3794),
    "LFPB": (48.9694, 2.4414),
}
NEAR_M = 2_500.0  # a track that comes this close to the reference point ...
LOW_M = 150.0  # ... below this barometric altitude, or on the ground, used the airport


def quickstart_path() -> Path:
    spec = importlib.util.find_spec("traffic")  # no import: traffic writes config at import
    if spec is None or spec.origin is None:
        sys.exit("the traffic package is not installed: pip install -e '.[dev]'")
    return Path(spec.origin).parent / "data" / "samples" / "collections" / "quickstart.json.gz"


def _distance_m(lat: pa.Array, lon: pa.Array, ref: tuple[float, float]) -> pa.Array:
    """Equirectangular distance: good to a few metres at 5 km."""
    k = math.pi / 180.0
    dy = pc.multiply(pc.subtract(lat, ref[0]), k * 6_371_000.0)
    dx = pc.multiply(pc.subtract(lon, ref[1]), k * 6_371_000.0 * math.cos(ref[0] * k))
    return pc.sqrt(pc.add(pc.multiply(dx, dx), pc.multiply(dy, dy)))


def summary(table: pa.Table) -> list[str]:
    span = pc.min_max(table["time"]).as_py()
    lines = [
        f"rows: {table.num_rows}",
        f"targets: {pc.count_distinct(table['target_id']).as_py()}",
        f"callsigns: {pc.count_distinct(table['callsign']).as_py()}",
        f"time: {span['min']} .. {span['max']}",
        "lat: {min} .. {max}".format(**pc.min_max(table["lat"]).as_py()),
        "lon: {min} .. {max}".format(**pc.min_max(table["lon"]).as_py()),
    ]
    low = pc.or_kleene(pc.less(table["alt_baro_m"], LOW_M), pc.equal(table["on_ground"], True))
    for code, ref in AIRPORTS.items():
        near = pc.and_kleene(pc.less(_distance_m(table["lat"], table["lon"], ref), NEAR_M), low)
        ids = pc.filter(table["target_id"], pc.fill_null(near, False))
        lines.append(
            f"{code}: {pc.count_distinct(ids).as_py()} targets below {LOW_M:.0f} m "
            f"within {NEAR_M / 1000:.1f} km"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    source = args.input or quickstart_path()
    stats = ReadStats()
    table = pa.concat_tables(read_traffic(source, stats=stats))
    table = table.sort_by([("time", "ascending"), ("target_id", "ascending")])
    assert table.schema.equals(REPORTS), "the reader must emit Reports"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        args.output,
        compression="zstd",
        compression_level=19,
        row_group_size=table.num_rows or None,
    )
    print(f"{source.name} -> {args.output} ({args.output.stat().st_size} bytes)")
    print(f"invalid positions nulled: {stats.invalid_positions}, invalid ids: {stats.invalid_ids}")
    for line in summary(table):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
