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
from skyfence.alert.writes import WriteThrottle
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


# -- which alert writes wait (skyfence.alert.writes) -------------------------------------------

def test_refreshes_are_coalesced_lifecycle_changes_never_wait() -> None:
    state = AlertState()
    throttle = WriteThrottle(1.0)
    counter = ids()
    written: list[tuple[float, str, int]] = []

    def batch(at: float, wall: float, *rows: tuple[float, str, float | None]) -> None:
        _, changes = alert_step(state, events(*rows), ZONES, T0 + timedelta(seconds=at),
                                new_id=lambda: f"a{next(counter)}")
        latest = {c.alert.id: c.alert for c in changes}.values()
        written.extend((wall, a.status, a.n_events) for a in throttle.select(latest, wall))

    batch(0, 0.0, (0, "enter", None))  # opened: written at once
    for k in range(1, 10):  # inside, one batch every 0.25 s: refreshes only
        batch(k, 0.25 * k, (k, "inside", None))
    # written at open, then once the second had passed since (at 1.0 s and at 2.0 s)
    assert [(w, n) for w, _, n in written] == [(0.0, 1), (1.0, 5), (2.0, 9)]
    batch(10, 2.25, (10, "inside", None))
    assert throttle.held == 1 and throttle.next_due() == 3.0
    assert throttle.due(2.9) == [] and [a.n_events for a in throttle.due(3.0)] == [11]
    written.clear()
    batch(11, 3.1, (11, "exit", None))  # the target left: not a mere refresh, written now
    batch(11.5, 3.2, (11.5, "enter", None))  # back in before the hold time: written now
    batch(12, 3.3, (12, "inside", None))  # a refresh again: held
    assert throttle.held == 1
    batch(13, 3.4, (13, "exit", None))  # left again: written, the held refresh superseded
    batch(30, 3.5)  # closed after the hold time: written at once
    assert [(w, s) for w, s, _ in written] == [(3.1, "open"), (3.2, "open"), (3.4, "open"),
                                               (3.5, "closed")]
    assert throttle.held == 0 and throttle.flush(9.0) == []


def test_held_refreshes_are_all_written_at_shutdown_and_zero_writes_everything() -> None:
    state = AlertState()
    throttle = WriteThrottle(60.0)
    _, opened = alert_step(state, events((0, "enter", None)), ZONES, T0)
    assert len(throttle.select([c.alert for c in opened], 0.0)) == 1
    last = None
    for k in range(1, 5):
        _, changes = alert_step(state, events((k, "inside", None)), ZONES,
                                T0 + timedelta(seconds=k))
        last = changes[-1].alert
        assert throttle.select([last], float(k)) == []
    assert throttle.flush(5.0) == [last]  # the latest position, once
    assert throttle.flush(6.0) == []
    # an acknowledgement in memory is a lifecycle change: written with the next batch
    acked = acknowledge(state, last.id, "olga", T0 + timedelta(seconds=6))
    assert acked is not None
    assert throttle.select([acked.alert], 6.5) == [acked.alert]
    every = WriteThrottle(0.0)
    assert every.select([last], 0.0) == [last] and every.select([last], 0.0) == [last]
