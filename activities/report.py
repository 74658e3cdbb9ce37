"""CP-18 (issue 15): the complaint analysis activity: figures in the database, stored as a new
version, the customer-service manager and the general manager told in their inbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.report import (
    TREND_PERIODS,
    ComplaintReport,
    Period,
    ReportInput,
    ReportProduced,
    compare,
    inbox_message,
    report_workflow_id,
)
from models.staff import Directory, Role
from storage import tables as t
from storage.reports import complaint_figures, store_report, trend_of, trend_point

log = structlog.get_logger()

NOTIFICATIONS = t.table(t.Notification)


def report_recipients(directory: Directory) -> list[str]:
    """CP-18: who finds the report in their inbox: the customer-service manager(s) and the
    general manager."""
    return [
        s.id
        for s in directory.staff
        if s.role is Role.general_manager or (s.role is Role.manager and s.department == "customer_service")
    ]


class ReportActivities:
    """Holds the engine and the staff file (given by infra.bootstrap.Resources)."""

    def __init__(self, engine: AsyncEngine, staff_file: Path) -> None:
        self.engine = engine
        self.staff_file = staff_file

    @activity.defn(name="produce_complaint_report")
    async def produce_complaint_report(self, inp: ReportInput) -> ReportProduced:
        """CP-18: compute the period's figures and the previous period's, store them as the
        period's next version with when, and notify, in one transaction. A retry after a
        commit adds another version (each with its time): nothing is ever overwritten."""
        try:
            period = Period.parse(inp.period, inp.timezone)
        except ValueError as e:
            raise ApplicationError(str(e), type="BadPeriod", non_retryable=True) from None
        recipients = report_recipients(Directory.from_file(self.staff_file))
        began = time.perf_counter()
        async with self.engine.begin() as conn:
            figures = await complaint_figures(conn, period)
            previous = await complaint_figures(conn, period.previous())
            periods = [period]
            while len(periods) < TREND_PERIODS:
                periods.insert(0, periods[0].previous())
            # the last two points are the figures just computed (issue 15: not recomputed)
            known = {f.period: trend_of(f) for f in (figures, previous)}
            trend = [known.get(p.name) or await trend_point(conn, p) for p in periods]
            report = ComplaintReport(
                period=period.name,
                version=0,
                produced_at=datetime.now(UTC),
                requested_by=inp.requested_by,
                seconds=round(time.perf_counter() - began, 4),
                figures=figures,
                previous=previous,
                comparison=compare(figures, previous),
                trend=trend,
            )
            stored = await store_report(conn, report)
            produced = ReportProduced(
                period=stored.period, version=stored.version, produced_at=stored.produced_at, seconds=stored.seconds
            )
            if recipients:
                await conn.execute(
                    insert(NOTIFICATIONS),
                    [
                        {
                            "case_ref": report_workflow_id(period.name),
                            "seq": stored.version,
                            "recipient_kind": "staff",
                            "recipient_id": r,
                            "kind": "complaint_report",
                            "channel": None,
                            "message": inbox_message(produced),
                            "created_at": stored.produced_at,
                        }
                        for r in recipients
                    ],
                )
        log.info("complaint_report", period=period.name, version=stored.version, seconds=stored.seconds)
        return produced
