"""CC-04: the review periods, every ``tier_review_months`` on the company's calendar (6: the
half-years ``2026-H1`` and ``2026-H2``), and the period that had just ended when the schedule
fired. Pure: the times are given."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from models.calendar import local, zone

#: The letter of a period's name by its length in months (other lengths are ``P``).
_LETTER = {6: "H", 3: "Q", 4: "T", 2: "B", 1: "M"}


def check_months(months: int) -> int:
    """A review period is a whole number of periods a year (1, 2, 3, 4, 6 or 12 months)."""
    if months < 1 or 12 % months:
        raise ValueError(f"CC-04: a review every {months} months does not divide the year (1, 2, 3, 4, 6 or 12)")
    return months


def review_months_of_year(months: int) -> list[int]:
    """The months in which a review period starts (6: January and July)."""
    return list(range(1, 13, check_months(months)))


class ReviewPeriod(BaseModel):
    """A review period on the company's calendar: ``name`` (``2026-H2``; ``2026`` for a yearly
    review), ``start`` and ``end`` (exclusive) in UTC."""

    name: str
    year: int
    index: int
    months: int
    timezone: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, year: int, index: int, months: int, timezone: str) -> ReviewPeriod:
        """The ``index``-th (1-based) period of ``year``."""
        check_months(months)
        per_year = 12 // months
        if not 1 <= index <= per_year:
            raise ValueError(f"CC-04: a year has {per_year} review periods of {months} months, not {index}")
        first = (index - 1) * months + 1
        tz = zone(timezone)
        start = datetime(year, first, 1, tzinfo=tz)
        nxt = first + months
        end = datetime(year + (nxt - 1) // 12, (nxt - 1) % 12 + 1, 1, tzinfo=tz)
        name = str(year) if months == 12 else f"{year}-{_LETTER.get(months, 'P')}{index}"
        return cls(
            name=name,
            year=year,
            index=index,
            months=months,
            timezone=timezone,
            start=start.astimezone(UTC),
            end=end.astimezone(UTC),
        )

    @classmethod
    def containing(cls, at: datetime, months: int, timezone: str) -> ReviewPeriod:
        """The period of the company's calendar that ``at`` falls in."""
        t = local(at, timezone)
        return cls.of(t.year, (t.month - 1) // check_months(months) + 1, months, timezone)

    @classmethod
    def ended_at(cls, scheduled: datetime, months: int, timezone: str) -> ReviewPeriod:
        """CC-04: the period that had just ended when the schedule fired at ``scheduled`` (on
        1 July 02:00 company time: the first half-year). Counted on the company's clock: 1 July
        01:00 in Shanghai is 30 June 17:00 UTC, already the second half-year there, so the
        period just ended is the first. A start made up later within the catch-up window still
        names the period of its scheduled time."""
        return cls.containing(scheduled, months, timezone).previous()

    def previous(self) -> ReviewPeriod:
        if self.index > 1:
            return ReviewPeriod.of(self.year, self.index - 1, self.months, self.timezone)
        return ReviewPeriod.of(self.year - 1, 12 // self.months, self.months, self.timezone)


def tier_review_workflow_id(period: str, department: str) -> str:
    """One review per department and period."""
    return f"tier-review-{period}-{department}"


def tier_review_id(period: str, department: str) -> str:
    """The review's id (its workflow id without the family's prefix)."""
    return f"{period}-{department}"
