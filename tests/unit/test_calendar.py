"""Unit tests of business calendars ("Times and calendars", RULES.md; issue 14): what a clock
counts in wall time and in working time (working hours in the calendar's timezone, holidays,
make-up working days 調休), pure functions over models/calendar.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from models.calendar import (
    DEFAULT_WORKING_HOURS,
    BusinessCalendar,
    ClockTime,
    due_at,
    elapsed,
    next_opening,
    zone,
)

W = ClockTime.working
SHANGHAI = BusinessCalendar()  # Asia/Shanghai, Monday-Friday 08:30-12:00 and 13:30-17:30


def sh(*args: int) -> datetime:
    """A time on Beijing's clock (UTC+8, no daylight saving), in UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


# --- wall time: the seeds' meaning, every clock's default ----------------------------------


@pytest.mark.parametrize("cal", [None, SHANGHAI])
def test_wall_time_is_unchanged_30_minutes_are_30_minutes_and_3_days_are_72_hours(cal):
    """Wall time ignores the calendar: a plan due 30 minutes after a Friday-evening complaint is
    due 30 minutes later, a 3-day resolution 72 hours later, nights and weekends included."""
    friday_evening = sh(2026, 11, 27, 18, 0)
    assert due_at(friday_evening, timedelta(minutes=30), ClockTime.wall, cal) == friday_evening + timedelta(minutes=30)
    assert due_at(friday_evening, timedelta(days=3), ClockTime.wall, cal) == friday_evening + timedelta(hours=72)
    later = friday_evening + timedelta(hours=72)
    assert elapsed(friday_evening, later, ClockTime.wall, cal) == timedelta(hours=72)
    assert elapsed(later, friday_evening, ClockTime.wall, cal) == timedelta(0)


def test_working_time_without_a_calendar_is_wall_time():
    """A case started before issue 14 has no calendar: its clocks count wall time."""
    t = sh(2026, 11, 27, 18, 0)
    assert due_at(t, timedelta(minutes=30), W, None) == t + timedelta(minutes=30)
    assert elapsed(t, t + timedelta(days=1), W, None) == timedelta(days=1)


# --- working time ------------------------------------------------------------------------


def test_working_time_counts_working_hours_only_and_skips_the_lunch_break():
    """From Monday 11:30, one working hour is half an hour before noon and half an hour after
    13:30: due at 14:00."""
    start = sh(2026, 11, 30, 11, 30)
    assert due_at(start, timedelta(hours=1), W, SHANGHAI) == sh(2026, 11, 30, 14, 0)
    assert elapsed(start, sh(2026, 11, 30, 14, 0), W, SHANGHAI) == timedelta(hours=1)
    assert elapsed(sh(2026, 11, 30, 0, 0), sh(2026, 12, 1, 0, 0), W, SHANGHAI) == timedelta(hours=7.5)


def test_working_time_results_are_aware_utc():
    due = due_at(sh(2026, 11, 30, 9, 0), timedelta(hours=1), W, SHANGHAI)
    assert due.utcoffset() == timedelta(0)
    assert next_opening(sh(2026, 11, 28, 9, 0), SHANGHAI).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "received, opening",
    [
        (sh(2026, 11, 27, 18, 0), sh(2026, 11, 30, 8, 30)),  # Friday evening: Monday 08:30
        (sh(2026, 11, 27, 17, 30), sh(2026, 11, 30, 8, 30)),  # at Friday's closing: Monday
        (sh(2026, 11, 28, 10, 0), sh(2026, 11, 30, 8, 30)),  # Saturday
        (sh(2026, 11, 30, 6, 0), sh(2026, 11, 30, 8, 30)),  # before the opening
        (sh(2026, 11, 30, 12, 30), sh(2026, 11, 30, 13, 30)),  # lunch break
        (sh(2026, 11, 30, 9, 15), sh(2026, 11, 30, 9, 15)),  # during working hours: at once
    ],
)
def test_a_case_received_outside_working_hours_starts_at_the_next_opening(received, opening):
    """A working-time clock started outside working hours starts at the next opening: a plan
    (30 minutes) of a complaint received on Friday evening is due on Monday at 09:00."""
    assert next_opening(received, SHANGHAI) == opening
    assert due_at(received, timedelta(minutes=30), W, SHANGHAI) == opening + timedelta(minutes=30)
    assert elapsed(received, opening, W, SHANGHAI) == timedelta(0)


def test_a_clock_running_out_at_a_closing_is_due_at_the_closing_not_the_next_opening():
    """due_at is the first instant the clock has counted its time: Friday 17:30, not Monday."""
    assert due_at(sh(2026, 11, 27, 17, 0), timedelta(minutes=30), W, SHANGHAI) == sh(2026, 11, 27, 17, 30)


def test_a_holiday_is_not_worked():
    """National Day (1 October 2026, a Thursday) is a holiday: an hour from Wednesday 17:00 is
    half an hour on Wednesday and half an hour on Friday 2 October."""
    cal = BusinessCalendar(holidays=[date(2026, 10, 1)])
    start = sh(2026, 9, 30, 17, 0)
    assert due_at(start, timedelta(hours=1), W, cal) == sh(2026, 10, 2, 9, 0)
    assert due_at(start, timedelta(hours=1), W, SHANGHAI) == sh(2026, 10, 1, 9, 0)  # without it
    assert elapsed(sh(2026, 10, 1, 0, 0), sh(2026, 10, 2, 0, 0), W, cal) == timedelta(0)
    assert next_opening(sh(2026, 10, 1, 10, 0), cal) == sh(2026, 10, 2, 8, 30)


def test_a_make_up_working_day_is_worked_with_the_monday_hours():
    """A make-up working day (調休: Saturday 10 October 2026) is worked: an hour from Friday
    17:00 is due on Saturday 09:00, not on Monday."""
    cal = BusinessCalendar(workdays=[date(2026, 10, 10)])
    start = sh(2026, 10, 9, 17, 0)
    assert due_at(start, timedelta(hours=1), W, cal) == sh(2026, 10, 10, 9, 0)
    assert due_at(start, timedelta(hours=1), W, SHANGHAI) == sh(2026, 10, 12, 9, 0)  # without it
    assert elapsed(sh(2026, 10, 10, 0, 0), sh(2026, 10, 11, 0, 0), W, cal) == timedelta(hours=7.5)


def test_a_make_up_working_day_takes_the_hours_of_the_first_worked_weekday():
    """With Monday not worked, a make-up day has the hours of the first weekday that is
    (Tuesday here, 09:00-18:00), whatever its own weekday's pattern says."""
    cal = BusinessCalendar(hours={1: "09:00-18:00", 2: "10:00-12:00"}, workdays=[date(2026, 10, 10)])
    assert cal.makeup_hours() == [(time(9), time(18))]
    assert elapsed(sh(2026, 10, 10, 0, 0), sh(2026, 10, 11, 0, 0), W, cal) == timedelta(hours=9)


def test_a_year_boundary_new_years_day_off_and_counting_goes_on_into_the_new_year():
    """From Thursday 31 December 2026 17:00, with New Year's Day a holiday, one working hour is
    due on Monday 4 January 2027 at 09:00; the count runs across the year without a reset."""
    cal = BusinessCalendar(holidays=[date(2027, 1, 1)])
    start = sh(2026, 12, 31, 17, 0)
    due = due_at(start, timedelta(hours=1), W, cal)
    assert due == sh(2027, 1, 4, 9, 0)
    assert elapsed(start, due, W, cal) == timedelta(hours=1)


def test_a_year_of_working_time_52_weeks_of_37_and_a_half_hours():
    """A span of a year is counted day by day (fast), exactly: 52 weeks of 5 x 7.5 hours; and a
    clock of that much working time runs out at the last Friday's closing."""
    start, end = sh(2027, 1, 4, 0, 0), sh(2028, 1, 3, 0, 0)  # Monday to Monday
    assert elapsed(start, end, W, SHANGHAI) == timedelta(hours=52 * 5 * 7.5)
    assert due_at(start, timedelta(hours=52 * 5 * 7.5), W, SHANGHAI) == sh(2027, 12, 31, 17, 30)


# --- daylight saving ---------------------------------------------------------------------

BERLIN = BusinessCalendar(timezone="Europe/Berlin", hours={d: "09:00-17:00" for d in range(5)})


def berlin(*args: int) -> datetime:
    """A time on Berlin's clock, in UTC."""
    return datetime(*args, tzinfo=zone("Europe/Berlin")).astimezone(UTC)


def test_working_time_across_a_daylight_saving_change_keeps_the_local_hours():
    """Europe/Berlin moves to summer time on Sunday 29 March 2026: two working hours from Friday
    16:00 (15:00 UTC, winter) end on Monday at 10:00 local, 08:00 UTC (summer), not 09:00 UTC."""
    start = berlin(2026, 3, 27, 16, 0)
    assert start == datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    due = due_at(start, timedelta(hours=2), W, BERLIN)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC) == berlin(2026, 3, 30, 10, 0)
    assert elapsed(start, due, W, BERLIN) == timedelta(hours=2)
    assert next_opening(datetime(2026, 3, 28, 12, tzinfo=UTC), BERLIN) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "sunday, hours",
    [
        (date(2026, 3, 29), 2),  # spring forward: 02:00 -> 03:00, local 01:00-04:00 lasts 2 hours
        (date(2026, 10, 25), 4),  # fall back: 03:00 -> 02:00, local 01:00-04:00 lasts 4 hours
        (date(2026, 3, 22), 3),  # an ordinary Sunday
    ],
)
def test_working_hours_straddling_a_daylight_saving_change_count_the_real_time(sunday, hours):
    """Working hours that straddle the change itself (Sunday 01:00-04:00 in Berlin) count the
    time that really passes: 2 hours the night the clocks go forward, 4 the night they go back."""
    cal = BusinessCalendar(timezone="Europe/Berlin", hours={6: "01:00-04:00"})
    day_start = berlin(sunday.year, sunday.month, sunday.day, 0, 0)
    day_end = berlin(sunday.year, sunday.month, sunday.day, 12, 0)
    assert elapsed(day_start, day_end, W, cal) == timedelta(hours=hours)
    assert due_at(day_start, timedelta(hours=hours), W, cal) == berlin(sunday.year, sunday.month, sunday.day, 4, 0)


# --- round trip and additivity -------------------------------------------------------------

HOLIDAY_SEASON = BusinessCalendar(
    holidays=[date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2027, 1, 1)],
    workdays=[date(2026, 10, 10)],
)


def _instants(start: datetime, days: int, step: timedelta) -> list[datetime]:
    return [start + k * step for k in range(int(timedelta(days=days) / step))]


def test_round_trip_due_at_of_elapsed_is_the_instant_itself_in_working_time():
    """due_at(start, elapsed(start, x)) == x for every x in working time after the clock's start
    (at an opening or outside working time: the last closing before x, the first instant with
    that much time)."""
    start = sh(2026, 9, 30, 18, 0)
    began = next_opening(start, HOLIDAY_SEASON)
    checked = 0
    for x in _instants(start, 120, timedelta(minutes=97)):
        back = due_at(start, elapsed(start, x, W, HOLIDAY_SEASON), W, HOLIDAY_SEASON)
        minute = timedelta(minutes=1)
        if x > began and elapsed(x - minute, x, W, HOLIDAY_SEASON) == minute:  # x is in working time
            assert back == x
            checked += 1
        else:
            assert back <= x and elapsed(back, x, W, HOLIDAY_SEASON) == timedelta(0)
    assert checked > 200


@pytest.mark.parametrize(
    "allowed",
    [timedelta(minutes=30), timedelta(hours=3.5), timedelta(hours=24), timedelta(days=3), timedelta(days=7)],
)
def test_round_trip_elapsed_of_due_at_is_the_allowed_time(allowed):
    """elapsed(start, due_at(start, d)) == d: a clock's due time holds exactly its allowance."""
    start = sh(2026, 9, 29, 16, 45)
    assert elapsed(start, due_at(start, allowed, W, HOLIDAY_SEASON), W, HOLIDAY_SEASON) == allowed


def test_elapsed_is_additive_so_a_paused_clock_can_sum_its_runs():
    """elapsed(a, b) + elapsed(b, c) == elapsed(a, c), wherever b falls."""
    a, c = sh(2026, 9, 28, 7, 0), sh(2026, 10, 20, 20, 0)
    total = elapsed(a, c, W, HOLIDAY_SEASON)
    for b in _instants(a, 22, timedelta(hours=5, minutes=11)):
        assert elapsed(a, b, W, HOLIDAY_SEASON) + elapsed(b, c, W, HOLIDAY_SEASON) == total


def test_a_clock_with_nothing_left_is_due_at_its_start():
    start = sh(2026, 11, 28, 10, 0)
    assert due_at(start, timedelta(0), W, SHANGHAI) == start
    assert due_at(start, -timedelta(hours=1), W, SHANGHAI) == start


def test_working_time_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2026, 11, 30, 9), timedelta(hours=1), W, SHANGHAI)


# --- the calendar's own checks --------------------------------------------------------------


def test_the_default_week_is_monday_to_friday_0830_1200_and_1330_1730():
    assert SHANGHAI.timezone == "Asia/Shanghai"
    assert SHANGHAI.hours == DEFAULT_WORKING_HOURS
    assert sorted(SHANGHAI.hours) == [0, 1, 2, 3, 4]
    assert SHANGHAI.hours[0] == [(time(8, 30), time(12)), (time(13, 30), time(17, 30))]


def test_working_hours_shorthand_and_a_stretch_to_midnight():
    """``"22:00-00:00"`` runs to midnight; a weekday given as ``""`` is not worked."""
    cal = BusinessCalendar(hours={"4": "08:30-12:00, 22:00-00:00", "5": ""})
    assert cal.hours == {4: [(time(8, 30), time(12)), (time(22), time(0))]}
    friday = sh(2026, 11, 27, 0, 0)
    assert elapsed(friday, friday + timedelta(days=1), W, cal) == timedelta(hours=5.5)
    assert due_at(sh(2026, 11, 27, 23, 0), timedelta(hours=1), W, cal) == sh(2026, 11, 28, 0, 0)


def test_a_calendar_survives_the_workflow_payload_round_trip():
    """A case keeps its calendar in its workflow input: JSON out and back is the same calendar."""
    assert BusinessCalendar.model_validate_json(HOLIDAY_SEASON.model_dump_json()) == HOLIDAY_SEASON


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hours": {}}, "at least one weekday"),
        ({"hours": {0: "12:00-08:30"}}, "is empty"),
        ({"hours": {0: "08:30-12:00, 11:00-17:00"}}, "overlapping"),
        ({"hours": {7: "08:30-12:00"}}, "weekday 7"),
        ({"holidays": [date(2026, 10, 10)], "workdays": [date(2026, 10, 10)]}, "both a holiday"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ],
)
def test_an_inconsistent_calendar_is_refused(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar(**kwargs)
