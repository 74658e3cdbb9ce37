"""Business calendars, resolved when a case starts (issue 14; RULES.md "Times and calendars").

A clock that counts working time needs a concrete ``BusinessCalendar``: the policy's working
hours and timezone, the public holidays and make-up working days (調休) of its country from the
maintained ``holidays`` library, and the company's own data file (``data/calendar.json``: extra
holidays, extra make-up days, dates to remove). The starter resolves it once, for a window from
the case's start, and puts it in the policy the workflow input carries: the case keeps it, so a
library upgrade or an edit of the data file never moves an open case's due times, and the
workflow (which must not read files) gets only concrete dates.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import holidays as holiday_data
from pydantic import BaseModel, ConfigDict, Field

from config import ROOT
from models.calendar import BusinessCalendar, Opening, local_date
from models.policy import ComplaintPolicy, CustomerPolicy, InquiryPolicy, ProjectPolicy

#: How far ahead a case's calendar lists holidays and make-up days: after it, the weekly
#: pattern alone (a clock longer than this is rare: the longest default, ND-08's year, is
#: wall time).
CALENDAR_YEARS = 2

P = TypeVar("P", ComplaintPolicy, ProjectPolicy, CustomerPolicy, InquiryPolicy)


class CalendarFile(BaseModel):
    """The data file: the company's corrections to its country's calendar (ISO dates). A date
    in ``holidays`` is a day off even if the library makes it a make-up day; a date in
    ``workdays`` is worked even if the library makes it a holiday; a date in ``remove`` is
    neither (its weekday's pattern applies): a library holiday or make-up day that does not
    apply to the company."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str = ""
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    remove: list[date] = Field(default_factory=list)


def read_calendar_file(path: str | Path) -> CalendarFile:
    """The data file at ``path`` (relative: to the project root); ``""``: no file."""
    if not str(path):
        return CalendarFile()
    file = Path(path) if Path(path).is_absolute() else ROOT / path
    try:
        return CalendarFile.model_validate(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        raise ValueError(f"calendar file {file}: {e}") from None


@lru_cache(maxsize=64)
def country_days(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The public holidays and the make-up working days (``weekend_workdays``: the Saturdays
    and Sundays worked in exchange for a day off, China's 調休) the ``holidays`` library knows
    for ``country`` in ``year``."""
    try:
        days = holiday_data.country_holidays(country, years=year)
    except NotImplementedError:
        raise ValueError(f"holiday country {country!r}: not known to the holidays library") from None
    workdays: set[date] = getattr(days, "weekend_workdays", set())
    return (
        frozenset(d for d in days if d.year == year),
        frozenset(d for d in workdays if d.year == year),
    )


def business_calendar(
    *,
    timezone: str,
    hours: dict[int, list[Opening]],
    country: str,
    data: CalendarFile,
    start: date,
    end: date,
) -> BusinessCalendar:
    """The concrete calendar for the days from ``start`` to ``end`` (inclusive): the country's
    holidays and make-up days in that window, corrected by the data file."""
    off: set[date] = set()
    worked: set[date] = set()
    if country:
        for year in range(start.year, end.year + 1):
            h, w = country_days(country, year)
            off |= h
            worked |= w
    off = (off - set(data.workdays) - set(data.remove)) | set(data.holidays)
    worked = (worked - set(data.holidays) - set(data.remove)) | set(data.workdays)
    return BusinessCalendar(
        timezone=timezone,
        hours=hours,
        holidays=sorted(d for d in off if start <= d <= end),
        workdays=sorted(d for d in worked if start <= d <= end),
    )


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def calendar_for(
    policy: ComplaintPolicy | ProjectPolicy | CustomerPolicy | InquiryPolicy, at: datetime, years: int = CALENDAR_YEARS
) -> BusinessCalendar:
    """The calendar of a case started at ``at``: from that day (the company's) ``years`` on."""
    start = local_date(at, policy.timezone)
    return business_calendar(
        timezone=policy.timezone,
        hours=policy.working_hours,
        country=policy.holiday_country,
        data=read_calendar_file(policy.calendar_file),
        start=start,
        end=_years_later(start, years),
    )


def with_calendar(policy: P, at: datetime | None = None) -> P:
    """The policy a case starting at ``at`` (now) keeps: with its concrete calendar when one
    of its clocks counts working time (and it has none yet); unchanged otherwise, so a case
    whose clocks all count wall time (the default) carries no calendar and reads no file."""
    if policy.calendar is not None or not policy.needs_calendar():
        return policy
    return policy.model_copy(update={"calendar": calendar_for(policy, at or datetime.now(UTC))})
