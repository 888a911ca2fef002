"""The alert stage on hand-made event sequences."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from skyfence.alert.stage import (
    HOLD_S,
    PREDICTION_TTL_S,
    AlertState,
    _integrity,
    acknowledge,
    alert_step,
    close,
)
from skyfence.schema.events import EVENTS
from skyfence.track.grading import grade
from skyfence.zones import Circle, Zone, ZoneSet
from skyfence.zones.geometry import circle_polygon

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ZONES = ZoneSet([Zone(id="Z", name="z", geometry=circle_polygon(48.0, 2.0, 1_000),
                      circle=Circle(48.0, 2.0, 1_000), severity="critical")])


def events(*rows: tuple[float, str, float | None]) -> pa.Table:
    """(seconds after T0, kind, time_to_boundary_s) for target icao:abc123 in zone Z."""
    n = len(rows)
    return pa.table({
        "time": [T0 + timedelta(seconds=s) for s, _, _ in rows],
        "track_id": pa.nulls(n, pa.int64()),
        "target_id": ["icao:abc123"] * n,
        "zone_id": ["Z"] * n,
        "zone_version": pa.array([1] * n, pa.int32()),
        "kind": [k for _, k, _ in rows],
        "lat": [48.0] * n, "lon": [2.0] * n, "alt_m": [100.0] * n,
        "time_to_boundary_s": pa.array([t for _, _, t in rows], pa.float64()),
        "confidence": [1.0] * n,
        "exempt": [False] * n,
    }, schema=EVENTS)


def ids() -> itertools.count[int]:
    return itertools.count(1)


def step(state: AlertState, table: pa.Table, at: float) -> list[tuple[str, str]]:
    counter = ids()
    state, changes = alert_step(state, table, ZONES, T0 + timedelta(seconds=at),
                                new_id=lambda: f"a{next(counter)}")
    return [(c.change, c.alert.status) for c in changes]


def test_boundary_flapping_keeps_one_alert() -> None:
    state = AlertState()
    flaps = events((0, "enter", None), (1, "exit", None), (2, "enter", None),
                   (3, "exit", None), (4, "enter", None), (5, "exit", None))
    changes = step(state, flaps, 5)
    assert [c for c in changes if c[0] != "updated"] == [("opened", "open")]
    assert len(state.live) == 1
    # it stays out: closed once, after the hold time
    assert step(state, events(), 5 + HOLD_S - 1) == []
    assert step(state, events(), 5 + HOLD_S) == [("closed", "closed")]
    assert state.live == {}


def test_crossing_opens_then_closes() -> None:
    state = AlertState()
    changes = step(state, events((0, "cross", None), (8, "exit", None)), 8 + HOLD_S)
    assert [c for c in changes if c[0] != "updated"] == [("opened", "open"),
                                                          ("closed", "closed")]


def test_prediction_escalates_and_keeps_id() -> None:
    state = AlertState()
    step(state, events((0, "predicted_entry", 40.0)), 0)
    (alert,) = state.live.values()
    assert alert.kind == "predicted" and alert.time_to_boundary_s == 40.0
    assert alert.target_kind == "aircraft"  # from the icao: prefix
    assert alert.severity == "warning"  # a prediction is never top severity
    changes = step(state, events((30, "enter", None)), 30)
    assert changes == [("escalated", "open")]
    (after,) = state.live.values()
    assert after.id == alert.id and after.kind == "incursion" and after.severity == "critical"


def test_prediction_expires() -> None:
    state = AlertState()
    step(state, events((0, "predicted_entry", 40.0)), 0)
    assert step(state, events(), PREDICTION_TTL_S) == [("closed", "closed")]


def test_operator_acknowledge_and_close() -> None:
    state = AlertState()
    step(state, events((0, "enter", None)), 0)
    (alert,) = state.live.values()
    ack = acknowledge(state, alert.id, "alice", T0)
    assert ack is not None and ack.alert.acknowledged_by == "alice"
    assert ack.alert.status == "acknowledged"
    closed = close(state, alert.id, "bob", T0 + timedelta(seconds=5))
    assert closed is not None and closed.alert.closed_by == "bob"
    assert acknowledge(state, alert.id, "alice", T0) is None
    # closed while inside: quiet until the target leaves; its next entry is a new alert
    assert step(state, events((10, "inside", None)), 10) == []
    assert step(state, events((12, "exit", None)), 12) == []
    changes = step(state, events((20, "enter", None)), 20)
    assert changes == [("opened", "open")]


def test_with_is_replace_and_checks_field_names() -> None:
    state = AlertState()
    state, changes = alert_step(state, events((0, "enter", None)), ZONES, T0)
    a = changes[0].alert
    later = T0 + timedelta(seconds=1)
    assert a.with_(n_events=2, updated_at=later) == dataclasses.replace(
        a, n_events=2, updated_at=later)
    assert a.n_events == 1  # the original is untouched
    with pytest.raises(TypeError, match="no field"):
        a.with_(nope=1)


def test_integrity_grade_of_each_event_matches_grading() -> None:
    # the stage grades each event's report through a cache; it agrees with grade()
    for flags, confidence in itertools.product((0, 1, 2, 3, 1 << 5), (None, 0.2, 0.5, 0.9)):
        want, checks = grade(np.array([flags], np.uint32),
                             np.array([1.0 if confidence is None else confidence]))
        assert _integrity(flags, confidence) == {"integrity": want, "checks": sorted(checks)}
    before = {"integrity": "verified", "checks": ["speed"]}
    assert _integrity(0, 0.9, before)["checks"] == ["speed"]  # what fired before stays
