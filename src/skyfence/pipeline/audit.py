"""The audit driver: recorded reports in, incursion episodes out, through the same detect
stage the live service runs on micro-batches.

Batches are processed in the order given. Each target's reports must come in time order
across batches (as in time-sorted files); within a batch any order is fine. Reports older
than their target's last one are counted as ``out_of_order`` and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect import MAX_GAP_S, IncursionBuilder, Membership, detect_step
from skyfence.detect.batch import MOTION_COLUMNS, REPORT_COLUMNS
from skyfence.schema import REPORTS, conform
from skyfence.track import IntegrityState, integrity_step
from skyfence.zones.index import ZoneIndex
from skyfence.zones.model import ZoneSet

__all__ = ["AUDIT_COLUMNS", "AuditResult", "AuditStats", "audit_batches", "sort_incursions"]

# The Reports columns an audit without integrity checks reads: pass them to
# ``read_traffic(..., columns=AUDIT_COLUMNS)`` to read and convert only these (the audit
# predicts nothing, so the velocity is not among them, and the integrity flags and
# confidence only feed the integrity columns).
_INTEGRITY_INPUTS = ("flags", "confidence")
AUDIT_COLUMNS = tuple(c for c in REPORT_COLUMNS
                      if c not in MOTION_COLUMNS and c not in _INTEGRITY_INPUTS)


@dataclass
class AuditStats:
    """What the audit went through."""

    reports: int = 0
    in_window: int = 0
    batches: int = 0
    out_of_order: int = 0
    index_s: float = 0.0
    elapsed_s: float = 0.0
    zones: int = 0


@dataclass
class AuditResult:
    incursions: pa.Table
    stats: AuditStats = field(default_factory=AuditStats)


def sort_incursions(table: pa.Table) -> pa.Table:
    """Incursions in a stable order: entry time, target, zone."""
    return table.sort_by([("entry_time", "ascending"), ("target_id", "ascending"),
                          ("zone_id", "ascending")])


def _window(batch: pa.Table, t_from: datetime | None, t_to: datetime | None) -> pa.Table:
    if t_from is None and t_to is None:
        return batch
    t = batch.column("time")
    mask = None
    if t_from is not None:
        mask = pc.greater_equal(t, pa.scalar(t_from, pa.timestamp("us", tz="UTC")))
    if t_to is not None:
        m2 = pc.less(t, pa.scalar(t_to, pa.timestamp("us", tz="UTC")))
        mask = m2 if mask is None else pc.and_(mask, m2)
    return batch.filter(mask)


def audit_batches(
    batches: Iterable[pa.Table],
    zones: ZoneSet,
    *,
    index: ZoneIndex | None = None,
    t_from: datetime | None = None,
    t_to: datetime | None = None,
    max_gap_s: float = MAX_GAP_S,
    on_batch: Callable[[int], None] | None = None,
    integrity: bool = False,
) -> AuditResult:
    """Audit ``Reports`` batches against ``zones``; ``[t_from, t_to)`` limits the reports
    considered. ``on_batch(rows)`` is called after each batch (for progress). With
    ``integrity`` the reports go through the integrity checks first and each episode says
    how trustworthy it is (:data:`skyfence.schema.INCURSIONS_INTEGRITY`)."""
    start = time.perf_counter()
    stats = AuditStats(zones=len(zones))
    if index is None:
        index = ZoneIndex(zones)
    stats.index_s = time.perf_counter() - start
    state = Membership()
    builder = IncursionBuilder(zones, integrity)
    checks = IntegrityState()
    for batch in batches:
        stats.reports += batch.num_rows
        stats.batches += 1
        b = _window(batch, t_from, t_to)
        stats.in_window += b.num_rows
        if b.num_rows:
            if integrity:
                b = conform(b, REPORTS)
                checks, b, conf = integrity_step(checks, b.sort_by("time"))
                b = b.set_column(b.schema.get_field_index("confidence"), "confidence",
                                 pa.array(conf, pa.float64()))
            else:
                # the integrity flags and confidence only feed the integrity columns
                b = b.drop_columns([c for c in _INTEGRITY_INPUTS
                                    if b.schema.get_field_index(c) >= 0])
            state, det = detect_step(index, state, b, max_gap_s)
            builder.update(det)
        if on_batch is not None:
            on_batch(batch.num_rows)
    table = builder.finish()
    stats.out_of_order = state.out_of_order
    stats.elapsed_s = time.perf_counter() - start
    return AuditResult(sort_incursions(table), stats)
