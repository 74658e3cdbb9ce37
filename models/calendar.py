"""Times and calendars (RULES.md): every due time is kept in UTC; the company's timezone
(``POLICY_TIMEZONE``, default Asia/Shanghai) decides what a day, a month and a year are, for
case files, case ids, reports, cadences and months of supply."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache
def zone(name: str) -> ZoneInfo:
    """The zone named ``name`` (read once per process)."""
    return ZoneInfo(name)


def _known_zone(name: str) -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (an IANA name such as Asia/Shanghai)") from None
    return name


#: An IANA timezone name, checked when the policy is read.
Timezone = Annotated[str, AfterValidator(_known_zone)]


def local(at: datetime, timezone: str) -> datetime:
    """``at`` (an aware time) on the company's clock."""
    return at.astimezone(zone(timezone))


def local_date(at: datetime, timezone: str) -> date:
    """The company's calendar day of ``at``."""
    return local(at, timezone).date()


def local_month(at: datetime, timezone: str) -> str:
    """The company's calendar month of ``at``: ``"2026-11"``."""
    return f"{local(at, timezone):%Y-%m}"


def local_year(at: datetime, timezone: str) -> int:
    """The company's calendar year of ``at`` (a case closed at 01:00 on 1 January Beijing time
    belongs to the new year)."""
    return local(at, timezone).year


def add_months(at: datetime, months: int, timezone: str) -> datetime:
    """``at`` moved ``months`` calendar months later on the company's clock (the same day of
    the month, or its last day when the month is shorter: 31 January + 1 month = 28/29
    February), as an aware time."""
    t = local(at, timezone)
    index = t.month - 1 + months
    year, month = t.year + index // 12, index % 12 + 1
    day = min(t.day, calendar.monthrange(year, month)[1])
    return t.replace(year=year, month=month, day=day)


def later_than_months(start: datetime, end: datetime, months: int, timezone: str) -> bool:
    """Whether ``end`` is more than ``months`` calendar months after ``start`` (RULES.md: a
    month in a rule is a calendar month, on the company's calendar)."""
    return end > add_months(start, months, timezone)


# --- business calendars (issue 14) ----------------------------------------------------------


class ClockTime(StrEnum):
    """What a clock counts: wall time (30 minutes are 30 minutes, 3 days are 72 hours: the seeds'
    meaning, every clock's default) or the company's working time (working hours, holidays and
    make-up working days of a ``BusinessCalendar``)."""

    wall = "wall"
    working = "working"


#: A stretch of working hours in a day, on the company's clock: ``(08:30, 12:00)``. An end of
#: 00:00 is midnight at the end of the day (``(22:00, 00:00)``; ``(00:00, 00:00)`` is the whole day).
Opening = tuple[time, time]

MIDNIGHT = time(0)


def _hours_shorthand(value: Any) -> Any:
    """``{"0": "08:30-12:00, 13:30-17:30", "5": ""}``: a day's hours may be written as a string
    of ``HH:MM-HH:MM`` stretches (comma or space separated; empty: not worked)."""
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for day, stretches in value.items():
        if isinstance(stretches, str):
            stretches = [tuple(part.split("-", 1)) for part in stretches.replace(",", " ").split()]
        out[day] = stretches
    return out


def _valid_hours(hours: dict[int, list[Opening]]) -> dict[int, list[Opening]]:
    for day, stretches in hours.items():
        if not 0 <= day <= 6:
            raise ValueError(f"working hours: weekday {day} is not 0 (Monday) … 6 (Sunday)")
        ends = 0.0
        for start, end in stretches:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working hours are on the calendar's own clock: no UTC offset")
            a, b = _seconds(start), _seconds(end) if end != MIDNIGHT else 86_400.0
            if not a < b:
                raise ValueError(f"working hours of weekday {day}: {start:%H:%M}-{end:%H:%M} is empty")
            if a < ends:
                raise ValueError(f"working hours of weekday {day}: stretches out of order or overlapping")
            ends = b
    return {day: hours[day] for day in sorted(hours) if hours[day]}


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


#: The working hours of each weekday (0 Monday … 6 Sunday; a day absent is not worked), checked:
#: stretches in order, not overlapping, not empty.
WorkingHours = Annotated[dict[int, list[Opening]], BeforeValidator(_hours_shorthand), AfterValidator(_valid_hours)]

#: The company's working hours unless ``POLICY_WORKING_HOURS`` says otherwise: the seeds give no
#: office hours for the customer department (their 工作時間 / 上班時間 are rules of conduct, and
#: the times they name are other businesses'), so these are the usual Chinese office day:
#: Monday to Friday, 08:30-12:00 and 13:30-17:30 (7.5 hours a day).
DEFAULT_WORKING_HOURS: dict[int, list[Opening]] = {
    day: [(time(8, 30), time(12)), (time(13, 30), time(17, 30))] for day in range(5)
}


def default_working_hours() -> dict[int, list[Opening]]:
    return {day: list(stretches) for day, stretches in DEFAULT_WORKING_HOURS.items()}


class BusinessCalendar(BaseModel):
    """The company's working time, as a case keeps it: its timezone, the working hours of each
    weekday (0 Monday … 6 Sunday; a day absent is not worked), and the dates that break the
    week's pattern (holidays; make-up working days, 調休). Concrete dates only: a case started
    with this calendar keeps it (the starter resolves it once, from the policy and the holiday
    data), so a library or data-file update never changes an open case's due times silently.

    A make-up working day (調休: a Saturday or Sunday worked in exchange for a day off next to a
    holiday) is worked as a regular working day: with the hours of the first weekday that has
    any, Monday's in the default week (``makeup_hours``). After its last listed date the
    calendar is the plain weekly pattern."""

    model_config = ConfigDict(frozen=True)

    def __hash__(self) -> int:
        """Hashable by value (it is frozen): the working-time arithmetic is cached by it."""
        hours = tuple(sorted((d, tuple(spans)) for d, spans in self.hours.items()))
        return hash((self.timezone, hours, tuple(self.holidays), tuple(self.workdays)))

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> BusinessCalendar:
        """Frozen and never changed in place: a copy of a case's state shares it (a step copies
        the state deeply; two years of dates copied at every step cost more than the step)."""
        return self

    timezone: Timezone = DEFAULT_TIMEZONE
    hours: WorkingHours = Field(default_factory=default_working_hours)
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> BusinessCalendar:
        if not self.hours:
            raise ValueError("a business calendar needs working hours on at least one weekday")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates both a holiday and a make-up working day: {', '.join(map(str, both))}")
        return self

    def makeup_hours(self) -> list[Opening]:
        """The hours of a make-up working day: those of the first weekday that has any."""
        return self.hours[min(self.hours)]


class _Days:
    """A calendar read for one computation: its dates as sets, each day's openings in UTC."""

    def __init__(self, cal: BusinessCalendar) -> None:
        self.cal = cal
        self.tz = zone(cal.timezone)
        self.holidays = frozenset(cal.holidays)
        self.workdays = frozenset(cal.workdays)
        # every day past this one (and a week) is in the plain weekly pattern, which has working time
        self.patterned_after = max([*cal.holidays, *cal.workdays], default=date.min) + timedelta(days=7)

    def openings(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working time of the company's calendar day ``day``, as UTC stretches in order."""
        if day in self.holidays:
            return []
        stretches = self.cal.makeup_hours() if day in self.workdays else self.cal.hours.get(day.weekday(), [])
        out = []
        for start, end in stretches:
            a = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            end_day = day + timedelta(days=1) if end == MIDNIGHT else day
            b = datetime.combine(end_day, end, tzinfo=self.tz).astimezone(UTC)
            if b > a:  # a stretch inside a daylight-saving gap is no time at all
                out.append((a, b))
        return out

    def day_of(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def from_(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Every opening from the calendar day ``day`` on, in order (endless: the weekly pattern
        has working time, so a search over it ends)."""
        idle = 0
        while True:
            openings = self.openings(day)
            yield from openings
            idle = 0 if openings else idle + 1
            if idle > 7 and day > self.patterned_after:
                raise ValueError("the business calendar has no working time")  # pragma: no cover
            day += timedelta(days=1)


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC), not {at!r}")
    return at.astimezone(UTC)


def next_opening(at: datetime, cal: BusinessCalendar) -> datetime:
    """The first instant of working time at or after ``at`` (``at`` itself during working hours;
    at a closing, the next opening), in UTC: where a working-time clock started at ``at`` starts."""
    days = _Days(cal)
    t = _aware(at, "at")
    for a, b in days.from_(days.day_of(t)):
        if b > t:
            return max(a, t)
    raise AssertionError("unreachable")  # pragma: no cover


def due_at(start: datetime, allowed: timedelta, counts: ClockTime, cal: BusinessCalendar | None) -> datetime:
    """When a clock started at ``start`` with ``allowed`` time runs out: ``start + allowed`` in
    wall time; in working time, once ``allowed`` of the calendar's working time has passed
    after ``start`` (a clock started outside working hours starts at the next opening): the
    first instant ``t`` with ``elapsed(start, t) == allowed``, in UTC, so that a clock running
    out exactly at a closing is due at the closing, not at the next opening. ``allowed`` is an
    amount of working time: 3 days are 72 working hours (9.6 days of 7.5 hours), not
    three working days. A clock with nothing left (``allowed`` zero or less) is due at
    ``start``."""
    if counts is ClockTime.wall or cal is None:
        return start + allowed
    return _working_due(_aware(start, "start"), allowed, cal)


@lru_cache(maxsize=4096)
def _working_due(t: datetime, allowed: timedelta, cal: BusinessCalendar) -> datetime:
    """``due_at`` in working time (pure: cached, as the views and the clocks ask the same due
    times again and again within a step)."""
    if allowed <= timedelta(0):
        return t
    days = _Days(cal)
    remaining = allowed
    for a, b in days.from_(days.day_of(t)):
        if b <= t:
            continue
        a = max(a, t)
        if b - a >= remaining:
            return a + remaining
        remaining -= b - a
    raise AssertionError("unreachable")  # pragma: no cover


def elapsed(start: datetime, end: datetime, counts: ClockTime, cal: BusinessCalendar | None) -> timedelta:
    """The time a clock counts between ``start`` and ``end`` (none when ``end`` is earlier): in
    working time, only the calendar's working time between the two instants. Additive
    (``elapsed(a, b) + elapsed(b, c) == elapsed(a, c)``, what a paused clock needs), and the
    inverse of ``due_at``: ``elapsed(start, due_at(start, d)) == d``."""
    if end <= start:
        return timedelta(0)
    if counts is ClockTime.wall or cal is None:
        return end - start
    s, e = _aware(start, "start"), _aware(end, "end")
    days = _Days(cal)
    total = timedelta(0)
    day, last = days.day_of(s), days.day_of(e)
    while day <= last:
        for a, b in days.openings(day):
            lo, hi = max(a, s), min(b, e)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total
