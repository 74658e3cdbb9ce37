"""CP-18 (issue 15): the complaint analysis as SQL aggregates (the same statements on SQLite
and PostgreSQL), and the ``report`` table's versions.

The cohort of a period is the complaints received in it (``received_at`` in [start, end)), as
recorded when the figures are produced. Every figure is a COUNT, SUM, AVG or one ordered row
(a quantile by the nearest rank: ``ORDER BY … LIMIT 1 OFFSET k``) over the cohort, filtered by
the ``complaint.received_at`` index; the clock shares join ``case_clock`` on its primary key.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.report import (
    RESOLUTION_BUCKETS,
    ComplaintFigures,
    ComplaintReport,
    Durations,
    Money,
    Period,
    Satisfaction,
    Share,
    TrendPoint,
    nearest_rank,
)
from storage import tables as t

C = t.table(t.Complaint)
CLOCK = t.table(t.CaseClock)
REPORT = t.table(t.Report)


def _seconds(conn: AsyncConnection, end: Any, start: Any) -> ColumnElement[Any]:
    """``end - start`` in seconds, in the backend's own date arithmetic."""
    if conn.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return extract("epoch", end - start)


def _cohort(period: Period) -> ColumnElement[bool]:
    return and_(C.c.received_at >= period.start, C.c.received_at < period.end)


async def _counts(conn: AsyncConnection, period: Period, column: Any, *where: Any) -> dict[str, int]:
    rows = await conn.execute(
        select(column, func.count()).where(_cohort(period), column.is_not(None), *where).group_by(column)
    )
    return {str(k): int(n) for k, n in rows}


async def _durations(conn: AsyncConnection, period: Period, until: Any) -> Durations:
    d = _seconds(conn, until, C.c.received_at)
    where = (_cohort(period), until.is_not(None))
    n = int((await conn.execute(select(func.count()).where(*where))).scalar_one())

    async def at(p: float) -> float | None:
        k = nearest_rank(p, n)
        if k is None:
            return None
        v = (await conn.execute(select(d).where(*where).order_by(d).limit(1).offset(k))).scalar_one()
        return round(float(v) / 3600, 4)

    return Durations(count=n, median_hours=await at(0.5), p90_hours=await at(0.9))


async def _share(conn: AsyncConnection, period: Period, clock: str) -> Share:
    rows = await conn.execute(
        select(CLOCK.c.outcome, func.count())
        .select_from(C.join(CLOCK, CLOCK.c.case_ref == C.c.workflow_id))
        .where(_cohort(period), CLOCK.c.clock == clock, CLOCK.c.outcome.in_(("met", "breached")))
        .group_by(CLOCK.c.outcome)
    )
    got = {k: int(n) for k, n in rows}
    met, breached = got.get("met", 0), got.get("breached", 0)
    return Share(met=met, breached=breached, share=round(met / (met + breached), 6) if met + breached else None)


async def complaint_figures(conn: AsyncConnection, period: Period) -> ComplaintFigures:
    """CP-18: every figure of the complaint analysis of ``period``, computed in the database."""
    cohort = _cohort(period)
    received = int((await conn.execute(select(func.count()).where(cohort))).scalar_one())
    target = (C.c.target_kind + literal_column("':'") + C.c.target_ref).label("target")
    by_target = await _counts(
        conn, period, target, C.c.target_kind.in_(("staff", "department")), C.c.target_ref.is_not(None)
    )

    resolution = _seconds(conn, C.c.resolved_at, C.c.received_at)
    bounds = [0.0] + [b for _, b in RESOLUTION_BUCKETS]
    buckets = [
        func.coalesce(
            func.sum(
                case(
                    (and_(resolution >= lo * 3600, resolution < hi * 3600), 1)
                    if hi != float("inf")
                    else (resolution >= lo * 3600, 1),
                    else_=0,
                )
            ),
            0,
        )
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]
    histogram_row = (await conn.execute(select(*buckets).where(cohort, C.c.resolved_at.is_not(None)))).one()
    histogram = {name: int(v) for (name, _), v in zip(RESOLUTION_BUCKETS, histogram_row, strict=True)}

    row = (
        await conn.execute(
            select(
                func.count(C.c.resolved_at),
                func.coalesce(func.sum(case((C.c.reopen_count > 0, 1), else_=0)), 0),
                func.count(C.c.satisfied),
                func.coalesce(func.sum(case((C.c.satisfied.is_(True), 1), else_=0)), 0),
                func.avg(C.c.score),
            ).where(cohort)
        )
    ).one()
    resolved, reopened, answered, satisfied, mean_score = row
    # the reopen rate: of the cases resolved at least once, the share reopened at least once
    reopened_resolved = int(
        (
            await conn.execute(select(func.count()).where(cohort, C.c.resolved_at.is_not(None), C.c.reopen_count > 0))
        ).scalar_one()
    )
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
        received=received,
        by_category=await _counts(conn, period, C.c.category),
        by_subtype=await _counts(conn, period, C.c.subtype),
        by_severity=await _counts(conn, period, C.c.severity),
        by_validity=await _counts(conn, period, C.c.validity),
        by_channel=await _counts(conn, period, C.c.channel),
        by_target_kind=await _counts(conn, period, C.c.target_kind),
        by_target=by_target,
        plan_within_deadline=await _share(conn, period, "plan"),
        resolution_within_deadline=await _share(conn, period, "resolution"),
        time_to_plan=await _durations(conn, period, C.c.plan_recorded_at),
        time_to_resolution=await _durations(conn, period, C.c.resolved_at),
        time_to_close=await _durations(conn, period, C.c.closed_at),
        resolved=int(resolved),
        reopened=int(reopened),
        reopen_rate=round(reopened_resolved / resolved, 6) if resolved else None,
        escalations_by_level=await _counts(conn, period, C.c.escalation_level, C.c.escalation_level > 0),
        compensation_approved=compensation,
        satisfaction=Satisfaction(
            answered=int(answered),
            satisfied=int(satisfied),
            mean_score=round(float(mean_score), 4) if mean_score is not None else None,
        ),
        resolution_histogram=histogram,
    )


async def trend_point(conn: AsyncConnection, period: Period) -> TrendPoint:
    """A period's volume by category and SLA shares (the charts' time axis)."""
    plan, resolution = await _share(conn, period, "plan"), await _share(conn, period, "resolution")
    return TrendPoint(
        period=period.name,
        by_category=await _counts(conn, period, C.c.category),
        plan_share=plan.share,
        resolution_share=resolution.share,
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
