"""When a zone is active.

Three forms, one class:

- always active (the default);
- a list of UTC periods ``[start, end)``, e.g. from a NOTAM's B) and C) items;
- weekly windows in a named IANA timezone, e.g. ``Mon-Fri 06:00-22:00 Europe/Warsaw``
  (local wall-clock time, so a window follows daylight saving time). A window whose end is
  before its start runs past midnight into the next day; ``24:00`` ends at midnight.

Local times that do not exist (the hour skipped when clocks go forward) are taken as the
instant the clocks jump, so a window ``Sun 02:30-04:00 Europe/Warsaw`` on the last Sunday
of March opens at 03:00 CEST (01:00 UTC); local times that happen twice (clocks going back)
are taken at their first occurrence. Intervals are half-open ``[start, end)``.

Both lists may be given: the zone is then active when inside a period *and* a window
(a NOTAM valid for a month, active on weekdays). Sunrise/sunset (``SR``/``SS``) windows are
refused with a clear message rather than silently ignored.

``active_at`` is vectorised over epoch seconds; ``transitions`` lists the instants where
activity changes, which the detector needs to raise an entry when a zone activates around a
target already inside.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

__all__ = ["DAYS", "Schedule", "WeeklyWindow", "parse_utc"]

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DAY_S = 86_400.0
_DAY_NAMES = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
MIDNIGHT_END = time(23, 59, 59, 999999)  # how a window ending at 24:00 stores its end


def _local_to_utc(day: date, t: time, zone: ZoneInfo) -> float:
    """Epoch seconds of local wall-clock ``day t`` in ``zone``: the first occurrence of an
    ambiguous time, the instant of the jump for a time inside a spring-forward gap."""
    naive = datetime.combine(day, t)
    ts = datetime.combine(day, t, zone).timestamp()
    back = datetime.fromtimestamp(ts, zone).replace(tzinfo=None)
    if back == naive:
        return ts
    # in a gap: fold=1 reads the time with the offset after the jump, before the jump
    lo = datetime.combine(day, t, zone).replace(fold=1).timestamp()
    hi = ts
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > 1e-3:
        mid = (lo + hi) / 2.0
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return float(round(hi))


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 instant; a value with no offset is taken as UTC. Raises ValueError."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        raise ValueError(f"bad date {text!r}: expected ISO 8601, e.g. 2026-05-01T06:00Z") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """Active on ``days`` (0 = Monday) from ``start`` to ``end`` local time in ``tz``."""

    days: frozenset[int]
    start: time
    end: time
    tz: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.tz!r}: expected an IANA name") from None
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days or not all(0 <= d <= 6 for d in self.days):
            raise ValueError("weekly window needs at least one day, Monday=0..Sunday=6")
        if self.start == self.end:
            raise ValueError(
                f"weekly window starts and ends at {self.start:%H:%M}: "
                "write 00:00-24:00 for a whole day"
            )

    @classmethod
    def parse(cls, text: str, default_tz: str = "UTC") -> WeeklyWindow:
        """Parse ``Mon-Fri 06:00-22:00 Europe/Warsaw``, ``Sat,Sun 08:00-12:00``,
        ``daily 00:00-24:00 UTC``."""
        parts = text.split()
        if any(re.search(r"\b(SR|SS|SUNRISE|SUNSET)\b", p.upper()) for p in parts):
            raise ValueError(
                f"schedule {text!r}: sunrise/sunset times are not supported yet; "
                "give the window in clock times"
            )
        if len(parts) not in (2, 3):
            raise ValueError(
                f"bad weekly window {text!r}: expected 'Mon-Fri 06:00-22:00 [Area/City]'"
            )
        days = _parse_days(parts[0])
        m = re.fullmatch(r"(\d{1,2}):?(\d{2})-(\d{1,2}):?(\d{2})", parts[1])
        if not m:
            raise ValueError(f"bad time range {parts[1]!r}: expected HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"bad time range {parts[1]!r}: hours 00-24, minutes 00-59")
        end = MIDNIGHT_END if h2 == 24 else time(h2, m2)
        tz = parts[2] if len(parts) == 3 else default_tz
        return cls(frozenset(days), time(h1, m1), end, tz)

    def label(self) -> str:
        days = ",".join(DAYS[d].title() for d in sorted(self.days))
        end = "24:00" if self.end == MIDNIGHT_END else self.end.strftime("%H:%M")
        return f"{days} {self.start.strftime('%H:%M')}-{end} {self.tz}"

    def intervals(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """The window's occurrences overlapping ``[t0, t1]`` as UTC epoch-second intervals."""
        zone = ZoneInfo(self.tz)
        first = datetime.fromtimestamp(t0, UTC).astimezone(zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(t1, UTC).astimezone(zone).date()
        out: list[tuple[float, float]] = []
        day = first
        while day <= last:
            if day.weekday() in self.days:
                a = _local_to_utc(day, self.start, zone)
                if self.end == MIDNIGHT_END:
                    b = _local_to_utc(day + timedelta(days=1), time(0), zone)
                else:
                    end_day = day if self.end > self.start else day + timedelta(days=1)
                    b = _local_to_utc(end_day, self.end, zone)
                if b > t0 and a < t1:
                    out.append((a, b))
            day += timedelta(days=1)
        return out


def _parse_days(text: str) -> set[int]:
    t = text.upper()
    if t in ("DAILY", "H24", "ALL", "MON-SUN"):
        return set(range(7))
    days: set[int] = set()
    for part in t.split(","):
        ends = part.split("-")
        try:
            idx = [_day_index(e) for e in ends]
        except ValueError:
            raise ValueError(f"bad days {text!r}: expected e.g. Mon-Fri or Sat,Sun") from None
        if len(idx) == 1:
            days.add(idx[0])
        elif len(idx) == 2:
            d = idx[0]
            while True:
                days.add(d)
                if d == idx[1]:
                    break
                d = (d + 1) % 7
        else:
            raise ValueError(f"bad days {text!r}")
    return days


def _day_index(name: str) -> int:
    n = name.strip()
    if n in DAYS:
        return DAYS.index(n)
    return _DAY_NAMES.index(n)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Activation of a zone. Empty ``periods`` and ``weekly`` means always active."""

    periods: tuple[tuple[datetime, datetime], ...] = ()
    weekly: tuple[WeeklyWindow, ...] = field(default=())

    def __post_init__(self) -> None:
        periods = []
        for period in self.periods:
            if len(period) != 2:
                raise ValueError("a schedule period is a pair [start, end]")
            start, end = period
            if start.tzinfo is None or end.tzinfo is None:
                raise ValueError("schedule periods must be timezone-aware")
            start, end = start.astimezone(UTC), end.astimezone(UTC)
            if end <= start:
                raise ValueError(
                    f"schedule period ends ({end:%Y-%m-%dT%H:%MZ}) before it starts "
                    f"({start:%Y-%m-%dT%H:%MZ})"
                )
            periods.append((start, end))
        object.__setattr__(self, "periods", tuple(periods))
        object.__setattr__(self, "weekly", tuple(self.weekly))

    @property
    def always(self) -> bool:
        return not self.periods and not self.weekly

    def intervals(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """Active intervals (UTC epoch seconds) overlapping ``[t0, t1]``, clipped to it,
        merged (touching intervals too) and sorted."""
        if not (math.isfinite(t0) and math.isfinite(t1)):
            raise ValueError("intervals needs finite bounds")
        if t1 <= t0:
            return []
        if self.always:
            return [(t0, t1)]
        base = (
            [(s.timestamp(), e.timestamp()) for s, e in self.periods]
            if self.periods
            else [(t0, t1)]
        )
        if self.weekly:
            win = sorted(iv for w in self.weekly for iv in w.intervals(t0, t1))
            base = [
                (max(a, c), min(b, d)) for a, b in base for c, d in win if max(a, c) < min(b, d)
            ]
        base = sorted((max(a, t0), min(b, t1)) for a, b in base if b > t0 and a < t1)
        merged: list[tuple[float, float]] = []
        for a, b in base:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def active_at(self, t: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether the zone is active at each epoch second (UTC) of ``t``, same shape; a
        NaN time is never active unless the schedule is ``always``."""
        t = np.asarray(t, dtype=np.float64)
        if self.always or t.size == 0:
            return np.ones(t.shape, dtype=np.bool_)
        finite = t[np.isfinite(t)]
        if finite.size == 0:
            return np.zeros(t.shape, dtype=np.bool_)
        # intervals only around the days that occur: one stray timestamp (0, or a year off)
        # must not make a batch walk every day in between
        days = np.unique(np.floor(finite / DAY_S))
        breaks = np.flatnonzero(np.diff(days) > 2) + 1
        ivs: list[tuple[float, float]] = []
        for run in np.split(days, breaks):
            lo = float(run[0]) * DAY_S - 1.0
            hi = (float(run[-1]) + 1.0) * DAY_S + 1.0
            for a, b in self.intervals(lo, hi):
                if ivs and a <= ivs[-1][1]:
                    ivs[-1] = (ivs[-1][0], max(ivs[-1][1], b))
                else:
                    ivs.append((a, b))
        if not ivs:
            return np.zeros(t.shape, dtype=np.bool_)
        starts = np.array([a for a, _ in ivs])
        ends = np.array([b for _, b in ivs])
        k = np.searchsorted(starts, t, side="right") - 1
        ok = k >= 0
        out = np.zeros(t.shape, dtype=np.bool_)
        out[ok] = t[ok] < ends[k[ok]]
        return out

    def label(self) -> str:
        if self.always:
            return "always"
        parts = [f"{s:%Y-%m-%dT%H:%MZ}/{e:%Y-%m-%dT%H:%MZ}" for s, e in self.periods]
        parts += [w.label() for w in self.weekly]
        return "; ".join(parts)

    @classmethod
    def parse_periods(cls, items: list[tuple[str, str]]) -> tuple[tuple[datetime, datetime], ...]:
        out = []
        for item in items:
            if isinstance(item, str) or len(item) != 2:
                raise ValueError(f"bad period {item!r}: expected [start, end]")
            out.append((parse_utc(str(item[0])), parse_utc(str(item[1]))))
        return tuple(out)
