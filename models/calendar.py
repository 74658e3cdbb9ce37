"""Times and calendars (RULES.md): every due time is kept in UTC; the company's timezone
(``POLICY_TIMEZONE``, default Asia/Shanghai) decides what a day, a month and a year are, for
case files, case ids, reports, cadences and months of supply."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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


class BusinessCalendar(BaseModel):
    """The company's working time, as a case keeps it: its timezone, the working hours of each
    weekday (0 Monday … 6 Sunday; a day absent is not worked), and the dates that break the
    week's pattern (holidays; make-up working days, 調休). Concrete dates only: a case started
    with this calendar keeps it (the starter resolves it once, from the policy and the holiday
    data), so a library or data-file update never changes an open case's due times silently."""

    model_config = ConfigDict(frozen=True)

    timezone: Timezone = DEFAULT_TIMEZONE
    hours: dict[int, list[tuple[time, time]]] = Field(default_factory=dict)
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


def due_at(start: datetime, allowed: timedelta, counts: ClockTime, cal: BusinessCalendar | None) -> datetime:
    """When a clock started at ``start`` with ``allowed`` time runs out: ``start + allowed`` in
    wall time; in working time, once ``allowed`` of the calendar's working time has passed
    after ``start`` (a clock started outside working hours starts at the next opening)."""
    if counts is ClockTime.wall or cal is None:
        return start + allowed
    raise NotImplementedError("working-time clocks: issue 14")


def elapsed(start: datetime, end: datetime, counts: ClockTime, cal: BusinessCalendar | None) -> timedelta:
    """The time a clock counts between ``start`` and ``end`` (none when ``end`` is earlier)."""
    if end <= start:
        return timedelta(0)
    if counts is ClockTime.wall or cal is None:
        return end - start
    raise NotImplementedError("working-time clocks: issue 14")
