"""Prometheus metrics of the live service, in their own registry (so several services in
one process, as in tests, do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["LiveMetrics"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
GROUP_BUCKETS = (1, 2, 3, 4, 6, 8)


class LiveMetrics:
    """Ingest rate, decode errors, batch latency, queue depth, open alerts; where a batch's
    time goes (``skyfence_stage_seconds`` by stage: decode, integrity, detect, alerts,
    tracks on the processing thread, commit on the writer) and how many batches each
    commit carried."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.frames_in = Counter("skyfence_frames", "raw frames received", registry=r)
        self.reports_in = Counter("skyfence_reports", "reports entering detection", registry=r)
        self.decode_errors = Counter("skyfence_decode_errors", "frames that did not decode",
                                     registry=r)
        self.batches = Counter("skyfence_batches", "micro-batches processed", registry=r)
        self.events = Counter("skyfence_events", "events recorded", registry=r)
        self.queue_depth = Gauge("skyfence_queue_depth", "batches waiting", registry=r)
        self.open_alerts = Gauge("skyfence_open_alerts", "alerts not closed", registry=r)
        self.alert_writes = Counter("skyfence_alert_writes", "alert rows written to the store",
                                    registry=r)
        self.alert_refreshes_held = Gauge(
            "skyfence_alert_refreshes_held", "alerts whose latest position waits for its "
            "refresh interval", registry=r)
        self.batch_seconds = Histogram("skyfence_batch_seconds", "processing time per batch",
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.latency_seconds = Histogram(
            "skyfence_latency_seconds", "from receipt to committed alerts",
            buckets=LATENCY_BUCKETS, registry=r)
        self.stage_seconds = Histogram(
            "skyfence_stage_seconds", "time per batch in each stage (commit: per group)",
            ["stage"], buckets=STAGE_BUCKETS, registry=r)
        self.commit_batches = Histogram(
            "skyfence_commit_batches", "micro-batches made durable by one commit",
            buckets=GROUP_BUCKETS, registry=r)

    def exposition(self) -> bytes:
        """The Prometheus text format."""
        out: bytes = generate_latest(self.registry)
        return out
