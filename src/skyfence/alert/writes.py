"""Which alert changes go to the store now, and which may wait: :class:`WriteThrottle`.

While a target stays inside a zone, the alert stage refreshes its alert on every batch
(position, altitude, ``updated_at``, event count; a prediction's ``time_to_boundary_s``).
Writing each refresh would rewrite every live alert on every commit (hundreds of rows,
~10 ms of a commit's CPU at 200 k reports/s) for a change nobody acts on. So:

- a *lifecycle* change (opened, severity or integrity grade changed, predicted became an
  incursion, exited, acknowledged, closed: anything beyond :data:`REFRESHED` fields) is
  written with the batch that made it, never later;
- a *refresh* (only :data:`REFRESHED` fields differ from what was last written) is held
  back, the newest one per alert, and written once ``interval_s`` has passed since that
  alert's last write (with a later batch, or by :meth:`WriteThrottle.due` on a timer);
- :meth:`WriteThrottle.flush` hands back every held refresh (shutdown).

The stored alert therefore lags the in-memory one by at most ``interval_s`` (plus one
commit). The clock is the caller's (``time.monotonic`` in the live service): the lag is
what an operator reading the store sees, wall time, not data time.
"""

from __future__ import annotations

from collections.abc import Iterable

from skyfence.alert.model import AlertRecord

__all__ = ["REFRESHED", "WriteThrottle", "refresh_only"]

# what a refresh of a live alert moves; any other field changing is a lifecycle change
REFRESHED = frozenset({"lat", "lon", "alt_m", "updated_at", "n_events", "time_to_boundary_s"})


def refresh_only(new: AlertRecord, before: AlertRecord) -> bool:
    """Whether ``new`` differs from ``before`` only in :data:`REFRESHED` fields."""
    old = before.__dict__
    return all(v == old[k] for k, v in new.__dict__.items() if k not in REFRESHED)


class WriteThrottle:
    """Coalesces refreshes of each live alert to one write per ``interval_s``; used by one
    thread (the live service's commit step). ``interval_s <= 0`` writes everything."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._written: dict[str, tuple[AlertRecord, float]] = {}  # last handed out, when
        self._held: dict[str, AlertRecord] = {}  # newest refresh not yet handed out

    @property
    def held(self) -> int:
        """How many alerts have a refresh waiting."""
        return len(self._held)

    def select(self, changed: Iterable[AlertRecord], now: float) -> list[AlertRecord]:
        """Of ``changed`` (each alert once, its latest state), what to write now: every
        lifecycle change, refreshes whose alert was last written ``interval_s`` ago or
        more, and held refreshes that have become due. The rest is held."""
        out: list[AlertRecord] = []
        for alert in changed:
            last = self._written.get(alert.id)
            if (last is not None and now - last[1] < self.interval_s
                    and refresh_only(alert, last[0])):
                self._held[alert.id] = alert
                continue
            self._held.pop(alert.id, None)
            out.append(self._hand_out(alert, now))
        out += self.due(now)
        return out

    def next_due(self) -> float | None:
        """When the first held refresh becomes due (the caller's clock); ``None``: none held."""
        if not self._held:
            return None
        return min(self._written[i][1] for i in self._held) + self.interval_s

    def due(self, now: float) -> list[AlertRecord]:
        """The held refreshes whose interval has passed (handed out, no longer held)."""
        ready = [a for i, a in self._held.items() if now - self._written[i][1] >= self.interval_s]
        for alert in ready:
            del self._held[alert.id]
            self._hand_out(alert, now)
        return ready

    def forget(self, alert_id: str) -> None:
        """Drop what is kept for an alert closed outside the pipeline (by an operator): the
        pipeline will not hand out its closing, and the store already has it."""
        self._written.pop(alert_id, None)
        self._held.pop(alert_id, None)

    def keeps(self, alert_id: str) -> bool:
        """Whether the throttle keeps anything for an alert (its last write, a refresh)."""
        return alert_id in self._written or alert_id in self._held

    def flush(self, now: float) -> list[AlertRecord]:
        """Every held refresh (shutdown)."""
        held = list(self._held.values())
        self._held.clear()
        for alert in held:
            self._hand_out(alert, now)
        return held

    def _hand_out(self, alert: AlertRecord, now: float) -> AlertRecord:
        if alert.status == "closed":
            self._written.pop(alert.id, None)
        else:
            self._written[alert.id] = (alert, now)
        return alert
