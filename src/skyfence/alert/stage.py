"""The alert stage: ``(AlertState, Events) -> (AlertState, [AlertChange])``, pure.

One alert per (target, zone) episode:

- opened by ``enter`` or ``cross`` (kind ``incursion``), or by ``predicted_entry`` (kind
  ``predicted``, with ``time_to_boundary_s``); a predicted alert whose target then enters is
  *escalated* to an incursion, keeping its id;
- updated by ``inside`` events (position, altitude, count): stored, not notified;
- closed when the target has been outside for ``HOLD_S`` (data time), so a target riding a
  boundary keeps one alert instead of a storm of open/close pairs; a prediction not refreshed
  for ``PREDICTION_TTL_S`` closes as expired;
- acknowledged or closed by an operator through :func:`acknowledge` / :func:`close`; an
  alert closed by an operator while the target is inside stays quiet until the target
  leaves (its next entry opens a new alert).

Integrity: an incursion resting only on flagged reports is *unverified* (``details``
record the grade and the checks that fired) and never ``critical``; the first clean report
escalates it.

Notified changes: ``opened``, ``escalated``, ``acknowledged``, ``closed``. Exempt targets
(zone exemptions, emergency squawks) still get alerts, at ``info`` severity and marked.
Time is data time (the reports' own clock), so replay at any speed raises the same alerts.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.alert.model import AlertChange, AlertRecord
from skyfence.track.grading import VERIFIED, VERIFIED_MIN_CONFIDENCE, grade
from skyfence.zones.model import ZoneSet

__all__ = ["HOLD_S", "NOTIFIED", "PREDICTION_TTL_S", "AlertState", "acknowledge", "alert_step",
           "close"]

HOLD_S = 10.0  # seconds outside before an incursion alert closes: ADS-B jitter is ~1-2 s
PREDICTION_TTL_S = 15.0  # a prediction not refreshed for this long has expired
NOTIFIED = frozenset({"opened", "escalated", "acknowledged", "closed"})

Key = tuple[str, str]

# what kind of target an alert is about, from its id's prefix
TARGET_KINDS = {"icao": "aircraft", "non_icao": "aircraft", "rid": "drone",
                "plot": "non-cooperative"}


@dataclass
class AlertState:
    """Live alerts by (target id, zone id), and when each target was last seen leaving."""

    live: dict[Key, AlertRecord] = field(default_factory=dict)
    outside_since: dict[Key, datetime] = field(default_factory=dict)
    predicted_at: dict[Key, datetime] = field(default_factory=dict)
    # closed by an operator while the target was inside: quiet until it leaves
    silenced: set[Key] = field(default_factory=set)

    def by_id(self, alert_id: str) -> AlertRecord | None:
        return next((a for a in self.live.values() if a.id == alert_id), None)


def _severity(zones: ZoneSet, zone_id: str, exempt: bool, predicted: bool,
              verified: bool = True) -> str:
    """The zone's severity; ``info`` for exempt targets; never ``critical`` for a prediction
    or for an incursion seen only through flagged reports (unverified)."""
    base = zones[zone_id].severity if zone_id in zones else "warning"
    if exempt:
        return "info"
    if (predicted or not verified) and base == "critical":
        return "warning"
    return base


@functools.lru_cache(maxsize=4096)
def _graded(flags: int, confident: bool) -> tuple[str, frozenset[str]]:
    """:func:`~skyfence.track.grading.grade` of one report, by its flags and whether its
    confidence reaches the threshold (a few distinct inputs, one per event: cached)."""
    g, checks = grade(np.array([flags], np.uint32),
                      np.array([1.0 if confident else 0.0]))
    return g, frozenset(checks)


def _integrity(flags: int, confidence: float | None, before: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    """Grade one event's reports; checks that fired before are kept."""
    g, checks = _graded(flags, confidence is None or confidence >= VERIFIED_MIN_CONFIDENCE)
    if not before:
        return {"integrity": g, "checks": sorted(checks)}
    if before.get("integrity") == VERIFIED:
        g = VERIFIED
    old = before.get("checks", ())
    if len(before) == 2 and before.get("integrity") == g and checks.issubset(old):
        return before  # nothing new (the usual case: one more clean report inside)
    return {"integrity": g, "checks": sorted(checks.union(old))}


def _new_alert(alert_id: str, key: Key, ev: dict[str, Any], kind: str, zones: ZoneSet,
               callsigns: dict[str, str], **fields: Any) -> AlertRecord:
    exempt = bool(ev.get("exempt") or False)
    t: datetime = fields.pop("updated_at")
    details = _integrity(int(ev.get("_flags") or 0), ev.get("confidence"))
    return AlertRecord(
        id=alert_id, target_id=key[0], zone_id=key[1],
        zone_version=int(ev["zone_version"] or 1), kind=kind, status="open",
        severity=_severity(zones, key[1], exempt, kind == "predicted",
                           details["integrity"] == VERIFIED),
        opened_at=t, updated_at=t, exempt=exempt, n_events=1,
        callsign=callsigns.get(key[0]), details=details,
        target_kind=TARGET_KINDS.get(key[0].split(":", 1)[0], "unknown"), **fields,
    )


# the columns the stage reads (an events table may carry more)
_USED = ("time", "target_id", "zone_id", "zone_version", "kind", "lat", "lon", "alt_m",
         "time_to_boundary_s", "confidence", "exempt", "_flags")


def _rows(events: pa.Table) -> Iterator[dict[str, Any]]:
    """The events as dicts of the columns the stage reads (cheaper than ``to_pylist``, whose
    tz-aware datetimes cost several microseconds each)."""
    names = [n for n in _USED if n in events.column_names]
    columns = [_datetimes(events.column(n)) if n == "time" else events.column(n).to_pylist()
               for n in names]
    for values in zip(*columns, strict=True):
        yield dict(zip(names, values, strict=True))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _datetimes(times: pa.ChunkedArray) -> list[datetime]:
    """UTC datetimes of a timestamp column (exact to the microsecond)."""
    us = times.cast(pa.timestamp("us", "UTC")).cast(pa.int64()).to_pylist()
    return [_EPOCH + timedelta(microseconds=v) for v in us]


def alert_step(
    state: AlertState,
    events: pa.Table,
    zones: ZoneSet,
    now: datetime,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    callsigns: dict[str, str] | None = None,
    flags: npt.NDArray[np.uint32] | None = None,
) -> tuple[AlertState, list[AlertChange]]:
    """Apply ``events`` (``Events`` schema, any order) and the clock ``now``. ``flags``,
    aligned with ``events``, are the integrity flags of the reports each event rests on
    (:func:`skyfence.detect.events.events_and_flags`): an incursion seen only through
    flagged or low-confidence reports opens an *unverified* alert, never a critical one,
    and is escalated when a clean report confirms it; the alert's ``details`` say which
    checks fired."""
    changes: list[AlertChange] = []
    last_of: dict[str, int] = {}
    callsigns = callsigns or {}

    def emit(change: str, alert: AlertRecord) -> None:
        # consecutive updates of one alert collapse into the latest; other changes all stay
        k = last_of.get(alert.id)
        if change == "updated" and k is not None and changes[k].change == "updated":
            changes[k] = AlertChange(change, alert)
            return
        last_of[alert.id] = len(changes)
        changes.append(AlertChange(change, alert))

    if flags is not None:
        events = events.append_column("_flags", pa.array(flags, pa.uint32()))
    for ev in _rows(events.sort_by([("time", "ascending")])):
        key: Key = (ev["target_id"], ev["zone_id"])
        t: datetime = ev["time"]  # UTC (see _datetimes)
        kind = ev["kind"]
        exempt = bool(ev.get("exempt") or False)
        live = state.live.get(key)
        pos = {"lat": ev["lat"], "lon": ev["lon"], "alt_m": ev["alt_m"], "updated_at": t}
        if key in state.silenced:
            if kind == "exit":
                state.silenced.discard(key)
            continue
        if kind in ("enter", "cross", "inside"):
            state.outside_since.pop(key, None)
            state.predicted_at.pop(key, None)
            if live is None:
                live = _new_alert(new_id(), key, ev, "incursion", zones, callsigns,
                                  entered_at=t, **pos)
                emit("opened", live)
            elif live.kind == "predicted":
                details = _integrity(int(ev.get("_flags") or 0), ev.get("confidence"))
                live = live.with_(kind="incursion", entered_at=t, time_to_boundary_s=None,
                                  severity=_severity(zones, key[1], exempt, False,
                                                     details["integrity"] == VERIFIED),
                                  details=details, n_events=live.n_events + 1, **pos)
                emit("escalated", live)
            else:
                details = _integrity(int(ev.get("_flags") or 0), ev.get("confidence"),
                                     live.details)
                upgraded = (details["integrity"] == VERIFIED
                            and live.details.get("integrity") != VERIFIED)
                live = live.with_(n_events=live.n_events + 1, exited_at=None, details=details,
                                  severity=_severity(zones, key[1], live.exempt, False,
                                                     details["integrity"] == VERIFIED),
                                  **pos)
                emit("escalated" if upgraded else "updated", live)
            state.live[key] = live
            if kind == "cross":
                state.outside_since[key] = t
        elif kind == "exit" and live is not None:
            state.outside_since[key] = t
            live = live.with_(exited_at=t, n_events=live.n_events + 1, **pos)
            state.live[key] = live
            emit("updated", live)
        elif kind == "predicted_entry":
            state.predicted_at[key] = t
            ttb = ev["time_to_boundary_s"]
            if live is None:
                live = _new_alert(new_id(), key, ev, "predicted", zones, callsigns,
                                  time_to_boundary_s=ttb, **pos)
                state.live[key] = live
                emit("opened", live)
            elif live.kind == "predicted":
                live = live.with_(time_to_boundary_s=ttb, n_events=live.n_events + 1, **pos)
                state.live[key] = live
                emit("updated", live)

    for key, since in list(state.outside_since.items()):
        if (now - since).total_seconds() >= HOLD_S and key in state.live:
            alert = state.live.pop(key).with_(status="closed", closed_at=now,
                                              closed_by="system", updated_at=now)
            del state.outside_since[key]
            emit("closed", alert)
    for key, seen in list(state.predicted_at.items()):
        live = state.live.get(key)
        if live is None or live.kind != "predicted":
            state.predicted_at.pop(key)
        elif (now - seen).total_seconds() >= PREDICTION_TTL_S:
            del state.predicted_at[key]
            alert = state.live.pop(key).with_(status="closed", closed_at=now,
                                              closed_by="system", updated_at=now,
                                              details={"reason": "prediction expired"})
            emit("closed", alert)
    return state, changes


def acknowledge(state: AlertState, alert_id: str, user: str, at: datetime) -> AlertChange | None:
    """An operator has seen a live alert; ``None`` if it is not live (already closed)."""
    alert = state.by_id(alert_id)
    if alert is None or alert.status == "closed":
        return None
    alert = alert.with_(status="acknowledged", acknowledged_at=at, acknowledged_by=user,
                        updated_at=at)
    state.live[(alert.target_id, alert.zone_id)] = alert
    return AlertChange("acknowledged", alert)


def close(state: AlertState, alert_id: str, user: str, at: datetime) -> AlertChange | None:
    """An operator closes a live alert; the next entry of the target opens a new one."""
    alert = state.by_id(alert_id)
    if alert is None:
        return None
    key = (alert.target_id, alert.zone_id)
    state.live.pop(key, None)
    state.predicted_at.pop(key, None)
    if state.outside_since.pop(key, None) is None:
        state.silenced.add(key)
    alert = alert.with_(status="closed", closed_at=at, closed_by=user, updated_at=at)
    return AlertChange("closed", alert)
