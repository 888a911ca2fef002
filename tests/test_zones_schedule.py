"""Schedules: UTC periods, weekly windows in a named timezone (across DST changes and past
midnight), ``active_at`` vectorised, ``intervals`` merged."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyfence.zones.schedule import Schedule, WeeklyWindow, parse_utc

WARSAW = ZoneInfo("Europe/Warsaw")


def ts(text: str) -> float:
    return parse_utc(text).timestamp()


def utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%MZ")


def spans(s: Schedule, a: str, b: str) -> list[tuple[str, str]]:
    return [(utc(x), utc(y)) for x, y in s.intervals(ts(a), ts(b))]


WEEKDAYS_WARSAW = Schedule(weekly=(WeeklyWindow.parse("Mon-Fri 06:00-22:00 Europe/Warsaw"),))


# --- parsing -------------------------------------------------------------------------


def test_parse_weekly_window() -> None:
    w = WeeklyWindow.parse("Mon-Fri 06:00-22:00 Europe/Warsaw")
    assert w.days == frozenset(range(5))
    assert (w.start, w.end, w.tz) == (time(6), time(22), "Europe/Warsaw")
    assert w.label() == "Mon,Tue,Wed,Thu,Fri 06:00-22:00 Europe/Warsaw"
    assert WeeklyWindow.parse(w.label()) == w
    assert WeeklyWindow.parse("Sat,Sun 0800-1200").tz == "UTC"
    assert WeeklyWindow.parse("daily 00:00-24:00 UTC").days == frozenset(range(7))
    assert WeeklyWindow.parse("Fri-Mon 20:00-04:00").days == frozenset({4, 5, 6, 0})
    assert WeeklyWindow.parse("Monday-Wednesday 08:00-09:00").days == frozenset({0, 1, 2})
    assert WeeklyWindow.parse("Sat 00:00-24:00").label() == "Sat 00:00-24:00 UTC"


@pytest.mark.parametrize(
    "text", ["Mon-Fri SR-SS", "daily sunrise-sunset Europe/Warsaw", "Sat 06:00-SS",
             "Mon SR-30 Europe/Paris"],
)
def test_sunrise_sunset_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="sunrise/sunset times are not supported"):
        WeeklyWindow.parse(text)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Mon-Fri 06:00-22:00 Europe/Nowhere", "unknown timezone"),
        ("Mon-Fri 25:00-26:00", "hours 00-24"),
        ("Mon-Fri 06:60-22:00", "minutes 00-59"),
        ("Mon-Fri 6am-10pm", "bad time range"),
        ("Funday 06:00-08:00", "bad days"),
        ("Monxyz 06:00-08:00", "bad days"),
        ("Mon-Fri", "expected 'Mon-Fri 06:00-22:00"),
        ("Mon 08:00-08:00", "write 00:00-24:00"),
    ],
)
def test_bad_weekly_windows(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WeeklyWindow.parse(text)


def test_parse_utc() -> None:
    assert parse_utc("2026-05-01T06:00Z") == datetime(2026, 5, 1, 6, tzinfo=UTC)
    assert parse_utc("2026-05-01T06:00") == datetime(2026, 5, 1, 6, tzinfo=UTC)  # no offset
    assert parse_utc("2026-05-01T08:00+02:00") == datetime(2026, 5, 1, 6, tzinfo=UTC)
    assert parse_utc("2026-05-01T08:00+02:00").tzinfo is UTC
    for bad in ("2026-13-01", "yesterday", "2026-05-01T25:00Z", ""):
        with pytest.raises(ValueError, match="bad date"):
            parse_utc(bad)


def test_period_checks() -> None:
    a, b = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="before it starts"):
        Schedule(periods=((b, a),))
    with pytest.raises(ValueError, match="timezone-aware"):
        Schedule(periods=((a.replace(tzinfo=None), b),))
    # periods are held in UTC whatever offset they came with (labels print them as Z)
    cest = timezone(timedelta(hours=2))
    s = Schedule(periods=((datetime(2026, 5, 1, 8, tzinfo=cest), b),))
    assert s.periods[0][0] == datetime(2026, 5, 1, 6, tzinfo=UTC)
    assert s.periods[0][0].tzinfo is UTC
    assert s.label() == "2026-05-01T06:00Z/2026-05-02T00:00Z"


# --- weekly windows across DST ----------------------------------------------------------


def test_weekdays_in_winter_and_summer() -> None:
    # CET (UTC+1) in January, CEST (UTC+2) in July: the window follows local time
    assert spans(WEEKDAYS_WARSAW, "2026-01-12T00:00Z", "2026-01-13T00:00Z") == [
        ("2026-01-12T05:00Z", "2026-01-12T21:00Z")]
    assert spans(WEEKDAYS_WARSAW, "2026-07-13T00:00Z", "2026-07-14T00:00Z") == [
        ("2026-07-13T04:00Z", "2026-07-13T20:00Z")]
    # nothing at the weekend
    assert spans(WEEKDAYS_WARSAW, "2026-07-11T00:00Z", "2026-07-13T00:00Z") == []


def test_weekdays_across_the_spring_change() -> None:
    """Clocks go forward on Sunday 29 March 2026 at 02:00 CET: Friday's window is in CET,
    Monday's in CEST."""
    assert spans(WEEKDAYS_WARSAW, "2026-03-27T00:00Z", "2026-03-31T00:00Z") == [
        ("2026-03-27T05:00Z", "2026-03-27T21:00Z"),
        ("2026-03-30T04:00Z", "2026-03-30T20:00Z"),
    ]


def test_weekdays_across_the_autumn_change() -> None:
    """Clocks go back on Sunday 25 October 2026 at 03:00 CEST."""
    assert spans(WEEKDAYS_WARSAW, "2026-10-23T00:00Z", "2026-10-27T00:00Z") == [
        ("2026-10-23T04:00Z", "2026-10-23T20:00Z"),
        ("2026-10-26T05:00Z", "2026-10-26T21:00Z"),
    ]


def test_night_window_over_the_dst_nights() -> None:
    """22:00-06:00 local: 7 h on the night the clocks go forward, 9 h when they go back."""
    night = Schedule(weekly=(WeeklyWindow.parse("Sat 22:00-06:00 Europe/Warsaw"),))
    (a, b), = night.intervals(ts("2026-03-28T12:00Z"), ts("2026-03-29T12:00Z"))
    assert (utc(a), utc(b)) == ("2026-03-28T21:00Z", "2026-03-29T04:00Z")
    assert b - a == 7 * 3600
    (a, b), = night.intervals(ts("2026-10-24T12:00Z"), ts("2026-10-25T12:00Z"))
    assert (utc(a), utc(b)) == ("2026-10-24T20:00Z", "2026-10-25T05:00Z")
    assert b - a == 9 * 3600


def test_window_starting_in_the_skipped_hour() -> None:
    """02:30 does not exist in Warsaw on 29 March 2026: the window opens when the clocks
    jump (03:00 CEST = 01:00 UTC), not an hour late."""
    s = Schedule(weekly=(WeeklyWindow.parse("Sun 02:30-04:00 Europe/Warsaw"),))
    assert spans(s, "2026-03-29T00:00Z", "2026-03-30T00:00Z") == [
        ("2026-03-29T01:00Z", "2026-03-29T02:00Z")]
    # a week earlier it is the full 90 minutes in CET
    assert spans(s, "2026-03-22T00:00Z", "2026-03-23T00:00Z") == [
        ("2026-03-22T01:30Z", "2026-03-22T03:00Z")]


def test_window_in_the_repeated_hour_takes_the_first() -> None:
    s = Schedule(weekly=(WeeklyWindow.parse("Sun 02:30-05:00 Europe/Warsaw"),))
    # 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET): the first is taken
    assert spans(s, "2026-10-25T00:00Z", "2026-10-26T00:00Z") == [
        ("2026-10-25T00:30Z", "2026-10-25T04:00Z")]


# --- windows past midnight, merging ---------------------------------------------------------


def test_window_past_midnight_belongs_to_its_start_day() -> None:
    s = Schedule(weekly=(WeeklyWindow.parse("Fri 22:00-02:00 UTC"),))
    t = np.array([ts("2026-05-08T23:00Z"),   # Fri 23:00: in
                  ts("2026-05-09T01:59Z"),   # Sat 01:59: in (Friday's window)
                  ts("2026-05-09T02:00Z"),   # Sat 02:00: out, half-open
                  ts("2026-05-09T23:00Z"),   # Sat 23:00: out
                  ts("2026-05-08T01:00Z"),   # Fri 01:00: out (Thursday has no window)
                  ts("2026-05-08T22:00Z")])  # Fri 22:00: in, start included
    assert s.active_at(t).tolist() == [True, True, False, False, False, True]


def test_intervals_merge_overlapping_and_touching_windows() -> None:
    s = Schedule(weekly=(WeeklyWindow.parse("Mon 08:00-12:00 UTC"),
                         WeeklyWindow.parse("Mon 10:00-14:00 UTC"),
                         WeeklyWindow.parse("Mon 14:00-15:00 UTC")))
    assert spans(s, "2026-05-11T00:00Z", "2026-05-12T00:00Z") == [
        ("2026-05-11T08:00Z", "2026-05-11T15:00Z")]
    whole_weekend = Schedule(weekly=(WeeklyWindow.parse("Sat,Sun 00:00-24:00 UTC"),))
    assert spans(whole_weekend, "2026-05-08T00:00Z", "2026-05-12T00:00Z") == [
        ("2026-05-09T00:00Z", "2026-05-11T00:00Z")]


def test_intervals_are_clipped_sorted_and_empty_for_empty_ranges() -> None:
    assert Schedule().intervals(10.0, 20.0) == [(10.0, 20.0)]
    assert Schedule().intervals(20.0, 10.0) == []
    assert spans(WEEKDAYS_WARSAW, "2026-01-12T12:00Z", "2026-01-13T06:00Z") == [
        ("2026-01-12T12:00Z", "2026-01-12T21:00Z"), ("2026-01-13T05:00Z", "2026-01-13T06:00Z")]


# --- periods and their combination with weekly windows --------------------------------------


def test_periods_are_half_open_and_merged() -> None:
    s = Schedule(periods=Schedule.parse_periods([
        ("2026-05-01T06:00Z", "2026-05-01T10:00Z"),
        ("2026-05-01T10:00Z", "2026-05-01T12:00Z"),
        ("2026-05-03T00:00Z", "2026-05-04T00:00Z"),
    ]))
    assert spans(s, "2026-04-30T00:00Z", "2026-05-10T00:00Z") == [
        ("2026-05-01T06:00Z", "2026-05-01T12:00Z"), ("2026-05-03T00:00Z", "2026-05-04T00:00Z")]
    t = np.array([ts("2026-05-01T05:59Z"), ts("2026-05-01T06:00Z"), ts("2026-05-01T11:59Z"),
                  ts("2026-05-01T12:00Z"), ts("2026-05-03T12:00Z")])
    assert s.active_at(t).tolist() == [False, True, True, False, True]


def test_periods_combined_with_weekly_windows() -> None:
    """A NOTAM valid for May, active on weekdays 06-22 local: both must hold."""
    s = Schedule(
        periods=Schedule.parse_periods([("2026-05-01T00:00Z", "2026-06-01T00:00Z")]),
        weekly=WEEKDAYS_WARSAW.weekly,
    )
    t = np.array([
        ts("2026-05-04T10:00Z"),  # Monday noon in Warsaw: in
        ts("2026-05-02T10:00Z"),  # Saturday: out
        ts("2026-05-04T21:00Z"),  # Monday 23:00 local: out
        ts("2026-06-01T10:00Z"),  # Monday, after the period: out
        ts("2026-04-30T10:00Z"),  # Thursday, before the period: out
        ts("2026-05-01T04:00Z"),  # Friday 06:00 local, first minute of the period: in
    ])
    assert s.active_at(t).tolist() == [True, False, False, False, False, True]
    got = spans(s, "2026-05-29T00:00Z", "2026-06-02T00:00Z")
    assert got == [("2026-05-29T04:00Z", "2026-05-29T20:00Z")]


def test_period_cutting_a_window() -> None:
    s = Schedule(
        periods=Schedule.parse_periods([("2026-05-04T12:00Z", "2026-05-05T08:00Z")]),
        weekly=WEEKDAYS_WARSAW.weekly,
    )
    assert spans(s, "2026-05-04T00:00Z", "2026-05-06T00:00Z") == [
        ("2026-05-04T12:00Z", "2026-05-04T20:00Z"), ("2026-05-05T04:00Z", "2026-05-05T08:00Z")]


# --- active_at, vectorised ----------------------------------------------------------------


def test_active_at_keeps_shape_and_handles_nan() -> None:
    t = np.array([[ts("2026-01-12T12:00Z"), np.nan], [ts("2026-01-11T12:00Z"), 0.0]])
    out = WEEKDAYS_WARSAW.active_at(t)
    assert out.shape == (2, 2) and out.dtype == np.bool_
    assert out.tolist() == [[True, False], [False, False]]
    assert WEEKDAYS_WARSAW.active_at(np.array([np.nan, np.nan])).tolist() == [False, False]
    assert WEEKDAYS_WARSAW.active_at(np.array([])).shape == (0,)
    assert bool(WEEKDAYS_WARSAW.active_at(ts("2026-01-12T12:00Z")))  # a scalar
    assert Schedule().active_at(np.array([0.0, np.nan])).tolist() == [True, True]


def _reference(window: WeeklyWindow, t: float) -> bool:
    """One instant, the slow way: the local wall clock against the window."""
    local = datetime.fromtimestamp(t, ZoneInfo(window.tz))
    clock, day = local.time().replace(tzinfo=None), local.weekday()
    end = time(23, 59, 59, 999999) if window.end == time(23, 59, 59, 999999) else window.end
    if window.start < end:
        return day in window.days and window.start <= clock < end
    return (day in window.days and clock >= window.start) or (
        (day - 1) % 7 in window.days and clock < end)


# hours away from 02:00-03:00 so the reference needs no DST gap/fold rules
hours = st.sampled_from([0, 1, 4, 5, 6, 8, 12, 17, 20, 22, 23])
windows = st.tuples(
    st.sets(st.integers(0, 6), min_size=1), hours, st.sampled_from([0, 15, 30]), hours,
    st.sampled_from([0, 45]), st.sampled_from(["UTC", "Europe/Warsaw", "America/New_York",
                                               "Australia/Sydney", "Asia/Kolkata"]),
).filter(lambda a: (a[1], a[2]) != (a[3], a[4])).map(
    lambda a: WeeklyWindow(frozenset(a[0]), time(a[1], a[2]), time(a[3], a[4]), a[5]))


@settings(max_examples=80, deadline=None)
@given(window=windows, base=st.floats(ts("2025-01-01T00:00Z"), ts("2027-12-01T00:00Z")),
       offsets=st.lists(st.floats(0.0, 20 * 86400.0), min_size=1, max_size=50))
def test_active_at_agrees_with_the_wall_clock(
    window: WeeklyWindow, base: float, offsets: list[float]
) -> None:
    s = Schedule(weekly=(window,))
    t = [base + o for o in offsets]
    got = s.active_at(np.array(t))
    expected = [_reference(window, x) for x in t]
    assert got.tolist() == expected
