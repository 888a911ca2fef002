"""Metrics read from the store at each scrape (the live service keeps its own,
:class:`skyfence.pipeline.metrics.LiveMetrics`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest

__all__ = ["StoreMetrics"]


class StoreMetrics:
    """Gauges read from the store when scraped (their own registry, one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.outbox_pending = Gauge("skyfence_outbox_pending",
                                    "notifications waiting for delivery", registry=self.registry)
        self.outbox_dead = Gauge("skyfence_outbox_dead",
                                 "notifications given up on (dead letters)",
                                 registry=self.registry)

    def exposition(self, stats: dict[str, int]) -> bytes:
        self.outbox_pending.set(stats.get("pending", 0))
        self.outbox_dead.set(stats.get("dead", 0))
        out: bytes = generate_latest(self.registry)
        return out
