"""CP-18 (issue 15): the complaint analysis as SQL aggregates (the same statements on SQLite
and PostgreSQL), and the ``report`` table's versions.

The cohort of a period is the complaints received in it (``received_at`` in [start, end)), as
recorded when the figures are produced. Every figure is a COUNT, SUM, AVG or one ordered row
(a quantile by the nearest rank: the row ranked k by ``ROW_NUMBER() OVER (ORDER BY …)``) over the
cohort, a range of ``ix_complaint_report`` (received_at, then every column read: index-only
scans); the clock shares join ``case_clock`` by ``ix_case_clock_report`` (migration 0007).
A period's figures take five statements, a trend point two (issue 15: under 2 s at 1,000,000);
CC-06's inquiry figures two more, over the ``inquiry`` projection.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from models.report import (
    RESOLUTION_BUCKETS,
    ComplaintFigures,
    ComplaintReport,
    Durations,
    InquiryFigures,
    Money,
    Period,
    Satisfaction,
    Share,
    TrendPoint,
    nearest_rank,
)
from storage import tables as t

C = t.table(t.Complaint)
Q = t.table(t.Inquiry)
CLOCK = t.table(t.CaseClock)
REPORT = t.table(t.Report)


def _seconds(conn: AsyncConnection, end: Any, start: Any) -> ColumnElement[Any]:
    """``end - start`` in seconds, in the backend's own date arithmetic."""
    if conn.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return extract("epoch", end - start)


def _cohort(period: Period) -> ColumnElement[bool]:
    return and_(C.c.received_at >= period.start, C.c.received_at < period.end)


def _count_branch(period: Period, figure: str, column: Any, *where: Any) -> Select[Any]:
    """One figure's ``value → count`` as a branch of the counts' UNION ALL (the value as text)."""
    value = column if isinstance(column.type, String) else cast(column, String)
    return (
        select(literal_column(f"'{figure}'").label("figure"), value.label("value"), func.count().label("n"))
        .where(_cohort(period), column.is_not(None), *where)
        .group_by(column)
    )


TARGET = C.c.target_kind + literal_column("':'") + C.c.target_ref
COUNTED: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "by_category": (C.c.category, ()),
    "by_subtype": (C.c.subtype, ()),
    "by_severity": (C.c.severity, ()),
    "by_validity": (C.c.validity, ()),
    "by_channel": (C.c.channel, ()),
    "by_target_kind": (C.c.target_kind, ()),
    "by_target": (TARGET, (C.c.target_kind.in_(("staff", "department")), C.c.target_ref.is_not(None))),
    "escalations_by_level": (C.c.escalation_level, (C.c.escalation_level > 0,)),
}


async def _counts(conn: AsyncConnection, period: Period, *figures: str) -> dict[str, dict[str, int]]:
    """Every ``figures`` count of the cohort in one statement: a UNION ALL of GROUP BYs, each an
    index-only range scan of ``ix_complaint_report`` (migration 0007)."""
    branches = [_count_branch(period, f, COUNTED[f][0], *COUNTED[f][1]) for f in figures]
    got: dict[str, dict[str, int]] = {f: {} for f in figures}
    for figure, value, n in await conn.execute(union_all(*branches)):
        got[figure][str(value)] = int(n)
    return got


async def _quantiles(
    conn: AsyncConnection, period: Period, counts: dict[str, int], untils: dict[str, Any]
) -> dict[str, Durations]:
    """Median and p90 of each ``until - received_at`` in one statement: per duration, the rows'
    rank by ``ROW_NUMBER() OVER (ORDER BY d)`` (one sort), only the nearest ranks returned."""
    ranks = {name: (nearest_rank(0.5, counts[name]), nearest_rank(0.9, counts[name])) for name in untils}
    branches = []
    for name, until in untils.items():
        wanted = sorted({k + 1 for k in ranks[name] if k is not None})
        if not wanted:
            continue
        d = _seconds(conn, until, C.c.received_at)
        ranked = (
            select(d.label("d"), func.row_number().over(order_by=d).label("rn"))
            .where(_cohort(period), until.is_not(None))
            .subquery()
        )
        branches.append(
            select(literal_column(f"'{name}'").label("name"), ranked.c.rn, ranked.c.d).where(ranked.c.rn.in_(wanted))
        )
    at: dict[tuple[str, int], float] = {}
    if branches:
        rows = await conn.execute(branches[0] if len(branches) == 1 else union_all(*branches))
        at = {(name, int(rn) - 1): round(float(d) / 3600, 4) for name, rn, d in rows}
    return {
        name: Durations(
            count=counts[name],
            median_hours=at[(name, k50)] if k50 is not None else None,
            p90_hours=at[(name, k90)] if k90 is not None else None,
        )
        for name, (k50, k90) in ranks.items()
    }


async def _shares(conn: AsyncConnection, period: Period) -> dict[str, Share]:
    """The plan and resolution clocks' met / breached of the cohort in one statement: every
    (clock, outcome) of the cohort's runs counted (a handful of groups), the two clocks' met and
    breached kept here. No condition on ``case_clock`` in the statement, so that SQLite (no
    statistics) drives the join from the cohort's ``received_at`` range and reads each case's
    runs in ``ix_case_clock_report`` (case_ref, clock, outcome) alone, rather than every run of
    the clock by its ``clock`` index (1.1 s a period at 1,000,000 complaints)."""
    rows = await conn.execute(
        select(CLOCK.c.clock, CLOCK.c.outcome, func.count())
        .select_from(C.join(CLOCK, CLOCK.c.case_ref == C.c.workflow_id))
        .where(_cohort(period))
        .group_by(CLOCK.c.clock, CLOCK.c.outcome)
    )
    got = {(clock, outcome): int(n) for clock, outcome, n in rows}
    shares = {}
    for clock in ("plan", "resolution"):
        met, breached = got.get((clock, "met"), 0), got.get((clock, "breached"), 0)
        shares[clock] = Share(
            met=met, breached=breached, share=round(met / (met + breached), 6) if met + breached else None
        )
    return shares


def _ones(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def inquiry_figures(conn: AsyncConnection, period: Period) -> InquiryFigures:
    """CC-06: the inquiries received in ``period`` (``received_at`` in [start, end), by
    ``ix_inquiry_received_at``): received, answered, answered within the deadline (met) against
    late (breached), still open, late, and the time to answer (nearest-rank median and p90).
    Two statements, the same on SQLite and PostgreSQL."""
    cohort = and_(Q.c.received_at >= period.start, Q.c.received_at < period.end)
    answered_at = Q.c.answered_at
    on_time = and_(answered_at.is_not(None), answered_at <= Q.c.due_at)
    late_at_all = or_(Q.c.late.is_(True), answered_at > Q.c.due_at)
    received, answered, met, breached, late, still_open = (
        await conn.execute(
            select(
                func.count(),
                func.count(answered_at),
                _ones(on_time),
                _ones(late_at_all),
                _ones(Q.c.late.is_(True)),
                _ones(Q.c.status == "open"),
            ).where(cohort)
        )
    ).one()
    ranks = (nearest_rank(0.5, int(answered)), nearest_rank(0.9, int(answered)))
    at: dict[int, float] = {}
    wanted = sorted({k + 1 for k in ranks if k is not None})
    if wanted:
        d = _seconds(conn, answered_at, Q.c.received_at)
        ranked = (
            select(d.label("d"), func.row_number().over(order_by=d).label("rn"))
            .where(cohort, answered_at.is_not(None))
            .subquery()
        )
        rows = await conn.execute(select(ranked.c.rn, ranked.c.d).where(ranked.c.rn.in_(wanted)))
        at = {int(rn) - 1: round(float(v) / 3600, 4) for rn, v in rows}
    k50, k90 = ranks
    return InquiryFigures(
        received=int(received),
        answered=int(answered),
        within_deadline=Share(
            met=int(met),
            breached=int(breached),
            share=round(int(met) / (int(met) + int(breached)), 6) if int(met) + int(breached) else None,
        ),
        open=int(still_open),
        late=int(late),
        time_to_answer=Durations(
            count=int(answered),
            median_hours=at[k50] if k50 is not None else None,
            p90_hours=at[k90] if k90 is not None else None,
        ),
    )


async def complaint_figures(conn: AsyncConnection, period: Period) -> ComplaintFigures:
    """CP-18: every figure of the complaint analysis of ``period``, computed in the database
    in five statements (counts, one pass of sums, quantiles, clock shares, compensation)."""
    cohort = _cohort(period)
    resolution = _seconds(conn, C.c.resolved_at, C.c.received_at)
    bounds = [0.0] + [b for _, b in RESOLUTION_BUCKETS]
    buckets = [
        _ones(and_(resolution >= lo * 3600, resolution < hi * 3600) if hi != float("inf") else resolution >= lo * 3600)
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]
    untils = {"plan": C.c.plan_recorded_at, "resolution": C.c.resolved_at, "close": C.c.closed_at}
    row = (
        await conn.execute(
            select(
                func.count(),
                *(func.count(until) for until in untils.values()),
                _ones(C.c.reopen_count > 0),
                # the reopen rate: of the cases resolved at least once, the share reopened at least once
                _ones(and_(C.c.resolved_at.is_not(None), C.c.reopen_count > 0)),
                func.count(C.c.satisfied),
                _ones(C.c.satisfied.is_(True)),
                func.avg(C.c.score),
                *buckets,
            ).where(cohort)
        )
    ).one()
    received, n_plan, resolved, n_close, reopened, reopened_resolved, answered, satisfied, mean_score = row[:9]
    histogram = {name: int(v) for (name, _), v in zip(RESOLUTION_BUCKETS, row[9:], strict=True)}
    durations = await _quantiles(
        conn, period, {"plan": int(n_plan), "resolution": int(resolved), "close": int(n_close)}, untils
    )
    counts = await _counts(conn, period, *COUNTED)
    shares = await _shares(conn, period)
    comp = await conn.execute(
        select(C.c.compensation_level, func.count(), func.sum(C.c.compensation_amount))
        .where(cohort, C.c.compensation_status == "approved")
        .group_by(C.c.compensation_level)
    )
    compensation = {str(level): Money(count=int(n), amount=_money(total)) for level, n, total in comp}
    return ComplaintFigures(
        period=period.name,
        start=period.start,
        end=period.end,
        timezone=period.timezone,
        received=int(received),
        by_category=counts["by_category"],
        by_subtype=counts["by_subtype"],
        by_severity=counts["by_severity"],
        by_validity=counts["by_validity"],
        by_channel=counts["by_channel"],
        by_target_kind=counts["by_target_kind"],
        by_target=counts["by_target"],
        plan_within_deadline=shares["plan"],
        resolution_within_deadline=shares["resolution"],
        time_to_plan=durations["plan"],
        time_to_resolution=durations["resolution"],
        time_to_close=durations["close"],
        resolved=int(resolved),
        reopened=int(reopened),
        reopen_rate=round(int(reopened_resolved) / int(resolved), 6) if resolved else None,
        escalations_by_level=counts["escalations_by_level"],
        compensation_approved=compensation,
        satisfaction=Satisfaction(
            answered=int(answered),
            satisfied=int(satisfied),
            mean_score=round(float(mean_score), 4) if mean_score is not None else None,
        ),
        resolution_histogram=histogram,
        inquiries=await inquiry_figures(conn, period),
    )


def trend_of(figures: ComplaintFigures) -> TrendPoint:
    """A period's trend point from its figures already computed (no further statement)."""
    return TrendPoint(
        period=figures.period,
        by_category=figures.by_category,
        plan_share=figures.plan_within_deadline.share,
        resolution_share=figures.resolution_within_deadline.share,
    )


async def trend_point(conn: AsyncConnection, period: Period) -> TrendPoint:
    """A period's volume by category and SLA shares (the charts' time axis): two statements."""
    shares = await _shares(conn, period)
    return TrendPoint(
        period=period.name,
        by_category=(await _counts(conn, period, "by_category"))["by_category"],
        plan_share=shares["plan"].share,
        resolution_share=shares["resolution"].share,
    )


def _money(v: Any) -> str:
    return f"{Decimal(str(v or 0)).quantize(Decimal('0.01'))}"


async def store_report(conn: AsyncConnection, report: ComplaintReport, *, kind: str = "complaints") -> ComplaintReport:
    """Add ``report`` as the period's next version (the unique (kind, period, version) makes a
    concurrent writer of the same version fail rather than overwrite)."""
    last = (
        await conn.execute(
            select(func.max(REPORT.c.version)).where(REPORT.c.kind == kind, REPORT.c.period == report.period)
        )
    ).scalar_one()
    stored = report.model_copy(update={"version": (last or 0) + 1})
    await conn.execute(
        insert(REPORT).values(
            kind=kind,
            period=stored.period,
            version=stored.version,
            figures=stored.model_dump(mode="json", include={"figures", "previous", "comparison", "trend"}),
            requested_by=stored.requested_by,
            produced_at=stored.produced_at,
            seconds=stored.seconds,
        )
    )
    return stored


async def load_report(
    conn: AsyncConnection, period: str, version: int | None = None, *, kind: str = "complaints"
) -> ComplaintReport | None:
    """A stored version of a period's report (the latest when ``version`` is None)."""
    q = select(REPORT).where(REPORT.c.kind == kind, REPORT.c.period == period)
    q = q.where(REPORT.c.version == version) if version is not None else q.order_by(REPORT.c.version.desc())
    row = (await conn.execute(q.limit(1))).first()
    if row is None:
        return None
    return ComplaintReport.model_validate(
        {
            "kind": row.kind,
            "period": row.period,
            "version": row.version,
            "produced_at": row.produced_at,
            "requested_by": row.requested_by,
            "seconds": row.seconds,
            **row.figures,
        }
    )


async def report_versions(
    conn: AsyncConnection, period: str, *, kind: str = "complaints"
) -> list[tuple[int, datetime]]:
    rows = await conn.execute(
        select(REPORT.c.version, REPORT.c.produced_at)
        .where(REPORT.c.kind == kind, REPORT.c.period == period)
        .order_by(REPORT.c.version)
    )
    return [(int(v), at) for v, at in rows]
