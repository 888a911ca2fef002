"""Alert grading by integrity: a ghost flying a real incursion's path with impossible jumps opens
an unverified, non-critical alert naming the checks that fired; the same path flown by the
real aircraft opens a normal, critical one."""

from __future__ import annotations

import asyncio

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from skyfence.cli.audit import sample_paths
from skyfence.pipeline.audit import audit_batches
from skyfence.pipeline.live import LiveConfig, LiveService
from skyfence.zones import ZoneSet, load_zones
from test_live import MemoryRecorder, TableSource, slices


def real_and_ghost() -> tuple[pa.Table, pa.Table, dict[str, object], ZoneSet]:
    traffic, zones_path = sample_paths()
    table = pq.read_table(traffic)
    zones = load_zones([zones_path])
    episodes = audit_batches([table], zones).incursions.to_pylist()
    # a real airliner's incursion into a critical aerodrome zone, entered while flying
    first_seen = {r["target_id"]: r["time_min"] for r in table.group_by("target_id")
                  .aggregate([("time", "min")]).to_pylist()}
    # entered in flight, long after the aircraft was first seen (a track with a history)
    ep = next(e for e in episodes if zones[e["zone_id"]].severity == "critical"
              and e["exit_time"] is not None and (e["entry_alt_m"] or 0.0) > 150.0
              and (e["entry_time"] - first_seen[e["target_id"]]).total_seconds() > 300)
    real = table.filter(pc.equal(table.column("target_id"), ep["target_id"]))
    # the ghost: the same reports under another address, but every fifth position thrown
    # 15 km east and back, as an injected track with a careless spoofer looks
    lon = np.asarray(real.column("lon")).copy()
    lon[2::5] += 0.2
    ghost = real.set_column(real.schema.get_field_index("lon"), "lon", pa.array(lon))
    ghost = ghost.set_column(ghost.schema.get_field_index("target_id"), "target_id",
                             pa.array(["icao:0ba5e0"] * ghost.num_rows))

    return real, ghost, ep, zones


def test_ghost_on_a_real_path_is_unverified() -> None:
    real, ghost, ep, zones = real_and_ghost()

    def alerts_for(track: pa.Table) -> list[tuple[str, str, dict[str, object]]]:
        service = LiveService(zones, recorder=MemoryRecorder(),
                              config=LiveConfig(batch_max_s=0.01, batch_max_rows=200))
        asyncio.run(service.run([TableSource(slices(track, 50))], until_sources_end=True))
        return [(c.alert.zone_id, c.alert.severity, c.alert.details)
                for c in service.alerts_changed
                if c.change == "opened" and c.alert.kind == "incursion"]

    clean = [a for a in alerts_for(real) if a[0] == ep["zone_id"]]
    assert clean and clean[0][1] == "critical"
    assert clean[0][2]["integrity"] == "verified"
    fake = [a for a in alerts_for(ghost) if a[0] == ep["zone_id"]]
    assert fake and fake[0][1] == "warning"
    assert fake[0][2]["integrity"] == "unverified"
    assert {"speed", "jump"} & set(fake[0][2]["checks"])  # type: ignore[arg-type]


def test_audit_with_integrity_grades_episodes() -> None:
    real, ghost, ep, zones = real_and_ghost()
    both = pa.concat_tables([real, ghost]).sort_by("time")
    rows = audit_batches([both], zones, integrity=True).incursions.to_pylist()
    here = [r for r in rows if r["zone_id"] == ep["zone_id"]]
    (mine,) = [r for r in here if r["target_id"] == ep["target_id"]
               and r["entry_time"] == ep["entry_time"]]
    assert mine["integrity"] == "verified"
    # the ghost's zig-zag enters and leaves many times while the real aircraft is inside:
    # every one of those episodes is unverified and names what fired
    ghosts = [r for r in here if r["target_id"] == "icao:0ba5e0"
              and ep["entry_time"] <= r["entry_time"] <= ep["exit_time"]]  # type: ignore[operator]
    assert ghosts and all(r["integrity"] == "unverified" for r in ghosts)
    assert all({"speed", "jump", "duplicate"} & set(r["checks"].split(",")) for r in ghosts)
    assert all(r["min_confidence"] < 0.5 for r in ghosts)
