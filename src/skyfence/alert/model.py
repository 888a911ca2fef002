"""Alerts: one incursion episode per (target, zone), with an operator lifecycle.

``status``: ``open`` (raised, nobody has looked), ``acknowledged`` (an operator has seen it;
it stays live while the target is inside), ``closed`` (the target left and stayed out for
the hold time, the prediction expired, or an operator closed it). ``kind`` says what raised
it: ``incursion`` (enter or cross) or ``predicted`` (predicted entry within the zone's
look-ahead, with ``time_to_boundary_s``); a predicted alert becomes an incursion when the
target enters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

__all__ = ["ALERT_STATUSES", "AlertChange", "AlertRecord"]

ALERT_STATUSES = ("open", "acknowledged", "closed")


@dataclass(frozen=True)
class AlertRecord:
    """One alert as stored and sent. Times are tz-aware UTC."""

    id: str
    target_id: str
    zone_id: str
    zone_version: int
    kind: str  # incursion | predicted
    status: str  # open | acknowledged | closed
    severity: str  # info | warning | critical
    opened_at: datetime
    updated_at: datetime
    lat: float | None = None
    lon: float | None = None
    alt_m: float | None = None
    callsign: str | None = None
    time_to_boundary_s: float | None = None
    entered_at: datetime | None = None
    exited_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    exempt: bool = False
    n_events: int = 0
    target_kind: str = "aircraft"
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: datetimes as ISO 8601 with ``Z``."""
        out: dict[str, Any] = {}
        for f in _FIELDS:
            v = getattr(self, f)
            if isinstance(v, datetime):
                v = v.isoformat().replace("+00:00", "Z")
            elif isinstance(v, dict):
                v = dict(v)
            out[f] = v
        return out

    def with_(self, **changes: Any) -> AlertRecord:
        """A copy with ``changes`` (``dataclasses.replace`` without re-running ``__init__``:
        the alert stage makes one per event, and every value here is already checked)."""
        unknown = changes.keys() - _FIELD_SET
        if unknown:
            raise TypeError(f"AlertRecord has no field(s) {sorted(unknown)}")
        new = object.__new__(AlertRecord)
        state = new.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return new


_FIELDS = tuple(f.name for f in fields(AlertRecord))
_FIELD_SET = frozenset(_FIELDS)


@dataclass(frozen=True)
class AlertChange:
    """What happened to an alert in one step: ``opened``, ``updated``, ``escalated``
    (predicted became an incursion), ``acknowledged`` or ``closed``. Only some changes are
    notified (see :mod:`skyfence.alert.stage`), so a target on a boundary does not flood
    anyone."""

    change: str
    alert: AlertRecord
