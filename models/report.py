"""CP-18 (issue 15): the complaint analysis, weekly and monthly. Its periods on the company's
calendar, the shape of its figures, and the pure rules over them (the period just ended at a
scheduled time, the comparison with the previous period, the CSV). The figures themselves are
SQL aggregates (storage/reports.py)."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from models.calendar import local, zone
from models.complaint.guards import CUSTOMER_SERVICE
from models.staff import Role, StaffRef


class Cadence(StrEnum):
    week = "week"
    month = "month"


_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Period(BaseModel):
    """CP-18: a report's period: an ISO week (``2026-W48``: Monday 00:00 to the next Monday
    00:00) or a calendar month (``2026-11``), on the company's clock (``timezone``); ``start``
    and ``end`` (exclusive) in UTC."""

    name: str
    cadence: Cadence
    timezone: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, name: str, timezone: str) -> Period:
        """CP-18: ``2026-W48`` or ``2026-11``; anything else is a ``ValueError``."""
        tz = zone(timezone)
        if m := _WEEK.match(name):
            try:
                first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            except ValueError:
                raise ValueError(f"no such ISO week: {name}") from None
            start_local = datetime.combine(first, datetime.min.time(), tzinfo=tz)
            end_local = datetime.combine(first + timedelta(days=7), datetime.min.time(), tzinfo=tz)
            cadence = Cadence.week
        elif m := _MONTH.match(name):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise ValueError(f"no such month: {name}")
            start_local = datetime(year, month, 1, tzinfo=tz)
            end_local = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
            cadence = Cadence.month
        else:
            raise ValueError(f"a period is an ISO week (2026-W48) or a month (2026-11), not {name!r}")
        return cls(
            name=name,
            cadence=cadence,
            timezone=timezone,
            start=start_local.astimezone(UTC),
            end=end_local.astimezone(UTC),
        )

    @classmethod
    def containing(cls, at: datetime, cadence: Cadence, timezone: str) -> Period:
        """The week or month of the company's calendar that ``at`` falls in."""
        t = local(at, timezone)
        if cadence is Cadence.week:
            year, week, _ = t.isocalendar()
            return cls.parse(f"{year}-W{week:02d}", timezone)
        return cls.parse(f"{t:%Y-%m}", timezone)

    @classmethod
    def ended_at(cls, scheduled: datetime, cadence: Cadence, timezone: str) -> Period:
        """CP-18: the period that had just ended when a schedule fired at ``scheduled`` (Monday
        00:00: the week before; the 1st: the month before). A start made up later within the
        catch-up window still names the period of its scheduled time."""
        return cls.containing(scheduled - timedelta(seconds=1), cadence, timezone)

    def previous(self) -> Period:
        """The period just before (what every headline figure is compared with)."""
        return Period.containing(self.start - timedelta(seconds=1), self.cadence, self.timezone)


def may_read_reports(staff: StaffRef) -> bool:
    """CP-18: the complaint analysis is for customer-service supervisors, managers and the
    general manager."""
    if staff.role in (Role.manager, Role.general_manager):
        return True
    return staff.role is Role.supervisor and staff.department == CUSTOMER_SERVICE


def nearest_rank(p: float, n: int) -> int | None:
    """CP-18: the 0-based position in ``n`` sorted values of the ``p`` quantile by the nearest
    rank (the median of 4 values is the 2nd, the p90 of 10 values the 9th); None when empty."""
    if n <= 0:
        return None
    return max(0, math.ceil(p * n) - 1)


class Durations(BaseModel):
    """Median and p90 (nearest rank), in hours, of the cases that reached the step."""

    count: int
    median_hours: float | None
    p90_hours: float | None


class Share(BaseModel):
    """Clock runs that ended met or breached, and the share met (None: none ended)."""

    met: int
    breached: int
    share: float | None


class Money(BaseModel):
    count: int
    amount: str


class Satisfaction(BaseModel):
    answered: int
    satisfied: int
    mean_score: float | None


class InquiryFigures(BaseModel):
    """CC-06 (counted in the monthly report): the inquiries received in the period, as recorded
    when the figures were produced. ``within_deadline``: answered within the deadline (met)
    against late (breached: answered late, or still open past it), and the share met;
    ``time_to_answer``: from the receipt to the answer, median and p90 in hours."""

    received: int = 0
    answered: int = 0
    within_deadline: Share = Share(met=0, breached=0, share=None)
    open: int = 0
    late: int = 0
    time_to_answer: Durations = Durations(count=0, median_hours=None, p90_hours=None)


class ComplaintFigures(BaseModel):
    """CP-18: the complaint analysis of a period: the complaints received in it (the cohort),
    as recorded when the figures were produced."""

    period: str
    start: datetime
    end: datetime
    timezone: str
    received: int
    by_category: dict[str, int]
    by_subtype: dict[str, int]
    by_severity: dict[str, int]
    by_validity: dict[str, int]
    by_channel: dict[str, int]
    by_target_kind: dict[str, int]
    by_target: dict[str, int]
    plan_within_deadline: Share
    resolution_within_deadline: Share
    time_to_plan: Durations
    time_to_resolution: Durations
    time_to_close: Durations
    resolved: int
    reopened: int
    reopen_rate: float | None
    escalations_by_level: dict[str, int]
    compensation_approved: dict[str, Money]
    satisfaction: Satisfaction
    #: the time-to-resolution distribution (cases per bucket of hours), for the chart
    resolution_histogram: dict[str, int]
    #: CC-06: the period's inquiries (reports produced before inquiries show none)
    inquiries: InquiryFigures = InquiryFigures()


def headline(f: ComplaintFigures) -> dict[str, float | None]:
    """CP-18: the headline figures, each compared with the previous period."""
    comp_count = sum(m.count for m in f.compensation_approved.values())
    comp_amount = sum(float(m.amount) for m in f.compensation_approved.values())
    return {
        "received": f.received,
        "plan_within_deadline_share": f.plan_within_deadline.share,
        "resolution_within_deadline_share": f.resolution_within_deadline.share,
        "time_to_plan_median_hours": f.time_to_plan.median_hours,
        "time_to_plan_p90_hours": f.time_to_plan.p90_hours,
        "time_to_resolution_median_hours": f.time_to_resolution.median_hours,
        "time_to_resolution_p90_hours": f.time_to_resolution.p90_hours,
        "time_to_close_median_hours": f.time_to_close.median_hours,
        "time_to_close_p90_hours": f.time_to_close.p90_hours,
        "reopen_rate": f.reopen_rate,
        "escalations": sum(f.escalations_by_level.values()),
        "compensation_approved_count": comp_count,
        "compensation_approved_amount": round(comp_amount, 2),
        "satisfaction_answered": f.satisfaction.answered,
        "satisfaction_satisfied": f.satisfaction.satisfied,
        "satisfaction_mean_score": f.satisfaction.mean_score,
    }


class Comparison(BaseModel):
    current: float | None
    previous: float | None
    change: float | None


def compare(current: ComplaintFigures, previous: ComplaintFigures) -> dict[str, Comparison]:
    """CP-18: every headline figure beside the previous period's, with the change."""
    now, before = headline(current), headline(previous)
    out = {}
    for name, value in now.items():
        old = before[name]
        change = round(value - old, 6) if value is not None and old is not None else None
        out[name] = Comparison(current=value, previous=old, change=change)
    return out


class TrendPoint(BaseModel):
    """One period of the charts' time axis: volume by category and the SLA shares."""

    period: str
    by_category: dict[str, int]
    plan_share: float | None
    resolution_share: float | None


#: How many periods (the report's own included) the charts show.
TREND_PERIODS = 6


class ComplaintReport(BaseModel):
    """CP-18: one stored version of a period's complaint analysis."""

    kind: str = "complaints"
    period: str
    version: int
    produced_at: datetime
    requested_by: str
    seconds: float
    figures: ComplaintFigures
    previous: ComplaintFigures
    comparison: dict[str, Comparison]
    #: the last ``TREND_PERIODS`` periods, oldest first, the report's own last (for the charts)
    trend: list[TrendPoint] = []


def report_csv(report: ComplaintReport) -> str:
    """CP-18: the report as CSV: one row per figure (section, key, value, previous value)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "key", "value", "previous"])
    w.writerow(["meta", "period", report.period, report.previous.period])
    w.writerow(["meta", "version", report.version, ""])
    w.writerow(["meta", "produced_at", report.produced_at.isoformat(), ""])
    for name, c in report.comparison.items():
        w.writerow(["headline", name, _cell(c.current), _cell(c.previous)])
    f, p = report.figures, report.previous
    for section in (
        "by_category",
        "by_subtype",
        "by_severity",
        "by_validity",
        "by_channel",
        "by_target_kind",
        "by_target",
        "escalations_by_level",
        "resolution_histogram",
    ):
        now: dict[str, Any] = getattr(f, section)
        before: dict[str, Any] = getattr(p, section)
        for key in sorted(set(now) | set(before)):
            w.writerow([section, key, now.get(key, 0), before.get(key, 0)])
    for level in sorted(set(f.compensation_approved) | set(p.compensation_approved)):
        m, o = f.compensation_approved.get(level), p.compensation_approved.get(level)
        w.writerow(["compensation_approved_count", level, m.count if m else 0, o.count if o else 0])
        w.writerow(["compensation_approved_amount", level, m.amount if m else "0", o.amount if o else "0"])
    for key, now_v, before_v in zip(INQUIRY_ROWS, inquiry_row(f.inquiries), inquiry_row(p.inquiries), strict=True):
        w.writerow(["inquiries", key, _cell(now_v), _cell(before_v)])
    return out.getvalue()


#: CC-06: the inquiry figures' rows of the CSV, in order.
INQUIRY_ROWS = (
    "received",
    "answered",
    "answered_within_deadline",
    "answered_within_deadline_share",
    "late",
    "open",
    "time_to_answer_median_hours",
)


def inquiry_row(q: InquiryFigures) -> tuple[float | None, ...]:
    """CC-06: the values of ``INQUIRY_ROWS``."""
    w = q.within_deadline
    return (q.received, q.answered, w.met, w.share, q.late, q.open, q.time_to_answer.median_hours)


def _cell(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


#: The time-to-resolution distribution's buckets (hours, upper bound exclusive; the last open).
RESOLUTION_BUCKETS: list[tuple[str, float]] = [
    ("<4h", 4),
    ("4-24h", 24),
    ("1-2d", 48),
    ("2-3d", 72),
    ("3-7d", 168),
    (">=7d", math.inf),
]


# --- the workflow's messages ------------------------------------------------------------------


def report_workflow_id(period: str) -> str:
    """CP-18: one workflow per period: two requests for the same period make one report."""
    return f"report-complaints-{period}"


class ReportInput(BaseModel):
    """ComplaintReportWorkflow's input: the period, its timezone (resolved by the starter: the
    workflow never reads the policy) and who asked (``schedule`` for the schedules)."""

    period: str
    timezone: str
    requested_by: str = "schedule"


class ScheduledReportInput(BaseModel):
    """ScheduledComplaintReportWorkflow's input (what a Temporal Schedule starts)."""

    cadence: Cadence
    timezone: str
    #: started by hand (not by a schedule): the time to act as scheduled at (default: now)
    at: datetime | None = None


class ReportProduced(BaseModel):
    """What a report's production answers: its period, version and when (not its figures:
    they stay in the database, never in a Temporal payload)."""

    period: str
    version: int
    produced_at: datetime
    seconds: float


def report_links(period: str) -> tuple[str, str]:
    """The report's JSON and chart addresses on the API (in the inbox message)."""
    return f"/reports/complaints?period={period}", f"/reports/complaints/{period}/chart.svg"


def inbox_message(produced: ReportProduced) -> str:
    """CP-18: the inbox message to the customer-service manager and the general manager."""
    json_url, chart_url = report_links(produced.period)
    return (
        f"The complaint analysis of {produced.period} (version {produced.version}) is ready: "
        f"{json_url} (CSV: &format=csv); charts: {chart_url}"
    )
